"""The deploy plan: per host, what must be there, computed once in Python from the policy model.

``plan_host()`` turns a host of the inventory (+ its practice's secret, the catalog and fleet.yml)
into a ``HostPlan``: for a workstation, per browser the forcelist entry and managed values
(Windows registry values, Linux policy JSON, or "macOS needs an MDM profile"); for a server, the
Synchronizer action (install / skip with the reason / remove) with its package URL, SHA-256,
version, installer arguments and service name. A plan holds no secret: only fingerprints. The
roles fill the secret in from the vault var inside ``no_log`` tasks.

The second half are the decisions that need something seen on the machine, pyinfra style
(wanted + seen -> changes), all pure functions:

* ``pick_forcelist_slot`` / ``windows_changes``: which numbered ``ExtensionInstallForcelist``
  value is ours (Chrome stops reading the list at the first missing number, so we take the value
  already holding our ID, else the lowest free number; other software's values are never touched);
* ``linux_changes``: our policy JSON per folder, carrying other files' forcelist entries too
  (Chrome does not merge one list policy across files of a folder: the last file by name wins);
* ``synchronizer_changes``: install / upgrade / start / remove the Synchronizer.

The Ansible filter plugin (``playbooks/filter_plugins/fleet_plan.py``) only adapts Ansible's
variables and module results to these functions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from fleet.catalog import Catalog, InstallMethod
from fleet.config import FleetConfig, SynchronizerPackage
from fleet.desired import concerns
from fleet.desired.context import PlanError, host_context
from fleet.desired.platforms import (
    ABSENT,
    FORCELIST,
    LINUX_POLICY_DIRS,
    PRESENT,
    REGISTRY_ROOT,
    STATES,
    edge_addons,
)
from fleet.desired.policy import (
    REG_DWORD,
    EdgeBuildError,
    ExtensionPolicy,
    PracticePolicy,
    practice_policy,
    removal_policy,
)
from fleet.desired.seen import (
    InstalledProduct,
    PolicyFileSeen,
    PolicyFilesSeen,
    RegistrySeen,
    SeenValue,
    SynchronizerSeen,
    value_fingerprints,
)
from fleet.errors import FleetError
from fleet.inventory.model import Host, Practice
from fleet.plain import as_dict
from fleet.secrets.store import PRODUCT_KEY_VAR, TOKEN_VAR, fingerprint

# Extension actions
APPLY, REMOVE, MDM_REQUIRED, NONE = "apply", "remove", "mdm_required", "none"
# Synchronizer actions
INSTALL, SKIP = "install", "skip"

HKLM = "HKLM:\\"
ENGINEER_REASON = "schedule with the vendor's engineer"
LINUX_SYNC_SERVICE = "fleet-synchronizer"
# Where fleet records what it installed on a Windows server (version, product-key fingerprint).
WINDOWS_MARKER_KEY = HKLM + r"SOFTWARE\fleet\Synchronizer"
WINDOWS_DOWNLOAD_DIR = r"C:\ProgramData\fleet\downloads"
LINUX_SYNC_ROOT = "/opt/fleet-lab/synchronizer"


def linux_file_name(practice_id: str) -> str:
    """Our policy file's name in each managed-policy folder."""
    return f"fleet-{practice_id}.json"


# -- the plan ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegValue:
    """One registry value as win_regedit takes it. Secret values carry no data (``data`` None)."""

    key: str  # HKLM:\SOFTWARE\...
    name: str
    type: str  # string | dword (win_regedit's names)
    data: str | int | None
    secret: bool = False


@dataclass(frozen=True)
class BrowserPlan:
    """Our extension in one browser: where its policy lives on each platform."""

    browser: str
    extension_id: str
    forcelist_entry: str
    forcelist_key: str  # HKLM:\...\ExtensionInstallForcelist
    extension_key: str  # HKLM:\...\3rdparty\extensions\<id>   (all ours)
    managed_key: str  # extension_key\policy
    managed_values: tuple[RegValue, ...]
    linux_dirs: tuple[str, ...]
    linux_document: Mapping[str, Any]  # our policy JSON, the token value left out (None)
    macos_forcelist_domain: str
    macos_extension_domain: str
    # IDs of the variant that must not stay in this browser (fleet.yml previous_ids; in Edge the other
    # store's build): their forcelist entries and their whole 3rdparty\extensions\<id> key go.
    stale_ids: tuple[str, ...] = ()
    extensions_key: str = ""  # HKLM:\...\3rdparty\extensions (its subkeys show which stale keys exist)


@dataclass(frozen=True)
class ExtensionPlan:
    action: str  # apply | remove | mdm_required | none
    reason: str = ""
    browsers: tuple[BrowserPlan, ...] = ()  # to apply
    remove_browsers: tuple[BrowserPlan, ...] = ()  # ours to remove (state absent, or browser no longer managed)
    linux_file_name: str = ""
    linux_dirs: tuple[str, ...] = ()  # the managed-policy folders our files go to
    linux_scan_paths: tuple[str, ...] = ()  # where one `find` sees every folder we write or clean up
    linux_scan_depth: int = 0
    token_field: str = ""
    token_fingerprint: str = ""
    variant: str = ""


@dataclass(frozen=True)
class SynchronizerPlan:
    action: str  # install | skip | remove | none
    reason: str = ""
    platform: str = ""
    version: str = ""
    url: str = ""
    sha256: str = ""
    package_file: str = ""  # file name the download is saved as
    package_path: str = ""  # download_dir + package_file, in the server's path syntax
    silent_args: str = ""
    product_key_property: str = ""
    service_name: str = ""
    product_id: str = ""
    upgrade_code: str = ""  # Windows: finds the installed product whatever its version
    display_name: str = ""  # Windows: the same, by the start of its Programs and Features name
    product_key_fingerprint: str = ""
    download_dir: str = ""  # where the package is saved on the server
    install_root: str = ""  # Linux stand-in: its install folder
    marker_key: str = ""  # Windows: fleet's record of the installed version and key fingerprint


