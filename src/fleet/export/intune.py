"""Intune: Chrome through a custom ADMX (ingested through OMA-URI) with one policy per registry
value; Edge's forcelist through Edge's own ADMX-backed policy (built into Intune, no ingestion) and
Edge's extension settings through the platform script; the OMA-URI rows as CSV and JSON, a README.

Ingested ADMX may not write under ``Software\\Policies\\Microsoft`` (Microsoft's "Win32 and Desktop
Bridge app ADMX policy ingestion"), so the custom ADMX covers Chrome only.

fleet's ADMX sets Chrome's ExtensionInstallForcelist as ONE named text value (the --forcelist-slot),
never as an ADMX ``<list>``: the client deletes every value of a list policy's key before writing the
list, which would remove other software's force-installed extensions. Edge's built-in policy IS a
list: its row must carry every extension Edge should force-install on those machines (the README says so).

Earlier Chrome IDs (fleet.yml ``previous_ids``): one policy each, set to disabled, whose
``disabledList`` deletes that ID's settings (the forcelist entry is in our slot, overwritten).

Intune reaches enrolled (MDM-managed) machines, where Edge installs the Chrome Web Store build, so
Edge gets that build (``managed``).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from xml.sax.saxutils import escape

from fleet.csvsafe import safe_cell
from fleet.desired.platforms import FORCELIST, MANAGED
from fleet.desired.policy import ExtensionPolicy, RegistryValue
from fleet.export.base import Artifact, PracticeContext, value_kind
from fleet.export.rmm import encode_script, render_script
from fleet.export.templating import render, xml_text

OMA_ADMX_INSTALL = "./Device/Vendor/MSFT/Policy/ConfigOperations/ADMXInstall/{app}/Policy/{app}Admx"
OMA_POLICY = "./Device/Vendor/MSFT/Policy/Config/{app}~Policy~{root}~{category}/{policy}"
#: Edge's own ADMX-backed ExtensionInstallForcelist (msedge.admx, category Extensions), built into Intune.
OMA_EDGE_FORCELIST = ("./Device/Vendor/MSFT/Policy/Config/microsoft_edge~Policy~microsoft_edge~Extensions/"
                      "ExtensionInstallForcelist")
EDGE_FORCELIST_DATA_ID = "ExtensionInstallForcelistDesc"
#: Separates list items (value name, data, value name, data, ...) in ADMX list data.
LIST_SEPARATOR = "&#xF000;"
CSV_COLUMNS = ("name", "description", "omaUri", "dataType", "value")
#: OMA-URI data of an ADMX-backed policy set to disabled.
DISABLED = "<disabled/>"


def app_name(practice_id: str) -> str:
    return f"fleet_{practice_id}"


def admx_data(value: str | int) -> str:
    """OMA-URI data enabling an ingested ADMX policy whose single element has id ``value``."""
    text = xml_text(value, "policy value")
    return '<enabled/><data id="value" value="' + escape(text, {'"': "&quot;", "\t": "&#9;"}) + '"/>'


def edge_forcelist_data(slot: int | str, entry: str) -> str:
    """OMA-URI data enabling Edge's ExtensionInstallForcelist list policy with one item named ``slot``."""
    text = xml_text(entry, "forcelist entry")
    item = escape(str(slot), {'"': "&quot;"}) + LIST_SEPARATOR + escape(text, {'"': "&quot;"})
    return f'<enabled/><data id="{EDGE_FORCELIST_DATA_ID}" value="{item}"/>'


def _browsers(ctx: PracticeContext) -> list[dict[str, Any]]:
    """The custom ADMX's categories and policies: Chrome only."""
    by_key: dict[str, list[RegistryValue]] = {}
    for v in ctx.registry_values(MANAGED):
        by_key.setdefault(v.key, []).append(v)
    out = []
    for ext in ctx.policy_for(MANAGED).extensions:
        if ext.browser != "chrome":
            continue
        policies = []
        forcelist = list(by_key.get(ext.forcelist_key, []))
        managed = by_key.get(ext.managed_key, [])
        for i, v in enumerate(forcelist + managed):
            is_forcelist = v.key == ext.forcelist_key
            policies.append({
                "policy": f"{ext.browser}_forcelist" if is_forcelist else f"{ext.browser}_setting{i}",
                "key": v.key,
                "name": v.name,
                "kind": value_kind(v),
                "value": v.data,
                "secret": v.secret,
                "label": (f"{ext.browser}: {FORCELIST} value {v.name}" if is_forcelist
                          else f"{ext.browser}: extension setting {v.name}" + (" (token)" if v.secret else "")),
            })
        out.append({"browser": ext.browser, "category": f"fleet_{ext.browser}", "policies": policies,
                    "previous": _previous(ext)})
    return out


