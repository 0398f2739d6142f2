"""The RMM script: one self-contained PowerShell script per practice (install / remove / verify).

The forcelist slot is picked on the machine at run time (an entry already holding our extension,
else the lowest free number), so ``--forcelist-slot`` does not apply here. Exit codes: see
:data:`EXIT_CODES` (also in the script's help and src/fleet/export/README.md).
"""

from __future__ import annotations

from fleet.desired.policy import REG_DWORD
from fleet.export.base import Artifact, PracticeContext, value_kind
from fleet.export.powershell import dword_as_int32
from fleet.export.templating import render

EXIT_CODES = {
    0: "success (applied, removed, verified, or nothing to do)",
    10: "no token (install needs -Token, $env:FLEET_TOKEN or an embedded token)",
    11: "not running as administrator or SYSTEM",
    12: "registry write failed",
    13: "verify failed: settings missing or different",
    14: "token is not this practice's (fingerprint mismatch)",
    15: "unknown -Mode",
    16: "not Windows",
    19: "unexpected error",
}

BOM = b"\xef\xbb\xbf"


def script_name(practice_id: str) -> str:
    return f"fleet-rmm-{practice_id}.ps1"


def _extensions(ctx: PracticeContext) -> list[dict]:
    out = []
    for ext in ctx.policy.extensions:
        values = []
        for v in ext.managed_values():
            values.append({
                "name": v.name,
                "kind": value_kind(v),
                "secret": v.secret,
                "data": dword_as_int32(int(v.data)) if v.type == REG_DWORD else str(v.data),
            })
        out.append({
            "browser": ext.browser,
            "id": ext.extension_id,
            "entry": ext.forcelist_entry,
            "forcelist_key": ext.forcelist_key,
            "managed_key": ext.managed_key,
            "extension_key": ext.managed_key.rsplit("\\", 1)[0],
            "settings": values,
        })
    return out


def render_script(ctx: PracticeContext, embed_token: bool) -> str:
    """The script text (LF line ends). ``embed_token`` puts the token in it as a literal."""
    return render(
        "ps", "rmm/fleet-rmm.ps1.j2",
        ctx=ctx,
        browsers="/".join(e.browser for e in ctx.policy.extensions),
        fingerprint=ctx.policy.token_fingerprint,
        embedded_token=ctx.token if embed_token else "",
        extensions=_extensions(ctx),
    )


def encode_script(text: str) -> bytes:
    """UTF-8 with a BOM (Windows PowerShell 5.1 reads BOM-less files in the ANSI code page, which
    would mangle a non-ASCII token) and CRLF line ends."""
    return BOM + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def render_rmm(ctx: PracticeContext) -> list[Artifact]:
    embed = ctx.options.embed_token
    return [Artifact(script_name(ctx.practice_id), encode_script(render_script(ctx, embed)), "rmm", embed)]
