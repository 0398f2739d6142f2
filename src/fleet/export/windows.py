"""Windows registry formats: Registry.pol for LGPO, the .reg file, and the GPO (GPMC backup +
New-GPO script). All three carry exactly ``PracticeContext.registry_values(join)`` for the machines
they target: the GPO domain-joined ones (``managed``: Edge takes the Chrome Web Store build), LGPO
and .reg the practice's ``fleet_join`` (a workgroup needs Edge's Add-ons build; without one Edge is
left out and the export says so).

None of them writes ``**delvals.`` on a forcelist key: Chrome's own ADMX does for list policies,
which wipes the ExtensionInstallForcelist entries other software put there. fleet sets one named
value instead. ``**delvals.`` is written only under the ``3rdparty`` key of an earlier ID of the
variant (``previous_ids``): that whole key is ours, and the client then empties it.

The GPMC backup follows what real backups hold: ``MachineVersionNumber`` is the directory version
in the high 16 bits and the SYSVOL version in the low 16 (the versions gpreport.xml states),
Backup.xml and bkupInfo.xml are UTF-8 without a BOM, gpreport.xml is UTF-16LE with a BOM and
``encoding="utf-16"``, and the domain fields are filled when fleet.yml or the options give them.
"""

from __future__ import annotations

from typing import Any

from fleet.desired.platforms import ENTRA, MANAGED, UNKNOWN_JOIN, WORKGROUP
from fleet.desired.policy import REG_DWORD, REG_SZ, PracticePolicy, RegistryValue
from fleet.export.base import Artifact, ExportError, PracticeContext, value_kind
from fleet.export.powershell import dword_as_int32
from fleet.export.regfile import RegFileError, encode_reg_file, render_reg
from fleet.export.regpol import PolEntry, RegPolError, encode
from fleet.export.templating import render

# Registry client-side extension and the GPMC tool extension that edits it (machine side).
REGISTRY_CSE = "{35378EAC-683F-11D2-A89A-00C04FBBCFA2}"
REGISTRY_TOOL = "{D02B1F72-3407-48AE-BA88-E8213C6761F1}"

#: The version a freshly exported GPO states for its computer half, in AD (gPCMachineVersion, the
#: "directory" version) and in SYSVOL (GPT.INI). Import-GPO bumps the target GPO's own versions.
GPO_DIRECTORY_VERSION = 1
GPO_SYSVOL_VERSION = 1


def machine_version_number(directory: int, sysvol: int) -> int:
    """Backup.xml's MachineVersionNumber: the directory version in the high 16 bits, SYSVOL's in the
    low 16 (real backups: 2/2 -> 131074, 35/35 -> 2293795)."""
    if not (0 <= directory <= 0xFFFF and 0 <= sysvol <= 0xFFFF):
        raise ExportError(f"GPO versions {directory}/{sysvol} do not fit 16 bits each")
    return (directory << 16) | sysvol


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


def stale_policy_keys(policy: PracticePolicy) -> list[str]:
    """The ``3rdparty\\extensions\\<id>\\policy`` keys of IDs that must go (earlier IDs, the other
    store's build), per browser, in order."""
    return [f"{key}\\policy" for ext in policy.extensions for key in ext.stale_extension_keys]


def _entries(ctx: PracticeContext, join: str | None) -> list[PolEntry]:
    def entries() -> list[PolEntry]:
        stale = [PolEntry.delete_all_values(k) for k in stale_policy_keys(ctx.policy_for(join))]
        return stale + pol_entries(ctx.registry_values(join))

    return ctx.memo("entries", join, entries)


def registry_pol(ctx: PracticeContext, join: str | None) -> bytes:
    """The practice's Registry.pol bytes for machines of ``join`` (cached per practice and join)."""
    return ctx.memo("pol", join, lambda: encode(_entries(ctx, join)))


def _say_uncovered(ctx: PracticeContext, join: str | None, what: str) -> None:
    policy = ctx.policy_for(join)
    for reason in policy.uncovered:
        ctx.note(f"{what} (fleet_join: {ctx.join}): {reason}")
    edge = policy.for_browser("edge")
    if join == UNKNOWN_JOIN and edge is not None and edge.store == "web_store":
        ctx.note(f"{what} (fleet_join not set): Edge gets the Chrome Web Store build, which Edge installs only "
                 "on machines joined to AD or Entra ID; set fleet_join, or give the variant an Edge Add-ons "
                 "build (edge_addons)")


def _names(hosts: tuple[str, ...], limit: int = 5) -> str:
    more = f" and {len(hosts) - limit} more" if len(hosts) > limit else ""
    return ", ".join(hosts[:limit]) + more


def _edge_build(policy: PracticePolicy) -> str:
    edge = policy.for_browser("edge")
    if edge is None:
        return "no Edge policy (no Edge Add-ons build)"
    return "Edge's Add-ons build" if edge.store == "edge_addons" else "Edge's Chrome Web Store build"


