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

The Linux stand-in of the Synchronizer is ``fleet.lab.standin``; the lab's web server
``fleet.lab.endpoint``; its browsers ``fleet.lab.browsers`` (real) and ``fleet.lab.simulated_chrome``.
"""

from __future__ import annotations

import hashlib
import os
import secrets as pysecrets
from pathlib import Path
from typing import Any

from fleet.catalog import InstallMethod, default_catalog
from fleet.desired.plan import LINUX_SYNC_ROOT
from fleet.example import fake_extension_id
from fleet.lab.browser import REAL, LabBrowsers
from fleet.lab.errors import LabError
from fleet.lab.inventory import write_inventory
from fleet.lab.sshkeys import write_atomic
from fleet.lab.standin import SYNC_VERSION, build_synchronizer_package
from fleet.lab.state import LabState
from fleet.secrets import vault
from fleet.secrets.store import SecretKind, SecretStore

DEFAULT_VAULT_PASSWORD = "fleet-lab"
VAULT_PASSWORD_ENV = "FLEET_LAB_VAULT_PASSWORD"
LAB_DIR_ENV = "FLEET_LAB_DIR"
VAULT_PASS_FILE = ".vault-pass"
DEFAULT_PRACTICES = 3
DEFAULT_WORKSTATIONS = 2
WEB_STORE = "https://clients2.google.com/service/update2/crx"
LAB_VARIANT_FOR = {"modmed": "v5"}  # systems whose variant the catalog leaves to the MSP


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


# -- the workspace ----------------------------------------------------------------------------------

# Managed-storage settings the fake extension variants carry besides the token (policy field -> var).
EXTRA_FIELDS: dict[str, dict[str, str]] = {
    "v2": {"practice_url": "fleet_pms_url"},
    "v3": {"practice_url": "fleet_pms_url", "org_alias": "fleet_pms_org_alias"},
    "v4": {"practice_url": "fleet_pms_url"},
    "v5": {"online_booking": "fleet_online_booking", "default_appointment_type": "fleet_default_appointment_type"},
    "v7": {"online_booking": "fleet_online_booking", "default_appointment_type": "fleet_default_appointment_type"},
}


def variant_fields() -> dict[str, list[str]]:
    """Managed fields of each of the lab's extension variants (the token first)."""
    return {f"v{i}": ["token", *EXTRA_FIELDS.get(f"v{i}", {})] for i in range(1, 8)}


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
        if f"v{i}" in EXTRA_FIELDS:
            v["extra_fields"] = EXTRA_FIELDS[f"v{i}"]
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


