"""The RMM script: one self-contained PowerShell script per practice (install / remove / verify).

The forcelist slot is picked on the machine at run time (an entry already holding our extension,
else the lowest free number), so ``--forcelist-slot`` does not apply here. The script also finds
out on the machine what the export cannot know: how it is joined (Edge on a workgroup takes the
Edge Add-ons build), which browsers are installed, and whether a Group Policy took our values
away again at the refresh. Exit codes: see :data:`EXIT_CODES` (also in the script's help and
src/fleet/export/README.md).
"""

from __future__ import annotations

from typing import Any

from fleet.desired.platforms import DOMAIN, ENTRA, MANAGED, WORKGROUP
from fleet.desired.policy import REG_DWORD, ExtensionPolicy
from fleet.export.base import Artifact, PracticeContext, value_kind
from fleet.export.powershell import dword_as_int32
from fleet.export.templating import render

EXIT_CODES = {
    0: "success (applied, removed, verified, or nothing to do)",
    10: "no token (install needs -Token, $env:FLEET_TOKEN or an embedded token)",
    11: "not running as administrator or SYSTEM",
    12: "registry write failed",
    13: "verify failed: settings missing or different, or an earlier extension ID still configured",
    14: "token is not this practice's (fingerprint mismatch)",
    15: "unknown -Mode or -Join",
    16: "not Windows",
    17: "a Group Policy (or MDM policy) removed our values at the policy refresh: it owns the key",
    18: "a browser cannot run the extension here: none of the practice's browsers is installed, or "
        "Edge on a workgroup machine and no Edge Add-ons build",
    19: "unexpected error",
}

BOM = b"\xef\xbb\xbf"
#: Executable names the script looks for under App Paths to tell whether a browser is installed.
BROWSER_EXE = {"chrome": "chrome.exe", "edge": "msedge.exe"}
#: Join states the script may be told (-Join / $env:FLEET_JOIN) or detect; ``managed`` = MDM/GPO reach.
SCRIPT_JOINS = (DOMAIN, ENTRA, WORKGROUP, MANAGED)


def script_name(practice_id: str) -> str:
    return f"fleet-rmm-{practice_id}.ps1"


def _settings(ext: ExtensionPolicy) -> list[dict[str, Any]]:
    out = []
    for v in ext.managed_values():
        out.append({
            "name": v.name,
            "kind": value_kind(v),
            "secret": v.secret,
            "data": dword_as_int32(int(v.data)) if v.type == REG_DWORD else str(v.data),
        })
    return out


def _extensions(ctx: PracticeContext, join: str | None, browsers: tuple[str, ...] | None) -> list[dict[str, Any]]:
    """Per browser: the build for joined machines, the build for workgroup machines (None: Edge has
    no Edge Add-ons build), every ID of the variant ever used there (removed when not the one in use)."""
    joined = ctx.policy_for(MANAGED if join in (None, DOMAIN, ENTRA, MANAGED) else join)
    workgroup = ctx.policy_for(WORKGROUP if join is None else join)
    out = []
    for ext in joined.extensions:
        if browsers is not None and ext.browser not in browsers:
            continue
        wg = workgroup.for_browser(ext.browser)
        ids = list(dict.fromkeys([ext.extension_id, *ext.stale_ids, *((wg.extension_id, *wg.stale_ids) if wg else ())]))
        out.append({
            "browser": ext.browser,
            "root_key": ext.root_key,
            "forcelist_key": ext.forcelist_key,
            "exe": BROWSER_EXE[ext.browser],
            "joined": {"id": ext.extension_id, "entry": ext.forcelist_entry},
            "workgroup": {"id": wg.extension_id, "entry": wg.forcelist_entry} if wg else None,
            "all_ids": ids,
            "settings": _settings(ext),
        })
    return out


def render_script(ctx: PracticeContext, embed_token: bool, *, join: str | None = None,
                  browsers: tuple[str, ...] | None = None, forcelist: bool = True) -> str:
    """The script text (LF line ends). ``embed_token`` puts the token in it as a literal.

    ``join`` fixes the join state (the Intune platform script: ``managed``); None: the script detects
    it on the machine (``-Join`` / ``$env:FLEET_JOIN`` override). ``browsers`` limits the browsers,
    ``forcelist=False`` leaves the forcelist to another policy (Intune's built-in Edge policy).
    """
    extensions = _extensions(ctx, join, browsers)
    return render(
        "ps", "rmm/fleet-rmm.ps1.j2",
        ctx=ctx,
        browsers="/".join(e["browser"] for e in extensions),
        fingerprint=ctx.policy.token_fingerprint,
        embedded_token=ctx.token if embed_token else "",
        extensions=extensions,
        fixed_join=join or "",
        manage_forcelist=forcelist,
        joins=SCRIPT_JOINS,
    )


def encode_script(text: str) -> bytes:
    """UTF-8 with a BOM (Windows PowerShell 5.1 reads BOM-less files in the ANSI code page, which
    would mangle a non-ASCII token) and CRLF line ends."""
    return BOM + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def render_rmm(ctx: PracticeContext) -> list[Artifact]:
    embed = ctx.options.embed_token
    for reason in ctx.policy_for(WORKGROUP).uncovered:
        ctx.note(f"rmm: on workgroup machines the script leaves Edge out and exits 18: {reason}")
    return [Artifact(script_name(ctx.practice_id), encode_script(render_script(ctx, embed)), "rmm", embed)]
