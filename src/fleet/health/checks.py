"""``data/checks.yaml`` -> ``CheckSet``: the check definitions and roll-up thresholds, validated.

Every problem names the file and line (a check with an unknown kind, a severity that is not a
state, a threshold that is not a number).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from fleet.desired.platforms import PLATFORMS, ROLES
from fleet.errors import FleetError, Location
from fleet.health.model import AppliesTo, CheckDef, State
from fleet.yamlsrc import line_of, load_text

INSTALL_METHODS = ("chrome_extension", "self_install", "engineer_install", "unsupported")
APPLIES_KEYS = {"roles": ROLES, "platforms": PLATFORMS, "install_methods": INSTALL_METHODS}


class ChecksError(FleetError):
    """checks.yaml is malformed."""


@dataclass(frozen=True)
class CoverageThresholds:
    warning_below: float = 1.0
    critical_below: float = 0.5

    def state(self, ratio: float) -> State:
        if ratio < self.critical_below:
            return State.CRITICAL
        if ratio < self.warning_below:
            return State.WARNING
        return State.OK


@dataclass(frozen=True)
class CheckSet:
    checks: tuple[CheckDef, ...]
    coverage: CoverageThresholds = field(default_factory=CoverageThresholds)

    def __iter__(self) -> Iterator[CheckDef]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def get(self, check_id: str) -> CheckDef:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def applicable(self, role: str, platform: str, install_method: str) -> tuple[CheckDef, ...]:
        return tuple(c for c in self.checks if c.applies_to.matches(role, platform, install_method))

    @property
    def coverage_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.checks if c.coverage)


def _number(value: Any, where: Location, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ChecksError(f"{what} must be a number, not {value!r}", where=where)
    return float(value)


def _check(raw: Any, source: str, kinds: frozenset[str]) -> CheckDef:
    where = Location(source, line_of(raw))
    if not isinstance(raw, Mapping) or not raw.get("id") or not raw.get("title"):
        raise ChecksError("each check needs an id and a title", where=where)
    cid = str(raw["id"])
    unknown = set(raw) - {"id", "title", "kind", "applies_to", "severity", "thresholds", "params", "coverage",
                          "description"}
    if unknown:
        raise ChecksError(f"check {cid}: unknown key(s) {', '.join(sorted(map(str, unknown)))}", where=where)
    kind = str(raw.get("kind") or cid)
    if kind not in kinds:
        raise ChecksError(f"check {cid}: no evaluator of kind {kind!r}", where=Location(source, line_of(raw, "kind")),
                          hint="known kinds: " + ", ".join(sorted(kinds)))
    applies = raw.get("applies_to") or {}
    if not isinstance(applies, Mapping):
        raise ChecksError(f"check {cid}: applies_to must be a mapping", where=where)
    sel: dict[str, tuple[str, ...]] = {}
    for key, values in applies.items():
        if key not in APPLIES_KEYS:
            raise ChecksError(f"check {cid}: applies_to.{key} is not one of {', '.join(APPLIES_KEYS)}",
                              where=Location(source, line_of(applies, key)))
        values = [values] if isinstance(values, str) else list(values or [])
        bad = [v for v in values if v not in APPLIES_KEYS[key]]
        if bad:
            raise ChecksError(f"check {cid}: applies_to.{key} has {', '.join(map(str, bad))}",
                              where=Location(source, line_of(applies, key)),
                              hint="allowed: " + ", ".join(APPLIES_KEYS[key]))
        sel[key] = tuple(values)
    try:
        severity = State.parse(raw.get("severity", "CRITICAL"))
    except ValueError:
        severity = State.UNKNOWN
    if severity not in (State.WARNING, State.CRITICAL):
        raise ChecksError(f"check {cid}: severity must be WARNING or CRITICAL",
                          where=Location(source, line_of(raw, "severity")))
    thresholds_raw = raw.get("thresholds") or {}
    if not isinstance(thresholds_raw, Mapping):
        raise ChecksError(f"check {cid}: thresholds must be a mapping", where=where)
    thresholds = {str(k): _number(v, Location(source, line_of(thresholds_raw, k)), f"check {cid}: thresholds.{k}")
                  for k, v in thresholds_raw.items()}
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise ChecksError(f"check {cid}: params must be a mapping", where=where)
    return CheckDef(
        id=cid, title=str(raw["title"]), kind=kind,
        applies_to=AppliesTo(sel.get("roles", ()), sel.get("platforms", ()), sel.get("install_methods", ())),
        severity=severity, thresholds=thresholds, params=dict(params), coverage=bool(raw.get("coverage", False)),
        description=str(raw.get("description", "")),
    )


def load_checks(text: str | None = None, source: str = "checks.yaml") -> CheckSet:
    """Load check definitions (default: the packaged ``data/checks.yaml``)."""
    from fleet.health.evaluate import EVALUATORS

    if text is None:
        text = resources.files("fleet").joinpath("data/checks.yaml").read_text(encoding="utf-8")
    raw = load_text(text, source, ChecksError)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("checks"), list):
        raise ChecksError("checks.yaml must be a mapping with a 'checks' list", where=Location(source))
    checks = tuple(_check(c, source, frozenset(EVALUATORS)) for c in raw["checks"])
    seen: dict[str, int | None] = {}
    for c, r in zip(checks, raw["checks"], strict=True):
        if c.id in seen:
            raise ChecksError(f"check {c.id} is defined twice (first at line {seen[c.id]})",
                              where=Location(source, line_of(r)))
        seen[c.id] = line_of(r)
    cov = ((raw.get("rollups") or {}).get("coverage")) or {}
    where = Location(source, line_of(raw, "rollups"))
    thresholds = CoverageThresholds(
        warning_below=_number(cov.get("warning_below", 1.0), where, "rollups.coverage.warning_below"),
        critical_below=_number(cov.get("critical_below", 0.5), where, "rollups.coverage.critical_below"),
    )
    return CheckSet(checks, thresholds)


@cache
def default_checks() -> CheckSet:
    return load_checks(source=str(resources.files("fleet").joinpath("data/checks.yaml")))