@dataclass(frozen=True)
class HostPlan:
    host: str
    practice_id: str
    client_id: str
    role: str
    platform: str
    state: str
    install_method: str
    extension: ExtensionPlan
    synchronizer: SynchronizerPlan
    error: str = ""
    roles: tuple[str, ...] = ()  # the roles the deploy playbook includes for this host

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, what the roles consume (``fleet_plan``)."""
        return {k: _plain(v) for k, v in as_dict(self).items()}

    @property
    def touches(self) -> bool:
        """True if applying the plan may change the machine (something to connect for)."""
        return self.extension.action in (APPLY, REMOVE) or self.synchronizer.action in (INSTALL, REMOVE)

    def describe(self) -> str:
        """One line for a human: what a deploy will do on this host."""
        if self.error:
            return f"error: {self.error}"
        parts = []
        ext, sync = self.extension, self.synchronizer
        if ext.action == APPLY:
            names = [b.browser + (" Edge Add-ons build" if edge_addons(b.forcelist_entry.split(";", 1)[-1]) else "")
                     for b in ext.browsers]
            parts.append(f"extension policy ({', '.join(names)}) via "
                         + ("registry" if self.platform == "windows" else "policy JSON"))
            stale = sorted({i for b in ext.browsers for i in b.stale_ids})
            if stale:
                parts.append(f"other IDs of the extension removed where found ({', '.join(stale)})")
        elif ext.action == REMOVE:
            parts.append(f"remove extension policy ({', '.join(b.browser for b in ext.remove_browsers)})")
        elif ext.action == MDM_REQUIRED:
            parts.append(ext.reason)
        if sync.action == INSTALL:
            parts.append(f"Synchronizer {sync.version} (install/upgrade if needed)")
        elif sync.action == REMOVE:
            parts.append("uninstall the Synchronizer")
        elif sync.action == SKIP:
            parts.append(f"Synchronizer skipped: {sync.reason}")
        return "; ".join(parts) or f"nothing to deploy ({ext.reason or sync.reason or 'no role here'})"


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _reg_type(t: str) -> str:
    return "dword" if t == REG_DWORD else "string"


def _browser_plan(ext: ExtensionPolicy, secret_field: str | None) -> BrowserPlan:
    values = tuple(
        RegValue(HKLM + v.key, v.name, _reg_type(v.type), None if v.secret else v.data, v.secret)
        for v in ext.managed_values()
    )
    doc = ext.linux_json()
    if secret_field is not None:
        doc["3rdparty"]["extensions"][ext.extension_id][secret_field] = None
    return BrowserPlan(
        browser=ext.browser,
        extension_id=ext.extension_id,
        forcelist_entry=ext.forcelist_entry,
        forcelist_key=HKLM + ext.forcelist_key,
        extension_key=HKLM + ext.managed_key.rsplit("\\", 1)[0],
        managed_key=HKLM + ext.managed_key,
        managed_values=values,
        linux_dirs=LINUX_POLICY_DIRS[ext.browser],
        linux_document=doc,
        macos_forcelist_domain=ext.macos_forcelist_domain,
        macos_extension_domain=ext.macos_extension_domain,
        stale_ids=ext.stale_ids,
        extensions_key=HKLM + ext.managed_key.rsplit("\\", 2)[0],
    )


def _removal_plans(browsers: Iterable[str], removal: PracticePolicy) -> tuple[BrowserPlan, ...]:
    """Browser plans that only name our IDs and keys (for removal: no token, no managed values)."""
    wanted = set(browsers)
    return tuple(_browser_plan(replace(e, token_field=""), None) for e in removal.extensions if e.browser in wanted)


def _scan_roots(dirs: Iterable[str]) -> tuple[tuple[str, ...], int]:
    """The folders one recursive `find` must start from to see every policy folder (``/etc/opt``,
    ``/etc/chromium``: they exist even where a browser's own folder does not), and how deep to go."""
    roots: list[str] = []
    depth = 1
    for d in dirs:
        parts = d.rstrip("/").split("/")
        root = "/".join(parts[:3])
        if root not in roots:
            roots.append(root)
        depth = max(depth, len(parts) - 3 + 1)
    return tuple(roots), depth


def plan_host(
    host: Host,
    practice: Practice,
    secrets: Mapping[str, str],
    catalog: Catalog,
    config: FleetConfig,
    state: str | None = None,
) -> HostPlan:
    """What must be on ``host``. ``secrets`` holds the practice's vault vars (fleet_token /
    fleet_product_key); only their fingerprints reach the plan. ``state`` overrides ``fleet_state``.

    Raises PlanError (or another FleetError) when the plan cannot be made.
    """
    if state is not None and state not in STATES:
        raise PlanError(f"unknown state {state!r}; must be present or absent")
    ctx = host_context(host, practice, state)
    state, practice = ctx.state, ctx.practice
    system = catalog.get(practice.pms)
    method, reason = system.resolve(practice.vars)
    base = {"host": host.name, "practice_id": practice.id, "client_id": practice.client_id, "role": host.role,
            "platform": host.platform, "state": state, "install_method": method.value}
    if method is InstallMethod.UNSUPPORTED:
        raise PlanError(f"{practice.id}: cannot be synced: {reason}",
                        hint="fleet refuses unsupported practices; see `fleet inventory validate`")
    ext = ExtensionPlan(NONE, "")
    sync = SynchronizerPlan(NONE, "")
    if host.role == "workstation" and not ctx.uses_pms and method is InstallMethod.CHROME_EXTENSION:
        ext = ExtensionPlan(NONE, "fleet_uses_pms is false: nobody uses the PMS here, no extension expected")
        sync = SynchronizerPlan(NONE, "workstation")
    elif host.role == "workstation":
        ext = _extension_plan(host, practice, method, secrets, catalog, config, state, ctx.join)
        sync = SynchronizerPlan(NONE, "workstation")
    elif host.role == "server":
        ext = ExtensionPlan(NONE, "server")
        sync = _synchronizer_plan(host, practice, method, reason, secrets, config, state)
    else:
        raise PlanError(f"{host.name}: fleet_role is {host.role or 'missing'!r}; must be workstation or server")
    roles = (("chrome_extension_policy",) if ext.action != NONE else ()) + (
        ("synchronizer",) if sync.action != NONE else ())
    return HostPlan(**base, extension=ext, synchronizer=sync, roles=roles)


def _extension_plan(host: Host, practice: Practice, method: InstallMethod, secrets: Mapping[str, str],
                    catalog: Catalog, config: FleetConfig, state: str, join: str | None = None) -> ExtensionPlan:
    if method is not InstallMethod.CHROME_EXTENSION:
        return ExtensionPlan(NONE, "on-premises practice: nothing to install on workstations")
    if host.platform == "macos":
        return ExtensionPlan(MDM_REQUIRED, "macOS needs an MDM configuration profile: "
                             f"fleet export mobileconfig --practice {practice.id}")
    if host.platform not in ("windows", "linux"):
        raise PlanError(f"{host.name}: fleet_platform is {host.platform or 'missing'!r}; "
                        "must be windows, linux or macos")
    system = catalog.get(practice.pms)
    variant = config.variant_for(system.id, system.name, system.extension_variant)
    managed_browsers = [b for b in practice.browsers if b in REGISTRY_ROOT]
    unknown = [b for b in practice.browsers if b not in REGISTRY_ROOT]
    if unknown:
        raise PlanError(f"{practice.id}: unknown browser {unknown[0]!r} in fleet_browsers",
                        hint="use chrome and/or edge")
    removal = removal_policy(practice, catalog, config)
    scan_paths, scan_depth = _scan_roots([d for b in REGISTRY_ROOT for d in LINUX_POLICY_DIRS[b]])
    common: _ExtensionCommon = {
        "linux_file_name": linux_file_name(practice.id), "token_field": variant.token_field,
        "variant": variant.name, "linux_scan_paths": scan_paths, "linux_scan_depth": scan_depth}
    if state == ABSENT:
        return ExtensionPlan(REMOVE, "fleet_state is absent",
                             remove_browsers=_removal_plans(REGISTRY_ROOT, removal), **common)
    token = secrets.get(TOKEN_VAR, "")
    try:  # Windows: Edge's build follows the host's join state (fleet_join)
        policy = practice_policy(practice, token, catalog, config, join=join)
    except EdgeBuildError as exc:
        raise PlanError(f"{host.name} (fleet_join: {join}): {exc.message}", hint=exc.hint) from None
    browsers = tuple(_browser_plan(e, e.token_field) for e in policy.extensions)
    # Browsers fleet does not manage here (any more): remove our entries there. Each browser has its
    # own registry root and policy folders, so this never touches a managed browser's entries.
    stale = [b for b in REGISTRY_ROOT if b not in managed_browsers]
    return ExtensionPlan(APPLY, "", browsers=browsers,
                         remove_browsers=_removal_plans(stale, removal),
                         linux_dirs=tuple(d for b in browsers for d in b.linux_dirs),
                         token_fingerprint=policy.token_fingerprint, **common)


class _ExtensionCommon(TypedDict):
    """The ExtensionPlan fields an apply and a remove share."""

    linux_file_name: str
    token_field: str
    variant: str
    linux_scan_paths: tuple[str, ...]
    linux_scan_depth: int


def _synchronizer_plan(host: Host, practice: Practice, method: InstallMethod, reason: str,
                       secrets: Mapping[str, str], config: FleetConfig, state: str) -> SynchronizerPlan:
    if method is InstallMethod.CHROME_EXTENSION:
        return SynchronizerPlan(NONE, "cloud practice: the Synchronizer is not installed on servers")
    if method is InstallMethod.ENGINEER_INSTALL:
        why = ENGINEER_REASON + (f" ({reason})" if reason else "")
        return SynchronizerPlan(SKIP, why, platform=host.platform)
    # self_install
    if host.platform == "macos":
        raise PlanError(f"{host.name}: the Synchronizer runs on Windows servers (Linux: the lab stand-in), not macOS")
    if host.platform not in ("windows", "linux"):
        raise PlanError(f"{host.name}: fleet_platform is {host.platform or 'missing'!r}; must be windows or linux")
    pkg = config.synchronizer
    where = str(config.path) if config.path else "fleet.yml"
    if pkg is None:
        raise PlanError(f"{practice.id}: no Synchronizer installer configured in {where}",
                        hint="add synchronizer: {version, url, sha256} to fleet.yml")
    url, sha = _package_source(pkg, host.platform, where)
    common = {"platform": host.platform, "version": pkg.version, "url": url, "sha256": sha,
              "package_file": _package_file(url, pkg.version, host.platform),
              "silent_args": pkg.silent_args, "product_key_property": pkg.product_key_property,
              "service_name": pkg.service_name if host.platform == "windows" else LINUX_SYNC_SERVICE,
              "product_id": pkg.product_id, "upgrade_code": pkg.upgrade_code, "display_name": pkg.display_name}
    if host.platform == "windows":
        common |= {"download_dir": WINDOWS_DOWNLOAD_DIR, "marker_key": WINDOWS_MARKER_KEY,
                   "package_path": f"{WINDOWS_DOWNLOAD_DIR}\\{common['package_file']}"}
    else:
        common |= {"download_dir": f"{LINUX_SYNC_ROOT}/downloads", "install_root": LINUX_SYNC_ROOT,
                   "package_path": f"{LINUX_SYNC_ROOT}/downloads/{common['package_file']}"}
    if state == ABSENT:
        return SynchronizerPlan(REMOVE, "fleet_state is absent", **common)
    key = secrets.get(PRODUCT_KEY_VAR, "")
    if not key:
        raise PlanError(f"{practice.id} has no Synchronizer product key in its vault",
                        hint=f"fleet secrets set {practice.id} --product-key")
    if any(c in key for c in "\0\r\n"):
        raise PlanError(f"{practice.id}: the product key contains a NUL or line break",
                        hint=f"store it again: fleet secrets set {practice.id} --product-key")
    return SynchronizerPlan(INSTALL, "", product_key_fingerprint=fingerprint(key), **common)


def _package_source(pkg: SynchronizerPackage, platform: str, where: str) -> tuple[str, str]:
    if platform == "linux":
        if not pkg.linux_url:
            raise PlanError("synchronizer.linux_url is not set: Linux servers get the lab stand-in package",
                            hint=f"set synchronizer.linux_url and linux_sha256 in {where} (`fleet lab up` does)")
        url, sha = pkg.linux_url, pkg.linux_sha256
        label = "synchronizer.linux_sha256"
    else:
        url, sha = pkg.url, pkg.sha256
        label = "synchronizer.sha256"
    if not re.fullmatch(r"[0-9a-f]{64}", sha or ""):
        raise PlanError(f"the Synchronizer installer has no valid SHA-256 checksum ({label})",
                        hint=f"set {label} in {where}: fleet never installs an unverified download")
    return url, sha


def _package_file(url: str, version: str, platform: str) -> str:
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    if platform == "windows":
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "msi"
        return f"Synchronizer-{version}.{ext if ext in ('msi', 'exe') else 'msi'}"
    return f"fleet-synchronizer-{version}.tar.gz"


def error_plan(host: Host, practice: Practice | None, exc: FleetError) -> HostPlan:
    msg = exc.message + (f" (fix: {exc.hint})" if exc.hint else "")
    return HostPlan(host.name, practice.id if practice else "", practice.client_id if practice else "",
                    host.role, host.platform, PRESENT, "", ExtensionPlan(NONE), SynchronizerPlan(NONE), error=msg)


# -- Windows: forcelist slots -----------------------------------------------------------------------


def _entry_id(data: Any) -> str:
    return str(data).split(";", 1)[0].strip().lower()


def _numbered(existing: Mapping[str, Any]) -> dict[int, str]:
    """The numbered values Chrome reads ("1", "2", ... exactly; "01" or "x" are not list items)."""
    return {int(k): str(v) for k, v in existing.items() if re.fullmatch(r"[1-9][0-9]*", str(k))}


@dataclass(frozen=True)
class SlotChoice:
    slot: str  # value name to write our entry to
    current: str | None  # what that value holds now (None: free)

    @property
    def up_to_date(self) -> bool:
        return self.current is not None


def pick_forcelist_slot(existing: Mapping[str, Any], extension_id: str) -> SlotChoice:
    """Our slot in an ExtensionInstallForcelist key holding ``existing`` values {name: data}.

    The value already holding our extension ID (the lowest, if several), else the lowest free
    number. Current Chrome reads every numerically named value (registry_dict.cc skips only
    non-numerical names); old builds counted "1", "2", ... and stopped at the first missing
    number, so filling the lowest gap keeps the list readable by both. Values of other software
    are never chosen.
    """
    ours = extension_id.lower()
    nums = _numbered(existing)
    mine = sorted(n for n, data in nums.items() if _entry_id(data) == ours)
    if mine:
        return SlotChoice(str(mine[0]), nums[mine[0]])
    n = 1
    while n in nums:
        n += 1
    return SlotChoice(str(n), None)


@dataclass(frozen=True)
class SlotRemoval:
    names: tuple[str, ...]  # our values to delete
    hidden: tuple[str, ...]  # other software's values above the gap the deletion leaves (old Chrome stops there)


def forcelist_removal(existing: Mapping[str, Any], extension_id: str) -> SlotRemoval:
    """Which values to delete to remove our extension: only those holding our ID.

    Deleting a value in the middle leaves a gap. Current Chrome reads past it; old builds that
    counted up from "1" did not. The values above it are not ours to renumber, so they are
    reported (``hidden``) instead.
    """
    ours = extension_id.lower()
    nums = _numbered(existing)
    names = tuple(str(n) for n in sorted(nums) if _entry_id(nums[n]) == ours)
    remaining = {n for n in nums if str(n) not in names}
    n = 1
    while n in remaining:
        n += 1
    hidden = tuple(str(k) for k in sorted(remaining) if k > n)
    return SlotRemoval(names, hidden)


@dataclass(frozen=True)
class WindowsChanges:
    """Only the registry writes that are needed (a write whose value is already there is left out)."""

    forcelist_set: list[dict[str, Any]] = field(default_factory=list)  # {key, name, data, browser}
    forcelist_delete: list[dict[str, Any]] = field(default_factory=list)  # {key, name, browser}
    managed_set: list[dict[str, Any]] = field(default_factory=list)  # {key, name, type, data} (not secret)
    secret_set: list[dict[str, Any]] = field(default_factory=list)  # {key, name, type}: data from the vault
    managed_delete: list[dict[str, Any]] = field(default_factory=list)  # {key, name} stale values in our key
    keys_delete: list[str] = field(default_factory=list)  # our 3rdparty\extensions\<id> keys (that exist),
    #                                                   earlier IDs' included
    warnings: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # what cannot be compared (the token not known)

    @property
    def any(self) -> bool:
        return bool(self.forcelist_set or self.forcelist_delete or self.managed_set or self.secret_set
                    or self.managed_delete or self.keys_delete)


def _same_reg(seen: SeenValue | None, want: Any, typ: str) -> bool:
    """A wanted registry value (win_regedit's type) against what is there, by type and fingerprint."""
    if seen is None:
        return False
    if typ == "dword":
        try:
            wanted = int(want) & 0xFFFFFFFF
        except (TypeError, ValueError):
            return False
        return seen.type == "number" and seen.sha16 == fingerprint(str(wanted))
    return seen.type == "string" and seen.sha16 == fingerprint(str(want))


def windows_changes(ext: Mapping[str, Any], seen: RegistrySeen) -> WindowsChanges:
    r"""Registry writes for one host, from the plan's ``extension`` (dict form) and what is there.

    ``seen`` (``fleet.desired.seen.RegistrySeen``, from win_reg_stat results or the collector's
    facts): per browser the forcelist key's values, our managed-policy key's values for the browsers
    we apply and our extension key's for the browsers we remove (None when the key does not exist),
    and the subkeys of ``3rdparty\extensions`` for the browsers with ``stale_ids``: the forcelist
    entries and keys of those IDs are removed. Values are compared by type and fingerprint: the
    token is never in ``seen`` nor in the result.
    """
    ch = WindowsChanges()
    token_fp = str(ext.get("token_fingerprint") or "")
    for b in ext.get("browsers", ()):
        bs = seen.get(b["browser"])
        choice = pick_forcelist_slot(bs.forcelist, b["extension_id"])
        if choice.current != b["forcelist_entry"]:
            ch.forcelist_set.append({"key": b["forcelist_key"], "name": choice.slot, "data": b["forcelist_entry"],
                                     "browser": b["browser"], "replaces": choice.current is not None})
        ours = bs.ours or {}
        wanted = set()
        for v in b["managed_values"]:
            wanted.add(v["name"])
            item = {"key": v["key"], "name": v["name"], "type": v["type"], "browser": b["browser"]}
            current = ours.get(v["name"])
            if v["secret"] and not token_fp:  # only a judge without the vault's token (health)
                if current is None:
                    ch.secret_set.append(item)
                else:
                    ch.unknown.append(f"{b['browser']}: the practice's token is not available to compare")
            elif v["secret"]:
                if not (current is not None and current.type == "string" and current.sha16 == token_fp):
                    ch.secret_set.append(item)
            elif not _same_reg(current, v["data"], v["type"]):
                ch.managed_set.append({**item, "data": v["data"]})
        for name in sorted(set(ours) - wanted):
            if name:  # the key's (Default) value is not a policy
                ch.managed_delete.append({"key": b["managed_key"], "name": name, "browser": b["browser"]})
    for b in ext.get("remove_browsers", ()):
        bs = seen.get(b["browser"])
        removal = forcelist_removal(bs.forcelist, b["extension_id"])
        for name in removal.names:
            ch.forcelist_delete.append({"key": b["forcelist_key"], "name": name, "browser": b["browser"]})
        if removal.names and removal.hidden:
            ch.warnings.append(
                f"{b['browser']}: removing our forcelist value {', '.join(removal.names)} leaves a gap below the "
                f"other software's values {', '.join(removal.hidden)}; current Chrome reads past it, very old "
                "builds (which counted up from 1) would not")
        if bs.ours is not None:
            ch.keys_delete.append(b["extension_key"])
    for b in (*ext.get("browsers", ()), *ext.get("remove_browsers", ())):
        bs = seen.get(b["browser"])
        _stale_changes(ch, b, bs.forcelist, bs.extension_keys)
    return ch


def _stale_changes(ch: WindowsChanges, b: Mapping[str, Any], forcelist: Mapping[str, Any],
                   subkeys: Iterable[str] | None) -> None:
    """Remove the forcelist entries and the 3rdparty keys of a browser plan's ``stale_ids``."""
    present = {str(k).lower() for k in subkeys or ()}
    for old in b.get("stale_ids") or ():
        for name in forcelist_removal(forcelist, old).names:
            item = {"key": b["forcelist_key"], "name": name, "browser": b["browser"]}
            if item not in ch.forcelist_delete:
                ch.forcelist_delete.append(item)
        key = f"{b['extensions_key']}\\{old}"
        if old.lower() in present and key not in ch.keys_delete:
            ch.keys_delete.append(key)


def reg_stat_subkeys(result: Mapping[str, Any] | None) -> list[str] | None:
    """Subkey names from an ansible.windows.win_reg_stat result; None when the key is missing."""
    if not result or not result.get("exists"):
        return None
    return [str(k) for k in result.get("sub_keys") or ()]


def reg_stat_values(result: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """{name: value} from an ansible.windows.win_reg_stat result; None when the key is missing."""
    if not result or not result.get("exists"):
        return None
    props = result.get("properties") or {}
    return {str(name): (p.get("value") if isinstance(p, Mapping) else p) for name, p in props.items()}


# -- Linux: policy JSON files -----------------------------------------------------------------------

_COMMENT_RE = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.S)
_TRAILING_COMMA_RE = re.compile(r'("(?:\\.|[^"\\])*")|,(\s*[}\]])')


def parse_policy_json(text: str) -> Any:
    """Parse a policy file as Chrome does: JSON plus // and /* */ comments and trailing commas."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    stripped = _COMMENT_RE.sub(lambda m: m.group(1) or "", text)
    stripped = _TRAILING_COMMA_RE.sub(lambda m: m.group(1) or m.group(2), stripped)
    return json.loads(stripped)


@dataclass(frozen=True)
class LinuxFile:
    path: str
    document: Mapping[str, Any]  # the secret is filled in only by ``render_linux_file``
    shadowed_by: str = ""  # another file whose forcelist Chrome uses instead of ours
    seen: PolicyFileSeen | None = None  # our file as it is now (None: missing)
    why: str = ""  # why it must be written ("": it already says what the plan wants)
    concerns: tuple[str, ...] = ()  # what the reasons are about (``fleet.desired.concerns``)


@dataclass(frozen=True)
class LinuxChanges:
    files: list[LinuxFile] = field(default_factory=list)  # our files (written only where ``why``)
    delete: list[str] = field(default_factory=list)  # our files where fleet no longer manages the browser
    shadowed: list[str] = field(default_factory=list)  # one message per file of ours Chrome will not use
    warnings: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # what cannot be compared (the token not known)

    @property
    def write(self) -> list[str]:
        return [f.path for f in self.files if f.why]

    @property
    def any(self) -> bool:
        return bool(self.write or self.delete or self.shadowed)


def _dirname(path: str) -> str:
    return path.rsplit("/", 1)[0]


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def policy_files_to_read(ext: Mapping[str, Any], found: Iterable[str]) -> list[str]:
    """The files ``find`` saw in our policy folders (ours and other software's): to be read."""
    dirs = set(ext.get("linux_dirs", ()))
    return sorted(p for p in found if _dirname(p) in dirs)


_JSON_KIND = {bool: "boolean", int: "number", float: "number", str: "string"}


def _file_differs(doc: Mapping[str, Any], seen: PolicyFileSeen | None, ext_id: str, stale: set[str],
                  token_field: str, token_fp: str, mode: str, unknown: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Why our file must be written (empty when it already holds ``doc``), by fingerprints only: every
    reason, each with the concerns it touches (``fleet.desired.concerns``)."""
    whole = concerns.EXTENSION  # a file Chrome cannot use carries none of what the plan puts in it
    if seen is None or (seen.ok and seen.forcelist is None):
        return [("missing", whole)]
    if not seen.ok:
        return [("not valid JSON", whole)]
    out: list[tuple[str, tuple[str, ...]]] = []
    if list(seen.forcelist or ()) != list(doc[FORCELIST]):
        out.append(("its forcelist differs", (concerns.FORCELIST,)))
    have = seen.values.get(ext_id.lower(), {})
    wanted = doc["3rdparty"]["extensions"][ext_id]
    # our file is all ours: a setting fleet no longer sets goes (Windows deletes it: managed_delete)
    extra = sorted(set(have) - set(wanted))
    if extra:
        out.append((f"{', '.join(extra)} no longer set by fleet", (concerns.SETTINGS,)))
    for name, want in wanted.items():
        about = (concerns.TOKEN,) if name == token_field else (concerns.SETTINGS,)
        sv = have.get(name)
        if sv is None:
            out.append((f"{name} is missing", about))
        elif name == token_field and want is None:
            if not token_fp:
                unknown.append(f"{seen.path}: the practice's token is not available to compare")
            elif sv.type != "string" or sv.sha16 != token_fp:
                out.append(("the token differs", about))
        elif sv.type != _JSON_KIND.get(type(want), "") or sv.sha16 not in value_fingerprints(want):
            out.append((f"{name} differs", about))
    left = sorted(i for i in stale if i in seen.values)
    if left:
        out.append((f"settings of an earlier ID ({', '.join(left)})", (concerns.FORCELIST,)))
    if mode and seen.mode and seen.mode.lstrip("0") != mode.lstrip("0"):
        out.append((f"mode {seen.mode}, not {mode}", whole))
    if seen.uid is not None and seen.uid >= 0 and seen.uid != 0:
        out.append((f"owned by uid {seen.uid}, not root", whole))
    return out


def linux_changes(ext: Mapping[str, Any], seen: PolicyFilesSeen, mode: str = "0644") -> LinuxChanges:
    """Our policy files for one host, from the plan's ``extension`` and the JSON policy files as seen
    (``fleet.desired.seen.PolicyFilesSeen``: from find + slurp, or the collector's facts).

    Chrome reads every file of a folder but takes a policy from one file only: the last by name
    (``ConfigDirPolicyLoader``). So our file carries the other files' forcelist entries as well as
    ours (their files are never edited); when a file named after ours also sets the list, Chrome
    uses that one and ours is shadowed: reported, as only its owner can fix it. Our file is written
    where it is missing or says something else than the plan (forcelist, a managed value or the
    token by fingerprint, an earlier ID's settings, mode or owner where known).
    """
    ch = LinuxChanges()
    name = ext["linux_file_name"]
    dirs = set(ext.get("linux_dirs", ()))
    token_fp = str(ext.get("token_fingerprint") or "")
    others: dict[str, list[tuple[str, list[str]]]] = {}
    for f in sorted(seen.files, key=lambda f: f.path):
        if _basename(f.path) == name or _dirname(f.path) not in dirs:
            continue
        if not f.ok:
            ch.warnings.append(f"{f.path} is not valid JSON: Chrome ignores it, and so does fleet")
            continue
        if f.forcelist is None:
            continue
        others.setdefault(_dirname(f.path), []).append((_basename(f.path), list(f.forcelist)))
    for b in ext.get("browsers", ()):
        ours = b["extension_id"].lower()
        stale = {i.lower() for i in b.get("stale_ids") or ()}  # our earlier IDs are not carried over
        for d in b["linux_dirs"]:
            theirs = others.get(d, [])
            merged: list[str] = []
            for _fname, entries in theirs:
                merged += [e for e in entries if _entry_id(e) != ours and _entry_id(e) not in stale
                           and e not in merged]
            merged.append(b["forcelist_entry"])
            doc = json.loads(json.dumps(b["linux_document"]))
            doc[FORCELIST] = merged
            path = f"{d}/{name}"
            s = seen.get(path)
            reasons = _file_differs(doc, s, b["extension_id"], stale, ext["token_field"], token_fp, mode,
                                    ch.unknown)
            why = "; ".join(r for r, _ in reasons)
            about = tuple(dict.fromkeys(c for _, cs in reasons for c in cs))
            # the last file by name that sets the list is the one Chrome uses: ours is shadowed
            # unless that file carries our entry itself (then the extension is force-installed)
            shadow = [(fname, entries) for fname, entries in theirs if fname > name]
            later = [shadow[-1][0]] if shadow and b["forcelist_entry"] not in shadow[-1][1] else []
            ch.files.append(LinuxFile(path, doc, f"{d}/{later[-1]}" if later else "", s, why, about))
            if later:
                ch.shadowed.append(
                    f"{d}/{later[-1]} also sets {FORCELIST} and sorts after {name}: Chrome takes the list from "
                    f"that file only, so our extension is not force-installed by {d}/{name}. Its owner must add "
                    f"{b['forcelist_entry']!r} to it or rename it to sort before ours (fleet never edits it)")
    wanted = {f.path for f in ch.files}
    present = {f.path for f in seen.files}
    for b in ext.get("remove_browsers", ()):
        for d in b["linux_dirs"]:
            path = f"{d}/{name}"
            if path not in wanted and path in present and path not in ch.delete:
                ch.delete.append(path)
    return ch


def linux_changes_from_dict(d: Mapping[str, Any]) -> LinuxChanges:
    """Back from the dict form Ansible carried between tasks (what ``render_linux_file`` needs)."""
    files = [LinuxFile(str(f["path"]), f["document"], str(f.get("shadowed_by") or ""), None, str(f.get("why") or ""))
             for f in d.get("files", [])]
    return LinuxChanges(files, list(d.get("delete", [])), list(d.get("shadowed", [])), list(d.get("warnings", [])))


def render_linux_file(f: LinuxFile, ext: Mapping[str, Any], token: str) -> str:
    """The file's text with the token filled in (only ever inside a no_log task)."""
    doc = json.loads(json.dumps(f.document))
    for settings in doc.get("3rdparty", {}).get("extensions", {}).values():
        if ext["token_field"] in settings:
            if not token:
                raise PlanError("no extension token to write into the policy file",
                                hint="the practice's vault must hold fleet_token")
            settings[ext["token_field"]] = token
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def linux_work(ch: LinuxChanges) -> dict[str, Any]:
    """What the apply step has to do, without the secret: the files to write and their folders."""
    dirs = sorted({_dirname(f.path) for f in ch.files if f.why and f.seen is None})
    return {"write": ch.write, "dirs": dirs, "any": ch.any}


# -- Synchronizer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SynchronizerChanges:
    install: bool = False  # download + (re)install with the product key
    why: str = ""
    ensure_running: bool = False  # the service must run (it is started where it does not)
    start: bool = False  # it is not running now (or will be reinstalled)
    enable: bool = False  # it does not start at boot now
    remove: bool = False
    # Windows: the installed products to uninstall first (a reinstall: same ProductCode upgrade,
    # re-key, repair) or, with ``remove``, the ones to uninstall; any version.
    uninstall: tuple[str, ...] = ()
    start_mode: str = "auto"  # what the service is set to: the vendor's delayed start is kept
    verify: bool = False  # Windows: read back what was installed before fleet records it
    blocked: str = ""  # why fleet cannot do what is needed (the task fails with this)
    reboot_pending: bool = False  # Windows: installed, waiting for the restart msiexec asked for (3010)

    @property
    def steps(self) -> list[str]:
        """The role's task files to include, in order (none: nothing to do)."""
        if self.remove:
            return ["remove"]
        return ((["install"] if self.install else []) + (["verify"] if self.verify else [])
                + (["service"] if self.start or self.enable else []))



def version_key(version: str) -> tuple[int, ...]:
    """``4.2.0`` and ``4.2.0.0`` (a file version) are the same version."""
    parts = [int(p) if p.isdigit() else -1 for p in re.split(r"[.\-+]", version.strip()) if p != ""]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def same_version(a: str, b: str) -> bool:
    return bool(a) and bool(b) and version_key(a) == version_key(b)


def synchronizer_changes(plan: Mapping[str, Any], seen: SynchronizerSeen) -> SynchronizerChanges:
    """Install when missing, when the version differs (upgrade or downgrade) or the product key
    changed; keep it running and starting at boot; remove it for ``state: absent``.

    Windows decides on what is really there, not on the installer's ProductCode (win_package's
    test, which says "installed" for another version or key of the same product): the service,
    its binary's version and the registered products (any version). A reinstall (same ProductCode
    upgrade, new key, a registration without its service) uninstalls the registered product first.
    """
    action = plan.get("action")
    windows = plan.get("platform") == "windows"
    codes = tuple(p.product_code for p in seen.products)
    if action == REMOVE:
        present = seen.installed or bool(codes)
        if windows and seen.installed and not codes and seen.same_boot(seen.pending_removal_boot):
            return SynchronizerChanges(why="uninstalled: the service goes at the restart the uninstaller asked for "
                                           "(exit code 3010)", reboot_pending=True)
        # nothing installed, but fleet's record (or an install waiting for a restart) is still there
        leftovers = windows and not present and bool(seen.marker_version or seen.key_fingerprint
                                                     or seen.pending_version or seen.pending_removal_boot)
        blocked = ""
        if windows and seen.installed and not codes and seen.products_known:
            blocked = (f"the {plan.get('service_name') or 'Synchronizer'} service exists but no installed product "
                       "matches it (set synchronizer.upgrade_code or display_name in fleet.yml, or uninstall it "
                       "by hand): nothing was removed")
        return SynchronizerChanges(remove=present or leftovers, uninstall=codes, blocked=blocked,
                                   why="fleet_state is absent" + ("" if present or not leftovers
                                                                  else ": only fleet's record is left"))
    if action != INSTALL:
        return SynchronizerChanges(why=str(plan.get("reason", "")))
    wanted = str(plan["version"])
    start_mode = "delayed" if seen.start_mode == "delayed" else "auto"
    if windows and seen.pending_version and same_version(seen.pending_version, wanted) \
            and seen.pending_key == plan["product_key_fingerprint"]:
        # fleet installed this version with this key and msiexec asked for a restart (3010): files
        # in use are replaced at the restart, so until then the old binary (or no service) is
        # expected. Installing again would loop; after the restart the install is verified.
        if seen.same_boot(seen.pending_boot):
            return SynchronizerChanges(why=f"{wanted} installed, waiting for the restart the installer asked for "
                                           "(exit code 3010): fleet verifies it after the restart",
                                       reboot_pending=True, start_mode=start_mode)
        if seen.installed and same_version(seen.version, wanted):
            return SynchronizerChanges(verify=True, ensure_running=True, start=not seen.running,
                                       enable=not seen.enabled, start_mode=start_mode,
                                       why="the server restarted after the install: verified and recorded now")
    reinstall = False
    if not seen.installed and not codes:
        why = "not installed"
    elif not seen.installed:
        why, reinstall = "registered in Programs and Features but its service is missing", True
    elif not (same_version(seen.version, wanted) if windows else seen.version == wanted):
        why = f"version {seen.version or 'unknown'} installed, {wanted} wanted"
        # a major upgrade (another ProductCode) replaces the old product itself; the same
        # ProductCode (or an unknown one) needs the old one removed first
        reinstall = bool(codes) and (not plan.get("product_id") or plan["product_id"] in codes)
    elif seen.key_fingerprint != plan["product_key_fingerprint"]:
        why = "the product key changed" if seen.key_fingerprint else "installed without fleet's record of its key"
        reinstall = bool(codes)
    else:
        why = "up to date" if seen.running and seen.enabled else "installed, " + (
            "not running" if not seen.running else "not started at boot")
        return SynchronizerChanges(ensure_running=True, start=not seen.running, enable=not seen.enabled, why=why,
                                   start_mode=start_mode)
    if windows and len(codes) > 1 and not reinstall:
        reinstall = True  # several registrations: start clean
    return SynchronizerChanges(install=True, ensure_running=True, start=True, enable=not seen.enabled, why=why,
                               uninstall=codes if reinstall else (), start_mode=start_mode, verify=windows)


@dataclass(frozen=True)
class SynchronizerVerified:
    """After an install: is what fleet wanted really there? Only then is it recorded."""

    ok: bool
    why: str
    version: str = ""
    product_code: str = ""
    start_mode: str = "auto"


def synchronizer_verified(plan: Mapping[str, Any], seen: SynchronizerSeen) -> SynchronizerVerified:
    """The read-back after an install (the service, its binary's version, the registration)."""
    wanted = str(plan["version"])
    start_mode = "delayed" if seen.start_mode == "delayed" else "auto"
    code = seen.products[0].product_code if len(seen.products) == 1 else ""
    if not seen.installed:
        return SynchronizerVerified(False, f"the installer finished but the {plan.get('service_name')} service "
                                           "does not exist", start_mode=start_mode)
    if not same_version(seen.version, wanted):
        return SynchronizerVerified(False, f"the installer finished but version {seen.version or 'unknown'} is "
                                           f"installed, not {wanted}", seen.version, code, start_mode)
    if len(seen.products) > 1:
        return SynchronizerVerified(False, "several Synchronizer products are registered after the install: "
                                           + ", ".join(f"{p.name} {p.version} {p.product_code}" for p in seen.products),
                                    seen.version, "", start_mode)
    return SynchronizerVerified(True, f"version {seen.version} verified", seen.version, code, start_mode)


def msi_arguments(plan: Mapping[str, Any], product_key: str) -> str:
    """msiexec arguments: the silent switches plus PROPERTY="key" (only inside a no_log task).
    Inside a quoted MSI property value a double quote is written twice (msiexec's rule)."""
    if not product_key or any(c in product_key for c in "\0\r\n"):
        raise PlanError("the product key is missing or contains a NUL or line break")
    value = product_key.replace('"', '""')
    return f'{plan["silent_args"]} {plan["product_key_property"]}="{value}"'.strip()


def linux_seen(status: Mapping[str, Any] | None) -> SynchronizerSeen:
    """From the stand-in's ``fleet-synchronizer status`` JSON (None/empty when not installed)."""
    if not status:
        return SynchronizerSeen()
    return SynchronizerSeen(
        installed=bool(status.get("installed")),
        version=str(status.get("version") or ""),
        key_fingerprint=str(status.get("key_fingerprint") or ""),
        running=bool(status.get("running")),
        enabled=bool(status.get("enabled")),
    )


def windows_seen(service_info: Mapping[str, Any] | None, marker: Mapping[str, Any] | None,
                 installed: Mapping[str, Any] | None = None) -> SynchronizerSeen:
    """From win_service_info (the service), win_reg_stat of fleet's marker key and the role's
    read of what is installed (win_powershell: the registered products of any version and the
    service binary's version). The version is what runs: the binary's, else the registration's."""
    services = (service_info or {}).get("services") or []
    svc = services[0] if services else None
    values = reg_stat_values(marker) or {}
    found = _installed_doc(installed)
    products = tuple(InstalledProduct(str(p.get("product_code") or "").upper(), str(p.get("name") or ""),
                                      str(p.get("version") or ""))
                     for p in found.get("products") or [] if isinstance(p, Mapping) and p.get("product_code"))
    version = str(found.get("binary_version") or "") if svc is not None else ""
    if svc is not None and not version and len(products) == 1:
        version = products[0].version
    return SynchronizerSeen(
        installed=svc is not None,
        version=version,
        key_fingerprint=str(values.get("KeyFingerprint") or ""),
        running=bool(svc and svc.get("state") == "started"),
        enabled=bool(svc and svc.get("start_mode") in ("auto", "delayed")),
        products=products,
        start_mode=str(svc.get("start_mode") or "") if svc else "",
        marker_version=str(values.get("Version") or ""),
        pending_version=str(values.get("PendingVersion") or ""),
        pending_key=str(values.get("PendingKeyFingerprint") or ""),
        pending_boot=str(values.get("PendingBoot") or ""),
        pending_removal_boot=str(values.get("PendingRemovalBoot") or ""),
        boot=str(found.get("boot_time") or ""),
    )


def _installed_doc(result: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The one object the role's read script outputs (win_powershell's ``output[0]``)."""
    output = (result or {}).get("output") if isinstance(result, Mapping) else None
    if isinstance(output, list) and output and isinstance(output[0], Mapping):
        return output[0]
    return {}
