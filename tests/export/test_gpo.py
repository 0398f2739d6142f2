"""GPO exports: the Registry.pol files read back by Samba's independent NDR parser, the GPMC backup
XML, create-gpo.ps1 and the .reg file, all against the policy model's registry values."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers_export import addons_id, context, previous_id, samba_unpack

from fleet.config import GpoDomain, gpo_domain, parse_config
from fleet.desired.policy import REG_DWORD, REG_SZ
from fleet.errors import ConfigError
from fleet.export.base import DEFAULT_FORCELIST_SLOT, ExportOptions
from fleet.export.regpol import decode
from fleet.export.windows import (
    REGISTRY_CSE,
    REGISTRY_TOOL,
    machine_version_number,
    render_gpo,
    render_lgpo,
    render_reg_file,
)

BKP = "{http://www.microsoft.com/GroupPolicy/GPOOperations}"
MFST = "{http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest}"
REG_TYPES = {REG_SZ: 1, REG_DWORD: 4}


def model_rows(ctx) -> list[tuple[str, str, int, object]]:
    return [(v.key, v.name, REG_TYPES[v.type], v.data) for v in ctx.registry_values()]


def samba_rows(pol: bytes) -> list[tuple[str, str, int, object]]:
    return [(e["key"], e["value"], e["type"], e["data"]) for e in samba_unpack(pol)]


@pytest.mark.parametrize("slot", [1, DEFAULT_FORCELIST_SLOT, 2**31 - 1])
def test_lgpo_registry_pol_read_by_samba_equals_the_model(slot: int) -> None:
    ctx = context("tok-€-'\"`$;]%-ǅ-𝄞", ExportOptions(forcelist_slot=slot))
    (art,) = render_lgpo(ctx)
    assert art.path == "registry.pol" and art.contains_token
    rows = samba_rows(art.data)
    assert rows == model_rows(ctx)
    # both browsers, forcelist in the requested slot, the DWORD values as integers
    assert {r[0].split("\\")[2] for r in rows} == {"Google", "Microsoft"}
    assert [r[1] for r in rows if r[0].endswith("ExtensionInstallForcelist")] == [str(slot)] * 2
    assert ("online_booking", 4, 1) in {(r[1], r[2], r[3]) for r in rows}
    assert ("interval", 4, 15) in {(r[1], r[2], r[3]) for r in rows}


def test_no_list_wiping_markers_in_any_pol() -> None:
    ctx = context("tok", previous=2, edge_addons=True)
    for art in render_lgpo(ctx) + [a for a in render_gpo(ctx) if a.path.endswith(".pol")]:
        entries = decode(art.data)
        markers = [e for e in entries if e.value.startswith("**")]
        # only the delvals. of earlier IDs' own 3rdparty keys; never on a forcelist key
        assert markers and all(e.is_delete_all_values for e in markers)
        assert not any("ExtensionInstallForcelist" in e.key for e in markers)
        assert all(e.key.split("\\")[-3] == "extensions" for e in markers), [e.key for e in markers]


def test_gpmc_backup_structure() -> None:
    ctx = context("tok-123", ExportOptions(forcelist_slot=7))
    arts = {a.path: a for a in render_gpo(ctx)}
    folders = {p.split("/")[1] for p in arts if p.startswith("gpo/{")}
    assert len(folders) == 1
    backup_id = folders.pop()
    assert re.fullmatch(r"\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}", backup_id)
    base = f"gpo/{backup_id}"
    for name in ("Backup.xml", "bkupInfo.xml", "gpreport.xml", "DomainSysvol/GPO/Machine/registry.pol"):
        assert f"{base}/{name}" in arts, name

    backup = ET.fromstring(arts[f"{base}/Backup.xml"].data)
    assert backup.tag == f"{BKP}GroupPolicyBackupScheme"
    assert backup.get(f"{BKP}version") == "2.0"
    assert backup.get(f"{BKP}type") == "GroupPolicyBackupTemplate"
    core = backup.find(f"{BKP}GroupPolicyObject/{BKP}GroupPolicyCoreSettings")
    assert core is not None
    assert core.findtext(f"{BKP}DisplayName") == "fleet - p1"
    gpo_id = core.findtext(f"{BKP}ID")
    assert re.fullmatch(r"\{[0-9A-F-]{36}\}", gpo_id or "")
    assert core.findtext(f"{BKP}MachineExtensionGuids") == f"[{REGISTRY_CSE}{REGISTRY_TOOL}]"
    ext = backup.find(f"{BKP}GroupPolicyObject/{BKP}GroupPolicyExtension")
    assert ext is not None and ext.get(f"{BKP}ID") == REGISTRY_CSE
    fso = ext.find(f"{BKP}FSObjectFile")
    assert fso is not None
    assert fso.get(f"{BKP}Path") == r"%GPO_MACH_FSPATH%\registry.pol"
    assert fso.get(f"{BKP}Location") == r"DomainSysvol\GPO\Machine\registry.pol"
    assert fso.get(f"{BKP}Location").replace("\\", "/") in [p[len(base) + 1:] for p in arts if p.startswith(base)]

    info = ET.fromstring(arts[f"{base}/bkupInfo.xml"].data)
    assert info.tag == f"{MFST}BackupInst"
    assert info.findtext(f"{MFST}ID") == backup_id  # Import-GPO -BackupId
    assert info.findtext(f"{MFST}GPOGuid") == gpo_id
    assert info.findtext(f"{MFST}GPODisplayName") == "fleet - p1"

    # the registry.pol inside the backup is exactly the model (Samba reads it)
    assert samba_rows(arts[f"{base}/DomainSysvol/GPO/Machine/registry.pol"].data) == model_rows(ctx)
    # Backup.xml and bkupInfo.xml carry no token; the pol and the report do
    assert not arts[f"{base}/Backup.xml"].contains_token and b"tok-123" not in arts[f"{base}/Backup.xml"].data
    assert arts[f"{base}/gpreport.xml"].contains_token


def test_gpreport_lists_the_model_values() -> None:
    ctx = context("tok<&>\"'")
    arts = {a.path: a for a in render_gpo(ctx)}
    (report_path,) = [p for p in arts if p.endswith("gpreport.xml")]
    root = ET.fromstring(arts[report_path].data)  # expat reads the BOM and encoding="utf-16" itself
    ns = {"g": "http://www.microsoft.com/GroupPolicy/Settings",
          "q1": "http://www.microsoft.com/GroupPolicy/Settings/Registry"}
    got = []
    for s in root.iterfind(".//q1:RegistrySetting", ns):
        value = s.find("q1:Value", ns)
        number = value.findtext("q1:Number", namespaces=ns)
        got.append((s.findtext("q1:KeyPath", namespaces=ns), value.findtext("q1:Name", namespaces=ns),
                    int(number) if number is not None else value.findtext("q1:String", namespaces=ns)))
    assert got == [(v.key, v.name, v.data) for v in ctx.registry_values()]


def test_backup_ids_are_stable_per_practice_and_distinct_between_practices() -> None:
    a1 = {x.path for x in render_gpo(context("t1"))}
    a2 = {x.path for x in render_gpo(context("t2"))}
    b = {x.path for x in render_gpo(context("t1", practice_id="p2"))}
    assert a1 == a2
    assert a1 != b


def test_create_gpo_script_sets_every_value_and_links() -> None:
    ctx = context("tok", ExportOptions(forcelist_slot=42))
    (script,) = [a for a in render_gpo(ctx) if a.path == "create-gpo.ps1"]
    text = script.data.decode("utf-8-sig")
    assert not script.contains_token and "'tok'" not in text
    assert "New-GPO" in text and "New-GPLink" in text and "-Target $Target" in text
    sets = re.findall(r"Set-GPRegistryValue .*? -Key '([^']*)' -ValueName '([^']*)' -Type (\w+)", text)
    assert [(k, n) for k, n, _ in sets] == [("HKLM\\" + v.key, v.name) for v in ctx.registry_values()]
    assert ("HKLM\\" + ctx.policy.extensions[0].forcelist_key, "42") in [(k, n) for k, n, _ in sets]
    assert {t for *_, t in sets} == {"String", "DWord"}


def test_reg_file_carries_the_model() -> None:
    from fleet.export.regfile import decode_reg_file, parse_reg

    ctx = context('t"o\\k;]%$`é', ExportOptions(forcelist_slot=3))
    (art,) = render_reg_file(ctx)
    assert art.data.startswith(b"\xff\xfe")  # UTF-16LE BOM: REGEDIT5
    entries = parse_reg(decode_reg_file(art.data))
    assert [(e.key, e.value, e.decoded()) for e in entries] == [
        (v.key, v.name, v.data) for v in ctx.registry_values()]


# -- GPMC backup as real backups are (issue #11) ------------------------------------------------

GPS = "{http://www.microsoft.com/GroupPolicy/Settings}"


def _backup(ctx) -> dict[str, bytes]:
    arts = {a.path: a.data for a in render_gpo(ctx)}
    (folder,) = {p.split("/")[1] for p in arts if p.startswith("gpo/{")}
    return {p.removeprefix(f"gpo/{folder}/"): d for p, d in arts.items() if p.startswith(f"gpo/{folder}/")}


@pytest.mark.parametrize(("directory", "sysvol", "number"), [(1, 1, 65537), (2, 2, 131074), (35, 35, 2293795),
                                                             (0, 3, 3), (4, 0, 262144)])
def test_machine_version_number_halves(directory: int, sysvol: int, number: int) -> None:
    # the figures of public GPMC backups (FIELD-NOTES): 2/2 -> 131074, 35/35 -> 2293795
    assert machine_version_number(directory, sysvol) == number


def test_backup_versions_agree_with_gpreport_and_encodings_are_gpmc_s() -> None:
    files = _backup(context("tok"))
    backup, info, report = files["Backup.xml"], files["bkupInfo.xml"], files["gpreport.xml"]
    # Backup.xml and bkupInfo.xml: UTF-8 without a BOM; gpreport.xml: UTF-16LE with a BOM, encoding="utf-16"
    assert not backup.startswith(b"\xef\xbb\xbf") and backup.startswith(b"<?xml")
    assert not info.startswith(b"\xef\xbb\xbf") and info.startswith(b"<BackupInst")
    assert report.startswith(b"\xff\xfe") and report[2:].decode("utf-16-le").startswith(
        '<?xml version="1.0" encoding="utf-16"?>')
    core = ET.fromstring(backup).find(f"{BKP}GroupPolicyObject/{BKP}GroupPolicyCoreSettings")
    number = int(core.findtext(f"{BKP}MachineVersionNumber"))
    computer = ET.fromstring(report).find(f"{GPS}Computer")
    directory, sysvol = int(computer.findtext(f"{GPS}VersionDirectory")), int(computer.findtext(f"{GPS}VersionSysvol"))
    assert (number >> 16, number & 0xFFFF) == (directory, sysvol) == (1, 1)
    assert number == 65537  # not the 1 of before: that would claim directory version 0, SYSVOL 1
    assert int(core.findtext(f"{BKP}UserVersionNumber")) == 0


def test_backup_names_the_domain_when_given() -> None:
    domain = GpoDomain("corp.example.com", "{4F7C1E2A-0B3D-4C5E-8F9A-1B2C3D4E5F60}", "dc1.corp.example.com")
    files = _backup(context("tok", gpo_domain=domain))
    info = ET.fromstring(files["bkupInfo.xml"])
    assert (info.findtext(f"{MFST}GPODomain"), info.findtext(f"{MFST}GPODomainGuid"),
            info.findtext(f"{MFST}GPODomainController")) == (domain.name, domain.guid, domain.controller)
    core = ET.fromstring(files["Backup.xml"]).find(f"{BKP}GroupPolicyObject/{BKP}GroupPolicyCoreSettings")
    assert core.findtext(f"{BKP}Domain") == domain.name
    report = ET.fromstring(files["gpreport.xml"])
    assert report.findtext(f"{GPS}Identifier/{{http://www.microsoft.com/GroupPolicy/Types}}Domain") == domain.name
    # and without: empty elements, as before
    info = ET.fromstring(_backup(context("tok"))["bkupInfo.xml"])
    assert info.find(f"{MFST}GPODomain") is not None and not info.findtext(f"{MFST}GPODomain")


def test_gpo_domain_fields_are_validated_and_normalised() -> None:
    assert gpo_domain("corp.example", "4f7c1e2a-0b3d-4c5e-8f9a-1b2c3d4e5f60").guid == \
        "{4F7C1E2A-0B3D-4C5E-8F9A-1B2C3D4E5F60}"
    for bad in ({"name": "corp example"}, {"guid": "not-a-guid"}, {"controller": "dc1;rm"}):
        with pytest.raises(ConfigError):
            gpo_domain(**bad)


def test_fleet_yml_gpo_domain_per_client() -> None:
    from helpers_export import config_dict

    cfg = config_dict()
    cfg["gpo"] = {"domain": "msp.example",
                  "clients": {"c1": {"domain": "c1.example", "domain_controller": "dc.c1.example"}}}
    config = parse_config(cfg, Path("fleet.yml"))
    assert config.gpo_domain_for("c1") == GpoDomain("c1.example", "", "dc.c1.example")
    assert config.gpo_domain_for("c2") == GpoDomain("msp.example", "", "")
    cfg["gpo"] = {"domain_guid": "nope"}
    with pytest.raises(ConfigError, match="not a GUID"):
        parse_config(cfg, Path("fleet.yml"))


# -- earlier IDs and Edge on workgroups ---------------------------------------------------------

def test_earlier_ids_are_removed_by_pol_reg_and_create_gpo() -> None:
    ctx = context("tok", ExportOptions(forcelist_slot=100), previous=2)
    olds = [previous_id("v3", 1), previous_id("v3", 2)]
    want = [f"{root}\\3rdparty\\extensions\\{old}" for root in (r"SOFTWARE\Policies\Google\Chrome",
                                                                 r"SOFTWARE\Policies\Microsoft\Edge") for old in olds]
    for pol in (render_lgpo(ctx)[0].data, _backup(ctx)["DomainSysvol/GPO/Machine/registry.pol"]):
        rows = samba_rows(pol)
        assert [(k, v) for k, v, *_ in rows if v.startswith("**")] == [(w + "\\policy", "**delvals.") for w in want]
        # the current values follow, exactly the model
        assert [r for r in rows if not r[1].startswith("**")] == model_rows(ctx)
    from fleet.export.regfile import decode_reg_file, parse_reg

    deleted: list[str] = []
    parse_reg(decode_reg_file(render_reg_file(ctx)[0].data), deleted=deleted)
    assert deleted == want
    script = next(a for a in render_gpo(ctx) if a.path == "create-gpo.ps1").data
    from test_powershell import assignment, parse

    root = parse(script)
    stale = [n.text.decode().strip("'") for n in _strings(assignment(root, "$StaleKeys"))]
    assert stale == ["HKLM\\" + w for w in want]


def _strings(node):
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.type == "verbatim_string_characters":
            out.append(n)
        stack.extend(reversed(n.children))
    return out


def test_lgpo_and_reg_follow_the_practice_join_state() -> None:
    from fleet.config import EDGE_ADDONS_UPDATE_URL, WEB_STORE_UPDATE_URL

    def edge_entries(ctx):
        rows = samba_rows(render_lgpo(ctx)[0].data)
        return [d for k, v, _, d in rows if k.endswith(r"Edge\ExtensionInstallForcelist")]

    # workgroup without an Edge Add-ons build: Edge is left out, and the export says why
    ctx = context("tok", pvars={"fleet_join": "workgroup"})
    assert edge_entries(ctx) == []
    render_reg_file(ctx)
    assert any("registry.pol" in n and "Edge Add-ons" in n for n in ctx.notes), ctx.notes
    assert any(n.startswith(".reg") for n in ctx.notes)
    # workgroup with one: the Add-ons build and its update URL, and the web-store build's key removed
    ctx = context("tok", pvars={"fleet_join": "workgroup"}, edge_addons=True)
    assert edge_entries(ctx) == [f"{addons_id()};{EDGE_ADDONS_UPDATE_URL}"]
    assert ctx.notes == []
    # domain: the Chrome Web Store build; the GPO always (it only reaches domain machines)
    ctx = context("tok", pvars={"fleet_join": "domain"}, edge_addons=True)
    assert edge_entries(ctx) == [f"{ctx.policy.for_browser('edge').extension_id};{WEB_STORE_UPDATE_URL}"]
    ctx = context("tok", pvars={"fleet_join": "workgroup"})
    gpo_rows = samba_rows(_backup(ctx)["DomainSysvol/GPO/Machine/registry.pol"])
    assert [d for k, v, _, d in gpo_rows if k.endswith(r"Edge\ExtensionInstallForcelist")] == [
        ctx.policy.for_browser("edge").forcelist_entry]


def test_lgpo_for_an_unset_join_state_says_edge_may_not_install() -> None:
    ctx = context("tok")  # fleet_join unset, no Edge Add-ons build: the Web Store build, with a note
    render_lgpo(ctx)
    assert any("fleet_join not set" in n and "joined to AD or Entra ID" in n for n in ctx.notes), ctx.notes
    ctx = context("tok", edge_addons=True)  # the Add-ons build installs everywhere: nothing to say
    render_lgpo(ctx)
    assert ctx.notes == []


def _win_ws(**kw: object) -> dict[str, object]:
    return {"fleet_role": "workstation", "fleet_platform": "windows", **kw}


def test_gpo_names_the_machines_a_domain_gpo_never_reaches() -> None:
    """A GPO reaches domain-joined machines only: a practice's workgroup and Entra-only workstations
    are named with what reaches them instead; domain ones, servers, offboarded hosts, workstations
    without the PMS and other platforms are not."""
    hosts = {"ws-dom": _win_ws(fleet_join="domain"), "ws-wg1": _win_ws(fleet_join="workgroup"),
             "ws-wg2": _win_ws(fleet_join="workgroup"), "ws-entra": _win_ws(fleet_join="entra"),
             "ws-gone": _win_ws(fleet_join="workgroup", fleet_state="absent"),
             "ws-nopms": _win_ws(fleet_join="workgroup", fleet_uses_pms=False),
             "srv": {"fleet_role": "server", "fleet_platform": "windows", "fleet_join": "workgroup"},
             "mac": {"fleet_role": "workstation", "fleet_platform": "macos"}}
    ctx = context("tok", pvars={"fleet_join": "domain"}, edge_addons=True, hosts=hosts)
    render_gpo(ctx)
    gpo = [n for n in ctx.notes if n.startswith("GPO:")]
    assert gpo == [
        "GPO: ws-entra (fleet_join: entra) joined to Entra ID only: a domain GPO never reaches them; use the "
        "Intune export or the RMM script",
        "GPO: ws-wg1, ws-wg2 (fleet_join: workgroup) not joined to a domain: a domain GPO never reaches them; "
        "use registry.pol with LGPO.exe, the .reg or the RMM script"], ctx.notes
    ctx = context("tok", pvars={"fleet_join": "domain"}, hosts={"ws-dom": _win_ws()})
    render_gpo(ctx)
    assert ctx.notes == []
    # no hosts in the inventory (an RMM-managed practice): the practice's fleet_join speaks for them
    ctx = context("tok", pvars={"fleet_join": "workgroup"}, edge_addons=True)
    render_gpo(ctx)
    assert [n for n in ctx.notes if n.startswith("GPO:")] == [
        "GPO: the practice's machines (fleet_join: workgroup) not joined to a domain: a domain GPO never reaches "
        "them; use registry.pol with LGPO.exe, the .reg or the RMM script"]


def test_lgpo_and_reg_name_workstations_whose_join_state_needs_another_edge_build() -> None:
    """LGPO registry.pol and .reg are one file per practice, written for the practice's fleet_join:
    a workstation whose own fleet_join needs another Edge build is named (not silently given the
    wrong one); with no practice-level fleet_join, the one all its workstations state is used."""
    from fleet.config import EDGE_ADDONS_UPDATE_URL

    mixed = {"ws-dom": _win_ws(), "ws-wg": _win_ws(fleet_join="workgroup")}
    ctx = context("tok", pvars={"fleet_join": "domain"}, edge_addons=True, hosts=mixed)
    render_lgpo(ctx)
    render_reg_file(ctx)
    assert ctx.notes == [
        "registry.pol (LGPO) is written for fleet_join: domain (Edge's Chrome Web Store build); ws-wg "
        "(fleet_join: workgroup) need Edge's Add-ons build: use the RMM script on them (it detects the join "
        "state), or correct fleet_join",
        ".reg is written for fleet_join: domain (Edge's Chrome Web Store build); ws-wg (fleet_join: workgroup) "
        "need Edge's Add-ons build: use the RMM script on them (it detects the join state), or correct fleet_join"]
    # Chrome only: Chrome takes the same build everywhere, nothing to say
    ctx = context("tok", browsers=("chrome",), pvars={"fleet_join": "domain"}, hosts=mixed)
    render_lgpo(ctx)
    assert ctx.notes == []
    # no practice-level fleet_join, every workstation says workgroup: the file is for workgroup machines
    ctx = context("tok", edge_addons=True, hosts={"a": _win_ws(fleet_join="workgroup"),
                                                  "b": _win_ws(fleet_join="workgroup")})
    assert ctx.join == "workgroup"
    rows = samba_rows(render_lgpo(ctx)[0].data)
    assert [d for k, _, _, d in rows if k.endswith(r"Edge\ExtensionInstallForcelist")] == [
        f"{addons_id()};{EDGE_ADDONS_UPDATE_URL}"]
    assert ctx.notes == []
    # ... and when they disagree, the file is for an unknown join state and each group is named
    ctx = context("tok", hosts={"a": _win_ws(fleet_join="workgroup"), "b": _win_ws(fleet_join="domain")})
    assert ctx.join == "unknown"
    render_lgpo(ctx)
    assert any(n.startswith("registry.pol (LGPO) is written for fleet_join: unknown (Edge's Chrome Web Store "
                            "build); a (fleet_join: workgroup) need no Edge policy") for n in ctx.notes), ctx.notes
