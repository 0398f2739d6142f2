"""The nightly sweep against real lab hosts (sshd in private namespaces, real ssh, real store).

After a deploy every check is OK; things broken on purpose show up as the right check failing on
the right host; fixing them brings OK back; a host answering garbage is UNKNOWN with a reason while
the others are judged; a sweep killed with SIGKILL leaves a consistent store. No secret of the
workspace appears in the store, the JSON output or the logs.

Browsers are simulated the way Chrome behaves on Linux: ``simulate_browsers`` reads the managed
policy folders on each host (the last file by name wins a policy) and installs the force-listed
extensions into every profile, removing force-installed ones that left the policy.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
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
SYNC_ROOT = "/opt/fleet-lab/synchronizer"
# Where the lab's servers keep the state of their practice-system services (seeded by fleet.lab);
# the Synchronizer stand-in is found where deploy's plan puts it, with no setting.
HEALTH_SETTINGS = {"posix": {"service_state_file": "/var/lib/fleet-lab/services.json"}}

# Runs inside a lab host with its own /etc/opt/chrome... and ~/.config: Chrome's part of the job.
BROWSER_SIM = r"""
import glob, json, os, sys
FLAVORS = {"chrome": ("/etc/opt/chrome/policies/managed", ".config/google-chrome"),
           "chromium": ("/etc/chromium/policies/managed", ".config/chromium"),
           "edge": ("/etc/opt/edge/policies/managed", ".config/microsoft-edge")}
home = os.path.expanduser("~")
for name, (policy_dir, data) in FLAVORS.items():
    forcelist = []
    for f in sorted(glob.glob(policy_dir + "/*.json")):
        try:
            doc = json.load(open(f))
        except ValueError:
            continue
        if isinstance(doc.get("ExtensionInstallForcelist"), list):
            forcelist = doc["ExtensionInstallForcelist"]  # the last file by name wins
    wanted = {str(e).split(";")[0] for e in forcelist}
    for prof in glob.glob(os.path.join(home, data, "Default")) + glob.glob(os.path.join(home, data, "Profile *")):
        ext_dir = os.path.join(prof, "Extensions")
        os.makedirs(ext_dir, exist_ok=True)
        for ext_id in os.listdir(ext_dir):
            if ext_id not in wanted and os.path.exists(os.path.join(ext_dir, ext_id, ".force_installed")):
                for root, dirs, files in os.walk(os.path.join(ext_dir, ext_id), topdown=False):
                    for x in files: os.unlink(os.path.join(root, x))
                    for x in dirs: os.rmdir(os.path.join(root, x))
                os.rmdir(os.path.join(ext_dir, ext_id))
        for ext_id in wanted:
            os.makedirs(os.path.join(ext_dir, ext_id, "3.1.4_0"), exist_ok=True)
            open(os.path.join(ext_dir, ext_id, ".force_installed"), "w").close()
"""


# -- helpers ------------------------------------------------------------------------------------


class Endpoint:
    """A local HTTP endpoint standing in for the vendor's sync endpoint (lab hosts share loopback)."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(204)
                self.end_headers()

            do_HEAD = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/sync"

    def close(self) -> None:
        self.server.shutdown()


