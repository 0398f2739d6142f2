"""A host that never answers cannot hold the sweep: real sshd lab hosts, real ssh, real store.

One workstation's collector hangs (its shell sleeps, as a host with a hung WMI call or a stalled
disk would): the sweep still ends at the per-host deadline, records that host as "timed out"
(not "unreachable": it accepted the connection), judges the others, and closes its run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fleet.lab import Lab, plan_lab

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root"),
    pytest.mark.skipif(not os.access("/usr/sbin/sshd", os.X_OK), reason="needs openssh-server"),
]

FLEET = str(Path(sys.executable).parent / "fleet")
HUNG_SHELL = "#!/bin/sh\nsleep 300\n"


@pytest.fixture(scope="module")
def small_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Lab]]:
    from fleet.lab.workspace import engine_dir, write_lab_workspace

    root = tmp_path_factory.mktemp("deadline-lab") / "ws"
    lab = Lab(engine_dir(root))
    try:
        state = lab.up(plan_lab(practices=1, workstations=2), timeout=60)
        write_lab_workspace(root, state)
        yield root, lab
    finally:
        lab.down(purge=True)


def _set_host_var(root: Path, host: str, key: str, value: str) -> None:
    for f in (root / "inventory").glob("*.yml"):
        doc = yaml.safe_load(f.read_text())
        for c in doc["all"]["children"].values():
            for p in c["children"].values():
                if host in p["hosts"]:
                    p["hosts"][host][key] = value
                    f.write_text(yaml.safe_dump(doc, sort_keys=False))
                    return
    raise KeyError(host)


def test_a_host_that_never_answers_times_out_and_the_sweep_ends(small_lab: tuple[Path, Lab]) -> None:
    from fleet.store import Store

    root, lab = small_lab
    hosts = sorted(lab.state().hosts)
    hung = hosts[0]
    r = lab.exec_in_host(hung, ["sh", "-c", "mkdir -p /opt/fleet-lab/bin && cat > /opt/fleet-lab/bin/hung-sh && "
                                            "chmod 755 /opt/fleet-lab/bin/hung-sh"], input=HUNG_SHELL, timeout=30)
    assert r.returncode == 0, r.stderr
    _set_host_var(root, hung, "ansible_shell_executable", "/opt/fleet-lab/bin/hung-sh")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
    env["FLEET_VAULT_PASSWORD_FILE"] = str(root / ".vault-pass")
    t0 = time.monotonic()
    proc = subprocess.run([FLEET, "-w", str(root), "health", "--json", "--timeout", "4"], capture_output=True,
                          text=True, env=env, timeout=60)
    took = time.monotonic() - t0
    assert proc.returncode in (1, 2, 3), proc.stderr
    assert took < 15, f"the sweep took {took:.1f}s with a 4s per-host deadline"
    doc = json.loads(proc.stdout)
    status = {h["host"]: h["status"] for h in doc["hosts"]}
    assert status[hung] == "timed_out", status
    assert all(status[h] == "ok" for h in hosts if h != hung), status
    assert f"timed out (stopped at the per-host deadline): {hung}" in proc.stderr
    store = Store(f"sqlite:///{root}/state/fleet.db")
    try:
        run = store.run(doc["run_id"])
        assert run is not None and run.status == "ok" and run.finished_at is not None
        reach = {c.host: (c.state, c.message) for c in store.check_results(doc["run_id"]) if c.check_id == "reachable"}
    finally:
        store.close()
    assert reach[hung][0] == "UNKNOWN" and reach[hung][1].startswith("timed out: no complete answer after 4s")
    # no ssh client of the hung round trip is left running on the controller
    left = subprocess.run(["pgrep", "-f", "^ssh .*hung-sh"], capture_output=True, text=True)
    assert left.stdout.strip() == ""
