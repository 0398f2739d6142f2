"""CSV cells a spreadsheet shows as text, never runs as a formula (CWE-1236).

Host names, messages and values come from inventories, remote hosts and RMM exports: a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` (what
OWASP recommends; Excel and LibreOffice then show the text), unless it is a plain number.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_cell(text: str) -> str:
    """``text`` neutralised for a spreadsheet (numbers such as -1.5 stay numbers)."""
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text