def _say_other_joins(ctx: PracticeContext, what: str) -> None:
    """A practice-wide file is written for one join state (:attr:`PracticeContext.join`); name the
    Windows workstations whose own ``fleet_join`` needs another Edge build than the file gives."""
    if "edge" not in ctx.practice.browsers:
        return
    written = _edge_build(ctx.policy_for(ctx.join))
    for join, hosts in ctx.windows_joins().items():
        if join == ctx.join or join == UNKNOWN_JOIN:
            continue
        needed = _edge_build(ctx.policy_for(join))
        if needed != written:
            ctx.note(f"{what} is written for fleet_join: {ctx.join} ({written}); {_names(hosts)} "
                     f"(fleet_join: {join}) need {needed}: use the RMM script on them (it detects the join "
                     "state), or correct fleet_join")


#: Windows machines a domain GPO never reaches, and what reaches them instead.
_NOT_REACHED_BY_GPO = {
    WORKGROUP: ("not joined to a domain", "registry.pol with LGPO.exe, the .reg or the RMM script"),
    ENTRA: ("joined to Entra ID only", "the Intune export or the RMM script"),
}


def _say_unreached_by_gpo(ctx: PracticeContext) -> None:
    """Name the Windows workstations (or, with none in the inventory, the practice's machines as
    its fleet_join describes them) that a domain GPO cannot reach."""
    groups = {j: _names(hosts) for j, hosts in ctx.windows_joins().items()} or {ctx.join: "the practice's machines"}
    for join, who in groups.items():
        if join in _NOT_REACHED_BY_GPO:
            why, instead = _NOT_REACHED_BY_GPO[join]
            ctx.note(f"GPO: {who} (fleet_join: {join}) {why}: a domain GPO never reaches them; use {instead}")


# -- LGPO.exe /m registry.pol -------------------------------------------------------------------

def render_lgpo(ctx: PracticeContext) -> list[Artifact]:
    """LGPO registry.pol for the practice's machines (fleet_join decides Edge's build)."""
    _say_uncovered(ctx, ctx.join, "registry.pol (LGPO)")
    _say_other_joins(ctx, "registry.pol (LGPO)")
    return [Artifact("registry.pol", registry_pol(ctx, ctx.join), "gpo", True)]


# -- .reg ---------------------------------------------------------------------------------------

def render_reg_file(ctx: PracticeContext) -> list[Artifact]:
    """REGEDIT5 file for the practice's machines (fleet_join decides Edge's build); ``[-KEY]``
    sections delete the 3rdparty keys of earlier IDs."""
    _say_uncovered(ctx, ctx.join, ".reg")
    _say_other_joins(ctx, ".reg")
    policy = ctx.policy_for(ctx.join)
    try:
        entries = [e for e in _entries(ctx, ctx.join) if not e.is_delete_all_values]
        text = render_reg(entries, "REGEDIT5",
                          delete_keys=[k for ext in policy.extensions for k in ext.stale_extension_keys])
        data = encode_reg_file(text, "REGEDIT5")
    except RegFileError as exc:
        secret = ctx.token
        msg = str(exc).replace(secret, "<token>") if secret else str(exc)
        raise ExportError(f".reg: {msg}") from None
    return [Artifact(f"{ctx.practice_id}.reg", data, "reg", True)]


# -- GPO ----------------------------------------------------------------------------------------

def _gpo_values(ctx: PracticeContext) -> list[dict[str, Any]]:
    rows = []
    for v in ctx.registry_values(MANAGED):
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
    _say_uncovered(ctx, MANAGED, "GPO")
    _say_unreached_by_gpo(ctx)
    policy = ctx.policy_for(MANAGED)
    common = {
        "ctx": ctx,
        "gpo_name": ctx.gpo_name,
        "backup_id": backup_id,
        "gpo_guid": gpo_guid,
        "values": values,
        "registry_cse": REGISTRY_CSE,
        "registry_tool": REGISTRY_TOOL,
        "slot": ctx.options.forcelist_slot,
        "directory_version": GPO_DIRECTORY_VERSION,
        "sysvol_version": GPO_SYSVOL_VERSION,
        "machine_version": machine_version_number(GPO_DIRECTORY_VERSION, GPO_SYSVOL_VERSION),
        "domain": ctx.gpo_domain,
        "stale_keys": ["HKLM\\" + k for ext in policy.extensions for k in ext.stale_extension_keys],
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
        # as GPMC writes them: Backup.xml and bkupInfo.xml UTF-8 without a BOM, gpreport.xml UTF-16LE + BOM
        Artifact(f"{folder}/Backup.xml", backup_xml.encode("utf-8"), "gpo", token in backup_xml),
        Artifact(f"{folder}/bkupInfo.xml", bkup_info.encode("utf-8"), "gpo", token in bkup_info),
        Artifact(f"{folder}/gpreport.xml", b"\xff\xfe" + _crlf(report).encode("utf-16-le"), "gpo", True),
        Artifact(f"{folder}/DomainSysvol/GPO/Machine/registry.pol", registry_pol(ctx, MANAGED), "gpo", True),
        Artifact("create-gpo.ps1", bom + _crlf(script).encode("utf-8"), "gpo", bool(embedded)),
        Artifact("gpo/README.txt", readme.encode("utf-8"), "gpo", False),
    ]


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")
