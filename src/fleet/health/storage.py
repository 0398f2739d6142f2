"""Health's writes and reads on the central store (``fleet.store``), beyond the Store's own API.

- ``record_host``: one host's row and all its check rows in ONE transaction, so a sweep killed at
  any moment leaves each host either fully recorded or absent.
- ``record_practices``: the per-practice roll-ups at the end of a sweep.
- ``close_stale_runs``: health runs left "running" by a killed sweep become "interrupted".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from fleet.health.model import HEALTH_KIND
from fleet.health.rollup import PracticeRollup
from fleet.store import CheckResult, HostResult, Store, lifecycle
from fleet.store import schema as t

STALE_ELSEWHERE = lifecycle.STALE_HEARTBEAT  # a run of another controller silent this long is dead


def record_host(store: Store, run_id: str, host: HostResult, checks: Iterable[CheckResult]) -> None:
    now = datetime.now(UTC)
    hrow = {"run_id": run_id, "host": host.host, "practice_id": host.practice_id, "client_id": host.client_id,
            "status": host.status, "ok": host.ok, "changed": host.changed, "failures": host.failures,
            "message": host.message[:4000], "facts": host.facts, "recorded_at": host.recorded_at or now}
    crows = [{"run_id": run_id, "host": c.host, "practice_id": c.practice_id, "client_id": c.client_id,
              "check_id": c.check_id, "state": c.state, "message": c.message[:2000], "value": c.value[:500],
              "recorded_at": c.recorded_at or now} for c in checks]
    with store.engine.begin() as conn:
        conn.execute(t.host_results.insert(), [hrow])
        if crows:
            conn.execute(t.check_results.insert(), crows)


def record_practices(store: Store, run_id: str, rollups: Sequence[PracticeRollup]) -> None:
    now = datetime.now(UTC)
    rows = [{"run_id": run_id, "practice_id": r.practice_id, "client_id": r.client_id, "state": r.state.value,
             "install_method": r.install_method, "workstations_total": r.coverage.total,
             "workstations_covered": r.coverage.covered, "workstations_unknown": r.coverage.unknown,
             "coverage_state": r.coverage_state.value if r.coverage_state else "",
             "servers_total": r.servers_total, "servers_ok": r.servers_ok, "hosts_total": r.hosts_total,
             "hosts_unreachable": r.hosts_unreachable, "message": r.message()[:2000], "recorded_at": now}
            for r in rollups]
    if rows:
        with store.engine.begin() as conn:
            conn.execute(t.health_practices.delete().where(t.health_practices.c.run_id == run_id))
            conn.execute(t.health_practices.insert(), rows)


def practice_rows(store: Store, run_id: str) -> list[dict]:
    q = (sa.select(t.health_practices).where(t.health_practices.c.run_id == run_id)
         .order_by(t.health_practices.c.client_id, t.health_practices.c.practice_id))
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


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
    cutoff = (now or datetime.now(UTC)) - older_than
    counts = {"runs": 0, "host_results": 0, "check_results": 0, "health_practices": 0}
    with store.engine.begin() as conn:
        keep = {r[0] for r in conn.execute(
            sa.select(t.runs.c.id).where(t.runs.c.kind == HEALTH_KIND)
            .order_by(t.runs.c.started_at.desc()).limit(keep_last))} if keep_last else set()
        doomed = [r[0] for r in conn.execute(
            sa.select(t.runs.c.id).where(t.runs.c.kind == HEALTH_KIND, t.runs.c.started_at < cutoff,
                                         t.runs.c.finished_at.is_not(None)))
                  if r[0] not in keep]
        for i in range(0, len(doomed), 500):
            chunk = doomed[i:i + 500]
            for name in ("host_results", "check_results", "health_practices"):
                table = getattr(t, name)
                counts[name] += conn.execute(table.delete().where(table.c.run_id.in_(chunk))).rowcount
            counts["runs"] += conn.execute(t.runs.delete().where(t.runs.c.id.in_(chunk))).rowcount
    return counts


def latest_facts(store: Store, hosts: Iterable[str]) -> dict[str, tuple[dict, datetime]]:
    """Per host, the facts of its newest answered (``ok``) health result and when they were recorded
    (hosts never answered are absent). One indexed query per 500 hosts, newest rows only."""
    hr = t.host_results
    out: dict[str, tuple[dict, datetime]] = {}
    names = list(dict.fromkeys(hosts))
    with store.engine.connect() as conn:
        for i in range(0, len(names), 500):
            chunk = names[i:i + 500]
            newest = (sa.select(hr.c.host, sa.func.max(hr.c.recorded_at).label("at"))
                      .where(hr.c.host.in_(chunk), hr.c.status == "ok").group_by(hr.c.host).subquery())
            q = (sa.select(hr.c.host, hr.c.facts, hr.c.recorded_at)
                 .join(newest, sa.and_(hr.c.host == newest.c.host, hr.c.recorded_at == newest.c.at))
                 .where(hr.c.status == "ok"))
            for host, facts, at in conn.execute(q):
                if isinstance(facts, dict):
                    out[host] = (facts, at if at.tzinfo else at.replace(tzinfo=UTC))
    return out
