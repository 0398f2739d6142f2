"""Runs that survive kills and each other, without a lab: the owner of a "running" run, the
per-practice locks (SQLite flock, PostgreSQL advisory locks), and the guard that ends Ansible's
whole process group when fleet is stopped or killed. Real processes, real signals, real databases."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fleet.deploy import guard, hosts_to_retry
from fleet.errors import Location
from fleet.inventory.model import Host
from fleet.store import HostResult, Store
from fleet.store import schema as t
from fleet.store.locks import LockBusy, practice_locks

PG_URL = os.environ.get("FLEET_TEST_PG_URL")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(not PG_URL, reason="FLEET_TEST_PG_URL unset"))]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/state/fleet.db"
    return str(request.getfixturevalue("pg_schema"))


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _host(name: str, practice: str = "p1") -> Host:
    return Host(name=name, practice_id=practice, client_id="c1", vars={}, where=Location("inv.yml", 1))


# -- a run whose owner is gone --------------------------------------------------------------------------


def test_a_killed_deploy_is_interrupted_when_the_store_is_next_opened_and_retry_takes_its_unfinished_hosts(
        store_url: str) -> None:
    store = Store(store_url)
    hosts = ["ws1", "ws2", "srv1"]
    run = store.start_run("deploy", selection={"hosts": hosts, "host_practices": {h: ["p1", "c1"] for h in hosts}},
                          options={"check": False})
    store.record_host_results(run.id, [HostResult("ws1", "p1", "c1", "ok", message="no changes")])
    alive = store.start_run("deploy", selection={"hosts": ["other"]})  # this process: alive, stays running
    with store.engine.begin() as conn:  # the owner of `run` was killed (SIGKILL: no finally ran)
        conn.execute(t.runs.update().where(t.runs.c.id == run.id).values(
            options={**run.options, "pid": _dead_pid()}))
    store.close()

    store = Store(store_url)  # any fleet command opening the store
    try:
        assert [(r.id, r.hosts_recorded, r.hosts_unfinished) for r in store.reaped] == [(run.id, 1, 2)]
        rec = store.run(run.id)
        assert rec is not None and rec.status == "interrupted" and rec.finished_at is not None
        assert rec.summary["hosts_unfinished"] == 2
        results = {r.host: r for r in store.host_results(run.id)}
        assert results["ws1"].status == "ok"
        assert {results["ws2"].status, results["srv1"].status} == {"unknown"}
        assert "ended before this host finished" in results["ws2"].message
        assert results["srv1"].practice_id == "p1" and results["srv1"].client_id == "c1"
        assert store.run(alive.id).status == "running"  # type: ignore[union-attr]
        retry = hosts_to_retry(store, [_host(h) for h in hosts])
        assert [h.name for h in retry] == ["ws2", "srv1"]
    finally:
        store.close()
    assert Store(store_url).reaped == []  # closed once


def test_another_controllers_run_is_closed_only_when_its_heartbeat_stops(store_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    store = Store(store_url)
    try:
        run = store.start_run("deploy", selection={"hosts": ["a"]})
        with store.engine.begin() as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == run.id).values(
                options={"controller": "other-box", "pid": 1}, heartbeat_at=datetime.now(UTC) - timedelta(minutes=5)))
        assert Store(store_url).reaped == []  # beat 5 minutes ago: alive
        with store.engine.begin() as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == run.id).values(
                heartbeat_at=datetime.now(UTC) - timedelta(minutes=11)))
        assert [r.id for r in Store(store_url).reaped] == [run.id]
    finally:
        store.close()


# -- locks ------------------------------------------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from fleet.store import Store
    from fleet.store.locks import practice_locks
    store = Store(sys.argv[1])
    with practice_locks(store, Path(sys.argv[2]), sys.argv[3].split(","), command="fleet deploy --practice p1"):
        print("held", flush=True)
        sys.stdin.read()
""")


