"""The plan fleet's engine computed is the plan Ansible applies (passed in a file, not recomputed),
and the playbook still computes it itself when no file is given (plain ansible-playbook / AWX).

A small lab (a cloud practice's Linux workstation; an on-prem practice's server and workstation),
real Ansible over real SSH:

1. ``fleet deploy`` writes the plans of the hosts it hands to Ansible to the run dir (0600, no
   token, product key or vault password in it) and passes it to ansible-playbook;
2. ansible-playbook given a plans file that deliberately differs from what the inventory gives
   applies the file's plans (an extra managed setting on the workstation, the Synchronizer removed
   from the server): Ansible did not plan again;
3. the same playbook without the file plans from the inventory and puts the server and the
   workstation back as the inventory says.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fleet.lab import Lab
from fleet.resources import data_dir

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root"),
    pytest.mark.skipif(not os.access("/usr/sbin/sshd", os.X_OK), reason="needs openssh-server"),
]

BIN = Path(sys.executable).parent
SYNC = "/opt/fleet-lab/synchronizer"
CHROME_DIR = "/etc/opt/chrome/policies/managed"
WS = "bs-downtown-ws01"  # cloud practice's workstation
SERVER = "bs-northside-srv01"  # on-prem practice's server
ONPREM_WS = "bs-northside-ws01"  # nothing to deploy there: never handed to Ansible


class PlansLab:
    def __init__(self, root: Path, lab: Lab, password: str) -> None:
        from fleet.lab.workspace import lab_secrets

        self.root, self.lab, self.password = root, lab, password
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
        self.env["PATH"] = f"{BIN}:{self.env.get('PATH', '')}"
        self.secrets = lab_secrets(root, password)
        self.outputs: list[str] = []

    def needles(self) -> list[str]:
        return [s for d in self.secrets.values() for s in d.values()] + [self.password]

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        r = subprocess.run(argv, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=600,
                           stdin=subprocess.DEVNULL)
        self.outputs += [r.stdout, r.stderr]
        return r

    def playbook(self, *extra: str) -> subprocess.CompletedProcess[str]:
        """Plain ansible-playbook on the workspace (its ansible.cfg: inventory, roles, filters, vault)."""
        r = self.run([str(BIN / "ansible-playbook"), str(data_dir("playbooks") / "deploy.yml"),
                      "-e", f"fleet_config_file={self.root / 'fleet.yml'}", *extra])
        assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
        return r

    def policy(self, host: str) -> dict[str, Any]:
        """The extension's managed settings in our Chrome policy file on ``host``."""
        pid = self.lab.state().topology.host(host).practice_id
        f = self.lab.paths.host(host).fs_path(f"{CHROME_DIR}/fleet-{pid}.json")
        (settings,) = json.loads(f.read_text())["3rdparty"]["extensions"].values()
        return dict(settings)

    def sync_installed(self) -> bool:
        return self.lab.paths.host(SERVER).fs_path(f"{SYNC}/current").exists()


@pytest.fixture(scope="module")
def plab(small_lab: Any) -> PlansLab:
    return PlansLab(small_lab.root, small_lab.lab, small_lab.password)


def test_fleet_deploy_hands_ansible_its_plans_in_a_file_without_secrets(plab: PlansLab) -> None:
    from fleet.secrets.store import fingerprint

    r = plab.run([str(BIN / "fleet"), "-w", str(plab.root), "deploy", "--yes", "--json"])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    doc = json.loads(r.stdout)
    by_host = {h["host"]: h for h in doc["hosts"]}
    assert by_host[WS]["status"] == by_host[SERVER]["status"] == "changed"
    (run_dir,) = [d for d in (plab.root / "state" / "runs").iterdir() if d.is_dir()]
    (plans_file,) = run_dir.glob("plans-*.json")
    assert oct(plans_file.stat().st_mode & 0o777) == "0o600"
    plans = json.loads(plans_file.read_text())
    assert plans["format"] == "fleet-plans/1"
    # the batch's hosts only: the on-prem workstation, in sync by collection, never reached Ansible
    assert set(plans["hosts"]) == {WS, SERVER}
    assert by_host[ONPREM_WS]["verified"] == "in_sync"
    ws_pid, srv_pid = plans["hosts"][WS]["practice_id"], plans["hosts"][SERVER]["practice_id"]
    assert plans["hosts"][WS]["roles"] == ["chrome_extension_policy"]
    assert plans["hosts"][WS]["extension"]["token_fingerprint"] == fingerprint(plab.secrets[ws_pid]["fleet_token"])
    assert plans["hosts"][SERVER]["synchronizer"]["product_key_fingerprint"] == fingerprint(
        plab.secrets[srv_pid]["fleet_product_key"])
    # what the plan left out, the roles took from the vault at run time
    assert plab.policy(WS)["token"] == plab.secrets[ws_pid]["fleet_token"] and plab.sync_installed()
    # no secret in the plans file, nor anywhere in the run dir (runner's artifacts included)
    for p in [p for p in run_dir.rglob("*") if p.is_file()]:
        data = p.read_bytes()
        for n in plab.needles():
            assert n.encode() not in data, f"{n[:6]}... in {p}"


def test_ansible_applies_the_plans_file_and_does_not_plan_again(plab: PlansLab, tmp_path: Path) -> None:
    (run_dir,) = [d for d in (plab.root / "state" / "runs").iterdir() if d.is_dir()]
    (engine_file,) = run_dir.glob("plans-*.json")
    plans = json.loads(engine_file.read_text())
    # a plan the inventory does not give: one more managed setting on the workstation, the
    # Synchronizer removed from the server (the inventory says: installed)
    ws_plan = plans["hosts"][WS]
    for b in ws_plan["extension"]["browsers"]:
        for settings in b["linux_document"]["3rdparty"]["extensions"].values():
            settings["plan_source"] = "the engine's file"
    plans["hosts"][SERVER]["synchronizer"]["action"] = "remove"
    given = tmp_path / "plans.json"
    given.write_text(json.dumps(plans))
    r = plab.playbook("-e", f"fleet_plans_file={given}", "--limit", f"{WS},{SERVER}")
    settings = plab.policy(WS)
    assert settings["plan_source"] == "the engine's file"
    ws_pid = plans["hosts"][WS]["practice_id"]
    assert settings["token"] == plab.secrets[ws_pid]["fleet_token"]  # the token: from the vault, at run time
    assert not plab.sync_installed()
    assert "changed=0" not in next(ln for ln in r.stdout.splitlines() if ln.startswith(SERVER))

    # a host the file does not plan fails with fleet's message; the others go on
    del plans["hosts"][SERVER]
    given.write_text(json.dumps(plans))
    r = plab.run([str(BIN / "ansible-playbook"), str(data_dir("playbooks") / "deploy.yml"),
                  "-e", f"fleet_config_file={plab.root / 'fleet.yml'}", "-e", f"fleet_plans_file={given}",
                  "--limit", f"{WS},{SERVER}"])
    assert r.returncode != 0 and f"{SERVER} has no plan in fleet's plans file" in r.stdout
    assert "failed=0" in next(ln for ln in r.stdout.splitlines() if ln.startswith(WS))


def test_without_a_plans_file_the_playbook_plans_from_the_inventory(plab: PlansLab) -> None:
    plab.playbook("--limit", f"{WS},{SERVER}")  # plain ansible-playbook, as AWX runs it
    assert "plan_source" not in plab.policy(WS)
    assert plab.sync_installed()
    for text in plab.outputs:
        for n in plab.needles():
            assert n not in text
