"""A real browser receives what fleet deploys: Debian's Chromium, headless, on each lab workstation.

One cloud practice with two workstations, made with the real CLI (`fleet lab up --browsers real`):
`fleet deploy` writes the policy -> Chromium force-installs the lab's signed test extension from the
lab's update server and the extension reports the fingerprints of what `chrome.storage.managed`
gave it (equal to the practice's token fingerprint) -> `fleet health` reads the real profile: OK.
Our policy file removed on one workstation -> Chromium removes the extension -> health CRITICAL on
exactly that host. Deploy again -> installed again -> OK. No token in the lab's own files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fleet.lab import Lab
from fleet.lab.browser import (
    CHROMIUM,
    PIDFILE,
    PROBE_PREFIX,
    REPORTS_DIR,
    chromium_pids,
    is_ready,
    load,
    log_events,
    running_pid,
)
from fleet.lab.workspace import engine_dir, lab_secrets
from fleet.secrets.store import fingerprint
from fleet.store import Store

pytestmark = [
    pytest.mark.lab,
    pytest.mark.browser,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root"),
    pytest.mark.skipif(not os.access("/usr/sbin/sshd", os.X_OK), reason="needs openssh-server"),
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason="needs Debian's chromium"),
]

FLEET = str(Path(sys.executable).parent / "fleet")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "real-browser-lab"


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _browsers_of(rec: Any) -> list[int]:
    """The browser processes (not helpers, not crash handlers) of one workstation."""
    return [p for p in chromium_pids(rec.mnt_ns, rec.uts_ns)
            if "--type=" not in _cmd(p) and "crashpad" not in _cmd(p) and _cmd(p)]


class RealLab:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
        self.outputs: list[str] = []

    def fleet(self, *args: str, expect: int | None = 0) -> subprocess.CompletedProcess:
        r = subprocess.run([FLEET, *args], capture_output=True, text=True, env=self.env, timeout=300,
                           cwd=self.root if self.root.exists() else "/")
        assert "Traceback" not in r.stderr, r.stderr
        self.outputs += [r.stdout, r.stderr]
        if expect is not None:
            assert r.returncode == expect, f"fleet {' '.join(args)} exited {r.returncode}\n{r.stdout[-3000:]}\n" \
                                           f"{r.stderr[-3000:]}"
        return r

    @property
    def lab(self) -> Lab:
        return Lab(engine_dir(self.root))

    def browsers(self) -> dict[str, dict[str, Any]]:
        """`fleet lab browsers` run from the lab's workspace (no --dir: it follows the workspace)."""
        r = self.fleet("lab", "browsers", "--json", "--timeout", "90")
        return {row["host"]: row for row in json.loads(r.stdout)}

    def health(self) -> tuple[int, dict[tuple[str, str], str]]:
        r = self.fleet("health", "--json", expect=None)
        assert r.returncode in (0, 2), r.stderr[-3000:]
        run_id = json.loads(r.stdout)["run_id"]
        store = Store(f"sqlite:///{self.root}/state/fleet.db")
        try:
            return r.returncode, {(c.host, c.check_id): c.state for c in store.check_results(run_id)}
        finally:
            store.close()


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealLab]:
    w = RealLab(tmp_path_factory.mktemp("real-browser") / "lab")
    try:
        w.fleet("lab", "up", "--practices", "1", "--workstations", "2", "--browsers", "real", "--dir", str(w.root))
        yield w
    finally:
        _keep_logs(w.root)
        w.fleet("lab", "down", "--purge", "--dir", str(w.root), expect=None)