def _holder(store_url: str, state: Path, practices: str) -> subprocess.Popen[str]:
    p = subprocess.Popen([sys.executable, "-c", HOLDER, store_url, str(state), practices], text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    return p


def test_a_second_deploy_on_a_held_practice_is_refused_naming_the_holder_or_waits(
        store_url: str, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    store = Store(store_url)
    holder = _holder(store_url, state, "p1,p2")
    try:
        with pytest.raises(LockBusy) as exc, practice_locks(store, state, ["p3", "p2"]):
            pass
        msg = str(exc.value)
        assert "practice p2 is busy" in msg and f"(pid {holder.pid})" in msg and "fleet deploy --practice p1" in msg
        assert "--wait" in msg
        with practice_locks(store, state, ["p3"]):  # other practices are free; p3 was not left held
            pass
        waited: list[str] = []
        t0 = time.monotonic()
        with pytest.raises(LockBusy), practice_locks(store, state, ["p1"], wait=1.0,
                                                     on_wait=lambda p, h: waited.append(p)):
            pass
        assert waited == ["p1"] and time.monotonic() - t0 >= 1.0
        # the holder goes (killed outright: the kernel / the server releases its lock) -> the waiter gets it
        holder.kill()
        holder.wait()
        other = Store(store_url)
        with practice_locks(store, state, ["p1", "p2"], wait=math.inf), pytest.raises(LockBusy), \
                practice_locks(other, state, ["p2"]):
            pass
        other.close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        store.close()


# -- the guard: Ansible ends with fleet ---------------------------------------------------------------------

FAKE_PLAYBOOK = textwrap.dedent("""\
    #!/bin/sh
    # stands in for ansible-playbook: workers that would go on for minutes, one ignoring SIGTERM
    sh -c 'trap "" TERM; sleep 300' &
    sleep 300 &
    echo started > "$1"
    wait
""")

CONTROLLER = textwrap.dedent("""
    import os, sys, pty
    # like pexpect (ansible-runner): the guard in a new session on a pty
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-S", sys.argv[1], *sys.argv[2:]])
    print(pid, flush=True)
    while True:
        try:
            if not os.read(fd, 1024):
                break
        except OSError:
            break
""")


def _session_pids(sid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != b"Z":
                out.append(int(d))
    return out


@pytest.mark.parametrize("how", ["fleet-killed", "sigterm", "sighup"])
def test_the_guard_ends_ansibles_whole_process_group(tmp_path: Path, how: str) -> None:
    fake = tmp_path / "ansible-playbook"
    fake.write_text(FAKE_PLAYBOOK)
    fake.chmod(0o755)
    marker = tmp_path / "started"
    pidfile = tmp_path / "guard.pid"
    ctl = subprocess.Popen([sys.executable, "-c", CONTROLLER, guard.__file__, str(fake), str(marker)],
                           stdout=subprocess.PIPE, text=True,
                           env={**os.environ, "FLEET_GUARD_PIDFILE": str(pidfile), "FLEET_GUARD_GRACE": "1"})
    assert ctl.stdout is not None
    guard_pid = int(ctl.stdout.readline())
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists() and int(pidfile.read_text()) == guard_pid
    assert len(_session_pids(guard_pid)) >= 4  # guard, the playbook, its two workers
    t0 = time.monotonic()
    if how == "fleet-killed":
        ctl.kill()  # SIGKILL: no clean-up code of fleet runs
    else:
        os.kill(guard_pid, signal.SIGTERM if how == "sigterm" else signal.SIGHUP)
    deadline = time.monotonic() + 20
    while _session_pids(guard_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _session_pids(guard_pid)
    ctl.kill()
    ctl.wait()
    assert left == [], f"left running: {left}"
    assert time.monotonic() - t0 < 1 + 5  # the TERM-ignoring worker got SIGKILL after the grace


def test_a_run_dir_wrapper_runs_the_real_ansible_playbook_under_the_guard(tmp_path: Path) -> None:
    from fleet.deploy.runner import BatchSpec, PlaybookRun
    from fleet.secrets.vault import VaultPassword

    prun = PlaybookRun(tmp_path / "run", tmp_path / "inv", None, VaultPassword(b"x", "test"),
                       BatchSpec(ident="all", hosts=["h"], forks=1))
    wrapper = prun._guard_wrapper() / "ansible-playbook"
    r = subprocess.run([str(wrapper), "--version"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "ansible-playbook" in r.stdout
    assert json.dumps(os.stat(wrapper).st_mode & 0o777) == str(0o700)


# -- what fleet quotes from Ansible: Ansible's words, not Python's warnings ------------------------------------


def test_ansible_playbook_started_by_fleet_prints_no_python_warning(tmp_path: Path) -> None:
    """ansible-core imports cryptography's DSA support, which cryptography >= 47 deprecates: every bare
    ``ansible-playbook`` starts with a CryptographyDeprecationWarning, and the "no result from Ansible:
    <tail>" message fleet gives per host began with it. fleet's environment for Ansible filters it."""
    from fleet.deploy.engine import _without_python_warnings
    from fleet.deploy.runner import ansible_env, ansible_playbook

    argv = [ansible_playbook(), "-i", "localhost,", str(tmp_path / "no-such-playbook.yml")]
    bare = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    plain = subprocess.run(argv, capture_output=True, text=True, env=bare, timeout=120)
    fleets = subprocess.run(argv, capture_output=True, text=True, env={**bare, **ansible_env(None)}, timeout=120)
    assert plain.returncode != 0 and fleets.returncode != 0
    assert "no-such-playbook.yml" in fleets.stderr and "Warning" not in fleets.stderr, fleets.stderr
    lines = (plain.stdout + plain.stderr).splitlines()
    kept = _without_python_warnings(lines)  # the quoted tail is clean even when a warning gets through
    assert not any("Warning" in ln or ln.lstrip().startswith("from ") for ln in kept), kept
    assert any("no-such-playbook.yml" in ln for ln in kept)


# -- the sweep's collectors die with fleet ---------------------------------------------------------------------

SWEEPER = textwrap.dedent("""
    import sys
    from fleet.health.transport import run_process
    print("started", flush=True)
    run_process("h1", [sys.executable, "-c", "import time; time.sleep(60)"], b"", 60, 1000)
""")


def test_a_collector_process_dies_with_a_fleet_killed_by_sigkill() -> None:
    """An ssh waiting on a host that answers nothing outlived a SIGKILLed `fleet health` by up to its
    connect timeout (found by tests/e2e/test_faults_lab.py). The stand-in collector here sleeps 60 s."""
    marker = f"FLEET_TEST_SWEEPER={os.getpid()}-{time.monotonic_ns()}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    sweeper = subprocess.Popen([sys.executable, "-c", SWEEPER], env=env, stdout=subprocess.PIPE, text=True)
    assert sweeper.stdout is not None and sweeper.stdout.readline().strip() == "started"

    def collectors() -> list[int]:
        out = []
        for d in os.listdir("/proc"):
            if d.isdigit() and int(d) != sweeper.pid:
                try:
                    with open(f"/proc/{d}/environ", "rb") as f:
                        if marker.encode() in f.read().split(b"\0"):
                            out.append(int(d))
                except OSError:
                    pass
        return out

    def sleeping() -> bool:  # the collector has been exec'd (its guard now knows it by its environment)
        for pid in collectors():
            with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
                # Exactly the collector's argv: a child just forked still shows the sweeper's own argv
                # (which holds this text too), and setpriv's names it as well; only after setpriv's prctl
                # and exec is it this. Killing fleet before that prctl is the ~1 ms race no parent-death
                # signal can cover (the test used to hit it 1 run in 5).
                if argv[1:3] == [b"-c", b"import time; time.sleep(60)"]:
                    return True
        return False

    deadline = time.monotonic() + 20
    while not sleeping() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sleeping(), "the collector never started"
    sweeper.kill()
    sweeper.wait()
    deadline = time.monotonic() + 5
    while collectors() and time.monotonic() < deadline:
        time.sleep(0.05)
    left = {pid: _status(pid) for pid in collectors()}
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == {}, "the collector outlived fleet"


def _status(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/status") as f:
            return " ".join(ln.strip() for ln in f if ln.startswith(("Name", "State", "PPid")))
    except OSError:
        return "gone"


# -- what an unreachable host is told ---------------------------------------------------------------------------

LOOPED_PLAY = textwrap.dedent("""\
    - name: A looped Windows task
      hosts: all
      gather_facts: false
      tasks:
        - name: Read two paths
          ansible.windows.win_stat:
            path: "{{ item }}"
          loop: ['C:\\\\a', 'C:\\\\b']
""")


def test_a_psrp_host_with_its_port_closed_is_unreachable_with_the_cause(tmp_path: Path) -> None:
    """Real Ansible, real pypsrp, a loopback port nothing listens on: Ansible's event for a looped task
    says only "All items completed"; fleet's message names the connection error its items hold."""
    import socket

    import ansible_runner

    from fleet.deploy.events import UNREACHABLE, TaskResult, parse_event
    from fleet.deploy.runner import ansible_env
    from fleet.secrets.redact import Redactor

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the socket is
    (tmp_path / "play.yml").write_text(LOOPED_PLAY)
    (tmp_path / "inv").write_text(f"win01 ansible_host=127.0.0.1 ansible_port={port} ansible_connection=psrp "
                                  "ansible_psrp_protocol=http ansible_psrp_auth=ntlm ansible_user=u "
                                  "ansible_password=not-used\n")
    (tmp_path / "pd").mkdir()
    env = {k: v for k, v in ansible_env(None).items() if k != "PATH"}
    r = ansible_runner.run(private_data_dir=str(tmp_path / "pd"), playbook=str(tmp_path / "play.yml"),
                           inventory=str(tmp_path / "inv"), envvars=env, quiet=True)
    parsed = [parse_event(ev, Redactor()) for ev in r.events]
    unreachable = [e for e in parsed if isinstance(e, TaskResult) and e.outcome == UNREACHABLE]
    assert len(unreachable) == 1, [e for e in parsed if e is not None]
    assert "Connection refused" in unreachable[0].message and "All items completed" not in unreachable[0].message


def test_a_collector_started_as_the_sweep_is_interrupted_does_not_run() -> None:
    """Ctrl-C while a pool thread was starting its ssh: kill_running() took its list before that ssh
    was registered, the ssh waited on a silent host for its whole timeout, and fleet's exit waited for
    the thread (21 s to stop, found by tests/e2e/test_faults_lab.py). A collector started after
    kill_running() now ends at once; the next sweep may run again."""
    from fleet.health import transport

    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    try:
        transport.kill_running()
        t0 = time.monotonic()
        r = transport.run_process("h1", sleeper, b"", 30, 1000)
        assert time.monotonic() - t0 < 5 and r.error, r
    finally:
        transport.allow_running()
    r = transport.run_process("h1", [sys.executable, "-c", "print('ok')"], b"", 30, 1000)
    assert r.error == "" and r.stdout.strip() == b"ok", r
