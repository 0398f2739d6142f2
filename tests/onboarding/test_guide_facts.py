"""Facts of the vendor's installation guide that fleet used to get wrong, each checked through
``inventory validate`` on a real workspace: hosting spellings, ModMed's variant, the Windows-only
Synchronizer (the lab's Linux stand-in allowed and named), one secret per sync."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fleet.catalog import default_catalog
from fleet.cli.main import cli
from fleet.config import load_config
from fleet.errors import ConfigError
from fleet.example import example_config
from fleet.inventory.model import load_inventory
from fleet.inventory.validate import Level, Report, validate
from fleet.secrets.store import SecretKind, SecretStore
from fleet.secrets.vault import VaultPassword
from fleet.workspace import Workspace

pytestmark = pytest.mark.usefixtures("clean_env")
PW = "test-vault-pass"


def check(root: Path) -> Report:
    return validate(load_inventory(root / "inventory"), default_catalog(), load_config(root / "fleet.yml"))


def messages(report: Report, level: Level = Level.ERROR) -> list[str]:
    return [f.message for f in report.all_findings() if f.level is level]


def with_secrets(root: Path) -> Path:
    """Each practice of the workspace gets its own secret (no password in the env: validate sees the vaults)."""
    store, pw = SecretStore(root / "inventory"), VaultPassword(PW.encode(), "test")
    for p in load_inventory(root / "inventory").practices.values():
        store.set(p.id, SecretKind.TOKEN if p.servers == () else SecretKind.PRODUCT_KEY, f"OWN-{p.id}", pw)
    return root


def real(practice_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A practice's findings other than open onboarding checklist items."""
    return [f for f in practice_doc["findings"] if f["level"] != "todo"]


