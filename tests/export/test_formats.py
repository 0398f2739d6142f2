"""mobileconfig, Linux JSON, Intune rows/ADMX and .reg escaping, checked against the policy model."""

from __future__ import annotations

import codecs
import csv
import io
import json
import plistlib
import re
import uuid
import xml.etree.ElementTree as ET

import pytest
from helpers_export import context
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.errors import FleetError
from fleet.export.base import ExportOptions
from fleet.export.intune import render_intune
from fleet.export.unix import MCX_PAYLOAD, render_linux, render_mobileconfig
from fleet.export.windows import render_reg_file

NASTY = "'\"`$;]%[\\=@ é€ǅ𝄞\u2019<>&\t"
tokens = st.text(alphabet=st.sampled_from(NASTY) | st.characters(codec="utf-8"), min_size=1, max_size=40)
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# -- mobileconfig ---------------------------------------------------------------------------------

def test_mobileconfig_payloads() -> None:
    ctx = context("tok-<&>-é")
    (art,) = render_mobileconfig(ctx)
    assert art.path == "p1.mobileconfig" and art.contains_token
    profile = plistlib.loads(art.data)
    assert profile["PayloadType"] == "Configuration"
    assert profile["PayloadScope"] == "System"
    assert profile["PayloadVersion"] == 1
    uuid.UUID(profile["PayloadUUID"])
    domains = {}
    for p in profile["PayloadContent"]:
        assert p["PayloadType"] == MCX_PAYLOAD
        uuid.UUID(p["PayloadUUID"])
        assert p["PayloadIdentifier"].startswith(profile["PayloadIdentifier"] + ".")
        ((domain, body),) = p["PayloadContent"].items()
        (forced,) = body["Forced"]
        domains[domain] = forced["mcx_preference_settings"]
    chrome, edge = ctx.policy.for_browser("chrome"), ctx.policy.for_browser("edge")
    assert chrome.extension_id != edge.extension_id  # the test config gives Edge its own ID
    assert domains == {
        "com.google.Chrome": {"ExtensionInstallForcelist": [chrome.forcelist_entry]},
        f"com.google.Chrome.extensions.{chrome.extension_id}": dict(chrome.managed),
        "com.microsoft.Edge": {"ExtensionInstallForcelist": [edge.forcelist_entry]},
        f"com.microsoft.Edge.extensions.{edge.extension_id}": dict(edge.managed),
    }
    assert domains[f"com.google.Chrome.extensions.{chrome.extension_id}"]["token"] == "tok-<&>-é"
    assert domains[f"com.google.Chrome.extensions.{chrome.extension_id}"]["online_booking"] is True


def test_mobileconfig_uuids_are_stable_and_distinct() -> None:
    def uuids(**kw) -> list[str]:
        prof = plistlib.loads(render_mobileconfig(context("t", **kw))[0].data)
        return [prof["PayloadUUID"]] + [p["PayloadUUID"] for p in prof["PayloadContent"]]

    first, again, other = uuids(), uuids(), uuids(practice_id="p2")
    assert first == again
    assert len(set(first)) == len(first)
    assert not set(first) & set(other)


def test_mobileconfig_chrome_only() -> None:
    prof = plistlib.loads(render_mobileconfig(context("t", browsers=("chrome",)))[0].data)
    domains = [next(iter(p["PayloadContent"])) for p in prof["PayloadContent"]]
    assert all(d.startswith("com.google.Chrome") for d in domains) and len(domains) == 2


@settings(max_examples=100, deadline=None)
@given(token=tokens)
def test_mobileconfig_token_round_trips_or_is_refused(token: str) -> None:
    try:
        (art,) = render_mobileconfig(context(token))
    except (FleetError, ValueError) as exc:
        assert any(c in token for c in "\0\r\n") or XML_INVALID.search(token) or _surrogate(token), exc
        assert token not in str(exc)
        return
    prof = plistlib.loads(art.data)
    settings_ = [next(iter(p["PayloadContent"].values()))["Forced"][0]["mcx_preference_settings"]
                 for p in prof["PayloadContent"]]
    assert [s["token"] for s in settings_ if "token" in s] == [token, token]


def _surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


# -- Linux ----------------------------------------------------------------------------------------

