"""What the report needs to know beyond the store: display names, host roles, and coverage.

``Directory`` maps ids to the names an MSP and its clients read (from the inventory when one is
at hand; the ids otherwise). ``coverage_by_practice`` is the roll-up the report draws on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fleet.store import CheckResult, HostResult

if TYPE_CHECKING:
    from fleet.health.model import Coverage
    from fleet.inventory import Inventory


@dataclass(frozen=True)
class Directory:
    clients: Mapping[str, str] = field(default_factory=dict)  # client id -> name
    practices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # id -> name/pms/site
    hosts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # name -> role/platform

    @classmethod
    def from_inventory(cls, inv: Inventory) -> Directory:
        return cls(
            clients={c.id: c.name for c in inv.clients.values()},
            practices={p.id: {"name": p.name, "pms": p.pms, "site": p.site} for p in inv.practices.values()},
            hosts={h.name: {"role": h.role, "platform": h.platform} for h in inv.hosts.values()},
        )

    def client_name(self, client_id: str) -> str:
        return self.clients.get(client_id) or client_id

    def practice_name(self, practice_id: str) -> str:
        return (self.practices.get(practice_id) or {}).get("name") or practice_id

    def practice_pms(self, practice_id: str) -> str:
        return (self.practices.get(practice_id) or {}).get("pms", "")

    def practice_site(self, practice_id: str) -> str:
        return (self.practices.get(practice_id) or {}).get("site", "")

    def role(self, host: str, facts: Mapping[str, Any] | None = None) -> str:
        facts = facts or {}
        return str(facts.get("role") or facts.get("fleet_role") or (self.hosts.get(host) or {}).get("role", ""))

    def platform(self, host: str, facts: Mapping[str, Any] | None = None) -> str:
        facts = facts or {}
        return str(facts.get("platform") or facts.get("fleet_platform")
                   or (self.hosts.get(host) or {}).get("platform", ""))


# Until the sweep's roll-up (fleet.health.rollup) lands: a workstation counts when checks of
# "coverage: true" (checks.yaml) apply to it; covered when all of them are OK; unknown when the
# sweep could not tell (host unreachable, or UNKNOWN and no failure among them).
FALLBACK_COVERAGE_PREFIX = "extension"


def coverage_check_ids() -> frozenset[str] | None:
    try:
        from fleet.health.checks import default_checks

        return default_checks().coverage_ids
    except Exception:  # the check set cannot load yet: fall back on the id prefix
        return None


def coverage_by_practice(hosts: Sequence[HostResult], checks: Sequence[CheckResult],
                         directory: Directory) -> dict[str, Coverage]:
    from fleet.health.model import Coverage

    ids = coverage_check_ids()
    facts = {h.host: (h.facts or {}) for h in hosts}
    status = {h.host: h.status for h in hosts}
    practice_of = {h.host: h.practice_id for h in hosts}
    states: dict[str, list[str]] = defaultdict(list)
    for c in checks:
        practice_of.setdefault(c.host, c.practice_id)
        if (c.check_id in ids) if ids is not None else c.check_id.startswith(FALLBACK_COVERAGE_PREFIX):
            states[c.host].append(c.state)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # covered, total, unknown
    for host, practice in practice_of.items():
        if host not in states or directory.role(host, facts.get(host)) not in ("workstation", ""):
            continue
        got = states[host]
        row = counts[practice]
        row[1] += 1
        if status.get(host) != "unreachable" and all(s == "OK" for s in got):
            row[0] += 1
        elif status.get(host) == "unreachable" or all(s in ("OK", "UNKNOWN") for s in got):
            row[2] += 1
    return {p: Coverage(covered=v[0], total=v[1], unknown=v[2]) for p, v in counts.items()}
