"""Health sweeps in the store: what the sweep writes, and the queries show, report and prune read.

The health package builds rows and judges; only this module speaks SQL about sweeps. ``kind`` is
the run kind of a sweep (``fleet.health.model.HEALTH_KIND``), passed in so the store does not
depend on health.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from fleet.store import schema as t
from fleet.store.db import Store
from fleet.store.records import CheckResult, HostResult

PRUNED_TABLES = ("host_results", "check_results", "health_practices")


# -- writes ---------------------------------------------------------------------------------------

def record_host(store: Store, run_id: str, host: HostResult, checks: Iterable[CheckResult]) -> None:
    """One host's row and all its check rows in ONE transaction: a sweep killed at any moment
    leaves each host either fully recorded or absent."""
    record_hosts(store, run_id, [(host, checks)])


def record_hosts(store: Store, run_id: str,
                 judged: Sequence[tuple[HostResult, Iterable[CheckResult]]]) -> None:
    """Several hosts' rows and all their check rows in ONE transaction (each host whole, or none of
    them): a sweep stores at once the answers that came in together, one commit for all."""
    if not judged:
        return
    now = datetime.now(UTC)
    hrows = [{"run_id": run_id, "host": h.host, "practice_id": h.practice_id, "client_id": h.client_id,
              "status": h.status, "ok": h.ok, "changed": h.changed, "failures": h.failures,
              "message": h.message[:4000], "facts": h.facts, "recorded_at": h.recorded_at or now}
             for h, _ in judged]
    crows = [{"run_id": run_id, "host": c.host, "practice_id": c.practice_id, "client_id": c.client_id,
              "check_id": c.check_id, "state": c.state, "message": c.message[:2000], "value": c.value[:500],
              "recorded_at": c.recorded_at or now} for _, checks in judged for c in checks]
    with store.engine.begin() as conn:
        conn.execute(t.host_results.insert(), hrows)
        if crows:
            conn.execute(t.check_results.insert(), crows)


def replace_practice_rows(store: Store, run_id: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """The sweep's per-practice roll-up rows (``health_practices``), replacing any it stored before."""
    if rows:
        with store.engine.begin() as conn:
            conn.execute(t.health_practices.delete().where(t.health_practices.c.run_id == run_id))
            conn.execute(t.health_practices.insert(), [dict(r, run_id=run_id) for r in rows])


def prune_runs(store: Store, kind: str, cutoff: datetime, keep_last: int) -> dict[str, int]:
    """Delete finished runs of ``kind`` started before ``cutoff`` with their rows, keeping the newest
    ``keep_last`` runs of that kind whatever their age; the counts deleted per table."""
    counts = {"runs": 0, **dict.fromkeys(PRUNED_TABLES, 0)}
    with store.engine.begin() as conn:
        keep = {r[0] for r in conn.execute(
            sa.select(t.runs.c.id).where(t.runs.c.kind == kind)
            .order_by(t.runs.c.started_at.desc()).limit(keep_last))} if keep_last else set()
        doomed = [r[0] for r in conn.execute(
            sa.select(t.runs.c.id).where(t.runs.c.kind == kind, t.runs.c.started_at < cutoff,
                                         t.runs.c.finished_at.is_not(None)))
                  if r[0] not in keep]
        for i in range(0, len(doomed), 500):
            chunk = doomed[i:i + 500]
            for name in PRUNED_TABLES:
                table = getattr(t, name)
                counts[name] += conn.execute(table.delete().where(table.c.run_id.in_(chunk))).rowcount
            counts["runs"] += conn.execute(t.runs.delete().where(t.runs.c.id.in_(chunk))).rowcount
    return counts


# -- reads ----------------------------------------------------------------------------------------