def test_linux_files_per_browser() -> None:
    ctx = context("tok")
    files = {a.path: json.loads(a.data) for a in render_linux(ctx)}
    chrome, edge = ctx.policy.for_browser("chrome"), ctx.policy.for_browser("edge")
    assert files == {
        "linux/etc/opt/chrome/policies/managed/fleet-p1.json": chrome.linux_json(),
        "linux/etc/chromium/policies/managed/fleet-p1.json": chrome.linux_json(),
        "linux/etc/opt/edge/policies/managed/fleet-p1.json": edge.linux_json(),
    }
    only_chrome = {a.path for a in render_linux(context("tok", browsers=("chrome",)))}
    assert not any("edge" in p for p in only_chrome) and len(only_chrome) == 2


# -- Intune ---------------------------------------------------------------------------------------

def _data_value(data: str) -> str:
    root = ET.fromstring(f"<r>{data}</r>")
    assert root[0].tag == "enabled" and root[1].tag == "data" and root[1].get("id") == "value"
    return root[1].get("value")


def test_intune_rows_match_admx_and_model() -> None:
    ctx = context("tok\"<&>'", ExportOptions(forcelist_slot=55))
    arts = {a.path: a for a in render_intune(ctx) if not a.remove}
    assert set(arts) == {"intune/fleet_p1.admx", "intune/oma-uri.json", "intune/oma-uri.csv", "intune/README.md"}
    assert not arts["intune/fleet_p1.admx"].contains_token and arts["intune/oma-uri.json"].contains_token
    rows = json.loads(arts["intune/oma-uri.json"].data)
    csv_rows = list(csv.DictReader(io.StringIO(arts["intune/oma-uri.csv"].data.decode("utf-8-sig"))))
    assert [{k: r[k] for k in ("name", "omaUri", "dataType", "value")} for r in rows] == \
           [{k: r[k] for k in ("name", "omaUri", "dataType", "value")} for r in csv_rows]

    install, *settings_, edge_row = rows
    assert install["omaUri"] == "./Device/Vendor/MSFT/Policy/ConfigOperations/ADMXInstall/fleet_p1/Policy/fleet_p1Admx"
    assert install["value"] == arts["intune/fleet_p1.admx"].data.decode()
    ns = {"a": "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"}
    admx = ET.fromstring(arts["intune/fleet_p1.admx"].data)
    parents = {c.get("name"): (c.find("a:parentCategory", ns).get("ref") if c.find("a:parentCategory", ns) is not None
                               else None) for c in admx.iterfind("a:categories/a:category", ns)}
    policies = {p.get("name"): p for p in admx.iterfind("a:policies/a:policy", ns)}
    got = []
    for row in settings_:
        m = re.fullmatch(r"\./Device/Vendor/MSFT/Policy/Config/fleet_p1~Policy~(.+)/(\w+)", row["omaUri"])
        assert m, row["omaUri"]
        pol = policies[m.group(2)]
        category = pol.find("a:parentCategory", ns).get("ref")
        chain = [category]
        while parents[chain[0]]:
            chain.insert(0, parents[chain[0]])
        assert m.group(1) == "~".join(chain)
        (element,) = list(pol.find("a:elements", ns))
        value = _data_value(row["value"])
        got.append((pol.get("key"), element.get("valueName"),
                    int(value) if element.tag.endswith("decimal") else value))
    chrome = ctx.policy.for_browser("chrome")
    assert got == [(v.key, v.name, v.data) for v in ctx.registry_values() if v.key.startswith(chrome.root_key)]
    assert ("55" in {name for _, name, _ in got})
    # no ADMX <list>: it would make the client wipe other software's forcelist entries
    assert admx.find(".//a:list", ns) is None
    # ingested ADMX may not write under Software\Policies\Microsoft: the custom ADMX is Chrome's only
    keys = [p.get("key") for p in policies.values()]
    assert keys and not any(k.lower().startswith("software\\policies\\microsoft") for k in keys), keys
    # Edge's forcelist: Edge's own ADMX-backed policy (built into Intune), a list item "55" -> our entry
    assert edge_row["omaUri"] == ("./Device/Vendor/MSFT/Policy/Config/microsoft_edge~Policy~microsoft_edge~"
                                  "Extensions/ExtensionInstallForcelist")
    root = ET.fromstring(f"<r>{edge_row['value']}</r>")
    assert [c.tag for c in root] == ["enabled", "data"]
    assert root[1].get("id") == "ExtensionInstallForcelistDesc"
    assert root[1].get("value").split("\uf000") == ["55", ctx.policy.for_browser("edge").forcelist_entry]
    assert not edge_row["containsToken"]


