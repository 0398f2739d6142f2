"""Several controllers, one PostgreSQL store: concurrent sweeps never clobber each other.

Real parts: lab hosts (sshd), real `fleet health` processes, a real PostgreSQL server
(FLEET_TEST_PG_URL from scripts/postgres-up), each test in an empty schema of its own. The second
controller runs in its own UTS namespace with another host name, as a second machine would.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from fleet.lab import Lab, plan_lab
from fleet.lab.workspace import engine_dir, write_lab_workspace
from fleet.store import schema as t
from fleet.store.migrations import HEAD

pytestmark = [
    pytest.mark.lab,
    pytest.mark.postgres,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root"),
    pytest.mark.skipif(not os.access("/usr/sbin/sshd", os.X_OK), reason="needs openssh-server"),
]

FLEET = str(Path(sys.executable).parent / "fleet")
OTHER_CONTROLLER = "controller-b"


@pytest.fixture(scope="module")
def lab_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    ws = tmp_path_factory.mktemp("mc") / "ws"
    lab = Lab(engine_dir(ws))
    try:
        state = lab.up(plan_lab(practices=4, workstations=2), timeout=120)
        write_lab_workspace(ws, state)
        yield ws
    finally:
        lab.down(purge=True)


def _env(ws: Path, store_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
    return env | {"FLEET_WORKSPACE": str(ws), "FLEET_STORE_URL": store_url, "NO_COLOR": "1"}


def _start_at(at: float) -> str:
    """A shell prefix that waits until the epoch second ``at`` (both controllers start together)."""
    return (f"{sys.executable} -c 'import time; time.sleep(max(0, {at} - time.time()))' && ")


def test_migrations_from_an_empty_database_at_once(pg_schema: str) -> None:
    at = time.time() + 3
    code = (f"import time; time.sleep(max(0, {at} - time.time())); from fleet.store import Store; "
            f"s = Store({pg_schema!r}); print(s.schema_revision()); s.close()")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [e for _, e in outs]
    engine = sa.create_engine(pg_schema)
    with engine.connect() as conn:
        versions = [r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert versions == [HEAD]  # one version row: the upgrade ran once, under the lock
    assert {o.strip() for o, _ in outs} == {HEAD}
    assert {"runs", "host_results", "check_results", "health_practices", "alert_state"} <= tables


def _hosts_of(ws: Path, client: str | None) -> set[str]:
    from fleet.inventory.model import load_inventory

    inv = load_inventory(ws / "inventory")
    return {h.name for p in inv.practices.values() if client in (None, p.client_id) for h in p.hosts}


def test_two_controllers_sweep_into_one_store_at_once(lab_ws: Path, pg_schema: str) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux)")
    env = _env(lab_ws, pg_schema)
    at = time.time() + 4
    # controller A: this machine, the whole lab; controller B: "another machine", one client
    a = subprocess.Popen(["sh", "-c", _start_at(at) + f"exec {FLEET} health --forks 2 --json"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    b = subprocess.Popen(["unshare", "--uts", "sh", "-c",
                          f"hostname {OTHER_CONTROLLER} && " + _start_at(at)
                          + f"exec {FLEET} health --client brightsmiles --forks 2 --json"],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    (a_out, a_err), (b_out, b_err) = a.communicate(timeout=600), b.communicate(timeout=600)
    for name, proc, err in (("A", a, a_err), ("B", b, b_err)):
        assert proc.returncode in (0, 1, 2, 3), f"{name}: {err[-2000:]}"
        assert "Traceback" not in err and "interrupted" not in err, f"{name} clobbered the other: {err[-2000:]}"
    docs = {"A": json.loads(a_out), "B": json.loads(b_out)}
    want = {"A": _hosts_of(lab_ws, None), "B": _hosts_of(lab_ws, "brightsmiles")}
    assert want["B"] < want["A"]

    engine = sa.create_engine(pg_schema)
    with engine.connect() as conn:
        runs = {r.id: r for r in conn.execute(sa.select(t.runs))}
        hosts = {rid: [r.host for r in conn.execute(sa.select(t.host_results.c.host)
                                                     .where(t.host_results.c.run_id == rid))] for rid in runs}
        checks = {rid: conn.execute(sa.select(t.check_results.c.host, sa.func.count()).where(
            t.check_results.c.run_id == rid).group_by(t.check_results.c.host)).all() for rid in runs}
        practices = {rid: {r[0] for r in conn.execute(sa.select(t.health_practices.c.practice_id).where(
            t.health_practices.c.run_id == rid))} for rid in runs}
    engine.dispose()
    assert len(runs) == 2
    for name, doc in docs.items():
        run = runs[doc["run_id"]]
        assert run.status == "ok" and run.kind == "health"
        # attributable: which controller, which process, what it was asked to do
        assert run.controller == (socket.gethostname() if name == "A" else OTHER_CONTROLLER)
        assert run.options["hosts"] == len(want[name])
        assert run.selection["clients"] == ([] if name == "A" else ["brightsmiles"])
        # intact: every host of its selection once, each with its checks, and nothing of the other's
        assert sorted(hosts[run.id]) == sorted(want[name])
        assert {h for h, _ in checks[run.id]} == want[name] and all(n > 0 for _, n in checks[run.id])
        assert practices[run.id] == {p["practice"] for p in doc["practices"]}
        assert run.summary["hosts"] == len(want[name])
    a_run, b_run = runs[docs["A"]["run_id"]], runs[docs["B"]["run_id"]]
    # they really ran at the same time
    assert a_run.started_at < b_run.finished_at and b_run.started_at < a_run.finished_at


def test_a_running_sweep_of_another_controller_is_left_alone(lab_ws: Path, pg_schema: str) -> None:
    """A controller starting a sweep must not mark another controller's running sweep interrupted."""
    from fleet.store import Store

    store = Store(pg_schema)
    other = store.start_run("health", options={"controller": OTHER_CONTROLLER, "pid": 1, "pid_start": 1})
    store.close()
    r = subprocess.run([FLEET, "health", "--client", "brightsmiles", "--json"], env=_env(lab_ws, pg_schema),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 1, 2, 3), r.stderr
    store = Store(pg_schema)
    try:
        assert store.run(other.id).status == "running"
        assert store.run(json.loads(r.stdout)["run_id"]).status == "ok"
    finally:
        store.close()
