"""The practice-system catalog against the vendor facts in FIELD-NOTES, version rules, load errors."""

from __future__ import annotations

import textwrap

import pytest

from fleet.catalog import Hosting, InstallMethod, default_catalog, load_catalog, parse_version
from fleet.errors import CatalogError

CLOUD, ON_PREM = Hosting.CLOUD, Hosting.ON_PREM
EXT, SELF, ENG = InstallMethod.CHROME_EXTENSION, InstallMethod.SELF_INSTALL, InstallMethod.ENGINEER_INSTALL

# From FIELD-NOTES "The practice systems": id -> (hosting, install method, extension variant, min version).
# ModMed's variant is not in the installation guide (None here: checked separately below).
FIELD_NOTES = {
    "athenahealth": (CLOUD, EXT, "v6", None),
    "curve_hero": (CLOUD, EXT, "v2", None),
    "cloud9": (CLOUD, EXT, "v7", None),
    "denticon": (CLOUD, EXT, "v1", None),
    "dentrix_ascend": (CLOUD, EXT, "v3", None),
    "eclinicalworks": (CLOUD, EXT, "v4", "11.53"),
    "modmed": (CLOUD, EXT, None, None),
    "dentrix": (ON_PREM, SELF, None, "G6.2"),
    "eaglesoft": (ON_PREM, SELF, None, "18"),
    "open_dental": (ON_PREM, SELF, None, "17"),
    "dentrix_enterprise": (ON_PREM, ENG, None, None),
    "dolphin": (ON_PREM, ENG, None, None),
    "practiceworks": (ON_PREM, ENG, None, None),
    "orthotrac": (ON_PREM, ENG, None, None),
}


def test_the_catalog_has_exactly_the_fourteen_systems() -> None:
    assert sorted(default_catalog().ids()) == sorted(FIELD_NOTES)
    assert len(default_catalog()) == 14


@pytest.mark.parametrize("system_id", sorted(FIELD_NOTES))
def test_system_matches_field_notes(system_id: str) -> None:
    hosting, method, variant, min_version = FIELD_NOTES[system_id]
    s = default_catalog().get(system_id)
    assert s.id == system_id
    assert s.hosting is hosting
    assert s.hostings == (hosting,), "the Synchronizer supports each system only where it normally runs"
    assert s.install_method is method
    assert s.min_version == min_version
    assert s.versions_label == (f"{min_version}+" if min_version else "all")
    assert s.needs_server is (hosting is ON_PREM)
    # The guide names no variant for ModMed: the catalog must not invent one (fleet.yml says it).
    assert s.extension_variant == variant
    # The default resolution (no per-practice vars) is the catalog's install method.
    assert s.resolve({}) == (method, "")


def test_every_cloud_system_the_guide_names_a_variant_for_has_its_own() -> None:
    variants = [s.extension_variant for s in default_catalog() if s.install_method is EXT and s.extension_variant]
    assert len(variants) == 6
    assert len(set(variants)) == 6, f"two systems share a variant: {variants}"


@pytest.mark.parametrize("spelling", ["on-prem", "onprem", "on_prem", "server", "ON-PREM", " On_Prem "])
def test_on_prem_spellings_are_read_as_on_prem(spelling: str) -> None:
    cat = default_catalog()
    assert cat.get("dentrix").resolve({"fleet_pms_hosting": spelling}) == (SELF, "")
    method, reason = cat.get("eclinicalworks").resolve({"fleet_pms_hosting": spelling})
    assert method is InstallMethod.UNSUPPORTED
    assert reason == "on-premises eClinicalWorks is not supported by the Synchronizer"


def test_an_unknown_hosting_is_refused_with_the_accepted_list() -> None:
    method, reason = default_catalog().get("dentrix").resolve({"fleet_pms_hosting": "hosted"})
    assert method is InstallMethod.UNSUPPORTED
    assert reason == "fleet_pms_hosting is 'hosted'; accepted: cloud, on_prem, on-prem, onprem, server"


def test_cloud9_appointment_classes_are_worded_as_unavailable_time() -> None:
    fact = next(f for f in default_catalog().get("cloud9").facts if f.var == "fleet_unavailable_appointment_classes")
    assert "unavailable time" in fact.label and "break" in fact.label
    assert "online booking" not in fact.label


