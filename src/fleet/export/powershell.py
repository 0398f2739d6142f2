"""Putting data into PowerShell source safely.

Every value a generated script carries (token, extension IDs, registry paths, value names, the
practice id) goes in as a single-quoted string literal built by :func:`ps_string`. Inside such a
literal PowerShell expands nothing (``$``, backtick, ``"``, ``;``, ``]``, ``%`` are plain
characters); the only special characters are the single quotes, and PowerShell's tokenizer
counts FIVE of them: ``'`` and the typographic U+2018, U+2019, U+201A, U+201B. Each one is
doubled (a pair of quote characters stands for its second character), so a token containing
``’`` cannot end the literal early, which escaping only ``'`` would get wrong.

Refused, with :class:`ScriptDataError`:

* NUL anywhere (cannot be written to a registry string, and a PowerShell string cannot
  round-trip it through every host);
* CR and LF (legal inside a literal, but scripts are written with CRLF line ends, which would
  change the value, and policy values cannot carry them anyway); for names (value names, display
  names, keys) also NEL, LS and PS, which editors and RMM consoles show as line breaks;
* lone surrogates (not encodable in the UTF-8 file).

Templates only accept :class:`PsCode` values (see ``fleet.export.templating``), so a value that
skipped these functions makes rendering fail instead of producing a script that means something else.
"""

from __future__ import annotations

import re

from fleet.errors import FleetError

#: The characters PowerShell treats as a single quote (tokenizer: IsSingleQuote).
SINGLE_QUOTES = frozenset("'\u2018\u2019\u201a\u201b")


class ScriptDataError(FleetError):
    """A value cannot be put into a generated script without changing its meaning."""


class PsCode(str):
    """PowerShell source text that is safe to paste into a script as it is."""

    __slots__ = ()


_NAME_BAD = re.compile("[\0\r\n\u0085\u2028\u2029]")
_VALUE_BAD = re.compile("[\0\r\n]")
_DOUBLE_QUOTES = str.maketrans({q: q + q for q in SINGLE_QUOTES})


def _check(text: str, what: str, name: bool) -> None:
    if not isinstance(text, str):
        raise ScriptDataError(f"{what} must be text, not {type(text).__name__}")
    bad = (_NAME_BAD if name else _VALUE_BAD).search(text)
    if bad:
        if bad.group() == "\0":
            raise ScriptDataError(f"{what} contains a NUL character, which a script cannot carry")
        raise ScriptDataError(f"{what} contains a line break, which fleet does not put in a script")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ScriptDataError(f"{what} is not valid Unicode (it contains a lone surrogate)") from None


def ps_string(text: str, what: str = "value", *, name: bool = False) -> PsCode:
    """``text`` as a PowerShell single-quoted string literal. ``what`` names it in errors
    (never the value itself: it may be a secret)."""
    _check(text, what, name)
    return PsCode("'" + text.translate(_DOUBLE_QUOTES) + "'")


def ps_name(text: str, what: str = "name") -> PsCode:
    """A name (registry path, value name, display name) as a literal; line breaks refused."""
    return ps_string(text, what, name=True)


_COMMENT_SAFE = re.compile(r"[A-Za-z0-9_ .:/@+,()=-]*")


def ps_comment(text: str) -> PsCode:
    """Text for a ``#`` comment or a double-quoted message: plain ASCII words only (ids, versions).
    Anything else (a line break would end the comment, ``$`` would expand) is refused."""
    if not isinstance(text, str) or not _COMMENT_SAFE.fullmatch(text):
        raise ScriptDataError(f"{text!r} cannot be used in a script comment or message (use an id)")
    return PsCode(text)


def ps_int(number: int) -> PsCode:
    if isinstance(number, bool) or not isinstance(number, int):
        raise ScriptDataError(f"expected an integer, got {type(number).__name__}")
    return PsCode(str(number) if number >= 0 else f"({number})")


def ps_bool(flag: bool) -> PsCode:
    return PsCode("$true" if flag else "$false")


def dword_as_int32(number: int) -> int:
    """A REG_DWORD (0..2**32-1) as the signed Int32 .NET's RegistryKey.SetValue(DWord) wants."""
    if not 0 <= number <= 0xFFFFFFFF:
        raise ScriptDataError(f"{number} does not fit a REG_DWORD")
    return number - (1 << 32) if number >= 1 << 31 else number
