"""The workspace: one directory holding fleet.yml, the Ansible inventory, the vaults and fleet's state.

``Workspace`` is the service object the CLI puts on ``ctx.obj``; everything else takes what it
needs from it (config, inventory, catalog, secrets, vault password).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import yaml

from fleet.catalog import Catalog, default_catalog
from fleet.config import FleetConfig, load_config
from fleet.errors import ConfigError, FleetError, Location, VaultError
from fleet.inventory.model import Inventory, Practice, load_inventory
from fleet.resources import data_dir
from fleet.secrets import vault
from fleet.secrets.store import SecretKind, SecretStore, fingerprint

if TYPE_CHECKING:
    from fleet.inventory.validate import Report
    from fleet.onboarding.status import PracticeOnboarding

CONFIG_NAME = "fleet.yml"
WORKSPACE_ENV = "FLEET_WORKSPACE"


class Workspace:
    def __init__(self, root: Path, password_file: str | None = None,
                 prompt: Callable[[], str] | None = None) -> None:
        self.root = root.resolve()
        self._password_file = password_file
        self._prompt = prompt
        self._password: vault.VaultPassword | None = None

    # -- locating ---------------------------------------------------------------------------------
    @classmethod
    def find(cls, path: str | None = None, password_file: str | None = None,
             prompt: Callable[[], str] | None = None) -> Workspace:
        """The workspace at ``path``, $FLEET_WORKSPACE, or the current directory or a parent."""
        if path or os.environ.get(WORKSPACE_ENV):
            root = Path(path or os.environ[WORKSPACE_ENV]).expanduser()
            if not (root / CONFIG_NAME).is_file():
                raise ConfigError(f"not a fleet workspace (no {CONFIG_NAME})", where=Location(str(root)),
                                  hint="run `fleet init DIR` to create one")
            return cls(root, password_file, prompt)
        here = Path.cwd()
        for d in (here, *here.parents):
            if (d / CONFIG_NAME).is_file():
                return cls(d, password_file, prompt)
        raise ConfigError(
            f"no fleet workspace here (no {CONFIG_NAME} in {here} or its parents)",
            hint="cd into a workspace, pass --workspace DIR, set FLEET_WORKSPACE, or run `fleet init DIR`",
        )

    # -- parts ------------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def inventory_dir(self) -> Path:
        return self.root / "inventory"

    @property
    def state_dir(self) -> Path:
        d = self.root / "state"
        d.mkdir(exist_ok=True)
        return d

    @cached_property
    def config(self) -> FleetConfig:
        return load_config(self.config_path)

    @cached_property
    def inventory(self) -> Inventory:
        return load_inventory(self.inventory_dir)

    @cached_property
    def catalog(self) -> Catalog:
        return default_catalog()

    @cached_property
    def secrets(self) -> SecretStore:
        return SecretStore(self.inventory_dir)

    def store_url(self) -> str:
        """The store URL with a relative sqlite path made relative to the workspace."""
        url = os.environ.get("FLEET_STORE_URL") or self.config.store_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            return prefix + str(self.root / url[len(prefix):])
        return url

    # -- vault ------------------------------------------------------------------------------------
    def ansible_cfg_password_file(self) -> Path | None:
        """``vault_password_file`` of the workspace's ansible.cfg (relative to it), as Ansible reads it."""
        import configparser

        cfg = configparser.ConfigParser(interpolation=None)
        try:
            cfg.read(self.root / "ansible.cfg")
            value = cfg.get("defaults", "vault_password_file", fallback="").strip()
        except configparser.Error:
            return None
        return (self.root / Path(value).expanduser()) if value else None

    @overload
    def password(self, required: Literal[True] = True) -> vault.VaultPassword: ...
    @overload
    def password(self, required: bool) -> vault.VaultPassword | None: ...

    def password(self, required: bool = True) -> vault.VaultPassword | None:
        """The vault password: --vault-password-file, the env vars, ansible.cfg, then a prompt.
        ``required`` (the default): none found is a VaultError, so the result is never None."""
        if self._password is None:
            self._password = vault.resolve_password(self._password_file, None)
        if self._password is None:  # after --vault-password-file and the env vars: ansible.cfg, then a prompt
            cfg_file = self.ansible_cfg_password_file()
            self._password = vault.resolve_password(cfg_file, self._prompt) if cfg_file else \
                vault.resolve_password(None, self._prompt)
        if self._password is None and required:
            raise VaultError(
                "no vault password",
                hint="set FLEET_VAULT_PASSWORD, FLEET_VAULT_PASSWORD_FILE or pass --vault-password-file",
            )
        return self._password

    def refuse_example(self, action: str) -> None:
        """fleet's example workspace (fleet.yml ``example: true``) is never connected to: its hosts are
        fictitious, and whatever answers at their addresses on the user's network is not theirs."""
        if self.config.example:
            raise FleetError(
                f"this is fleet's example workspace ({self.config_path}: example: true): its hosts are "
                f"fictitious, so fleet does not {action}",
                hint="try it on real hosts on this machine: `fleet lab up`, then `fleet deploy --yes` and "
                     "`fleet health` (they use the lab's workspace)")

    def secret_check(self, practice: Practice, var: str) -> str | None:
        """Problem with the practice's secret for ``var``, or None. Decrypts only if a password is at hand."""
        label = "extension token" if var == "fleet_token" else "product key"
        if not self.secrets.exists(practice.id):
            return self.secrets.problem(practice.id) or f"no {label} stored for this practice"
        pw = self.password(required=False)
        if pw is None:
            return None
        try:
            data = self.secrets.read(practice.id, pw)
        except VaultError as exc:
            return exc.message
        if var not in data:
            return f"the practice's vault has no {label} ({var})"
        return None

    def secret_fingerprints(self) -> dict[str, dict[str, str]] | None:
        """Practice id -> {vault var: fingerprint} of every readable vault; None without a password."""
        pw = self.password(required=False)
        if pw is None:
            return None
        out: dict[str, dict[str, str]] = {}
        for pid in self.inventory.practices:
            if self.secrets.exists(pid):
                try:
                    out[pid] = {k: fingerprint(v) for k, v in self.secrets.read(pid, pw).items()}
                except VaultError:
                    continue  # secret_check reports an unreadable vault
        return out

    def onboarding(self, practices: list[Practice]) -> dict[str, PracticeOnboarding]:
        """Lifecycle state and checklist of ``practices``, from the store (raises StoreError)."""
        from fleet.onboarding.status import load_onboarding
        from fleet.store import Store

        store = Store(self.store_url())
        try:
            return load_onboarding(store, practices, self.catalog)
        finally:
            store.close()

    def validate(self, practices: list[Practice] | None = None) -> Report:
        # imported here: validation reads the store (SQLAlchemy), which commands like the sweep
        # only need after their first connections are on their way
        from fleet.inventory.validate import Finding, Level, validate

        chosen = practices if practices is not None else list(self.inventory.practices.values())
        try:
            onboarding = self.onboarding(chosen)
            unavailable = None
        except FleetError as exc:  # readiness does not need the store: say so, keep going
            onboarding, unavailable = None, exc
        report = validate(self.inventory, self.catalog, self.config, self.secret_check, practices,
                          secret_fingerprints=self.secret_fingerprints(), onboarding=onboarding)
        if unavailable is not None:
            report.general.append(Finding(Level.WARNING, f"onboarding state not shown: {unavailable.message}",
                                          hint=unavailable.hint or "check store.url in fleet.yml"))
        return report


