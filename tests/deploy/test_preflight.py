"""Before any deploy, every module the roles name must resolve as ansible-playbook will see it; fleet
ships the one collection it needs beyond ansible-core (ansible.windows) and says what to install
when it is gone. Real Ansible plugin loader, real roles; nothing reaches a host."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleet.cli.main import cli
from fleet.deploy import preflight, runner
from fleet.example import EXAMPLE_VAULT_PASSWORD
from fleet.resources import data_dir
from fleet.store import Store
from fleet.workspace import Workspace, init_workspace


def _hidden(tmp_path: Path) -> dict[str, str]:
    """An environment where Ansible finds no collection at all (not even the `ansible` package's)."""
    empty = tmp_path / "no-collections"
    empty.mkdir(exist_ok=True)
    return {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(empty), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"}


def test_the_roles_modules_are_read_from_tasks_handlers_and_playbook() -> None:
    names = preflight.used_modules()
    # the handler that made every Linux host fail when ansible.windows was missing
    assert "ansible.windows.win_command" in names
    assert {"ansible.windows.win_regedit", "ansible.windows.win_package", "ansible.builtin.copy"} <= set(names)
    assert all(n.count(".") == 2 for n in names)


def test_everything_resolves_from_what_fleet_ships(tmp_path: Path) -> None:
    env = {**_hidden(tmp_path), **runner.ansible_env(None)}
    env["ANSIBLE_COLLECTIONS_PATH"] = runner.collections_path().replace(
        runner.DEFAULT_COLLECTIONS_PATH, str(tmp_path / "no-collections"))
    res = preflight.resolve(preflight.used_modules(), env)
    assert res.missing == []
    shipped = data_dir("collections") / "ansible_collections" / "ansible" / "windows"
    assert Path(res.found["ansible.windows.win_regedit"] or "").is_relative_to(shipped)


def test_a_controller_without_the_collection_is_stopped_with_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(preflight.AnsibleContentMissing) as exc:
        preflight.check_ansible_content(_hidden(tmp_path))
    text = str(exc.value)
    assert "ansible.windows.win_regedit" in text and "ansible.windows.win_command" in text
    assert "ansible.builtin" not in text  # ansible-core's own modules resolve
    assert "ansible-galaxy collection install" in text and "nothing was run" in text


def test_fleet_deploy_stops_before_any_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("FLEET_WORKSPACE", "FLEET_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE", "FLEET_STORE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", EXAMPLE_VAULT_PASSWORD)
    ws = tmp_path / "msp"
    init_workspace(ws, example=True)
    empty = tmp_path / "no-collections"
    empty.mkdir()
    # A broken install: fleet's shipped collections are gone and Ansible has none of its own.
    monkeypatch.setattr(runner, "collections_path", lambda: str(empty))
    monkeypatch.setenv("ANSIBLE_COLLECTIONS_SCAN_SYS_PATH", "false")
    r = CliRunner().invoke(cli, ["-w", str(ws), "deploy", "--yes"], catch_exceptions=False)
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    assert "ansible.windows.win_regedit" in r.stderr and "pip install --force-reinstall fleet" in r.stderr
    store = Store(Workspace(ws).store_url())
    try:
        assert store.runs("deploy") == []  # stopped before Ansible: no run, no host marked failed
    finally:
        store.close()


def test_a_success_is_remembered_until_a_resolved_file_goes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    coll = tmp_path / "coll"
    shutil.copytree(data_dir("collections"), coll)
    env = {**_hidden(tmp_path), "ANSIBLE_COLLECTIONS_PATH": str(coll)}
    cache = tmp_path / "state" / "preflight.json"
    first = preflight.check_ansible_content(env, cache=cache)
    assert first.missing == [] and cache.is_file()

    calls = []
    real_resolve = preflight.resolve
    monkeypatch.setattr(preflight, "resolve", lambda m, e: calls.append(1) or real_resolve(m, e))
    assert preflight.check_ansible_content(env, cache=cache).found == first.found
    assert calls == []  # answered from the cache: no Ansible start-up on every deploy

    (coll / "ansible_collections/ansible/windows/plugins/modules/win_regedit.ps1").unlink()
    with pytest.raises(preflight.AnsibleContentMissing, match=r"ansible\.windows\.win_regedit"):
        preflight.check_ansible_content(env, cache=cache)
    assert calls == [1]
    with pytest.raises(preflight.AnsibleContentMissing):  # a failure is not cached: checked again
        preflight.check_ansible_content(env, cache=cache)
    assert calls == [1, 1]