def _keep_logs(root: Path) -> None:
    """Each workstation's chromium.log and the lab web server's request log, for a failure's diagnosis."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    engine = engine_dir(root)
    logs = [(engine / "endpoint.log", "endpoint.log")]
    for host in (engine / "hosts").glob("*"):
        logs.append((host / "fs/var/lib/fleet-lab/chromium.log", f"{host.name}-chromium.log"))
    for src, name in logs:
        if src.is_file():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, ARTIFACTS / name)


def test_chromium_installs_the_extension_and_it_sees_the_practices_token(real: RealLab) -> None:
    browsers = load(engine_dir(real.root))
    assert browsers is not None and browsers.mode == "real"
    state = real.lab.state()
    workstations = sorted(n for n, r in state.hosts.items() if r.role == "workstation")
    assert len(workstations) == 2
    (practice,) = state.topology.practices
    token = lab_secrets(real.root)[practice.id]["fleet_token"]
    # `fleet lab up` returned only once each Chromium had re-read its policy folder after a change:
    # a deploy right after it is not lost in Chromium's start-up window (the CI failure: ws01's
    # policy written then, never read, nothing installed after 90 s). Its probes are gone.
    for host in workstations:
        hp = real.lab.paths.host(host)
        pid = running_pid(hp, state.hosts[host].mnt_ns)
        assert pid is not None and is_ready(hp, pid), host
        assert _browsers_of(state.hosts[host]) == [pid], host  # one browser on the profile: the pidfile's
        assert any(PROBE_PREFIX in r for src, r in log_events(hp, pid) if src == "config_dir_policy_loader")
        assert not hp.fs_path("/etc/chromium/policies").exists()

    real.fleet("deploy", "--yes")
    rows = real.browsers()
    for host in workstations:
        row = rows[host]
        assert row["browser"] == "running" and row["memory_mb"] > 50, row
        assert row["policy"] == "listed" and row["installed"].startswith("1.0.0"), row
        assert row["settings"] == "ok", row
        # What the extension itself reported: the token's fingerprint, never the token.
        report = json.loads((engine_dir(real.root) / REPORTS_DIR / host / f"{row['extension_id']}.json").read_text())
        assert report["managed"]["token"] == fingerprint(token)
        assert report["extension_id"] == browsers.extensions["v3"]  # Dentrix Ascend's variant, the lab's own ID

    code, checks = real.health()
    assert code == 0, {k: v for k, v in checks.items() if v != "OK"}
    assert checks[(workstations[0], "extension_installed")] == "OK"

    # Neither fleet's output nor the lab's own files ever hold the token.
    assert not [o for o in real.outputs if token in o]
    for f in (engine_dir(real.root)).rglob("*"):
        if f.is_file() and "/hosts/" not in str(f):
            assert token.encode() not in f.read_bytes(), f


def test_a_removed_policy_makes_chromium_remove_it_and_health_critical_on_that_host_only(real: RealLab) -> None:
    state = real.lab.state()
    broken, fine = sorted(n for n, r in state.hosts.items() if r.role == "workstation")
    r = real.lab.exec_in_host(broken, ["sh", "-c", "rm -f /etc/chromium/policies/managed/fleet-*.json "
                                                   "/etc/opt/chrome/policies/managed/fleet-*.json"])
    assert r.returncode == 0, r.stderr
    rows = real.browsers()  # waits until each Chromium follows its policy
    assert rows[broken]["policy"] == "absent" and rows[broken]["installed"] == "no", rows[broken]
    assert rows[fine]["installed"].startswith("1.0.0") and rows[fine]["settings"] == "ok"

    code, checks = real.health()
    assert code == 2
    assert checks[(broken, "extension_installed")] == "CRITICAL"
    assert {h for (h, _), s in checks.items() if s == "CRITICAL"} == {broken}

    real.fleet("deploy", "--yes")
    rows = real.browsers()
    assert rows[broken]["installed"].startswith("1.0.0") and rows[broken]["settings"] == "ok", rows[broken]
    code, checks = real.health()
    assert code == 0, {k: v for k, v in checks.items() if v != "OK"}


def test_lab_status_shows_each_browser_a_stopped_lab_is_refused_and_lab_up_resumes_every_browser(real: RealLab) -> None:
    r = real.fleet("lab", "status", "--json")
    rows = {row["host"]: row for row in json.loads(r.stdout)}
    assert all(row["browser"] == "running" and float(row["memory_mb"]) > 50 for row in rows.values()), rows
    assert "Chromium running" in r.stderr

    # A browser killed with SIGKILL is shown stopped.
    state = real.lab.state()
    victim = sorted(rows)[0]
    rec = state.hosts[victim]
    for pid in chromium_pids(rec.mnt_ns, rec.uts_ns):
        with contextlib.suppress(ProcessLookupError):  # a renderer gone with its browser already
            os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    status = {r["host"]: r for r in json.loads(real.fleet("lab", "status", "--json").stdout)}
    assert status[victim]["browser"] == "stopped" and status[victim]["memory_mb"] == 0

    browsers_pids = [p for r in state.hosts.values() for p in chromium_pids(r.mnt_ns, r.uts_ns)]
    assert browsers_pids
    real.fleet("lab", "down")  # from the workspace: this lab, not the default one
    assert [p for p in browsers_pids if Path(f"/proc/{p}").exists() and "chromium" in _cmd(p)] == []  # none left
    r = real.fleet("lab", "browsers", expect=1)
    assert "is stopped" in r.stderr and f"fleet lab up --dir {real.root}" in r.stderr
    assert not [p for p in real.lab.status() if p.status == "up"]

    # `fleet lab up` resumes this lab and every browser, the killed one too, even when a stale
    # pidfile's pid now belongs to another process that looks like Chromium (pids are reused).
    impostor = subprocess.Popen(["bash", "-c", "exec -a /usr/lib/chromium/chromium sleep 120"])
    try:
        time.sleep(0.2)
        real.lab.paths.host(victim).fs_path(PIDFILE).write_text(f"{impostor.pid}\n")
        real.fleet("lab", "up")
        rows = real.browsers()
        assert all(row["browser"] == "running" and row["settings"] == "ok" for row in rows.values()), rows
        state = real.lab.state()
        for host in rows:
            pid = running_pid(real.lab.paths.host(host), state.hosts[host].mnt_ns)
            assert pid and pid != impostor.pid and is_ready(real.lab.paths.host(host), pid), host
            assert _browsers_of(state.hosts[host]) == [pid], host
    finally:
        impostor.kill()
        impostor.wait()
