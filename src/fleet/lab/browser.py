"""Real browsers in the lab: Debian's Chromium, headless, in each workstation's own namespace.

At ``fleet lab up`` a lab in ``real`` mode (the default for small labs) builds one small test
extension per extension variant (its own RSA key, so its own ID; ``storage.managed_schema``
declaring the variant's managed fields), packs it as a signed CRX3 and serves it with an update
manifest from the lab's local web server on 127.0.0.1 (the same process as the sync endpoint).
The lab's fleet.yml points the variants at these IDs and that update URL, so what ``fleet deploy``
writes is exactly what makes Chromium install the extension.

Each workstation runs ``chromium --headless`` from a boot script (``/opt/fleet-lab/boot.d/chromium``)
inside its mount namespace: its own ``/etc/chromium/policies/managed`` and its own profile under
the host's home (``~/.config/chromium``), where ``fleet health`` reads what is installed. Chromium
force-installs the extension from the policy (off-store update URLs are allowed on Linux) and
removes it when the policy goes. ``--disable-background-networking`` is NOT passed: it turns off
the extension updater, and so force-installs.

The extension reports to ``POST /ext/report`` what ``chrome.storage.managed`` gave it: per field,
the first 16 hex digits of SHA-256 of the value (never the value), as ``fleet.secrets.store.fingerprint``.
The browser's user agent names the host (``--user-agent=fleet-lab/HOST``). Reports are kept
under ``state/lab/browser-reports/HOST/ID.json``.

Labs bigger than ``REAL_BROWSER_LIMIT`` workstations keep the simulation (``fleet lab browsers``).
Measured with benchmarks/bench_lab_browsers.py (Chromium 156, PSS): about 190 MB per browser in a
lab of six (1.13 GB in all), 260-390 MB for a lone one (fewer pages to share); so 12 browsers are
about 2.3 GB, and the deploy-to-extension time is seconds after the deploy ends.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fleet.lab import crx, procs
from fleet.lab.layout import HostPaths, login_user
from fleet.lab.sshkeys import write_atomic

REAL, SIMULATED, AUTO = "real", "simulated", "auto"
MODES = (AUTO, REAL, SIMULATED)
REAL_BROWSER_LIMIT = 12  # workstations; ~190 MB each (PSS) in a shared lab: ~2.3 GB at the limit
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_LIB = "/usr/lib/chromium/"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-component-update", "--disable-sync", "--no-default-browser-check",
    "--disable-dev-shm-usage", "--password-store=basic",
)  # fmt: skip
POLICY_DIR = "/etc/chromium/policies/managed"
USER_DATA = ".config/chromium"
PIDFILE = "/var/lib/fleet-lab/chromium.pid"
LOGFILE = "/var/lib/fleet-lab/chromium.log"
BOOT_SCRIPT = "/opt/fleet-lab/boot.d/chromium"
REAL_MARKER = "/var/lib/fleet-lab/real-browser"
EXT_VERSION = "1.0.0"
BROWSERS_FILE = "browsers.json"  # in the engine dir
REPORTS_DIR = "browser-reports"  # in the engine dir
WEB_DIR = "web/ext"  # in the engine dir: updates.xml, <variant>.crx
USER_AGENT_PREFIX = "fleet-lab/"
# Managed fields whose values are not strings (the schema must say so, or Chromium drops them).
FIELD_TYPES: Mapping[str, str] = {"online_booking": "boolean"}


@dataclass(frozen=True)
class LabBrowsers:
    """What a lab's browsers are: ``real`` (Chromium) or ``simulated``, and the test extensions."""

    mode: str
    extensions: Mapping[str, str]  # variant -> extension ID (real mode)
    update_url: str = ""
    report_url: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self) | {"extensions": dict(self.extensions)}, indent=2) + "\n"


def choose_mode(requested: str, workstations: int) -> str:
    """``auto``: real Chromium for labs of up to REAL_BROWSER_LIMIT workstations when it is installed."""
    if requested != AUTO:
        return requested
    return REAL if workstations <= REAL_BROWSER_LIMIT and os.access(CHROMIUM, os.X_OK) else SIMULATED


