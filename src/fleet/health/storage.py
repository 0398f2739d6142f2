"""What a sweep writes to the central store, in health's terms (the SQL is ``fleet.store.health``).

- ``record_host`` / ``record_hosts``: one host's (or several hosts') rows and all their check rows in
  ONE transaction, so a sweep killed at any moment leaves each host either fully recorded or absent.
- ``record_practices``: the per-practice roll-ups at the end of a sweep.
- ``close_stale_runs``: health runs left "running" by a killed sweep become "interrupted".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from fleet.health.model import HEALTH_KIND
from fleet.health.rollup import PracticeRollup
from fleet.store import CheckResult, HostResult, Store, lifecycle
from fleet.store import health as store_health

STALE_ELSEWHERE = lifecycle.STALE_HEARTBEAT  # a run of another controller silent this long is dead


def record_host(store: Store, run_id: str, host: HostResult, checks: Iterable[CheckResult]) -> None:
    store_health.record_host(store, run_id, host, checks)


def record_hosts(store: Store, run_id: str, judged: Sequence[tuple[HostResult, Iterable[CheckResult]]]) -> None:
    """Hosts that answered together: each host's row and check rows, all in ONE transaction."""
    store_health.record_hosts(store, run_id, judged)


def record_practices(store: Store, run_id: str, rollups: Sequence[PracticeRollup]) -> None:
    now = datetime.now(UTC)
    store_health.replace_practice_rows(store, run_id, [
        {"practice_id": r.practice_id, "client_id": r.client_id, "state": r.state.value,
         "install_method": r.install_method, "workstations_total": r.coverage.total,
         "workstations_covered": r.coverage.covered, "workstations_unknown": r.coverage.unknown,
         "coverage_state": r.coverage_state.value if r.coverage_state else "",
         "servers_total": r.servers_total, "servers_ok": r.servers_ok, "hosts_total": r.hosts_total,
         "hosts_unreachable": r.hosts_unreachable, "message": r.message()[:2000], "recorded_at": now}
        for r in rollups])


def practice_rows(store: Store, run_id: str) -> list[dict[str, Any]]:
    return store_health.practice_rows(store, run_id)


def run_marker() -> dict[str, object]:
    """What identifies this sweep's process, stored in the run's options (``Store.start_run`` adds it)."""
    return lifecycle.run_marker()


def close_stale_runs(store: Store, now: datetime | None = None) -> list[str]:
    """Health runs whose sweep process is gone, marked "interrupted" (by this call, or when ``store``
    was opened: see ``fleet.store.lifecycle``); returns their ids."""
    found = [r.id for r in store.reaped if r.kind == HEALTH_KIND]
    store.reaped = [r for r in store.reaped if r.kind != HEALTH_KIND]  # reported once
    return found + [r.id for r in lifecycle.close_stale_runs(store.engine, HEALTH_KIND, now)]


def prune_health(store: Store, older_than: timedelta, keep_last: int = 1,
                 now: datetime | None = None) -> dict[str, int]:
    """Delete finished health sweeps started before ``older_than`` ago with their rows, keeping the
    newest ``keep_last`` sweeps whatever their age. Other kinds of run (deploys) are never touched."""
    return store_health.prune_runs(store, HEALTH_KIND, (now or datetime.now(UTC)) - older_than, keep_last)


def latest_facts(store: Store, hosts: Iterable[str]) -> dict[str, tuple[dict[str, Any], datetime]]:
    """Per host, the facts of its newest answered health result and when (``fleet inventory join``)."""
    return store_health.latest_facts(store, hosts)
