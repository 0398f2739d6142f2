"""Baseline: the store's schema as fleet 0.1 made it (its own migrations 1-5).

Revision ID: 0001
Revises: (none)

Created for an empty database, and idempotent for a store made before fleet used Alembic: every
table is created only where missing, and ``runs.heartbeat_at`` (that store's migration 4) added
where missing, so a store at any of the old versions 1-5 arrives at exactly this schema. Its old
``schema_migrations`` table is left as it is. The tables are written out here, not taken from
``fleet.store.schema``, so this revision stays what it was when later ones change the schema.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_md = sa.MetaData()


def _index(name: str, table: str, *columns: str) -> None:
    sa.Index(name, *(_md.tables[table].c[c] for c in columns))


sa.Table(
    'alert_state', _md,
    sa.Column('target', sa.String(length=120), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('check_id', sa.String(length=120), nullable=False),
    sa.Column('practice_id', sa.String(length=120), nullable=False),
    sa.Column('client_id', sa.String(length=120), nullable=False),
    sa.Column('streak', sa.Integer(), nullable=False),
    sa.Column('alerted', sa.Boolean(), nullable=False),
    sa.Column('alerted_state', sa.String(length=10), nullable=False),
    sa.Column('last_state', sa.String(length=10), nullable=False),
    sa.Column('last_message', sa.Text(), nullable=False),
    sa.Column('last_value', sa.Text(), nullable=False),
    sa.Column('last_run_id', sa.String(length=40), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('target', 'host', 'check_id'),
)
sa.Table(
    'locks', _md,
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('holder', sa.JSON(), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name'),
)
sa.Table(
    'practice_checklist', _md,
    sa.Column('practice_id', sa.String(length=120), nullable=False),
    sa.Column('item', sa.String(length=80), nullable=False),
    sa.Column('confirmed_by', sa.String(length=100), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('practice_id', 'item'),
)
sa.Table(
    'practice_events', _md,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('practice_id', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('item', sa.String(length=80), nullable=False),
    sa.Column('scheduled_for', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
)
sa.Table(
    'practice_lifecycle', _md,
    sa.Column('practice_id', sa.String(length=120), nullable=False),
    sa.Column('client_id', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('scheduled_for', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('practice_id'),
)
sa.Table(
    'runs', _md,
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('user', sa.String(length=100), nullable=False),
    sa.Column('controller', sa.String(length=200), nullable=False),
    sa.Column('selection', sa.JSON(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('fleet_version', sa.String(length=40), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
)
sa.Table(
    'audit_events', _md,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('practice_id', sa.String(length=120), nullable=False),
    sa.Column('task', sa.String(length=400), nullable=False),
    sa.Column('action', sa.String(length=200), nullable=False),
    sa.Column('changed', sa.Boolean(), nullable=False),
    sa.Column('failed', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
)
sa.Table(
    'check_results', _md,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('practice_id', sa.String(length=120), nullable=False),
    sa.Column('client_id', sa.String(length=120), nullable=False),
    sa.Column('check_id', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'host', 'check_id', name='uq_check_results_run_host_check'),
)
sa.Table(
    'health_practices', _md,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('practice_id', sa.String(length=120), nullable=False),
    sa.Column('client_id', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('install_method', sa.String(length=40), nullable=False),
    sa.Column('workstations_total', sa.Integer(), nullable=False),
    sa.Column('workstations_covered', sa.Integer(), nullable=False),
    sa.Column('workstations_unknown', sa.Integer(), nullable=False),
    sa.Column('coverage_state', sa.String(length=10), nullable=False),
    sa.Column('servers_total', sa.Integer(), nullable=False),
    sa.Column('servers_ok', sa.Integer(), nullable=False),
    sa.Column('hosts_total', sa.Integer(), nullable=False),
    sa.Column('hosts_unreachable', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'practice_id', name='uq_health_practices_run_practice'),
)
sa.Table(
    'host_results', _md,
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=40), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('practice_id', sa.String(length=120), nullable=False),
    sa.Column('client_id', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ok', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('run_id', 'host', name='uq_host_results_run_host'),
)

_index('ix_alert_state_target_run', 'alert_state', 'target', 'last_run_id')
_index('ix_practice_events_practice_at', 'practice_events', 'practice_id', 'at')
_index('ix_runs_kind', 'runs', 'kind')
_index('ix_runs_started_at', 'runs', 'started_at')
_index('ix_audit_events_run_id', 'audit_events', 'run_id')
_index('ix_check_results_host_check_time', 'check_results', 'host', 'check_id', 'recorded_at')
_index('ix_health_practices_practice_time', 'health_practices', 'practice_id', 'recorded_at')
_index('ix_host_results_host_time', 'host_results', 'host', 'recorded_at')


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if "runs" in inspector.get_table_names() and \
            "heartbeat_at" not in {c["name"] for c in inspector.get_columns("runs")}:  # fleet's migrations 1-3
        op.add_column("runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True)))
    _md.create_all(bind, checkfirst=True)


def downgrade() -> None:
    _md.drop_all(op.get_bind(), checkfirst=True)