def load(engine: Path) -> LabBrowsers | None:
    try:
        data = json.loads((engine / BROWSERS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return LabBrowsers(data.get("mode", SIMULATED), dict(data.get("extensions", {})), data.get("update_url", ""),
                       data.get("report_url", ""))


def save(engine: Path, browsers: LabBrowsers) -> None:
    engine.mkdir(parents=True, exist_ok=True)
    write_atomic(engine / BROWSERS_FILE, browsers.to_json())


# -- the test extension ---------------------------------------------------------------------------------

_SERVICE_WORKER = """// fleet lab test extension (%(variant)s): reports chrome.storage.managed as fingerprints.
const REPORT = %(report)s;
async function sha16(text) {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
}
async function report(why) {
  const managed = await chrome.storage.managed.get(null);
  const fingerprints = {};
  for (const [k, v] of Object.entries(managed)) {
    fingerprints[k] = await sha16(typeof v === "string" ? v : JSON.stringify(v));
  }
  const body = {extension_id: chrome.runtime.id, variant: %(variant_json)s,
                version: chrome.runtime.getManifest().version, why, managed: fingerprints};
  try { await fetch(REPORT, {method: "POST", body: JSON.stringify(body)}); } catch (e) { /* lab server down */ }
}
chrome.runtime.onInstalled.addListener(() => report("installed"));
chrome.runtime.onStartup.addListener(() => report("startup"));
chrome.storage.onChanged.addListener((changes, area) => { if (area === "managed") report("managed-changed"); });
chrome.alarms.create("fleet-lab-report", {periodInMinutes: 1});
chrome.alarms.onAlarm.addListener(() => report("alarm"));
report("loaded");
"""


def extension_files(variant: str, fields: Sequence[str], report_url: str) -> dict[str, str]:
    """manifest.json (MV3, storage.managed_schema), schema.json and the service worker."""
    manifest = {
        "manifest_version": 3,
        "name": f"fleet lab test extension {variant}",
        "description": "Stands in for the vendor's extension in a fleet lab: reports managed-storage fingerprints.",
        "version": EXT_VERSION,
        "background": {"service_worker": "sw.js"},
        "permissions": ["storage", "alarms"],
        "host_permissions": ["http://127.0.0.1/*"],
        "storage": {"managed_schema": "schema.json"},
    }
    schema = {"type": "object",
              "properties": {f: {"type": FIELD_TYPES.get(f, "string")} for f in fields}}
    sw = _SERVICE_WORKER % {"variant": variant, "variant_json": json.dumps(variant), "report": json.dumps(report_url)}
    return {"manifest.json": json.dumps(manifest, indent=2), "schema.json": json.dumps(schema, indent=2), "sw.js": sw}


def update_manifest(apps: Mapping[str, str], base_url: str) -> str:
    """The gupdate XML Chromium fetches from the update URL: ID -> codebase of its CRX."""
    items = "".join(f"  <app appid='{ext_id}'>\n    <updatecheck codebase='{base_url}/{name}.crx' "
                    f"version='{EXT_VERSION}' />\n  </app>\n" for name, ext_id in sorted(apps.items()))
    return ("<?xml version='1.0' encoding='UTF-8'?>\n"
            f"<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>\n{items}</gupdate>\n")


def build_test_extensions(engine: Path, server_url: str, variant_fields: Mapping[str, Sequence[str]]) -> LabBrowsers:
    """Keys (kept: same IDs on every ``lab up``), CRX3 packages and the update manifest, served by
    the lab's web server at ``server_url``/ext/. Returns the real-mode description (not saved)."""
    web = engine / WEB_DIR
    web.mkdir(parents=True, exist_ok=True)
    base = f"{server_url}/ext"
    report_url = f"{base}/report"
    ids: dict[str, str] = {}
    for variant, fields in sorted(variant_fields.items()):
        key = crx.load_or_create_key(engine / "extension-keys" / f"{variant}.pem")
        data, ext_id = crx.pack(extension_files(variant, fields, report_url), key)
        _write_bytes(web / f"{variant}.crx", data)
        ids[variant] = ext_id
    write_atomic(web / "updates.xml", update_manifest(ids, base))
    return LabBrowsers(REAL, ids, f"{base}/updates.xml", report_url)


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# -- Chromium on a workstation --------------------------------------------------------------------------

def boot_script(host: str) -> str:
    """The workstation's boot script: start (idempotent) | stop | status of its headless Chromium."""
    _, home = login_user()
    flags = " ".join(CHROMIUM_FLAGS)
    return f"""#!/bin/sh
# fleet lab: this workstation's real browser (Debian's Chromium, headless, its own profile).
PIDFILE={PIDFILE}
running() {{ [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }}
case "$1" in
  start)
    running && exit 0
    mkdir -p "{home}/{USER_DATA}"
    rm -f "{home}/{USER_DATA}/SingletonLock"
    setsid {CHROMIUM} {flags} --user-data-dir="{home}/{USER_DATA}" --user-agent="{USER_AGENT_PREFIX}{host}" \\
      about:blank </dev/null >>{LOGFILE} 2>&1 &
    echo $! >"$PIDFILE" ;;
  stop)
    running && kill "$(cat "$PIDFILE")"; rm -f "$PIDFILE" ;;
  status)
    if running; then echo "running $(cat "$PIDFILE")"; else echo stopped; exit 3; fi ;;
esac
"""


def prepare_workstation(hp: HostPaths, host: str) -> bool:
    """Make a seeded workstation a real-browser one (once): only Chromium, with an empty profile that
    Chromium itself fills, and the boot script. Returns True if it changed anything."""
    marker = hp.fs_path(REAL_MARKER)
    script = hp.fs_path(BOOT_SCRIPT)
    text = boot_script(host)
    changed = False
    if not marker.exists():
        _, home = login_user()
        for data in (".config/google-chrome", ".config/microsoft-edge", USER_DATA):
            shutil.rmtree(hp.fs_path(home / data), ignore_errors=True)  # the seeded stand-ins
        info = hp.fs_path("/var/lib/fleet-lab/host.json")
        try:
            doc = json.loads(info.read_text())
            doc["browsers"] = {"chromium": {"version": "real", "user_data_dir": str(home / USER_DATA)}}
            write_atomic(info, json.dumps(doc, indent=2) + "\n")
        except (OSError, ValueError):
            pass
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("chromium\n")
        changed = True
    if not script.is_file() or script.read_text() != text:
        script.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(script, text, 0o755)
        changed = True
    return changed


def chromium_pids(mnt_ns: int | None, uts_ns: int | None) -> list[int]:
    """Chromium's processes inside one host's namespaces."""
    if not (mnt_ns and uts_ns):
        return []
    key = procs.NamespaceKey(mnt_ns, uts_ns)
    return [p for p in procs.processes_by_namespace([key]).get(key, []) if CHROMIUM_LIB in procs.cmdline(p)]


def memory_mb(pids: Sequence[int]) -> float:
    """Proportional set size of these processes, MB (shared pages split fairly)."""
    return round(sum(procs.memory_kib(p).get("pss", 0) for p in pids) / 1024, 1)


def installed_versions(hp: HostPaths, ext_id: str) -> list[str]:
    """Versions of ``ext_id`` in the workstation's Chromium profiles (what ``fleet health`` reads)."""
    _, home = login_user()
    root = hp.fs_path(home / USER_DATA)
    found = []
    for prof in [root / "Default", *sorted(root.glob("Profile *"))]:
        d = prof / "Extensions" / ext_id
        if d.is_dir():
            found += sorted(v.name for v in d.iterdir() if v.is_dir())
    return found


def forcelisted(hp: HostPaths, ext_id: str) -> bool:
    from fleet.lab.workspace import effective_forcelist

    return any(e.split(";", 1)[0].strip() == ext_id for e in effective_forcelist(hp.fs_path(POLICY_DIR)))


def read_report(engine: Path, host: str, ext_id: str) -> dict[str, Any] | None:
    try:
        doc = json.loads((engine / REPORTS_DIR / host / f"{ext_id}.json").read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None  # the web server writes an object; anything else: no report


def settings_verdict(report: Mapping[str, Any] | None, expected: Mapping[str, frozenset[str]],
                     since: float = 0.0) -> str:
    """``ok`` when the extension reported every expected field with an accepted fingerprint (never
    the value), else what differs."""
    if report is None or float(report.get("received_at", 0)) < since:
        return "no report"
    managed = report.get("managed") or {}
    wrong = sorted(f for f, accepted in expected.items() if managed.get(f) not in accepted)
    return "ok" if not wrong else "differs: " + ", ".join(wrong)


HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