@pytest.mark.parametrize(
    ("system_id", "facts"),
    [
        ("curve_hero", {"fleet_pms_url"}),
        ("dentrix_ascend", {"fleet_pms_url", "fleet_pms_org_alias"}),
        ("eclinicalworks", {"fleet_pms_url"}),
        ("cloud9", {"fleet_unavailable_appointment_classes", "fleet_default_appointment_type"}),
        ("modmed", {"fleet_clinical_account", "fleet_management_account", "fleet_default_appointment_type"}),
    ],
)
def test_onboarding_facts_from_field_notes(system_id: str, facts: set[str]) -> None:
    s = default_catalog().get(system_id)
    assert facts <= {f.var for f in s.facts}


# -- versions ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "parsed"),
    [("G6.2", (6, 2)), ("v17", (17,)), ("17", (17,)), ("11.53", (11, 53)), ("11.53.2", (11, 53, 2)),
     ("6.2.0", (6, 2)), (" 21.20 ", (21, 20)), ("G7", (7,)), ("10.0", (10,))],
)
def test_parse_version(text: str, parsed: tuple[int, ...]) -> None:
    assert parse_version(text) == parsed


@pytest.mark.parametrize("text", ["", "latest", "6.x", "G", "1..2", "11.53-beta", "vNext", "6,2"])
def test_unparsable_versions_raise(text: str) -> None:
    with pytest.raises(ValueError, match="not a version"):
        parse_version(text)


@pytest.mark.parametrize(
    ("older", "newer"),
    [("G5", "G6.2"), ("16", "17"), ("11.52", "11.53"), ("11.53", "11.100"), ("G6.1", "G6.2"), ("9", "10"),
     ("17.9", "18")],
)
def test_versions_compare_numerically(older: str, newer: str) -> None:
    assert parse_version(older) < parse_version(newer)


def test_trailing_zeros_compare_equal() -> None:
    assert parse_version("6.2") == parse_version("6.2.0") == parse_version("G6.2.0.0")


@pytest.mark.parametrize(
    ("system_id", "version", "ok"),
    [
        ("dentrix", "G5", False), ("dentrix", "G6.1", False), ("dentrix", "G6.2", True), ("dentrix", "6.2.0", True),
        ("dentrix", "G7.1", True),
        ("eaglesoft", "17", False), ("eaglesoft", "17.99", False), ("eaglesoft", "18", True),
        ("eaglesoft", "21.20", True),
        ("open_dental", "16", False), ("open_dental", "16.4", False), ("open_dental", "17", True),
        ("open_dental", "23.1", True),
        ("eclinicalworks", "11.52", False), ("eclinicalworks", "11.53", True), ("eclinicalworks", "11.100", True),
        ("eclinicalworks", "12", True),
        ("dolphin", "1.0", True), ("athenahealth", "anything", True),  # no minimum: every version
    ],
)
def test_version_supported(system_id: str, version: str, ok: bool) -> None:
    assert default_catalog().get(system_id).version_supported(version) is ok


def test_version_supported_raises_on_garbage_when_a_minimum_exists() -> None:
    with pytest.raises(ValueError):
        default_catalog().get("open_dental").version_supported("latest")


# -- rules ------------------------------------------------------------------------------------------

def test_open_dental_middle_tier_needs_the_vendor_engineer() -> None:
    od = default_catalog().get("open_dental")
    method, reason = od.resolve({"fleet_pms_middle_tier": True})
    assert method is ENG and "middle-tier" in reason
    assert od.resolve({"fleet_pms_middle_tier": False}) == (SELF, "")
    assert od.resolve({"fleet_multi_clinic": True}) == (SELF, "")


def test_on_prem_eclinicalworks_is_unsupported() -> None:
    ecw = default_catalog().get("eclinicalworks")
    method, reason = ecw.resolve({"fleet_pms_hosting": "on_prem"})
    assert method is InstallMethod.UNSUPPORTED
    assert "on-premises eClinicalWorks" in reason
    assert ecw.resolve({"fleet_pms_hosting": "cloud"}) == (EXT, "")


@pytest.mark.parametrize("system_id", ["dolphin", "practiceworks", "orthotrac", "dentrix"])
def test_on_prem_only_systems_refuse_cloud_hosting(system_id: str) -> None:
    method, _ = default_catalog().get(system_id).resolve({"fleet_pms_hosting": "cloud"})
    assert method is InstallMethod.UNSUPPORTED


def test_unknown_id_suggests_the_close_one() -> None:
    with pytest.raises(CatalogError) as exc:
        default_catalog().get("dentrix ascend")
    assert "unknown practice system 'dentrix ascend'" in str(exc.value)
    assert "dentrix_ascend" in str(exc.value)