@settings(max_examples=100, deadline=None)
@given(token=tokens)
def test_intune_token_round_trips_through_the_xml_data(token: str) -> None:
    try:
        arts = {a.path: a for a in render_intune(context(token))}
    except FleetError as exc:
        assert any(c in token for c in "\0\r\n") or XML_INVALID.search(token) or _surrogate(token), exc
        assert token not in str(exc)
        return
    rows = json.loads(arts["intune/oma-uri.json"].data)
    tokens_ = [_data_value(r["value"]) for r in rows if r["containsToken"]]
    assert tokens_ == [token]  # Chrome's ADMX row; Edge's settings go through the platform script


def test_intune_platform_script_only_when_embedding() -> None:
    without = {a.path: a for a in render_intune(context("tok"))}
    assert without["intune/fleet-intune-p1.ps1"].remove  # a stale embedded copy gets deleted
    arts = {a.path: a for a in render_intune(context("tok", ExportOptions(embed_token=True)))}
    assert arts["intune/fleet-intune-p1.ps1"].contains_token
    assert b"'tok'" in arts["intune/fleet-intune-p1.ps1"].data


# -- .reg -----------------------------------------------------------------------------------------

REG_SZ_LINE = re.compile(r'^"((?:[^"\\]|\\.)*)"="((?:[^"\\]|\\.)*)"$')


def _reg_unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def reg_strings(data: bytes) -> dict[tuple[str, str], str]:
    """An independent reading of the REG_SZ lines of a REGEDIT5 file: (section, name) -> text."""
    assert data.startswith(codecs.BOM_UTF16_LE)
    text = data[2:].decode("utf-16-le")
    lines = text.split("\r\n")
    assert lines[0] == "Windows Registry Editor Version 5.00"
    out, section = {}, None
    for line in lines[1:]:
        if line.startswith("["):
            section = line[1:-1]
        elif (m := REG_SZ_LINE.match(line)):
            out[(section, _reg_unquote(m.group(1)))] = _reg_unquote(m.group(2))
    return out


@settings(max_examples=150, deadline=None)
@given(token=tokens)
def test_reg_token_round_trips_or_is_refused(token: str) -> None:
    try:
        (art,) = render_reg_file(context(token))
    except FleetError as exc:
        assert any(c in token for c in "\0\r\n") or _surrogate(token), exc
        assert token not in str(exc)
        return
    strings = reg_strings(art.data)
    ctx = context(token)
    for ext in ctx.policy.extensions:
        assert strings[("HKEY_LOCAL_MACHINE\\" + ext.managed_key, "token")] == token


@settings(max_examples=60, deadline=None)
@given(name=st.text(alphabet=st.sampled_from(NASTY + "ab\n"), min_size=1, max_size=12))
def test_reg_value_names_round_trip_or_are_refused(name: str) -> None:
    if name in ("url", "org", "online_booking", "interval"):
        return
    try:
        (art,) = render_reg_file(context("tok", token_field=name))
    except FleetError as exc:
        assert "\n" in name and "line break" in str(exc)
        return
    strings = reg_strings(art.data)
    assert sum(1 for (_, n) in strings if n == name) == 2


@pytest.mark.parametrize("token", ["a\nb", "x\ry"])
def test_reg_refuses_line_breaks_clearly(token: str) -> None:
    with pytest.raises(FleetError) as info:
        render_reg_file(context(token))
    assert token not in str(info.value)


def test_intune_edge_only_practice_has_no_custom_admx_and_says_what_it_misses() -> None:
    ctx = context("tok", browsers=("edge",))
    arts = {a.path: a for a in render_intune(ctx)}
    assert arts["intune/fleet_p1.admx"].remove  # nothing to ingest; an older one is deleted
    rows = json.loads(arts["intune/oma-uri.json"].data)
    assert [r["omaUri"].rsplit("/", 1)[-1] for r in rows] == ["ExtensionInstallForcelist"]
    assert not arts["intune/oma-uri.json"].contains_token
    assert any("--embed-token" in n for n in ctx.notes), ctx.notes
    readme = arts["intune/README.md"].data.decode()
    assert "microsoft_edge~Policy~microsoft_edge~Extensions" in readme and "--embed-token" in readme


