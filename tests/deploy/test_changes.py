"""Wanted + seen -> changes (fleet.desired.plan): forcelist slots, registry writes, Linux files, the Synchronizer."""

from __future__ import annotations

import json

import pytest
from helpers_deploy import host_and_practice
from hypothesis import given
from hypothesis import strategies as st

from fleet.desired.plan import (
    LinuxChanges,
    SynchronizerSeen,
    forcelist_removal,
    linux_changes,
    linux_work,
    msi_arguments,
    parse_policy_json,
    pick_forcelist_slot,
    plan_host,
    render_linux_file,
    synchronizer_changes,
    windows_changes,
)
from fleet.desired.seen import PolicyFilesSeen, RegistrySeen, policy_file_seen
from fleet.secrets.store import fingerprint

OURS = "a" * 32
OTHER1, OTHER2, OTHER3 = "b" * 32, "c" * 32, "d" * 32
URL = "https://clients2.google.com/service/update2/crx"
TOKEN = "TOKEN-abc-123-very-secret"


def wc(ext, forcelist, ours, subkeys=None):  # type: ignore[no-untyped-def]
    """windows_changes over plain {browser: {value name: data}} maps (as win_reg_stat shows them)."""
    return windows_changes(ext, RegistrySeen.of(forcelist, ours, subkeys))


def e(ext_id: str) -> str:
    return f"{ext_id};{URL}"


# -- the slot picker -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("existing", "slot", "current"), [
    ({}, "1", None),
    ({"1": e(OTHER1)}, "2", None),
    ({"1": e(OTHER1), "2": e(OTHER2), "3": e(OTHER3)}, "4", None),
    ({"1": e(OTHER1), "3": e(OTHER3)}, "2", None),  # the lowest gap: the list becomes contiguous again
    ({"2": e(OTHER2)}, "1", None),
    ({"1": e(OTHER1), "2": e(OTHER2), "3": e(OURS)}, "3", e(OURS)),  # already ours: same slot
    ({"1": e(OTHER1), "2": OURS.upper()}, "2", OURS.upper()),  # bare ID, other case
    ({"1": f"{OURS};https://old.example/crx"}, "1", f"{OURS};https://old.example/crx"),  # ours, other URL
    ({"2": e(OURS), "5": e(OURS), "1": e(OTHER1)}, "2", e(OURS)),  # several: the lowest
    ({"01": e(OTHER1), "abc": e(OTHER2), "0": e(OTHER3), "": ""}, "1", None),  # not list items for Chrome
])
def test_pick_forcelist_slot(existing: dict, slot: str, current: str | None) -> None:
    choice = pick_forcelist_slot(existing, OURS)
    assert (choice.slot, choice.current) == (slot, current)


@given(st.dictionaries(st.integers(1, 12).map(str), st.sampled_from([e(OTHER1), e(OTHER2), e(OTHER3), e(OURS)])))
def test_pick_never_takes_another_programs_value_and_fills_the_lowest_gap(existing: dict) -> None:
    choice = pick_forcelist_slot(existing, OURS)
    if choice.current is None:
        assert choice.slot not in existing
        assert all(str(n) in existing for n in range(1, int(choice.slot)))  # every lower number is taken
        assert OURS not in " ".join(existing.values())
    else:
        assert existing[choice.slot] == e(OURS)


@pytest.mark.parametrize(("existing", "names", "hidden"), [
    ({"1": e(OTHER1), "2": e(OURS)}, ("2",), ()),
    ({"1": e(OURS), "2": e(OTHER2), "3": e(OTHER3)}, ("1",), ("2", "3")),  # a gap at 1 hides the rest
    ({"1": e(OTHER1), "2": e(OURS), "3": e(OTHER3), "4": e(OURS)}, ("2", "4"), ("3",)),
    ({"1": e(OTHER1)}, (), ()),
])
def test_removal_deletes_only_ours_and_reports_what_a_gap_hides(existing: dict, names: tuple, hidden: tuple) -> None:
    r = forcelist_removal(existing, OURS)
    assert (r.names, r.hidden) == (names, hidden)


# -- Windows registry changes ---------------------------------------------------------------------------


def _ext(system: str = "dentrix_ascend", **extra):  # type: ignore[no-untyped-def]
    from helpers_deploy import config

    from fleet.catalog import default_catalog

    host, practice = host_and_practice(system, **extra)
    p = plan_host(host, practice, {"fleet_token": TOKEN}, default_catalog(), config())
    return p.to_dict()["extension"]