# -- load errors ------------------------------------------------------------------------------------

GOOD_ENTRY = """\
  - id: sys_a
    name: System A
    hosting: cloud
    install_method: chrome_extension
    extension_variant: v1
"""


def _catalog(*entries: str) -> str:
    return "systems:\n" + "".join(entries)


def test_a_minimal_catalog_loads() -> None:
    cat = load_catalog(_catalog(GOOD_ENTRY))
    assert cat.ids() == ["sys_a"]
    assert cat.get("sys_a").hostings == (CLOUD,)  # defaults to the one hosting


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("systems: [\n  - id: x\n", "not valid YAML"),
        ("systems:\n  - id: a\n   name: b\n", "not valid YAML"),
        ("- just a list\n", "mapping with a 'systems' list"),
        ("systems: {id: x}\n", "mapping with a 'systems' list"),
        ("", "mapping with a 'systems' list"),
        (_catalog(GOOD_ENTRY.replace("    hosting: cloud\n", "")), "'sys_a' is malformed"),
        (_catalog(GOOD_ENTRY.replace("    name: System A\n", "")), "'sys_a' is malformed"),
        (_catalog(GOOD_ENTRY.replace("    install_method: chrome_extension\n", "")), "'sys_a' is malformed"),
        (_catalog(GOOD_ENTRY.replace("hosting: cloud", "hosting: moon")), "'moon' is not one of cloud, on_prem"),
        (_catalog(GOOD_ENTRY.replace("chrome_extension", "magic")), "'magic' is not one of"),
        (_catalog(GOOD_ENTRY.replace("    extension_variant: v1\n", "")), "need an extension_variant"),
        (_catalog(GOOD_ENTRY + "    min_version: latest\n"), "'sys_a' is malformed"),
        (_catalog(GOOD_ENTRY + "    facts:\n      - label: no var\n"), "'sys_a' is malformed"),
        (_catalog(GOOD_ENTRY + "    facts:\n      - var: x\n        required: sometimes\n"), "'sometimes'"),
        (_catalog(GOOD_ENTRY + "    rules:\n      - when: {a: 1}\n        install_method: self_install\n"),
         "'sys_a' is malformed"),
        (_catalog(GOOD_ENTRY, GOOD_ENTRY), "sys_a more than once"),
        (_catalog(GOOD_ENTRY, GOOD_ENTRY.replace("sys_a", "sys_b"), GOOD_ENTRY.replace("System A", "Again")),
         "sys_a more than once"),
    ],
    ids=["unclosed-flow", "bad-indent", "list-top", "systems-not-list", "empty", "no-hosting", "no-name",
         "no-install-method", "bad-hosting", "bad-method", "ext-without-variant", "bad-min-version",
         "fact-without-var", "bad-required", "rule-without-reason", "duplicate-id", "duplicate-id-later"],
)
def test_catalog_load_errors_are_catalog_errors(text: str, message: str) -> None:
    with pytest.raises(CatalogError) as exc:
        load_catalog(text)
    assert message in str(exc.value)


def test_the_packaged_catalog_yaml_round_trips_through_load_catalog() -> None:
    from importlib import resources

    text = resources.files("fleet").joinpath("data/catalog.yaml").read_text(encoding="utf-8")
    assert load_catalog(text) == default_catalog()
    # And a copy with one system duplicated is refused, naming it.
    first = textwrap.dedent(text.split("systems:\n", 1)[1].split("\n\n", 1)[0])
    with pytest.raises(CatalogError, match="athenahealth more than once"):
        load_catalog(text + "\n" + textwrap.indent(first, "  ") + "\n")


@pytest.mark.parametrize(
    ("written", "meant"),
    [("Dentrix Ascend", "dentrix_ascend"), ("opendental", "open_dental"), ("Open Dental", "open_dental"),
     ("eaglsoft", "eaglesoft"), ("athena", "athenahealth"), ("Dentrix G7", "dentrix"), ("CurveHero", "curve_hero"),
     ("Practice Works", "practiceworks")],
)
def test_did_you_mean(written: str, meant: str) -> None:
    assert default_catalog().suggest(written)[0] == meant
    with pytest.raises(CatalogError, match=f"did you mean {meant}"):
        default_catalog().get(written)


def test_no_suggestion_for_something_unrelated() -> None:
    assert default_catalog().suggest("quickbooks") == []
    with pytest.raises(CatalogError, match="fleet catalog list"):
        default_catalog().get("quickbooks")
