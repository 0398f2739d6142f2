"""`fleet deploy` against real lab hosts: real Ansible over real SSH, real store, the real CLI.

One lab for the module (3 practices x 2 workstations: a cloud practice with Chrome and Edge, a
cloud practice with Chrome, an on-prem practice with its Linux server), torn down whatever
happens. The tests run in order and each leaves the lab deployed.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from fleet.lab import Lab, plan_lab
from fleet.store import Store
from fleet.store import schema as t

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root"),
    pytest.mark.skipif(not os.access("/usr/sbin/sshd", os.X_OK), reason="needs openssh-server"),
]

FLEET = str(Path(sys.executable).parent / "fleet")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SYNC = "/opt/fleet-lab/synchronizer"
CHROME_DIRS = ("/etc/opt/chrome/policies/managed", "/etc/chromium/policies/managed")
EDGE_DIR = "/etc/opt/edge/policies/managed"
OTHER_ID = "ponmlkjihgfedcbaponmlkjihgfedcba"
OTHER_ENTRY = f"{OTHER_ID};https://clients2.google.com/service/update2/crx"


class LabWorkspace:
    def __init__(self, root: Path, lab: Lab, password: str) -> None:
        from fleet.lab.workspace import lab_secrets

        self.root, self.lab, self.password = root, lab, password
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
        self.outputs: list[str] = []
        self.secrets = lab_secrets(root, password)
        self.timings: dict[str, float] = {}

    # -- running fleet ------------------------------------------------------------------------------
    def fleet(self, *args: str, env: dict[str, str] | None = None, timeout: float = 600,
              stdin: str | None = None) -> subprocess.CompletedProcess:
        r = subprocess.run([FLEET, "-w", str(self.root), *args], capture_output=True, text=True,
                           env={**self.env, **(env or {})}, timeout=timeout, input=stdin)
        self.outputs += [r.stdout, r.stderr]
        assert "Traceback" not in r.stderr, r.stderr
        return r

    def deploy(self, *args: str, expect: int = 0, label: str | None = None) -> dict[str, Any]:
        t0 = time.monotonic()
        r = self.fleet("deploy", "--yes", "--json", *args)
        if label:
            self.timings[label] = round(time.monotonic() - t0, 2)
        assert r.returncode == expect, f"exit {r.returncode}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        return json.loads(r.stdout)

    # -- looking at the hosts ------------------------------------------------------------------------
    @property
    def state(self):  # type: ignore[no-untyped-def]
        return self.lab.state()

    def hosts(self, role: str | None = None, hosting: str | None = None) -> list[str]:
        topo = self.state.topology
        return [h.name for p in topo.practices for h in p.hosts
                if (role is None or h.role == role) and (hosting is None or p.hosting == hosting)]

    def practice_of(self, host: str) -> Any:
        topo = self.state.topology
        return topo.practice(topo.host(host).practice_id)

    def fs(self, host: str, path: str) -> Path:
        return self.lab.paths.host(host).fs_path(path)

    def snapshot(self) -> dict[str, tuple[str, int]]:
        """Every file of every host's private directories: (sha256, mode)."""
        out = {}
        for host in self.hosts():
            base = self.lab.paths.host(host).fs
            for p in sorted(base.rglob("*")):
                if p.is_file() and not p.is_symlink():
                    out[f"{host}:{p.relative_to(base)}"] = (hashlib.sha256(p.read_bytes()).hexdigest(),
                                                            p.stat().st_mode)
        return out

    def exec(self, host: str, *argv: str) -> subprocess.CompletedProcess:
        r = self.lab.exec_in_host(host, list(argv), timeout=60)
        assert r.returncode == 0, f"{host}: {argv}: {r.stderr}"
        return r

    def sync_status(self, host: str) -> dict[str, Any] | None:
        r = self.lab.exec_in_host(host, [f"{SYNC}/current/bin/fleet-synchronizer", "status"], timeout=60)
        return json.loads(r.stdout) if r.returncode == 0 else None

    def store(self) -> Store:
        return Store(f"sqlite:///{self.root}/state/fleet.db")

    def deploy_runs(self) -> list[Any]:
        s = self.store()
        try:
            return s.runs("deploy", limit=1000)
        finally:
            s.close()

    def set_host_var(self, host: str, key: str, value: Any) -> None:
        for f in (self.root / "inventory").glob("*.yml"):
            doc = yaml.safe_load(f.read_text())
            for c in doc["all"]["children"].values():
                for p in c["children"].values():
                    if host in p["hosts"]:
                        if value is None:
                            p["hosts"][host].pop(key, None)
                        else:
                            p["hosts"][host][key] = value
                        f.write_text(yaml.safe_dump(doc, sort_keys=False))
                        return
        raise KeyError(host)


