"""One host's fleet inputs, read once into a typed ``HostContext``.

The inventory resolves variables as Ansible does (client group < practice group < host), so a
host's own ``fleet_browsers`` or ``fleet_state`` wins over its practice's. Every consumer of the
desired state (deploy's plan, the filter plugin, health's expectations, validation) gets the
host's inputs from ``host_context``; a new input (a join state, a lifecycle flag...) is read here,
in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleet.desired.platforms import JOIN_STATES, JOIN_VAR, PRESENT, STATES, UNKNOWN_JOIN
from fleet.errors import FleetError
from fleet.inventory.model import Host, Practice


class PlanError(FleetError):
    """A host's desired state cannot be computed (missing secret or installer data, unknown state...)."""


def host_state(vars_: Mapping[str, Any]) -> str:
    """``fleet_state`` (present by default); raises PlanError on anything else."""
    state = str(vars_.get("fleet_state") or PRESENT)
    if state not in STATES:
        raise PlanError(f"fleet_state is {state!r}; must be present or absent",
                         hint="fleet_state: absent offboards a host or practice (removes what fleet installed)")
    return state


def join_state(vars_: Mapping[str, Any]) -> str:
    """``fleet_join`` (host or practice var): domain | entra | workgroup, else ``unknown``.
    Raises PlanError on any other value."""
    value = vars_.get(JOIN_VAR)
    if value in (None, ""):
        return UNKNOWN_JOIN
    text = str(value).strip().lower()
    if text not in JOIN_STATES:
        raise PlanError(f"{JOIN_VAR} is {value!r}; must be one of {', '.join(JOIN_STATES)}",
                        hint="domain (joined to AD, hybrid too), entra (joined to Entra ID only) or workgroup "
                             "(neither); Edge on a workgroup machine installs only Edge Add-ons builds")
    return text


def practice_view(host: Host, practice: Practice) -> Practice:
    """The practice as this host sees it: its vars are the host's resolved vars (practice vars
    overlaid by the host's own), so per-host overrides such as ``fleet_browsers`` apply."""
    if practice.vars is host.vars:
        return practice
    return Practice(practice.id, practice.client_id, host.vars, practice.hosts, practice.where)


@dataclass(frozen=True)
class HostContext:
    """A host and its practice as the desired state reads them."""

    host: Host
    practice: Practice  # the host's view (``practice_view``)
    state: str  # present | absent
    join: str | None = None  # Windows: domain | entra | workgroup | unknown (fleet_join); None elsewhere

    @property
    def name(self) -> str:
        return self.host.name

    @property
    def role(self) -> str:
        return self.host.role

    @property
    def platform(self) -> str:
        return self.host.platform

    @property
    def browsers(self) -> tuple[str, ...]:
        return self.practice.browsers

    @property
    def uses_pms(self) -> bool:
        """False for a workstation nobody uses the PMS on (``fleet_uses_pms: false``): no extension
        is expected there and it is not in coverage."""
        return self.host.uses_pms


def host_context(host: Host, practice: Practice, state: str | None = None) -> HostContext:
    """``state`` (e.g. ``fleet deploy --remove``) overrides the host's ``fleet_state``. Raises
    PlanError on a bad ``fleet_state`` or ``fleet_join``."""
    join = join_state(host.vars) if host.platform == "windows" else None
    return HostContext(host, practice_view(host, practice), state or host_state(host.vars), join)


def lenient_host_context(host: Host, practice: Practice, state: str | None = None) -> HostContext:
    """The host as present (or ``state``), its join state ``unknown`` where its vars are bad (health
    judges such a host anyway; validation reports the bad value)."""
    try:
        state = state or host_state(host.vars)
    except PlanError:
        state = PRESENT
    try:
        join = join_state(host.vars) if host.platform == "windows" else None
    except PlanError:
        join = UNKNOWN_JOIN
    return HostContext(host, practice_view(host, practice), state, join)
