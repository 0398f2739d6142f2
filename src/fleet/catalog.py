"""The practice-system catalog: which PMSs exist, how each one's sync is installed, what it needs.

The catalog is data (``data/catalog.yaml``) loaded into frozen dataclasses; code asks it questions
instead of branching on system names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from fleet.errors import CatalogError


class Hosting(StrEnum):
    CLOUD = "cloud"
    ON_PREM = "on_prem"


# How people write a practice's hosting in fleet_pms_hosting (compared lower-case, trimmed).
HOSTING_ALIASES: Mapping[str, Hosting] = {
    "cloud": Hosting.CLOUD,
    "on_prem": Hosting.ON_PREM,
    "on-prem": Hosting.ON_PREM,
    "onprem": Hosting.ON_PREM,
    "server": Hosting.ON_PREM,
}
HOSTING_ACCEPTED = ", ".join(HOSTING_ALIASES)


def normalize_hosting(value: Any) -> Hosting | None:
    """``fleet_pms_hosting`` as a Hosting (``on-prem``, ``onprem``, ``on_prem``, ``server`` -> on_prem;
    ``cloud``), or None when it is none of the accepted spellings (see HOSTING_ACCEPTED)."""
    if isinstance(value, Hosting):
        return value
    return HOSTING_ALIASES.get(str(value).strip().lower()) if isinstance(value, str) else None


class InstallMethod(StrEnum):
    CHROME_EXTENSION = "chrome_extension"
    SELF_INSTALL = "self_install"
    ENGINEER_INSTALL = "engineer_install"
    UNSUPPORTED = "unsupported"


class Required(StrEnum):
    ALWAYS = "always"
    ONLINE_BOOKING = "online_booking"
    NEVER = "never"


_VERSION_RE = re.compile(r"^\s*[A-Za-z]*\s*(\d+(?:\.\d+)*)\s*$")


def parse_version(text: str) -> tuple[int, ...]:
    """Parse a PMS version such as ``G6.2``, ``v17``, ``21.20`` or ``11.53.2`` into a comparable tuple.

    A leading letter prefix (Dentrix's ``G``, a ``v``) is ignored; components compare numerically.
    """
    m = _VERSION_RE.match(str(text))
    if not m:
        raise ValueError(f"not a version number: {text!r}")
    parts = tuple(int(p) for p in m.group(1).split("."))
    # 6.2 == 6.2.0: drop trailing zeros so equal versions compare equal.
    while len(parts) > 1 and parts[-1] == 0:
        parts = parts[:-1]
    return parts


@dataclass(frozen=True)
class Fact:
    """An onboarding fact a practice must (or may) state in its inventory vars."""

    var: str
    label: str
    required: Required = Required.ALWAYS
    kind: str = "str"  # str | bool | list
    pattern: str | None = None


@dataclass(frozen=True)
class Rule:
    """A per-practice override: when every var in ``when`` matches, the install method changes."""

    when: Mapping[str, Any]
    install_method: InstallMethod
    reason: str

    def matches(self, practice_vars: Mapping[str, Any]) -> bool:
        return all(practice_vars.get(k) == v for k, v in self.when.items())


@dataclass(frozen=True)
class ServiceCheck:
    """Windows services of which at least one must be running on the PMS server."""

    any_of: tuple[str, ...]
    label: str
    required: bool = True


CHECKED_BY = ("fleet", "technician")
SEEN = ("coverage",)  # what a fleet item may take from the health sweep (``seen:``)
EXPECTS = ("present", "stated", "false")  # or "differs:<var>"


@dataclass(frozen=True)
class ChecklistItem:
    """One step of the guide's onboarding checklist for a system (see catalog.yaml ``checklist``)."""

    id: str
    text: str
    by: str  # fleet: read from the inventory (var), the lifecycle (reached) or health (seen) | technician
    var: str | None = None
    expect: str = "present"
    reached: str | None = None  # a lifecycle state (fleet.onboarding.lifecycle.Stage value)
    seen: str | None = None  # what the health sweep sees (SEEN): coverage
    when: str | None = None  # only when this practice var is true
    before: str = "active"  # the lifecycle state it must be done before

    def applies(self, practice_vars: Mapping[str, Any]) -> bool:
        return self.when is None or practice_vars.get(self.when) is True


@dataclass(frozen=True)
class PracticeSystem:
    id: str
    name: str
    hosting: Hosting
    hostings: tuple[Hosting, ...]
    min_version: str | None
    install_method: InstallMethod
    extension_variant: str | None = None
    user_account: str = ""
    facts: tuple[Fact, ...] = ()
    rules: tuple[Rule, ...] = ()
    server_services: tuple[ServiceCheck, ...] = ()
    notes: str = ""
    checklist: tuple[ChecklistItem, ...] = ()

    @property
    def versions_label(self) -> str:
        return f"{self.min_version}+" if self.min_version else "all"

    @property
    def needs_server(self) -> bool:
        return self.hosting is Hosting.ON_PREM

    def version_supported(self, version: str) -> bool:
        """True when ``version`` is at or above the minimum. Raises ValueError if unparsable."""
        if self.min_version is None:
            return True
        return parse_version(version) >= parse_version(self.min_version)

    def hosting_of(self, practice_vars: Mapping[str, Any]) -> Hosting | None:
        """The practice's hosting (``fleet_pms_hosting``, else the catalog's); None if unrecognised."""
        raw = practice_vars.get("fleet_pms_hosting")
        if raw is None or raw == "":
            return self.hosting
        return normalize_hosting(raw)

    def resolve(self, practice_vars: Mapping[str, Any]) -> tuple[InstallMethod, str]:
        """The install method for one practice, after its hosting and the catalog's rules."""
        hosting = self.hosting_of(practice_vars)
        if hosting is None:
            return InstallMethod.UNSUPPORTED, (
                f"fleet_pms_hosting is {practice_vars.get('fleet_pms_hosting')!r}; "
                f"accepted: {HOSTING_ACCEPTED}")
        if hosting not in self.hostings:
            where = "on-premises" if hosting is Hosting.ON_PREM else "cloud-hosted"
            return InstallMethod.UNSUPPORTED, f"{where} {self.name} is not supported by the Synchronizer"
        for rule in self.rules:
            if rule.matches(practice_vars):
                return rule.install_method, rule.reason
        return self.install_method, ""


@dataclass(frozen=True)
class Catalog:
    systems: tuple[PracticeSystem, ...] = field(default_factory=tuple)

    def __iter__(self) -> Iterator[PracticeSystem]:
        return iter(self.systems)

    def __len__(self) -> int:
        return len(self.systems)

    def ids(self) -> list[str]:
        return [s.id for s in self.systems]

    def suggest(self, name: str) -> list[str]:
        """Ids close to a mistyped or human-written name ("Dentrix Ascend", "opendental", "eaglsoft")."""
        key = re.sub(r"[^a-z0-9]+", "", str(name).lower())
        if not key:
            return []
        squashed = {i.replace("_", ""): i for i in self.ids()}
        if key in squashed:
            return [squashed[key]]
        close = difflib.get_close_matches(key, list(squashed), n=3, cutoff=0.75)
        close = close or [s for s in squashed if key in s or s in key]
        return [squashed[c] for c in close]

    def get(self, system_id: str) -> PracticeSystem:
        for s in self.systems:
            if s.id == system_id:
                return s
        close = self.suggest(system_id)
        hint = f"did you mean {', '.join(close)}?" if close else "see `fleet catalog list` for the known ids"
        raise CatalogError(f"unknown practice system {system_id!r}", hint=hint)

    def find(self, system_id: str) -> PracticeSystem | None:
        return next((s for s in self.systems if s.id == system_id), None)


def _enum(enum_type: type[StrEnum], value: Any, where: str) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum_type)
        raise CatalogError(f"{where}: {value!r} is not one of {allowed}") from None


