"""The Store: one class over SQLite and PostgreSQL (SQLAlchemy Core)."""

from __future__ import annotations

import getpass
import os
import socket
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from fleet import __version__
from fleet.errors import FleetError
from fleet.store import lifecycle
from fleet.store import schema as t
from fleet.store.records import AuditEvent, CheckResult, HostResult, RunRecord

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry


class StoreError(FleetError):
    """The store cannot be opened, migrated or written."""


def _now() -> datetime:
    return datetime.now(UTC)


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
@overload
def _aware(value: datetime | None) -> datetime | None: ...


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we write is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def safe_url(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<store url>"


class Store:
    """Runs and results over SQLite or PostgreSQL. Opening it (``reap=True``, the default) also
    closes the runs a killed fleet left "running" (``fleet.store.lifecycle``): they are in
    ``self.reaped``."""

    def __init__(self, url: str, *, migrate: bool = True, reap: bool = True) -> None:
        self.url = url
        self.reaped: list[lifecycle.StaleRun] = []
        try:
            if url.startswith("sqlite:///"):
                _private_sqlite_file(Path(url[len("sqlite:///"):]))
                self.engine = sa.create_engine(url, connect_args={"timeout": 30})
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = sa.create_engine(url, pool_pre_ping=True)
            if migrate:
                self.migrate()
                if reap:
                    self.reaped = lifecycle.close_stale_runs(self.engine)
        except SQLAlchemyError as exc:
            raise store_error(exc, url, "open") from None
        except OSError as exc:
            raise StoreError(f"cannot open the store {safe_url(url)}: {exc.strerror or exc}"
                             + (f" ({exc.filename})" if exc.filename else ""),
                             hint="check that the store's directory exists, is writable and has free space "
                                  "(store.url in fleet.yml or $FLEET_STORE_URL)") from None
        except ModuleNotFoundError as exc:
            raise StoreError(f"the store {safe_url(url)} needs the Python package {exc.name}",
                             hint="pip install 'fleet[postgres]'") from None

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()

    # -- migrations -------------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Upgrade the schema to the newest revision (Alembic, ``fleet.store.migrations``); return
        the revisions applied. All of them in one transaction, under a lock, so several controllers
        starting at once are safe (PostgreSQL advisory lock; a lock file beside a SQLite store). An
        up-to-date store costs one query and never imports Alembic."""
        from fleet.store.migrations import HEAD

        if self.schema_revision() == HEAD:
            return []
        with self._migration_lock(), self.engine.begin() as conn:
            if self.is_postgres:
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7274151)"))
            before = _revision(conn)
            if before == HEAD:  # another controller did it while we waited
                return []
            from alembic import command

            command.upgrade(_alembic_config(conn), "head")
            return pending_revisions(before)

    def schema_revision(self) -> str | None:
        """The store's Alembic revision (None: an empty database, or one from before fleet used Alembic)."""
        with self.engine.connect() as conn:
            return _revision(conn)

    def table_names(self) -> list[str]:
        with self.engine.connect() as conn:
            return sa.inspect(conn).get_table_names()

    def _migration_lock(self) -> AbstractContextManager[None]:
        if self.is_postgres or not self.url.startswith("sqlite:///"):
            return nullcontext()
        return _file_lock(Path(self.url[len("sqlite:///"):] + ".migrate-lock"))

    # -- runs -------------------------------------------------------------------------------------
    def start_run(self, kind: str, selection: dict[str, Any] | None = None,
                  options: dict[str, Any] | None = None) -> RunRecord:
        """A new "running" run owned by this process (``lifecycle.run_marker`` in its options)."""
        rec = RunRecord(id=uuid.uuid4().hex, kind=kind, started_at=_now(), status="running",
                        user=_user(), controller=socket.gethostname(), selection=selection or {},
                        options={**lifecycle.run_marker(), **(options or {})}, fleet_version=__version__)
        with self.engine.begin() as conn:
            conn.execute(t.runs.insert().values(
                id=rec.id, kind=rec.kind, started_at=rec.started_at, status=rec.status, user=rec.user,
                controller=rec.controller, selection=rec.selection, options=rec.options, summary={},
                fleet_version=rec.fleet_version, heartbeat_at=rec.started_at))
        return rec

    def heartbeat(self, run_id: str) -> None:
        """The run's owner is alive (other controllers judge a silent run dead after a while)."""
        with self.engine.begin() as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == run_id, t.runs.c.status == "running")
                         .values(heartbeat_at=_now()))

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any] | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == run_id).values(
                status=status, finished_at=_now(), summary=summary or {}))

    def run(self, run_id: str) -> RunRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.runs).where(t.runs.c.id == run_id)).mappings().first()
        return _run(row) if row else None

    def runs(self, kind: str | None = None, limit: int = 20, finished_only: bool = False) -> list[RunRecord]:
        q = sa.select(t.runs).order_by(t.runs.c.started_at.desc()).limit(limit)
        if kind:
            q = q.where(t.runs.c.kind == kind)
        if finished_only:
            q = q.where(t.runs.c.finished_at.is_not(None))
        with self.engine.connect() as conn:
            return [_run(r) for r in conn.execute(q).mappings()]

    def last_run(self, kind: str, finished_only: bool = True) -> RunRecord | None:
        found = self.runs(kind, limit=1, finished_only=finished_only)
        return found[0] if found else None

    # -- results ----------------------------------------------------------------------------------
    def record_host_results(self, run_id: str, results: Iterable[HostResult]) -> int:
        rows = [{"run_id": run_id, "host": r.host, "practice_id": r.practice_id, "client_id": r.client_id,
                 "status": r.status, "ok": r.ok, "changed": r.changed, "failures": r.failures,
                 "message": r.message[:4000], "facts": r.facts, "recorded_at": r.recorded_at or _now()}
                for r in results]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(t.host_results.insert(), rows)
        return len(rows)

    def record_check_results(self, run_id: str, results: Iterable[CheckResult]) -> int:
        rows = [{"run_id": run_id, "host": r.host, "practice_id": r.practice_id, "client_id": r.client_id,
                 "check_id": r.check_id, "state": r.state, "message": r.message[:2000], "value": r.value[:500],
                 "recorded_at": r.recorded_at or _now()} for r in results]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(t.check_results.insert(), rows)
        return len(rows)

    def record_audit_events(self, run_id: str, events: Iterable[AuditEvent]) -> int:
        rows = [{"run_id": run_id, "host": e.host, "practice_id": e.practice_id, "task": e.task[:400],
                 "action": e.action[:200], "changed": e.changed, "failed": e.failed, "detail": e.detail[:4000],
                 "recorded_at": e.recorded_at or _now()} for e in events]
        if rows:
            with self.engine.begin() as conn:
                conn.execute(t.audit_events.insert(), rows)
        return len(rows)

    def host_results(self, run_id: str) -> list[HostResult]:
        q = sa.select(t.host_results).where(t.host_results.c.run_id == run_id).order_by(t.host_results.c.id)
        with self.engine.connect() as conn:
            return [_host(r) for r in conn.execute(q).mappings()]

    def check_results(self, run_id: str) -> list[CheckResult]:
        q = sa.select(t.check_results).where(t.check_results.c.run_id == run_id).order_by(t.check_results.c.id)
        with self.engine.connect() as conn:
            return [_check(r) for r in conn.execute(q).mappings()]

    def audit_events(self, run_id: str) -> list[AuditEvent]:
        q = sa.select(t.audit_events).where(t.audit_events.c.run_id == run_id).order_by(t.audit_events.c.id)
        with self.engine.connect() as conn:
            return [_audit(r) for r in conn.execute(q).mappings()]

    def last_seen(self, hosts: Sequence[str] | None = None) -> dict[str, datetime]:
        """When each host last answered (any run, status other than unreachable/timed_out/unknown)."""
        q = (sa.select(t.host_results.c.host, sa.func.max(t.host_results.c.recorded_at))
             .where(t.host_results.c.status.not_in(["unreachable", "timed_out", "unknown"]))
             .group_by(t.host_results.c.host))
        if hosts is not None:
            q = q.where(t.host_results.c.host.in_(list(hosts)))
        with self.engine.connect() as conn:
            return {h: _aware(ts) for h, ts in conn.execute(q)}

    # -- retention --------------------------------------------------------------------------------
    def prune(self, older_than: timedelta, keep_last: int = 1) -> dict[str, int]:
        """Delete finished runs older than ``older_than`` (and their results), keeping the newest
        ``keep_last`` runs of each kind whatever their age."""
        cutoff = _now() - older_than
        counts = {"runs": 0, "host_results": 0, "check_results": 0, "audit_events": 0}
        with self.engine.begin() as conn:
            keep: set[str] = set()
            for kind in [r[0] for r in conn.execute(sa.select(t.runs.c.kind).distinct())]:
                keep |= {r[0] for r in conn.execute(
                    sa.select(t.runs.c.id).where(t.runs.c.kind == kind)
                    .order_by(t.runs.c.started_at.desc()).limit(keep_last))}
            doomed = [r[0] for r in conn.execute(
                sa.select(t.runs.c.id).where(t.runs.c.started_at < cutoff, t.runs.c.finished_at.is_not(None)))
                if r[0] not in keep]
            for i in range(0, len(doomed), 500):
                chunk = doomed[i:i + 500]
                for name, table in (("host_results", t.host_results), ("check_results", t.check_results),
                                    ("audit_events", t.audit_events)):
                    counts[name] += conn.execute(table.delete().where(table.c.run_id.in_(chunk))).rowcount
                counts["runs"] += conn.execute(t.runs.delete().where(t.runs.c.id.in_(chunk))).rowcount
        return counts


