"""fleet.desired.plan as data in -> plan out: per host, what must be there (no machine, no Ansible)."""

from __future__ import annotations

import json

import pytest
from helpers_deploy import EDGE_ID, LINUX_PKG_SHA, config, host_and_practice

from fleet.desired.plan import (
    ABSENT,
    APPLY,
    ENGINEER_REASON,
    INSTALL,
    MDM_REQUIRED,
    NONE,
    REMOVE,
    SKIP,
    PlanError,
    plan_host,
)
from fleet.errors import FleetError
from fleet.secrets.store import fingerprint

TOKEN = "TOKEN-abc-123-very-secret"
KEY = "KEY-XYZ-987-very-secret"


def plan(system, role="workstation", platform="windows", secrets=None, state=None, cfg=None, **extra):  # type: ignore[no-untyped-def]
    from fleet.catalog import default_catalog

    host, practice = host_and_practice(system, role, platform, **extra)
    secrets = {"fleet_token": TOKEN, "fleet_product_key": KEY} if secrets is None else secrets
    return plan_host(host, practice, secrets, default_catalog(), cfg or config(), state)


def test_windows_workstation_of_a_cloud_practice_gets_chrome_and_edge_registry_values() -> None:
    p = plan("dentrix_ascend", fleet_browsers=["chrome", "edge"])
    ext = p.extension
    assert ext.action == APPLY and p.synchronizer.action == NONE
    chrome, edge = ext.browsers
    cid = config().variants["v3"].ids["chrome"]
    assert (chrome.browser, chrome.extension_id, edge.browser, edge.extension_id) == ("chrome", cid, "edge", EDGE_ID)
    assert chrome.forcelist_entry == f"{cid};https://clients2.google.com/service/update2/crx"
    assert chrome.forcelist_key == r"HKLM:\SOFTWARE\Policies\Google\Chrome\ExtensionInstallForcelist"
    assert edge.forcelist_key == r"HKLM:\SOFTWARE\Policies\Microsoft\Edge\ExtensionInstallForcelist"
    assert chrome.managed_key == rf"HKLM:\SOFTWARE\Policies\Google\Chrome\3rdparty\extensions\{cid}\policy"
    assert chrome.extension_key == rf"HKLM:\SOFTWARE\Policies\Google\Chrome\3rdparty\extensions\{cid}"
    values = {v.name: v for v in chrome.managed_values}
    assert values["token"].secret and values["token"].data is None and values["token"].type == "string"
    assert values["practice_url"].data == "https://bs.dentrixascend.com" and not values["practice_url"].secret
    assert values["org_alias"].data == "BSDG01"
    assert ext.remove_browsers == ()
    assert ext.token_fingerprint == fingerprint(TOKEN)
    assert ext.linux_file_name == "fleet-acme_main.json"


def test_booleans_become_dwords_and_stay_booleans_in_linux_json() -> None:
    p = plan("cloud9")
    (chrome,) = p.extension.browsers
    values = {v.name: v for v in chrome.managed_values}
    assert (values["online_booking"].type, values["online_booking"].data) == ("dword", 1)
    doc = chrome.linux_document
    settings = doc["3rdparty"]["extensions"][chrome.extension_id]
    assert settings == {"token": None, "online_booking": True, "default_appointment_type": "Recall"}
    assert doc["ExtensionInstallForcelist"] == [chrome.forcelist_entry]


def test_browsers_not_managed_any_more_are_removal_candidates() -> None:
    p = plan("athenahealth", fleet_browsers=["chrome"])
    assert [b.browser for b in p.extension.browsers] == ["chrome"]
    assert [b.browser for b in p.extension.remove_browsers] == ["edge"]
    assert p.extension.remove_browsers[0].managed_values == ()


def test_linux_workstation_gets_the_policy_folders_of_each_browser() -> None:
    p = plan("dentrix_ascend", platform="linux", fleet_browsers=["chrome", "edge"])
    assert p.extension.linux_dirs == ("/etc/opt/chrome/policies/managed", "/etc/chromium/policies/managed",
                                      "/etc/opt/edge/policies/managed")
    assert "policy JSON" in p.describe()


def test_macos_needs_an_mdm_profile_and_says_which_export() -> None:
    p = plan("athenahealth", platform="macos")
    assert p.extension.action == MDM_REQUIRED
    assert "fleet export mobileconfig --practice acme_main" in p.extension.reason
    assert not p.touches


def test_workstations_of_on_prem_practices_and_servers_of_cloud_practices_get_nothing() -> None:
    assert plan("dentrix").extension.action == NONE and plan("dentrix").roles == ()
    p = plan("athenahealth", role="server")
    assert (p.extension.action, p.synchronizer.action) == (NONE, NONE) and not p.touches and p.roles == ()