@pytest.fixture(scope="module")
def labws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabWorkspace]:
    from fleet.lab.workspace import engine_dir, write_lab_workspace

    root = tmp_path_factory.mktemp("deploy-lab") / "ws"
    lab = Lab(engine_dir(root))
    password = "pw-" + secrets.token_hex(12)  # random: any trace of it on disk is a leak
    try:
        state = lab.up(plan_lab(practices=3, workstations=2), timeout=120)
        write_lab_workspace(root, state, password=password)
        w = LabWorkspace(root, lab, password)
        yield w
        if w.timings:
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / "deploy-lab-timings.json").write_text(
                json.dumps({"hosts": len(w.hosts()), **w.timings}, indent=2) + "\n")
    finally:
        lab.down(purge=True)


def _by_host(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {h["host"]: h for h in doc["hosts"]}


# -- 1. bad input: clear error, nothing runs, nothing changes ----------------------------------------------


def test_bad_input_is_refused_before_anything_runs(labws: LabWorkspace) -> None:
    w = labws
    before = w.snapshot()
    cfg = w.root / "fleet.yml"
    cfg_text = cfg.read_text()
    vault_file = next((w.root / "inventory" / "group_vars").glob("practice_*/vault.yml"))
    vault_bytes = vault_file.read_bytes()
    cases: list[tuple[list[str], dict[str, str], str, tuple[int, ...]]] = [
        (["--practice", "nosuchpractice"], {}, "no practice 'nosuchpractice'", (1,)),
        (["--client", "nosuchclient"], {}, "no client 'nosuchclient'", (1,)),
        (["--limit", "zz-*"], {}, "matches no host", (1,)),
        ([], {"FLEET_VAULT_PASSWORD": "wrong-password"}, "cannot decrypt", (1,)),
        (["--serial", "many"], {}, "--serial", (1, 2)),
        (["--forks", "0"], {}, "--forks", (2,)),
        (["--canary", "0"], {}, "--canary", (1, 2)),
    ]
    for args, env, message, codes in cases:
        r = w.fleet("deploy", "--yes", *args, env=env)
        assert r.returncode in codes and message in r.stdout + r.stderr, (args, r.returncode, r.stderr[-2000:])
    # no terminal and no --yes: refused (exit 2), not silently deployed
    r = w.fleet("deploy", stdin="")
    assert r.returncode == 2 and "--yes" in r.stderr
    try:
        vault_file.write_bytes(b"$ANSIBLE_VAULT;1.1;AES256\n6162636465\n")  # unreadable vault
        r = w.fleet("deploy", "--yes")
        assert r.returncode == 1 and "not ready" in r.stderr, r.stderr[-2000:]
        vault_file.write_bytes(vault_bytes)
        cfg.write_text(cfg_text.replace("linux_sha256:", "# linux_sha256:"))  # no checksum for the installer
        r = w.fleet("deploy", "--yes")
        assert r.returncode == 1 and "linux_sha256" in r.stdout + r.stderr, r.stderr[-2000:]
        r = w.fleet("deploy", "--yes", "--json")
        assert r.returncode == 1 and json.loads(r.stdout)["status"] == "blocked"
    finally:
        vault_file.write_bytes(vault_bytes)
        cfg.write_text(cfg_text)
    assert w.deploy_runs() == []  # nothing reached the point of a run
    assert not (w.root / "state" / "runs").exists()
    assert w.snapshot() == before


# -- 2. a deploy reaches every host; the second changes nothing ---------------------------------------------


def test_deploy_reaches_every_host_and_the_second_deploy_changes_nothing(labws: LabWorkspace) -> None:
    w = labws
    doc = w.deploy(label="first_deploy_seconds")
    first_doc = doc
    hosts = _by_host(doc)
    assert set(hosts) == set(w.hosts()) and doc["status"] == "ok"
    assert doc["summary"]["failed"] == doc["summary"]["unreachable"] == 0
    for name in w.hosts():
        p = w.practice_of(name)
        touched = (p.hosting == "cloud" and name in w.hosts("workstation")) or name in w.hosts("server")
        assert hosts[name]["status"] == ("changed" if touched else "ok"), hosts[name]
    # what is on the machines: our JSON in each browser's folder, with the practice's token
    for name in w.hosts("workstation", "cloud"):
        p = w.practice_of(name)
        token = w.secrets[p.id]["fleet_token"]
        browsers = w.state.topology.host_browsers(name)
        dirs = list(CHROME_DIRS) + ([EDGE_DIR] if "edge" in browsers else [])
        for d in dirs:
            f = w.fs(name, f"{d}/fleet-{p.id}.json")
            data = json.loads(f.read_text())
            (ext_id, settings), = data["3rdparty"]["extensions"].items()
            assert settings["token"] == token and data["ExtensionInstallForcelist"] == [
                f"{ext_id};https://clients2.google.com/service/update2/crx"]
            assert oct(f.stat().st_mode & 0o777) == "0o644"
        if "edge" not in browsers:
            assert not w.fs(name, f"{EDGE_DIR}/fleet-{p.id}.json").exists()
    server = w.hosts("server")[0]
    status = w.sync_status(server)
    key = w.secrets[w.practice_of(server).id]["fleet_product_key"]
    assert status is not None and status["running"] and status["enabled"] and status["version"] == "4.2.0"
    from fleet.secrets.store import fingerprint

    assert status["key_fingerprint"] == fingerprint(key)
    keyfile = w.fs(server, f"{SYNC}/etc/product.key")
    assert keyfile.read_text() == key and oct(keyfile.stat().st_mode & 0o777) == "0o600"
    for name in w.hosts("workstation", "on_prem"):  # the installer runs only on the practice's server
        assert not w.fs(name, f"{SYNC}/current").exists()

    before = w.snapshot()
    doc = w.deploy(label="idempotent_deploy_seconds")
    assert doc["status"] == "ok" and all(h["status"] == "ok" and h["changed"] == 0 for h in doc["hosts"]), doc
    assert w.snapshot() == before
    # every host was verified in sync by one collection round trip: no ansible-playbook started (the
    # run has no ansible-runner private data dir, where every playbook run leaves its artifacts)
    assert doc["summary"]["verified_in_sync"] == len(w.hosts())
    assert all(h["verified"] == "in_sync" for h in doc["hosts"])
    assert f"{len(w.hosts())} verified in sync" in w.outputs[-1]
    assert list((w.root / "state" / "runs" / w.deploy_runs()[0].id).iterdir()) == []
    doc = w.deploy("--full", label="idempotent_full_deploy_seconds")  # Ansible on every host: still nothing
    assert doc["summary"]["changed"] == 0 and doc["summary"]["verified_in_sync"] == 0
    assert list((w.root / "state" / "runs" / w.deploy_runs()[0].id).iterdir())
    # the audit trail: who, what, per host; the first run's changed tasks are there
    store = w.store()
    try:
        runs = store.runs("deploy", limit=3)
        assert [r.status for r in runs] == ["ok", "ok", "ok"] and runs[0].user
        first = store.audit_events(runs[2].id)
        changed_hosts = {n for n, h in _by_host(first_doc).items() if h["status"] == "changed"}
        assert {a.host for a in first if a.changed} == changed_hosts
        assert not [a for a in store.audit_events(runs[0].id) if a.changed]
        verified = store.audit_events(runs[1].id)  # the audit says each host was verified, and changed nothing
        assert {a.host for a in verified} == set(w.hosts()) and not any(a.changed for a in verified)
        assert {a.task for a in verified} == {"verified by collection"}
    finally:
        store.close()
    r = w.fleet("runs", "show", runs[2].id[:10], "--json")
    shown = json.loads(r.stdout)
    assert r.returncode == 0 and shown["id"] == runs[2].id and len(shown["hosts"]) == len(w.hosts())
    tasks = {a["task"] for a in shown["tasks"]}
    # the no_log tasks' changes are recorded through their secret-free report tasks
    assert {"Report that our policy files changed", "Report that the Synchronizer was installed"} <= tasks


# -- 3. --check changes nothing ----------------------------------------------------------------------------


def test_check_reports_what_would_change_and_changes_nothing(labws: LabWorkspace) -> None:
    w = labws
    ws_host = w.hosts("workstation", "cloud")[0]
    server = w.hosts("server")[0]
    p = w.practice_of(ws_host)
    w.exec(ws_host, "rm", "-f", f"{CHROME_DIRS[0]}/fleet-{p.id}.json")
    w.exec(server, f"{SYNC}/current/bin/fleet-synchronizer", "stop")
    before = w.snapshot()
    doc = w.deploy("--check", "--diff")
    assert w.snapshot() == before
    hosts = _by_host(doc)
    assert doc["check"] is True
    assert hosts[ws_host]["status"] == "changed" and hosts[server]["status"] == "changed"
    assert all(h["status"] == "ok" for n, h in hosts.items() if n not in (ws_host, server))
    assert w.deploy_runs()[0].options["check"] is True
    assert hosts[ws_host]["verified"] == hosts[server]["verified"] == "drifted"
    assert any("write our policy file" in c for c in hosts[ws_host]["drift"])
    assert "start fleet-synchronizer" in hosts[server]["drift"]  # the plan's service (the Linux stand-in)
    doc = w.deploy()  # the real thing puts both back; only those two reach Ansible
    assert {n for n, h in _by_host(doc).items() if h["status"] == "changed"} == {ws_host, server}
    assert doc["summary"]["verified_in_sync"] == len(w.hosts()) - 2
    assert w.sync_status(server)["running"]


def test_check_sees_a_rotated_product_key_and_the_deploy_installs_it(labws: LabWorkspace) -> None:
    from fleet.secrets.store import fingerprint

    w = labws
    server = w.hosts("server")[0]
    pid = w.practice_of(server).id
    old = w.secrets[pid]["fleet_product_key"]
    new = "ROTATED-" + secrets.token_hex(8)
    r = w.fleet("secrets", "set", pid, "--product-key", "--stdin", stdin=new + "\n",
                env={"FLEET_VAULT_PASSWORD": w.password})
    assert r.returncode == 0, r.stderr
    w.secrets[pid]["fleet_product_key"], w.secrets[pid]["old_product_key"] = new, old  # both are leak needles
    before = w.snapshot()
    doc = w.deploy("--check", "--diff")  # from the collection: the installed key's fingerprint differs
    assert _by_host(doc)[server]["status"] == "changed" and w.snapshot() == before
    assert _by_host(doc)[server]["drift"] == ["reinstall with the practice's new product key"]
    doc = w.deploy("--check", "--full")  # Ansible's check mode says so too
    assert _by_host(doc)[server]["status"] == "changed" and w.snapshot() == before
    doc = w.deploy("--practice", pid)
    assert _by_host(doc)[server]["status"] == "changed"
    assert w.sync_status(server)["key_fingerprint"] == fingerprint(new)
    assert w.deploy("--practice", pid)["summary"]["verified_in_sync"] == len(w.practice_of(server).hosts)


# -- 4. one host down: reported, the others deployed; --retry-failed finishes it ---------------------------


def test_a_down_host_is_unreachable_and_retry_failed_finishes_it(labws: LabWorkspace) -> None:
    w = labws
    down = w.hosts("workstation", "cloud")[1]
    p = w.practice_of(down)
    w.exec(down, "rm", "-f", f"{CHROME_DIRS[1]}/fleet-{p.id}.json")
    other = w.hosts("workstation", "cloud")[0]
    w.exec(other, "rm", "-f", f"{CHROME_DIRS[1]}/fleet-{w.practice_of(other).id}.json")
    w.lab.stop_host(down)
    try:
        doc = w.deploy(expect=1)
        hosts = _by_host(doc)
        assert hosts[down]["status"] == "unreachable" and doc["status"] == "partial"
        assert hosts[other]["status"] == "changed"  # the others were deployed
        assert all(h["status"] in ("ok", "changed") for n, h in hosts.items() if n != down)
    finally:
        w.lab.start_host(down)
    doc = w.deploy("--retry-failed")
    assert [h["host"] for h in doc["hosts"]] == [down] and doc["hosts"][0]["status"] == "changed"
    assert w.fs(down, f"{CHROME_DIRS[1]}/fleet-{p.id}.json").exists()
    r = w.fleet("deploy", "--yes", "--retry-failed")
    assert r.returncode == 0 and "nothing to retry" in r.stderr


# -- 5. other software's forcelist entries survive deploy and removal ---------------------------------------


def test_another_files_forcelist_survives_deploy_and_removal(labws: LabWorkspace) -> None:
    w = labws
    host = w.hosts("workstation", "cloud")[0]
    p = w.practice_of(host)
    theirs = json.dumps({"ExtensionInstallForcelist": [OTHER_ENTRY], "PasswordManagerEnabled": False}) + "\n"
    for d in CHROME_DIRS:
        w.fs(host, f"{d}/acme-pdf-tools.json").write_text(theirs)
    doc = w.deploy("--practice", p.id)
    assert _by_host(doc)[host]["status"] == "changed"
    for d in CHROME_DIRS:
        ours = json.loads(w.fs(host, f"{d}/fleet-{p.id}.json").read_text())
        assert ours["ExtensionInstallForcelist"][0] == OTHER_ENTRY and len(ours["ExtensionInstallForcelist"]) == 2
        assert w.fs(host, f"{d}/acme-pdf-tools.json").read_text() == theirs
    assert w.deploy("--practice", p.id)["summary"]["changed"] == 0  # still idempotent

    doc = w.deploy("--remove", "--practice", p.id, "--limit", host)
    assert [h["host"] for h in doc["hosts"]] == [host] and doc["hosts"][0]["status"] == "changed"
    for d in (*CHROME_DIRS, EDGE_DIR):
        assert not w.fs(host, f"{d}/fleet-{p.id}.json").exists()
    for d in CHROME_DIRS:
        assert w.fs(host, f"{d}/acme-pdf-tools.json").read_text() == theirs

    # a file named after ours that also sets the list would hide ours: that host fails, with the reason
    w.fs(host, f"{CHROME_DIRS[0]}/zz-vendor.json").write_text(theirs)
    try:
        doc = w.deploy("--practice", p.id, expect=1)
        hosts = _by_host(doc)
        assert hosts[host]["status"] == "failed" and "zz-vendor.json" in hosts[host]["message"]
        assert all(h["status"] == "ok" for n, h in hosts.items() if n != host)
    finally:
        w.fs(host, f"{CHROME_DIRS[0]}/zz-vendor.json").unlink()
    assert _by_host(w.deploy("--practice", p.id))[host]["status"] in ("ok", "changed")
    for d in CHROME_DIRS:
        assert w.fs(host, f"{d}/acme-pdf-tools.json").read_text() == theirs
        w.fs(host, f"{d}/acme-pdf-tools.json").unlink()
    w.deploy("--practice", p.id)


# -- 6. the Synchronizer: upgrade when the version differs, removal -----------------------------------------


def test_synchronizer_upgrade_then_removal_then_reinstall(labws: LabWorkspace) -> None:
    from fleet.lab.standin import build_synchronizer_package
    from fleet.lab.workspace import engine_dir

    w = labws
    server = w.hosts("server")[0]
    pid = w.practice_of(server).id
    cfg = w.root / "fleet.yml"
    original = cfg.read_text()
    pkg, sha = build_synchronizer_package(engine_dir(w.root) / "packages", "4.2.1")
    try:
        doc = yaml.safe_load(original)
        doc["synchronizer"].update(version="4.2.1", linux_url=pkg.as_uri(), linux_sha256=sha)
        cfg.write_text(yaml.safe_dump(doc, sort_keys=False))
        res = w.deploy("--practice", pid)
        assert _by_host(res)[server]["status"] == "changed"
        status = w.sync_status(server)
        assert status["version"] == "4.2.1" and status["running"]
        assert w.deploy("--practice", pid)["summary"]["changed"] == 0
    finally:
        cfg.write_text(original)
    res = w.deploy("--practice", pid, "--remove")
    assert _by_host(res)[server]["status"] == "changed"
    assert not w.fs(server, SYNC).exists() and w.sync_status(server) is None
    assert w.deploy("--practice", pid, "--remove")["summary"]["changed"] == 0
    # --check on a server with nothing installed: reports the install, changes nothing (the download
    # folder does not exist yet, so the download cannot even be tried).
    before = w.snapshot()
    res = w.deploy("--practice", pid, "--check")
    assert _by_host(res)[server]["status"] == "changed" and w.snapshot() == before
    res = w.deploy("--practice", pid)
    status = w.sync_status(server)
    assert _by_host(res)[server]["status"] == "changed" and status["version"] == "4.2.0" and status["running"]


# -- 7. canary, serial -------------------------------------------------------------------------------------


def test_canary_gates_the_rest_and_serial_batches_all_run(labws: LabWorkspace) -> None:
    w = labws
    doc = w.deploy("--canary", "1", "--serial", "2")
    assert doc["status"] == "ok" and len(doc["hosts"]) == len(w.hosts())
    canary = w.hosts("workstation", "cloud")[0]
    w.lab.stop_host(canary)  # the first host that would change something is the canary; it is down
    try:  # --full: every host goes to Ansible, so the canary gates them all
        doc = w.deploy("--canary", "1", "--full", expect=1)
    finally:
        w.lab.start_host(canary)
    hosts = _by_host(doc)
    assert doc["canary_failed"] and hosts[canary]["status"] == "unreachable"
    assert all(h["status"] == "skipped" and "canary" in h["message"] for n, h in hosts.items() if n != canary)
    assert w.deploy("--retry-failed")["status"] == "ok"


# -- 8. killed mid-run: what was gathered is kept, the run is marked interrupted ------------------------------


def test_a_deploy_killed_mid_run_keeps_its_results_and_is_marked_interrupted(labws: LabWorkspace) -> None:
    w = labws
    slow = w.hosts("workstation", "cloud")[-1]  # a host the deploy connects to
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def hold() -> None:  # accept and never answer, until the listener is closed
        try:
            while True:
                held.append(listener.accept()[0])
        except OSError:
            pass

    threading.Thread(target=hold, daemon=True).start()
    port = w.state.record(slow).port
    w.set_host_var(slow, "ansible_port", listener.getsockname()[1])  # accepts, never answers
    w.set_host_var(slow, "ansible_timeout", 120)
    n_runs = len(w.deploy_runs())
    try:
        proc = subprocess.Popen([FLEET, "-w", str(w.root), "deploy", "--yes"], env=w.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        run_id = None
        while time.monotonic() < deadline:  # wait until every other host has its result in the store
            runs = w.deploy_runs()
            if len(runs) > n_runs:
                run_id = runs[0].id
                s = w.store()
                try:
                    if len(s.host_results(run_id)) >= len(w.hosts()) - 1:
                        break
                finally:
                    s.close()
            time.sleep(0.3)
        assert run_id is not None
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        w.outputs += [out, err]
        assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    finally:
        w.set_host_var(slow, "ansible_port", port)
        w.set_host_var(slow, "ansible_timeout", None)
        listener.close()
        for c in held:
            c.close()
    s = w.store()
    try:
        run = s.run(run_id)
        results = {r.host: r for r in s.host_results(run_id)}
    finally:
        s.close()
    assert run.status == "interrupted" and run.finished_at is not None
    assert set(results) == set(w.hosts())
    assert results[slow].status == "unknown" and "interrupted" in results[slow].message
    assert all(r.status == "ok" for h, r in results.items() if h != slow)
    doc = w.deploy("--retry-failed")
    assert [h["host"] for h in doc["hosts"]] == [slow] and doc["status"] == "ok"


# -- 9. no secret anywhere fleet writes or prints ---------------------------------------------------------------


def test_no_token_product_key_or_vault_password_leaks(labws: LabWorkspace) -> None:
    w = labws
    needles = [s for d in w.secrets.values() for s in d.values()] + [w.password]
    assert len(needles) >= 4 and w.outputs
    for text in w.outputs:  # stdout/stderr of every fleet command run above
        for n in needles:
            assert n not in text
    runs_dir = w.root / "state" / "runs"
    files = [p for p in runs_dir.rglob("*") if p.is_file()]
    assert any(p.name == "command" for p in files) and any(p.parent.name == "job_events" for p in files)
    for p in files:  # ansible-runner's artifacts: command (env), stdout, job_events, env/...
        data = p.read_bytes()
        for n in needles:
            assert n.encode() not in data, f"{n[:6]}... in {p}"
    assert not any(p.name == "tmp" and any(p.iterdir()) for p in runs_dir.glob("*/tmp"))  # Ansible's temp: gone
    store = w.store()
    try:
        with store.engine.connect() as conn:
            dump = "\n".join(json.dumps([str(v) for v in row]) for table in t.metadata.sorted_tables
                             for row in conn.execute(sa.select(table)))
    finally:
        store.close()
    assert "Report that our policy files changed" in dump  # the audit trail is there ...
    for n in needles:  # ... without a secret
        assert n not in dump
    # the password reaches disk only where the lab keeps it on purpose
    hits = [p for p in w.root.rglob("*") if p.is_file() and w.password.encode() in p.read_bytes()]
    assert hits == [w.root / ".vault-pass"]


# -- 10. the fleet lab CLI: up, a deploy with no environment at all, browsers, down -------------------------


def test_fleet_lab_cli_up_deploy_browsers_down(tmp_path: Path) -> None:
    import urllib.request

    from fleet.lab import procs
    from fleet.lab.workspace import engine_dir

    d = tmp_path / "cli-lab"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
    env["FLEET_LAB_DIR"] = str(d)

    def fleet(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess:
        r = subprocess.run([FLEET, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
        assert "Traceback" not in r.stderr, r.stderr
        return r

    r = fleet("lab", "up", "--practices", "1", "--workstations", "1", "--browsers", "simulated")
    try:
        assert r.returncode == 0, r.stderr
        assert oct((d / ".vault-pass").stat().st_mode & 0o777) == "0o600"
        assert "vault_password_file = .vault-pass" in (d / "ansible.cfg").read_text()
        r = fleet("lab", "status", "--json")
        hosts = json.loads(r.stdout)
        assert r.returncode == 0 and [h["status"] for h in hosts] == ["up"]
        url = yaml.safe_load((d / "fleet.yml").read_text())["sync_endpoint"]
        assert urllib.request.urlopen(url, timeout=10).status == 204  # the lab's sync endpoint answers
        # no workspace here, no env: the lab's workspace, its vault password from ansible.cfg's file
        r = fleet("deploy", "--yes", "--json")
        assert r.returncode == 0, r.stderr[-2000:]
        assert "using the lab workspace" in r.stderr and json.loads(r.stdout)["summary"]["changed"] == 1
        r = fleet("lab", "browsers")
        assert r.returncode == 0 and "installs/removals on 1 of 1 hosts" in r.stderr
        profile = Lab(engine_dir(d)).paths.host(hosts[0]["host"]).fs
        assert list(profile.rglob("Extensions/*/1.0.0_0/manifest.json"))
        sshd_pid = hosts[0]["pid"]
        endpoint_pid = json.loads((engine_dir(d) / "endpoint.json").read_text())["pid"]
    finally:
        r = fleet("lab", "down", "--purge")
    assert r.returncode == 0 and "stopped" in r.stderr and not d.exists()
    assert not procs.is_alive(sshd_pid) and not procs.is_alive(endpoint_pid)
