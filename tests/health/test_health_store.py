"""Health in the central store, on SQLite and PostgreSQL: atomic host writes, roll-ups, stale runs, prune."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from healthkit import make_store

from fleet.health import storage
from fleet.health.checks import default_checks
from fleet.health.model import HEALTH_KIND, State
from fleet.health.rollup import HostOutcome, outcomes_from_store, rollup_clients, rollup_group, rollup_practices
from fleet.store import CheckResult, HostResult, Store
from fleet.store import schema as t

CHECKS = default_checks()
COV = sorted(CHECKS.coverage_ids)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from make_store(request.param, tmp_path)


def host_row(name: str, practice: str, role: str = "workstation", status: str = "ok",
             method: str = "chrome_extension") -> HostResult:
    return HostResult(host=name, practice_id=practice, client_id="c1", status=status,
                      facts={"role": role, "platform": "linux", "install_method": method})


def checks_for(name: str, practice: str, states: dict[str, str]) -> list[CheckResult]:
    return [CheckResult(host=name, practice_id=practice, client_id="c1", check_id=c, state=s, message=f"{c} {s}")
            for c, s in states.items()]


def ok(ids: list[str]) -> dict[str, str]:
    return dict.fromkeys(ids, "OK")


def test_host_and_its_checks_are_written_together(store: Store) -> None:
    run = store.start_run(HEALTH_KIND)
    storage.record_host(store, run.id, host_row("ws1", "p1"), checks_for("ws1", "p1", ok(COV)))
    # a failing write (duplicate host in the run) leaves no half: neither host nor checks
    with pytest.raises(sa.exc.IntegrityError):
        storage.record_host(store, run.id, host_row("ws1", "p1"), checks_for("ws1", "p1", {"disk_free": "OK"}))
    with pytest.raises(sa.exc.IntegrityError):
        storage.record_host(store, run.id, host_row("ws2", "p1"),
                            checks_for("ws2", "p1", {"disk_free": "OK"}) * 2)  # duplicate check
    assert [h.host for h in store.host_results(run.id)] == ["ws1"]
    assert {c.host for c in store.check_results(run.id)} == {"ws1"}
    assert len(store.check_results(run.id)) == len(COV)


def test_rollup_from_memory_and_from_the_store_agree(store: Store) -> None:
    run = store.start_run(HEALTH_KIND)
    rows = [
        (host_row("a1", "pa"), ok(COV)),
        (host_row("a2", "pa"), {**ok(COV), "extension_token": "CRITICAL"}),
        (host_row("a3", "pa", status="unreachable"), dict.fromkeys(COV, "UNKNOWN")),
        (host_row("b1", "pb", method="self_install"), {"disk_free": "OK"}),
        (host_row("bs", "pb", role="server", method="self_install"),
         {"synchronizer_running": "CRITICAL", "disk_free": "WARNING"}),
        (host_row("c1", "pc"), ok(COV)),
    ]
    outcomes = []
    for hr, states in rows:
        storage.record_host(store, run.id, hr, checks_for(hr.host, hr.practice_id, states))
        outcomes.append(HostOutcome(hr.host, hr.practice_id, hr.client_id, hr.facts["role"],
                                    hr.facts["install_method"], hr.status,
                                    {k: State(v) for k, v in states.items()}))
    mem = rollup_practices(outcomes, CHECKS)
    stored = rollup_practices(outcomes_from_store(store, run.id), CHECKS)
    assert mem == stored
    by = {p.practice_id: p for p in mem}
    pa = by["pa"]
    assert (pa.coverage.covered, pa.coverage.total, pa.coverage.unknown) == (1, 3, 1)
    assert pa.coverage_state is State.WARNING  # 1 of the 2 known workstations: 50%, not below the 50% critical line
    assert pa.state is State.CRITICAL and pa.hosts_unreachable == 1
    assert by["pb"].coverage_state is None and by["pb"].servers_total == 1 and by["pb"].servers_ok == 0
    assert by["pb"].state is State.CRITICAL
    assert by["pc"].state is State.OK and by["pc"].coverage_state is State.OK
    storage.record_practices(store, run.id, mem)
    storage.record_practices(store, run.id, mem)  # idempotent per run
    stored_rows = {r["practice_id"]: r for r in storage.practice_rows(store, run.id)}
    assert stored_rows["pa"]["workstations_covered"] == 1 and stored_rows["pa"]["coverage_state"] == "WARNING"
    assert stored_rows["pb"]["coverage_state"] == "" and stored_rows["pb"]["servers_total"] == 1
    clients = rollup_clients(mem, CHECKS)
    assert len(clients) == 1 and clients[0].coverage.total == 4 and clients[0].state is State.CRITICAL
    assert rollup_group("fleet", mem, CHECKS).practice_states == {"CRITICAL": 2, "OK": 1}


@pytest.mark.parametrize(("covered", "unknown", "total", "state"), [
    (4, 0, 4, State.OK), (3, 0, 4, State.WARNING), (1, 0, 4, State.CRITICAL), (2, 2, 4, State.OK),
    (0, 4, 4, State.UNKNOWN), (1, 1, 3, State.WARNING),
])
def test_coverage_state_is_judged_on_known_workstations(covered: int, unknown: int, total: int,
                                                          state: State) -> None:
    outcomes = []
    for i in range(total):
        status = "unreachable" if i < unknown else "ok"
        states = {c: (State.UNKNOWN if status != "ok" else State.OK if i < unknown + covered else State.CRITICAL)
                  for c in COV}
        outcomes.append(HostOutcome(f"w{i}", "p", "c", "workstation", "chrome_extension", status, states))
    (p,) = rollup_practices(outcomes, CHECKS)
    assert p.coverage_state is state and p.coverage.covered == covered


def _old_run(store: Store, days: int, kind: str = HEALTH_KIND, finished: bool = True) -> str:
    run = store.start_run(kind)
    storage.record_host(store, run.id, host_row("ws", "p"), checks_for("ws", "p", {"disk_free": "OK"}))
    when = datetime.now(UTC) - timedelta(days=days)
    with store.engine.begin() as conn:
        conn.execute(t.runs.update().where(t.runs.c.id == run.id).values(
            started_at=when, finished_at=when if finished else None, status="ok" if finished else "running"))
    return run.id


def test_prune_deletes_old_health_sweeps_only(store: Store) -> None:
    old = [_old_run(store, 200), _old_run(store, 120)]
    recent = _old_run(store, 10)
    running = _old_run(store, 300, finished=False)
    deploy = _old_run(store, 400, kind="deploy")
    run = store.run(old[0])
    storage.record_practices(store, old[0], rollup_practices(outcomes_from_store(store, old[0]), CHECKS))
    counts = storage.prune_health(store, timedelta(days=90), keep_last=1)
    assert counts["runs"] == 2 and counts["host_results"] == 2 and counts["check_results"] == 2
    assert counts["health_practices"] == 1
    assert store.run(old[0]) is None and store.run(old[1]) is None and run is not None
    assert store.run(recent) and store.run(running) and store.run(deploy)
    assert store.host_results(deploy)
    # keep_last keeps the newest sweeps whatever their age
    assert storage.prune_health(store, timedelta(days=1), keep_last=5)["runs"] == 0


def test_stale_running_sweeps_become_interrupted(store: Store) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine_dead = store.start_run(HEALTH_KIND, options={**storage.run_marker(), "pid": dead.pid})
    mine_alive = store.start_run(HEALTH_KIND, options=storage.run_marker())
    elsewhere_old = _old_run(store, 3, finished=False)
    with store.engine.begin() as conn:  # another controller's run, silent for 3 days
        conn.execute(t.runs.update().where(t.runs.c.id == elsewhere_old).values(
            options={"controller": "other-box", "pid": 1}, heartbeat_at=datetime.now(UTC) - timedelta(days=3)))
    elsewhere_new = store.start_run(HEALTH_KIND, options={"controller": "other-box", "pid": 1})
    storage.record_host(store, mine_dead.id, host_row("ws", "p"), checks_for("ws", "p", {"disk_free": "OK"}))
    closed = storage.close_stale_runs(store)
    assert set(closed) == {mine_dead.id, elsewhere_old}
    r = store.run(mine_dead.id)
    assert r and r.status == "interrupted" and r.finished_at and r.summary["hosts_recorded"] == 1
    assert store.run(mine_alive.id).status == "running"  # type: ignore[union-attr]
    assert store.run(elsewhere_new.id).status == "running"  # type: ignore[union-attr]
    assert storage.close_stale_runs(store) == []
    assert os.getpid() == storage.run_marker()["pid"]