# -- creating -------------------------------------------------------------------------------------

CONFIG_TEMPLATE = """\
# fleet workspace configuration. Secrets never go here: see `fleet secrets set`.
{example}msp:
  name: {msp_name}

# The vendor's browser extension, one ID per variant (v1..v7) and browser. An ID is 32 letters a-p.
# A Chrome Web Store extension installs in Edge with the same ID and update URL, but only on Windows
# machines joined to AD or Entra ID (or MDM-enrolled). On workgroup machines Edge force-installs only
# extensions from the Edge Add-ons site: give that build's ID as `edge_addons:` (fleet picks it per
# host from fleet_join: domain | entra | workgroup). `previous_ids: [...]` lists IDs a variant used
# before: deploy, exports and health remove / flag them wherever they are still configured.
{extensions}
# The on-prem Synchronizer installer: fleet downloads it on the server, verifies the SHA-256 and
# installs it silently with the practice's product key (passed as product_key_property=...).
{synchronizer}
# Endpoint the health sweep checks outbound HTTPS to, from each server.
sync_endpoint: {sync_endpoint}

# Central store for health results and the deploy audit trail. Default: SQLite in this workspace.
# PostgreSQL: postgresql+psycopg://user@host/dbname
store:
  url: {store_url}

# Alert targets (kind: webhook | slack | teams), sent for newly failing / resolved checks.
# debounce: consecutive failing sweeps before a check alerts.
{alerts}"""


def _dump(key: str, value: object) -> str:
    return yaml.safe_dump({key: value}, sort_keys=False, default_flow_style=False)


