"""Render Registry.pol entries as a ``.reg`` file (regedit / ``reg import``), and read that subset back.

Two dialects:

* ``REGEDIT5`` -- header ``Windows Registry Editor Version 5.00``; the file is UTF-16LE with a BOM
  and CRLF line ends (:func:`encode_reg_file`). ``hex(2)``/``hex(7)`` data are UTF-16LE bytes.
* ``REGEDIT4`` -- header ``REGEDIT4``; the file is ANSI. Only ASCII is accepted (anything else
  would depend on the importing machine's code page), and ``hex(2)``/``hex(7)`` data are one byte
  per character, as regedit writes them in this dialect.

What each entry becomes (one ``[ROOT\\key]`` section per key, in order of first appearance; keys
are grouped case-insensitively, as the registry compares them, so the relative order of entries
for one key is kept):

==========================  =====================================================
REG_SZ                      ``"name"="text"`` with ``\\`` -> ``\\\\`` and ``"`` -> ``\\"``
REG_DWORD                   ``"name"=dword:0000002a``
REG_EXPAND_SZ, MULTI_SZ     ``"name"=hex(2):...``, ``"name"=hex(7):...``
REG_QWORD, BINARY           ``"name"=hex(b):...`` (8 bytes, little-endian), ``"name"=hex:...``
REG_NONE, DWORD_BIG_ENDIAN  ``"name"=hex(0):...``, ``"name"=hex(5):...``
``**del.name`` marker       ``"name"=-``
empty value name            ``@=...`` (the key's default value)
==========================  =====================================================

Hex data is wrapped at 80 columns with ``\\`` continuation lines, like regedit's own export.

Refused with :class:`RegFileError` rather than written as something that means something else:

* CR or LF in a key, a value name or REG_SZ text: a quoted ``.reg`` string cannot span lines, and
  regedit has no escape for them;
* ``]`` in a key (the section header ends at a ``]``; regedit's handling of one inside a key name
  is not documented);
* ``**delvals.``: a ``.reg`` file can delete a whole key (``[-KEY]``, subkeys included) or single
  values, but not "every value, keep the key and its subkeys"; other ``**`` directives
  (``**DeleteValues``, ``**DeleteKeys``, ``**SecureKey``, ...) have no ``.reg`` form either;
* non-ASCII text in a ``REGEDIT4`` file.

Error messages name the key and value but never quote string data: it may be a secret token.

:func:`parse_reg` reads back the subset :func:`render_reg` writes (used by round-trip tests).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from typing import Literal

from fleet.export.regpol import PolEntry, RegPolError, RegType

__all__ = [
    "HEADERS",
    "ROOTS",
    "RegFileError",
    "RegVersion",
    "decode_reg_file",
    "encode_reg_file",
    "parse_reg",
    "render_reg",
]

RegVersion = Literal["REGEDIT5", "REGEDIT4"]

HEADERS: dict[str, str] = {
    "REGEDIT5": "Windows Registry Editor Version 5.00",
    "REGEDIT4": "REGEDIT4",
}

#: Root keys a ``.reg`` section may start with (regedit wants the full names).
ROOTS = (
    "HKEY_LOCAL_MACHINE",
    "HKEY_CURRENT_USER",
    "HKEY_CLASSES_ROOT",
    "HKEY_USERS",
    "HKEY_CURRENT_CONFIG",
)

_LINE_WIDTH = 80
_NEWLINES = ("\r", "\n")


class RegFileError(ValueError):
    """Entries cannot be written as a ``.reg`` file, or a ``.reg`` text cannot be read."""


# -- writing ----------------------------------------------------------------------------------


def _check_version(version: str) -> None:
    if version not in HEADERS:
        raise RegFileError(f"unknown .reg version {version!r}; use one of {sorted(HEADERS)}")


def _check_root(root: str) -> None:
    if root not in ROOTS:
        raise RegFileError(f"unknown registry root {root!r}; use one of {', '.join(ROOTS)}")


def _fold(key: str) -> str:
    """Case-fold a key the way the registry compares names (one character to one character)."""
    return "".join(ch.upper() if len(ch.upper()) == 1 else ch for ch in key)


def _no_newline(text: str, what: str) -> None:
    """Refuse CR/LF in ``text``; ``what`` names it (the text itself is never quoted: it may be a secret)."""
    for index, ch in enumerate(text):
        if ch in _NEWLINES:
            raise RegFileError(f"{what} contains a line break (index {index}), which a .reg file cannot represent")


def _ascii_only(text: str, what: str, version: str) -> None:
    if version == "REGEDIT4" and not text.isascii():
        index = next(i for i, ch in enumerate(text) if not ch.isascii())
        raise RegFileError(
            f"{what} contains a non-ASCII character (index {index}); REGEDIT4 files are ANSI "
            "(code-page dependent): use REGEDIT5"
        )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _hex_lines(prefix: str, data: bytes) -> list[str]:
    """``prefix`` followed by comma-separated hex bytes, wrapped like regedit (``,\\`` + indent)."""
    lines: list[str] = []
    line = prefix
    has_byte = False
    for index, byte in enumerate(data):
        piece = f"{byte:02x}" + ("," if index < len(data) - 1 else "")
        if has_byte and len(line) + len(piece) + 1 > _LINE_WIDTH:
            lines.append(line + "\\")
            line = "  "
        line += piece
        has_byte = True
    lines.append(line)
    return lines


def _string_bytes(entry: PolEntry, version: str) -> bytes:
    """Data bytes of a REG_EXPAND_SZ/REG_MULTI_SZ for the dialect (UTF-16LE, or ANSI in REGEDIT4)."""
    if version == "REGEDIT5":
        return entry.data
    text = entry.data.decode("utf-16-le")
    _ascii_only(text, f"{entry.type.name} data of {entry.key}\\{entry.value}", version)
    return text.encode("ascii")


def _value_lines(entry: PolEntry, version: str) -> list[str]:
    where = f"{entry.key}\\{entry.value}"
    name = entry.value
    if name.startswith("**"):
        deleted = entry.deleted_value
        if deleted is not None:
            _no_newline(deleted, f"value name {deleted!r}")
            _ascii_only(deleted, f"value name {deleted!r}", version)
            return [f"{_quote(deleted)}=-"]
        if entry.is_delete_all_values:
            raise RegFileError(
                f"{where}: a .reg file cannot delete all values of a key while keeping the key and its "
                "subkeys (only [-KEY], which also deletes subkeys, or single values)"
            )
        raise RegFileError(f"{where}: the Registry.pol directive {name!r} has no .reg equivalent")
    _no_newline(name, f"value name {name!r}")
    _ascii_only(name, f"value name {name!r}", version)
    lhs = "@=" if name == "" else f"{_quote(name)}="
    if entry.type is RegType.REG_SZ:
        text = entry.data.decode("utf-16-le")[:-1]
        _no_newline(text, f"REG_SZ data of {where}")
        _ascii_only(text, f"REG_SZ data of {where}", version)
        return [lhs + _quote(text)]
    if entry.type is RegType.REG_DWORD:
        return [f"{lhs}dword:{int.from_bytes(entry.data, 'little'):08x}"]
    if entry.type is RegType.REG_BINARY:
        return _hex_lines(lhs + "hex:", entry.data)
    data = entry.data
    if entry.type in (RegType.REG_EXPAND_SZ, RegType.REG_MULTI_SZ):
        data = _string_bytes(entry, version)
    return _hex_lines(f"{lhs}hex({int(entry.type):x}):", data)


def render_reg(
    entries: Iterable[PolEntry],
    version: RegVersion = "REGEDIT5",
    root: str = "HKEY_LOCAL_MACHINE",
    delete_keys: Iterable[str] = (),
) -> str:
    """The text of a ``.reg`` file setting ``entries`` under ``root``, after deleting each key of
    ``delete_keys`` with its subkeys (``[-KEY]`` sections, first).

    Lines end with ``\\n``; write the file with :func:`encode_reg_file`, which adds CRLF and the
    encoding regedit expects for ``version``.
    """
    _check_version(version)
    _check_root(root)
    _ascii_only(root, "root", version)
    deletions: list[str] = []
    for key in delete_keys:
        _no_newline(key, f"key {key!r}")
        if "]" in key or not key.strip("\\"):
            raise RegFileError(f"key {key!r} cannot be deleted by a .reg file section")
        _ascii_only(key, f"key {key!r}", version)
        deletions += [f"[-{root}\\{key}]", ""]
    sections: dict[str, tuple[str, list[str]]] = {}
    for entry in entries:
        if not isinstance(entry, PolEntry):
            raise TypeError(f"render_reg needs PolEntry items, not {type(entry).__name__}")
        _no_newline(entry.key, f"key {entry.key!r}")
        if "]" in entry.key:
            raise RegFileError(f"key {entry.key!r} contains ']', which ends a .reg section header")
        _ascii_only(entry.key, f"key {entry.key!r}", version)
        lines = _value_lines(entry, version)
        sections.setdefault(_fold(entry.key), (entry.key, []))[1].extend(lines)
    out = [HEADERS[version], "", *deletions]
    for key, lines in sections.values():
        out.append(f"[{root}\\{key}]")
        out.extend(lines)
        out.append("")
    return "\n".join(out) + "\n"


def encode_reg_file(text: str, version: RegVersion = "REGEDIT5") -> bytes:
    """The bytes of a ``.reg`` file: CRLF line ends; UTF-16LE with BOM (REGEDIT5) or ASCII (REGEDIT4)."""
    _check_version(version)
    if not text.startswith(HEADERS[version] + "\n") and not text.startswith(HEADERS[version] + "\r\n"):
        raise RegFileError(f"text does not start with the {version} header {HEADERS[version]!r}")
    crlf = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if version == "REGEDIT4":
        try:
            return crlf.encode("ascii")
        except UnicodeEncodeError as exc:
            raise RegFileError(f"REGEDIT4 files are ANSI: non-ASCII character at index {exc.start}") from None
    try:
        return codecs.BOM_UTF16_LE + crlf.encode("utf-16-le")
    except UnicodeEncodeError as exc:
        raise RegFileError(f"text is not valid Unicode (lone surrogate at index {exc.start})") from None


def decode_reg_file(data: bytes) -> str:
    """Text of a ``.reg`` file as :func:`encode_reg_file` writes it (BOM picks UTF-16LE, else ASCII)."""
    try:
        if data.startswith(codecs.BOM_UTF16_LE):
            return data[len(codecs.BOM_UTF16_LE) :].decode("utf-16-le")
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise RegFileError(f"cannot decode .reg file at byte {exc.start}: {exc.reason}") from None


# -- reading ----------------------------------------------------------------------------------

_HEX_TYPE = re.compile(r"hex(?:\(([0-9a-fA-F]+)\))?:")
_DWORD = re.compile(r"dword:([0-9a-fA-F]{8})")
_HEX_BYTE = re.compile(r"[0-9a-fA-F]{2}")


def _read_quoted(line: str, start: int, lineno: int) -> tuple[str, int]:
    """Parse a ``"..."`` string starting at ``line[start]``; return (text, index after the quote)."""
    out: list[str] = []
    i = start + 1
    while i < len(line):
        ch = line[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch == "\\":
            if i + 1 >= len(line) or line[i + 1] not in '\\"':
                raise RegFileError(f"line {lineno}: unsupported escape in quoted string")
            out.append(line[i + 1])
            i += 2
            continue
        out.append(ch)
        i += 1
    raise RegFileError(f"line {lineno}: unterminated quoted string")


def _read_hex(text: str, lineno: int) -> bytes:
    text = text.strip()
    if not text:
        return b""
    parts = [part.strip() for part in text.split(",")]
    if not all(_HEX_BYTE.fullmatch(part) for part in parts):
        raise RegFileError(f"line {lineno}: malformed hex data")
    return bytes(int(part, 16) for part in parts)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Physical lines joined at ``\\`` continuations, with the line number each starts on."""
    if "\r" in text.replace("\r\n", ""):
        raise RegFileError("stray carriage return (CR not followed by LF)")
    physical = text.replace("\r\n", "\n").split("\n")
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(physical):
        lineno, line = i + 1, physical[i]
        while line.endswith("\\") and i + 1 < len(physical):
            i += 1
            line = line[:-1] + physical[i].lstrip(" \t")
        out.append((lineno, line))
        i += 1
    return out