def store_error(exc: BaseException, url: str, doing: str = "write to") -> StoreError:
    """A clear StoreError for a database error: the store, what happened, how to fix it."""
    text = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
    low = text.lower()
    where = safe_url(url) if url else ""
    if url.startswith("sqlite:///"):
        where = url[len("sqlite:///"):]
    read_only_fs = url.startswith("sqlite:///") and _on_read_only_fs(Path(url[len("sqlite:///"):]))
    where = f" {where}" if where else ""
    if read_only_fs:
        hint = ("the file system holding the store is mounted read-only: remount it read-write or set "
                "store.url elsewhere; everything recorded before is kept")
    elif "disk is full" in low or "no space" in low:
        hint = "free space on the disk holding the store; everything recorded before is kept"
    elif "readonly" in low or "read-only" in low:
        hint = "the store's file or directory is read-only: make it writable or set store.url elsewhere"
    elif "unable to open" in low:
        hint = "check that the store's directory exists and is writable (store.url in fleet.yml)"
    else:
        hint = "check store.url in fleet.yml (or $FLEET_STORE_URL) and that the database server is up"
    return StoreError(f"cannot {doing} the store{where}: {text}", hint=hint)


def _on_read_only_fs(path: Path) -> bool:
    """Whether the file system of ``path`` (or of its nearest existing parent) is mounted read-only."""
    for p in (path, *path.parents):
        try:
            return bool(os.statvfs(p).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def _revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _alembic_config(conn: sa.Connection | None = None) -> Config:
    from alembic.config import Config

    from fleet.store.migrations import SCRIPT_LOCATION

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.attributes["connection"] = conn
    return cfg


def pending_revisions(current: str | None) -> list[str]:
    """The revisions after ``current`` up to the newest, oldest first."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_alembic_config())
    return [r.revision for r in reversed(list(scripts.iterate_revisions("head", current)))]


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Held while the block runs: an exclusive flock on ``path`` (created 0600 if missing)."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _private_sqlite_file(path: Path) -> None:
    """The SQLite store and its directory, private to their owner (the audit trail and health
    history are nobody else's business): the directory 0700 when fleet creates it (and the
    workspace's ``state/`` always), the database 0600, created so before SQLite opens it."""
    parent = path.parent
    if not parent.is_dir():
        parent.mkdir(parents=True, mode=0o700)
    elif parent.name == "state" and parent.stat().st_uid == os.getuid():
        os.chmod(parent, 0o700)
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if p.exists():
            if p.stat().st_uid == os.getuid() and p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)
        elif p == path:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""


def _run(r: Any) -> RunRecord:
    return RunRecord(id=r["id"], kind=r["kind"], started_at=_aware(r["started_at"]), status=r["status"],
                     user=r["user"], controller=r["controller"], selection=r["selection"] or {},
                     options=r["options"] or {}, summary=r["summary"] or {},
                     finished_at=_aware(r["finished_at"]), fleet_version=r["fleet_version"])


def _host(r: Any) -> HostResult:
    return HostResult(host=r["host"], practice_id=r["practice_id"], client_id=r["client_id"], status=r["status"],
                      ok=r["ok"], changed=r["changed"], failures=r["failures"], message=r["message"],
                      facts=r["facts"], recorded_at=_aware(r["recorded_at"]), run_id=r["run_id"])


def _check(r: Any) -> CheckResult:
    return CheckResult(host=r["host"], practice_id=r["practice_id"], client_id=r["client_id"],
                       check_id=r["check_id"], state=r["state"], message=r["message"], value=r["value"],
                       recorded_at=_aware(r["recorded_at"]), run_id=r["run_id"])


def _audit(r: Any) -> AuditEvent:
    return AuditEvent(host=r["host"], task=r["task"], action=r["action"], changed=r["changed"],
                      failed=r["failed"], detail=r["detail"], practice_id=r["practice_id"],
                      recorded_at=_aware(r["recorded_at"]), run_id=r["run_id"])