def test_first_deploy_writes_forcelist_settings_and_token() -> None:
    ext = _ext(fleet_browsers=["chrome"])
    ch = wc(ext, {"chrome": {"1": e(OTHER1)}}, {"chrome": None})
    b = ext["browsers"][0]
    assert ch.forcelist_set == [{"key": b["forcelist_key"], "name": "2", "data": b["forcelist_entry"],
                                 "browser": "chrome", "replaces": False}]
    assert {m["name"]: m["data"] for m in ch.managed_set} == {"practice_url": "https://bs.dentrixascend.com",
                                                            "org_alias": "BSDG01"}
    assert ch.secret_set == [{"key": b["managed_key"], "name": "token", "type": "string", "browser": "chrome"}]
    assert ch.forcelist_delete == [] and ch.keys_delete == []  # Edge key not there: nothing to delete


def test_nothing_is_written_when_everything_is_already_there() -> None:
    ext = _ext(fleet_browsers=["chrome"])
    b = ext["browsers"][0]
    seen_ours = {"token": TOKEN, "practice_url": "https://bs.dentrixascend.com", "org_alias": "BSDG01"}
    ch = wc(ext, {"chrome": {"1": e(OTHER1), "2": b["forcelist_entry"]}, "edge": {}},
                         {"chrome": seen_ours, "edge": None})
    assert not ch.any


def test_a_changed_token_or_setting_is_rewritten_alone_and_the_old_token_never_copied() -> None:
    ext = _ext(fleet_browsers=["chrome"])
    b = ext["browsers"][0]
    seen_ours = {"token": "OLD-TOKEN-do-not-leak", "practice_url": "https://old.example", "org_alias": "BSDG01",
                 "retired_setting": "x", "": ""}
    ch = wc(ext, {"chrome": {"1": b["forcelist_entry"]}}, {"chrome": seen_ours})
    assert ch.forcelist_set == []
    assert [m["name"] for m in ch.managed_set] == ["practice_url"]
    assert [s["name"] for s in ch.secret_set] == ["token"]
    assert ch.managed_delete == [{"key": b["managed_key"], "name": "retired_setting", "browser": "chrome"}]
    assert "OLD-TOKEN-do-not-leak" not in json.dumps(ch.__dict__)


def test_removing_a_browser_deletes_only_our_values_and_key_and_warns_about_a_gap() -> None:
    ext = _ext(fleet_browsers=["chrome"])
    edge = ext["remove_browsers"][0]
    seen_edge = {"1": e(OTHER1), "2": edge["forcelist_entry"], "3": e(OTHER3)}
    ch = wc(ext, {"chrome": {}, "edge": seen_edge}, {"chrome": None, "edge": {}})
    assert ch.forcelist_delete == [{"key": edge["forcelist_key"], "name": "2", "browser": "edge"}]
    assert ch.keys_delete == [edge["extension_key"]]
    assert len(ch.warnings) == 1 and "3" in ch.warnings[0]


def test_dword_settings_compare_as_numbers() -> None:
    ext = _ext("cloud9")
    b = ext["browsers"][0]
    seen = {"token": TOKEN, "online_booking": 1, "default_appointment_type": "Recall"}
    ch = wc(ext, {"chrome": {"1": b["forcelist_entry"]}}, {"chrome": seen})
    assert not ch.any
    ch = wc(ext, {"chrome": {"1": b["forcelist_entry"]}}, {"chrome": {**seen, "online_booking": 0}})
    assert [(m["name"], m["type"], m["data"]) for m in ch.managed_set] == [("online_booking", "dword", 1)]


# -- Linux policy files ------------------------------------------------------------------------------------


def _linux_ext(browsers=("chrome",)):  # type: ignore[no-untyped-def]
    return _ext(platform="linux", fleet_browsers=list(browsers))


def _files(texts: dict[str, str], mode: str = "0644", uid: int = 0) -> PolicyFilesSeen:
    """The files as find + slurp would show them."""
    return PolicyFilesSeen(tuple(policy_file_seen(p, t, mode, uid) for p, t in texts.items()))


def _written(ch: LinuxChanges, ext, token: str = TOKEN) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f.path: render_linux_file(f, ext, token) for f in ch.files}


def test_first_deploy_creates_folders_and_writes_every_file() -> None:
    ext = _linux_ext()
    ch = linux_changes(ext, PolicyFilesSeen())
    work = linux_work(ch)
    assert work["dirs"] == sorted(ext["linux_dirs"]) and work["any"]
    assert [f.path for f in ch.files] == [f"{d}/fleet-acme_main.json" for d in ext["linux_dirs"]]
    assert work["write"] == [f.path for f in ch.files] and all(f.why == "missing" for f in ch.files)
    assert ch.delete == []  # no Edge file of ours to clean up
    edge_file = "/etc/opt/edge/policies/managed/fleet-acme_main.json"
    assert linux_changes(ext, _files({edge_file: "{}"})).delete == [edge_file]
    out = _written(ch, ext)
    doc = json.loads(next(iter(out.values())))
    b = ext["browsers"][0]
    assert doc["ExtensionInstallForcelist"] == [b["forcelist_entry"]]
    assert doc["3rdparty"]["extensions"][b["extension_id"]]["token"] == TOKEN