def validate_cli(root: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    res = CliRunner().invoke(cli, ["-w", str(root), "inventory", "validate", "--json", *args])
    return res.exit_code, json.loads(res.stdout), res.stderr


@pytest.mark.parametrize("spelling", ["on-prem", "onprem", "on_prem", "server"])
def test_a_dentrix_practice_on_prem_is_ready_whatever_the_spelling(wsb: Any, spelling: str) -> None:
    root = wsb.write({"acme": {"acme_dx": wsb.practice(
        "dentrix", {"dx-srv": wsb.win("10.0.0.5", "server"), "dx-ws": wsb.win("10.0.0.6")},
        fleet_pms_version="G7.1", fleet_pms_hosting=spelling)}})
    report = check(root)
    assert report.ok, messages(report)
    assert report.practices[0].install_method == "self_install"


@pytest.mark.parametrize("spelling", ["on-prem", "onprem", "server"])
def test_on_prem_eclinicalworks_is_named_as_on_prem(wsb: Any, spelling: str) -> None:
    root = wsb.write({"acme": {"acme_ecw": wsb.practice(
        "eclinicalworks", {"e-ws": wsb.win("10.0.0.6")}, fleet_pms_version="11.60",
        fleet_pms_url="https://acme.ecwcloud.com", fleet_pms_hosting=spelling)}})
    assert messages(check(root)) == [
        "cannot be synced: on-premises eClinicalWorks is not supported by the Synchronizer"]


def test_an_unknown_hosting_is_refused_with_the_accepted_spellings(wsb: Any) -> None:
    root = wsb.write({"acme": {"acme_dx": wsb.practice(
        "dentrix", {"dx-srv": wsb.win("10.0.0.5", "server")}, fleet_pms_version="G7.1",
        fleet_pms_hosting="hosted")}})
    code, doc, _err = validate_cli(root)
    assert code == 1
    (f,) = real(doc["practices"][0])
    assert f["message"] == ("cannot be synced: fleet_pms_hosting is 'hosted'; "
                            "accepted: cloud, on_prem, on-prem, onprem, server")
    assert f["fix"] == "write fleet_pms_hosting as one of: cloud, on_prem, on-prem, onprem, server"
    inv = root / "inventory" / "acme.yml"
    assert f["where"] == f"{inv}:{wsb.line_of(inv, 'practice_acme_dx:')}"


def _modmed(wsb: Any) -> dict[str, Any]:
    return {"acme": {"acme_derm": wsb.practice(
        "modmed", {"md-ws": wsb.win("10.0.0.6")}, fleet_clinical_account="sync-clin",
        fleet_management_account="sync-mgmt")}}


def test_modmed_takes_its_variant_from_fleet_yml_only(wsb: Any) -> None:
    cfg = example_config()
    del cfg["extensions"]["variant_for"]  # v5 IDs are still configured: fleet must not pick them itself
    root = with_secrets(wsb.write(_modmed(wsb), config=cfg))
    code, doc, _ = validate_cli(root)
    assert code == 1
    (f,) = real(doc["practices"][0])
    assert f["message"] == ("the installation guide names no extension variant for Modernizing Medicine (ModMed), "
                            "and fleet.yml does not say which one to use")
    assert f["fix"].startswith("ask the vendor, then add extensions.variant_for.modmed: vN")
    assert f["where"] == str(root / "fleet.yml")
    cfg["extensions"]["variant_for"] = {"modmed": "v2"}
    root = wsb.write(_modmed(wsb), config=cfg)
    code, doc, _ = validate_cli(root)
    assert code == 0, doc
    ws = Workspace(root)
    assert ws.config.variant_for("modmed", "ModMed", None).name == "v2"


def test_modmed_exports_use_the_variant_fleet_yml_names(wsb: Any, tmp_path: Path) -> None:
    from fleet.desired.policy import practice_policy
    from fleet.inventory.model import load_inventory as load

    cfg = example_config()
    cfg["extensions"]["variant_for"] = {"modmed": "v2"}
    root = wsb.write(_modmed(wsb), config=cfg)
    p = load(root / "inventory").practices["acme_derm"]
    policy = practice_policy(p, "TOKEN", default_catalog(), load_config(root / "fleet.yml"))
    assert policy.variant == "v2"
    assert policy.extensions[0].extension_id == cfg["extensions"]["variants"]["v2"]["chrome"]
    del cfg["extensions"]["variant_for"]
    root = wsb.write(_modmed(wsb), config=cfg)
    with pytest.raises(ConfigError, match="names no extension variant for Modernizing Medicine"):
        practice_policy(p, "TOKEN", default_catalog(), load_config(root / "fleet.yml"))


def test_a_bad_variant_for_is_a_config_error_with_its_line(wsb: Any) -> None:
    cfg = example_config()
    cfg["extensions"]["variant_for"] = {"modmed": "five"}
    root = wsb.write(_modmed(wsb), config=cfg)
    with pytest.raises(ConfigError, match=r"extensions.variant_for must map") as exc:
        load_config(root / "fleet.yml")
    assert exc.value.where is not None and exc.value.where.line


def test_a_linux_server_is_allowed_only_as_the_labs_named_stand_in(wsb: Any) -> None:
    clients = {"acme": {"acme_dx": wsb.practice(
        "dentrix", {"dx-srv": {"ansible_host": "127.0.0.1", "fleet_role": "server", "fleet_platform": "linux"}},
        fleet_pms_version="G7.1")}}
    root = with_secrets(wsb.write(clients))
    code, doc, _ = validate_cli(root)
    assert code == 1 and doc["practices"][0]["status"] == "blocked"
    assert [f["message"] for f in real(doc["practices"][0])] == [
        "the Synchronizer is a Windows service, installed by a Windows administrator on the PMS server; "
        "this server is linux"]
    cfg = example_config()
    cfg["synchronizer"] |= {"linux_url": "http://127.0.0.1:1/standin.tar.gz", "linux_sha256": "0" * 64}
    root = with_secrets(wsb.write(clients, config=cfg))
    code, doc, _err = validate_cli(root)
    assert code == 0, doc
    (f,) = real(doc["practices"][0])
    assert f["level"] == "note" and "stand-in" in f["message"] and f["host"] == "dx-srv"
    assert doc["practices"][0]["status"] == "ready"


def _two_cloud_two_onprem(wsb: Any) -> dict[str, Any]:
    return {"acme": {
        "acme_a": wsb.practice("athenahealth", {"a-ws": wsb.win("10.0.0.11")}),
        "acme_b": wsb.practice("denticon", {"b-ws": wsb.win("10.0.0.12")}),
        "acme_c": wsb.practice("dentrix", {"c-srv": wsb.win("10.0.0.13", "server")}, fleet_pms_version="G7"),
        "acme_d": wsb.practice("eaglesoft", {"d-srv": wsb.win("10.0.0.14", "server")}, fleet_pms_version="21"),
    }}


def test_the_same_secret_for_two_practices_is_an_error_by_fingerprint(wsb: Any, monkeypatch: Any) -> None:
    root = wsb.write(_two_cloud_two_onprem(wsb))
    store, pw = SecretStore(root / "inventory"), VaultPassword(PW.encode(), "test")
    fp_token = store.set("acme_a", SecretKind.TOKEN, "SHARED-TOKEN-0001", pw)
    store.set("acme_b", SecretKind.TOKEN, "SHARED-TOKEN-0001", pw)
    fp_key = store.set("acme_c", SecretKind.PRODUCT_KEY, "SHARED-KEY-0001", pw)
    store.set("acme_d", SecretKind.PRODUCT_KEY, "SHARED-KEY-0001", pw)
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", PW)
    code, doc, err = validate_cli(root)
    assert code == 1
    found = {p["practice"]: [f["message"] for f in real(p)] for p in doc["practices"]}
    assert found["acme_a"] == [f"the same extension token (fingerprint {fp_token}) is stored for acme_b too: "
                               "each sync has its own extension token"]
    assert found["acme_d"] == [f"the same product key (fingerprint {fp_key}) is stored for acme_c too: "
                               "each sync has its own product key"]
    assert "SHARED-" not in json.dumps(doc) + err
    # `secrets check` says so too, and fails.
    res = CliRunner().invoke(cli, ["-w", str(root), "secrets", "check", "--json"])
    assert res.exit_code == 1
    states = {r["practice"]: r["state"] for r in json.loads(res.stdout)}
    assert states == {"acme_a": "same extension token as acme_b", "acme_b": "same extension token as acme_a",
                      "acme_c": "same product key as acme_d", "acme_d": "same product key as acme_c"}
    assert "share a secret" in res.stderr and "SHARED-" not in res.stdout + res.stderr
    # Each practice with its own: ready.
    store.set("acme_b", SecretKind.TOKEN, "OWN-TOKEN-0002", pw)
    store.set("acme_d", SecretKind.PRODUCT_KEY, "OWN-KEY-0002", pw)
    assert validate_cli(root)[0] == 0
    assert CliRunner().invoke(cli, ["-w", str(root), "secrets", "check"]).exit_code == 0
