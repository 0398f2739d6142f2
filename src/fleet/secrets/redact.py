"""Redaction of known secrets from any text or structure before it is shown, logged or stored.

Secrets never reach output by design; this is the second line of defence for what we do not
control (Ansible task output, error messages from remote hosts).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from typing import Any

from fleet.secrets.store import fingerprint

MIN_SECRET_LEN = 4  # shorter strings would redact ordinary words


#: Characters JSON escapes: a secret holding one is not found verbatim in a JSON dump.
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


class Redactor:
    """Replaces every known secret with ``<redacted:FINGERPRINT>``.

    Secrets come in one practice at a time (a sweep reads each practice's vault when its first host
    is judged), and most strings hold none. So the search runs on a few compiled chunks merged as a
    binary counter (compile work O(n log n) for n secrets: one alternation recompiled on every add
    was quadratic, 1.8 s of CPU for the 500 secrets of a 1,000-host sweep), and the one alternation
    of every secret, longest first (no partial leak of a secret containing another), is compiled
    only to replace, when a string does hold a secret."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pending: set[str] = set()
        self._chunks: list[re.Pattern[str]] = []  # one per set in _chunk_secrets (sizes decreasing)
        self._chunk_secrets: list[set[str]] = []
        self._full: re.Pattern[str] | None = None
        self._json_safe = True  # no secret holds a character JSON would escape
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        new = {s for s in secrets if s and len(s) >= MIN_SECRET_LEN} - self._secrets
        if new:
            self._secrets |= new
            self._pending |= new
            self._full = None
            if any(_JSON_ESCAPED.search(s) for s in new):
                self._json_safe = False

    @staticmethod
    def _compile(secrets: Iterable[str]) -> re.Pattern[str]:
        ordered = sorted(secrets, key=len, reverse=True)  # longest first: no partial leaks
        return re.compile("|".join(re.escape(s) for s in ordered))

    def _search(self, value: str) -> bool:
        """Whether ``value`` holds a known secret."""
        if self._pending:  # a binary counter of chunks: merged while the last is not smaller
            sets, patterns = self._chunk_secrets, self._chunks
            sets.append(self._pending)
            patterns.append(self._compile(self._pending))
            self._pending = set()
            while len(sets) > 1 and len(sets[-1]) >= len(sets[-2]):
                merged = sets.pop() | sets.pop()
                del patterns[-2:]
                sets.append(merged)
                patterns.append(self._compile(merged))
        return any(p.search(value) for p in self._chunks)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def text(self, value: str) -> str:
        if not value or not self._secrets or not self._search(value):
            return value
        if self._full is None:
            self._full = self._compile(self._secrets)
        return self._full.sub(lambda m: f"<redacted:{fingerprint(m.group(0))}>", value)

    def obj(self, value: Any) -> Any:
        """Redact strings anywhere inside dicts/lists/tuples."""
        if not self._secrets:
            return value
        if isinstance(value, dict | list | tuple) and self._json_safe:
            # one search over the whole structure (a collector's facts: ~200 strings), not one a string
            with contextlib.suppress(TypeError, ValueError):
                if not self._search(json.dumps(value, ensure_ascii=False, default=str)):
                    return value
        return self._obj(value)

    def _obj(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self._obj(k): self._obj(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._obj(v) for v in value)
        return value

    def contains_secret(self, value: str) -> bool:
        return bool(value and self._secrets and self._search(value))