def test_mobileconfig_and_linux_drop_earlier_ids_by_replacing_the_whole_profile_or_file() -> None:
    """Issue #11, earlier IDs: the profile and the Linux file carry no earlier ID, and they keep the
    identifier / path of the export made before the ID changed, so installing them replaces the old
    profile or file whole (which is how their earlier IDs' entries and settings go)."""
    from helpers_export import previous_id

    before, after = context("tok"), context("tok", previous=2)
    old_ids = [previous_id("v3", n).encode() for n in (1, 2)]
    for render in (render_mobileconfig, render_linux):
        arts_before, arts_after = render(before), render(after)
        assert [a.path for a in arts_after] == [a.path for a in arts_before]
        assert not any(i in a.data for a in arts_after for i in old_ids)
    prof_before = plistlib.loads(render_mobileconfig(before)[0].data)
    prof_after = plistlib.loads(render_mobileconfig(after)[0].data)
    for key in ("PayloadIdentifier", "PayloadUUID"):
        assert prof_after[key] == prof_before[key]
    assert [p["PayloadIdentifier"] for p in prof_after["PayloadContent"]] == [
        p["PayloadIdentifier"] for p in prof_before["PayloadContent"]]


def test_intune_removes_earlier_chrome_ids_settings_through_disabled_policies() -> None:
    """Issue #11, earlier IDs in Intune: the custom ADMX has one policy per earlier Chrome ID whose
    disabledList deletes each of that ID's settings, and its OMA-URI row sets it to disabled; Edge's
    earlier IDs stay the platform script's (nothing under Software\\Policies\\Microsoft)."""
    from helpers_export import previous_id

    ctx = context("tok", previous=2)
    arts = {a.path: a for a in render_intune(ctx) if not a.remove}
    ns = {"a": "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"}
    admx = ET.fromstring(arts["intune/fleet_p1.admx"].data)
    rows = {r["omaUri"].rsplit("/", 1)[1]: r for r in json.loads(arts["intune/oma-uri.json"].data)}
    chrome = ctx.policy.for_browser("chrome")
    for n in (1, 2):
        old = previous_id("v3", n)
        (pol,) = [p for p in admx.iterfind("a:policies/a:policy", ns) if p.get("name") == f"chrome_previous{n}"]
        key = f"SOFTWARE\\Policies\\Google\\Chrome\\3rdparty\\extensions\\{old}\\policy"
        assert pol.get("key") == key and pol.find("a:elements", ns) is None
        items = pol.findall("a:disabledList/a:item", ns)
        assert [(i.get("key"), i.get("valueName")) for i in items] == [(key, name) for name in chrome.managed]
        assert all([c.tag for c in i.find("a:value", ns)] == [f"{{{ns['a']}}}delete"] for i in items)
        row = rows[f"chrome_previous{n}"]
        assert row["value"] == "<disabled/>" and not row["containsToken"]
        assert row["omaUri"] == ("./Device/Vendor/MSFT/Policy/Config/fleet_p1~Policy~fleet~fleet_chrome/"
                                 f"chrome_previous{n}")
    keys = [p.get("key") for p in admx.iterfind("a:policies/a:policy", ns)]
    keys += [i.get("key") for i in admx.iterfind(".//a:item", ns)]
    assert not any(k.lower().startswith("software\\policies\\microsoft") for k in keys), keys
    assert not any(previous_id("v3", n) in r["value"] for r in rows.values() for n in (1, 2)
                   if not r["omaUri"].endswith("Admx"))
    assert "`chrome_previousN` row sets a policy of the\nADMX to disabled" in arts["intune/README.md"].data.decode()
    # no earlier IDs, no such policies or rows
    plain = {a.path: a for a in render_intune(context("tok")) if not a.remove}
    assert b"previous" not in plain["intune/fleet_p1.admx"].data
    assert b"<disabled/>" not in plain["intune/oma-uri.json"].data
