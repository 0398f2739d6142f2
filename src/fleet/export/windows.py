"""Windows registry formats: Registry.pol for LGPO, the .reg file, and the GPO (GPMC backup +
New-GPO script). All three carry exactly ``PracticeContext.registry_values()``.

None of them writes ``**delvals.``: Chrome's own ADMX does for list policies, which wipes the
ExtensionInstallForcelist entries other software put there. fleet sets one named value instead.
"""

from __future__ import annotations

from fleet.desired.policy import REG_DWORD, REG_SZ, RegistryValue
from fleet.export.base import Artifact, ExportError, PracticeContext, value_kind
from fleet.export.powershell import dword_as_int32
from fleet.export.regfile import RegFileError, encode_reg_file, render_reg
from fleet.export.regpol import PolEntry, RegPolError, encode
from fleet.export.templating import render

# Registry client-side extension and the GPMC tool extension that edits it (machine side).
REGISTRY_CSE = "{35378EAC-683F-11D2-A89A-00C04FBBCFA2}"
REGISTRY_TOOL = "{D02B1F72-3407-48AE-BA88-E8213C6761F1}"


def pol_entries(values: list[RegistryValue]) -> list[PolEntry]:
    """The model's registry values as Registry.pol entries (REG_SZ / REG_DWORD only)."""
    out = []
    for v in values:
        try:
            if v.type == REG_SZ:
                out.append(PolEntry.sz(v.key, v.name, str(v.data)))
            elif v.type == REG_DWORD:
                out.append(PolEntry.dword(v.key, v.name, int(v.data)))
            else:
                raise ExportError(f"{v.key}\\{v.name}: registry type {v.type} is not supported by Chrome policy")
        except RegPolError:
            # The codec's message may quote the data (a token): say what, not the value.
            raise ExportError(f"value {v.name!r} under {v.key} cannot be written to Registry.pol "
                              "(NUL, invalid Unicode or over-long name)") from None
    return out


def _entries(ctx: PracticeContext) -> list[PolEntry]:
    if "entries" not in ctx._cache:
        ctx._cache["entries"] = pol_entries(ctx.registry_values())
    return ctx._cache["entries"]


def registry_pol(ctx: PracticeContext) -> bytes:
    """The practice's Registry.pol bytes (computed once per practice: GPO backup and LGPO share it)."""
    if "pol" not in ctx._cache:
        ctx._cache["pol"] = encode(_entries(ctx))
    return ctx._cache["pol"]


# -- LGPO.exe /m registry.pol -------------------------------------------------------------------

def render_lgpo(ctx: PracticeContext) -> list[Artifact]:
    return [Artifact("registry.pol", registry_pol(ctx), "gpo", True)]


# -- .reg ---------------------------------------------------------------------------------------

def render_reg_file(ctx: PracticeContext) -> list[Artifact]:
    try:
        text = render_reg(_entries(ctx), "REGEDIT5")
        data = encode_reg_file(text, "REGEDIT5")
    except RegFileError as exc:
        secret = ctx.token
        msg = str(exc).replace(secret, "<token>") if secret else str(exc)
        raise ExportError(f".reg: {msg}") from None
    return [Artifact(f"{ctx.practice_id}.reg", data, "reg", True)]


# -- GPO ----------------------------------------------------------------------------------------

def _gpo_values(ctx: PracticeContext) -> list[dict]:
    rows = []
    for v in ctx.registry_values():
        rows.append({
            "key": v.key,
            "hklm_key": "HKLM\\" + v.key,
            "name": v.name,
            "kind": value_kind(v),
            "secret": v.secret,
            "data": v.data if v.type == REG_SZ else dword_as_int32(int(v.data)),
            "number": int(v.data) if v.type == REG_DWORD else None,
        })
    return rows


def render_gpo(ctx: PracticeContext) -> list[Artifact]:
    """GPMC backup folder ``gpo/{BackupId}/`` (for Import-GPO), ``create-gpo.ps1`` (New-GPO,
    Set-GPRegistryValue, New-GPLink) and a README with both command lines."""
    backup_id = "{" + str(ctx.stable_uuid("gpo-backup")).upper() + "}"
    gpo_guid = "{" + str(ctx.stable_uuid("gpo")).upper() + "}"
    values = _gpo_values(ctx)
    common = {
        "ctx": ctx,
        "gpo_name": ctx.gpo_name,
        "backup_id": backup_id,
        "gpo_guid": gpo_guid,
        "values": values,
        "registry_cse": REGISTRY_CSE,
        "registry_tool": REGISTRY_TOOL,
        "slot": ctx.options.forcelist_slot,
    }
    folder = f"gpo/{backup_id}"
    backup_xml = render("xml", "gpo/Backup.xml.j2", **common)
    bkup_info = render("xml", "gpo/bkupInfo.xml.j2", **common)
    report = render("xml", "gpo/gpreport.xml.j2", **common)
    token = ctx.token
    embedded = token if ctx.options.embed_token else ""
    script = render("ps", "gpo/create-gpo.ps1.j2", embedded_token=embedded,
                    fingerprint=ctx.policy.token_fingerprint, **common)
    readme = render("text", "gpo/README.txt.j2", **common)
    bom = b"\xef\xbb\xbf"
    return [
        Artifact(f"{folder}/Backup.xml", bom + backup_xml.encode("utf-8"), "gpo", token in backup_xml),
        Artifact(f"{folder}/bkupInfo.xml", bom + bkup_info.encode("utf-8"), "gpo", token in bkup_info),
        Artifact(f"{folder}/gpreport.xml", bom + report.encode("utf-8"), "gpo", True),
        Artifact(f"{folder}/DomainSysvol/GPO/Machine/registry.pol", registry_pol(ctx), "gpo", True),
        Artifact("create-gpo.ps1", bom + _crlf(script).encode("utf-8"), "gpo", bool(embedded)),
        Artifact("gpo/README.txt", readme.encode("utf-8"), "gpo", False),
    ]


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")
