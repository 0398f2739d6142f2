"""Drift: what ``fleet deploy`` would still change on a host, judged from the health collector's facts.

    drift = host_drift(plan, facts)     # pure: the deploy's plan + one collector round trip -> changes

The collector's facts are read into the seen models of ``fleet.desired.seen`` (the same ones the
roles read their module results into) and judged by ``fleet.desired.changes.host_changes``, the
one judge deploy's roles act on. The result lists, without any secret (values are compared by
fingerprint), the changes a deploy would make, and what the facts could not show. ``fleet deploy``
hands to Ansible only the hosts with a change or something unverified, and records the others as
verified in sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fleet.desired import concerns
from fleet.desired.changes import HostChanges, HostSeen, host_changes
from fleet.desired.concerns import Item
from fleet.desired.plan import APPLY, INSTALL, REMOVE
from fleet.desired.seen import (
    policy_files_from_facts,
    registry_seen_from_facts,
    synchronizer_seen_from_facts,
    with_ours,
)
from fleet.health.facts import HostFacts

Drift = HostChanges  # what converge and ``fleet deploy --check`` report per host

# The Windows collector's probes (its error rows' ``where``) the registry policy is read by.
_REGISTRY_PROBES = ("HKLM\\", "registry", "expectations")
_SERVICE_PROBES = ("service ", "expectations")


def seen_from_facts(plan: Mapping[str, Any], facts: HostFacts) -> HostSeen:
    """The seen models of the domains ``plan`` touches, read from the collector's facts."""
    unknown: list[Item] = []
    mode = facts.runtime.language_mode
    if mode and mode != "FullLanguage":
        return HostSeen(unknown=(f"PowerShell runs in {mode} mode: the collector could not read the machine",))
    errors = [f"{e.where}: {e.error}" for e in facts.errors]
    ext, sync = plan.get("extension") or {}, plan.get("synchronizer") or {}
    registry = files = synchronizer = None
    if ext.get("action") in (APPLY, REMOVE):
        if plan.get("platform") == "windows":
            failed = [e for e in errors if e.startswith(_REGISTRY_PROBES)]
            if failed:
                unknown.append(Item(f"the registry policy ({failed[0]})", concerns.EXTENSION))
            else:
                registry = with_ours(registry_seen_from_facts(facts), facts, ext)
        else:
            files = policy_files_from_facts(facts)
    if sync.get("action") in (INSTALL, REMOVE):
        failed = [e for e in errors if facts.collector == "windows" and e.startswith(_SERVICE_PROBES)]
        if failed:
            unknown.append(Item(f"the {sync.get('service_name') or 'Synchronizer'} service ({failed[0]})",
                                concerns.SYNCHRONIZER))
        else:
            synchronizer, missing = synchronizer_seen_from_facts(facts, sync)
            unknown += missing
    return HostSeen(registry, files, synchronizer, tuple(unknown))


def host_drift(plan: Mapping[str, Any], facts: HostFacts) -> HostChanges:
    """What a deploy of ``plan`` (``HostPlan.to_dict()``) would change on the host (pure)."""
    return host_changes(plan, seen_from_facts(plan, facts))
