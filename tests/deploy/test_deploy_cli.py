"""`fleet deploy` and `fleet runs` up to the point where Ansible would start (no hosts needed): the
preview, the refusals, the exit codes. Nothing here may reach a machine: the example's hosts are
addresses on networks that do not exist here, and every case stops before a run is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from fleet.cli.main import cli
from fleet.example import EXAMPLE_VAULT_PASSWORD
from fleet.store import Store
from fleet.workspace import Workspace, init_workspace


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("FLEET_WORKSPACE", "FLEET_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE", "FLEET_STORE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", EXAMPLE_VAULT_PASSWORD)
    root = tmp_path / "msp"
    init_workspace(root, example=True)
    return root


def run(ws: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    r = CliRunner().invoke(cli, ["-w", str(ws), *args], input=input, catch_exceptions=False)
    assert "Traceback" not in r.output
    return r


def no_run_recorded(ws: Path) -> bool:
    store = Store(Workspace(ws).store_url())
    try:
        return store.runs("deploy") == [] and not (ws / "state" / "runs").exists()
    finally:
        store.close()


def test_preview_shows_what_each_host_gets_then_refuses_without_yes(ws: Path) -> None:
    r = run(ws, "deploy")
    assert r.exit_code == 2 and "--yes" in r.stderr
    text = " ".join(r.stderr.split())
    assert "fleet deploy: 21 hosts in 9 practices" in text
    # lakeside_ortho (Dolphin): skipped, not installed, with the engineer's date from its onboarding
    assert "schedule with the vendor's engineer (onboarding: install_scheduled (20" in text
    assert "rma-billing01: nothing to deploy (fleet_uses_pms is false" in text
    assert "macOS needs an MDM configuration profile" in text and "fleet export mobileconfig" in text
    assert "Synchronizer 4.2.0" in text and "via registry" in text
    assert no_run_recorded(ws)


def test_unsupported_practices_are_refused_with_the_checklist(ws: Path) -> None:
    inv = ws / "inventory" / "summit.yml"
    doc = yaml.safe_load(inv.read_text())
    practices = doc["all"]["children"]["client_summit"]["children"]
    practices["practice_summit_ecw"] = {"vars": {"fleet_pms": "eclinicalworks", "fleet_pms_hosting": "on_prem",
                                                 "fleet_pms_version": "12.0", "fleet_pms_url": "https://x.ecw.com"},
                                        "hosts": {"sec-srv01": {"ansible_host": "10.40.9.5", "fleet_role": "server",
                                                                "fleet_platform": "windows"}}}
    inv.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = run(ws, "deploy", "--yes", "--client", "summit")
    assert r.exit_code == 1 and "not ready, nothing was run" in r.stderr
    assert "summit_ecw: cannot be synced" in r.stderr and "fix:" in r.stderr
    r = run(ws, "deploy", "--yes", "--practice", "summit_ecw", "--json")
    doc = json.loads(r.stdout)
    assert r.exit_code == 1 and doc["status"] == "blocked" and doc["problems"][0]["practice"] == "summit_ecw"
    # the other practices of the workspace are not blocked by it: select them
    r = run(ws, "deploy", "--practice", "summit_peds")
    assert r.exit_code == 2 and "fleet deploy: 2 hosts in 1 practices" in " ".join(r.stderr.split())
    assert no_run_recorded(ws)


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--practice", "nope"], 1, "no practice 'nope'"),
    (["--client", "nope"], 1, "no client 'nope'"),
    (["--limit", "nothing-*"], 1, "matches no host"),
    (["--serial", "x%"], 1, "--serial"),
    (["--canary", "0"], 1, "--canary"),
    (["--forks", "0"], 2, "--forks"),
    (["--bogus"], 2, "No such option"),
])
def test_bad_options_exit_before_anything_runs(ws: Path, args: list[str], code: int, message: str) -> None:
    r = run(ws, "deploy", "--yes", *args)
    assert r.exit_code == code and message in r.output, r.output
    assert no_run_recorded(ws)


def test_wrong_vault_password_blocks(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", "not-the-password")
    r = run(ws, "deploy", "--yes")
    assert r.exit_code == 1 and "cannot decrypt" in r.stderr
    assert no_run_recorded(ws)


def test_missing_installer_checksum_blocks_the_on_prem_practices(ws: Path) -> None:
    cfg = ws / "fleet.yml"
    cfg.write_text(cfg.read_text().replace("  sha256:", "  # sha256:"))
    r = run(ws, "deploy", "--yes", "--practice", "lakeside_main")
    assert r.exit_code == 1 and "no SHA-256" in r.stderr
    assert no_run_recorded(ws)


def test_retry_failed_with_no_history_has_nothing_to_do(ws: Path) -> None:
    r = run(ws, "deploy", "--retry-failed", "--yes", "--json")
    assert r.exit_code == 0 and "nothing to retry" in r.stderr
    assert json.loads(r.stdout) == {"run_id": None, "status": "ok", "hosts": []}


def test_runs_lists_the_audit_trail_and_shows_one(ws: Path) -> None:
    from fleet.store import AuditEvent, HostResult

    r = run(ws, "runs")
    assert r.exit_code == 0 and "no runs recorded yet" in r.stderr
    store = Store(Workspace(ws).store_url())
    try:
        rec = store.start_run("deploy", {"practices": ["summit_peds"]}, {"check": False})
        store.record_host_results(rec.id, [HostResult("spd-srv01", "summit_peds", "summit", "changed", 5, 2)])
        store.record_audit_events(rec.id, [AuditEvent("spd-srv01", "Report that the Synchronizer was installed",
                                                      "ansible.builtin.debug", True, False, "", "summit_peds")])
        store.finish_run(rec.id, "ok", {"hosts": 1, "ok": 0, "changed": 1, "failed": 0, "unreachable": 0})
    finally:
        store.close()
    r = run(ws, "runs", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["id"] == rec.id
    r = run(ws, "runs", "show", rec.id[:8], "--json")
    doc = json.loads(r.stdout)
    assert doc["hosts"][0]["status"] == "changed" and doc["tasks"][0]["task"].startswith("Report that")
    r = run(ws, "runs", "show", "ffffffff")
    assert r.exit_code == 1 and "no run 'ffffffff'" in r.output
