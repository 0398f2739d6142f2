"""Reading a stored sweep back: check results joined with host rows, filtered (``fleet health show``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from fleet.errors import FleetError
from fleet.health.model import HEALTH_KIND
from fleet.store import RunRecord, Store
from fleet.store import schema as t


class NoSweepError(FleetError):
    """There is no such health sweep in the store."""


def find_run(store: Store, run_id: str | None) -> RunRecord:
    """A health run by id or unique id prefix; the newest health run when ``run_id`` is None."""
    if not run_id:
        run = store.last_run(HEALTH_KIND, finished_only=False)
        if run is None:
            raise NoSweepError("no health sweep in the store yet", hint="run `fleet health` first")
        return run
    like = run_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with store.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.select(t.runs.c.id).where(
            t.runs.c.kind == HEALTH_KIND, t.runs.c.id.like(like, escape="\\")).limit(2))]
    if len(ids) != 1:
        raise NoSweepError(f"{'no' if not ids else 'more than one'} health sweep with id {run_id!r}",
                           hint="`fleet health show` without --run shows the latest sweep")
    run = store.run(ids[0])
    assert run is not None
    return run


def load_results(store: Store, run_id: str | None, *, practices: Sequence[str] = (), clients: Sequence[str] = (),
                 hosts: Sequence[str] = (), states: Sequence[str] | None = None,
                 ) -> tuple[RunRecord, list[dict[str, Any]]]:
    run = find_run(store, run_id)
    c, h = t.check_results.c, t.host_results.c
    q = (sa.select(c.client_id, c.practice_id, c.host, c.check_id, c.state, c.message, c.value, h.facts)
         .select_from(t.check_results.outerjoin(t.host_results, sa.and_(h.run_id == c.run_id, h.host == c.host)))
         .where(c.run_id == run.id).order_by(c.client_id, c.practice_id, c.host, c.check_id))
    if practices:
        q = q.where(c.practice_id.in_(list(practices)))
    if clients:
        q = q.where(c.client_id.in_(list(clients)))
    if hosts:
        q = q.where(c.host.in_(list(hosts)))
    if states:
        q = q.where(c.state.in_(list(states)))
    with store.engine.connect() as conn:
        rows = [{"client": r[0], "practice": r[1], "host": r[2], "check": r[3], "state": r[4], "message": r[5],
                 "value": r[6], "last_seen": ((r[7] or {}).get("last_seen") or "")} for r in conn.execute(q)]
    return run, rows