def test_the_plan_names_the_roles_the_playbook_includes() -> None:
    assert plan("athenahealth").roles == ("chrome_extension_policy",)
    assert plan("athenahealth", platform="macos").roles == ("chrome_extension_policy",)  # it reports MDM
    assert plan("dentrix", role="server").roles == ("synchronizer",)
    assert plan("dolphin", role="server", secrets={}).roles == ("synchronizer",)  # it reports the skip


def test_self_install_server_gets_the_installer_with_checksum_and_key_fingerprint() -> None:
    p = plan("eaglesoft", role="server")
    s = p.synchronizer
    assert s.action == INSTALL and p.touches
    cfg = config().synchronizer
    assert (s.url, s.sha256, s.version, s.silent_args) == (cfg.url, cfg.sha256, cfg.version, "/qn /norestart")
    assert s.service_name == "Synchronizer" and s.product_key_property == "PRODUCTKEY"
    assert s.package_path == r"C:\ProgramData\fleet\downloads\Synchronizer-4.2.0.msi"
    assert s.marker_key == r"HKLM:\SOFTWARE\fleet\Synchronizer"
    assert s.product_key_fingerprint == fingerprint(KEY)


def test_linux_server_gets_the_lab_stand_in_package() -> None:
    s = plan("dentrix", role="server", platform="linux").synchronizer
    assert (s.action, s.url, s.sha256) == (INSTALL, "file:///srv/pkgs/fleet-synchronizer-4.2.0.tar.gz", LINUX_PKG_SHA)
    assert s.service_name == "fleet-synchronizer"
    assert s.package_path == "/opt/fleet-lab/synchronizer/downloads/fleet-synchronizer-4.2.0.tar.gz"


@pytest.mark.parametrize(("system", "extra", "why"), [
    ("dolphin", {}, ENGINEER_REASON),
    ("open_dental", {"fleet_pms_middle_tier": True}, "middle-tier"),
])
def test_engineer_installs_are_skipped_with_the_reason(system: str, extra: dict, why: str) -> None:
    s = plan(system, role="server", secrets={}, **extra).synchronizer
    assert s.action == SKIP and ENGINEER_REASON in s.reason and why in s.reason


def test_unsupported_practices_are_refused() -> None:
    with pytest.raises(PlanError, match="cannot be synced"):
        plan("eclinicalworks_onprem", role="server")


@pytest.mark.parametrize(("cfg", "platform", "match"), [
    (config(**{"synchronizer.linux_url": None}), "linux", "linux_url"),
    (config(**{"synchronizer.linux_sha256": None}), "linux", "linux_sha256"),
    (config(**{"synchronizer.sha256": None}), "windows", r"synchronizer\.sha256"),
    (config(synchronizer=None), "windows", "no Synchronizer installer"),
])
def test_missing_installer_data_is_a_plan_error(cfg, platform: str, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError, match=match) as exc:
        plan("dentrix", role="server", platform=platform, cfg=cfg)
    assert exc.value.hint


def test_missing_secrets_are_plan_errors() -> None:
    with pytest.raises(PlanError, match="product key"):
        plan("dentrix", role="server", secrets={})
    with pytest.raises(FleetError, match="token"):
        plan("athenahealth", secrets={})


def test_state_absent_removes_everything_fleet_put_there_without_needing_secrets() -> None:
    ws = plan("dentrix_ascend", secrets={}, state=ABSENT, fleet_browsers=["chrome"])
    assert ws.extension.action == REMOVE and ws.extension.browsers == ()
    assert sorted(b.browser for b in ws.extension.remove_browsers) == ["chrome", "edge"]
    srv = plan("dentrix", role="server", secrets={}, fleet_state="absent")
    assert srv.synchronizer.action == REMOVE and srv.state == ABSENT
    with pytest.raises(PlanError, match="present or absent"):
        plan("dentrix", role="server", fleet_state="gone")


@pytest.mark.parametrize(("system", "role", "platform"), [
    ("dentrix_ascend", "workstation", "windows"), ("cloud9", "workstation", "linux"),
    ("dentrix", "server", "windows"), ("eaglesoft", "server", "linux"),
])
def test_no_plan_carries_a_secret(system: str, role: str, platform: str) -> None:
    text = json.dumps(plan(system, role, platform).to_dict())
    assert TOKEN not in text and KEY not in text
    assert fingerprint(TOKEN) in text or fingerprint(KEY) in text