def render_config(cfg: Mapping[str, Any]) -> str:
    """fleet.yml for `fleet init`: the answers (a parsed-YAML-like mapping) in the commented template."""
    return CONFIG_TEMPLATE.format(
        example=("# fleet's example: its hosts are fictitious. `fleet deploy` and `fleet health` refuse to run\n"
                 "# here; `fleet lab up` gives real hosts on this machine to try them on.\nexample: true\n\n"
                 if cfg.get("example") else ""),
        msp_name=yaml.safe_dump(cfg["msp"]["name"]).splitlines()[0],
        extensions=_dump("extensions", cfg["extensions"]),
        synchronizer=_dump("synchronizer", cfg["synchronizer"]),
        sync_endpoint=cfg["sync_endpoint"],
        store_url=cfg["store"]["url"],
        alerts=_dump("alerts", cfg["alerts"]),
    )


ANSIBLE_CFG = """\
# Lets plain ansible-playbook use this workspace: ansible-playbook {playbooks}/deploy.yml
[defaults]
inventory = inventory
roles_path = {roles}
filter_plugins = {playbooks}/filter_plugins
collections_path = {collections}:~/.ansible/collections:/usr/share/ansible/collections
host_key_checking = True
retry_files_enabled = False
interpreter_python = auto_silent

[ssh_connection]
pipelining = True
"""

GITIGNORE = "state/\n*.retry\n.vault-pass*\n"


def write_ansible_cfg(root: Path) -> None:
    (root / "ansible.cfg").write_text(
        ANSIBLE_CFG.format(playbooks=data_dir("playbooks"), roles=data_dir("roles"),
                          collections=data_dir("collections"))
    )


def init_workspace(root: Path, example: bool = False, password: vault.VaultPassword | None = None,
                   force: bool = False) -> list[Path]:
    """Create a workspace; returns the files written. Refuses to overwrite an existing one."""
    from fleet import example as ex

    root = root.expanduser()
    if (root / CONFIG_NAME).exists() and not force:
        raise FleetError(f"{root} is already a fleet workspace", where=Location(str(root / CONFIG_NAME)),
                         hint="choose another directory (or pass --force to rewrite fleet.yml and ansible.cfg)")
    if example and password is None:
        password = vault.VaultPassword(ex.EXAMPLE_VAULT_PASSWORD.encode(), "example")
    written: list[Path] = []
    (root / "inventory" / "group_vars").mkdir(parents=True, exist_ok=True)
    (root / "state").mkdir(exist_ok=True)
    cfg = ex.example_config() if example else {
        "msp": {"name": "My MSP"},
        "extensions": {"update_url": "https://clients2.google.com/service/update2/crx", "variants": {}},
        "synchronizer": {"version": "", "url": "", "sha256": "", "silent_args": "/qn /norestart",
                         "product_key_property": "PRODUCTKEY", "service_name": "Synchronizer"},
        "sync_endpoint": "", "store": {"url": "sqlite:///state/fleet.db"}, "alerts": [],
    }
    if not example:
        # An empty synchronizer block would fail validation with a clear message; keep it commented.
        cfg_text = render_config({**cfg, "synchronizer": {}}).replace("synchronizer: {}\n", (
            "# synchronizer:\n#   version: \"4.2.0\"\n#   url: https://vendor.example/Synchronizer.msi\n"
            "#   sha256: <64 hex chars>\n#   silent_args: /qn /norestart\n"))
        cfg_text = cfg_text.replace("sync_endpoint: \n", "sync_endpoint: \"\"\n")
    else:
        cfg_text = render_config(cfg)
    (root / CONFIG_NAME).write_text(cfg_text)
    written.append(root / CONFIG_NAME)
    write_ansible_cfg(root)
    written.append(root / "ansible.cfg")
    (root / ".gitignore").write_text(GITIGNORE)
    if example:
        store = SecretStore(root / "inventory")
        for cid, doc in ex.example_clients().items():
            path = root / "inventory" / f"{cid}.yml"
            path.write_text(f"# Client {cid}: Ansible YAML inventory (fleet example data, all fake)\n"
                            + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False))
            written.append(path)
        assert password is not None
        for pid, (kind, secret) in ex.example_secrets().items():
            store.set(pid, SecretKind(kind), secret, password)
            written.append(store.path(pid))
        # The example's practices are at different onboarding steps (fleet practice list).
        db = root / "state" / "fleet.db"
        ex.seed_example_lifecycle(f"sqlite:///{db}", ex.example_clients())
        written.append(db)
    return written
