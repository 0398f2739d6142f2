"""One judge: a host's plan + what it has (``fleet.desired.seen``) -> what a deploy must still change.

    changes = host_changes(plan, seen)      # pure; plan: HostPlan.to_dict(); seen: HostSeen

The per-domain decisions are ``fleet.desired.plan``'s (``windows_changes``, ``linux_changes``,
``synchronizer_changes``): the roles act on their detailed answer (which value, which slot, which
file), and this module words the same answer for people, one line per change, no secret. Deploy's
filter plugin, converge (which hosts reach Ansible), ``fleet deploy --check`` and the health
sweep's ``in_sync`` check all call these functions, on seen models parsed from Ansible module
results or from the collector's facts: where they agree on what a host has, they agree on what is
left to do (tests/desired/test_contract.py drives a matrix of host states through both paths).

What only one way can see (so the two may differ there, and the contract test does not claim
otherwise): a value in our registry key that is not one of the practice's fields, and an empty key
of ours (the collector reads the fields it is told); a Linux file's mode and owner (the collector
does not report them: not judged from facts); Windows' registered Synchronizer products (from
facts a removal is never "blocked", and a reinstall's uninstall list is the role's to find).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fleet.desired.plan import (
    APPLY,
    INSTALL,
    REMOVE,
    LinuxChanges,
    SynchronizerChanges,
    WindowsChanges,
    linux_changes,
    synchronizer_changes,
    windows_changes,
)
from fleet.desired.seen import PolicyFilesSeen, RegistrySeen, SynchronizerSeen
from fleet.secrets.store import PRODUCT_KEY_VAR, TOKEN_VAR

# Stands in for a secret the judge has not got (health without the vault password): the plan is
# computed with it, its fingerprint is then left out ("") and the judge says "not verified".
_NOT_AVAILABLE = "fleet-secret-not-available"


@dataclass(frozen=True)
class HostSeen:
    """What one host has, in the domains its plan touches (None: not looked at / not visible)."""

    registry: RegistrySeen | None = None
    files: PolicyFilesSeen | None = None
    synchronizer: SynchronizerSeen | None = None
    unknown: tuple[str, ...] = ()  # what the looking could not see (the judge reports it as unverified)


@dataclass(frozen=True)
class HostChanges:
    changes: tuple[str, ...] = ()  # what a deploy would change (one line each, no secret)
    unknown: tuple[str, ...] = ()  # what could not be compared (a deploy runs to be sure)

    @property
    def in_sync(self) -> bool:
        return not self.changes and not self.unknown

    def describe(self) -> str:
        parts = list(self.changes) + [f"not verified: {u}" for u in self.unknown]
        return "; ".join(parts) if parts else "in sync"


def judging_plan(host: Any, practice: Any, secrets: Mapping[str, str], catalog: Any, config: Any,
                 state: str | None = None) -> dict[str, Any]:
    """The deploy's plan for ``host`` (``plan_host``) as the judge takes it, also when the practice's
    token or product key is not available: then its fingerprint is "" and what depends on it is
    reported as not verified instead of as a change. Raises FleetError when no plan can be made."""
    from fleet.desired.plan import plan_host

    filled = {TOKEN_VAR: secrets.get(TOKEN_VAR) or _NOT_AVAILABLE,
              PRODUCT_KEY_VAR: secrets.get(PRODUCT_KEY_VAR) or _NOT_AVAILABLE}
    plan = plan_host(host, practice, filled, catalog, config, state).to_dict()
    if not secrets.get(TOKEN_VAR):
        plan["extension"]["token_fingerprint"] = ""
    if not secrets.get(PRODUCT_KEY_VAR):
        plan["synchronizer"]["product_key_fingerprint"] = ""
    return plan


def windows_lines(ch: WindowsChanges) -> list[str]:
    out = [f"{s['browser']}: {'correct' if s.get('replaces') else 'add'} our force-install entry"
           for s in ch.forcelist_set]
    out += [f"{s['browser']}: remove force-install entry {s['name']}" for s in ch.forcelist_delete]
    out += [f"{s['browser']}: set managed value {s['name']}" for s in ch.managed_set]
    out += [f"{s['browser']}: set the token ({s['name']})" for s in ch.secret_set]
    out += [f"{s['browser']}: remove managed value {s['name']}" for s in ch.managed_delete]
    out += [f"remove policy key {k}" for k in ch.keys_delete]
    return out


def linux_lines(ch: LinuxChanges) -> list[str]:
    out = [f"write our policy file {f.path}" + ("" if f.why == "missing" else f" ({f.why})")
           for f in ch.files if f.why]
    out += [f"remove our policy file {p}" for p in ch.delete]
    return out + list(ch.shadowed)


def synchronizer_lines(plan: Mapping[str, Any], ch: SynchronizerChanges, seen: SynchronizerSeen) -> list[str]:
    name = str(plan.get("service_name") or "Synchronizer")
    if ch.blocked:
        return [f"cannot: {ch.blocked}"]
    if ch.remove:
        return [f"uninstall the {name} service"]
    out = []
    if ch.install:
        if ch.why == "not installed":
            out.append(f"install the {name} service {plan.get('version', '')}".rstrip())
        elif ch.why.startswith("version "):
            out.append(f"install {plan.get('version')} over {seen.version or 'an unknown version'}")
        elif ch.why == "the product key changed":
            out.append("reinstall with the practice's new product key")
        else:
            out.append(f"reinstall: {ch.why}")
        return out
    if ch.verify:
        out.append(f"verify and record the {name} install (after the restart it asked for)")
    if ch.start:
        out.append(f"start {name}")
    if ch.enable:
        out.append(f"start {name} at boot")
    return out


def host_changes(plan: Mapping[str, Any], seen: HostSeen) -> HostChanges:
    """What a deploy of ``plan`` (``HostPlan.to_dict()``) would still change on a host that has ``seen``."""
    changes: list[str] = []
    unknown: list[str] = list(seen.unknown)
    ext = plan.get("extension") or {}
    platform = plan.get("platform")
    if ext.get("action") in (APPLY, REMOVE) and platform == "windows":
        if seen.registry is None:
            unknown.append("the registry policy")
        else:
            wch = windows_changes(ext, seen.registry)
            changes += windows_lines(wch)
            unknown += wch.unknown
    elif ext.get("action") in (APPLY, REMOVE) and platform == "linux":
        if seen.files is None:
            unknown.append("the policy files")
        else:
            ch = linux_changes(ext, seen.files)
            changes += linux_lines(ch)
            unknown += ch.unknown
    sync = plan.get("synchronizer") or {}
    if sync.get("action") in (INSTALL, REMOVE):
        if seen.synchronizer is None:
            unknown.append(f"whether the {sync.get('service_name') or 'Synchronizer'} service is installed")
        else:
            changes += synchronizer_lines(sync, synchronizer_changes(sync, seen.synchronizer), seen.synchronizer)
    return HostChanges(tuple(changes), tuple(dict.fromkeys(unknown)))
