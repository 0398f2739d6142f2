"""Drift: what ``fleet deploy`` would still change on a host, judged from the health collector's facts.

    drift = host_drift(expectations, facts)     # pure: desired state + seen -> changes

The expectations are the host's desired state (``fleet.health.expect``, computed from
``fleet.desired`` exactly as the deploy's plan is); the facts are one collector round trip. The
result lists, without any secret (values are compared by fingerprint), the changes a deploy would
make, and what could not be verified. ``fleet deploy`` hands to Ansible only the hosts with a change
or something unverified, and records the others as verified in sync; the health check
``in_sync`` reports the same list.

The comparisons mirror the roles' decisions (``fleet.desired.plan``): per managed browser flavour our
forcelist entry (Linux: our file carries the other files' entries plus ours and is the one Chrome
reads), every managed value; our entries gone where a browser is no longer managed and everywhere
for ``fleet_state: absent``; the Synchronizer installed at the wanted version with the vault's
product key, running and starting at boot, or removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from fleet.desired.plan import linux_file_name, same_version
from fleet.health.expect import Expectations, ExpectedExtension
from fleet.health.facts import HostFacts

SELF_INSTALL, CLOUD = "self_install", "chrome_extension"


@dataclass(frozen=True)
class Drift:
    changes: tuple[str, ...] = ()  # what a deploy would change (one line each, no secret)
    unknown: tuple[str, ...] = ()  # what the facts cannot tell (a deploy runs to be sure)

    @property
    def in_sync(self) -> bool:
        return not self.changes and not self.unknown

    def describe(self) -> str:
        parts = list(self.changes) + [f"not verified: {u}" for u in self.unknown]
        return "; ".join(parts) if parts else "in sync"


def _id(entry: str) -> str:
    return entry.split(";", 1)[0].strip().lower()


def _workstation(x: Expectations, f: HostFacts, changes: list[str], unknown: list[str]) -> None:
    pe = x.practice
    if x.platform == "macos":  # the deploy only points to an MDM profile there
        return
    if pe.problem and not pe.extensions:
        unknown.append(pe.problem)
        return
    wanted = {} if x.absent else {e.browser: e for e in pe.extensions}
    gone = list(pe.extensions if x.absent else pe.stale)
    for fl in x.flavors:
        ext = wanted.get(fl.manages)
        if ext is not None:
            _wanted_here(x, f, fl.name, fl.policy, ext, changes, unknown)
        for old in (g for g in gone if g.browser == fl.manages):
            old_id = old.extension_id.lower()
            left = sorted({e.source for e in f.forcelist if e.browser == fl.name and _id(e.entry) == old_id})
            values = sorted({m.field for m in f.managed_values
                             if m.browser == fl.name and m.extension_id.lower() == old_id})
            if left:
                changes.append(f"{fl.name}: remove our force-install entry ({', '.join(left)})")
            elif values:
                changes.append(f"{fl.name}: remove our managed values ({', '.join(values)})")


def _wanted_here(x: Expectations, f: HostFacts, flavor: str, policy_dir: str, ext: ExpectedExtension,
                 changes: list[str], unknown: list[str]) -> None:
    ours_id = ext.extension_id.lower()
    stale_ids = {i.lower() for i in ext.stale_ids}  # earlier IDs / the other Edge build: removed by the deploy
    left = sorted({e.source for e in f.forcelist if e.browser == flavor and _id(e.entry) in stale_ids})
    if left:
        changes.append(f"{flavor}: remove an earlier ID of the extension ({', '.join(left)})")
    sources = [s for s in f.policy_sources if s.browser == flavor]
    broken = [s.source for s in sources if not s.ok]
    setting = sorted(s.source for s in sources if s.ok and s.has_forcelist)
    entries = [e for e in f.forcelist if e.browser == flavor]
    if x.platform == "linux":
        our_file = f"{policy_dir}/{linux_file_name(x.practice_id)}"
        if our_file in broken:
            changes.append(f"{flavor}: our policy file is not valid JSON")
            return
        mine = [e.entry for e in entries if e.source == our_file]
        merged: list[str] = []
        for src in setting:
            if src != our_file:
                merged += [e.entry for e in entries if e.source == src and _id(e.entry) != ours_id
                           and _id(e.entry) not in stale_ids and e.entry not in merged]
        merged.append(ext.forcelist_entry)
        if our_file not in setting:
            changes.append(f"{flavor}: write our policy file {our_file}")
            return
        if setting[-1] != our_file:  # Chrome takes the list from the last file by name (the deploy reports it)
            changes.append(f"{flavor}: {setting[-1]} also sets the forcelist and hides {our_file}")
        if mine != merged:
            changes.append(f"{flavor}: update the forcelist in {our_file}")
        values_from = {our_file}
    else:
        mine = [e.entry for e in entries if _id(e.entry) == ours_id]
        if not mine:
            changes.append(f"{flavor}: add our force-install entry")
        elif ext.forcelist_entry not in mine or len(set(mine)) > 1:
            changes.append(f"{flavor}: correct our force-install entry")
        values_from = None
    rows = [m for m in f.managed_values if m.browser == flavor and m.extension_id == ext.extension_id
            and (values_from is None or m.source in values_from)]
    for name, accepted in sorted(ext.fingerprints.items()):
        have = [m for m in rows if m.field == name]
        if not have:
            changes.append(f"{flavor}: set managed value {name}")
        elif not any(m.sha16 in accepted for m in have):
            if any(m.sha16 for m in have):
                changes.append(f"{flavor}: change managed value {name}")
            else:
                unknown.append(f"{flavor}: managed value {name} could not be fingerprinted")
    if ext.token_field not in ext.fingerprints:
        unknown.append(f"{flavor}: the practice's token is not available to compare")


def _server(x: Expectations, f: HostFacts, changes: list[str], unknown: list[str]) -> None:
    if x.install_method != SELF_INSTALL:
        return
    svc = next((s for s in f.services if s.kind == "synchronizer" and s.name == x.synchronizer), None)
    if svc is None or svc.present is None:
        unknown.append(f"whether the {x.synchronizer} service is installed")
        return
    if x.absent:
        if svc.present:
            changes.append(f"uninstall the {svc.name} service")
        return
    if not svc.present:
        changes.append(f"install the {svc.name} service {x.synchronizer_version}".rstrip())
        return
    # as the role compares (fleet.desired.plan.synchronizer_changes): on Windows 4.2.0 is the file
    # version 4.2.0.0, the Linux stand-in's version is a string
    wanted = x.synchronizer_version
    if wanted and not (svc.version == wanted or (f.collector == "windows" and same_version(svc.version, wanted))):
        changes.append(f"install {x.synchronizer_version} over {svc.version or 'an unknown version'}")
        return
    wanted_key = x.practice.product_key_fingerprint
    if not wanted_key:
        unknown.append("the practice's product key is not available to compare")
    elif not svc.key_fingerprint:
        unknown.append("the installed product key's fingerprint")
    elif svc.key_fingerprint != wanted_key:
        changes.append("reinstall with the practice's new product key")
        return
    if svc.running is None:
        unknown.append(f"whether {svc.name} runs")
    elif not svc.running:
        changes.append(f"start {svc.name}")
    if svc.start not in ("auto", "delayed"):  # the role keeps a vendor's delayed start
        changes.append(f"start {svc.name} at boot")


def host_drift(x: Expectations, facts: HostFacts, uses_pms: bool = True) -> Drift:
    """What a deploy would change on the host (pure). ``uses_pms`` False: a workstation nobody uses
    the PMS on, where the plan puts nothing (``fleet_uses_pms: false``)."""
    changes: list[str] = []
    unknown: list[str] = []
    if x.role == "workstation" and x.install_method == CLOUD and uses_pms:
        _workstation(x, facts, changes, unknown)
    elif x.role == "server":
        _server(x, facts, changes, unknown)
    return Drift(tuple(changes), tuple(unknown))
