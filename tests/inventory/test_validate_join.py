"""Validation of Edge on Windows by join state (issue #11): an Edge-on-workgroup practice without an
Edge Add-ons build is blocked, per practice, naming the hosts; an unset fleet_join warns; a bad
value is an error at the host; fleet.yml's edge_addons / previous_ids are checked with file and line."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from test_validate import _line, check, errors

from fleet.config import load_config
from fleet.errors import ConfigError
from fleet.example import example_config, fake_extension_id
from fleet.inventory.validate import Level

pytestmark = pytest.mark.usefixtures("clean_env")


def clients(wsb: Any, **pvars: Any) -> dict:
    return {"acme": {"acme_cloud": wsb.practice("athenahealth", {
        "ac-ws01": wsb.win("10.0.0.11"), "ac-ws02": wsb.win("10.0.0.12"),
        "ac-mac01": {"ansible_host": "10.0.0.40", "fleet_role": "workstation", "fleet_platform": "macos"}},
        fleet_browsers=["chrome", "edge"], **pvars)}}


def config(**variant: Any) -> dict:
    cfg = copy.deepcopy(example_config())
    cfg["extensions"]["variants"]["v6"].update(variant)
    return cfg


def test_workgroup_edge_without_an_addons_build_blocks_the_practice(wsb: Any) -> None:
    report = check(wsb.write(clients(wsb, fleet_join="workgroup")))
    (f,) = errors(report)
    assert f.practice_id == "acme_cloud" and "ac-ws01, ac-ws02" in f.message and "ac-mac01" not in f.message
    assert "Edge Add-ons" in f.message and "v6" in f.message
    assert "extensions.variants.v6.edge_addons" in f.hint
    assert report.practices[0].status == "blocked"


def test_workgroup_edge_with_an_addons_build_or_joined_machines_is_ready(wsb: Any) -> None:
    def edge_findings(report) -> list[str]:
        return [f.message for f in report.all_findings() if "Edge" in f.message or "fleet_join" in f.message]

    report = check(wsb.write(clients(wsb, fleet_join="workgroup"),
                             config=config(edge_addons=fake_extension_id("addons-v6"))))
    assert report.ok and edge_findings(report) == []
    report = check(wsb.write(clients(wsb, fleet_join="entra")))
    assert report.ok and edge_findings(report) == []


def test_unset_join_state_warns_once_per_practice(wsb: Any) -> None:
    report = check(wsb.write(clients(wsb)))
    assert report.ok
    (w,) = [f for f in report.all_findings() if f.level is Level.WARNING and "macOS" not in f.message]
    assert "fleet_join is not set" in w.message and "ac-ws01, ac-ws02" in w.message


def test_bad_join_value_is_an_error_at_the_host(wsb: Any) -> None:
    cl = clients(wsb)
    cl["acme"]["acme_cloud"]["hosts"]["ac-ws02"]["fleet_join"] = "AzureAD"
    root = wsb.write(cl)
    (f,) = errors(check(root))
    assert f.host == "ac-ws02" and "fleet_join is 'AzureAD'" in f.message
    assert f.where.line == _line(root / "inventory" / "acme.yml", "ac-ws02:")


@pytest.mark.parametrize(("variant", "needle"), [
    ({"edge_addons": "not-an-id"}, "edge_addons: not-an-id"),
    ({"previous_ids": ["nope"]}, "previous_ids:"),
    ({"previous_ids": "a" * 32}, "previous_ids:"),
])
def test_bad_edge_addons_or_previous_ids_name_the_line(wsb: Any, variant: dict, needle: str) -> None:
    root = wsb.write(clients(wsb, fleet_join="domain"), config=config(**variant))
    with pytest.raises(ConfigError) as exc:
        load_config(root / "fleet.yml")
    assert exc.value.where.line == _line(root / "fleet.yml", needle)


def test_a_previous_id_still_in_use_is_refused(wsb: Any) -> None:
    current = example_config()["extensions"]["variants"]["v6"]["chrome"]
    root = wsb.write(clients(wsb, fleet_join="domain"), config=config(previous_ids=[current]))
    with pytest.raises(ConfigError, match="still installs"):
        load_config(root / "fleet.yml")


def test_previous_ids_load(tmp_path: Path, wsb: Any) -> None:
    old = fake_extension_id("old-v6")
    root = wsb.write(clients(wsb, fleet_join="domain"), config=config(previous_ids=[old, old]))
    assert load_config(root / "fleet.yml").variants["v6"].previous_ids == (old,)
