"""The health data model: states, check definitions, outcomes, and what the store holds per host.

Everything a sweep produces is built from these frozen dataclasses:

- ``State``: OK / WARNING / CRITICAL / UNKNOWN, with the Nagios exit code of each and the
  "worst of" order OK < UNKNOWN < WARNING < CRITICAL (a known problem outranks not knowing).
- ``CheckDef``: one entry of ``data/checks.yaml`` (id, title, applies_to, thresholds, severity).
- ``Outcome``: what an evaluator says about one check on one host (state, message, value).

The store keeps, per sweep (a run of kind ``health``):

- ``host_results`` — one row per host: ``status`` is how collection went (``ok``: facts gathered
  and valid; ``unreachable``: no connection (refused, no route, login failed); ``timed_out``: no
  complete answer before the hard per-host deadline; ``unknown``: answered with unusable data),
  ``ok``/``failures`` count OK and WARNING+CRITICAL checks, ``message`` is a one-line
  summary, ``facts`` is the normalized, secret-free fact document (``fleet.health.facts``).
- ``check_results`` — one row per host and applicable check: ``state``, ``message``, ``value``
  (a short machine-readable figure: "12.5%" free, "3s" skew, a fingerprint...).
- ``health_practices`` — one row per practice: roll-up state, workstation coverage, servers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

HEALTH_KIND = "health"  # runs.kind of a sweep


class State(StrEnum):
    OK = "OK"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    UNKNOWN = "UNKNOWN"

    @property
    def nagios(self) -> int:
        return _NAGIOS[self]

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def parse(cls, value: str) -> State:
        return cls(str(value).upper())


_NAGIOS = {State.OK: 0, State.WARNING: 1, State.CRITICAL: 2, State.UNKNOWN: 3}
_RANK = {State.OK: 0, State.UNKNOWN: 1, State.WARNING: 2, State.CRITICAL: 3}


def worst(states: Iterable[State | str], default: State = State.OK) -> State:
    """The worst state (CRITICAL > WARNING > UNKNOWN > OK); ``default`` when there is none."""
    found = [s if isinstance(s, State) else State.parse(s) for s in states]
    return max(found, key=lambda s: s.rank) if found else default


# host_results.status values of a sweep
HOST_OK = "ok"
HOST_UNREACHABLE = "unreachable"
HOST_TIMED_OUT = "timed_out"  # connected, but no complete answer before the hard per-host deadline
HOST_UNKNOWN = "unknown"


@dataclass(frozen=True)
class AppliesTo:
    """Which hosts a check is evaluated on; an empty tuple means "any"."""

    roles: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    install_methods: tuple[str, ...] = ()

    def matches(self, role: str, platform: str, install_method: str) -> bool:
        return ((not self.roles or role in self.roles)
                and (not self.platforms or platform in self.platforms)
                and (not self.install_methods or install_method in self.install_methods))


@dataclass(frozen=True)
class CheckDef:
    """One health check, as data. ``kind`` picks the evaluator (default: the id)."""

    id: str
    title: str
    kind: str
    applies_to: AppliesTo = field(default_factory=AppliesTo)
    severity: State = State.CRITICAL  # state when the check fails outright
    thresholds: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    coverage: bool = False  # part of "the extension works on this workstation"
    description: str = ""


@dataclass(frozen=True)
class Outcome:
    state: State
    message: str
    value: str = ""


@dataclass(frozen=True)
class Coverage:
    """Workstations of a practice that have the extension working, out of those that must.

    ``unknown`` workstations (unreachable, unusable data) count in ``total`` but not in
    ``covered``; the coverage state is judged on the known ones."""

    covered: int = 0
    total: int = 0
    unknown: int = 0

    @property
    def ratio(self) -> float | None:
        return self.covered / self.total if self.total else None

    @property
    def known(self) -> int:
        return self.total - self.unknown

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(self.covered + other.covered, self.total + other.total, self.unknown + other.unknown)

    def label(self) -> str:
        if not self.total:
            return "n/a"
        text = f"{self.covered}/{self.total} ({100 * self.covered / self.total:.0f}%)"
        return text + (f", {self.unknown} unknown" if self.unknown else "")
