"""Issue #11 in the deploy plan: Edge's build follows the Windows host's join state (fleet_join), an
Edge-on-workgroup host without an Edge Add-ons build is refused with the reason, and earlier IDs
(fleet.yml previous_ids) are removed from the registry and never carried into our Linux policy file."""

from __future__ import annotations

import pytest
from helpers_deploy import EDGE_ID, config, host_and_practice

from fleet.config import EDGE_ADDONS_UPDATE_URL, WEB_STORE_UPDATE_URL
from fleet.desired.plan import PlanError, linux_changes, plan_host
from fleet.desired.plan import windows_changes as _windows_changes
from fleet.desired.seen import PolicyFilesSeen, RegistrySeen, policy_file_seen
from fleet.example import fake_extension_id
from fleet.secrets.store import TOKEN_VAR

ADDONS = fake_extension_id("edge-addons-v3")
OLD = fake_extension_id("old-v3")
OTHER = "b" * 32
SECRETS = {TOKEN_VAR: "TOKEN-abc-123"}


def windows_changes(ext, forcelist, ours, subkeys=None):  # type: ignore[no-untyped-def]
    return _windows_changes(ext, RegistrySeen.of(forcelist, ours, subkeys))


def plan(join: str | None = None, platform: str = "windows", **cfg):
    extra = {"fleet_browsers": ["chrome", "edge"]}
    if join is not None:
        extra["fleet_join"] = join
    host, practice = host_and_practice("dentrix_ascend", platform=platform, **extra)
    from fleet.catalog import default_catalog

    return plan_host(host, practice, SECRETS, default_catalog(), config(**cfg))


def edge(p):
    return next(b for b in p.extension.browsers if b.browser == "edge")


def test_workgroup_edge_without_an_edge_addons_build_is_refused_with_the_reason() -> None:
    with pytest.raises(PlanError) as info:
        plan("workgroup")
    msg = str(info.value)
    assert "h1" in msg and "workgroup" in msg and "Edge Add-ons" in msg and "v3" in msg
    assert "edge_addons" in (info.value.hint or "")


@pytest.mark.parametrize(("join", "want"), [
    ("workgroup", (ADDONS, EDGE_ADDONS_UPDATE_URL)),
    ("domain", (EDGE_ID, WEB_STORE_UPDATE_URL)),
    ("entra", (EDGE_ID, WEB_STORE_UPDATE_URL)),
    (None, (ADDONS, EDGE_ADDONS_UPDATE_URL)),  # unknown: the Add-ons build installs everywhere
])
def test_edge_build_follows_the_join_state(join: str | None, want: tuple[str, str]) -> None:
    p = plan(join, **{"extensions.variants.v3.edge_addons": ADDONS})
    b = edge(p)
    assert (b.extension_id, b.forcelist_entry) == (want[0], f"{want[0]};{want[1]}")
    # the other build is stale in Edge: removed if a host changes join state
    other = EDGE_ID if want[0] == ADDONS else ADDONS
    assert other in b.stale_ids
    chrome = next(x for x in p.extension.browsers if x.browser == "chrome")
    assert chrome.forcelist_entry.endswith(WEB_STORE_UPDATE_URL) and ADDONS not in chrome.stale_ids


def test_join_state_does_not_apply_off_windows_and_bad_values_are_refused() -> None:
    p = plan("workgroup", platform="linux")  # Linux Edge: the plan keeps the Web Store build
    assert edge(p).extension_id == EDGE_ID
    with pytest.raises(PlanError, match="fleet_join is 'wrkgroup'"):
        plan("wrkgroup")


def test_windows_removes_earlier_ids_entries_and_keys_and_nothing_else() -> None:
    p = plan("domain", **{"extensions.variants.v3.previous_ids": [OLD]}).to_dict()["extension"]
    chrome = p["browsers"][0]
    assert chrome["stale_ids"] == [OLD]
    forcelist = {"1": f"{OTHER};{WEB_STORE_UPDATE_URL}", "2": f"{OLD};{WEB_STORE_UPDATE_URL}",
                 "3": chrome["forcelist_entry"]}
    seen = {"chrome": forcelist, "edge": {}}
    ours = {"chrome": None, "edge": None}
    ch = windows_changes(p, seen, ours, {"chrome": [OTHER, OLD.upper()], "edge": [OTHER]})
    assert {(d["browser"], d["name"]) for d in ch.forcelist_delete} == {("chrome", "2")}
    assert ch.keys_delete == [chrome["extensions_key"] + "\\" + OLD]
    # nothing of the earlier ID left: no change (idempotent), other software's entry untouched
    del forcelist["2"]
    ch = windows_changes(p, seen, ours, {"chrome": [OTHER], "edge": [OTHER]})
    assert not ch.forcelist_delete and not ch.keys_delete


def test_offboarding_removes_earlier_ids_too() -> None:
    host, practice = host_and_practice("dentrix_ascend", fleet_state="absent", fleet_browsers=["chrome"])
    from fleet.catalog import default_catalog

    cfg = config(**{"extensions.variants.v3.previous_ids": [OLD]})
    p = plan_host(host, practice, {}, default_catalog(), cfg).to_dict()["extension"]
    assert p["action"] == "remove" and all(b["stale_ids"] == [OLD] for b in p["remove_browsers"][:1])
    ch = windows_changes(p, {"chrome": {"7": f"{OLD};{WEB_STORE_UPDATE_URL}"}}, {"chrome": None, "edge": None},
                         {"chrome": [OLD]})
    assert [(d["browser"], d["name"]) for d in ch.forcelist_delete] == [("chrome", "7")]
    assert ch.keys_delete[-1].endswith("\\" + OLD)


def test_linux_file_does_not_carry_an_earlier_id_from_another_file() -> None:
    p = plan(platform="linux", **{"extensions.variants.v3.previous_ids": [OLD]}).to_dict()["extension"]
    d = p["browsers"][0]["linux_dirs"][0]
    other = {"path": f"{d}/aaa-old-fleet-copy.json",
             "content": f'{{"ExtensionInstallForcelist": ["{OLD};{WEB_STORE_UPDATE_URL}", "{OTHER}"]}}'}
    ch = linux_changes(p, PolicyFilesSeen((policy_file_seen(other["path"], other["content"]),)))
    doc = next(f.document for f in ch.files if f.path.startswith(d + "/"))
    assert doc["ExtensionInstallForcelist"] == [OTHER, p["browsers"][0]["forcelist_entry"]]


def test_describe_says_which_edge_build_and_which_ids_go() -> None:
    text = plan("workgroup", **{"extensions.variants.v3.edge_addons": ADDONS,
                                "extensions.variants.v3.previous_ids": [OLD]}).describe()
    assert "edge Edge Add-ons build" in text and OLD in text and EDGE_ID in text
