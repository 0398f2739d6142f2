"""Lab hosts for real: sshd processes in private mount namespaces, reached with the ssh client.

Needs root, /usr/sbin/sshd and util-linux (nsenter); skipped otherwise. No mocks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleet.lab import Lab, LabError, plan_lab, procs, write_inventory

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root"),
    pytest.mark.skipif(not os.access("/usr/sbin/sshd", os.X_OK), reason="needs openssh-server"),
]

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _ssh(lab: Lab, name: str, command: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(lab.ssh_command(name, command), capture_output=True, text=True, timeout=30, **kw)


def _our_sshds(lab_dir: Path) -> list[int]:
    """Live sshd processes whose command line names this lab's directory."""
    out = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            pid = int(entry.name)
            if procs.is_our_sshd(pid, f"{lab_dir}/hosts/"):
                out.append(pid)
    return out


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A 5-host lab (2 practices x 2 workstations + 1 on-prem server), always torn down."""
    lab = Lab(tmp_path_factory.mktemp("lab") / "lab")
    try:
        lab.up(plan_lab(practices=2, workstations=2), timeout=60)
        yield lab
    finally:
        lab.down(purge=True)


@pytest.fixture
def other_lab(tmp_path: Path) -> Iterator[Lab]:
    lab = Lab(tmp_path / "other")
    try:
        yield lab
    finally:
        lab.down(purge=True)


def test_state_file_lists_every_host(lab: Lab) -> None:
    data = json.loads((lab.paths.root / "lab.json").read_text())
    hosts = {h["name"]: h for h in data["hosts"]}
    planned = plan_lab(2, 2)
    assert set(hosts) == {h.name for h in planned.hosts}
    assert len(hosts) == 5
    assert sorted(h["role"] for h in hosts.values()) == ["server"] + ["workstation"] * 4
    assert len({h["port"] for h in hosts.values()}) == 5
    for h in planned.hosts:
        rec = hosts[h.name]
        assert rec["status"] == "up"
        assert (rec["practice"], rec["client"]) == (h.practice_id, h.client_id)
        assert procs.is_our_sshd(rec["pid"], str(lab.paths.host(h.name).sshd_config), rec["pid_start"])
    assert [s.status for s in lab.status()] == ["up"] * 5
    # Fresh hosts: nothing deployed, the policy directories are empty (runs before other tests write).
    for name in hosts:
        r = _ssh(lab, name, "find /etc/opt/chrome /etc/chromium /etc/opt/edge /opt/fleet-lab -mindepth 1")
        assert (r.returncode, r.stdout) == (0, ""), r.stderr


def test_ssh_login_with_lab_key_and_strict_known_hosts(lab: Lab, tmp_path: Path) -> None:
    for rec in lab.state().hosts.values():
        r = _ssh(lab, rec.name, "hostname; echo $FLEET_LAB_HOST; id -u")
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == [rec.name, rec.name, "0"]
    # The known_hosts file is what makes the login work: an empty one is refused.
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    name = next(iter(lab.state().hosts))
    cmd = [a.replace(str(lab.paths.known_hosts), str(empty)) for a in lab.ssh_command(name, "true")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert r.returncode == 255
    assert "Host key verification failed" in r.stderr


def test_policy_file_is_private_to_its_host(lab: Lab) -> None:
    a, b = sorted(lab.state().hosts)[:2]
    policy_dir = "/etc/opt/chrome/policies/managed"
    fname = f"x-{uuid.uuid4().hex[:8]}.json"
    real = Path(policy_dir) / fname
    assert not real.exists()
    r = _ssh(lab, a, f"mkdir -p {policy_dir} && echo '{{\"a\": 1}}' > {policy_dir}/{fname} && cat {policy_dir}/{fname}")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"a": 1}
    assert _ssh(lab, b, f"test -e {policy_dir}/{fname}").returncode == 1
    assert not real.exists(), "the write leaked onto the real machine"
    # It lands in host A's own copy of the directory.
    assert (lab.paths.host(a).fs_path(policy_dir) / fname).exists()
    assert not (lab.paths.host(b).fs_path(policy_dir) / fname).exists()


def test_each_host_has_its_own_footprint(lab: Lab) -> None:
    for rec in lab.state().hosts.values():
        facts = json.loads(_ssh(lab, rec.name, "cat /var/lib/fleet-lab/host.json").stdout)
        assert (facts["name"], facts["role"], facts["practice"]) == (rec.name, rec.role, rec.practice)
        assert 0 < int(_ssh(lab, rec.name, "cat /var/lib/fleet-lab/boot_time").stdout) <= time.time()
        profile = _ssh(lab, rec.name, "ls ~/.config/google-chrome ~/.config/chromium").stdout.split("\n")
        assert "Local State" in profile and "Default" in profile


def test_exec_in_host_breaks_one_host_only(lab: Lab) -> None:
    a, b = sorted(lab.state().hosts)[:2]
    for name in (a, b):
        assert _ssh(lab, name, "mkdir -p /opt/fleet-lab && touch /opt/fleet-lab/marker").returncode == 0
    r = lab.exec_in_host(a, ["sh", "-c", "hostname; rm /opt/fleet-lab/marker"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == a
    assert _ssh(lab, a, "test -e /opt/fleet-lab/marker").returncode == 1
    assert _ssh(lab, b, "test -e /opt/fleet-lab/marker").returncode == 0


def test_stop_host_then_start_host(lab: Lab) -> None:
    names = sorted(lab.state().hosts)
    off, on = names[0], names[1]
    before = lab.state().hosts[off]
    assert _ssh(lab, off, "mkdir -p /opt/fleet-lab && echo kept > /opt/fleet-lab/disk").returncode == 0
    # A process left running inside the host (a service) goes away with it, like at power-off.
    assert _ssh(lab, off, "setsid sleep 600 </dev/null >/dev/null 2>&1 &").returncode == 0
    time.sleep(0.2)
    key = procs.NamespaceKey(before.mnt_ns, before.uts_ns)
    inside = procs.processes_by_namespace([key])[key]
    assert len(inside) >= 2  # the sshd listener and the sleep
    old_boot = lab.exec_in_host(off, ["cat", "/var/lib/fleet-lab/boot_time"]).stdout

    stopped = lab.stop_host(off)
    assert set(inside) <= set(stopped)
    assert not any(procs.is_alive(p) for p in inside)
    assert _ssh(lab, off, "true").returncode == 255
    assert _ssh(lab, on, "true").returncode == 0
    statuses = {s.name: s.status for s in lab.status()}
    assert statuses[off] == "down" and statuses[on] == "up"
    with pytest.raises(LabError):
        lab.exec_in_host(off, ["true"])

    time.sleep(1.1)  # so the new boot time differs
    rec = lab.start_host(off)
    assert rec.port == before.port and rec.pid != before.pid
    r = _ssh(lab, off, "cat /opt/fleet-lab/disk /var/lib/fleet-lab/boot_time")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "kept"
    assert int(r.stdout.split()[1]) > int(old_boot)
    assert lab.start_host(off).pid == rec.pid  # already up: no-op


def test_start_host_reports_a_taken_port(lab: Lab) -> None:
    name = sorted(lab.state().hosts)[3]
    lab.stop_host(name)
    port = lab.state().hosts[name].port
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", port))
    squatter.listen()
    try:
        t0 = time.monotonic()
        with pytest.raises(LabError, match="Address already in use"):
            lab.start_host(name)
        assert time.monotonic() - t0 < 15  # noticed when sshd exits, not at the timeout
        assert lab.state().hosts[name].status == "failed"
    finally:
        squatter.close()
    assert lab.start_host(name).port == port  # a known host keeps its port: it is in inventories
    assert _ssh(lab, name, "true").returncode == 0


def test_boot_scripts_run_at_every_start(lab: Lab) -> None:
    name = sorted(lab.state().hosts)[4]
    script = (
        '#!/bin/sh\necho "$1 $(hostname)" >> /var/lib/fleet-lab/boots\nsetsid sleep 600 </dev/null >/dev/null 2>&1 &\n'
    )
    boot_d = "/opt/fleet-lab/boot.d"
    r = _ssh(lab, name, f"mkdir -p {boot_d} && cat > {boot_d}/10-svc && chmod +x {boot_d}/10-svc", input=script)
    assert r.returncode == 0, r.stderr
    try:
        lab.stop_host(name)
        rec = lab.start_host(name)
        assert _ssh(lab, name, "cat /var/lib/fleet-lab/boots").stdout == f"start {name}\n"
        # The service the boot script left running lives inside the host, and goes with it.
        key = procs.NamespaceKey(rec.mnt_ns, rec.uts_ns)
        service = [p for p in procs.processes_by_namespace([key])[key] if "sleep" in procs.cmdline(p)]
        assert len(service) == 1
        assert service[0] in lab.stop_host(name)
    finally:
        shutil.rmtree(lab.paths.host(name).fs_path("/opt/fleet-lab/boot.d"))  # the host's disk, from outside
        lab.start_host(name)


def test_second_up_is_idempotent(lab: Lab) -> None:
    before = {n: (r.pid, r.port) for n, r in lab.state().hosts.items()}
    state = lab.up(plan_lab(2, 2))
    assert {n: (r.pid, r.port) for n, r in state.hosts.items()} == before
    assert state.last_start["hosts"] == 0
    with pytest.raises(LabError, match="different lab"):
        lab.up(plan_lab(3, 2))


def test_up_restarts_only_what_is_down(lab: Lab) -> None:
    names = sorted(lab.state().hosts)
    lab.stop_host(names[2])
    before = lab.state().hosts
    state = lab.up()
    assert state.last_start["hosts"] == 1
    for n in names:
        assert state.hosts[n].status == "up"
        if n != names[2]:
            assert state.hosts[n].pid == before[n].pid
    assert _ssh(lab, names[2], "true").returncode == 0


def test_inventory_reaches_the_hosts(lab: Lab, tmp_path: Path) -> None:
    files = write_inventory(lab.topology, tmp_path / "inventory")
    assert [f.name for f in files] == ["brightsmiles.yml"]
    from fleet.inventory.model import load_inventory

    inv = load_inventory(tmp_path / "inventory")
    assert not inv.problems
    assert set(inv.hosts) == set(lab.state().hosts)
    for host in inv.hosts.values():
        v = host.vars
        cmd = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-i", v["ansible_ssh_private_key_file"],
               "-p", str(v["ansible_port"]), *v["ansible_ssh_common_args"].split(),
               f"{v['ansible_user']}@{v['ansible_host']}", "hostname"]  # fmt: skip
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == host.name


def test_hosts_survive_the_process_that_started_them(other_lab: Lab) -> None:
    env = {**os.environ, "PYTHONPATH": SRC}
    r = subprocess.run(
        [sys.executable, "-m", "fleet.lab", "up", "--practices", "1", "--workstations", "2", "--dir",
         str(other_lab.paths.root)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    time.sleep(0.3)
    state = other_lab.state()
    assert len(state.hosts) == 2
    for rec in state.hosts.values():
        assert _ssh(other_lab, rec.name, "hostname").stdout.strip() == rec.name
        assert os.getsid(rec.pid) != os.getsid(0)  # own session: no terminal, no job control of ours
        with open(f"/proc/{rec.pid}/stat") as f:
            ppid = int(f.read().rpartition(")")[2].split()[1])
        assert ppid != os.getpid()
    r = subprocess.run([sys.executable, "-m", "fleet.lab", "status", "--dir", str(other_lab.paths.root)],
                       capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count(" up ") == 2


def test_down_stops_exactly_our_processes(lab: Lab, other_lab: Lab) -> None:
    state = other_lab.up(plan_lab(1, 2))
    name = next(iter(state.hosts))
    assert _ssh(other_lab, name, "setsid sleep 600 </dev/null >/dev/null 2>&1 &").returncode == 0
    # A bystander that merely mentions the lab directory must survive.
    decoy = subprocess.Popen(
        ["sh", "-c", "sleep 600; true", str(other_lab.paths.root / "hosts" / name / "sshd_config")],
        start_new_session=True,
    )
    try:
        time.sleep(0.2)
        ours = _our_sshds(other_lab.paths.root)
        assert sorted(ours) == sorted(r.pid for r in state.hosts.values())
        keep = [r.pid for r in lab.state().hosts.values()]

        stopped = other_lab.down()
        assert set(ours) <= set(stopped)
        assert len(stopped) >= len(ours) + 1  # the sleep left running inside the host
        assert _our_sshds(other_lab.paths.root) == []
        assert decoy.poll() is None, "down killed a process that is not ours"
        assert all(procs.is_alive(p) for p in keep), "down of one lab touched another lab"
        assert all(r.status == "down" and r.pid is None for r in other_lab.state().hosts.values())
        assert other_lab.down() == []  # twice is fine
    finally:
        os.killpg(decoy.pid, signal.SIGTERM)
        decoy.wait()


def test_each_host_has_its_own_home_even_with_the_lab_inside_the_real_home() -> None:
    home = Path.home()
    lab = Lab(home / f".fleet-lab-test-{uuid.uuid4().hex[:8]}")
    try:
        state = lab.up(plan_lab(1, 2))
        a, b = sorted(state.hosts)
        fname = f"mine-{uuid.uuid4().hex[:8]}"
        r = _ssh(lab, a, f"echo $HOME; ls -A ~; touch ~/{fname}")
        assert r.returncode == 0, r.stderr
        assert r.stdout.split()[0] == str(home)
        assert ".bashrc" in r.stdout.split() and ".config" in r.stdout.split()
        assert _ssh(lab, b, f"test -e ~/{fname}").returncode == 1
        assert not (home / fname).exists()
        # The lab directory is still reachable inside the host (sshd needs its config and keys).
        assert _ssh(lab, a, f"test -f {lab.paths.known_hosts}").returncode == 0
    finally:
        lab.down(purge=True)
    assert not lab.paths.root.exists()
