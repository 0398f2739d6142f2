"""The store's schema through Alembic: fresh stores, stores written by fleet before Alembic, the CLI.

Each case runs on SQLite and on the real PostgreSQL server (FLEET_TEST_PG_URL, an empty schema per
test). "Agrees with the code" is Alembic's own autogenerate comparison of the database against
``fleet.store.schema.metadata``: no difference at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from legacy_store_v5 import make_legacy_store

from fleet.cli.main import cli
from fleet.store import Store
from fleet.store import schema as t
from fleet.store.db import _alembic_config
from fleet.store.migrations import BASELINE, HEAD
from fleet.store.records import HostResult


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/fleet.db"
    return str(request.getfixturevalue("pg_schema"))


def differences(url: str) -> list:  # type: ignore[type-arg]
    """What Alembic's autogenerate would change to make the database match the code's tables."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"include_name": _ours})
            return compare_metadata(ctx, t.metadata)
    finally:
        engine.dispose()


def _ours(name: str | None, type_: str, _parent: object) -> bool:
    # the old registry's table stays in upgraded stores; Alembic's own table is Alembic's
    return not (type_ == "table" and name in ("schema_migrations", "alembic_version"))


def test_head_names_the_newest_script() -> None:
    scripts = ScriptDirectory.from_config(_alembic_config())
    assert scripts.get_current_head() == HEAD
    assert [r.revision for r in scripts.walk_revisions()][-1] == BASELINE


def test_a_new_store_is_at_head_and_matches_the_code(url: str) -> None:
    store = Store(url)
    try:
        assert store.schema_revision() == HEAD
        assert store.migrate() == []  # nothing left; a second open costs one query
    finally:
        store.close()
    assert differences(url) == []


@pytest.mark.parametrize("old_version", [5, 3])
def test_a_store_written_before_alembic_is_upgraded_keeping_every_row(url: str, old_version: int) -> None:
    make_legacy_store(url, upto=old_version)
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # a sweep fleet 0.1 recorded
        conn.execute(sa.text("INSERT INTO runs (id, kind, started_at, finished_at, status, \"user\", controller, "
                             "selection, options, summary, fleet_version) VALUES ('r1', 'health', :at, :at, 'ok', "
                             "'tech', 'ctl', '{}', '{}', '{\"hosts\": 1}', '0.1.0')"),
                     {"at": datetime(2026, 11, 30, 2, 0, tzinfo=UTC)})
        conn.execute(sa.text("INSERT INTO host_results (run_id, host, practice_id, client_id, status, ok, changed, "
                             "failures, message, recorded_at) VALUES ('r1', 'bs-ws01', 'bs', 'c', 'ok', 1, 0, 0, "
                             "'', :at)"), {"at": datetime(2026, 11, 30, 2, 0, 5, tzinfo=UTC)})
    engine.dispose()
    if old_version < 5:  # what migrations 4 and 5 added is missing
        assert differences(url) != []

    store = Store(url)  # what any fleet command does: upgrade under the lock, then work
    try:
        assert store.schema_revision() == HEAD
        run = store.run("r1")
        assert run.status == "ok" and run.summary == {"hosts": 1}
        assert [h.host for h in store.host_results("r1")] == ["bs-ws01"]
        new = store.start_run("deploy")  # writes the heartbeat column migration 4 added
        store.record_host_results(new.id, [HostResult(host="bs-ws01", practice_id="bs", client_id="c", status="ok")])
        store.finish_run(new.id, "ok")
    finally:
        store.close()
    assert differences(url) == []


def test_fleet_db_current_and_upgrade(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    assert runner.invoke(cli, ["init", str(ws)]).exit_code == 0
    url = f"sqlite:///{ws}/state/fleet.db"
    (ws / "state").mkdir(exist_ok=True)
    make_legacy_store(url, upto=5)

    r = runner.invoke(cli, ["-w", str(ws), "db", "current", "--check"])
    assert r.exit_code == 1 and "before fleet used Alembic" in r.stderr
    r = runner.invoke(cli, ["-w", str(ws), "db", "upgrade", "--json"])
    assert r.exit_code == 0, r.output
    assert '"applied": "0001"' in r.stdout
    r = runner.invoke(cli, ["-w", str(ws), "db", "current", "--check", "--json"])
    assert r.exit_code == 0 and f'"revision": "{HEAD}"' in r.stdout and '"pending": ""' in r.stdout
    assert "newest revision" in r.stderr
