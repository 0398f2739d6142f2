"""Onboarding records in the store: each practice's lifecycle state and history, and the checklist
items technicians confirmed (tables of migration 5). Every change is one transaction that writes
the current row and its history event together, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from fleet.store import schema as t
from fleet.store.db import Store, _aware, _now, store_error

CREATED = "created"  # a practice with no row
T = TypeVar("T")


@dataclass(frozen=True)
class LifecycleRecord:
    practice_id: str
    state: str
    since: dt.datetime | None  # None: never recorded (created, as far as fleet knows)
    scheduled_for: dt.date | None = None
    note: str = ""
    updated_by: str = ""
    source: str = ""


@dataclass(frozen=True)
class Confirmation:
    """A technician's confirmation of one checklist item."""

    item_id: str
    by: str
    at: dt.datetime
    note: str = ""


@dataclass(frozen=True)
class PracticeEvent:
    practice_id: str
    at: dt.datetime
    by: str
    source: str  # technician | fleet
    kind: str  # state | confirm | unconfirm | note | coverage (a sweep saw) | deployed (a deploy wrote)
    state: str = ""
    item: str = ""
    scheduled_for: dt.date | None = None
    note: str = ""


def _chunks(ids: list[str], n: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(ids), n):
        yield ids[i:i + n]


def lifecycles(store: Store, practice_ids: Iterable[str] | None = None) -> dict[str, LifecycleRecord]:
    """Recorded lifecycle rows (practices without one are "created")."""
    q = sa.select(t.practice_lifecycle)
    with store.engine.connect() as conn:
        if practice_ids is None:
            rows = list(conn.execute(q).mappings())
        else:
            rows = [r for chunk in _chunks(list(practice_ids))
                    for r in conn.execute(q.where(t.practice_lifecycle.c.practice_id.in_(chunk))).mappings()]
    return {r["practice_id"]: LifecycleRecord(r["practice_id"], r["state"], _aware(r["since"]), r["scheduled_for"],
                                              r["note"], r["updated_by"], r["source"]) for r in rows}


def _event(conn: sa.Connection, ev: PracticeEvent) -> None:
    conn.execute(t.practice_events.insert().values(
        practice_id=ev.practice_id, at=ev.at, by=ev.by[:100], source=ev.source, kind=ev.kind, state=ev.state,
        item=ev.item, scheduled_for=ev.scheduled_for, note=ev.note[:2000]))


def _retrying(store: Store, fn: Callable[[sa.Connection], T]) -> T:
    """Run ``fn(conn)`` in a transaction; once more if a concurrent writer inserted the same row first."""
    try:
        with store.engine.begin() as conn:
            return fn(conn)
    except IntegrityError:
        pass  # the second time it sees the other writer's row
    with store.engine.begin() as conn:
        return fn(conn)


def set_state(store: Store, practice_id: str, client_id: str, state: str, *, by: str, source: str,
              note: str = "", scheduled_for: dt.date | None = None,
              only_from: Collection[str] | None = None, at: dt.datetime | None = None) -> bool:
    """Record a lifecycle state (with the engineer's date, or None) and its history event. With
    ``only_from``, change nothing (and
    return False) unless the current state is one of those (fleet's own moves never overwrite a
    technician's later state)."""
    lc = t.practice_lifecycle

    def write(conn: sa.Connection) -> bool:
        q = sa.select(lc.c.state, lc.c.scheduled_for).where(lc.c.practice_id == practice_id)
        if store.is_postgres:
            q = q.with_for_update()
        row = conn.execute(q).first()
        current = row[0] if row else CREATED
        if only_from is not None and current not in only_from:
            return False
        when = scheduled_for
        since = at or _now()
        values = {"client_id": client_id, "state": state, "since": since, "scheduled_for": when,
                  "note": note[:2000], "updated_by": by[:100], "source": source}
        if row:
            conn.execute(lc.update().where(lc.c.practice_id == practice_id).values(**values))
        else:
            conn.execute(lc.insert().values(practice_id=practice_id, **values))
        _event(conn, PracticeEvent(practice_id, since, by, source, "state", state,
                                   scheduled_for=when, note=note))
        return True

    return bool(_retrying(store, write))


def add_events(store: Store, events_: Iterable[PracticeEvent]) -> None:
    """History events that change no state (e.g. what a sweep saw), in one transaction. A database
    error is a StoreError."""
    evs = list(events_)
    if evs:
        try:
            with store.engine.begin() as conn:
                for ev in evs:
                    _event(conn, ev)
        except SQLAlchemyError as exc:
            raise store_error(exc, store.url) from None


