"""Readiness: everything a deploy would need, checked per practice before anything touches a machine.

``validate(workspace)`` returns findings (blocking errors and warnings), each naming the practice,
host, file and line where it can, and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from fleet.catalog import HOSTING_ACCEPTED, Catalog, InstallMethod, PracticeSystem, Required, parse_version
from fleet.config import ExtensionVariant, FleetConfig
from fleet.desired.context import PlanError, join_state
from fleet.desired.platforms import PLATFORMS, POLICY_BROWSERS, ROLES, UNKNOWN_JOIN, WORKGROUP
from fleet.errors import ConfigError, Location
from fleet.inventory.model import Host, Inventory, Practice
from fleet.onboarding.status import PracticeOnboarding
from fleet.secrets.store import TOKEN_VAR, shared_secrets


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # worth knowing, changes nothing (e.g. a lab stand-in); never blocks, never warns
    TODO = "todo"  # an open onboarding checklist item (fleet practice): never blocks a deploy


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str
    practice_id: str | None = None
    host: str | None = None
    where: Location | None = None
    hint: str = ""


@dataclass(frozen=True)
class PracticeReadiness:
    practice_id: str
    client_id: str
    pms: str
    install_method: str
    findings: tuple[Finding, ...]
    onboarding: PracticeOnboarding | None = None  # lifecycle state and checklist, when the store was read

    @property
    def todos(self) -> list[Finding]:
        return [f for f in self.findings if f.level is Level.TODO]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level is Level.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level is Level.WARNING]

    @property
    def status(self) -> str:
        if self.errors:
            return "blocked"
        return "ready (with warnings)" if self.warnings else "ready"


@dataclass
class Report:
    practices: list[PracticeReadiness] = field(default_factory=list)
    general: list[Finding] = field(default_factory=list)  # not tied to one practice

    @property
    def ok(self) -> bool:
        return not any(f.level is Level.ERROR for f in self.all_findings())

    def all_findings(self) -> Iterable[Finding]:
        yield from self.general
        for p in self.practices:
            yield from p.findings


SecretCheck = Callable[[Practice, str], str | None]  # (practice, wanted var) -> problem or None


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _check_facts(system: PracticeSystem, p: Practice, out: list[Finding]) -> None:
    booking = p.vars.get("fleet_online_booking") is True
    for fact in system.facts:
        value = p.vars.get(fact.var)
        needed = fact.required is Required.ALWAYS or (fact.required is Required.ONLINE_BOOKING and booking)
        if not _present(value):
            if needed:
                why = " (online booking is on)" if fact.required is Required.ONLINE_BOOKING else ""
                out.append(
                    Finding(
                        Level.ERROR,
                        f"{system.name} needs {fact.label}{why}: {fact.var} is not set",
                        p.id,
                        where=p.where,
                        hint=f"add {fact.var}: ... under the practice's vars",
                    )
                )
            continue
        if fact.kind == "bool" and not isinstance(value, bool):
            out.append(Finding(Level.ERROR, f"{fact.var} must be true or false, not {value!r}", p.id, where=p.where))
        elif fact.kind == "list" and not isinstance(value, list):
            out.append(Finding(Level.ERROR, f"{fact.var} must be a YAML list", p.id, where=p.where))
        elif fact.pattern and not re.match(fact.pattern, str(value)):
            out.append(
                Finding(
                    Level.ERROR,
                    f"{fact.var} = {value!r} does not look like {fact.label}",
                    p.id,
                    where=p.where,
                    hint=f"expected to match {fact.pattern}",
                )
            )


def _check_version(system: PracticeSystem, p: Practice, out: list[Finding]) -> None:
    if system.min_version is None:
        return
    if not p.pms_version:
        out.append(
            Finding(
                Level.ERROR,
                f"{system.name} supports {system.versions_label} only: fleet_pms_version is not set",
                p.id,
                where=p.where,
                hint=f"add fleet_pms_version: \"...\" (e.g. \"{system.min_version}\") to the practice vars",
            )
        )
        return
    try:
        supported = system.version_supported(p.pms_version)
        parse_version(p.pms_version)
    except ValueError:
        out.append(
            Finding(
                Level.ERROR,
                f"fleet_pms_version {p.pms_version!r} is not a version number",
                p.id,
                where=p.where,
                hint=f"write it like \"{system.min_version}\"",
            )
        )
        return
    if not supported:
        out.append(
            Finding(
                Level.ERROR,
                f"{system.name} {p.pms_version} is not supported: the Synchronizer needs {system.versions_label}",
                p.id,
                where=p.where,
                hint=f"upgrade {system.name} to {system.min_version} or later first",
            )
        )


def _check_host(h: Host, out: list[Finding]) -> None:
    if h.role not in ROLES:
        out.append(
            Finding(
                Level.ERROR,
                f"fleet_role is {h.role or 'missing'!r}; must be one of {', '.join(ROLES)}",
                h.practice_id,
                h.name,
                h.where,
                "add fleet_role: workstation (or server) to the host",
            )
        )
    if h.platform not in PLATFORMS:
        out.append(
            Finding(
                Level.ERROR,
                f"fleet_platform is {h.platform or 'missing'!r}; must be one of {', '.join(PLATFORMS)}",
                h.practice_id,
                h.name,
                h.where,
                "add fleet_platform: windows (or macos/linux) to the host",
            )
        )
    uses = h.vars.get("fleet_uses_pms")
    if uses is not None and not isinstance(uses, bool):
        out.append(Finding(Level.ERROR, f"fleet_uses_pms must be true or false, not {uses!r}", h.practice_id,
                           h.name, h.where, "fleet_uses_pms: false marks a workstation where nobody uses the PMS"))
    elif uses is False and h.role != "workstation":
        out.append(Finding(Level.ERROR, "fleet_uses_pms: false is for workstations; the server holds the PMS",
                           h.practice_id, h.name, h.where, "remove fleet_uses_pms from the server"))
    conn = h.vars.get("ansible_connection", "ssh")
    if conn in ("winrm", "psrp"):
        insecure_ok = h.vars.get("fleet_allow_insecure_transport") is True
        if _password_in_clear(h.vars, conn) and not insecure_ok:
            out.append(
                Finding(
                    Level.ERROR,
                    f"{conn} with Basic authentication over plain HTTP sends the password in clear",
                    h.practice_id,
                    h.name,
                    h.where,
                    "use HTTPS (port 5986) or NTLM/Kerberos; or set fleet_allow_insecure_transport: true",
                )
            )
        if _kerberos(h.vars, conn):
            from fleet.health.transport import kerberos_available

            if not kerberos_available():
                out.append(Finding(
                    Level.WARNING, "this host logs in with Kerberos, which needs the Python gssapi library on "
                                   "this controller: it is not installed, so deploy and health cannot reach the host",
                    h.practice_id, h.name, h.where,
                    "pip install 'pypsrp[kerberos]' into fleet's environment (it builds against libkrb5-dev), "
                    "or log in with negotiate/ntlm"))
        cert_var = "ansible_winrm_server_cert_validation" if conn == "winrm" else "ansible_psrp_cert_validation"
        if str(h.vars.get(cert_var, "validate")) == "ignore":
            out.append(
                Finding(
                    Level.WARNING,
                    "certificate validation is off for this host",
                    h.practice_id,
                    h.name,
                    h.where,
                    "install the host's certificate (or its CA) on the controller and remove the override",
                )
            )
    elif h.platform == "windows" and "ansible_connection" not in h.vars:
        # Ansible's default is ssh; a Windows host imported from an RMM export has no connection
        # set, and would be reached over SSH with a POSIX shell, which fails in confusing ways.
        out.append(
            Finding(
                Level.WARNING,
                "Windows host with no ansible_connection: Ansible would use ssh with a POSIX shell",
                h.practice_id,
                h.name,
                h.where,
                "set ansible_connection: psrp (or winrm) on the client or practice, or ssh with "
                "ansible_shell_type: powershell for Windows OpenSSH",
            )
        )
    elif h.platform == "windows" and conn == "ssh" and h.vars.get("ansible_shell_type") not in ("powershell", "cmd"):
        out.append(
            Finding(
                Level.ERROR,
                "Windows host over ssh without ansible_shell_type: powershell",
                h.practice_id,
                h.name,
                h.where,
                "add ansible_shell_type: powershell (Windows OpenSSH) or use ansible_connection: psrp",
            )
        )


def _port(vars_: Mapping[str, Any], *names: str) -> int | None:
    for name in names:  # the most specific variable first, as Ansible resolves them
        if name in vars_:
            try:
                return int(vars_[name])
            except (TypeError, ValueError):
                return None
    return None


def _kerberos(vars_: Mapping[str, Any], conn: str) -> bool:
    """Whether the host's winrm/psrp login is Kerberos (winrm's default for a UPN user)."""
    if conn == "psrp":
        return str(vars_.get("ansible_psrp_auth", "")).strip().lower() == "kerberos"
    transport = vars_.get("ansible_winrm_transport")
    if isinstance(transport, str):
        transport = transport.split(",")
    if not transport:
        return "@" in str(vars_.get("ansible_winrm_user") or vars_.get("ansible_user") or "")
    return str(transport[0]).strip().lower() == "kerberos"


def _password_in_clear(vars_: Mapping[str, Any], conn: str) -> bool:
    """Whether Ansible's winrm/psrp plugin would send Basic credentials over plain HTTP, with the plugins'
    own defaults: HTTP when the port is 5985 and no scheme/protocol is set; winrm's transport defaults
    to "plaintext" (Basic) over HTTP unless the user is a UPN (Kerberos)."""
    if conn == "winrm":
        port = _port(vars_, "ansible_winrm_port", "ansible_port")
        scheme = vars_.get("ansible_winrm_scheme") or ("http" if port == 5985 else "https")
        transport = vars_.get("ansible_winrm_transport")
        if isinstance(transport, str):
            transport = transport.split(",")
        if not transport:
            user = str(vars_.get("ansible_winrm_user") or vars_.get("ansible_user") or "")
            transport = ["kerberos"] if "@" in user else (["ssl"] if scheme == "https" else ["plaintext"])
        basic = any(str(t).strip().lower() in ("basic", "plaintext") for t in transport)
    else:
        port = _port(vars_, "ansible_psrp_port", "ansible_port")
        scheme = vars_.get("ansible_psrp_protocol") or ("http" if port == 5985 else "https")
        basic = str(vars_.get("ansible_psrp_auth", "negotiate")).strip().lower() == "basic"
    return str(scheme).lower() == "http" and basic


def check_practice(
    p: Practice, catalog: Catalog, config: FleetConfig | None, secret_check: SecretCheck | None
) -> PracticeReadiness:
    out: list[Finding] = []
    system = catalog.find(p.pms) if p.pms else None
    method = ""
    if not p.pms:
        out.append(
            Finding(Level.ERROR, "no practice system: fleet_pms is not set", p.id, where=p.where,
                    hint="add fleet_pms: <id> (see `fleet catalog list`)")
        )
    elif system is None:
        close = catalog.suggest(p.pms)
        out.append(
            Finding(
                Level.ERROR,
                f"unknown practice system {p.pms!r}",
                p.id,
                where=p.where,
                hint=(f"did you mean {', '.join(close)}? " if close else "") + "see `fleet catalog list`",
            )
        )
    if system is not None:
        resolved, reason = system.resolve(p.vars)
        method = resolved.value
        if resolved is InstallMethod.UNSUPPORTED:
            bad_hosting = system.hosting_of(p.vars) is None
            out.append(Finding(Level.ERROR, f"cannot be synced: {reason}", p.id, where=p.where,
                               hint=f"write fleet_pms_hosting as one of: {HOSTING_ACCEPTED}" if bad_hosting else
                               "this practice cannot be onboarded; remove it or correct fleet_pms_hosting"))
        else:
            _check_version(system, p, out)
            _check_facts(system, p, out)
            _check_hosts_for_method(system, resolved, reason, p, config, out)
            if secret_check is not None:
                var = {"chrome_extension": "fleet_token", "self_install": "fleet_product_key"}.get(resolved.value)
                if var:
                    problem = secret_check(p, var)
                    if problem:
                        flag = "--token" if var == "fleet_token" else "--product-key"
                        out.append(Finding(Level.ERROR, problem, p.id, where=p.where,
                                           hint=f"fleet secrets set {p.id} {flag}"))
    for h in p.hosts:
        _check_host(h, out)
    return PracticeReadiness(p.id, p.client_id, p.pms, method, tuple(out))


def _check_hosts_for_method(
    system: PracticeSystem,
    method: InstallMethod,
    reason: str,
    p: Practice,
    config: FleetConfig | None,
    out: list[Finding],
) -> None:
    servers, workstations = p.servers, p.pms_workstations
    if method is InstallMethod.CHROME_EXTENSION:
        if not workstations:
            out.append(Finding(Level.ERROR, "a cloud practice needs at least one workstation for the extension",
                               p.id, where=p.where,
                               hint="add the practice's workstations with fleet_role: workstation (every "
                                    "one where staff change the schedule or patients)"
                                    + ("; all of them say fleet_uses_pms: false" if p.workstations else "")))
        for h in workstations:
            if h.platform == "macos":
                out.append(Finding(Level.WARNING, "macOS needs an MDM configuration profile; fleet deploy cannot "
                                   "make the token mandatory over SSH", p.id, h.name, h.where,
                                   f"fleet export mobileconfig --practice {p.id}"))
        for b in p.browsers:
            if b not in POLICY_BROWSERS:
                out.append(Finding(Level.ERROR, f"unknown browser {b!r} in fleet_browsers", p.id, where=p.where,
                                   hint="use chrome and/or edge"))
        if config is not None:
            cfg_where = Location(str(config.path)) if config.path else None
            try:
                variant = config.variant_name_for(system.id, system.name, system.extension_variant)
            except ConfigError as exc:
                out.append(Finding(Level.ERROR, exc.message, p.id, where=cfg_where, hint=exc.hint or ""))
            else:
                if variant not in config.variants:
                    out.append(Finding(Level.ERROR, f"no extension ID configured for variant {variant}",
                                       p.id, where=cfg_where,
                                       hint=f"add extensions.variants.{variant}.chrome to fleet.yml"))
                else:
                    _check_edge_builds(p, workstations, config.variants[variant], out)
        return
    # On-prem: the Synchronizer goes on exactly one server.
    if len(servers) > 1:
        out.append(Finding(Level.ERROR, f"{len(servers)} servers ({', '.join(h.name for h in servers)}); the "
                           "Synchronizer must go on the one server that holds the PMS database", p.id,
                           where=servers[1].where, hint="keep fleet_role: server on that one host only"))
    if method is InstallMethod.SELF_INSTALL:
        if not servers:
            out.append(Finding(Level.ERROR, f"{system.name} is on-premises: the practice needs its server "
                               "(fleet_role: server)", p.id, where=p.where,
                               hint="add the server that holds the PMS database"))
        if config is not None:
            sync = config.synchronizer
            if sync is None:
                out.append(Finding(Level.ERROR, "no Synchronizer installer configured", p.id,
                                   where=Location(str(config.path)) if config.path else None,
                                   hint="add synchronizer: {version, url, sha256} to fleet.yml"))
            elif not sync.sha256:
                out.append(Finding(Level.ERROR, "the Synchronizer installer has no SHA-256 checksum", p.id,
                                   where=Location(str(config.path)) if config.path else None,
                                   hint="add synchronizer.sha256 (fleet never installs an unverified download)"))
        standin = config is not None and config.synchronizer is not None and bool(config.synchronizer.linux_url)
        for h in servers:
            if h.platform == "windows":
                continue
            if h.platform == "linux" and standin:
                out.append(Finding(Level.NOTE, "Linux server: gets the lab's stand-in of the Synchronizer "
                                   "(synchronizer.linux_url), not the vendor's Windows service",
                                   p.id, h.name, h.where,
                                   "a real practice server is Windows; the stand-in is for the lab and tests"))
            elif h.platform in ("linux", "macos"):
                out.append(Finding(Level.ERROR, "the Synchronizer is a Windows service, installed by a Windows "
                                   f"administrator on the PMS server; this server is {h.platform}",
                                   p.id, h.name, h.where,
                                   "set fleet_platform: windows if the server is Windows; a Linux lab server "
                                   "needs synchronizer.linux_url (the stand-in `fleet lab up` builds) in fleet.yml"))
    elif method is InstallMethod.ENGINEER_INSTALL:
        why = reason or f"{system.name} installs are scheduled with the vendor's engineer"
        out.append(Finding(Level.WARNING, f"{why}; fleet skips the install and only health-checks the server",
                           p.id, where=p.where, hint="schedule the install with the vendor's engineer"))
        if not servers:
            out.append(Finding(Level.WARNING, "no server listed: health checks of the Synchronizer need it",
                               p.id, where=p.where))


def _names(hosts: list[Host], limit: int = 5) -> str:
    return ", ".join(h.name for h in hosts[:limit]) + (f" and {len(hosts) - limit} more" if len(hosts) > limit else "")


def _check_edge_builds(p: Practice, workstations: Iterable[Host], variant: ExtensionVariant,
                       out: list[Finding]) -> None:
    """Edge force-installs a Chrome Web Store build only on Windows machines joined to AD or Entra
    ID: a workgroup Windows workstation with Edge needs the variant's Edge Add-ons build (refused
    without one, as the deploy plan refuses it); one whose fleet_join is unset gets a warning."""
    workgroup: list[Host] = []
    unknown: list[Host] = []
    for h in workstations:
        if h.platform != "windows":
            continue
        try:
            join = join_state(h.vars)
        except PlanError as exc:
            out.append(Finding(Level.ERROR, exc.message, p.id, h.name, h.where, exc.hint or ""))
            continue
        browsers = h.vars.get("fleet_browsers") or ["chrome"]
        if "edge" not in (browsers if isinstance(browsers, list | tuple) else [browsers]):
            continue
        if join == WORKGROUP:
            workgroup.append(h)
        elif join == UNKNOWN_JOIN:
            unknown.append(h)
    if variant.edge_addons_id:
        return
    if workgroup:
        names = _names(workgroup)
        out.append(Finding(
            Level.ERROR,
            f"Edge on workgroup Windows machines ({names}) force-installs only extensions from the Edge "
            f"Add-ons site, and extension variant {variant.name} has no Edge Add-ons ID: Edge would never "
            "install the extension there", p.id, workgroup[0].name, workgroup[0].where,
            f"add extensions.variants.{variant.name}.edge_addons to fleet.yml (ask the vendor for the Edge "
            "Add-ons build), or drop edge from fleet_browsers for these machines"))
    if unknown:
        names = _names(unknown)
        out.append(Finding(
            Level.WARNING,
            f"fleet_join is not set for Windows machines with Edge ({names}): Edge installs the Chrome Web "
            "Store build only on machines joined to AD or Entra ID, and most small practices are workgroups",
            p.id, unknown[0].name, unknown[0].where,
            "set fleet_join: domain | entra | workgroup (practice or host var), or after a `fleet health` "
            "sweep (which reads what each machine says) `fleet inventory join --write`"))


def _open_items(p: Practice, catalog: Catalog, o: PracticeOnboarding) -> list[Finding]:
    """Open checklist items as todo findings, except facts the catalog already makes errors of."""
    system = catalog.find(p.pms)
    booking = p.vars.get("fleet_online_booking") is True
    enforced = {f.var for f in system.facts if f.required is Required.ALWAYS
                or (f.required is Required.ONLINE_BOOKING and booking)} if system else set()
    return [Finding(Level.TODO, f"{s.id}: {s.item.text} (before {s.item.before})", p.id, where=p.where,
                    hint=s.detail)
            for s in o.open_items if not (s.item.var and s.item.var in enforced)]


def _shared_secret_findings(p: Practice, shared: Mapping[tuple[str, str], list[str]]) -> list[Finding]:
    out = []
    for (var, fp), pids in sorted(shared.items()):
        if p.id not in pids:
            continue
        label, flag = ("extension token", "--token") if var == TOKEN_VAR else ("product key", "--product-key")
        others = ", ".join(x for x in pids if x != p.id)
        out.append(Finding(Level.ERROR, f"the same {label} (fingerprint {fp}) is stored for {others} too: "
                           f"each sync has its own {label}", p.id, where=p.where,
                           hint=f"fleet secrets set {p.id} {flag} with this practice's own {label} "
                                "from the vendor's portal"))
    return out


def validate(
    inv: Inventory,
    catalog: Catalog,
    config: FleetConfig | None,
    secret_check: SecretCheck | None = None,
    practices: Iterable[Practice] | None = None,
    secret_fingerprints: Mapping[str, Mapping[str, str]] | None = None,
    onboarding: Mapping[str, PracticeOnboarding] | None = None,
) -> Report:
    """Readiness of ``practices`` (default: all). ``secret_fingerprints`` (practice id -> {vault var:
    fingerprint}, over the whole inventory) lets validation refuse a token or product key that is
    stored for more than one practice. ``onboarding`` (from the store) adds each practice's lifecycle
    state and its open checklist items (level todo, in the guide's order)."""
    report = Report()
    chosen = list(practices) if practices is not None else list(inv.practices.values())
    ids = {p.id for p in chosen}
    for prob in inv.problems:
        f = Finding(Level.ERROR, prob.message, prob.practice_id, prob.host, prob.where, prob.hint)
        if prob.practice_id is None or prob.practice_id in ids:
            report.general.append(f)
    shared = shared_secrets(secret_fingerprints or {})
    for p in chosen:
        r = check_practice(p, catalog, config, secret_check)
        dupes = _shared_secret_findings(p, shared)
        if dupes:
            r = replace(r, findings=r.findings + tuple(dupes))
        o = (onboarding or {}).get(p.id)
        if o is not None:
            r = replace(r, findings=r.findings + tuple(_open_items(p, catalog, o)), onboarding=o)
        report.practices.append(r)
    if not inv.practices:
        report.general.append(Finding(Level.ERROR, "the inventory has no practices", where=Location(str(inv.root)),
                                      hint="add client files under inventory/ or `fleet inventory import`"))
    return report


