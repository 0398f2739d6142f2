"""Expectations: per host, what it must carry, computed from the same policy model deploy uses.

Two halves from one computation:

- ``Expectations.wire`` — the small JSON document sent to the host's collector: what to look for
  (extension IDs, policy locations, managed field *names*, service names, the endpoint). It holds
  no secret and no fingerprint: the collector only gathers.
- the rest of ``Expectations`` stays on the controller for judging: the fingerprints the managed
  values must have, the Synchronizer version, the catalog's service groups.

Nothing here re-derives extension IDs or policy paths: they come from ``fleet.desired``
(``practice_policy``, the browser flavours of ``fleet.desired.platforms``) and the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fleet.catalog import Catalog, InstallMethod
from fleet.config import FleetConfig
from fleet.desired.platforms import ABSENT, FLAVORS, PRESENT, Flavor
from fleet.desired.policy import managed_field_names, practice_policy, removal_policy
from fleet.desired.seen import value_fingerprints
from fleet.errors import FleetError
from fleet.health.settings import HealthSettings, PosixSynchronizer
from fleet.inventory.model import Host, Practice
from fleet.secrets.store import fingerprint

WIRE_VERSION = 1


def standin_synchronizer() -> PosixSynchronizer:
    """Where deploy installs the Linux stand-in of the Synchronizer (``fleet.desired.plan.LINUX_SYNC_ROOT``),
    in the stand-in's layout: current/ release, run/ pidfile, "enabled" marker. Used on Linux
    servers unless fleet.yml's health.posix.synchronizer says otherwise."""
    from fleet.desired.plan import LINUX_SYNC_ROOT, LINUX_SYNC_SERVICE

    root = LINUX_SYNC_ROOT
    return PosixSynchronizer(install_dir=f"{root}/current", version_file=f"{root}/current/VERSION",
                             pidfile=f"{root}/run/synchronizer.pid",
                             process_match=f"{LINUX_SYNC_SERVICE} run", autostart_file=f"{root}/enabled",
                             key_file=f"{root}/etc/product.key")
DEFAULT_SYNCHRONIZER = "Synchronizer"
# Placeholder so the policy model can run without the vault password; its fingerprint is never used.
_NO_TOKEN = "fleet-health-token-not-available"




@dataclass(frozen=True)
class ExpectedExtension:
    browser: str  # the policy browser: chrome | edge
    extension_id: str
    update_url: str
    token_field: str
    fingerprints: Mapping[str, frozenset[str]]  # managed field -> accepted sha16 (token absent if not known)
    stale_ids: tuple[str, ...] = ()  # earlier IDs (previous_ids) / the other Edge build: must not be there

    @property
    def forcelist_entry(self) -> str:
        return f"{self.extension_id};{self.update_url}"


@dataclass(frozen=True)
class ServiceGroup:
    label: str
    any_of: tuple[str, ...]
    required: bool = True


@dataclass(frozen=True)
class PracticeExpect:
    """The per-practice half, computed once per practice per sweep."""

    practice_id: str
    client_id: str
    pms: str
    install_method: str
    extensions: tuple[ExpectedExtension, ...] = ()
    token_known: bool = False
    problem: str = ""  # why the extension expectations could not be computed
    pms_services: tuple[ServiceGroup, ...] = ()
    system_name: str = ""
    state: str = PRESENT  # absent: the practice (or this host) is offboarded; fleet's things must be gone
    stale: tuple[ExpectedExtension, ...] = ()  # browsers no longer managed here: our extension must be gone
    product_key_fingerprint: str = ""  # self-install: the product key the Synchronizer must run with ("": unknown)
    join: str | None = None  # Windows: the host's fleet_join (domain|entra|workgroup|unknown); None elsewhere
    uncovered: tuple[str, ...] = ()  # browsers the policy cannot cover here, with the reason (Edge on a
    #                                  workgroup machine and no Edge Add-ons build)


@dataclass(frozen=True)
class Expectations:
    host: str
    practice: PracticeExpect
    role: str
    platform: str
    flavors: tuple[Flavor, ...]
    synchronizer: str = ""
    synchronizer_version: str = ""
    endpoint: str = ""
    wire: Mapping[str, Any] = field(default_factory=dict)
    # The deploy's plan for this host (``fleet.desired.changes.judging_plan``): the ``in_sync`` check
    # asks the deploy's own judge whether anything is left to change. None: no plan (``plan_problem``).
    deploy_plan: Mapping[str, Any] | None = None
    plan_problem: str = ""

    @property
    def practice_id(self) -> str:
        return self.practice.practice_id

    @property
    def client_id(self) -> str:
        return self.practice.client_id

    @property
    def install_method(self) -> str:
        return self.practice.install_method

    @property
    def extensions(self) -> tuple[ExpectedExtension, ...]:
        return self.practice.extensions

    @property
    def absent(self) -> bool:
        """``fleet_state: absent``: what fleet installed must be gone (the deploy removes it)."""
        return self.practice.state == ABSENT

    def managed_flavors(self) -> tuple[Flavor, ...]:
        """Flavors on this platform that a managed policy browser covers."""
        browsers = {e.browser for e in self.extensions}
        return tuple(f for f in self.flavors if f.manages in browsers)

    def extension_for(self, flavor: Flavor) -> ExpectedExtension | None:
        return next((e for e in self.extensions if e.browser == flavor.manages), None)


