"""fleet.yml: the workspace configuration (extension IDs, Synchronizer installer, store, alerts)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fleet import configschema
from fleet.errors import ConfigError, Location
from fleet.yamlsrc import line_of, load_file, scalar_text

EXTENSION_ID_RE = re.compile(r"^[a-p]{32}$")
WEB_STORE_UPDATE_URL = "https://clients2.google.com/service/update2/crx"
#: Update URL of extensions hosted on the Microsoft Edge Add-ons site. On Windows machines joined to
#: neither AD nor Entra ID (workgroups), Edge force-installs only extensions from there.
EDGE_ADDONS_UPDATE_URL = "https://edge.microsoft.com/extensionwebstorebase/v1/crx"
BROWSERS = ("chrome", "edge")
ALERT_KINDS = ("webhook", "slack", "teams")


def is_extension_id(value: Any) -> bool:
    return isinstance(value, str) and bool(EXTENSION_ID_RE.match(value))


@dataclass(frozen=True)
class ExtensionVariant:
    """One variant (v1..v7) of the vendor's extension: its ID per browser and its managed-storage fields."""

    name: str
    ids: Mapping[str, str]  # browser -> extension id (Chrome Web Store build)
    update_url: str = WEB_STORE_UPDATE_URL
    token_field: str = "token"
    extra_fields: Mapping[str, str] = field(default_factory=dict)  # policy field -> practice var
    edge_addons_id: str = ""  # the build on the Edge Add-ons site (workgroup Edge needs it)
    previous_ids: tuple[str, ...] = ()  # earlier IDs of this variant: removed wherever they are found

    def id_for(self, browser: str) -> str:
        return self.ids.get(browser) or self.ids["chrome"]

    @property
    def current_ids(self) -> tuple[str, ...]:
        """Every ID this variant installs today (any browser, any store)."""
        ids = [self.ids["chrome"], *(i for b, i in self.ids.items() if b != "chrome")]
        if self.edge_addons_id:
            ids.append(self.edge_addons_id)
        return tuple(dict.fromkeys(ids))


@dataclass(frozen=True)
class SynchronizerPackage:
    """Where the Synchronizer installer comes from and how it installs silently."""

    version: str
    url: str
    sha256: str
    silent_args: str = "/qn /norestart"
    product_key_property: str = "PRODUCTKEY"
    service_name: str = "Synchronizer"
    product_id: str = ""  # the MSI's ProductCode ({GUID}), when known
    # How fleet finds the installed product whatever its version (removal, upgrades): the MSI's
    # UpgradeCode, or the start of its name in Programs and Features; without either, the product
    # installed in the service binary's folder.
    upgrade_code: str = ""
    display_name: str = ""
    linux_url: str = ""
    linux_sha256: str = ""


@dataclass(frozen=True)
class GpoDomain:
    """The AD domain a GPMC backup names (Backup.xml Domain, bkupInfo.xml GPODomain, GPODomainGuid,
    GPODomainController; gpreport.xml Domain)."""

    name: str = ""
    guid: str = ""  # {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}
    controller: str = ""

    def merged(self, over: GpoDomain | None) -> GpoDomain:
        """``over``'s non-empty fields win."""
        if over is None:
            return self
        return GpoDomain(over.name or self.name, over.guid or self.guid, over.controller or self.controller)


