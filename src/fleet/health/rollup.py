"""Roll-ups: per practice (worst state, workstation coverage, servers), per client and for the fleet.

Computed from ``HostOutcome``s, which the sweep builds as results arrive and ``outcomes_from_store``
rebuilds from a stored run (so a report, or a sweep that was killed half-way, rolls up the same
way). Coverage: a workstation of a browser-extension practice is covered when every coverage check
(checks.yaml ``coverage: true``) is OK on it; unreachable ones are counted as unknown.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fleet.health.checks import CheckSet, CoverageThresholds
from fleet.health.model import HOST_OK, HOST_UNREACHABLE, Coverage, State, worst

if TYPE_CHECKING:
    from fleet.store import Store

EXTENSION_METHOD = "chrome_extension"
# The method a workstation's checks are chosen with when nobody uses the PMS on it (fleet_uses_pms: false).
NOT_USING_PMS = "none"


@dataclass(frozen=True)
class HostOutcome:
    host: str
    practice_id: str
    client_id: str
    role: str
    install_method: str
    status: str  # host_results.status
    states: Mapping[str, State]  # check id -> state
    uses_pms: bool = True  # False: a workstation nobody uses the PMS on (not in coverage)

    @property
    def worst(self) -> State:
        return worst(self.states.values(), default=State.UNKNOWN)

    def covered(self, coverage_ids: Iterable[str]) -> bool | None:
        """None when coverage does not apply to this host."""
        if self.role != "workstation" or self.install_method != EXTENSION_METHOD or not self.uses_pms:
            return None
        ids = [c for c in coverage_ids if c in self.states]
        return self.status == HOST_OK and bool(ids) and all(self.states[c] is State.OK for c in ids)


@dataclass(frozen=True)
class PracticeRollup:
    practice_id: str
    client_id: str
    install_method: str
    state: State
    coverage: Coverage
    coverage_state: State | None  # None where the practice has no extension to cover
    servers_total: int
    servers_ok: int
    hosts_total: int
    hosts_unreachable: int
    counts: Mapping[str, int] = field(default_factory=dict)  # check state -> number of checks

    @property
    def servers_label(self) -> str:
        return f"{self.servers_ok}/{self.servers_total} OK" if self.servers_total else "-"

    def message(self) -> str:
        parts = []
        if self.coverage_state is not None:
            parts.append(f"coverage {self.coverage.label()}")
        if self.servers_total:
            parts.append(f"servers {self.servers_label}")
        if self.hosts_unreachable:
            parts.append(f"{self.hosts_unreachable} unreachable")
        bad = {s: n for s, n in self.counts.items() if s != State.OK.value and n}
        if bad:
            parts.append(", ".join(f"{n} {s}" for s, n in sorted(bad.items())))
        return "; ".join(parts)


def coverage_state(cov: Coverage, thresholds: CoverageThresholds) -> State:
    if not cov.total:
        return State.OK
    if not cov.known:
        return State.UNKNOWN
    return thresholds.state(cov.covered / cov.known)


def rollup_practices(outcomes: Iterable[HostOutcome], checks: CheckSet) -> list[PracticeRollup]:
    by_practice: dict[str, list[HostOutcome]] = defaultdict(list)
    for o in outcomes:
        by_practice[o.practice_id].append(o)
    cov_ids = checks.coverage_ids
    out = []
    for pid, hosts in by_practice.items():
        method = hosts[0].install_method
        counts: Counter[str] = Counter(s.value for h in hosts for s in h.states.values())
        covered = [h.covered(cov_ids) for h in hosts]
        cov = Coverage(
            covered=sum(1 for c in covered if c),
            total=sum(1 for c in covered if c is not None),
            unknown=sum(1 for h, c in zip(hosts, covered, strict=True) if c is not None and h.status != HOST_OK),
        )
        cstate = coverage_state(cov, checks.coverage) if method == EXTENSION_METHOD else None
        servers = [h for h in hosts if h.role == "server"]
        states = [h.worst for h in hosts] + ([cstate] if cstate else [])
        out.append(PracticeRollup(
            practice_id=pid, client_id=hosts[0].client_id, install_method=method,
            state=worst(states, default=State.UNKNOWN), coverage=cov, coverage_state=cstate,
            servers_total=len(servers), servers_ok=sum(1 for h in servers if h.worst is State.OK),
            hosts_total=len(hosts), hosts_unreachable=sum(1 for h in hosts if h.status == HOST_UNREACHABLE),
            counts=dict(counts)))
    return sorted(out, key=lambda r: (r.client_id, r.practice_id))


@dataclass(frozen=True)
class GroupRollup:
    """A client's or the whole fleet's roll-up."""

    id: str
    state: State
    coverage: Coverage
    practices: int
    practice_states: Mapping[str, int]
    hosts: int
    hosts_unreachable: int


def rollup_group(group_id: str, practices: Sequence[PracticeRollup], checks: CheckSet) -> GroupRollup:
    cov = Coverage()
    for p in practices:
        cov = cov + p.coverage
    return GroupRollup(
        id=group_id, state=worst((p.state for p in practices), default=State.UNKNOWN), coverage=cov,
        practices=len(practices), practice_states=dict(Counter(p.state.value for p in practices)),
        hosts=sum(p.hosts_total for p in practices), hosts_unreachable=sum(p.hosts_unreachable for p in practices))


def rollup_clients(practices: Sequence[PracticeRollup], checks: CheckSet) -> list[GroupRollup]:
    by_client: dict[str, list[PracticeRollup]] = defaultdict(list)
    for p in practices:
        by_client[p.client_id].append(p)
    return [rollup_group(cid, ps, checks) for cid, ps in sorted(by_client.items())]


def outcomes_from_store(store: Store, run_id: str) -> list[HostOutcome]:
    """Rebuild host outcomes of a stored sweep (role and install method come from the stored facts)."""
    from fleet.store import health as store_health  # here: the sweep rolls up without the store's libraries

    states: dict[str, dict[str, State]] = defaultdict(dict)
    for (host, check_id), state in store_health.check_states(store, run_id).items():
        states[host][check_id] = State.parse(state)
    return [HostOutcome(host=h, practice_id=p, client_id=c, role=str((f or {}).get("role", "")),
                        install_method=str((f or {}).get("install_method", "")), status=s,
                        states=states.get(h, {}), uses_pms=(f or {}).get("uses_pms") is not False)
            for h, p, c, s, f in store_health.host_rows(store, run_id)]
