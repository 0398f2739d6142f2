"""A host whose login shell talks: real sshd lab hosts, real ssh, the POSIX collector.

The remote command goes through the login user's shell (OpenSSH's DefaultShell on Windows), which
runs the user's start-up files first: Debian's bash sources ~/.bashrc for every ssh command, a
PowerShell DefaultShell its profile, and a banner or a greeting there lands on the same stdout as
the collector's answer. The sweep must still read the answer (the noise is dropped and counted,
never stored), as Ansible reads a module's JSON among other lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleet.lab import Lab, plan_lab

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root"),
    pytest.mark.skipif(not os.access("/usr/sbin/sshd", os.X_OK), reason="needs openssh-server"),
]

FLEET = str(Path(sys.executable).parent / "fleet")
# A greeting before and a farewell after the answer, and a line that looks like JSON but is not ours
BASHRC = """echo "Welcome to the practice's workstation"
echo '{"motd": "backup at 22:00"}'
trap 'echo "logged out"' EXIT
"""


@pytest.fixture(scope="module")
def chatty_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Lab]]:
    from fleet.lab.workspace import engine_dir, write_lab_workspace

    root = tmp_path_factory.mktemp("login-shell-lab") / "ws"
    lab = Lab(engine_dir(root))
    try:
        state = lab.up(plan_lab(practices=1, workstations=2), timeout=60)
        write_lab_workspace(root, state)
        yield root, lab
    finally:
        lab.down(purge=True)


def test_a_login_shell_that_writes_to_stdout_does_not_hide_the_answer(chatty_lab: tuple[Path, Lab]) -> None:
    root, lab = chatty_lab
    hosts = sorted(lab.state().hosts)
    chatty = hosts[0]
    # at the top of ~/.bashrc, before Debian's "not interactive: return" (bash runs it for an ssh command)
    r = lab.exec_in_host(chatty, ["sh", "-c", 'f="$HOME/.bashrc"; { cat; cat "$f"; } > "$f.new" && mv "$f.new" "$f"'],
                         input=BASHRC, timeout=30)
    assert r.returncode == 0, r.stderr
    env = _env(root)
    proc = subprocess.run([FLEET, "-w", str(root), "health", "--json"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode in (0, 1, 2, 3), proc.stderr
    doc = json.loads(proc.stdout)
    status = {h["host"]: h["status"] for h in doc["hosts"]}
    assert status[chatty] == "ok", (status, proc.stderr[-2000:])
    assert "Welcome" not in proc.stdout and "motd" not in proc.stdout and "backup at" not in proc.stdout
    reach = next(c for h in doc["hosts"] if h["host"] == chatty for c in h["checks"] if c["check"] == "reachable")
    assert reach["state"] == "OK" and "other output came with the answer and were ignored" in reach["message"]


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
    env["FLEET_VAULT_PASSWORD_FILE"] = str(root / ".vault-pass")
    return env
