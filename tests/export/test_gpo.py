"""GPO exports: the Registry.pol files read back by Samba's independent NDR parser, the GPMC backup
XML, create-gpo.ps1 and the .reg file, all against the policy model's registry values."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from helpers_export import context, samba_unpack

from fleet.desired.policy import REG_DWORD, REG_SZ
from fleet.export.base import DEFAULT_FORCELIST_SLOT, ExportOptions
from fleet.export.regpol import decode
from fleet.export.windows import REGISTRY_CSE, REGISTRY_TOOL, render_gpo, render_lgpo, render_reg_file

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
    ctx = context("tok")
    for art in render_lgpo(ctx) + [a for a in render_gpo(ctx) if a.path.endswith(".pol")]:
        names = [e.value for e in decode(art.data)]
        assert not any(n.startswith("**") for n in names), names


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

    backup = ET.fromstring(arts[f"{base}/Backup.xml"].data.decode("utf-8-sig"))
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

    info = ET.fromstring(arts[f"{base}/bkupInfo.xml"].data.decode("utf-8-sig"))
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
    root = ET.fromstring(arts[report_path].data.decode("utf-8-sig"))
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