def add_note(store: Store, practice_id: str, note: str, *, by: str) -> None:
    """A note in the practice's history (and on its current state)."""
    with store.engine.begin() as conn:
        conn.execute(t.practice_lifecycle.update().where(t.practice_lifecycle.c.practice_id == practice_id)
                     .values(note=note[:2000]))
        _event(conn, PracticeEvent(practice_id, _now(), by, "technician", "note", note=note))


def confirm(store: Store, practice_id: str, item: str, *, by: str, note: str = "",
            at: dt.datetime | None = None) -> Confirmation:
    ck = t.practice_checklist
    at = at or _now()

    def write(conn: sa.Connection) -> None:
        conn.execute(ck.delete().where(ck.c.practice_id == practice_id, ck.c.item == item))
        conn.execute(ck.insert().values(practice_id=practice_id, item=item, confirmed_by=by[:100], confirmed_at=at,
                                        note=note[:2000]))
        _event(conn, PracticeEvent(practice_id, at, by, "technician", "confirm", item=item, note=note))

    _retrying(store, write)
    return Confirmation(item, by, at, note)


def unconfirm(store: Store, practice_id: str, item: str, *, by: str, note: str = "") -> bool:
    ck = t.practice_checklist
    with store.engine.begin() as conn:
        gone = conn.execute(ck.delete().where(ck.c.practice_id == practice_id, ck.c.item == item)).rowcount
        if gone:
            _event(conn, PracticeEvent(practice_id, _now(), by, "technician", "unconfirm", item=item, note=note))
    return bool(gone)


def confirmations(store: Store, practice_ids: Iterable[str] | None = None) -> dict[str, dict[str, Confirmation]]:
    q = sa.select(t.practice_checklist)
    with store.engine.connect() as conn:
        if practice_ids is None:
            rows = list(conn.execute(q).mappings())
        else:
            rows = [r for chunk in _chunks(list(practice_ids))
                    for r in conn.execute(q.where(t.practice_checklist.c.practice_id.in_(chunk))).mappings()]
    out: dict[str, dict[str, Confirmation]] = {}
    for r in rows:
        out.setdefault(r["practice_id"], {})[r["item"]] = Confirmation(
            r["item"], r["confirmed_by"], _aware(r["confirmed_at"]), r["note"])
    return out


def events(store: Store, practice_id: str, limit: int = 100) -> list[PracticeEvent]:
    """The practice's history, oldest first (the newest ``limit``)."""
    pe = t.practice_events
    q = sa.select(pe).where(pe.c.practice_id == practice_id).order_by(pe.c.at.desc(), pe.c.id.desc()).limit(limit)
    with store.engine.connect() as conn:
        rows = list(conn.execute(q).mappings())
    return [PracticeEvent(r["practice_id"], _aware(r["at"]), r["by"], r["source"], r["kind"], r["state"],
                          r["item"], r["scheduled_for"], r["note"]) for r in reversed(rows)]


@dataclass(frozen=True)
class CoverageSeen:
    """A practice's workstation coverage in the newest health sweep that rolled it up."""

    covered: int
    total: int
    unknown: int
    at: dt.datetime
    run_id: str


def coverage_seen(store: Store, practice_ids: Iterable[str]) -> dict[str, CoverageSeen]:
    """Per practice, the coverage of the newest finished sweep that judged it (practices no sweep
    has judged are absent). One indexed query per 500 practices; a database error is a StoreError."""
    hp = t.health_practices
    out: dict[str, CoverageSeen] = {}
    try:
        with store.engine.connect() as conn:
            for chunk in _chunks(list(practice_ids)):
                newest = (sa.select(hp.c.practice_id, sa.func.max(hp.c.recorded_at).label("at"))
                          .where(hp.c.practice_id.in_(chunk)).group_by(hp.c.practice_id).subquery())
                q = (sa.select(hp.c.practice_id, hp.c.workstations_covered, hp.c.workstations_total,
                               hp.c.workstations_unknown, hp.c.recorded_at, hp.c.run_id)
                     .join(newest, sa.and_(hp.c.practice_id == newest.c.practice_id,
                                           hp.c.recorded_at == newest.c.at)))
                for r in conn.execute(q):
                    out[r[0]] = CoverageSeen(r[1], r[2], r[3], _aware(r[4]), r[5])
    except SQLAlchemyError as exc:
        raise store_error(exc, store.url, "read") from None
    return out
