"""Reading a stored sweep back: check results joined with host rows, filtered (``fleet health show``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from fleet.health.report import resolve_run
from fleet.store import RunRecord, Store
from fleet.store import schema as t


def load_results(store: Store, run_id: str | None, *, practices: Sequence[str] = (), clients: Sequence[str] = (),
                 hosts: Sequence[str] = (), states: Sequence[str] | None = None,
                 ) -> tuple[RunRecord, list[dict[str, Any]]]:
    run = resolve_run(store, run_id)
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