def practice_rows(store: Store, run_id: str, client: str | None = None) -> list[dict[str, Any]]:
    """The sweep's stored per-practice roll-up rows, by client and practice."""
    hp = t.health_practices
    q = sa.select(hp).where(hp.c.run_id == run_id).order_by(hp.c.client_id, hp.c.practice_id)
    if client:
        q = q.where(hp.c.client_id == client)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def host_rows(store: Store, run_id: str) -> list[tuple[str, str, str, str, dict[str, Any] | None]]:
    """(host, practice, client, status, facts) of every host the sweep recorded."""
    h = t.host_results.c
    q = sa.select(h.host, h.practice_id, h.client_id, h.status, h.facts).where(h.run_id == run_id)
    with store.engine.connect() as conn:
        return [(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(q)]


def check_states(store: Store, run_id: str, client: str | None = None) -> dict[tuple[str, str], str]:
    """(host, check) -> state of one sweep (one client's, with ``client``)."""
    c = t.check_results.c
    q = sa.select(c.host, c.check_id, c.state).where(c.run_id == run_id)
    if client:
        q = q.where(c.client_id == client)
    with store.engine.connect() as conn:
        return {(h, k): s for h, k, s in conn.execute(q)}


def check_rows(store: Store, run_id: str, *, practices: Sequence[str] = (), clients: Sequence[str] = (),
               hosts: Sequence[str] = (), states: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """A sweep's check results with their host's last-seen time, filtered (``fleet health show``)."""
    c, h = t.check_results.c, t.host_results.c
    q = (sa.select(c.client_id, c.practice_id, c.host, c.check_id, c.state, c.message, c.value, h.facts)
         .select_from(t.check_results.outerjoin(t.host_results, sa.and_(h.run_id == c.run_id, h.host == c.host)))
         .where(c.run_id == run_id).order_by(c.client_id, c.practice_id, c.host, c.check_id))
    if practices:
        q = q.where(c.practice_id.in_(list(practices)))
    if clients:
        q = q.where(c.client_id.in_(list(clients)))
    if hosts:
        q = q.where(c.host.in_(list(hosts)))
    if states:
        q = q.where(c.state.in_(list(states)))
    with store.engine.connect() as conn:
        return [{"client": r[0], "practice": r[1], "host": r[2], "check": r[3], "state": r[4], "message": r[5],
                 "value": r[6], "last_seen": ((r[7] or {}).get("last_seen") or "")} for r in conn.execute(q)]


def run_ids_with_prefix(store: Store, kind: str, prefix: str, limit: int = 2) -> list[str]:
    """Ids of runs of ``kind`` starting with ``prefix`` (at most ``limit``: enough to see ambiguity)."""
    like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(
            sa.select(t.runs.c.id).where(t.runs.c.id.like(like, escape="\\")).where(t.runs.c.kind == kind)
            .limit(limit))]


def earlier_run_ids(store: Store, kind: str, before: datetime, limit: int) -> list[str]:
    """The finished runs of ``kind`` started before ``before``, newest first."""
    q = (sa.select(t.runs.c.id).where(t.runs.c.kind == kind, t.runs.c.started_at < before,
                                      t.runs.c.finished_at.is_not(None))
         .order_by(t.runs.c.started_at.desc()).limit(limit))
    with store.engine.connect() as conn:
        return [r[0] for r in conn.execute(q)]


def trend_rows(store: Store, kind: str, run_id: str, until: datetime, history: int, client: str | None = None,
               ) -> tuple[list[tuple[str, datetime]], list[tuple[str, str, int, int, int, int]]]:
    """Up to ``history`` runs of ``kind`` ending with ``run_id`` (newest first: id, started), and one
    aggregate over their stored roll-ups: (run, state, practices, covered, total, unknown)."""
    q = (sa.select(t.runs.c.id, t.runs.c.started_at)
         .where(t.runs.c.kind == kind, t.runs.c.started_at <= until)
         .where(sa.or_(t.runs.c.finished_at.is_not(None), t.runs.c.id == run_id))
         .order_by(t.runs.c.started_at.desc()).limit(max(1, history)))
    hp = t.health_practices
    with store.engine.connect() as conn:
        runs = [(r[0], r[1]) for r in conn.execute(q)]
        aq = (sa.select(hp.c.run_id, hp.c.state, sa.func.count(), sa.func.sum(hp.c.workstations_covered),
                        sa.func.sum(hp.c.workstations_total), sa.func.sum(hp.c.workstations_unknown))
              .where(hp.c.run_id.in_([r[0] for r in runs])).group_by(hp.c.run_id, hp.c.state))
        if client:
            aq = aq.where(hp.c.client_id == client)
        agg = [(r[0], r[1], int(r[2]), int(r[3] or 0), int(r[4] or 0), int(r[5] or 0)) for r in conn.execute(aq)]
    return runs, agg


def latest_facts(store: Store, hosts: Iterable[str]) -> dict[str, tuple[dict[str, Any], datetime]]:
    """Per host, the facts of its newest answered (``ok``) result and when they were recorded (hosts
    never answered are absent). One indexed query per 500 hosts, reading only the newest rows."""
    hr = t.host_results
    out: dict[str, tuple[dict[str, Any], datetime]] = {}
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
