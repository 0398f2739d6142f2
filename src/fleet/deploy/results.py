"""Per-host outcomes of a deploy, built from events as they arrive, and the summaries shown at the end."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fleet.deploy.events import FAILED, NO_LOG_NOTE, OK, SKIPPED, UNREACHABLE, ItemResult, Stats, TaskResult
from fleet.store import AuditEvent, HostResult

# Host statuses (as stored in host_results.status)
PENDING, CHANGED, UNKNOWN, NOT_RUN = "pending", "changed", "unknown", "skipped"
HOST_STATUSES = (OK, CHANGED, FAILED, UNREACHABLE, NOT_RUN, UNKNOWN)
RETRY_STATUSES = (FAILED, UNREACHABLE, UNKNOWN, NOT_RUN)  # what --retry-failed takes up again
# What the pre-collection found (HostOutcome.verified)
IN_SYNC, DRIFTED, UNVERIFIED = "in_sync", "drifted", "unknown"


@dataclass
class HostOutcome:
    host: str
    practice_id: str
    client_id: str
    plan_note: str = ""
    ok: int = 0
    changed: int = 0
    failures: int = 0
    skipped: int = 0
    unreachable: bool = False
    done: bool = False
    message: str = ""
    changed_tasks: list[str] = field(default_factory=list)
    not_run_reason: str = ""
    verified: str = ""  # pre-collection: in_sync | drifted | unknown ("": not collected, e.g. --full)
    drift: list[str] = field(default_factory=list)  # what the collection says a deploy changes (no secret)

    @property
    def status(self) -> str:
        if self.not_run_reason:
            return NOT_RUN
        if self.unreachable:
            return UNREACHABLE
        if self.failures:
            return FAILED
        if not self.done:
            return PENDING
        return CHANGED if self.changed else OK

    @property
    def finished(self) -> bool:
        return self.done or self.unreachable or self.failures > 0 or bool(self.not_run_reason)

    def record(self) -> HostResult:
        status = UNKNOWN if self.status == PENDING else self.status
        message = self.message or self.not_run_reason
        if not message and self.changed_tasks:
            message = "changed: " + "; ".join(self.changed_tasks[:10])
        if not message and status == OK:
            message = "no changes"
        facts: dict[str, Any] = {"plan": self.plan_note, "changed_tasks": self.changed_tasks[:50]}
        if self.verified:
            facts.update(verified=self.verified, drift=self.drift[:50])
        return HostResult(host=self.host, practice_id=self.practice_id, client_id=self.client_id, status=status,
                          ok=self.ok, changed=self.changed, failures=self.failures, message=message,
                          facts=facts)

    def as_json(self) -> dict[str, Any]:
        r = self.record()
        return {"host": r.host, "practice": r.practice_id, "client": r.client_id, "status": r.status, "ok": r.ok,
                "changed": r.changed, "failures": r.failures, "message": r.message, "plan": self.plan_note,
                "verified": self.verified or None, "drift": list(self.drift)}


class Tally:
    """Folds a batch's events into HostOutcomes and audit events. ``on_finished`` fires once per host."""

    def __init__(self, outcomes: Mapping[str, HostOutcome]) -> None:
        self.outcomes = outcomes
        self._items: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.pending_audit: list[AuditEvent] = []
        self.unknown_hosts: set[str] = set()

    def apply(self, ev: TaskResult | ItemResult | Stats) -> list[HostOutcome]:
        """Fold one event in; return the hosts it finished."""
        if isinstance(ev, ItemResult):
            if ev.changed and ev.label:
                self._items[(ev.host, ev.task_uuid)].append(ev.label)
            return []
        if isinstance(ev, Stats):
            return self._stats(ev)
        o = self.outcomes.get(ev.host)
        if o is None:
            self.unknown_hosts.add(ev.host)
            return []
        was_finished = o.finished
        items = self._items.pop((ev.host, ev.task_uuid), [])
        if ev.outcome == OK:
            o.ok += 1
            if ev.changed:
                o.changed += 1
                o.changed_tasks.append(ev.task)
            if ev.done:
                o.done = True
        elif ev.outcome == SKIPPED:
            o.skipped += 1
        elif ev.outcome == FAILED:
            if ev.ignored:
                o.ok += 1
            else:
                o.failures += 1
                o.message = o.message or f"{ev.task}: {ev.message or 'failed'}"
        elif ev.outcome == UNREACHABLE:
            o.unreachable = True
            o.message = f"unreachable: {ev.message}" if ev.message else "unreachable"
        if ev.changed or ev.outcome in (FAILED, UNREACHABLE):
            detail = NO_LOG_NOTE if ev.no_log else "; ".join(items)
            if ev.outcome != OK and ev.message:
                detail = (detail + " | " if detail else "") + ev.message
            self.pending_audit.append(AuditEvent(host=ev.host, task=ev.task, action=ev.action, changed=ev.changed,
                                                 failed=ev.outcome in (FAILED, UNREACHABLE) and not ev.ignored,
                                                 detail=detail, practice_id=o.practice_id))
        return [o] if o.finished and not was_finished else []

    def _stats(self, stats: Stats) -> list[HostOutcome]:
        finished = []
        for host, c in stats.per_host.items():
            o = self.outcomes.get(host)
            if o is None:
                continue
            was = o.finished
            # ok/changed stay fleet's own counts: runner hides "changed" of no_log tasks, which the roles
            # report with a secret-free task instead (Ansible's stats would count both).
            o.failures = max(o.failures, c.get("failures", 0))
            if c.get("dark"):
                o.unreachable = True
                o.message = o.message or "unreachable"
            if not o.finished and c.get("processed"):
                o.done = True  # the play ended for it without the done marker (nothing else to do)
            if o.finished and not was:
                finished.append(o)
        return finished

    def take_audit(self, host: str | None = None) -> list[AuditEvent]:
        if host is None:
            out, self.pending_audit = self.pending_audit, []
            return out
        out = [a for a in self.pending_audit if a.host == host]
        self.pending_audit = [a for a in self.pending_audit if a.host != host]
        return out


