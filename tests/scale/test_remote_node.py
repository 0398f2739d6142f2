"""Deploy and sweep through an execution node: a lab host runs `ansible-runner worker` for the controller.

The node is one lab host (its own home, /etc/opt/chrome...; loopback and /usr shared with this
machine), reached over ssh like a site's node; it reaches the other lab hosts as a site node
reaches the practice's machines. Lab hosts cannot run the venv's own interpreter (it lives under
/root/.pyenv, and every lab host has its own /root), so the node gets small wrappers that run the
system python3 (same 3.11) with the venv's site-packages: what "fleet installed on the node" means.

Checked: the deploy through the node changes the hosts as a local deploy would and is recorded in
the store; the sweep through the node judges every host as a local sweep does; nothing of a job
(vault password, decrypted secrets, the job directory) is left on the node or in the controller's
transmit directory; a node that cannot be reached or cannot run the worker gives a clear error.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleet.lab import Lab
from fleet.lab.workspace import engine_dir, lab_secrets, write_lab_workspace

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root"),
    pytest.mark.skipif(not os.access("/usr/sbin/sshd", os.X_OK), reason="needs openssh-server"),
    pytest.mark.skipif(not os.access("/usr/bin/python3", os.X_OK), reason="the node wrappers need /usr/bin/python3"),
]

FLEET = str(Path(sys.executable).parent / "fleet")
SRC = Path(__file__).resolve().parents[2] / "src"
NODE = "bs-downtown-ws01"  # the execution node; not deployed to
TARGETS = "bs-downtown-ws02,bs-northside-*"


def _site_packages() -> str:
    import ansible_runner

    return str(Path(ansible_runner.__file__).resolve().parents[1])


def write_node_bin(d: Path) -> Path:
    """ansible-runner, ansible-playbook and python3 for the node (system python3 + the venv's packages)."""
    d.mkdir(parents=True, exist_ok=True)
    env = f"PYTHONPATH={_site_packages()}:{SRC}; export PYTHONPATH\n"
    for name, module in (("ansible-runner", "-m ansible_runner "), ("ansible-playbook", "-m ansible.cli.playbook "),
                         ("python3", "")):
        p = d / name
        p.write_text(f'#!/bin/sh\n{env}exec /usr/bin/python3 {module}"$@"\n')
        p.chmod(0o755)
    return d


class Site:
    def __init__(self, root: Path) -> None:
        from fleet.lab import plan_lab

        self.ws = root / "ws"
        self.lab = Lab(engine_dir(self.ws))
        state = self.lab.up(plan_lab(practices=2, workstations=2), timeout=120)
        # a password no path contains (the default, "fleet-lab", is part of /opt/fleet-lab/...)
        self.password = f"vault-{uuid.uuid4().hex}"
        write_lab_workspace(self.ws, state, password=self.password)
        self.node_bin = write_node_bin(root / "node-bin")
        self.ssh_config = str(self.lab.paths.ssh_config)

    def via(self, runner: str | None = None) -> list[str]:
        runner = runner or str(self.node_bin / "ansible-runner")
        return ["--via", NODE, "--ssh-config", self.ssh_config, "--runner", runner]

    def fleet(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
        env |= {"FLEET_WORKSPACE": str(self.ws), "NO_COLOR": "1", "COLUMNS": "200"}
        return subprocess.run([FLEET, *args], capture_output=True, text=True, env=env, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def node_files(self) -> Path:
        """The node's private directories (its home, /etc/opt/chrome, /opt/fleet-lab...) as seen from here."""
        return self.lab.paths.host(NODE).fs

    def secrets(self) -> list[str]:
        values = [v for d in lab_secrets(self.ws, self.password).values() for v in d.values()]
        assert values
        return [*values, self.password]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    s = Site(tmp_path_factory.mktemp("site"))
    try:
        yield s
    finally:
        s.lab.down(purge=True)


def _tmp_entries() -> set[str]:
    return {p for p in os.listdir("/tmp") if p.startswith(("fleet-worker.", "fleet-transmit-"))}


def _grep(root: Path, needles: list[str]) -> list[str]:
    hits = []
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            try:
                data = p.read_bytes()
            except OSError:
                continue
            hits += [f"{p}: {n[:6]}..." for n in needles if n.encode() in data]
    return hits


def test_check_node(site: Site) -> None:
    r = site.fleet("remote", "check", *site.via(), "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    import ansible

    assert info["ansible_core"] == ansible.__version__ and info["fleet"] and info["cpu_count"] >= 1


def _node_ansible_processes(site: Site) -> list[str]:
    """ansible/runner processes running inside the node (its own mount namespace)."""
    rec = site.lab.state().record(NODE)
    own_ns = os.readlink(f"/proc/{rec.pid}/ns/mnt")
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/mnt") != own_ns:
                continue
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "ansible" in cmd:
            found.append(cmd[:200])
    return found


def test_interrupted_job_leaves_nothing_on_the_node(site: Site) -> None:
    """SIGTERM to `fleet remote deploy` mid-run: the node's worker and its Ansible stop, its job
    directory (with the vault password file) is deleted, the run is recorded as interrupted."""
    before = _tmp_entries()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
    env |= {"FLEET_WORKSPACE": str(site.ws), "NO_COLOR": "1"}
    proc = subprocess.Popen([FLEET, "remote", "deploy", *site.via(), "--limit", TARGETS, "--check", "--forks", "1",
                             "--yes", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not _node_ansible_processes(site):
        time.sleep(0.2)
    assert _node_ansible_processes(site), "the job never started on the node"
    time.sleep(2)  # mid-run
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (_node_ansible_processes(site) or _tmp_entries() != before):
        time.sleep(0.5)
    assert _node_ansible_processes(site) == []
    assert _tmp_entries() == before  # the node's job dir and the controller's transmit dir are gone
    assert _grep(site.node_files(), site.secrets()) == []


def test_deploy_through_the_node(site: Site) -> None:
    before = _tmp_entries()
    r = site.fleet("remote", "deploy", *site.via(), "--limit", TARGETS, "--yes", "--json")
    assert r.returncode == 0, r.stderr[-3000:]
    doc = json.loads(r.stdout)
    hosts = {h["host"]: h for h in doc["hosts"]}
    assert set(hosts) == {"bs-downtown-ws02", "bs-northside-ws01", "bs-northside-ws02", "bs-northside-srv01"}
    # cloud workstation and on-prem server get something; an on-prem practice's workstations nothing
    assert {n: h["status"] for n, h in hosts.items()} == {
        "bs-downtown-ws02": "changed", "bs-northside-srv01": "changed", "bs-northside-ws01": "ok",
        "bs-northside-ws02": "ok"}, hosts
    # the hosts really changed: the policy on the workstation, the Synchronizer running on the server
    policy = site.lab.exec_in_host("bs-downtown-ws02", ["sh", "-c", "cat /etc/opt/chrome/policies/managed/*.json"])
    assert "ExtensionInstallForcelist" in policy.stdout
    status = site.lab.exec_in_host("bs-northside-srv01",
                                   ["/opt/fleet-lab/synchronizer/current/bin/fleet-synchronizer", "status"])
    assert json.loads(status.stdout)["running"] is True
    # the node itself was not a target
    assert site.lab.exec_in_host(NODE, ["sh", "-c", "ls /etc/opt/chrome/policies/managed 2>/dev/null"]).stdout == ""
    # recorded in the controller's store like a local deploy
    runs = site.fleet("runs", "--json")
    assert doc["run_id"] in runs.stdout
    # again: nothing to change (idempotent through the node too)
    again = site.fleet("remote", "deploy", *site.via(), "--limit", TARGETS, "--yes", "--json")
    assert again.returncode == 0, again.stderr[-3000:]
    assert {h["status"] for h in json.loads(again.stdout)["hosts"]} == {"ok"}
    # nothing of the jobs left behind: no process on the node (ssh masters included), nothing in this
    # machine's /tmp, no secret on the node or in the run dir
    assert _node_ansible_processes(site) == []
    assert _tmp_entries() == before
    assert _grep(site.node_files(), site.secrets()) == []
    run_dir = site.ws / "state" / "runs" / doc["run_id"]
    assert run_dir.is_dir() and not list(run_dir.rglob("passwords"))
    assert _grep(run_dir, site.secrets()) == []


def test_sweep_through_the_node_matches_a_local_sweep(site: Site) -> None:
    limit = ["--limit", TARGETS]
    remote = site.fleet("remote", "health", *site.via(), *limit, "--json")
    local = site.fleet("health", *limit, "--json")
    assert remote.returncode == local.returncode, remote.stderr[-2000:]

    def states(doc: dict) -> dict[tuple[str, str], str]:
        return {(h["host"], c["check"]): c["state"] for h in doc["hosts"] for c in h["checks"]}

    r_doc, l_doc = json.loads(remote.stdout), json.loads(local.stdout)
    assert len(r_doc["hosts"]) == 4 and {h["status"] for h in r_doc["hosts"]} == {"ok"}
    # the clock-dependent check may differ by a second; everything else must be identical
    assert states(r_doc) == states(l_doc)
    assert r_doc["run_id"] != l_doc["run_id"]
    assert _node_ansible_processes(site) == []
    assert _grep(site.node_files(), site.secrets()) == []


def test_unreachable_node(site: Site) -> None:
    r = site.fleet("remote", "deploy", "--via", "root@127.0.0.1", "--ssh-option", "Port=1",
                   "--ssh-option", "ConnectTimeout=5", "--limit", TARGETS, "--yes")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    h = site.fleet("remote", "health", "--via", "root@127.0.0.1", "--ssh-option", "Port=1", "--limit", TARGETS)
    assert h.returncode == 3 and "Traceback" not in h.stderr  # every host UNKNOWN, said why
    assert "no answer through root@127.0.0.1" in site.fleet("health", "show", "--json").stdout
    c = site.fleet("remote", "check", "--via", "root@127.0.0.1", "--ssh-option", "Port=1")
    assert c.returncode == 1 and "cannot run ansible-runner" in c.stderr and "Traceback" not in c.stderr


def test_node_without_ansible_runner(site: Site) -> None:
    r = site.fleet("remote", "check", *site.via(runner="/nonexistent/ansible-runner"))
    assert r.returncode == 1 and "fix:" in r.stderr and "Traceback" not in r.stderr
    d = site.fleet("remote", "deploy", *site.via(runner="/nonexistent/ansible-runner"), "--limit", TARGETS, "--yes")
    assert d.returncode == 1 and "Traceback" not in d.stderr