def _parse_value(key: str, line: str, lineno: int, version: str) -> PolEntry:
    if line.startswith("@"):
        name, pos = "", 1
    elif line.startswith('"'):
        name, pos = _read_quoted(line, 0, lineno)
    else:
        raise RegFileError(f'line {lineno}: expected a value name ("..." or @)')
    if name.startswith("**"):
        raise RegFileError(f"line {lineno}: value names starting with '**' are Registry.pol directives")
    if line[pos : pos + 1] != "=":
        raise RegFileError(f"line {lineno}: expected '=' after the value name")
    rhs = line[pos + 1 :]
    try:
        if rhs == "-":
            if not name:
                raise RegFileError(f"line {lineno}: deleting the default value (@=-) is not supported")
            return PolEntry.delete_value(key, name)
        if rhs.startswith('"'):
            text, end = _read_quoted(rhs, 0, lineno)
            if rhs[end:].strip():
                raise RegFileError(f"line {lineno}: unexpected text after the quoted string")
            return PolEntry.sz(key, name, text)
        dword = _DWORD.fullmatch(rhs.strip())
        if dword:
            return PolEntry.dword(key, name, int(dword.group(1), 16))
        hex_type = _HEX_TYPE.match(rhs)
        if hex_type:
            type_ = RegType(int(hex_type.group(1), 16)) if hex_type.group(1) else RegType.REG_BINARY
            data = _read_hex(rhs[hex_type.end() :], lineno)
            if version == "REGEDIT4" and type_ in (RegType.REG_EXPAND_SZ, RegType.REG_MULTI_SZ):
                data = data.decode("ascii").encode("utf-16-le")
            return PolEntry(key, name, type_, data)
    except (RegPolError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, RegFileError):
            raise
        raise RegFileError(f"line {lineno}: {exc}") from None
    raise RegFileError(f'line {lineno}: unsupported value data (expected "...", -, dword:, hex: or hex(N):)')