def _checklist_item(raw: Mapping[str, Any], sid: str) -> ChecklistItem:
    from fleet.onboarding.lifecycle import Stage

    item = ChecklistItem(id=str(raw["id"]), text=str(raw["text"]), by=str(raw["by"]),
                         var=raw.get("var"), expect=str(raw.get("expect", "present")), reached=raw.get("reached"),
                         when=raw.get("when"), before=str(raw.get("before", "active")), seen=raw.get("seen"))
    where = f"{sid}.checklist.{item.id}"
    if item.by not in CHECKED_BY:
        raise CatalogError(f"{where}: by must be one of {', '.join(CHECKED_BY)}")
    sources = [x for x in (item.var, item.reached, item.seen) if x]
    if item.by == "fleet" and len(sources) != 1:
        raise CatalogError(f"{where}: a fleet item names one of: a var, a lifecycle state it has reached, "
                           "or what the health sweep has seen")
    if item.by == "technician" and sources:
        raise CatalogError(f"{where}: a technician item is confirmed, it names no var")
    if item.seen is not None and item.seen not in SEEN:
        raise CatalogError(f"{where}: seen must be one of {', '.join(SEEN)}")
    if item.expect not in EXPECTS and not item.expect.startswith("differs:"):
        raise CatalogError(f"{where}: expect must be one of {', '.join(EXPECTS)} or differs:<var>")
    for state in (item.before, item.reached):
        if state is not None and state not in {s.value for s in Stage}:
            raise CatalogError(f"{where}: {state!r} is not a lifecycle state")
    return item


