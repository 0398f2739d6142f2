"""Issue #12's rule for the type checker: src/fleet passes `mypy` (strict, run by scripts/test), and
a ``# type: ignore`` there is the exception: narrow (``[error-code]``, which mypy itself enforces
with ``ignore-without-code``) and followed by its reason on the same line. mypy cannot check the
reason; this test does. (There were 37 ignores without reasons before #12; there are none now.)"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import fleet

SRC = Path(fleet.__file__).resolve().parent
# "# type: ignore[code, code]  # why" ; the reason: some words after a second "#".
_IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")


def unexplained_ignores(source: str, name: str) -> list[str]:
    """Each ``# type: ignore`` comment in ``source`` without an error code or without a reason."""
    bad = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type != tokenize.COMMENT:
            continue
        m = _IGNORE.search(tok.string)
        if m is None:
            continue
        reason = m["rest"].strip().lstrip("#").strip()
        if not m["codes"]:
            bad.append(f"{name}:{tok.start[0]}: no error code (write # type: ignore[code]  # why)")
        elif len(reason.split()) < 2:
            bad.append(f"{name}:{tok.start[0]}: no reason (write # type: ignore{m['codes']}  # why)")
    return bad


def test_the_rule_itself() -> None:
    src = ("a = f()  # type: ignore\n"
           "b = g()  # type: ignore[attr-defined]\n"
           "c = h()  # type: ignore[misc]  # ansible's VaultLib is untyped\n"
           "s = '# type: ignore'  # in a string it is no comment\n")
    assert unexplained_ignores(src, "x.py") == [
        "x.py:1: no error code (write # type: ignore[code]  # why)",
        "x.py:2: no reason (write # type: ignore[attr-defined]  # why)",
    ]


def test_every_ignore_in_src_fleet_says_why() -> None:
    bad = [b for path in sorted(SRC.rglob("*.py"))
           for b in unexplained_ignores(path.read_text(encoding="utf-8"), str(path.relative_to(SRC.parent)))]
    assert bad == [], "type the code instead, or say why it cannot be:\n" + "\n".join(bad)
