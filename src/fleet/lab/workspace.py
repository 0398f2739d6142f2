"""A fleet workspace for a running lab: fleet.yml, ansible.cfg, inventory, vaults with fake secrets.

``fleet lab up`` starts the hosts (``fleet.lab.Lab`` under ``DIR/state/lab``) and calls
``write_lab_workspace``, so ``fleet -w DIR deploy`` (or plain ``ansible-playbook`` from DIR)
works at once::

    DIR/
      fleet.yml        valid fake extension IDs; synchronizer.linux_url -> the stand-in package below
      ansible.cfg      inventory, roles, filters, vault_password_file = .vault-pass
      .vault-pass      the lab's vault password (0600); default "fleet-lab", or $FLEET_LAB_VAULT_PASSWORD
      inventory/       one file per client (fleet.lab.write_inventory) + group_vars/practice_<id>/vault.yml
      state/lab/       the lab engine's directory (hosts, keys, lab.json)
      state/lab/packages/fleet-synchronizer-<version>.tar.gz

The Linux stand-in of the Synchronizer (lab servers are Linux) is a small tar.gz built here,
byte-for-byte reproducible so its SHA-256 stays the same across ``lab up``: ``install.sh`` reads
the product key on stdin and keeps it in a 0600 file; ``bin/fleet-synchronizer`` is a daemon with a
pidfile (start | stop | status | version | run). On a host it lives in /opt/fleet-lab/synchronizer:

    current -> releases/<version>     the installed release (bin/fleet-synchronizer, VERSION)
    etc/product.key                   the product key, mode 0600, no trailing newline
    enabled                           "start at boot" marker (written by the role)
    run/synchronizer.pid, log/synchronizer.log, downloads/

``fleet-synchronizer status`` prints one JSON object: installed, version, running, pid, enabled,
key_fingerprint (first 16 hex chars of the key's SHA-256, as fleet.secrets.store.fingerprint).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import secrets as pysecrets
import tarfile
from pathlib import Path
from typing import Any

from fleet.catalog import InstallMethod, default_catalog
from fleet.desired.plan import LINUX_SYNC_ROOT
from fleet.desired.platforms import FLAVORS
from fleet.example import fake_extension_id
from fleet.lab.browser import REAL, SIMULATED, LabBrowsers
from fleet.lab.errors import LabError
from fleet.lab.inventory import write_inventory
from fleet.lab.sshkeys import write_atomic
from fleet.lab.state import LabState
from fleet.secrets import vault
from fleet.secrets.store import SecretKind, SecretStore

DEFAULT_VAULT_PASSWORD = "fleet-lab"
VAULT_PASSWORD_ENV = "FLEET_LAB_VAULT_PASSWORD"
LAB_DIR_ENV = "FLEET_LAB_DIR"
SYNC_VERSION = "4.2.0"
VAULT_PASS_FILE = ".vault-pass"
DEFAULT_PRACTICES = 3
DEFAULT_WORKSTATIONS = 2
WEB_STORE = "https://clients2.google.com/service/update2/crx"
LAB_VARIANT_FOR = {"modmed": "v5"}  # systems whose variant the catalog leaves to the MSP
_EPOCH = 1_700_000_000  # fixed mtime inside the package: same bytes, same SHA-256, every build


def default_lab_dir() -> Path:
    """$FLEET_LAB_DIR, else $XDG_DATA_HOME/fleet/lab, else ~/.local/share/fleet/lab."""
    if os.environ.get(LAB_DIR_ENV):
        return Path(os.environ[LAB_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fleet" / "lab"


def engine_dir(workspace: Path) -> Path:
    """Where the lab engine (hosts, keys, lab.json) of the lab workspace lives."""
    return workspace / "state" / "lab"


def lab_vault_password() -> str:
    return os.environ.get(VAULT_PASSWORD_ENV) or DEFAULT_VAULT_PASSWORD


# -- the Synchronizer stand-in ----------------------------------------------------------------------

INSTALL_SH = r"""#!/bin/sh
# fleet lab: install this release of the Synchronizer stand-in.
# The product key comes on stdin (never in argv) and is kept in a 0600 file.
set -eu
ROOT=${FLEET_SYNC_ROOT:-/opt/fleet-lab/synchronizer}
HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=$(cat "$HERE/VERSION")
umask 077
KEY=
IFS= read -r KEY || true
if [ -z "$KEY" ]; then
  echo "install.sh: no product key on stdin" >&2
  exit 2
