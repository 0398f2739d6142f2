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

import contextlib
import json
import os
import re
import shutil
import time
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
    # chromium.log says when the policy was read and what the extension updater fetched and installed
    "--enable-logging=stderr",
    "--vmodule=config_dir_policy_loader=1,extension_updater=2,extension_downloader=2,crx_installer=1",
)  # fmt: skip
POLICY_DIR = "/etc/chromium/policies/managed"
USER_DATA = ".config/chromium"
PIDFILE = "/var/lib/fleet-lab/chromium.pid"
LOGFILE = "/var/lib/fleet-lab/chromium.log"
BOOT_SCRIPT = "/opt/fleet-lab/boot.d/chromium"
REAL_MARKER = "/var/lib/fleet-lab/real-browser"
READY_FILE = "/var/lib/fleet-lab/chromium.ready"  # "<pid> <start time>": this Chromium follows policy changes
PROBE_PREFIX = "fleet-lab-probe-"  # in POLICY_DIR, only while a starting Chromium is probed
PROBE_EVERY = 8.0  # seconds (+4 s each time): a probe not read by then was missed; write another
# (Chromium reads a changed folder once it has been still for 5 s; a new probe sooner would only delay that)
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
    profile = f"{home}/{USER_DATA}"
    return f"""#!/bin/sh
# fleet lab: this workstation's real browser (Debian's Chromium, headless, its own profile).
PIDFILE={PIDFILE}
PROFILE={profile}
# Ours: alive, Chromium, and in this host's mount namespace (a stale pidfile's pid may be anyone's now).
running() {{
  pid=$(cat "$PIDFILE" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    grep -q chromium "/proc/$pid/cmdline" 2>/dev/null &&
    [ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink /proc/$$/ns/mnt)" ]
}}
# Browsers on this host's profile: an argument --user-data-dir=$PROFILE (Debian's /usr/bin/chromium moves
# our flags after its own, so no flag is followed by a known one), and that path, seen from the process's
# own mount namespace, is this very directory (another host's, or another lab's same-named host's, is not).
# Chromium's helpers name the profile too, but in one rewritten argument: they end with their browser.
on_profile() {{
  want=$(stat -Lc %d:%i "$PROFILE" 2>/dev/null) || return 0
  grep -alsF -- "--user-data-dir=$PROFILE" /proc/[0-9]*/cmdline 2>/dev/null | while read -r f; do
    d=${{f%/cmdline}}
    args=$(tr '\\0' '\\n' 2>/dev/null <"$f")
    printf '%s\\n' "$args" | head -n 2 | grep -q chromium || continue  # Chromium (or its wrapper), not a grep
    printf '%s\\n' "$args" | grep -qxF -- "--user-data-dir=$PROFILE" || continue
    [ "$(stat -Lc %d:%i "$d/root$PROFILE" 2>/dev/null)" = "$want" ] && echo "${{d#/proc/}}"
  done
}}
case "$1" in
  start)
    # One start at a time (the host's boot and `fleet lab up` may both start it): two would each find
    # nothing running, start two Chromiums on one profile, and leave the pidfile naming the wrong one.
    exec 9>"$PIDFILE.lock"
    flock 9
    running && exit 0
    mkdir -p "$PROFILE"
    # One browser per profile: one this script does not know of (its pidfile lost, or naming another
    # process) goes first, and is gone before the next starts (Chromium's own lock is removed below).
    stale=$(on_profile)
    if [ -n "$stale" ]; then
      echo "$(date -u +%FT%TZ) ending browsers on $PROFILE the pidfile does not name:" $stale >>{LOGFILE}
      kill -KILL $stale 2>/dev/null
      for _ in $(seq 100); do [ -z "$(on_profile)" ] && break; sleep 0.1; done
    fi
    rm -f "$PROFILE/SingletonLock"
    setsid {CHROMIUM} {flags} --user-data-dir="$PROFILE" --user-agent="{USER_AGENT_PREFIX}{host}" \\
      about:blank </dev/null >>{LOGFILE} 2>&1 9>&- &
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
    from fleet.lab.simulated_chrome import effective_forcelist

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


# -- a starting Chromium: wait until it follows policy changes ---------------------------------------------
#
# Chromium reads its policy folder once at start-up and then relies on a folder watcher (and a reload
# every 15 minutes). A policy file written while Chromium is starting, after that first read and before
# the watcher is in place, is not seen until the 15-minute reload. On an idle machine that window is a
# fraction of a second; on a loaded one it lasts seconds, and a deploy run right after `fleet lab up`
# lands in it (reproduced: Chromium held to 10% of a core, a policy file written 5-7 s after its start
# was still unread 2 minutes later, 6 runs of 9; written after the probe below confirmed the watcher,
# it was read every time). So the lab does not call a Chromium ready until it has seen it re-read its
# policy folder after a change: once Chromium has read its policy and its extension updater has made
# its first check (the end of start-up), the lab writes an empty probe file there and waits for the
# line in chromium.log (config_dir_policy_loader, --vmodule above) naming the probe; a probe missed
# is followed by another.

_LOG_LINE = re.compile(r"^\[(\d+):\d+:[^\]]*[:/]([a-z_]+)\.cc:\d+\] (.*)$")
STARTUP_GRACE = 10.0  # seconds after Chromium's first policy read: probe even if its updater has not started


def running_pid(hp: HostPaths, mnt_ns: int | None) -> int | None:
    """The pid of the workstation's Chromium (its boot script's pidfile) if it is alive and in the
    host's mount namespace ``mnt_ns`` (a stale pidfile's pid may belong to anything by now)."""
    try:
        pid = int(hp.fs_path(PIDFILE).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    cmd = procs.cmdline(pid)  # Debian's /usr/bin/chromium is a shell script that execs the browser
    ours = (CHROMIUM_LIB in cmd or CHROMIUM in cmd) and procs.ns_inode(pid, "mnt") == mnt_ns
    return pid if mnt_ns and procs.is_alive(pid) and ours else None


def stop_chromium(hp: HostPaths, mnt_ns: int | None) -> None:
    """Stop the workstation's Chromium (its renderers and helpers follow it)."""
    pid = running_pid(hp, mnt_ns)
    if pid:
        procs.terminate([pid])
    hp.fs_path(PIDFILE).unlink(missing_ok=True)