def parse_reg(text: str, root: str = "HKEY_LOCAL_MACHINE", deleted: list[str] | None = None) -> list[PolEntry]:
    """Read a ``.reg`` text of the form :func:`render_reg` writes; keys are returned relative to ``root``.

    Accepts a leading BOM and CRLF or LF line ends. Key deletions (``[-KEY]``) are appended to
    ``deleted`` when given (else refused); sections under another root and anything
    :func:`render_reg` would not write raise :class:`RegFileError`.
    """
    _check_root(root)
    text = text.removeprefix("\ufeff")
    lines = _logical_lines(text)
    if not lines or lines[0][1].rstrip(" \t") not in HEADERS.values():
        raise RegFileError("line 1: not a .reg file (missing 'Windows Registry Editor Version 5.00' header)")
    version = "REGEDIT4" if lines[0][1].rstrip(" \t") == HEADERS["REGEDIT4"] else "REGEDIT5"
    prefix = root + "\\"
    entries: list[PolEntry] = []
    key: str | None = None
    for lineno, line in lines[1:]:
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith(";"):
            continue
        if line.startswith("["):
            if not stripped.endswith("]"):
                raise RegFileError(f"line {lineno}: section header without a closing ']'")
            path = stripped[1:-1]
            deletion = path.startswith("-")
            if deletion and deleted is None:
                raise RegFileError(f"line {lineno}: key deletion [-...] is not supported")
            path = path.removeprefix("-")
            if not path.upper().startswith(prefix.upper()) or len(path) == len(prefix):
                raise RegFileError(f"line {lineno}: key {path!r} is not under {root}")
            key = path[len(prefix) :]
            if deletion:
                assert deleted is not None
                deleted.append(key)
                key = None  # a value after a deletion header belongs to no section
            continue
        if key is None:
            raise RegFileError(f"line {lineno}: value outside any [key] section")
        entries.append(_parse_value(key, line, lineno, version))
    return entries
