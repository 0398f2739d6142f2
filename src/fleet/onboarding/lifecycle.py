"""A practice's lifecycle, from the vendor's installation guide.

The guide's practice moves: institution and sync created -> (cloud) credentials submitted, then
tested by the vendor / (self-install) Synchronizer installed / (engineer install) install
scheduled, then installed -> historical read -> "Select Locations" -> active. A "TO DO" (e.g. a
credential error) can stop it at any step until the MSP fixes it.

fleet sets a state where it knows (the Synchronizer seen running on the server); the technician
sets the others, which only the vendor's portal shows (``fleet practice status``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from fleet.errors import FleetError


class Stage(StrEnum):
    CREATED = "created"
    CREDENTIALS_SUBMITTED = "credentials_submitted"
    CREDENTIALS_OK = "credentials_ok"
    INSTALL_SCHEDULED = "install_scheduled"
    INSTALLED = "installed"
    HISTORICAL_READ = "historical_read"
    SELECT_LOCATIONS = "select_locations"
    ACTIVE = "active"
    TODO = "todo"


# The guide's path per install method (catalog InstallMethod values), in order.
PATHS: dict[str, tuple[Stage, ...]] = {
    "chrome_extension": (Stage.CREATED, Stage.CREDENTIALS_SUBMITTED, Stage.CREDENTIALS_OK,
                         Stage.HISTORICAL_READ, Stage.SELECT_LOCATIONS, Stage.ACTIVE),
    "self_install": (Stage.CREATED, Stage.INSTALLED, Stage.HISTORICAL_READ, Stage.SELECT_LOCATIONS,
                     Stage.ACTIVE),
    "engineer_install": (Stage.CREATED, Stage.INSTALL_SCHEDULED, Stage.INSTALLED, Stage.HISTORICAL_READ,
                         Stage.SELECT_LOCATIONS, Stage.ACTIVE),
}

MSP, VENDOR = "msp", "vendor"

# What each state means and who must act next.
_MEANING: dict[Stage, tuple[str, str]] = {
    Stage.CREATED: ("institution and sync created", MSP),
    Stage.CREDENTIALS_SUBMITTED: ("credentials submitted; the vendor tests them", VENDOR),
    Stage.CREDENTIALS_OK: ("credentials tested by the vendor; the historical read comes next", VENDOR),
    Stage.INSTALL_SCHEDULED: ("install scheduled with the vendor's engineer", VENDOR),
    Stage.INSTALLED: ("Synchronizer installed; the historical read comes next", VENDOR),
    Stage.HISTORICAL_READ: ("the vendor reads the practice's history", VENDOR),
    Stage.SELECT_LOCATIONS: ('"Select Locations": the locations to sync are chosen in the vendor\'s portal', MSP),
    Stage.ACTIVE: ("syncing", ""),
    Stage.TODO: ("TO DO in the vendor's portal (e.g. a credential error)", MSP),
}

# An engineer install is overdue this many days after its date with no Synchronizer seen.
OVERDUE_AFTER_DAYS = 1


class LifecycleError(FleetError):
    """A state change the guide does not allow for this practice."""


def path(install_method: str) -> tuple[Stage, ...]:
    return PATHS.get(install_method, (Stage.CREATED, Stage.ACTIVE))


def meaning(stage: Stage) -> str:
    return _MEANING[stage][0]


def waits_on(stage: Stage) -> str:
    """Who must act next: "msp", "vendor", or "" (active)."""
    return _MEANING[stage][1]


def parse_stage(value: str, install_method: str) -> Stage:
    """A state name the technician typed, checked against the practice's path."""
    allowed = (*path(install_method), Stage.TODO)
    text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    for s in allowed:
        if s.value == text:
            return s
    raise LifecycleError(f"{value!r} is not a state of a {install_method} practice",
                         hint="states: " + ", ".join(s.value for s in allowed))


def index(stage: Stage, install_method: str) -> int:
    """Position on the practice's path (TODO and states of another path: -1)."""
    p = path(install_method)
    return p.index(stage) if stage in p else -1


def reached(current: Stage, target: Stage, install_method: str) -> bool:
    """Whether ``current`` is at or past ``target`` on the practice's path."""
    i, j = index(current, install_method), index(target, install_method)
    return i >= 0 and j >= 0 and i >= j


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise LifecycleError(f"{text!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2026-12-14") from None


@dataclass(frozen=True)
class Pending:
    """A server that waits for the vendor's engineer: what health says instead of CRITICAL."""

    message: str
    overdue: bool


def engineer_pending(stage: Stage, install_method: str, scheduled_for: dt.date | None,
                     today: dt.date) -> Pending | None:
    """For an engineer-install practice not yet installed: the pending verdict for its server's
    Synchronizer checks (None once installed, for other methods, or when the vendor has been)."""
    if install_method != "engineer_install" or reached(stage, Stage.INSTALLED, install_method):
        return None
    if scheduled_for is None:
        return Pending("pending (engineer install not scheduled yet: "
                       "fleet practice status PRACTICE --set install_scheduled --date YYYY-MM-DD)", False)
    late = (today - scheduled_for).days
    if late >= OVERDUE_AFTER_DAYS:
        return Pending(f"overdue: the engineer install was scheduled for {scheduled_for.isoformat()} "
                       f"({late} days ago) and the Synchronizer is not seen; ask the vendor, then set a new date",
                       True)
    return Pending(f"pending (engineer install scheduled for {scheduled_for.isoformat()})", False)