GUID_RE = re.compile(r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$")
DOMAIN_NAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                            r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def gpo_domain(name: str = "", guid: str = "", controller: str = "", where: str = "") -> GpoDomain:
    """Validate and normalise GPO domain fields (the GUID upper-case in braces, as GPMC writes it)."""
    at = f"{where}: " if where else ""
    if name and not DOMAIN_NAME_RE.match(name):
        raise ConfigError(f"{at}domain {name!r} is not a DNS domain name", hint="e.g. corp.example.com")
    if controller and not DOMAIN_NAME_RE.match(controller):
        raise ConfigError(f"{at}domain controller {controller!r} is not a host name",
                          hint="the DC's DNS name, e.g. dc1.corp.example.com")
    if guid:
        if not GUID_RE.match(guid):
            raise ConfigError(f"{at}domain GUID {guid!r} is not a GUID",
                              hint="(Get-ADDomain).ObjectGUID, e.g. {4f7c...-...}")
        guid = "{" + guid.strip("{}").upper() + "}"
    return GpoDomain(name, guid, controller)


@dataclass(frozen=True)
class AlertTarget:
    name: str
    kind: str
    url: str
    debounce: int = 1
    min_severity: str = "WARNING"


@dataclass(frozen=True)
class FleetConfig:
    msp_name: str
    variants: Mapping[str, ExtensionVariant]
    synchronizer: SynchronizerPackage | None
    store_url: str
    sync_endpoint: str
    alerts: tuple[AlertTarget, ...] = ()
    path: Path | None = None
    example: bool = False  # fleet's example workspace: deploy and health refuse to connect
    gpo_domains: Mapping[str, GpoDomain] = field(default_factory=dict)  # "" (default) / client id -> domain

    def gpo_domain_for(self, client_id: str) -> GpoDomain:
        """The domain GPO exports of a client name (fleet.yml ``gpo:``, its ``clients:`` entry first)."""
        return self.gpo_domains.get("", GpoDomain()).merged(self.gpo_domains.get(client_id))
    # extensions.variant_for: practice system id -> variant, for systems whose variant the vendor's
    # guide does not name (ModMed) or where the MSP was told otherwise.
    system_variants: Mapping[str, str] = field(default_factory=dict)

    def variant(self, name: str) -> ExtensionVariant:
        try:
            return self.variants[name]
        except KeyError:
            raise ConfigError(
                f"extension variant {name!r} has no IDs configured",
                where=Location(str(self.path)) if self.path else None,
                hint=f"add extensions.variants.{name}.chrome (a 32-letter a-p ID) to fleet.yml",
            ) from None

    def variant_name_for(self, system_id: str, system_name: str, catalog_variant: str | None) -> str:
        """The extension variant a practice system uses: fleet.yml's ``extensions.variant_for``, else
        the catalog's (the guide's). Never invented: a system the guide names no variant for and
        fleet.yml does not mention is an error saying so."""
        name = self.system_variants.get(system_id) or catalog_variant
        if not name:
            raise ConfigError(
                f"the installation guide names no extension variant for {system_name}, and fleet.yml "
                f"does not say which one to use",
                where=Location(str(self.path)) if self.path else None,
                hint=f"ask the vendor, then add extensions.variant_for.{system_id}: vN (and that "
                     "variant's IDs under extensions.variants) to fleet.yml")
        return name

    def variant_for(self, system_id: str, system_name: str, catalog_variant: str | None) -> ExtensionVariant:
        """The configured variant (IDs, fields) of a practice system; see ``variant_name_for``."""
        return self.variant(self.variant_name_for(system_id, system_name, catalog_variant))


def _guid(raw: Mapping[str, Any], key: str, path: Path) -> str:
    """An optional MSI GUID (``{8-4-4-4-12}``, upper-cased as the registry keeps them)."""
    value = str(raw.get(key) or "").strip()
    if value and not re.fullmatch(r"\{[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}", value):
        raise ConfigError(f"synchronizer.{key} is not an MSI GUID: {value!r}",
                          where=Location(str(path), line_of(raw, key)),
                          hint="write it as in the registry, braces included: {12345678-90AB-CDEF-1234-567890ABCDEF}")
    return value.upper()


def _req(raw: Mapping[str, Any], key: str, path: Path, ctx: str) -> Any:
    if key not in raw or raw[key] in (None, ""):
        raise ConfigError(
            f"{ctx}{key} is required", where=Location(str(path), line_of(raw)), hint=f"set {ctx}{key} in fleet.yml"
        )
    return raw[key]


def _previous_ids(v: Mapping[str, Any], name: str, current: tuple[str, ...], path: Path) -> tuple[str, ...]:
    """``previous_ids``: a list of earlier extension IDs of the variant (any browser or store)."""
    raw = v.get("previous_ids")
    if raw in (None, ""):
        return ()
    where = Location(str(path), line_of(v, "previous_ids"))
    if not isinstance(raw, list):
        raise ConfigError(f"extensions.variants.{name}.previous_ids must be a list of extension IDs",
                          where=where, hint="previous_ids: [<old id>, ...]")
    out: list[str] = []
    for old in raw:
        if not is_extension_id(old):
            raise ConfigError(f"extensions.variants.{name}.previous_ids: {old!r} is not an extension ID",
                              where=where, hint="an extension ID is exactly 32 letters a-p")
        if old in current:
            raise ConfigError(
                f"extensions.variants.{name}.previous_ids lists {old}, which the variant still installs",
                where=where, hint="previous IDs are removed from every machine: list only IDs no longer used")
        if old not in out:
            out.append(old)
    return tuple(out)


def parse_config(raw: Any, path: Path) -> FleetConfig:
    """Validate the parsed fleet.yml (against ``fleet.configschema``) into a FleetConfig; every
    problem names file and line."""
    configschema.check(raw, path)
    ext = raw.get("extensions") or {}
    update_url = ext.get("update_url", WEB_STORE_UPDATE_URL)
    variants: dict[str, ExtensionVariant] = {}
    for name, v in (ext.get("variants") or {}).items():
        if not isinstance(v, dict):
            raise ConfigError(f"extensions.variants.{name} must be a mapping", where=Location(str(path), line_of(ext)))
        ids = {b: v[b] for b in BROWSERS if v.get(b)}
        for browser, ext_id in ids.items():
            if not is_extension_id(ext_id):
                raise ConfigError(
                    f"extensions.variants.{name}.{browser} = {ext_id!r} is not an extension ID",
                    where=Location(str(path), line_of(v, browser)),
                    hint="an extension ID is exactly 32 letters a-p (see chrome://extensions)",
                )
        if "chrome" not in ids:
            raise ConfigError(
                f"extensions.variants.{name}.chrome is required", where=Location(str(path), line_of(v))
            )
        addons = v.get("edge_addons") or ""
        if addons and not is_extension_id(addons):
            raise ConfigError(
                f"extensions.variants.{name}.edge_addons = {addons!r} is not an extension ID",
                where=Location(str(path), line_of(v, "edge_addons")),
                hint="the ID at the end of the extension's address on microsoftedge.microsoft.com/addons "
                     "(32 letters a-p)",
            )
        variant = ExtensionVariant(
            name=name,
            ids=ids,
            update_url=v.get("update_url", update_url),
            token_field=v.get("token_field", "token"),
            extra_fields=dict(v.get("extra_fields") or {}),
            edge_addons_id=addons,
        )
        variants[name] = replace(variant, previous_ids=_previous_ids(v, name, variant.current_ids, path))
    variant_for = ext.get("variant_for") or {}
    if not isinstance(variant_for, dict) or not all(
            isinstance(v, str) and re.fullmatch(r"v\d+", v) for v in variant_for.values()):
        raise ConfigError("extensions.variant_for must map practice system ids to variants (e.g. modmed: v5)",
                          where=Location(str(path), line_of(ext, "variant_for") if isinstance(ext, dict) else 1))
    sync = None
    s = raw.get("synchronizer")
    if s:
        sha = str(s.get("sha256") or "")
        if sha and not re.fullmatch(r"[0-9a-fA-F]{64}", sha):
            raise ConfigError(
                "synchronizer.sha256 is not a SHA-256 hex digest",
                where=Location(str(path), line_of(s, "sha256")),
                hint="64 hex characters, e.g. from `sha256sum installer.msi`",
            )
        sync = SynchronizerPackage(
            version=scalar_text(_req(s, "version", path, "synchronizer.")),
            url=str(_req(s, "url", path, "synchronizer.")),
            sha256=sha.lower(),
            silent_args=str(s.get("silent_args", "/qn /norestart")),
            product_key_property=str(s.get("product_key_property", "PRODUCTKEY")),
            service_name=str(s.get("service_name", "Synchronizer")),
            product_id=_guid(s, "product_id", path),
            upgrade_code=_guid(s, "upgrade_code", path),
            display_name=str(s.get("display_name", "")),
            linux_url=str(s.get("linux_url", "")),
            linux_sha256=str(s.get("linux_sha256", "")).lower(),
        )
    alerts = []
    for i, a in enumerate(raw.get("alerts") or []):
        if not isinstance(a, dict) or a.get("kind", "webhook") not in ALERT_KINDS or not a.get("url"):
            raise ConfigError(
                f"alerts[{i}] needs a url and a kind of {', '.join(ALERT_KINDS)}",
                where=Location(str(path), line_of(a) if isinstance(a, dict) else line_of(raw, "alerts")),
            )
        alerts.append(
            AlertTarget(
                name=str(a.get("name", f"alert{i}")),
                kind=a.get("kind", "webhook"),
                url=str(a["url"]),
                debounce=int(a.get("debounce", 1)),
                min_severity=str(a.get("min_severity", "WARNING")).upper(),
            )
        )
    store = raw.get("store") or {}
    gpo_domains = _gpo_domains(raw.get("gpo"), path)
    return FleetConfig(
        msp_name=str((raw.get("msp") or {}).get("name", "")),
        variants=variants,
        synchronizer=sync,
        store_url=str(store.get("url", "sqlite:///state/fleet.db")),
        sync_endpoint=str(raw.get("sync_endpoint", "")),
        alerts=tuple(alerts),
        path=path,
        example=raw.get("example") is True,
        gpo_domains=gpo_domains,
        system_variants={str(k): str(v) for k, v in variant_for.items()},
    )


def _gpo_domains(raw: Any, path: Path) -> dict[str, GpoDomain]:
    """fleet.yml ``gpo: {domain, domain_guid, domain_controller, clients: {<client>: {...}}}``."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ConfigError("gpo must be a mapping (domain, domain_guid, domain_controller, clients)",
                          where=Location(str(path)))
    out: dict[str, GpoDomain] = {}

    def one(body: Any, key: str, label: str) -> None:
        where = Location(str(path), line_of(body) if isinstance(body, dict) else line_of(raw))
        if not isinstance(body, dict):
            raise ConfigError(f"{label} must be a mapping", where=where)
        try:
            out[key] = gpo_domain(str(body.get("domain") or ""), str(body.get("domain_guid") or ""),
                                  str(body.get("domain_controller") or ""), label)
        except ConfigError as exc:
            exc.where = where
            raise

    one(raw, "", "gpo")
    for cid, body in (raw.get("clients") or {}).items():
        one(body, str(cid), f"gpo.clients.{cid}")
    return out


def load_config(path: Path) -> FleetConfig:
    if not path.exists():
        raise ConfigError(
            "no fleet.yml here", where=Location(str(path)), hint="run `fleet init DIR` or pass --workspace DIR"
        )
    return parse_config(load_file(path, ConfigError), path)