def test_files_already_right_are_not_written_again_and_wrong_mode_owner_or_token_is() -> None:
    ext = _linux_ext()
    texts = _written(linux_changes(ext, PolicyFilesSeen()), ext)
    (p1, t1), (p2, t2) = texts.items()
    right = policy_file_seen(p1, t1, "0644", 0)
    ch = linux_changes(ext, PolicyFilesSeen((right, policy_file_seen(p2, t2, "0600", 0))))
    assert ch.write == [p2] and "mode" in ch.files[1].why
    ch = linux_changes(ext, PolicyFilesSeen((right, policy_file_seen(p2, t2, "0644", 1000))))
    assert ch.write == [p2] and "uid 1000" in ch.files[1].why
    assert linux_work(linux_changes(ext, _files(texts))) == {"write": [], "dirs": [], "any": False}
    other_token = _written(linux_changes(ext, PolicyFilesSeen()), ext, "ANOTHER-TOKEN-1234")
    ch = linux_changes(ext, _files(other_token))
    assert ch.write == [p1, p2] and {f.why for f in ch.files} == {"the token differs"}
    assert "ANOTHER-TOKEN" not in json.dumps([f.seen.__dict__ for f in ch.files], default=lambda o: o.__dict__)
    # the same content written another way (key order, spacing) is already right
    relaid = {p: json.dumps(json.loads(t)) for p, t in texts.items()}
    assert linux_changes(ext, _files(relaid)).write == []


def test_a_setting_fleet_no_longer_sets_is_removed_from_our_file() -> None:
    # fleet.yml dropped a managed setting (or our file was edited by hand): the file is rewritten
    # without it, as Windows deletes the value (managed_delete). Found when the lab kept a setting
    # a test's plan had added and the inventory's plan no longer had.
    ext = _linux_ext()
    texts = _written(linux_changes(ext, PolicyFilesSeen()), ext)
    b = ext["browsers"][0]
    extra = {}
    for p, t in texts.items():
        doc = json.loads(t)
        doc["3rdparty"]["extensions"][b["extension_id"]]["old_setting"] = "x"
        extra[p] = json.dumps(doc)
    ch = linux_changes(ext, _files(extra))
    assert ch.write == list(texts) and {f.why for f in ch.files} == {"old_setting no longer set by fleet"}
    assert json.loads(_written(ch, ext)[ch.write[0]])["3rdparty"]["extensions"][b["extension_id"]].keys() \
        == json.loads(texts[ch.write[0]])["3rdparty"]["extensions"][b["extension_id"]].keys()


def test_other_files_forcelist_entries_are_kept_in_ours_and_their_files_not_touched() -> None:
    ext = _linux_ext()
    d = ext["linux_dirs"][0]
    b = ext["browsers"][0]
    foreign = {f"{d}/acme-pdf-tools.json":
               json.dumps({"ExtensionInstallForcelist": [e(OTHER1), f"{b['extension_id']};https://x"]}),
               f"{d}/00-base.json":  # comments and trailing commas, as Chrome accepts them
               f'{{\n // base image\n "ExtensionInstallForcelist": ["{e(OTHER2)}",],\n}}'}
    ch = linux_changes(ext, _files(foreign))
    f = ch.files[0]
    assert f.path == f"{d}/fleet-acme_main.json" and f.shadowed_by == ""
    assert f.document["ExtensionInstallForcelist"] == [e(OTHER2), e(OTHER1), b["forcelist_entry"]]
    assert ch.shadowed == [] and ch.files[1].document["ExtensionInstallForcelist"] == [b["forcelist_entry"]]
    assert all(fi.path.endswith("fleet-acme_main.json") for fi in ch.files)  # we never write theirs


def test_a_file_sorting_after_ours_that_sets_the_list_is_reported_as_shadowing() -> None:
    ext = _linux_ext()
    d = ext["linux_dirs"][0]
    foreign = {f"{d}/zz-vendor.json": json.dumps({"ExtensionInstallForcelist": [e(OTHER1)]}),
               f"{d}/zz-broken.json": "{not json"}
    ch = linux_changes(ext, _files(foreign))
    assert ch.files[0].shadowed_by == f"{d}/zz-vendor.json"
    assert len(ch.shadowed) == 1 and "zz-vendor.json" in ch.shadowed[0] and TOKEN not in ch.shadowed[0]
    assert len(ch.warnings) == 1 and "zz-broken.json" in ch.warnings[0]


