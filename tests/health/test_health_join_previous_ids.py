"""Health judges Edge by join state and flags earlier extension IDs (issue #11): the expectations
take the same Edge build as the deploy plan (the host's fleet_join), install_source names Edge on a
workgroup without an Edge Add-ons build and a fleet_join that contradicts the machine, and
extension_forcelist flags an earlier ID (fleet.yml previous_ids) still configured."""

from __future__ import annotations

import copy
from typing import Any

from healthkit import CHROME_ID, NOW, TOKEN, URL, config, facts, host, practice, ws_facts

from fleet.catalog import default_catalog
from fleet.config import EDGE_ADDONS_UPDATE_URL
from fleet.example import example_config, fake_extension_id
from fleet.health.checks import default_checks
from fleet.health.evaluate import HostContext, evaluate_check
from fleet.health.expect import host_expectations, practice_expect
from fleet.health.model import State
from fleet.health.settings import HealthSettings

ADDONS = fake_extension_id("addons-v3")
OLD = fake_extension_id("old-v3")
CHECKS = default_checks()


def cfg(**variant: Any):  # type: ignore[no-untyped-def]
    variants = copy.deepcopy(example_config()["extensions"]["variants"])
    variants["v3"].update(variant, extra_fields={"practice_url": "fleet_pms_url"})
    return config(extensions={"update_url": URL, "variants": variants})


def judge(check: str, doc: dict[str, Any], join: str | None, platform: str = "windows",
          browsers: tuple[str, ...] = ("chrome", "edge"), **variant: Any):  # type: ignore[no-untyped-def]
    c = cfg(**variant)
    pe = practice_expect(practice(browsers=browsers), default_catalog(), c, lambda: TOKEN, join=join)
    x = host_expectations(host(platform=platform), pe, c, HealthSettings())
    return x, evaluate_check(CHECKS.get(check), HostContext(facts(doc), x, NOW - 0.5, NOW + 0.5))


def win_ws(kind: str, join: str, edge_id: str = CHROME_ID, edge_url: str = URL) -> dict[str, Any]:
    doc = ws_facts(("chrome", "edge"))
    doc["managed"] = {"kind": kind, "detail": "", "join": join}
    for row in doc["forcelist"]:
        if row["browser"] == "edge":
            row["entry"] = f"{edge_id};{edge_url}"
    for row in doc["managed_values"]:
        if row["browser"] == "edge":
            row["extension_id"] = edge_id
    return doc


def test_expectations_take_the_edge_build_of_the_join_state_and_send_earlier_ids() -> None:
    x, _ = judge("install_source", win_ws("workgroup", "workgroup"), "workgroup", edge_addons=ADDONS,
                 previous_ids=[OLD])
    edge = next(e for e in x.extensions if e.browser == "edge")
    assert (edge.extension_id, edge.update_url) == (ADDONS, EDGE_ADDONS_UPDATE_URL)
    assert set(edge.stale_ids) == {OLD, CHROME_ID}
    wire_edge = next(b for b in x.wire["browsers"] if b["name"] == "edge")
    assert wire_edge["ext"][0] == ADDONS and OLD in wire_edge["ext"]  # the collector reports earlier IDs too
    x, _ = judge("install_source", win_ws("domain", "domain"), "domain", edge_addons=ADDONS)
    assert next(e for e in x.extensions if e.browser == "edge").extension_id == CHROME_ID


def test_edge_addons_build_on_a_workgroup_is_fine() -> None:
    _, out = judge("install_source", win_ws("workgroup", "workgroup", ADDONS, EDGE_ADDONS_UPDATE_URL),
                   "workgroup", edge_addons=ADDONS)
    assert out.state is State.OK, out.message
    _, out = judge("extension_forcelist", win_ws("workgroup", "workgroup", ADDONS, EDGE_ADDONS_UPDATE_URL),
                   "workgroup", edge_addons=ADDONS)
    assert out.state is State.OK, out.message


def test_workgroup_edge_without_an_addons_build_is_named() -> None:
    _, out = judge("install_source", win_ws("workgroup", "workgroup"), "workgroup")
    assert out.state is State.CRITICAL
    assert "Edge Add-ons" in out.message and "v3" in out.message


def test_a_fleet_join_the_machine_contradicts_is_named() -> None:
    # inventory says domain, the machine is a workgroup: the Web Store build will not install in Edge
    _, out = judge("install_source", win_ws("workgroup", "workgroup"), "domain")
    assert out.state is State.CRITICAL
    assert "fleet_join says domain but the machine reports workgroup" in out.message
    # the other way round nothing breaks (the Add-ons build installs anywhere), but it is said
    _, out = judge("install_source", win_ws("domain", "domain", ADDONS, EDGE_ADDONS_UPDATE_URL), "workgroup",
                   edge_addons=ADDONS)
    assert out.state is State.OK and "fleet_join says workgroup but the machine reports domain" in out.message


def test_an_earlier_id_still_configured_is_flagged() -> None:
    doc = ws_facts(("chrome",))
    src = doc["forcelist"][0]["source"]
    doc["forcelist"].append({"browser": "chrome", "source": src, "entry": f"{OLD};{URL}"})
    _, out = judge("extension_forcelist", doc, None, platform="linux", browsers=("chrome",), previous_ids=[OLD])
    assert out.state is State.CRITICAL and f"earlier ID of the extension still configured: {OLD}" in out.message
    # its settings alone (3rdparty key left behind) count too
    doc = ws_facts(("chrome",))
    doc["managed_values"].append({"browser": "chrome", "source": src, "extension_id": OLD, "field": "token",
                                  "type": "string", "sha16": "0" * 16})
    _, out = judge("extension_forcelist", doc, None, platform="linux", browsers=("chrome",), previous_ids=[OLD])
    assert out.state is State.CRITICAL and OLD in out.message and "settings" in out.message
    # gone: OK
    _, out = judge("extension_forcelist", ws_facts(("chrome",)), None, platform="linux", browsers=("chrome",),
                   previous_ids=[OLD])
    assert out.state is State.OK, out.message


def test_an_unset_fleet_join_is_named_with_what_the_machine_reports() -> None:
    _, out = judge("install_source", win_ws("workgroup", "workgroup"), "unknown")
    assert out.state is State.CRITICAL
    assert ("fleet_join is not set: the machine reports workgroup (set fleet_join: workgroup, or fleet inventory "
            "join --write)") in out.message
