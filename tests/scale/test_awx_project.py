"""docs/awx.md's deploy files, run the way AWX runs them, against lab hosts.

The files are taken from the page itself (fenced blocks starting ``# file: PATH``) and put in a
workspace repository as an MSP would commit it: no .vault-pass, and an ansible.cfg written on
another machine (its roles/filter paths do not exist here, as in an execution environment).

- B (fleet's playbook in AWX): the inventory import is ``awx/inventory.sh --list`` with no vault
  password (AWX's SCM inventory update); it must work and carry no secret. The job is
  ansible-playbook on what AWX would hand it: the imported JSON as the inventory, the Vault
  credential as --vault-password-file, check mode, a real run, a second run changing nothing.
- A (AWX runs `fleet deploy`): ``awx/fleet-deploy.yml`` on localhost with survey variables and the
  "fleet workspace" credential's environment; check mode changes nothing, a run deploys the
  selected practice only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fleet.lab import Lab, plan_lab
from fleet.lab.workspace import engine_dir, lab_secrets, write_lab_workspace
from fleet.resources import data_dir

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab hosts need root"),
    pytest.mark.skipif(not os.access("/usr/sbin/sshd", os.X_OK), reason="needs openssh-server"),
]

DOC = Path(__file__).resolve().parents[2] / "docs" / "awx.md"
VENV_BIN = Path(sys.executable).parent
CLOUD = "brightsmiles_downtown"  # cloud practice (Chrome extension on its workstations): deployed by B
CLOUD_A = "brightsmiles_northside"  # another cloud practice: deployed by A
FOREIGN_CFG = """[defaults]
inventory = inventory
roles_path = /home/tech/.local/lib/python3.11/site-packages/fleet/_data/roles
filter_plugins = /home/tech/.local/lib/python3.11/site-packages/fleet/_data/playbooks/filter_plugins
host_key_checking = True
retry_files_enabled = False
interpreter_python = auto_silent

[ssh_connection]
pipelining = True
"""


def doc_files() -> dict[str, str]:
    """{path: content} of every fenced block in docs/awx.md whose first line is ``# file: PATH``."""
    files = {}
    for m in re.finditer(r"```[a-z]*\n# file: (\S+)\n(.*?)```", DOC.read_text(), re.S):
        files[m.group(1)] = m.group(2)
    return files