def _system(raw: Mapping[str, Any]) -> PracticeSystem:
    sid = raw.get("id", "?")
    try:
        facts = tuple(
            Fact(
                var=f["var"],
                label=f.get("label", f["var"]),
                required=_enum(Required, f.get("required", "always"), f"{sid}.facts"),
                kind=f.get("kind", "str"),
                pattern=f.get("pattern"),
            )
            for f in raw.get("facts") or ()
        )
        rules = tuple(
            Rule(
                when=dict(r["when"]),
                install_method=_enum(InstallMethod, r["install_method"], f"{sid}.rules"),
                reason=r["reason"],
            )
            for r in raw.get("rules") or ()
        )
        services = tuple(
            ServiceCheck(any_of=tuple(s["any_of"]), label=s["label"], required=bool(s.get("required", True)))
            for s in raw.get("server_services") or ()
        )
        checklist = tuple(_checklist_item(i, sid) for i in raw.get("checklist") or ())
        min_version = raw.get("min_version")
        if min_version is not None:
            parse_version(str(min_version))
        system = PracticeSystem(
            id=raw["id"],
            name=raw["name"],
            hosting=_enum(Hosting, raw["hosting"], f"{sid}.hosting"),
            hostings=tuple(_enum(Hosting, h, f"{sid}.hostings") for h in raw.get("hostings", [raw["hosting"]])),
            min_version=None if min_version is None else str(min_version),
            install_method=_enum(InstallMethod, raw["install_method"], f"{sid}.install_method"),
            extension_variant=raw.get("extension_variant"),
            user_account=raw.get("user_account", ""),
            facts=facts,
            rules=rules,
            server_services=services,
            notes=raw.get("notes", ""),
            checklist=checklist,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"catalog entry {sid!r} is malformed: {exc}") from None
    if system.install_method is InstallMethod.CHROME_EXTENSION and "extension_variant" not in raw:
        # null is allowed and means "not in the guide": fleet.yml's extensions.variant_for names it.
        raise CatalogError(f"catalog entry {sid!r}: chrome_extension systems need an extension_variant "
                           "(null when the guide names none)")
    return system


def load_catalog(text: str | None = None) -> Catalog:
    """Load the catalog from YAML text (default: the packaged ``data/catalog.yaml``)."""
    if text is None:
        text = resources.files("fleet").joinpath("data/catalog.yaml").read_text(encoding="utf-8")
    try:  # libyaml's parser when PyYAML has it: the catalog is read by every command (29 -> 8 ms of CPU)
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise CatalogError(f"catalog is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("systems"), list):
        raise CatalogError("catalog must be a mapping with a 'systems' list")
    systems = tuple(_system(s) for s in raw["systems"])
    for s in systems:
        ids = [i.id for i in s.checklist]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise CatalogError(f"catalog entry {s.id!r}: checklist item {', '.join(twice)} listed twice")
    ids = [s.id for s in systems]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CatalogError(f"catalog lists {', '.join(dupes)} more than once")
    return Catalog(systems)


@cache
def default_catalog() -> Catalog:
    return load_catalog()
