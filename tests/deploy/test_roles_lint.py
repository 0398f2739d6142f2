"""The roles and the deploy playbook pass ansible-lint's production profile and ansible-playbook's
syntax check, from the repository (as an AWX/AAP project) and from a workspace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "FLEET_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    return {**env, **extra}


def test_ansible_lint_production_profile() -> None:
    r = subprocess.run([str(BIN / "ansible-lint"), "--profile", "production", "--nocolor",
                        "roles/chrome_extension_policy", "roles/synchronizer", "playbooks/deploy.yml"],
                       cwd=ROOT, capture_output=True, text=True, env=_env(), timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    assert "Profile 'production' was required, and it passed" in r.stdout + r.stderr


def _inventory(tmp_path: Path) -> Path:
    inv = tmp_path / "inventory"
    inv.mkdir(parents=True, exist_ok=True)
    (inv / "acme.yml").write_text(
        "all:\n  children:\n    client_acme:\n      children:\n        practice_acme_main:\n"
        "          hosts:\n            h1: {fleet_role: workstation, fleet_platform: windows}\n")
    return inv


def test_syntax_check_from_the_repository(tmp_path: Path) -> None:
    r = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", str(_inventory(tmp_path)),
                        "playbooks/deploy.yml"], cwd=ROOT, capture_output=True, text=True,
                       env=_env(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def test_syntax_check_from_a_workspace(tmp_path: Path) -> None:
    from fleet.workspace import init_workspace

    init_workspace(tmp_path / "ws")
    _inventory(tmp_path / "ws")  # the workspace's ansible.cfg names inventory/, roles and filters
    r = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check",
                        str(ROOT / "playbooks" / "deploy.yml")], cwd=tmp_path / "ws", capture_output=True,
                       text=True, env=_env(), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("bad", ["    - name: Broken\n      ansible.builtin.debug:\n        msg: [unclosed\n"])
def test_the_syntax_check_would_catch_a_broken_playbook(tmp_path: Path, bad: str) -> None:
    pb = tmp_path / "broken.yml"
    pb.write_text((ROOT / "playbooks" / "deploy.yml").read_text() + bad)
    r = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", str(_inventory(tmp_path)),
                        str(pb)], cwd=ROOT, capture_output=True, text=True,
                       env=_env(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")), timeout=300)
    assert r.returncode != 0 and "broken.yml" in r.stdout + r.stderr
