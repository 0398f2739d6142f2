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

from fleet.desired.concerns import (
    ALL,
    AUTOSTART,
    EXTENSION,
    FORCELIST,
    PRESENCE,
    PRODUCT_KEY,
    RECORD,
    RUNNING,
    SETTINGS,
    SYNCHRONIZER,
    TOKEN,
    VERSION,
    Item,
)
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
    # what the looking could not see (the judge reports it as unverified); a plain text is about
    # every concern, an ``Item`` names its own
    unknown: tuple[str | Item, ...] = ()


@dataclass(frozen=True)
class HostChanges:
    """What a deploy would still change, each change tagged with its concerns
    (``fleet.desired.concerns``): health's compliance checks read their own concern's part."""

    items: tuple[Item, ...] = ()  # what a deploy would change (one line each, no secret)
    unknown_items: tuple[Item, ...] = ()  # what could not be compared (a deploy runs to be sure)
    notes: tuple[Item, ...] = ()  # no change, but not as wanted yet either (an install waiting for a restart)

    @property
    def changes(self) -> tuple[str, ...]:
        return tuple(i.text for i in self.items)

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(i.text for i in self.unknown_items)

    @property
    def in_sync(self) -> bool:
        return not self.items and not self.unknown_items

    def describe(self) -> str:
        parts = list(self.changes) + [f"not verified: {u}" for u in self.unknown]
        return "; ".join(parts) if parts else "in sync"

    def about(self, concern: str) -> HostChanges:
        """Only what touches ``concern``: no change there is health's "OK" for that concern."""
        return HostChanges(tuple(i for i in self.items if i.about(concern)),
                           tuple(i for i in self.unknown_items if i.about(concern)),
                           tuple(i for i in self.notes if i.about(concern)))


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


def windows_lines(ch: WindowsChanges, ext: Mapping[str, Any] | None = None) -> list[Item]:
    ours = {b["extension_key"] for b in (ext or {}).get("remove_browsers", ())}
    out = [Item(f"{s['browser']}: {'correct' if s.get('replaces') else 'add'} our force-install entry", (FORCELIST,))
           for s in ch.forcelist_set]
    out += [Item(f"{s['browser']}: remove force-install entry {s['name']}", (FORCELIST,)) for s in ch.forcelist_delete]
    out += [Item(f"{s['browser']}: set managed value {s['name']}", (SETTINGS,)) for s in ch.managed_set]
    out += [Item(f"{s['browser']}: set the token ({s['name']})", (TOKEN,)) for s in ch.secret_set]
    out += [Item(f"{s['browser']}: remove managed value {s['name']}", (SETTINGS,)) for s in ch.managed_delete]
    # our extension's key (the token and settings of a practice or browser fleet no longer manages
    # here), or an earlier ID's key (its settings: the extension is configured under another ID)
    out += [Item(f"remove policy key {k}", (TOKEN, SETTINGS) if k in ours else (FORCELIST,))
            for k in ch.keys_delete]
    return out


def linux_lines(ch: LinuxChanges) -> list[Item]:
    out = [Item(f"write our policy file {f.path}" + ("" if f.why == "missing" else f" ({f.why})"),
                f.concerns or EXTENSION) for f in ch.files if f.why]
    out += [Item(f"remove our policy file {p}", EXTENSION) for p in ch.delete]
    return out + [Item(s, (FORCELIST,)) for s in ch.shadowed]


_MISSING = (PRESENCE, VERSION, RUNNING, AUTOSTART, PRODUCT_KEY)  # what a server without the service lacks


def synchronizer_lines(plan: Mapping[str, Any], ch: SynchronizerChanges, seen: SynchronizerSeen) -> list[Item]:
    name = str(plan.get("service_name") or "Synchronizer")
    if ch.blocked:
        return [Item(f"cannot: {ch.blocked}", (PRESENCE,))]
    if ch.remove:
        return [Item(f"uninstall the {name} service", SYNCHRONIZER)]
    out = []
    if ch.install:
        if ch.why == "not installed":
            out.append(Item(f"install the {name} service {plan.get('version', '')}".rstrip(), _MISSING))
            return out
        if ch.why.startswith("version "):
            out.append(Item(f"install {plan.get('version')} over {seen.version or 'an unknown version'}",
                            (VERSION,)))
        elif ch.why == "the product key changed":
            out.append(Item("reinstall with the practice's new product key", (PRODUCT_KEY,)))
        elif ch.why == "installed without fleet's record of its key":
            out.append(Item(f"reinstall: {ch.why}", (PRODUCT_KEY,)))
        else:  # registered, but its service is missing
            out.append(Item(f"reinstall: {ch.why}", _MISSING))
            return out
        # the install starts it and sets it to start at boot: what is not so now is said too
        if not seen.running:
            out.append(Item(f"start {name}", (RUNNING,)))
        if not seen.enabled:
            out.append(Item(f"start {name} at boot", (AUTOSTART,)))
        return out
    if ch.verify:
        out.append(Item(f"verify and record the {name} install (after the restart it asked for)", (RECORD,)))
    if ch.start:
        out.append(Item(f"start {name}", (RUNNING,)))
    if ch.enable:
        out.append(Item(f"start {name} at boot", (AUTOSTART,)))
    return out


def _unknown(u: str | Item, default: tuple[str, ...]) -> Item:
    return u if isinstance(u, Item) else Item(u, default)


def host_changes(plan: Mapping[str, Any], seen: HostSeen) -> HostChanges:
    """What a deploy of ``plan`` (``HostPlan.to_dict()``) would still change on a host that has ``seen``."""
    changes: list[Item] = []
    unknown: list[Item] = [_unknown(u, ALL) for u in seen.unknown]
    notes: list[Item] = []
    ext = plan.get("extension") or {}
    platform = plan.get("platform")
    if ext.get("action") in (APPLY, REMOVE) and platform == "windows":
        if seen.registry is None:
            unknown.append(Item("the registry policy", EXTENSION))
        else:
            wch = windows_changes(ext, seen.registry)
            changes += windows_lines(wch, ext)
            unknown += [Item(u, (TOKEN,)) for u in wch.unknown]
    elif ext.get("action") in (APPLY, REMOVE) and platform == "linux":
        if seen.files is None:
            unknown.append(Item("the policy files", EXTENSION))
        else:
            ch = linux_changes(ext, seen.files)
            changes += linux_lines(ch)
            unknown += [Item(u, (TOKEN,)) for u in ch.unknown]
    sync = plan.get("synchronizer") or {}
    if sync.get("action") in (INSTALL, REMOVE):
        if seen.synchronizer is None:
            unknown.append(Item(f"whether the {sync.get('service_name') or 'Synchronizer'} service is installed",
                                SYNCHRONIZER))
        else:
            sch = synchronizer_changes(sync, seen.synchronizer)
            changes += synchronizer_lines(sync, sch, seen.synchronizer)
            if sch.reboot_pending:
                notes.append(Item(sch.why, (PRESENCE, VERSION)))
    return HostChanges(tuple(changes), tuple({u.text: u for u in unknown}.values()), tuple(notes))
