"""A store as fleet 0.1 wrote it before Alembic: its tables and its own migration registry (1-5),
frozen here as they were (src/fleet/store/schema.py and Store.migrate at commit 3f8713a), so the
upgrade test starts from exactly what MSPs have on disk today."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

metadata = sa.MetaData()

schema_migrations = sa.Table(
    "schema_migrations", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False, index=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("user", sa.String(100), nullable=False, default=""),
    sa.Column("controller", sa.String(200), nullable=False, default=""),
    sa.Column("selection", sa.JSON, nullable=False, default=dict),
    sa.Column("options", sa.JSON, nullable=False, default=dict),
    sa.Column("summary", sa.JSON, nullable=False, default=dict),
    sa.Column("fleet_version", sa.String(40), nullable=False, default=""),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),  # a live run's owner beats it (migration 4)
)

host_results = sa.Table(
    "host_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("practice_id", sa.String(120), nullable=False, default=""),
    sa.Column("client_id", sa.String(120), nullable=False, default=""),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("ok", sa.Integer, nullable=False, default=0),
    sa.Column("changed", sa.Integer, nullable=False, default=0),
    sa.Column("failures", sa.Integer, nullable=False, default=0),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("facts", sa.JSON),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("run_id", "host", name="uq_host_results_run_host"),
    sa.Index("ix_host_results_host_time", "host", "recorded_at"),
)

check_results = sa.Table(
    "check_results", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("practice_id", sa.String(120), nullable=False, default=""),
    sa.Column("client_id", sa.String(120), nullable=False, default=""),
    sa.Column("check_id", sa.String(120), nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("value", sa.Text, nullable=False, default=""),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("run_id", "host", "check_id", name="uq_check_results_run_host_check"),
    sa.Index("ix_check_results_host_check_time", "host", "check_id", "recorded_at"),
)

audit_events = sa.Table(
    "audit_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("practice_id", sa.String(120), nullable=False, default=""),
    sa.Column("task", sa.String(400), nullable=False),
    sa.Column("action", sa.String(200), nullable=False, default=""),
    sa.Column("changed", sa.Boolean, nullable=False, default=False),
    sa.Column("failed", sa.Boolean, nullable=False, default=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)


# Alert state per alert target and (host, check): survives between nightly sweeps (fleet.alerts).
alert_state = sa.Table(
    "alert_state", metadata,
    sa.Column("target", sa.String(120), primary_key=True),
    sa.Column("host", sa.String(255), primary_key=True),
    sa.Column("check_id", sa.String(120), primary_key=True),
    sa.Column("practice_id", sa.String(120), nullable=False, default=""),
    sa.Column("client_id", sa.String(120), nullable=False, default=""),
    sa.Column("streak", sa.Integer, nullable=False, default=0),  # consecutive failing sweeps
    sa.Column("alerted", sa.Boolean, nullable=False, default=False),  # a failure alert was delivered
    sa.Column("alerted_state", sa.String(10), nullable=False, default=""),
    sa.Column("last_state", sa.String(10), nullable=False),
    sa.Column("last_message", sa.Text, nullable=False, default=""),
    sa.Column("last_value", sa.Text, nullable=False, default=""),
    sa.Column("last_run_id", sa.String(40), nullable=False),
    sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_alert_state_target_run", "target", "last_run_id"),
)


health_practices = sa.Table(
    # One row per practice per health sweep: the roll-up (worst state, workstation coverage, servers).
    "health_practices", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("practice_id", sa.String(120), nullable=False),
    sa.Column("client_id", sa.String(120), nullable=False, default=""),
    sa.Column("state", sa.String(10), nullable=False),  # worst over the practice's checks and coverage
    sa.Column("install_method", sa.String(40), nullable=False, default=""),
    sa.Column("workstations_total", sa.Integer, nullable=False, default=0),
    sa.Column("workstations_covered", sa.Integer, nullable=False, default=0),
    sa.Column("workstations_unknown", sa.Integer, nullable=False, default=0),
    sa.Column("coverage_state", sa.String(10), nullable=False, default=""),  # "" where no coverage applies
    sa.Column("servers_total", sa.Integer, nullable=False, default=0),
    sa.Column("servers_ok", sa.Integer, nullable=False, default=0),
    sa.Column("hosts_total", sa.Integer, nullable=False, default=0),
    sa.Column("hosts_unreachable", sa.Integer, nullable=False, default=0),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("run_id", "practice_id", name="uq_health_practices_run_practice"),
    sa.Index("ix_health_practices_practice_time", "practice_id", "recorded_at"),
)


locks = sa.Table(
    # Who holds a lock (fleet.store.locks). On PostgreSQL the lock itself is an advisory lock; this
    # row only names its holder for the one refused.
    "locks", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("holder", sa.JSON, nullable=False, default=dict),
    sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
)


# Onboarding (fleet.onboarding): each practice's lifecycle state, its history, and the checklist
# items a technician confirmed. A practice with no row is "created".
practice_lifecycle = sa.Table(
    "practice_lifecycle", metadata,
    sa.Column("practice_id", sa.String(120), primary_key=True),
    sa.Column("client_id", sa.String(120), nullable=False, default=""),
    sa.Column("state", sa.String(40), nullable=False),
    sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    sa.Column("scheduled_for", sa.Date),  # the vendor engineer's install date
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("updated_by", sa.String(100), nullable=False, default=""),
    sa.Column("source", sa.String(20), nullable=False, default=""),  # technician | fleet
)

practice_events = sa.Table(
    "practice_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("practice_id", sa.String(120), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("by", sa.String(100), nullable=False, default=""),
    sa.Column("source", sa.String(20), nullable=False, default=""),  # technician | fleet
    sa.Column("kind", sa.String(20), nullable=False),  # state | confirm | unconfirm | note
    sa.Column("state", sa.String(40), nullable=False, default=""),
    sa.Column("item", sa.String(80), nullable=False, default=""),
    sa.Column("scheduled_for", sa.Date),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Index("ix_practice_events_practice_at", "practice_id", "at"),
)

practice_checklist = sa.Table(
    "practice_checklist", metadata,
    sa.Column("practice_id", sa.String(120), primary_key=True),
    sa.Column("item", sa.String(80), primary_key=True),
    sa.Column("confirmed_by", sa.String(100), nullable=False, default=""),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sa.Connection], None]


def _initial(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[runs, host_results, check_results, audit_events])


def _alert_state(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[alert_state])


def _health_practices(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[health_practices])


def _run_heartbeat(conn: sa.Connection) -> None:
    # Stores made by migration 1 before this column existed get it; new stores already have it.
    if "heartbeat_at" not in {c["name"] for c in sa.inspect(conn).get_columns("runs")}:
        kind = "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"
        conn.execute(sa.text(f"ALTER TABLE runs ADD COLUMN heartbeat_at {kind}"))
    metadata.create_all(conn, tables=[locks])


def _onboarding(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[practice_lifecycle, practice_events, practice_checklist])


# Append new migrations here; never edit an applied one.
MIGRATIONS: list[Migration] = [
    Migration(1, "runs, host results, check results, audit events", _initial),
    Migration(2, "alert state per target and check", _alert_state),
    Migration(3, "health roll-up per practice and sweep", _health_practices),
    Migration(4, "heartbeat of a running run's owner; lock holders", _run_heartbeat),
    Migration(5, "practice onboarding: lifecycle state, history, confirmed checklist items", _onboarding),
]


def make_legacy_store(url: str, upto: int = 5) -> None:
    """Create (or bring) the database at ``url`` to the old registry's version ``upto``, as fleet 0.1 did."""
    from datetime import UTC, datetime

    engine = sa.create_engine(url)
    try:
        for m in MIGRATIONS[:upto]:
            with engine.begin() as conn:
                schema_migrations.create(conn, checkfirst=True)
                done = {r[0] for r in conn.execute(sa.select(schema_migrations.c.version))}
                if m.version in done:
                    continue
                m.apply(conn)
                conn.execute(schema_migrations.insert().values(version=m.version, name=m.name,
                                                               applied_at=datetime.now(UTC)))
        if upto < 4:  # the runs table of a store made before migration 4 had no heartbeat column
            with engine.begin() as conn:
                conn.execute(sa.text("ALTER TABLE runs DROP COLUMN heartbeat_at"))
    finally:
        engine.dispose()