fi
mkdir -p "$ROOT/etc" "$ROOT/releases" "$ROOT/run" "$ROOT/log"
chmod 755 "$ROOT" "$ROOT/releases"
if [ -x "$ROOT/current/bin/fleet-synchronizer" ]; then
  "$ROOT/current/bin/fleet-synchronizer" stop >/dev/null || true
fi
rm -rf "$ROOT/releases/$VERSION.new"
mkdir -p "$ROOT/releases/$VERSION.new/bin"
cp "$HERE/VERSION" "$ROOT/releases/$VERSION.new/VERSION"
cp "$HERE/bin/fleet-synchronizer" "$ROOT/releases/$VERSION.new/bin/fleet-synchronizer"
chmod -R go+rX "$ROOT/releases/$VERSION.new"
chmod 755 "$ROOT/releases/$VERSION.new/bin/fleet-synchronizer"
rm -rf "$ROOT/releases/$VERSION"
mv "$ROOT/releases/$VERSION.new" "$ROOT/releases/$VERSION"
printf '%s' "$KEY" > "$ROOT/etc/product.key.tmp"
chmod 600 "$ROOT/etc/product.key.tmp"
mv "$ROOT/etc/product.key.tmp" "$ROOT/etc/product.key"
ln -sfn "releases/$VERSION" "$ROOT/current.tmp"
mv -T "$ROOT/current.tmp" "$ROOT/current"
for old in "$ROOT"/releases/*; do
  [ "$old" = "$ROOT/releases/$VERSION" ] || rm -rf "$old"
done
echo "installed $VERSION"
"""

SERVICE_SH = r"""#!/bin/sh
# fleet lab: a stand-in of the practice Synchronizer service. Usage: start|stop|status|version|run
ROOT=${FLEET_SYNC_ROOT:-/opt/fleet-lab/synchronizer}
SELF=$(readlink -f "$0")
HERE=$(dirname "$(dirname "$SELF")")
PIDFILE=$ROOT/run/synchronizer.pid
LOG=$ROOT/log/synchronizer.log
KEYFILE=$ROOT/etc/product.key
VERSION=$(cat "$HERE/VERSION")

running_pid() {
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'fleet-synchronizer run' || return 1
  echo "$pid"
}

case "${1:-}" in
  run)
    [ -r "$KEYFILE" ] || { echo "no product key at $KEYFILE" >&2; exit 1; }
    echo $$ >"$PIDFILE"
    echo "$(date -u +%FT%TZ) synchronizer $VERSION started (pid $$)"
    trap 'kill "$SLEEPER" 2>/dev/null; rm -f "$PIDFILE"; echo "$(date -u +%FT%TZ) stopped"; exit 0' TERM INT HUP
    while :; do
      sleep 3600 &
      SLEEPER=$!
      wait "$SLEEPER"
    done
    ;;
  start)
    if running_pid >/dev/null; then echo "running"; exit 0; fi
    [ -r "$KEYFILE" ] || { echo "no product key at $KEYFILE" >&2; exit 1; }
    mkdir -p "$ROOT/run" "$ROOT/log"
    rm -f "$PIDFILE"
    setsid "$SELF" run </dev/null >>"$LOG" 2>&1 &
    i=0
    while [ $i -lt 50 ]; do
      running_pid >/dev/null && { echo "started"; exit 0; }
      sleep 0.1
      i=$((i + 1))
    done
    echo "did not start; see $LOG" >&2
    exit 1
    ;;
  stop)
    pid=$(running_pid) || { rm -f "$PIDFILE"; echo "not running"; exit 0; }
    kill "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    rm -f "$PIDFILE"
    echo "stopped"
    ;;
  status)
    pid=$(running_pid) && running=true || { running=false; pid=null; }
    [ -f "$ROOT/enabled" ] && enabled=true || enabled=false
    fp=""
    [ -r "$KEYFILE" ] && fp=$(sha256sum "$KEYFILE" | cut -c1-16)
    printf '{"installed": true, "service": "fleet-synchronizer", "version": "%s", "running": %s, "pid": %s, ' \
      "$VERSION" "$running" "$pid"
    printf '"enabled": %s, "key_fingerprint": "%s"}\n' "$enabled" "$fp"
    ;;
  version)
    echo "$VERSION"
    ;;
  *)
    echo "usage: fleet-synchronizer start|stop|status|version|run" >&2
    exit 2
    ;;
esac
"""


def package_name(version: str) -> str:
    return f"fleet-synchronizer-{version}.tar.gz"


def build_synchronizer_package(out_dir: Path, version: str = SYNC_VERSION) -> tuple[Path, str]:
    """Build the stand-in package into ``out_dir``; return (path, sha256). Reproducible."""
    top = f"fleet-synchronizer-{version}"
    files = [
        (f"{top}/VERSION", version.encode() + b"\n", 0o644),
        (f"{top}/install.sh", INSTALL_SH.encode(), 0o755),
        (f"{top}/bin/fleet-synchronizer", SERVICE_SH.encode(), 0o755),
    ]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for d in (top, f"{top}/bin"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, _EPOCH
            tar.addfile(ti)
        for name, data, mode in files:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), mode, _EPOCH
            tar.addfile(ti, io.BytesIO(data))
    gz = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=_EPOCH) as f:
        f.write(raw.getvalue())
    data = gz.getvalue()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / package_name(version)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path, hashlib.sha256(data).hexdigest()


# -- the workspace ----------------------------------------------------------------------------------

# Managed-storage settings the fake extension variants carry besides the token (policy field -> var).
_EXTRA_FIELDS: dict[str, dict[str, str]] = {
    "v2": {"practice_url": "fleet_pms_url"},
    "v3": {"practice_url": "fleet_pms_url", "org_alias": "fleet_pms_org_alias"},
    "v4": {"practice_url": "fleet_pms_url"},
    "v5": {"online_booking": "fleet_online_booking", "default_appointment_type": "fleet_default_appointment_type"},
    "v7": {"online_booking": "fleet_online_booking", "default_appointment_type": "fleet_default_appointment_type"},
}


def variant_fields() -> dict[str, list[str]]:
    """Managed fields of each of the lab's extension variants (the token first)."""
    return {f"v{i}": ["token", *_EXTRA_FIELDS.get(f"v{i}", {})] for i in range(1, 8)}


def lab_config(package_url: str, package_sha256: str, sync_endpoint: str = "",
               browsers: LabBrowsers | None = None) -> dict[str, Any]:
    """fleet.yml content of a lab (obviously fake, but valid). With real browsers, the variants are
    the lab's test extensions, served from its local update URL."""
    real = browsers is not None and browsers.mode == REAL
    variants: dict[str, Any] = {}
    for i in range(1, 8):
        chrome_id = browsers.extensions[f"v{i}"] if real and browsers else fake_extension_id(f"fleet-lab-v{i}")
        v: dict[str, Any] = {"chrome": chrome_id, "token_field": "token"}
        if i == 3:  # one variant with its own Edge Add-ons build: a different ID in Edge
            v["edge"] = fake_extension_id("fleet-lab-v3-edge")
        if f"v{i}" in _EXTRA_FIELDS:
            v["extra_fields"] = _EXTRA_FIELDS[f"v{i}"]
        variants[f"v{i}"] = v
    return {
        "msp": {"name": "fleet lab (simulated practices, fake data)"},
        # The guide names no variant for ModMed: the lab (like an MSP after asking the vendor) says which.
        "extensions": {"update_url": browsers.update_url if real and browsers else WEB_STORE, "variants": variants,
                       "variant_for": dict(LAB_VARIANT_FOR)},
        "synchronizer": {
            "version": SYNC_VERSION,
            # Windows servers would get this MSI; the lab has none (fake URL, checksum of a fake file).
            "url": f"https://downloads.example.invalid/synchronizer/Synchronizer-{SYNC_VERSION}.msi",
            "sha256": hashlib.sha256(f"fleet lab fake msi {SYNC_VERSION}".encode()).hexdigest(),
            "silent_args": "/qn /norestart",
            "product_key_property": "PRODUCTKEY",
            "service_name": "Synchronizer",
            # Linux servers (the lab's) get the stand-in package `fleet lab up` builds.
            "linux_url": package_url,
            "linux_sha256": package_sha256,
        },
        "sync_endpoint": sync_endpoint or "https://sync.lab.invalid",
        "store": {"url": "sqlite:///state/fleet.db"},
        "alerts": [],
    }


# How `fleet health` finds the lab's Synchronizer stand-in (see the module docstring).
LAB_HEALTH = f"""
# How `fleet health` finds the lab's Synchronizer stand-in (a plain daemon, no service manager).
health:
  posix:
    service_state_file: /var/lib/fleet-lab/services.json
    synchronizer:
      install_dir: {LINUX_SYNC_ROOT}/current
      version_file: {LINUX_SYNC_ROOT}/current/VERSION
      pidfile: {LINUX_SYNC_ROOT}/run/synchronizer.pid
      process_match: fleet-synchronizer run
      autostart_file: {LINUX_SYNC_ROOT}/enabled
      key_file: {LINUX_SYNC_ROOT}/etc/product.key
"""

LAB_ANSIBLE_CFG_EXTRA = "vault_password_file = {vault_pass}\n"


def write_lab_workspace(
    workspace: Path, state: LabState, password: str | None = None, version: str = SYNC_VERSION,
    sync_endpoint: str = "", browsers: LabBrowsers | None = None,
) -> list[Path]:
    """Write (or refresh) the workspace of a running lab; return the files written.

    fleet.yml and ansible.cfg are written only when missing (you may edit them); the inventory is
    rewritten every time (ports can change); each practice gets a fake secret once.
    """
    from fleet.resources import data_dir
    from fleet.workspace import ANSIBLE_CFG, CONFIG_NAME, GITIGNORE, render_config

    workspace = workspace.resolve()
    password = password or lab_vault_password()
    written: list[Path] = []
    (workspace / "state").mkdir(parents=True, exist_ok=True)
    pkg, sha = build_synchronizer_package(engine_dir(workspace) / "packages", version)
    written.append(pkg)
    cfg_path = workspace / CONFIG_NAME
    if not cfg_path.exists():
        write_atomic(
            cfg_path,
            "# fleet lab workspace: simulated practices on this machine; every secret is fake.\n"
            + render_config(lab_config(pkg.as_uri(), sha, sync_endpoint, browsers))
            + LAB_HEALTH,
        )
        written.append(cfg_path)
    ansible_cfg = workspace / "ansible.cfg"
    if not ansible_cfg.exists():
        text = ANSIBLE_CFG.format(playbooks=data_dir("playbooks"), roles=data_dir("roles"),
                                  collections=data_dir("collections"))
        text = text.replace(
            "[ssh_connection]", LAB_ANSIBLE_CFG_EXTRA.format(vault_pass=VAULT_PASS_FILE) + "\n[ssh_connection]"
        )
        write_atomic(ansible_cfg, text)
        written.append(ansible_cfg)
    vault.write_private(workspace / VAULT_PASS_FILE, password.encode() + b"\n")
    written.append(workspace / VAULT_PASS_FILE)
    if not (workspace / ".gitignore").exists():
        write_atomic(workspace / ".gitignore", GITIGNORE)
    written += write_inventory(state.connected_topology(), workspace / "inventory")
    written += _write_secrets(workspace, state, vault.VaultPassword(password.encode(), "lab"))
    return written


def _write_secrets(workspace: Path, state: LabState, password: vault.VaultPassword) -> list[Path]:
    store = SecretStore(workspace / "inventory")
    written = []
    catalog = default_catalog()
    for practice in state.topology.practices:
        method = catalog.get(practice.pms).resolve(practice.vars)[0]
        if method is InstallMethod.CHROME_EXTENSION:
            kind = SecretKind.TOKEN
        elif method is InstallMethod.SELF_INSTALL:
            kind = SecretKind.PRODUCT_KEY
        else:
            continue  # engineer installs: fleet holds no key for them
        if store.exists(practice.id):
            try:
                if kind.var in store.read(practice.id, password):
                    continue
            except Exception as exc:  # a vault from another password: say so, never overwrite silently
                raise LabError(
                    f"cannot read the lab vault of {practice.id}: {exc}",
                    hint=f"use the password it was written with (${VAULT_PASSWORD_ENV}) or "
                    "`fleet lab down --purge` and start again",
                ) from None
        label = "TOKEN" if kind is SecretKind.TOKEN else "KEY"
        fake = f"LAB-{label}-{practice.id.upper()}-{pysecrets.token_hex(8)}"
        store.set(practice.id, kind, fake, password)
        written.append(store.path(practice.id))
    return written


def lab_secrets(workspace: Path, password: str | None = None) -> dict[str, dict[str, str]]:
    """Every practice's fake secrets (for tests that look for leaks)."""
    store = SecretStore(workspace / "inventory")
    pw = vault.VaultPassword((password or lab_vault_password()).encode(), "lab")
    out = {}
    gv = workspace / "inventory" / "group_vars"
    for d in sorted(gv.glob("practice_*")) if gv.is_dir() else []:
        pid = d.name[len("practice_") :]
        if store.exists(pid):
            out[pid] = store.read(pid, pw)
    return out


# -- the lab's sync endpoint --------------------------------------------------------------------------

ENDPOINT_FILE = "endpoint.json"  # under the engine dir: {"port", "pid", "start"}
ENDPOINT_MARKER = "fleet-lab-endpoint"
WEB_SERVER = Path(__file__).with_name("webserver.py")  # the lab's web server (sync endpoint, test extensions)


def _endpoint_state(workspace: Path) -> dict[str, Any]:
    import json

    try:
        doc = json.loads((engine_dir(workspace) / ENDPOINT_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _endpoint_pid(workspace: Path) -> int | None:
    """The endpoint's pid if the recorded process is still ours (same start time and command line)."""
    from fleet.lab import procs

    st = _endpoint_state(workspace)
    pid = st.get("pid")
    if not pid or not procs.is_alive(pid) or procs.start_time(pid) != st.get("start"):
        return None
    cmd = procs.cmdline(pid)
    return pid if ENDPOINT_MARKER in cmd and str(engine_dir(workspace)) in cmd else None


def endpoint_url(workspace: Path) -> str:
    """The lab's sync endpoint URL (a port is chosen the first time and kept)."""
    import json
    import socket

    st = _endpoint_state(workspace)
    port = st.get("port")
    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        engine_dir(workspace).mkdir(parents=True, exist_ok=True)
        write_atomic(engine_dir(workspace) / ENDPOINT_FILE, json.dumps({"port": port}))
    return f"http://127.0.0.1:{port}/sync"


def start_endpoint(workspace: Path) -> int:
    """Start the lab's local sync endpoint (HTTP 204 on 127.0.0.1) unless it runs; return its pid.

    It stands in for the vendor's sync endpoint that `fleet health` tests from each server (lab
    hosts share the machine's loopback). ``stop_endpoint`` (fleet lab down) stops exactly it."""
    import json
    import subprocess
    import sys
    import time

    from fleet.lab import procs

    pid = _endpoint_pid(workspace)
    if pid:
        return pid
    url = endpoint_url(workspace)
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    edir = engine_dir(workspace)
    log = edir / "endpoint.log"
    with open(log, "ab") as out:
        # Its own session: it outlives this process. (Where init does not reap orphans, as in some
        # containers, it stays a zombie once stopped: dead, holding no port.)
        proc = subprocess.Popen([sys.executable, "-I", str(WEB_SERVER), str(port), ENDPOINT_MARKER, str(edir)],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                                close_fds=True, cwd="/")
    deadline = time.monotonic() + 10
    while not procs.tcp_connect(port, timeout=0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            tail = log.read_text(errors="replace")[-300:].strip()
            raise LabError(f"the lab's sync endpoint could not listen on 127.0.0.1:{port}: {tail}",
                           hint=f"free the port, or delete {edir / ENDPOINT_FILE} to pick another one")
        time.sleep(0.05)
    write_atomic(edir / ENDPOINT_FILE, json.dumps({"port": port, "pid": proc.pid, "start": procs.start_time(proc.pid)}))
    return proc.pid


def stop_endpoint(workspace: Path) -> list[int]:
    """Stop the lab's sync endpoint if it is the process `start_endpoint` recorded."""
    from fleet.lab import procs

    pid = _endpoint_pid(workspace)
    if pid is None:
        return []
    procs.terminate([pid])
    return [pid]


def endpoint_running(workspace: Path) -> bool:
    return _endpoint_pid(workspace) is not None


# -- Chrome's part on the lab hosts --------------------------------------------------------------------

# browser flavour -> (managed policy folder, user-data dir under the login user's home)
BROWSER_FLAVORS: dict[str, tuple[str, str]] = {f.name: (f.policy, f.data) for f in FLAVORS["linux"]}
SIMULATED_VERSION = "1.0.0_0"
FORCE_MARKER = ".fleet-lab-force-installed"


def effective_forcelist(policy_dir: Path) -> list[str]:
    """ExtensionInstallForcelist as Chrome reads a managed folder: from the last file (by name) that
    sets it; files that are not valid JSON objects are skipped."""
    from fleet.desired.plan import parse_policy_json

    found: list[str] = []
    for f in sorted(policy_dir.glob("*.json")) if policy_dir.is_dir() else []:
        try:
            doc = parse_policy_json(f.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and isinstance(doc.get("ExtensionInstallForcelist"), list):
            found = [str(e) for e in doc["ExtensionInstallForcelist"]]
    return found


def simulate_browsers(workspace: Path) -> dict[str, int]:
    """Do on every running lab host what Chrome, Chromium and Edge do with their managed policy:
    install the force-listed extensions into every profile of an existing user-data dir and remove
    the force-installed ones that left the list. Returns {host: extensions installed or removed}."""
    import shutil

    from fleet.lab import Lab
    from fleet.lab.layout import login_user

    lab = Lab(engine_dir(workspace))
    _, home = login_user()
    changes: dict[str, int] = {}
    for rec in lab.state().hosts.values():
        hp = lab.paths.host(rec.name)
        n = 0
        for policy, data in BROWSER_FLAVORS.values():
            user_data = hp.fs_path(home / data)
            if not user_data.is_dir():
                continue
            wanted = {e.split(";", 1)[0].strip().lower() for e in effective_forcelist(hp.fs_path(policy))}
            for prof in [user_data / "Default", *sorted(user_data.glob("Profile *"))]:
                if not prof.is_dir():
                    continue
                ext_dir = prof / "Extensions"
                ext_dir.mkdir(exist_ok=True)
                for d in list(ext_dir.iterdir()):
                    if d.name not in wanted and (d / FORCE_MARKER).exists():
                        shutil.rmtree(d)
                        n += 1
                for ext_id in sorted(wanted):
                    target = ext_dir / ext_id / SIMULATED_VERSION
                    if not target.is_dir():
                        target.mkdir(parents=True)
                        (target / "manifest.json").write_text('{"manifest_version": 3, "name": "simulated"}\n')
                        (ext_dir / ext_id / FORCE_MARKER).write_text("")
                        n += 1
        changes[rec.name] = n
    return changes


# -- which lab a command means ------------------------------------------------------------------------

def is_lab_workspace(path: Path) -> bool:
    return (engine_dir(path) / "lab.json").is_file()


def lab_workspace_for(directory: Path | None, workspace_arg: str | None = None) -> Path:
    """The lab a ``fleet lab`` command acts on: ``--dir``; else the workspace in use (``-w``,
    $FLEET_WORKSPACE, the current directory or a parent) when it is a lab's; else the default lab.

    ``-w`` naming a workspace that is not a lab is an error (acting on another lab would be a
    surprise); a real MSP workspace found by the current directory just means "the default lab"."""
    from fleet.workspace import CONFIG_NAME, WORKSPACE_ENV

    if directory is not None:
        return directory.expanduser().resolve()
    explicit = workspace_arg or os.environ.get(WORKSPACE_ENV)
    if explicit:
        root = Path(explicit).expanduser().resolve()
        if is_lab_workspace(root):
            return root
        if workspace_arg:
            raise LabError(f"{root} is not a lab workspace (no {engine_dir(root) / 'lab.json'})",
                           hint="pass --dir LAB_DIR, or run the command from the lab's workspace")
    else:
        here = Path.cwd().resolve()
        for d in (here, *here.parents):
            if (d / CONFIG_NAME).is_file():
                if is_lab_workspace(d):
                    return d
                break
    return default_lab_dir().resolve()


def running_lab(workspace: Path) -> LabState:
    """The lab's state, provided at least one of its hosts runs; else a LabError saying it is stopped."""
    from fleet.lab import Lab

    lab = Lab(engine_dir(workspace))
    state = lab.state()
    up = [s for s in lab.status() if s.status == "up"]
    if not up:
        raise LabError(f"the lab at {workspace} is stopped (0 of {len(state.hosts)} hosts up)",
                       hint=f"start it: fleet lab up --dir {workspace}")
    return state


# -- real browsers -------------------------------------------------------------------------------------

def server_url(workspace: Path) -> str:
    """Base URL of the lab's web server (sync endpoint, test extensions, browser reports)."""
    return endpoint_url(workspace).rsplit("/sync", 1)[0]


def setup_browsers(workspace: Path, requested: str, workstations: int) -> LabBrowsers:
    """Decide the lab's browsers once, at creation (fleet.yml names the extensions); in real mode,
    (re)build the test extensions (same keys, same IDs). A lab from before real browsers keeps the
    simulation."""
    from fleet.lab import browser
    from fleet.workspace import CONFIG_NAME

    engine = engine_dir(workspace)
    current = browser.load(engine)
    if current is not None:
        mode = current.mode
    elif (workspace / CONFIG_NAME).exists():
        mode = SIMULATED  # its fleet.yml names fake Web Store IDs
    else:
        mode = browser.choose_mode(requested, workstations)
        if mode == REAL and not os.access(browser.CHROMIUM, os.X_OK):
            raise LabError(f"real browsers need Chromium ({browser.CHROMIUM} not found)",
                           hint="apt-get install -y chromium (scripts/bootstrap does), or --browsers simulated")
    if requested not in (browser.AUTO, mode):
        raise LabError(f"the lab at {workspace} has {mode} browsers (chosen when it was created)",
                       hint=f"fleet lab down --purge --dir {workspace}, then fleet lab up --browsers {requested}")
    result = (browser.build_test_extensions(engine, server_url(workspace), variant_fields()) if mode == REAL
              else LabBrowsers(SIMULATED, {}))
    browser.save(engine, result)
    return result


def start_browsers(workspace: Path, timeout: float = 60.0) -> tuple[list[str], dict[str, str]]:
    """Real mode: make each running workstation a real-browser one and start its Chromium (its boot
    script also does at every host start), then wait until each follows policy changes (a deploy
    before that may go unseen for 15 minutes: ``browser.await_policy_watch``). Returns the
    workstations, and those whose Chromium did not get there with why."""
    from fleet.lab import Lab, browser

    b = browser.load(engine_dir(workspace))
    if b is None or b.mode != REAL:
        return [], {}
    lab = Lab(engine_dir(workspace))
    state = lab.state()
    names = [n for n, r in state.hosts.items() if r.role == "workstation" and r.status == "up"]
    hosts = {n: (lab.paths.host(n), state.hosts[n].mnt_ns) for n in names}
    for n, (hp, mnt_ns) in hosts.items():
        if browser.prepare_workstation(hp, n):
            browser.stop_chromium(hp, mnt_ns)  # started by an older boot script: restart with today's flags
    lab.run_boot_scripts(names)
    return names, browser.await_policy_watch(hosts, timeout)


def await_browser(workspace: Path, host: str, timeout: float = 60.0) -> str | None:
    """After a workstation of a real-browser lab starts: wait until its Chromium follows policy
    changes; None when it does (or the lab has no real browsers), else why not."""
    from fleet.lab import Lab, browser

    b = browser.load(engine_dir(workspace))
    lab = Lab(engine_dir(workspace))
    rec = lab.state().record(host)
    if b is None or b.mode != REAL or rec.role != "workstation":
        return None
    return browser.await_policy_watch({host: (lab.paths.host(host), rec.mnt_ns)}, timeout).get(host)


def browser_rows(workspace: Path, password: str | None = None) -> list[dict[str, Any]]:
    """Per workstation of a real-browser lab: Chromium running and its memory, whether the policy
    force-lists the practice's test extension, whether it is installed in the profile, and whether
    the extension's managed settings match the practice's (fingerprints only)."""
    from fleet.desired.seen import value_fingerprints
    from fleet.lab import Lab, browser
    from fleet.secrets.store import fingerprint

    engine = engine_dir(workspace)
    b = browser.load(engine)
    if b is None or b.mode != REAL:
        return []
    lab = Lab(engine)
    state = lab.state()
    catalog = default_catalog()
    secrets = lab_secrets(workspace, password)
    rows: list[dict[str, Any]] = []
    for rec in state.hosts.values():
        if rec.role != "workstation":
            continue
        practice = state.topology.practice(rec.practice)
        variant = catalog.get(practice.pms).extension_variant or LAB_VARIANT_FOR.get(practice.pms)
        ext_id = b.extensions.get(variant or "")
        hp = lab.paths.host(rec.name)
        pids = browser.chromium_pids(rec.mnt_ns, rec.uts_ns) if rec.status == "up" else []
        if rec.status != "up":
            rows.append({"host": rec.name, "practice": rec.practice, "browser": "host down", "memory_mb": 0.0,
                         "extension_id": "", "policy": "-", "installed": "-", "settings": "-", "converged": True})
            continue
        row: dict[str, Any] = {"host": rec.name, "practice": rec.practice, "browser": "running" if pids else "stopped",
                               "memory_mb": browser.memory_mb(pids) if pids else 0.0, "extension_id": ext_id or "",
                               "policy": "-", "installed": "-", "settings": "-"}
        if ext_id:
            listed = browser.forcelisted(hp, ext_id)
            versions = browser.installed_versions(hp, ext_id)
            expected = {"token": frozenset({fingerprint(secrets.get(rec.practice, {}).get("fleet_token", ""))})}
            for field, var in _EXTRA_FIELDS.get(variant or "", {}).items():
                if var in practice.vars:
                    expected[field] = value_fingerprints(practice.vars[var])
            row |= {"policy": "listed" if listed else "absent", "installed": ",".join(versions) or "no",
                    "settings": browser.settings_verdict(browser.read_report(engine, rec.name, ext_id), expected)
                    if versions else "-"}
            row["converged"] = bool(pids) and (
                (listed and bool(versions) and row["settings"] == "ok") or (not listed and not versions))
        else:
            row["converged"] = bool(pids)
        rows.append(row)
    return rows


def wait_for_browsers(workspace: Path, timeout: float = 90.0, password: str | None = None) -> list[dict[str, Any]]:
    """Poll ``browser_rows`` until every workstation's Chromium has done what its policy says
    (installed with the right settings, or removed), or ``timeout`` passes; return the last rows,
    a late one with ``why`` (from its Chromium's log)."""
    import time

    from fleet.lab import Lab, browser

    deadline = time.monotonic() + timeout
    while True:
        rows = browser_rows(workspace, password)
        if all(r["converged"] for r in rows) or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    lab = Lab(engine_dir(workspace))
    state = lab.state()
    for r in rows:
        if not r["converged"]:
            r["why"] = browser.explain_late(lab.paths.host(r["host"]), state.hosts[r["host"]].mnt_ns)
    return rows
