"""Alert state in the store: per alert target and (host, check), what was seen and what was sent.

``fleet.alerts`` decides (debounce, severity, which events are due); this module holds the
lock and speaks SQL: ``fold`` reads a sweep's check rows and the target's state and writes the
rows the caller's pure ``decide`` function returns, in one transaction.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from fleet.store import schema as t
from fleet.store.db import Store

ALERT_LOCK_KEY = 7274152  # PostgreSQL advisory lock id of alert sending (store migrations use 7274151)

# decide(check rows of the sweep, state rows by (host, check)) -> (rows to insert, rows to update)
Decide = Callable[[Sequence[Any], Mapping[tuple[str, str], Any]],
                  tuple[list[dict[str, Any]], list[dict[str, Any]]]]


@contextmanager
def alert_lock(store: Store) -> Iterator[None]:
    """One alert sender at a time per store (the nightly job and a manual rerun, two controllers),
    held from reading the state to marking what was delivered, so nothing is sent twice.

    PostgreSQL: a session advisory lock. SQLite (one machine by nature): an flock on a file beside
    the database, so the database itself is never locked while webhooks are being called."""
    if store.is_postgres:
        with store.engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": ALERT_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ALERT_LOCK_KEY})
                conn.commit()
        return
    db = store.engine.url.database
    if not db or db == ":memory:":
        yield
        return
    with open(f"{db}.alerts.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def fold(store: Store, target: str, run_id: str, decide: Decide) -> tuple[list[Any], list[Any]]:
    """Fold sweep ``run_id`` into ``target``'s state: in one transaction, read the sweep's check rows
    and the target's state, write what ``decide`` returns (updates keyed by ``k_host``/``k_check``),
    and return (the sweep's check rows, the target's state rows this sweep touched)."""
    a, cr = t.alert_state, t.check_results
    with store.engine.begin() as conn:
        rows = conn.execute(sa.select(cr.c.host, cr.c.practice_id, cr.c.client_id, cr.c.check_id, cr.c.state,
                                      cr.c.message, cr.c.value).where(cr.c.run_id == run_id)).all()
        state = {(r.host, r.check_id): r for r in conn.execute(sa.select(a).where(a.c.target == target))}
        inserts, updates = decide(rows, state)
        if inserts:
            conn.execute(a.insert(), [dict(r, target=target) for r in inserts])
        if updates:
            conn.execute(a.update().where(a.c.target == target, a.c.host == sa.bindparam("k_host"),
                                          a.c.check_id == sa.bindparam("k_check")), updates)
        due = conn.execute(sa.select(a).where(a.c.target == target, a.c.last_run_id == run_id)).all()
    return list(rows), list(due)


def mark(store: Store, target: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """Record what was delivered (rows keyed by ``k_host``/``k_check``: ``alerted``, ``alerted_state``)."""
    a = t.alert_state
    if rows:
        with store.engine.begin() as conn:
            conn.execute(a.update().where(a.c.target == target, a.c.host == sa.bindparam("k_host"),
                                          a.c.check_id == sa.bindparam("k_check")), list(rows))


def state_rows(store: Store, target: str | None = None) -> list[dict[str, Any]]:
    """The stored alert state, by target, host and check."""
    q = sa.select(t.alert_state).order_by(t.alert_state.c.target, t.alert_state.c.host, t.alert_state.c.check_id)
    if target:
        q = q.where(t.alert_state.c.target == target)
    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
