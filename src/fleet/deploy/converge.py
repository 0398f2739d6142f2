"""Converge only what drifted: before Ansible, one health round trip per selected host tells which
hosts need anything.

``precollect()`` collects every host with the sweep's collector (one ssh/PSRP round trip, no
Ansible fork), and judges each with ``fleet.health.drift.host_drift``: the host's deploy plan
against what the collector saw, by the same functions the roles decide with (``fleet.desired.changes``). A host whose
collection fails or leaves something unverified counts as drifted: Ansible runs there, as it did
before this step existed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fleet.deploy.results import DRIFTED, IN_SYNC, UNVERIFIED
from fleet.desired.plan import HostPlan
from fleet.health.checks import default_checks
from fleet.health.drift import host_drift
from fleet.health.facts import FactsError, parse_facts
from fleet.health.settings import load_settings
from fleet.health.sweep import Sweep, SweepOptions
from fleet.health.transport import release_guard
from fleet.inventory.model import Host
from fleet.store import Store

if TYPE_CHECKING:
    from fleet.workspace import Workspace


@dataclass(frozen=True)
class Verdict:
    status: str  # in_sync | drifted | unknown
    changes: tuple[str, ...] = ()  # what a deploy would change (no secret)
    reason: str = ""  # unknown: why (unreachable, unusable answer, something not verifiable)
    unreachable: bool = False


def precollect(ws: Workspace, store: Store, hosts: Sequence[Host], secrets: Mapping[str, Mapping[str, str]],
               plans: Mapping[str, HostPlan], state: str | None = None) -> Iterator[tuple[str, Verdict]]:
    """(host, Verdict) for ``hosts``, as they answer. ``secrets``: the practices' vault vars already
    read by the deploy (for the redactor; nothing is decrypted twice); ``plans``: the deploy's plans
    (what Ansible would apply), judged against what the collector saw."""
    settings = load_settings(ws.config_path)
    sweep = Sweep(ws, store, settings, default_checks())
    sweep.preload_secrets(secrets)
    options = SweepOptions(forks=settings.forks, timeout=settings.timeout)
    for plan, raw in sweep.collect_all(sweep.iter_plans(hosts, state), options):
        name = plan.host.name
        if raw.error or raw.unreachable:
            why = sweep.redactor.text(raw.error or "unreachable")
            yield name, Verdict(UNVERIFIED, reason=why, unreachable=raw.unreachable)
            continue
        try:
            facts = parse_facts(raw.stdout, settings.max_output)
        except FactsError as exc:
            yield name, Verdict(UNVERIFIED, reason=f"unusable answer: {exc.reason}")
            continue
        hp = plans.get(name)
        if hp is None or hp.error:
            yield name, Verdict(UNVERIFIED, reason=hp.error if hp else "no plan")
            continue
        drift = host_drift(hp.to_dict(), facts)
        if drift.in_sync:
            yield name, Verdict(IN_SYNC)
        elif drift.changes:
            yield name, Verdict(DRIFTED, drift.changes + tuple(f"not verified: {u}" for u in drift.unknown))
        else:
            yield name, Verdict(UNVERIFIED, reason="; ".join(drift.unknown))
    # Every collector has ended: the collectors' guard process (~4 MB) is not kept through the Ansible run.
    release_guard()
