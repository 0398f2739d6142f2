"""Who owns a "running" run, and closing the runs whose owner is gone.

Every run records its owner in its options (``controller``: host name, ``pid``, ``pid_start``: the
process's start time in clock ticks since boot, so a reused pid is not mistaken for the owner) and
beats a heartbeat (``runs.heartbeat_at``) while it works. A run still "running" is stale when:

* its owner is on this controller and that process is gone (or is another process with its pid);
* its owner is another controller (a shared PostgreSQL store) and its heartbeat is older than
  ``STALE_HEARTBEAT``.

Stale runs become "interrupted", finished now, and every host the run selected but never recorded
gets an ``unknown`` result ("fleet ended before this host finished"), so ``deploy --retry-failed``
takes them up again. ``Store()`` does this each time it is opened: the next fleet command of any
kind closes what a killed fleet left behind.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from fleet.store import schema as t

STALE_HEARTBEAT = timedelta(minutes=10)  # another controller's run silent this long is dead
HEARTBEAT_EVERY = 30.0  # seconds between a live run's heartbeats
UNFINISHED_STATUS = "unknown"


def proc_start_time(pid: int) -> int | None:
    """The start time of process ``pid`` (clock ticks since boot), or None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def pid_alive(pid: int, start: int | None) -> bool:
    """Process ``pid`` exists and (when ``start`` is known) is the one that started then."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return start is None or proc_start_time(pid) in (None, start)


def run_marker() -> dict[str, Any]:
    """What identifies this process as a run's owner (stored in the run's options)."""
    return {"controller": socket.gethostname(), "pid": os.getpid(), "pid_start": proc_start_time(os.getpid())}


@dataclass(frozen=True)
class StaleRun:
    id: str
    kind: str
    hosts_recorded: int
    hosts_unfinished: int


def is_stale(options: dict[str, Any], started: datetime, heartbeat: datetime | None, now: datetime) -> bool:
    """Whether a "running" run's owner is gone (see the module docstring)."""
    pid = options.get("pid")
    if options.get("controller") == socket.gethostname() and isinstance(pid, int):
        start = options.get("pid_start")
        return not pid_alive(pid, start if isinstance(start, int) else None)
    last = heartbeat or started
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return now - last > STALE_HEARTBEAT


def close_stale_runs(engine: sa.Engine, kind: str | None = None, now: datetime | None = None) -> list[StaleRun]:
    """Mark runs whose owner is gone "interrupted" (each in its own transaction); returns them."""
    now = now or datetime.now(UTC)
    q = sa.select(t.runs.c.id, t.runs.c.kind, t.runs.c.options, t.runs.c.selection, t.runs.c.started_at,
                  t.runs.c.heartbeat_at).where(t.runs.c.status == "running")
    if kind:
        q = q.where(t.runs.c.kind == kind)
    with engine.connect() as conn:
        rows = list(conn.execute(q))
    closed: list[StaleRun] = []
    for rid, rkind, options, selection, started, heartbeat in rows:
        options = options or {}
        if not is_stale(options, started, heartbeat, now):
            continue
        with engine.begin() as conn:
            # only the first of several fleets opening the store at once closes the run
            claimed = conn.execute(t.runs.update().where(t.runs.c.id == rid, t.runs.c.status == "running")
                                   .values(status="interrupted", finished_at=now)).rowcount
            if not claimed:
                continue
            done = {r[0] for r in conn.execute(sa.select(t.host_results.c.host)
                                               .where(t.host_results.c.run_id == rid))}
            selected = [h for h in (selection or {}).get("hosts", []) if isinstance(h, str)]
            missing = [h for h in dict.fromkeys(selected) if h not in done]
            who = f"pid {options.get('pid')} on {options.get('controller') or 'another controller'}"
            if missing and rkind == "deploy":
                practices = (selection or {}).get("host_practices") or {}
                conn.execute(t.host_results.insert(), [
                    {"run_id": rid, "host": h, "practice_id": str(practices.get(h, ["", ""])[0]),
                     "client_id": str(practices.get(h, ["", ""])[1]), "status": UNFINISHED_STATUS,
                     "ok": 0, "changed": 0, "failures": 0, "facts": None, "recorded_at": now,
                     "message": f"not finished: the deploy ({who}) ended before this host finished"}
                    for h in missing])
            conn.execute(t.runs.update().where(t.runs.c.id == rid).values(summary={
                "interrupted": True, "hosts_recorded": len(done), "hosts_unfinished": len(missing),
                "note": f"the {rkind} process ({who}) ended before finishing; recorded hosts are kept"}))
        closed.append(StaleRun(rid, rkind, len(done), len(missing)))
    return closed
