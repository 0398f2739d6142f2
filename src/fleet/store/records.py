"""Typed records the store reads and writes (frozen dataclasses, secret-free by contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RunRecord:
    id: str
    kind: str  # deploy | health
    started_at: datetime
    status: str  # running | ok | failed | partial | interrupted
    user: str = ""
    controller: str = ""
    selection: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    finished_at: datetime | None = None
    fleet_version: str = ""


@dataclass(frozen=True)
class HostResult:
    host: str
    practice_id: str
    client_id: str
    status: str  # ok | changed | failed | unreachable | skipped | unknown
    ok: int = 0
    changed: int = 0
    failures: int = 0
    message: str = ""
    facts: dict[str, Any] | None = None
    recorded_at: datetime | None = None
    run_id: str = ""


@dataclass(frozen=True)
class CheckResult:
    host: str
    practice_id: str
    client_id: str
    check_id: str
    state: str  # OK | WARNING | CRITICAL | UNKNOWN
    message: str = ""
    value: str = ""
    recorded_at: datetime | None = None
    run_id: str = ""


@dataclass(frozen=True)
class AuditEvent:
    """One task's outcome on one host in a deploy: what changed, never with secret data."""

    host: str
    task: str
    action: str  # module name
    changed: bool
    failed: bool
    detail: str = ""
    practice_id: str = ""
    recorded_at: datetime | None = None
    run_id: str = ""
