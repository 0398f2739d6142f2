"""The policy model: practice -> the exact browser policy settings its machines must carry.

Every export format, the Ansible roles (through the plan) and the health checks are rendered from
``practice_policy()``; none of them re-derives extension IDs, keys or value names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleet.catalog import Catalog, InstallMethod
from fleet.config import EDGE_ADDONS_UPDATE_URL, ExtensionVariant, FleetConfig
from fleet.desired.platforms import (
    FORCELIST,
    MACOS_DOMAIN,
    REGISTRY_ROOT,
    UNKNOWN_JOIN,
    WORKGROUP,
)
from fleet.errors import FleetError
from fleet.inventory.model import Practice
from fleet.secrets.store import fingerprint

REG_SZ = "REG_SZ"
REG_DWORD = "REG_DWORD"



class PolicyError(FleetError):
    """A practice cannot be turned into a policy (not a cloud practice, bad field value...)."""


@dataclass(frozen=True)
class RegistryValue:
    """One HKLM value. ``secret`` marks data that must never be shown or logged."""

    key: str
    name: str
    type: str  # REG_SZ | REG_DWORD
    data: str | int
    secret: bool = False


@dataclass(frozen=True)
class ExtensionPolicy:
    """What one browser needs for one practice: force-install our extension with its managed settings."""

    browser: str
    extension_id: str
    update_url: str
    managed: Mapping[str, str | int | bool]  # field -> value; contains the token
    token_field: str
    stale_ids: tuple[str, ...] = ()  # IDs of this variant that must not stay in this browser (earlier IDs,
    #                                  the other store's build): forcelist entries and 3rdparty keys removed

    @property
    def store(self) -> str:
        """``edge_addons`` for a build from the Edge Add-ons site, else ``web_store``."""
        return "edge_addons" if self.update_url.rstrip("/") == EDGE_ADDONS_UPDATE_URL else "web_store"

    def extension_key_for(self, extension_id: str) -> str:
        """``<root>\\3rdparty\\extensions\\<id>``: the whole key belongs to that extension."""
        return f"{self.root_key}\\3rdparty\\extensions\\{extension_id}"

    @property
    def stale_extension_keys(self) -> tuple[str, ...]:
        return tuple(self.extension_key_for(i) for i in self.stale_ids)

    @property
    def forcelist_entry(self) -> str:
        return f"{self.extension_id};{self.update_url}"

    @property
    def root_key(self) -> str:
        return REGISTRY_ROOT[self.browser]

    @property
    def forcelist_key(self) -> str:
        return f"{self.root_key}\\{FORCELIST}"

    @property
    def managed_key(self) -> str:
        return f"{self.root_key}\\3rdparty\\extensions\\{self.extension_id}\\policy"

    def managed_values(self) -> list[RegistryValue]:
        """The extension's managed-storage settings as registry values (REG_SZ / REG_DWORD only)."""
        out = []
        for name, value in self.managed.items():
            if isinstance(value, bool):
                out.append(RegistryValue(self.managed_key, name, REG_DWORD, int(value)))
            elif isinstance(value, int):
                if not 0 <= value <= 0xFFFFFFFF:
                    raise PolicyError(f"managed setting {name!r} = {value} does not fit a REG_DWORD")
                out.append(RegistryValue(self.managed_key, name, REG_DWORD, value))
            else:
                out.append(RegistryValue(self.managed_key, name, REG_SZ, str(value),
                                         secret=name == self.token_field))
        return out

    def linux_json(self) -> dict[str, Any]:
        """The managed policy JSON Chrome/Chromium/Edge read on Linux."""
        return {
            FORCELIST: [self.forcelist_entry],
            "3rdparty": {"extensions": {self.extension_id: dict(self.managed)}},
        }

    @property
    def macos_forcelist_domain(self) -> str:
        return MACOS_DOMAIN[self.browser]

    @property
    def macos_extension_domain(self) -> str:
        return f"{MACOS_DOMAIN[self.browser]}.extensions.{self.extension_id}"


@dataclass(frozen=True)
class PracticePolicy:
    practice_id: str
    client_id: str
    variant: str
    extensions: tuple[ExtensionPolicy, ...]
    token_fingerprint: str
    uncovered: tuple[str, ...] = ()  # browsers left out (non-strict policies only), each with the reason

    def for_browser(self, browser: str) -> ExtensionPolicy | None:
        return next((e for e in self.extensions if e.browser == browser), None)

    def registry_values(self, forcelist_slot: int | str = 1) -> list[RegistryValue]:
        """Every value a Windows machine must carry. The forcelist slot is the applier's choice
        (other software may own some numbered entries); exporters with no machine to look at pass one."""
        out: list[RegistryValue] = []
        for ext in self.extensions:
            out.append(RegistryValue(ext.forcelist_key, str(forcelist_slot), REG_SZ, ext.forcelist_entry))
            out.extend(ext.managed_values())
        return out


