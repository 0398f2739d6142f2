"""The policy model: what a cloud practice's browsers must carry, from inventory + vault + fleet.yml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fleet.catalog import default_catalog
from fleet.config import load_config
from fleet.desired.policy import PolicyError, practice_policy
from fleet.inventory.model import load_inventory
from fleet.secrets.store import fingerprint

TOKEN = "tok-'quoted'-$x;]%-ünï"


def _load(root: Path):  # type: ignore[no-untyped-def]
    return load_inventory(root / "inventory"), load_config(root / "fleet.yml")


def _with_extra_fields(root: Path, fields: dict[str, str]) -> None:
    cfg = root / "fleet.yml"
    extra = "      extra_fields: " + json.dumps(fields) + "\n"
    text = cfg.read_text().replace("      chrome: ", extra + "      chrome: ", 7)
    cfg.write_text(text)


def test_registry_values_follow_the_chrome_layout(wsb) -> None:  # type: ignore[no-untyped-def]
    root = wsb.write({"acme": {"acme_cloud": wsb.practice("athenahealth", {"ws1": wsb.win("10.0.0.1")},
                                                         fleet_browsers=["chrome", "edge"])}})
    inv, cfg = _load(root)
    pol = practice_policy(inv.practice("acme_cloud"), TOKEN, default_catalog(), cfg)
    ext_id = cfg.variant("v6").id_for("chrome")
    values = {(v.key, v.name): v for v in pol.registry_values(forcelist_slot=7)}
    assert values[(r"SOFTWARE\Policies\Google\Chrome\ExtensionInstallForcelist", "7")].data == (
        f"{ext_id};https://clients2.google.com/service/update2/crx")
    token_value = values[(rf"SOFTWARE\Policies\Microsoft\Edge\3rdparty\extensions\{ext_id}\policy", "token")]
    assert token_value.data == TOKEN and token_value.secret and token_value.type == "REG_SZ"
    assert pol.token_fingerprint == fingerprint(TOKEN)
    assert pol.for_browser("edge").linux_json()["3rdparty"]["extensions"][ext_id] == {"token": TOKEN}


def test_list_and_bool_facts_become_registry_compatible_values(wsb) -> None:  # type: ignore[no-untyped-def]
    root = wsb.write({"acme": {"acme_c9": wsb.practice(
        "cloud9", {"ws1": wsb.win("10.0.0.1")}, fleet_online_booking=True, fleet_default_appointment_type="Recall",
        fleet_unavailable_appointment_classes=["Surgery", "Sedation"])}})
    _with_extra_fields(root, {"unavailableClasses": "fleet_unavailable_appointment_classes",
                              "onlineBooking": "fleet_online_booking"})
    inv, cfg = _load(root)
    pol = practice_policy(inv.practice("acme_c9"), TOKEN, default_catalog(), cfg)
    by_name = {v.name: v for v in pol.registry_values() if "3rdparty" in v.key}
    assert by_name["onlineBooking"].type == "REG_DWORD" and by_name["onlineBooking"].data == 1
    assert by_name["unavailableClasses"].type == "REG_SZ"
    assert json.loads(by_name["unavailableClasses"].data) == ["Surgery", "Sedation"]


def test_on_prem_practice_has_no_browser_policy(wsb) -> None:  # type: ignore[no-untyped-def]
    root = wsb.write({"acme": {"acme_od": wsb.practice(
        "open_dental", {"srv": wsb.win("10.0.0.5", "server")}, fleet_pms_version="23.1")}})
    inv, cfg = _load(root)
    with pytest.raises(PolicyError, match="not the browser extension"):
        practice_policy(inv.practice("acme_od"), TOKEN, default_catalog(), cfg)


@pytest.mark.parametrize("bad", ["", "line\nbreak", "nul\0byte"])
def test_tokens_policy_cannot_carry_are_refused(wsb, bad: str) -> None:  # type: ignore[no-untyped-def]
    root = wsb.write({"acme": {"acme_cloud": wsb.practice("athenahealth", {"ws1": wsb.win("10.0.0.1")})}})
    inv, cfg = _load(root)
    with pytest.raises(PolicyError):
        practice_policy(inv.practice("acme_cloud"), bad, default_catalog(), cfg)