class Project:
    def __init__(self, root: Path) -> None:
        self.ws = root / "ws"
        self.lab = Lab(engine_dir(self.ws))
        state = self.lab.up(plan_lab(practices=3, workstations=2), timeout=120)
        self.password = f"vault-{uuid.uuid4().hex}"
        write_lab_workspace(self.ws, state, password=self.password)
        self.pw_file = root / "awx-vault-credential"
        self.pw_file.write_text(self.password + "\n")
        self.pw_file.chmod(0o600)
        # the repository as committed: no .vault-pass, no state/, an ansible.cfg from elsewhere
        self.repo = root / "repo"
        shutil.copytree(self.ws, self.repo, ignore=shutil.ignore_patterns(".vault-pass*", "state"))
        (self.repo / "ansible.cfg").write_text(FOREIGN_CFG)
        for path, text in doc_files().items():
            dest = self.repo / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text)
            if text.startswith("#!"):
                dest.chmod(0o755)
        self.secrets = [v for d in lab_secrets(self.ws, self.password).values() for v in d.values()]
        assert self.secrets

    def env(self, **extra: str) -> dict[str, str]:
        """The job's environment in the fleet execution environment: fleet and Ansible on PATH,
        ANSIBLE_ROLES_PATH at fleet's roles (the image's /opt/fleet/roles)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
        return env | {"PATH": f"{VENV_BIN}:{env.get('PATH', '')}", "ANSIBLE_ROLES_PATH": str(data_dir("roles")),
                      "ANSIBLE_NOCOLOR": "1", **extra}

    def run(self, argv: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=self.repo, env=self.env(**extra), capture_output=True, text=True,
                              timeout=900, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    p = Project(tmp_path_factory.mktemp("awx"))
    try:
        yield p
    finally:
        p.lab.down(purge=True)


def test_the_doc_has_the_files() -> None:
    assert set(doc_files()) == {"awx/fleet-deploy.yml", "awx/inventory.sh", "awx/deploy.yml"}


RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def _recap(out: str) -> dict[str, tuple[int, int, int]]:
    return {m.group(1): (int(m.group(3)), int(m.group(4)), int(m.group(5))) for m in RECAP.finditer(out)}


def _policy(project: Project, host: str) -> str:
    cat = "cat /etc/opt/chrome/policies/managed/*.json 2>/dev/null"
    return project.lab.exec_in_host(host, ["sh", "-c", cat]).stdout


def test_b_playbook_in_awx(project: Project, tmp_path: Path) -> None:
    # AWX's inventory update: the script, no vault password anywhere
    imp = project.run([str(project.repo / "awx" / "inventory.sh"), "--list"])
    assert imp.returncode == 0, imp.stderr
    doc = json.loads(imp.stdout)
    hosts = set(doc["_meta"]["hostvars"])
    assert len(hosts) == 7 and f"practice_{CLOUD}" in doc and f"client_{CLOUD.split('_')[0]}" in doc
    assert not [s for s in project.secrets if s in imp.stdout]  # nothing secret went to AWX
    # what AWX hands the job: its own copy of the imported inventory
    runtime_inv = tmp_path / "awx_inventory.sh"
    (tmp_path / "imported.json").write_text(imp.stdout)
    runtime_inv.write_text(f"#!/bin/sh\ncat {tmp_path / 'imported.json'}\n")
    runtime_inv.chmod(0o755)
    job = [str(VENV_BIN / "ansible-playbook"), "-i", str(runtime_inv), "awx/deploy.yml",
           "--vault-password-file", str(project.pw_file), "-e", f"fleet_playbooks={data_dir('playbooks')}",
           "--limit", f"practice_{CLOUD}"]
    ws = f"bs-{CLOUD.split('_')[1]}-ws01"
    check = project.run([*job, "--check", "--forks", "3"])
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-2000:]
    assert _policy(project, ws) == ""  # check mode changed nothing
    real = project.run([*job, "--forks", "3"])
    assert real.returncode == 0, real.stdout[-3000:] + real.stderr[-2000:]
    recap = _recap(real.stdout)
    assert {h for h in recap if h.startswith("bs-downtown")} == {"bs-downtown-ws01", "bs-downtown-ws02"}
    assert all(c >= 1 and u == f == 0 for h, (c, u, f) in recap.items() if h.startswith("bs-")), recap
    # the token reached the host from the vault read at run time, in Chrome's managed policy
    token = lab_secrets(project.ws, project.password)[CLOUD]["fleet_token"]
    assert token in _policy(project, ws)
    again = project.run([*job, "--forks", "3"])
    assert again.returncode == 0 and all(c == 0 for h, (c, _, _) in _recap(again.stdout).items()
                                         if h.startswith("bs-")), again.stdout[-3000:]
    for out in (check, real, again):
        assert not [s for s in project.secrets if s in out.stdout + out.stderr]


def test_a_awx_runs_fleet_deploy(project: Project) -> None:
    # AWX's "localhost only" inventory: localhost with the job's own Python
    inv = project.repo.parent / "localhost.yml"
    inv.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n"
                   "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n")
    job = [str(VENV_BIN / "ansible-playbook"), "-i", str(inv), "awx/fleet-deploy.yml",
           "-e", json.dumps({"fleet_practices": [CLOUD_A]})]
    cred = {"FLEET_VAULT_PASSWORD_FILE": str(project.pw_file),
            "FLEET_STORE_URL": f"sqlite:///{project.repo}/state/fleet.db"}
    ws = f"bs-{CLOUD_A.split('_')[1]}-ws01"
    check = project.run([*job, "--check"], **cred)
    assert check.returncode == 0, check.stdout[-3000:]
    assert _policy(project, ws) == ""  # fleet deploy --check changed nothing
    real = project.run(job, **cred)
    assert real.returncode == 0, real.stdout[-3000:]
    assert "changed=1" in real.stdout
    assert lab_secrets(project.ws, project.password)[CLOUD_A]["fleet_token"] in _policy(project, ws)
    assert "ls-downtown" not in real.stdout  # only the selected practice
    runs = subprocess.run([str(VENV_BIN / "fleet"), "-w", str(project.repo), "runs", "--json"],
                          env=project.env(**cred), capture_output=True, text=True, timeout=120)
    assert runs.returncode == 0, runs.stderr
    recorded = json.loads(runs.stdout)
    rows = recorded if isinstance(recorded, list) else recorded.get("runs", recorded.get("rows", []))
    assert len(rows) == 2  # the check run and the real one, in fleet's store
    for out in (check, real):
        assert not [s for s in project.secrets if s in out.stdout + out.stderr]