def _managed_value(value: Any) -> str | int | bool:
    """A practice var as a managed-storage value. Registry policy carries only REG_SZ and REG_DWORD,
    so lists and mappings travel as JSON text (Chrome parses a JSON string where the extension's
    schema expects an array or object); everything else is text."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return str(value)


def _validate_text(name: str, value: str) -> None:
    if any(c in value for c in "\0\r\n"):
        raise PolicyError(f"managed setting {name!r} contains a NUL or line break, which policy cannot carry")


class EdgeBuildError(PolicyError):
    """Edge on a workgroup machine, and the variant has no build on the Edge Add-ons site."""


def edge_build(variant: ExtensionVariant, join: str | None) -> tuple[str, str]:
    """(extension ID, update URL) Edge must be given for a machine of join state ``join``.

    ``domain`` / ``entra`` / ``managed`` (GPO, MDM) and ``None`` (not Windows) take the Chrome Web
    Store build; ``workgroup`` needs the Edge Add-ons build (EdgeBuildError without one);
    ``unknown`` takes the Edge Add-ons build when there is one (it installs on every machine), else
    the Chrome Web Store build (``fleet inventory validate`` warns about it).
    """
    web_store = (variant.id_for("edge"), variant.update_url)
    if join == WORKGROUP:
        if not variant.edge_addons_id:
            raise EdgeBuildError(
                f"Edge on workgroup machines force-installs only extensions from the Edge Add-ons site, "
                f"and extension variant {variant.name} has no Edge Add-ons ID",
                hint=f"add extensions.variants.{variant.name}.edge_addons (the Edge Add-ons ID) to fleet.yml, "
                     "or drop edge from fleet_browsers for these machines (fleet_join: domain/entra if they "
                     "are joined)")
        return variant.edge_addons_id, EDGE_ADDONS_UPDATE_URL
    if join == UNKNOWN_JOIN and variant.edge_addons_id:
        return variant.edge_addons_id, EDGE_ADDONS_UPDATE_URL
    return web_store


def practice_policy(practice: Practice, token: str, catalog: Catalog, config: FleetConfig,
                    join: str | None = None, strict: bool = True) -> PracticePolicy:
    """Compute the browser policy of a cloud practice. ``token`` is its extension token.

    ``join`` is the join state of the Windows machines the policy is for (see :func:`edge_build`;
    None: not Windows). With ``strict`` a browser that cannot be covered raises (deploy, validate);
    without it, it is left out and named in ``uncovered`` (exports say what they cannot cover).
    """
    system = catalog.get(practice.pms)
    method, reason = system.resolve(practice.vars)
    if method is not InstallMethod.CHROME_EXTENSION:
        raise PolicyError(
            f"practice {practice.id} ({system.name}) uses {method.value}, not the browser extension"
            + (f": {reason}" if reason else ""),
            hint="browser policy exists only for cloud practices",
        )
    if not token:
        raise PolicyError(f"practice {practice.id} has no extension token",
                          hint=f"fleet secrets set {practice.id} --token")
    variant = config.variant_for(system.id, system.name, system.extension_variant)
    managed: dict[str, str | int | bool] = {variant.token_field: token}
    for field_name, var in variant.extra_fields.items():
        value = practice.vars.get(var)
        if value is not None:
            managed[field_name] = _managed_value(value)
    for name, value in managed.items():
        if isinstance(value, str):
            _validate_text(name, value)
    extensions: list[ExtensionPolicy] = []
    uncovered: list[str] = []
    for browser in practice.browsers:
        if browser not in REGISTRY_ROOT:
            continue
        if browser == "edge":
            try:
                ext_id, url = edge_build(variant, join)
            except EdgeBuildError as exc:
                if strict:
                    raise
                uncovered.append(f"edge: {exc.message}")
                continue
        else:
            ext_id, url = variant.id_for(browser), variant.update_url
        extensions.append(ExtensionPolicy(
            browser=browser,
            extension_id=ext_id,
            update_url=url,
            managed=managed,
            token_field=variant.token_field,
            # earlier IDs, and in Edge the other store's build (a host whose join state changed)
            stale_ids=_stale_ids(variant, browser, ext_id),
        ))
    return PracticePolicy(practice.id, practice.client_id, variant.name, tuple(extensions), fingerprint(token),
                          tuple(uncovered))


def _stale_ids(variant: ExtensionVariant, browser: str, current: str) -> tuple[str, ...]:
    """IDs of the variant that must not stay in ``browser`` when ``current`` is the one installed:
    its earlier IDs, and in Edge the build from the other store."""
    others = (variant.id_for("edge"), variant.edge_addons_id) if browser == "edge" and variant.edge_addons_id else ()
    return tuple(dict.fromkeys(i for i in (*variant.previous_ids, *others) if i and i != current))


def removal_policy(practice: Practice, catalog: Catalog, config: FleetConfig) -> PracticePolicy:
    """What fleet removes from an offboarded practice's machines (``fleet_state: absent``): our
    extension in every policy browser (a browser may have been managed before), with no managed
    value wanted, and every earlier ID and other build (``stale_ids``). Needs no token."""
    system = catalog.get(practice.pms)
    variant = config.variant_for(system.id, system.name, system.extension_variant)
    extensions = tuple(ExtensionPolicy(b, variant.id_for(b), variant.update_url, {}, variant.token_field,
                                       stale_ids=_stale_ids(variant, b, variant.id_for(b)))
                       for b in REGISTRY_ROOT)
    return PracticePolicy(practice.id, practice.client_id, variant.name, extensions, "")


def managed_field_names(practice: Practice, catalog: Catalog, config: FleetConfig) -> tuple[str, ...]:
    """Every managed-storage field our extension may carry for the practice (token first)."""
    system = catalog.get(practice.pms)
    variant = config.variant_for(system.id, system.name, system.extension_variant)
    return (variant.token_field, *variant.extra_fields)