def _ready_key(pid: int) -> str:
    return f"{pid} {procs.start_time(pid)}"


def is_ready(hp: HostPaths, pid: int) -> bool:
    """This Chromium (pid and start time) was seen following a policy change."""
    try:
        return hp.fs_path(READY_FILE).read_text().strip() == _ready_key(pid)
    except OSError:
        return False


def log_events(hp: HostPaths, pid: int) -> list[tuple[str, str]]:
    """(source file, message) of what Chromium ``pid`` logged (chromium.log holds every start's lines)."""
    try:
        text = hp.fs_path(LOGFILE).read_text(errors="replace")
    except OSError:
        return []
    return [(m.group(2), m.group(3)) for m in map(_LOG_LINE.match, text.splitlines()) if m and int(m.group(1)) == pid]


_LOG_TIME = re.compile(r"^\[\d+:\d+:(\d{4})/(\d{6})\.(\d{6}):")
_UPDATER_STEPS = ("Fetching ", "Starting load of ", "updating ", "Failed", "failed", "error", "Error")


def _log_time(line: str) -> float | None:
    """Chromium's log time (local, no year: this year's) as a Unix time."""
    m = _LOG_TIME.match(line)
    if not m:
        return None
    year = time.localtime().tm_year
    try:
        t = time.strptime(f"{year}{m.group(1)}{m.group(2)}", "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return time.mktime(t) + int(m.group(3)) / 1e6


def _hms(t: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(t))


def explain_late(hp: HostPaths, mnt_ns: int | None) -> str:
    """Why a workstation's Chromium may not have followed its policy, from its own log: not running;
    the policy file changed after Chromium last read its folder (a change in its start-up gap waits
    for the 15-minute reload); or the last thing its extension updater did."""
    pid = running_pid(hp, mnt_ns)
    if pid is None:
        return "Chromium is not running (fleet lab up starts it)"
    try:
        lines = [ln for ln in hp.fs_path(LOGFILE).read_text(errors="replace").splitlines()
                 if ln.startswith(f"[{pid}:")]
    except OSError:
        lines = []
    reads = [t for ln in lines if "config_dir_policy_loader" in ln and (t := _log_time(ln)) is not None]
    d = hp.fs_path(POLICY_DIR)
    changed = max((f.stat().st_mtime for f in d.glob("*.json")), default=0.0) if d.is_dir() else 0.0
    if changed and (not reads or max(reads) + 1 < changed):
        last = f"last read {_hms(max(reads))}" if reads else "never read"
        return (f"its Chromium has not read the policy folder since it changed at {_hms(changed)} ({last}); "
                "a change made while Chromium starts is seen only at its 15-minute reload: restart it")
    steps = [ln.split("] ", 1)[-1] for ln in lines if "extension" in ln and any(s in ln for s in _UPDATER_STEPS)]
    return (f"its Chromium read the policy; its extension updater last: {steps[-1][:160]}" if steps
            else "its Chromium read the policy; its extension updater has done nothing since")


def _write_probe(hp: HostPaths, name: str) -> list[Path]:
    """An empty policy file in the workstation's policy folder; returns the folders it had to create."""
    d = hp.fs_path(POLICY_DIR)
    created = [p for p in (d.parent, d) if not p.exists()]
    d.mkdir(parents=True, exist_ok=True)
    write_atomic(d / name, "{}\n", 0o644)
    return created


def _clear_probes(hp: HostPaths, created: Sequence[Path] = ()) -> None:
    """Remove the probes, and the folders made for them (a deploy creates its own, as on a real machine)."""
    for f in hp.fs_path(POLICY_DIR).glob(f"{PROBE_PREFIX}*.json"):
        f.unlink(missing_ok=True)
    for d in reversed(created):
        with contextlib.suppress(OSError):  # not empty: someone else wrote there meanwhile
            d.rmdir()


class _Probe:
    """One starting Chromium being probed: first policy read seen -> start-up done (its extension
    updater's first check, or STARTUP_GRACE) -> a probe file -> the reload that names it."""

    def __init__(self, hp: HostPaths, pid: int) -> None:
        self.hp, self.pid = hp, pid
        self.first_read = 0.0  # monotonic time the first policy read was seen
        self.probe = ""
        self.written = 0.0
        self.count = 0
        self.created: list[Path] = []

    def step(self, now: float, probe_every: float) -> bool:
        """Advance; True once Chromium has re-read its folder with the current probe in it."""
        events = log_events(self.hp, self.pid)
        reads = [msg for src, msg in events if src == "config_dir_policy_loader"]
        if self.probe and any(r.endswith("/" + self.probe) for r in reads):
            write_atomic(self.hp.fs_path(READY_FILE), _ready_key(self.pid) + "\n")
            return True
        if not reads:
            return False
        self.first_read = self.first_read or now
        started = any(src == "extension_updater" and "update check" in msg for src, msg in events)
        if not self.probe and not started and now - self.first_read < STARTUP_GRACE:
            return False
        if not self.probe or now - self.written > probe_every + 4 * (self.count - 1):
            _clear_probes(self.hp)
            self.count += 1
            self.probe = f"{PROBE_PREFIX}{self.count}.json"
            self.created += _write_probe(self.hp, self.probe)
            self.written = now
        return False

    def why_not(self) -> str:
        if not procs.is_alive(self.pid):
            return "Chromium exited while starting"
        if not self.first_read:
            return "Chromium has not read its policy yet"
        if not self.count:
            return "Chromium has not finished starting"
        return f"Chromium has not re-read its policy folder after a change ({self.count} tries)"


def await_policy_watch(hosts: Mapping[str, tuple[HostPaths, int | None]], timeout: float = 60.0,
                       probe_every: float = PROBE_EVERY) -> dict[str, str]:
    """Wait until each workstation's Chromium (host name -> its files and mount namespace) has shown
    that it re-reads its policy folder after a change (see above); a Chromium already confirmed is
    not probed again. Returns the hosts that did not, with why."""
    deadline = time.monotonic() + timeout
    todo: dict[str, _Probe] = {}
    late: dict[str, str] = {}
    for name, (hp, mnt_ns) in hosts.items():
        pid = running_pid(hp, mnt_ns)
        if pid is None:
            late[name] = "Chromium is not running"
        elif not is_ready(hp, pid):
            todo[name] = _Probe(hp, pid)
    while todo:
        now = time.monotonic()
        for name, p in list(todo.items()):
            done = procs.is_alive(p.pid) and p.step(now, probe_every)
            if not done and procs.is_alive(p.pid) and now <= deadline:
                continue
            if not done:
                late[name] = p.why_not()
            _clear_probes(p.hp, p.created)
            del todo[name]
        if todo:
            time.sleep(0.25)
    return late


HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
