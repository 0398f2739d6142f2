"""Where the Ansible content and templates are: inside the installed package, or the source tree."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """``playbooks``, ``roles`` or ``templates``: the wheel ships them under fleet/_data/."""
    packaged = _PKG / "_data" / name
    if packaged.is_dir():
        return packaged
    source = _PKG.parent.parent / name  # src/fleet -> repo root
    if source.is_dir():
        return source
    raise FileNotFoundError(f"fleet installation is incomplete: no {name}/ directory (looked in {packaged})")