def test_state_absent_deletes_our_files_in_every_folder() -> None:
    from helpers_deploy import config

    from fleet.catalog import default_catalog

    host, practice = host_and_practice("athenahealth", platform="linux")
    ext = plan_host(host, practice, {}, default_catalog(), config(), "absent").to_dict()["extension"]
    ours = [f"{d}/fleet-acme_main.json" for d in ("/etc/opt/chrome/policies/managed",
                                                  "/etc/chromium/policies/managed", "/etc/opt/edge/policies/managed")]
    ch = linux_changes(ext, _files({p: "{}" for p in [*ours, "/etc/opt/chrome/policies/managed/x.json"]}))
    assert ch.files == [] and sorted(ch.delete) == sorted(ours)
    assert ext["linux_scan_paths"] == ["/etc/opt", "/etc/chromium"] and ext["linux_scan_depth"] == 4


def test_parse_policy_json_accepts_what_chrome_accepts_and_refuses_garbage() -> None:
    assert parse_policy_json('{"a": "http://x//y", /* c */ "b": [1,2,],}') == {"a": "http://x//y", "b": [1, 2]}
    with pytest.raises(ValueError):
        parse_policy_json("{oops")


def test_render_needs_the_token() -> None:
    ext = _linux_ext()
    ch = linux_changes(ext, PolicyFilesSeen())
    with pytest.raises(Exception, match="token"):
        render_linux_file(ch.files[0], ext, "")
    assert isinstance(ch, LinuxChanges)


# -- Synchronizer -------------------------------------------------------------------------------------------


def _sync_plan() -> dict:
    from helpers_deploy import config

    from fleet.catalog import default_catalog

    host, practice = host_and_practice("dentrix", role="server", platform="linux")
    return plan_host(host, practice, {"fleet_product_key": "KEY-1"}, default_catalog(), config()).to_dict()[
        "synchronizer"]


FP = fingerprint("KEY-1")


@pytest.mark.parametrize(("seen", "install", "start", "enable", "why"), [
    (SynchronizerSeen(), True, True, True, "not installed"),
    (SynchronizerSeen(True, "4.1.0", FP, True, True), True, True, False, "4.1.0 installed, 4.2.0 wanted"),
    (SynchronizerSeen(True, "4.3.0", FP, True, True), True, True, False, "4.3.0 installed"),
    (SynchronizerSeen(True, "4.2.0", "0" * 16, True, True), True, True, False, "product key changed"),
    (SynchronizerSeen(True, "4.2.0", FP, True, True), False, False, False, "up to date"),
    (SynchronizerSeen(True, "4.2.0", FP, False, True), False, True, False, "not running"),
    (SynchronizerSeen(True, "4.2.0", FP, True, False), False, False, True, "not started at boot"),
])
def test_synchronizer_changes(seen: SynchronizerSeen, install: bool, start: bool, enable: bool, why: str) -> None:
    ch = synchronizer_changes(_sync_plan(), seen)
    assert (ch.install, ch.start, ch.enable, ch.remove, ch.ensure_running) == (install, start, enable, False, True)
    assert why in ch.why
    assert ch.steps == (["install"] if install else []) + (["service"] if start or enable else [])


def test_synchronizer_removal_only_when_installed_and_skip_does_nothing() -> None:
    plan = {**_sync_plan(), "action": "remove"}
    assert synchronizer_changes(plan, SynchronizerSeen(True, "4.2.0")).steps == ["remove"]
    assert synchronizer_changes(plan, SynchronizerSeen()).steps == []
    skip = synchronizer_changes({"action": "skip", "reason": "schedule with the vendor's engineer"},
                                SynchronizerSeen())
    assert not (skip.install or skip.start or skip.remove) and "engineer" in skip.why


def test_msi_arguments_quote_the_key_and_refuse_line_breaks() -> None:
    plan = {"silent_args": "/qn /norestart", "product_key_property": "PRODUCTKEY"}
    assert msi_arguments(plan, "AB CD-12") == '/qn /norestart PRODUCTKEY="AB CD-12"'
    # msiexec's rule: a double quote inside a quoted property value is written twice
    assert msi_arguments(plan, 'AB"CD') == '/qn /norestart PRODUCTKEY="AB""CD"'
    for bad in ("AB\nCD", "AB\rCD", "AB\0CD", ""):
        with pytest.raises(Exception, match="product key"):
            msi_arguments(plan, bad)
