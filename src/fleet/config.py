"""fleet.yml: the workspace configuration (extension IDs, Synchronizer installer, store, alerts)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleet import configschema
from fleet.errors import ConfigError, Location
from fleet.yamlsrc import line_of, load_file, scalar_text

EXTENSION_ID_RE = re.compile(r"^[a-p]{32}$")
WEB_STORE_UPDATE_URL = "https://clients2.google.com/service/update2/crx"
BROWSERS = ("chrome", "edge")
ALERT_KINDS = ("webhook", "slack", "teams")


def is_extension_id(value: Any) -> bool:
    return isinstance(value, str) and bool(EXTENSION_ID_RE.match(value))


@dataclass(frozen=True)
class ExtensionVariant:
    """One variant (v1..v7) of the vendor's extension: its ID per browser and its managed-storage fields."""

    name: str
    ids: Mapping[str, str]  # browser -> extension id
    update_url: str = WEB_STORE_UPDATE_URL
    token_field: str = "token"
    extra_fields: Mapping[str, str] = field(default_factory=dict)  # policy field -> practice var

    def id_for(self, browser: str) -> str:
        return self.ids.get(browser) or self.ids["chrome"]


@dataclass(frozen=True)
class SynchronizerPackage:
    """Where the Synchronizer installer comes from and how it installs silently."""

    version: str
    url: str
    sha256: str
    silent_args: str = "/qn /norestart"
    product_key_property: str = "PRODUCTKEY"
    service_name: str = "Synchronizer"
    product_id: str = ""
    linux_url: str = ""
    linux_sha256: str = ""


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

    def variant(self, name: str) -> ExtensionVariant:
        try:
            return self.variants[name]
        except KeyError:
            raise ConfigError(
                f"extension variant {name!r} has no IDs configured",
                where=Location(str(self.path)) if self.path else None,
                hint=f"add extensions.variants.{name}.chrome (a 32-letter a-p ID) to fleet.yml",
            ) from None


def _req(raw: Mapping[str, Any], key: str, path: Path, ctx: str) -> Any:
    if key not in raw or raw[key] in (None, ""):
        raise ConfigError(
            f"{ctx}{key} is required", where=Location(str(path), line_of(raw)), hint=f"set {ctx}{key} in fleet.yml"
        )
    return raw[key]


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
        variants[name] = ExtensionVariant(
            name=name,
            ids=ids,
            update_url=v.get("update_url", update_url),
            token_field=v.get("token_field", "token"),
            extra_fields=dict(v.get("extra_fields") or {}),
        )
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
            product_id=str(s.get("product_id", "")),
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
    return FleetConfig(
        msp_name=str((raw.get("msp") or {}).get("name", "")),
        variants=variants,
        synchronizer=sync,
        store_url=str(store.get("url", "sqlite:///state/fleet.db")),
        sync_endpoint=str(raw.get("sync_endpoint", "")),
        alerts=tuple(alerts),
        path=path,
    )


def load_config(path: Path) -> FleetConfig:
    if not path.exists():
        raise ConfigError(
            "no fleet.yml here", where=Location(str(path)), hint="run `fleet init DIR` or pass --workspace DIR"
        )
    return parse_config(load_file(path, ConfigError), path)