def practice_rows(outcomes: Iterable[HostOutcome]) -> list[dict[str, Any]]:
    """The final table: one row per practice."""
    rows: dict[str, dict[str, Any]] = {}
    for o in outcomes:
        r = rows.setdefault(o.practice_id, {"practice": o.practice_id, "client": o.client_id, "hosts": 0,
                                            "ok": 0, "changed": 0, "failed": 0, "unreachable": 0,
                                            "unknown": 0, "not_run": 0, "notes": []})
        r["hosts"] += 1
        st = o.record().status
        key = {OK: "ok", CHANGED: "changed", FAILED: "failed", UNREACHABLE: "unreachable",
               UNKNOWN: "unknown"}.get(st, "not_run")
        r[key] += 1
        note = o.plan_note if o.plan_note.startswith(("Synchronizer skipped", "macOS")) else ""
        if note and note not in r["notes"]:
            r["notes"].append(note)
    return list(rows.values())


def run_status(outcomes: Iterable[HostOutcome], interrupted: bool) -> str:
    """ok (every host fine), partial (some failed), failed (none fine), interrupted."""
    if interrupted:
        return "interrupted"
    statuses = [o.record().status for o in outcomes]
    bad = sum(s in (FAILED, UNREACHABLE, UNKNOWN) for s in statuses)
    good = sum(s in (OK, CHANGED) for s in statuses)
    if bad == 0 and not any(s == NOT_RUN for s in statuses):
        return "ok"
    return "partial" if good else "failed"


def summary(outcomes: Iterable[HostOutcome]) -> dict[str, int]:
    outcomes = list(outcomes)
    counts = {s: 0 for s in HOST_STATUSES}
    for o in outcomes:
        counts[o.record().status] += 1
    counts["hosts"] = sum(counts[s] for s in HOST_STATUSES)
    counts["verified_in_sync"] = sum(1 for o in outcomes if o.verified == IN_SYNC)
    return counts
