"""Intune: a custom ADMX (ingested through OMA-URI) with one policy per registry value, the
OMA-URI rows as CSV and JSON, a README, and (with --embed-token) the RMM script as a platform script.

fleet's ADMX sets ExtensionInstallForcelist as ONE named text value (the --forcelist-slot), never as
an ADMX ``<list>``: the client deletes every value of a list policy's key before writing the list,
which would remove other software's force-installed extensions.
"""

from __future__ import annotations

import csv
import io
import json
from xml.sax.saxutils import escape

from fleet.desired.platforms import FORCELIST
from fleet.export.base import Artifact, PracticeContext, value_kind
from fleet.export.rmm import encode_script, render_script
from fleet.export.templating import render, xml_text

OMA_ADMX_INSTALL = "./Device/Vendor/MSFT/Policy/ConfigOperations/ADMXInstall/{app}/Policy/{app}Admx"
OMA_POLICY = "./Device/Vendor/MSFT/Policy/Config/{app}~Policy~{root}~{category}/{policy}"
CSV_COLUMNS = ("name", "description", "omaUri", "dataType", "value")


def app_name(practice_id: str) -> str:
    return f"fleet_{practice_id}"


def admx_data(value: str | int) -> str:
    """OMA-URI data enabling an ingested ADMX policy whose single element has id ``value``."""
    text = xml_text(value, "policy value")
    return '<enabled/><data id="value" value="' + escape(text, {'"': "&quot;", "\t": "&#9;"}) + '"/>'


def _browsers(ctx: PracticeContext) -> list[dict]:
    by_key = {}
    for v in ctx.registry_values():
        by_key.setdefault(v.key, []).append(v)
    out = []
    for ext in ctx.policy.extensions:
        policies = []
        forcelist = [v for v in by_key.get(ext.forcelist_key, [])]
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
        out.append({"browser": ext.browser, "category": f"fleet_{ext.browser}", "policies": policies})
    return out


def render_intune(ctx: PracticeContext) -> list[Artifact]:
    app = app_name(ctx.practice_id)
    root = "fleet"
    browsers = _browsers(ctx)
    admx_file = f"{app}.admx"
    admx = render("xml", "intune/fleet.admx.j2", ctx=ctx, namespace=f"Fleet.Policies.{app}",
                  root_category=root, browsers=browsers)
    rows = [{
        "name": f"fleet {ctx.practice_id}: install ADMX",
        "description": f"ingests {admx_file} (no token)",
        "omaUri": OMA_ADMX_INSTALL.format(app=app),
        "dataType": "String",
        "value": admx,
        "containsToken": False,
    }]
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
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([r[c] for c in CSV_COLUMNS])
    script = None
    if ctx.options.embed_token:
        script = f"fleet-intune-{ctx.practice_id}.ps1"
    readme = render("text", "intune/README.md.j2", ctx=ctx, rows=rows, admx_file=admx_file, app_name=app,
                    slot=ctx.options.forcelist_slot, script_name=script)
    out = [
        Artifact(f"intune/{admx_file}", admx.encode("utf-8"), "intune", False),
        Artifact("intune/oma-uri.json", (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode(),
                 "intune", True),
        Artifact("intune/oma-uri.csv", b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"), "intune", True),
        Artifact("intune/README.md", readme.encode("utf-8"), "intune", False),
    ]
    if script:
        out.append(Artifact(f"intune/{script}", encode_script(render_script(ctx, True)), "intune", True))
    else:  # an earlier --embed-token export must not leave a token-bearing script behind
        out.append(Artifact(f"intune/fleet-intune-{ctx.practice_id}.ps1", b"", "intune", False, remove=True))
    return out