class LabWorkspace:
    def __init__(self, root: Path, lab: Lab) -> None:
        self.root = root
        self.lab = lab
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
        self.env["FLEET_VAULT_PASSWORD_FILE"] = str(root / ".vault-pass")
        self.logs: list[str] = []

    @property
    def state(self):  # type: ignore[no-untyped-def]
        return self.lab.state()

    def fleet(self, *args: str, timeout: float = 300, check: bool = False) -> subprocess.CompletedProcess:
        r = subprocess.run([FLEET, "-w", str(self.root), *args], capture_output=True, text=True, env=self.env,
                           timeout=timeout)
        self.logs += [r.stdout, r.stderr]
        if check and r.returncode != 0:
            raise AssertionError(f"fleet {' '.join(args)} exited {r.returncode}:\n{r.stderr[-3000:]}")
        return r

    def sweep(self, *args: str) -> tuple[int, dict[str, Any]]:
        r = self.fleet("health", "--json", *args)
        assert r.returncode in (0, 1, 2, 3), r.stderr
        return r.returncode, json.loads(r.stdout)

    def store(self) -> Store:
        return Store(f"sqlite:///{self.root}/state/fleet.db")

    def checks(self, run_id: str) -> dict[tuple[str, str], tuple[str, str]]:
        store = self.store()
        try:
            return {(c.host, c.check_id): (c.state, c.message) for c in store.check_results(run_id)}
        finally:
            store.close()

    def hosts(self, role: str | None = None, method: str | None = None) -> list[Any]:
        from fleet.workspace import Workspace

        ws = Workspace(self.root)
        out = []
        for h in ws.inventory.hosts.values():
            practice = ws.inventory.practices[h.practice_id]
            m = ws.catalog.get(practice.pms).resolve(practice.vars)[0].value
            if (role is None or h.role == role) and (method is None or m == method):
                out.append(h)
        return out

    def exec(self, host: str, *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        r = self.lab.exec_in_host(host, list(argv), input=stdin, timeout=60)
        assert r.returncode == 0, f"{host}: {argv}: {r.stderr}"
        return r

    def simulate_browsers(self) -> None:
        for h in self.hosts(role="workstation"):
            if self.lab.state().record(h.name).pid:
                self.exec(h.name, "/usr/bin/python3", "-c", BROWSER_SIM)

    def set_host_var(self, host: str, key: str, value: Any) -> None:
        """Edit one host's vars in its client's inventory file (None removes the var)."""
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

    def deploy(self) -> None:
        r = self.fleet("deploy", "--yes", timeout=900)
        assert r.returncode == 0, f"fleet deploy failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"

    def dump_store(self) -> str:
        store = self.store()
        try:
            parts = []
            with store.engine.connect() as conn:
                for table in t.metadata.sorted_tables:
                    for row in conn.execute(sa.select(table)):
                        parts.append(json.dumps([str(v) for v in row], default=str))
            return "\n".join(parts)
        finally:
            store.close()


def _coverage_item(w: LabWorkspace, practice_id: str) -> dict[str, Any]:
    """The practice's extension_coverage checklist item, with fleet's coverage events (history)."""
    r = w.fleet("practice", "status", practice_id, "--json", check=True)
    doc = json.loads(r.stdout)
    (item,) = [c for c in doc["checklist"] if c["item"] == "extension_coverage"]
    return {**item, "events": [e["note"].split(" (")[0] for e in doc["history"] if e["kind"] == "coverage"],
            "deployed": [e["note"] for e in doc["history"] if e["kind"] == "deployed"]}


def _not_ok(doc: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(h["host"], c["check"], c["state"], c["message"]) for h in doc["hosts"] for c in h["checks"]
            if c["state"] != "OK"]


@pytest.fixture(scope="module")
def labws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabWorkspace]:
    from fleet.lab.workspace import engine_dir, write_lab_workspace

    root = tmp_path_factory.mktemp("health-lab") / "ws"
    lab = Lab(engine_dir(root))
    endpoint = Endpoint()
    try:
        state = lab.up(plan_lab(practices=4, workstations=2), timeout=120)
        write_lab_workspace(root, state)
        cfg = yaml.safe_load((root / "fleet.yml").read_text())
        cfg["sync_endpoint"] = endpoint.url
        cfg["health"] = HEALTH_SETTINGS
        (root / "fleet.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
        w = LabWorkspace(root, lab)
        w.deploy()
        w.simulate_browsers()
        yield w
    finally:
        endpoint.close()
        lab.down(purge=True)


# -- the story ----------------------------------------------------------------------------------


def test_sweep_after_deploy_is_all_ok_then_breaks_show_and_fixes_clear(labws: LabWorkspace) -> None:
    w = labws
    code, doc = w.sweep()
    assert _not_ok(doc) == [], _not_ok(doc)
    assert code == 0 and doc["state"] == "OK"
    n_hosts = len(w.hosts())
    assert len(doc["hosts"]) == n_hosts and all(h["status"] == "ok" for h in doc["hosts"])
    assert all(p["coverage"]["covered"] == p["coverage"]["total"] for p in doc["practices"])
    assert any(p["coverage"]["total"] for p in doc["practices"])
    assert any(p["servers"]["total"] for p in doc["practices"])

    cloud = [h.name for h in w.hosts(role="workstation", method="chrome_extension")]
    server = next(h.name for h in w.hosts(role="server", method="self_install"))
    # the onboarding checklist's extension_coverage is what this sweep saw, per cloud practice (#14)
    for pid in {h.practice_id for h in w.hosts(role="workstation", method="chrome_extension")}:
        item = _coverage_item(w, pid)
        n = sum(1 for h in w.hosts(role="workstation") if h.practice_id == pid)
        assert item["done"] and item["detail"].startswith(f"{n} of {n} workstations covered in the sweep of"), item
        assert item["events"] == [f"extension coverage reached: the extension on all {n} workstations that use "
                                  "the PMS"], item
        # and the fixture's deploy, which wrote the policy on them: one event per practice, hosts named
        (deployed,) = item["deployed"]
        hosts = sorted(h.name for h in w.hosts(role="workstation") if h.practice_id == pid)
        assert deployed.startswith(f"extension policy written on {', '.join(hosts)} (deploy run "), deployed
    no_policy, wrong_token, switched_off = cloud[0], cloud[1], cloud[2]
    # 1. our policy file removed from one workstation (every managed folder)
    w.exec(no_policy, "sh", "-c", "rm -f /etc/opt/chrome/policies/managed/fleet-*.json "
                                  "/etc/chromium/policies/managed/fleet-*.json "
                                  "/etc/opt/edge/policies/managed/fleet-*.json")
    # 2. another token on a second one
    w.exec(wrong_token, "/usr/bin/python3", "-c",
           "import glob, json\n"
           "for f in glob.glob('/etc/opt/*/policies/managed/fleet-*.json') + "
           "glob.glob('/etc/chromium/policies/managed/fleet-*.json'):\n"
           "    d = json.load(open(f))\n"
           "    for e in d['3rdparty']['extensions'].values(): e['token'] = 'SOMEONE-ELSES-TOKEN'\n"
           "    json.dump(d, open(f, 'w'))\n")
    # 3. a workstation switched off
    w.lab.stop_host(switched_off)
    # 4. the Synchronizer stand-in stopped on the server
    w.exec(server, f"{SYNC_ROOT}/current/bin/fleet-synchronizer", "stop")

    code, doc = w.sweep()
    assert code == 2 and doc["state"] == "CRITICAL"
    checks = w.checks(doc["run_id"])
    assert checks[(no_policy, "extension_forcelist")][0] == "CRITICAL"
    assert checks[(no_policy, "extension_token")][0] == "CRITICAL"
    assert checks[(wrong_token, "extension_token")][0] == "CRITICAL"
    assert "token differs" in checks[(wrong_token, "extension_token")][1]
    assert checks[(wrong_token, "extension_forcelist")][0] == "OK"
    assert checks[(switched_off, "reachable")][0] == "UNKNOWN"
    assert "last seen 20" in checks[(switched_off, "reachable")][1]
    assert all(state == "UNKNOWN" for (h, _), (state, _) in checks.items() if h == switched_off)
    assert checks[(server, "synchronizer_running")][0] == "CRITICAL"
    assert checks[(server, "synchronizer_installed")][0] == "OK"
    broken = {no_policy, wrong_token, switched_off, server}
    # nothing else moved
    others = {(h, c): s for (h, c), (s, _) in checks.items() if h not in broken and s != "OK"}
    assert others == {}
    store = w.store()
    try:
        rows = {r.host: r for r in store.host_results(doc["run_id"])}
        assert rows[switched_off].status == "unreachable"
        assert rows[switched_off].facts and rows[switched_off].facts.get("last_seen")
        assert store.last_seen([switched_off])[switched_off] < rows[switched_off].recorded_at
    finally:
        store.close()
    practices = {p["practice"]: p for p in doc["practices"]}
    hurt = {h.practice_id for h in w.hosts() if h.name == no_policy}.pop()
    assert practices[hurt]["coverage"]["covered"] < practices[hurt]["coverage"]["total"]
    item = _coverage_item(w, hurt)
    assert not item["done"] and "workstations covered in the sweep of" in item["detail"], item
    assert "fleet deploy --practice" in item["detail"]
    assert len(item["events"]) == 2 and item["events"][1].startswith("extension coverage lost: "), item

    # fix: switch the host on, redeploy, let the browsers pick the policy up
    w.lab.start_host(switched_off)
    w.deploy()
    w.simulate_browsers()
    code, doc = w.sweep()
    assert _not_ok(doc) == [] and code == 0


def test_hosts_answering_garbage_are_unknown_with_a_reason_others_are_judged(labws: LabWorkspace) -> None:
    """Real remote runs of a broken collector: a fake shell planted in the host (/opt/fleet-lab is
    private to it) and pointed at by the inventory's ansible_shell_executable."""
    w = labws
    cloud = [h.name for h in w.hosts(role="workstation", method="chrome_extension")]
    fakes = {
        cloud[0]: "#!/bin/sh\ncat >/dev/null\necho 'Welcome to Bright Smiles! <html>not json'\n",
        cloud[1]: "#!/bin/sh\ncat >/dev/null\nhead -c 3000000 /dev/zero | tr '\\0' x\n",
        cloud[2]: "#!/bin/sh\ncat >/dev/null\n"
                  "echo '{\"fleet_health\": 1, \"collector\": \"posix\", \"disks\": [{\"mount\": \"/\", "
                  "\"total_mb\": \"lots\", \"free_mb\": 3}]}'\n",
        cloud[3]: "#!/bin/sh\ncat >/dev/null\necho '{\"status\": \"ok\", \"items\": []}'\n",
    }
    try:
        for host, script in fakes.items():
            w.exec(host, "sh", "-c", "mkdir -p /opt/fleet-lab/bin && cat > /opt/fleet-lab/bin/fake-sh && "
                                     "chmod 755 /opt/fleet-lab/bin/fake-sh", stdin=script)
            w.set_host_var(host, "ansible_shell_executable", "/opt/fleet-lab/bin/fake-sh")
        code, doc = w.sweep()
        checks = w.checks(doc["run_id"])
        reasons = {h: checks[(h, "reachable")] for h in fakes}
        assert all(state == "UNKNOWN" for state, _ in reasons.values()), reasons
        assert "not JSON" in reasons[cloud[0]][1]
        assert "limit" in reasons[cloud[1]][1]
        assert "disks[0].total_mb" in reasons[cloud[2]][1]
        assert "not a fleet health document" in reasons[cloud[3]][1]
        for h in fakes:
            assert all(s == "UNKNOWN" for (hh, _), (s, _) in checks.items() if hh == h)
        others = {(h, c): s for (h, c), (s, _) in checks.items() if h not in fakes and s != "OK"}
        assert others == {}
        assert code == 3 and doc["state"] == "UNKNOWN"
        store = w.store()
        try:
            rows = {r.host: r for r in store.host_results(doc["run_id"])}
        finally:
            store.close()
        assert {rows[h].status for h in fakes} == {"unknown"}
        assert "Welcome" not in w.dump_store()  # a host's garbage is never stored
    finally:
        for host in fakes:
            w.set_host_var(host, "ansible_shell_executable", None)


def test_a_sweep_killed_mid_way_keeps_what_it_wrote_and_the_next_marks_it_interrupted(labws: LabWorkspace) -> None:
    w = labws
    slow = [h.name for h in w.hosts(role="workstation")][-1]
    w.exec(slow, "sh", "-c", "mkdir -p /opt/fleet-lab/bin && cat > /opt/fleet-lab/bin/slow-sh && "
                             "chmod 755 /opt/fleet-lab/bin/slow-sh",
           stdin="#!/bin/sh\nsleep 120\nexec /bin/sh \"$@\"\n")
    w.set_host_var(slow, "ansible_shell_executable", "/opt/fleet-lab/bin/slow-sh")
    try:
        proc = subprocess.Popen([FLEET, "-w", str(w.root), "health", "--json", "--forks", "2", "--timeout", "300"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=w.env)
        store = w.store()
        try:
            deadline = time.monotonic() + 120
            run_id, recorded = None, 0
            while time.monotonic() < deadline:
                run = store.last_run("health", finished_only=False)
                if run and run.status == "running":
                    run_id = run.id
                    recorded = len(store.host_results(run.id))
                    if recorded >= len(w.hosts()) - 1:
                        break
                time.sleep(0.1)
            assert run_id and recorded >= len(w.hosts()) - 1, "the sweep did not get to the slow host"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            run = store.run(run_id)
            assert run is not None and run.status == "running" and run.finished_at is None
            hosts = store.host_results(run_id)
            checks = store.check_results(run_id)
            assert slow not in {h.host for h in hosts}
            assert len(hosts) == recorded
            per_host: dict[str, int] = {}
            for c in checks:
                per_host[c.host] = per_host.get(c.host, 0) + 1
            assert set(per_host) == {h.host for h in hosts}  # no host without its checks, no orphan check
            assert all(h.ok + h.failures <= per_host[h.host] for h in hosts)
        finally:
            store.close()
    finally:
        w.set_host_var(slow, "ansible_shell_executable", None)
    # the next sweep closes the dead run
    r = w.fleet("health", "--limit", slow)
    assert "marked 1 earlier sweep" in r.stderr
    store = w.store()
    try:
        assert store.run(run_id).status == "interrupted"  # type: ignore[union-attr]
    finally:
        store.close()


def test_extension_id_rotation_is_flagged_then_cleaned_up_by_deploy(labws: LabWorkspace) -> None:
    """A variant's extension ID changes (fleet.yml: new ID, the old one in previous_ids): health flags
    the earlier ID still on the workstations, a deploy replaces it everywhere (our files and every
    browser folder), and the next sweep is clean. Real deploy over SSH, real collector."""
    from fleet.catalog import default_catalog
    from fleet.example import fake_extension_id
    from fleet.workspace import Workspace

    w = labws
    ws = Workspace(w.root)
    cloud = w.hosts(role="workstation", method="chrome_extension")
    practice = ws.inventory.practices[cloud[0].practice_id]
    variant = default_catalog().get(practice.pms).extension_variant
    rotated = [h.name for h in cloud
               if default_catalog().get(ws.inventory.practices[h.practice_id].pms).extension_variant == variant]
    cfg_path = w.root / "fleet.yml"
    cfg = yaml.safe_load(cfg_path.read_text())
    entry = cfg["extensions"]["variants"][variant]
    old, new = entry["chrome"], fake_extension_id(f"rotated-{variant}")
    entry.update(chrome=new, previous_ids=[old])
    entry.pop("edge", None)
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))

    only = ("--limit", ",".join(rotated))
    code, doc = w.sweep(*only)
    checks = w.checks(doc["run_id"])
    for host in rotated:
        state, message = checks[(host, "extension_forcelist")]
        assert state == "CRITICAL" and f"earlier ID of the extension still configured: {old}" in message, message
    r = w.fleet("deploy", "--yes", "--limit", ",".join(rotated), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    w.simulate_browsers()
    for host in rotated:
        for d in ("/etc/opt/chrome/policies/managed", "/etc/chromium/policies/managed"):
            text = w.exec(host, "sh", "-c", f"cat {d}/fleet-*.json").stdout
            assert new in text and old not in text
    code, doc = w.sweep(*only)
    assert _not_ok(doc) == [] and code == 0


def test_no_secret_anywhere(labws: LabWorkspace) -> None:
    from fleet.lab.workspace import lab_secrets

    w = labws
    w.sweep()
    secrets = [v for d in lab_secrets(w.root).values() for v in d.values()]
    assert len(secrets) >= 3
    dump = w.dump_store()
    assert "token" in dump  # check messages mention tokens by name, never by value
    for text in [dump, *w.logs]:
        for s in secrets:
            assert s not in text
