"""``fleet_uses_pms: false`` on a workstation: nobody changes the schedule or patients there, so no
extension is planned, health checks only what applies to any host, and it is not in coverage."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fleet.catalog import default_catalog
from fleet.cli.main import cli
from fleet.config import load_config
from fleet.desired.plan import NONE, plan_host
from fleet.example import EXAMPLE_VAULT_PASSWORD
from fleet.inventory.model import load_inventory
from fleet.inventory.validate import Level, validate
from fleet.secrets.store import SecretKind, SecretStore
from fleet.secrets.vault import VaultPassword

pytestmark = pytest.mark.usefixtures("clean_env")
TOKEN = "USES-PMS-TEST-TOKEN-77"


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _linux(**extra: Any) -> dict[str, Any]:
    return {"ansible_host": "127.0.0.1", "ansible_port": _closed_port(), "fleet_role": "workstation",
            "fleet_platform": "linux", "ansible_connection": "ssh", **extra}


def _ws(wsb: Any, monkeypatch: pytest.MonkeyPatch, **second: Any) -> Path:
    root = wsb.write({"acme": {"acme_main": wsb.practice(
        "athenahealth", {"front-ws": _linux(), "billing-ws": _linux(**second)})}})
    SecretStore(root / "inventory").set("acme_main", SecretKind.TOKEN, TOKEN,
                                        VaultPassword(EXAMPLE_VAULT_PASSWORD.encode(), "t"))
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", EXAMPLE_VAULT_PASSWORD)
    return root


def test_no_extension_is_planned_on_a_workstation_that_does_not_use_the_pms(wsb: Any, monkeypatch: Any) -> None:
    root = _ws(wsb, monkeypatch, fleet_uses_pms=False)
    inv = load_inventory(root / "inventory")
    p = inv.practices["acme_main"]
    cfg = load_config(root / "fleet.yml")
    billing = plan_host(inv.hosts["billing-ws"], p, {"fleet_token": TOKEN}, default_catalog(), cfg)
    assert billing.extension.action == NONE and "fleet_uses_pms is false" in billing.extension.reason
    assert billing.roles == ()
    front = plan_host(inv.hosts["front-ws"], p, {"fleet_token": TOKEN}, default_catalog(), cfg)
    assert front.roles == ("chrome_extension_policy",)


def test_health_leaves_it_out_of_coverage_and_skips_the_extension_checks(wsb: Any, monkeypatch: Any) -> None:
    root = _ws(wsb, monkeypatch, fleet_uses_pms=False)
    r = CliRunner().invoke(cli, ["-w", str(root), "health", "--json", "--timeout", "10"])
    doc = json.loads(r.stdout)
    (main,) = doc["practices"]
    assert main["coverage"]["total"] == 1
    checks = {h["host"]: {c["check"] for c in h["checks"]} for h in doc["hosts"]}
    assert "extension_token" in checks["front-ws"]
    assert not any(c.startswith(("extension_", "browser_")) for c in checks["billing-ws"])
    assert "reachable" in checks["billing-ws"]
    # Without the flag both workstations count.
    root = _ws(wsb, monkeypatch)
    doc = json.loads(CliRunner().invoke(cli, ["-w", str(root), "health", "--json", "--timeout", "10"]).stdout)
    assert doc["practices"][0]["coverage"]["total"] == 2


def test_validate_needs_one_workstation_that_uses_the_pms_and_a_boolean(wsb: Any) -> None:
    def errors(hosts: dict[str, Any]) -> set[tuple[str | None, str]]:
        root = wsb.write({"acme": {"acme_main": wsb.practice("athenahealth", hosts)}})
        report = validate(load_inventory(root / "inventory"), default_catalog(), load_config(root / "fleet.yml"))
        return {(f.host, f.message) for f in report.all_findings() if f.level is Level.ERROR}

    assert errors({"a-ws": wsb.win("10.0.0.1", fleet_uses_pms=False)}) == {
        (None, "a cloud practice needs at least one workstation for the extension")}
    assert errors({"a-ws": wsb.win("10.0.0.1", fleet_uses_pms=False), "b-ws": wsb.win("10.0.0.2")}) == set()
    assert errors({"a-ws": wsb.win("10.0.0.1", fleet_uses_pms="no")}) == {
        ("a-ws", "fleet_uses_pms must be true or false, not 'no'")}