def _previous(ext: ExtensionPolicy) -> list[dict[str, Any]]:
    """One policy per earlier ID (fleet.yml previous_ids) whose disabled state deletes that ID's
    settings (ADMX ``disabledList`` items with ``<delete/>``); its forcelist entry sits in the same
    slot, which our own forcelist policy overwrites."""
    return [{"policy": f"{ext.browser}_previous{n}", "key": f"{key}\\policy", "names": list(ext.managed),
             "label": f"{ext.browser}: remove the settings of earlier extension ID {old}"}
            for n, (old, key) in enumerate(zip(ext.stale_ids, ext.stale_extension_keys, strict=True), 1)]


def render_intune(ctx: PracticeContext) -> list[Artifact]:
    app = app_name(ctx.practice_id)
    root = "fleet"
    policy = ctx.policy_for(MANAGED)
    browsers = _browsers(ctx)
    edge = policy.for_browser("edge")
    admx_file = f"{app}.admx"
    rows = []
    admx = ""
    if browsers:
        admx = render("xml", "intune/fleet.admx.j2", ctx=ctx, namespace=f"Fleet.Policies.{app}",
                      root_category=root, browsers=browsers)
        rows.append({
            "name": f"fleet {ctx.practice_id}: install ADMX",
            "description": f"ingests {admx_file} (Chrome only; no token)",
            "omaUri": OMA_ADMX_INSTALL.format(app=app),
            "dataType": "String",
            "value": admx,
            "containsToken": False,
        })
    for b in browsers:
        for p in b["policies"]:
            rows.append({
                "name": f"fleet {ctx.practice_id}: {p['label']}",
                "description": p["label"],
                "omaUri": OMA_POLICY.format(app=app, root=root, category=b["category"], policy=p["policy"]),
                "dataType": "String",
                "value": admx_data(p["value"]),
                "containsToken": p["secret"],
            })
        for p in b["previous"]:
            rows.append({
                "name": f"fleet {ctx.practice_id}: {p['label']}",
                "description": p["label"] + " (the policy set to disabled deletes them)",
                "omaUri": OMA_POLICY.format(app=app, root=root, category=b["category"], policy=p["policy"]),
                "dataType": "String",
                "value": DISABLED,
                "containsToken": False,
            })
    if edge is not None:
        rows.append({
            "name": f"fleet {ctx.practice_id}: edge: ExtensionInstallForcelist (Edge's own policy)",
            "description": f"edge: ExtensionInstallForcelist item {ctx.options.forcelist_slot} (built-in Edge "
                           "policy, a list: add the other extensions Edge must force-install to this row)",
            "omaUri": OMA_EDGE_FORCELIST,
            "dataType": "String",
            "value": edge_forcelist_data(ctx.options.forcelist_slot, edge.forcelist_entry),
            "containsToken": False,
        })
    for reason in policy.uncovered:
        ctx.note(f"intune: {reason}")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([safe_cell(str(r[c])) for c in CSV_COLUMNS])
    script = None
    if edge is not None and ctx.options.embed_token:
        script = f"fleet-intune-{ctx.practice_id}.ps1"
    elif edge is not None:
        ctx.note("intune: Edge's extension settings (with the token) go through the platform script, and "
                 "Intune runs platform scripts without parameters: re-export with --embed-token to get it")
    readme = render("text", "intune/README.md.j2", ctx=ctx, rows=rows, admx_file=admx_file if admx else "",
                    app_name=app, slot=ctx.options.forcelist_slot, script_name=script, edge=edge is not None,
                    previous=any(b["previous"] for b in browsers))
    out = []
    if admx:
        out.append(Artifact(f"intune/{admx_file}", admx.encode("utf-8"), "intune", False))
    else:  # an earlier export (Chrome enabled then) must not leave a stale ADMX behind
        out.append(Artifact(f"intune/{admx_file}", b"", "intune", False, remove=True))
    out += [
        Artifact("intune/oma-uri.json", (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode(),
                 "intune", any(r["containsToken"] for r in rows)),
        Artifact("intune/oma-uri.csv", b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"), "intune",
                 any(r["containsToken"] for r in rows)),
        Artifact("intune/README.md", readme.encode("utf-8"), "intune", False),
    ]
    if script:
        # Edge only, its extension settings only: Chrome is the ADMX's, Edge's forcelist the built-in policy's
        text = render_script(ctx, True, join=MANAGED, browsers=("edge",), forcelist=False)
        out.append(Artifact(f"intune/{script}", encode_script(text), "intune", True))
    else:  # an earlier --embed-token export must not leave a token-bearing script behind
        out.append(Artifact(f"intune/fleet-intune-{ctx.practice_id}.ps1", b"", "intune", False, remove=True))
    return out