def practice_expect(practice: Practice, catalog: Catalog, config: FleetConfig,
                    token: Callable[[], str | None], state: str = PRESENT, join: str | None = None,
                    product_key: Callable[[], str | None] | None = None) -> PracticeExpect:
    """What a practice's machines must carry. ``token()`` returns the practice's extension token, or
    None when it cannot be read (then the token check is UNKNOWN; the other checks still run).
    ``practice`` is the host's view of it (``fleet.desired.context.practice_view``: host overrides
    applied); ``state`` absent expects fleet's things removed, as the deploy's plan removes them;
    ``join`` is a Windows host's join state, which decides Edge's build as it does in the plan."""
    system = catalog.find(practice.pms)
    if system is None:
        return PracticeExpect(practice.id, practice.client_id, practice.pms, InstallMethod.UNSUPPORTED.value,
                              problem=f"unknown practice system {practice.pms!r}")
    method, _ = system.resolve(practice.vars)
    groups = tuple(ServiceGroup(s.label, s.any_of, s.required) for s in system.server_services)
    base = PracticeExpect(practice.id, practice.client_id, practice.pms, method.value, pms_services=groups,
                          system_name=system.name, state=state, join=join)
    if method is InstallMethod.SELF_INSTALL and state == PRESENT and product_key is not None:
        try:
            key = product_key()
        except FleetError:
            key = None
        return replace(base, product_key_fingerprint=fingerprint(key) if key else "")
    if method is not InstallMethod.CHROME_EXTENSION:
        return base
    if state == ABSENT:  # the plan's removal: our extension in every policy browser, no value wanted
        try:
            removal = removal_policy(practice, catalog, config)
            names = managed_field_names(practice, catalog, config)
        except FleetError as exc:
            return replace(base, problem=f"cannot compute the practice's policy: {exc.message}")
        gone = tuple(ExpectedExtension(e.browser, e.extension_id, e.update_url, e.token_field,
                                       {n: frozenset() for n in names}, e.stale_ids) for e in removal.extensions)
        return replace(base, extensions=gone)
    try:
        secret = token()
    except FleetError as exc:
        secret, problem = None, exc.message
    else:
        problem = "" if secret else "the practice's extension token is not available (vault password?)"
    try:
        policy = practice_policy(practice, secret or _NO_TOKEN, catalog, config, join=join, strict=False)
    except FleetError as exc:
        return PracticeExpect(**{**base.__dict__, "problem": f"cannot compute the practice's policy: {exc.message}"})
    managed = set(practice.browsers)  # as the plan: browsers not named any more get our entries removed
    try:
        stale = tuple(ExpectedExtension(e.browser, e.extension_id, e.update_url, e.token_field, {})
                      for e in removal_policy(practice, catalog, config).extensions if e.browser not in managed)
    except FleetError:
        stale = ()
    extensions = []
    for ext in policy.extensions:
        fps = {name: value_fingerprints(value) for name, value in ext.managed.items()
               if name != ext.token_field}
        if secret:
            fps[ext.token_field] = frozenset({policy.token_fingerprint})
        extensions.append(ExpectedExtension(ext.browser, ext.extension_id, ext.update_url, ext.token_field, fps,
                                            ext.stale_ids))
    return PracticeExpect(**{**base.__dict__, "extensions": tuple(extensions), "token_known": bool(secret),
                             "problem": problem, "uncovered": policy.uncovered, "stale": stale})


def host_expectations(host: Host, pe: PracticeExpect, config: FleetConfig,
                      settings: HealthSettings) -> Expectations:
    platform = host.platform if host.platform in FLAVORS else "linux"
    flavors = FLAVORS[platform]
    role = host.role
    server_checks = role == "server" and pe.install_method in (InstallMethod.SELF_INSTALL.value,
                                                               InstallMethod.ENGINEER_INSTALL.value)
    sync = config.synchronizer
    sync_name = (sync.service_name if sync else "") or DEFAULT_SYNCHRONIZER
    wire: dict[str, Any] = {"v": WIRE_VERSION, "role": role, "platform": platform}
    if role == "workstation":
        fields_by_browser = {e.browser: sorted(e.fingerprints.keys() | {e.token_field}) for e in pe.extensions}
        wire["browsers"] = [
            {"name": f.name, "policy": f.policy, "data": f.data, "bins": list(f.bins),
             # earlier IDs too (and browsers no longer managed): the collector reports their managed values
             "ext": [i for e in (*pe.extensions, *pe.stale) if e.browser == f.manages
                     for i in (e.extension_id, *e.stale_ids)],
             "fields": fields_by_browser.get(f.manages, [])}
            for f in flavors
        ]
    else:
        wire["browsers"] = []
    services: list[dict[str, Any]] = []
    if server_checks:
        entry: dict[str, Any] = {"name": sync_name, "kind": "synchronizer"}
        if platform != "windows":
            posix = settings.posix_synchronizer
            if not posix.wire() and platform == "linux":
                posix = standin_synchronizer()
            entry.update(posix.wire())
        services.append(entry)
        for g in pe.pms_services:
            services += [{"name": n, "kind": "pms"} for n in g.any_of]
    wire["services"] = services
    endpoint = config.sync_endpoint if server_checks else ""
    wire["endpoint"] = endpoint
    if platform != "windows":
        wire["homes"] = list(settings.macos_homes if platform == "macos" else settings.posix_homes)
        wire["disks"] = ["/"]
        wire["service_state_file"] = settings.service_state_file if server_checks else ""
    return Expectations(
        host=host.name, practice=pe, role=role, platform=platform, flavors=flavors,
        synchronizer=sync_name if server_checks else "",
        synchronizer_version=(sync.version if sync and pe.install_method == InstallMethod.SELF_INSTALL.value else ""),
        endpoint=endpoint, wire=wire,
    )
