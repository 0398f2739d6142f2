"""Per-practice locks for everything that changes hosts: one deploy per practice at a time.

* SQLite store (one controller): ``flock`` on ``state/locks/<practice>.lock``; the holder writes
  who it is into the file. The kernel releases the lock when the holder dies, even by SIGKILL.
* PostgreSQL store (possibly several controllers): a session advisory lock per practice
  (``pg_try_advisory_lock``) on a connection held for the whole deploy, and the holder in the
  ``locks`` table. The server releases the lock when that connection goes, whatever killed it.

All the practices of a deploy are taken together or not at all (no deadlock between two deploys
over overlapping practices). Busy: ``LockBusy`` names the holder (user, machine, pid, start,
command), or with ``wait`` the caller polls until they are free.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import json
import os
import re
import shlex
import socket
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from fleet.errors import FleetError
from fleet.store import schema as t

PG_LOCK_SPACE = 7274152  # first key of fleet's practice advisory locks (the second: crc32 of the name)
POLL = 0.5
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class LockBusy(FleetError):
    """Another fleet holds the lock of a practice this command needs."""

    def __init__(self, practice: str, holder: dict[str, Any]) -> None:
        super().__init__(f"practice {practice} is busy: {describe_holder(holder)}",
                         hint="wait for that run to finish (`fleet runs`), or pass --wait to start when it has")
        self.practice = practice
        self.holder = holder


def holder_info(command: str | None = None) -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except Exception:
        user = ""
    return {"user": user, "controller": socket.gethostname(), "pid": os.getpid(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": (command or shlex.join(["fleet", *sys.argv[1:]]))[:300]}


def describe_holder(h: dict[str, Any]) -> str:
    if not h:
        return "held by another fleet (who is not recorded)"
    return (f"held by {h.get('user') or '?'}@{h.get('controller') or '?'} (pid {h.get('pid', '?')}) "
            f"since {h.get('started', '?')}: {h.get('command', '')}").rstrip(": ")


class _FileLock:
    def __init__(self, directory: Path, practice: str) -> None:
        name = practice if _SAFE_NAME.match(practice) else hashlib.sha256(practice.encode()).hexdigest()[:32]
        self.path = directory / f"{name}.lock"
        self.fd: int | None = None

    def try_acquire(self, info: dict[str, Any]) -> dict[str, Any] | None:
        """None when acquired; else the holder."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                raw = os.pread(fd, 4096, 0)
                holder = json.loads(raw.decode()) if raw.strip() else {}
            except (OSError, ValueError):
                holder = {}
            os.close(fd)
            return holder if isinstance(holder, dict) else {}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self.fd = fd
        return None

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None


class _PgLock:
    def __init__(self, conn: sa.Connection, practice: str) -> None:
        self.conn = conn
        self.practice = practice
        self.key = zlib.crc32(practice.encode()) - 2**31  # a signed int4
        self.held = False

    def try_acquire(self, info: dict[str, Any]) -> dict[str, Any] | None:
        got = self.conn.execute(sa.text("SELECT pg_try_advisory_lock(:a, :b)"),
                                {"a": PG_LOCK_SPACE, "b": self.key}).scalar()
        name = f"practice:{self.practice}"
        if not got:
            row = self.conn.execute(sa.select(t.locks.c.holder).where(t.locks.c.name == name)).first()
            return dict(row[0]) if row and isinstance(row[0], dict) else {}
        self.held = True
        self.conn.execute(t.locks.delete().where(t.locks.c.name == name))
        self.conn.execute(t.locks.insert().values(name=name, holder=info, acquired_at=datetime.now(UTC)))
        return None

    def release(self) -> None:
        if self.held:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self.conn.execute(t.locks.delete().where(t.locks.c.name == f"practice:{self.practice}"))
                self.conn.execute(sa.text("SELECT pg_advisory_unlock(:a, :b)"), {"a": PG_LOCK_SPACE, "b": self.key})
            self.held = False


@contextlib.contextmanager
def practice_locks(store: Any, state_dir: Path, practices: Sequence[str], command: str | None = None,
                   wait: float | None = None, on_wait: Callable[[str, dict[str, Any]], None] | None = None,
                   ) -> Iterator[None]:
    """Hold the locks of ``practices`` for the block. Busy: ``LockBusy``, or with ``wait`` (seconds,
    ``math.inf`` for no limit) retry until free; ``on_wait(practice, holder)`` is called once per holder."""
    info = holder_info(command)
    names = sorted(set(practices))
    conn: sa.Connection | None = None
    if store.is_postgres:
        conn = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        locks: list[Any] = [_PgLock(conn, p) for p in names]
    else:
        directory = state_dir / "locks"
        directory.mkdir(mode=0o700, exist_ok=True)
        locks = [_FileLock(directory, p) for p in names]
    deadline = None if wait is None else time.monotonic() + wait
    seen: set[str] = set()
    try:
        while True:
            busy = None
            for lock, practice in zip(locks, names, strict=True):
                holder = lock.try_acquire(info)
                if holder is not None:
                    busy = (practice, holder)
                    break
            if busy is None:
                break
            for lock in locks:  # all or nothing
                lock.release()
            if deadline is None or time.monotonic() >= deadline:
                raise LockBusy(*busy)
            key = json.dumps(busy[1], sort_keys=True)
            if on_wait is not None and key not in seen:
                seen.add(key)
                on_wait(*busy)
            time.sleep(POLL)
        yield
    finally:
        for lock in locks:
            lock.release()
        if conn is not None:
            conn.invalidate()  # really close it: the server drops whatever this session still held
            conn.close()
