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
from fleet.config import FleetConfig
from fleet.desired.platforms import FORCELIST, MACOS_DOMAIN, REGISTRY_ROOT
from fleet.errors import FleetError
from fleet.inventory import Practice
from fleet.secretstore import fingerprint

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


def practice_policy(practice: Practice, token: str, catalog: Catalog, config: FleetConfig) -> PracticePolicy:
    """Compute the browser policy of a cloud practice. ``token`` is its extension token."""
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
    extensions = tuple(
        ExtensionPolicy(
            browser=browser,
            extension_id=variant.id_for(browser),
            update_url=variant.update_url,
            managed=managed,
            token_field=variant.token_field,
        )
        for browser in practice.browsers
        if browser in REGISTRY_ROOT
    )
    return PracticePolicy(practice.id, practice.client_id, variant.name, extensions, fingerprint(token))
