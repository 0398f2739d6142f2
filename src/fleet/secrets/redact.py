"""Redaction of known secrets from any text or structure before it is shown, logged or stored.

Secrets never reach output by design; this is the second line of defence for what we do not
control (Ansible task output, error messages from remote hosts).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fleet.secrets.store import fingerprint

MIN_SECRET_LEN = 4  # shorter strings would redact ordinary words


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._compiled: re.Pattern[str] | None = None
        self._stale = False
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        new = {s for s in secrets if s and len(s) >= MIN_SECRET_LEN} - self._secrets
        if new:
            # Compiled on first use: callers add one practice at a time, and recompiling the
            # alternation on every add made loading N practices quadratic.
            self._secrets |= new
            self._stale = True

    @property
    def _re(self) -> re.Pattern[str] | None:
        if self._stale:
            ordered = sorted(self._secrets, key=len, reverse=True)  # longest first: no partial leaks
            self._compiled = re.compile("|".join(re.escape(s) for s in ordered))
            self._stale = False
        return self._compiled

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def text(self, value: str) -> str:
        pattern = self._re
        if pattern is None or not value:
            return value
        return pattern.sub(lambda m: f"<redacted:{fingerprint(m.group(0))}>", value)

    def obj(self, value: Any) -> Any:
        """Redact strings anywhere inside dicts/lists/tuples."""
        if self._re is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.obj(k): self.obj(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.obj(v) for v in value)
        return value

    def contains_secret(self, value: str) -> bool:
        return bool(self._re and self._re.search(value))
