"""The health report model: one sweep's results from the store, shaped for every report format.

``load_report(store, ...)`` reads a health run (the newest finished one by default), the sweep
before it (for "what changed") and the coverage trend over past sweeps, optionally limited to one
client, into frozen dataclasses. The writers (``report_formats``, ``report_html``) only render
this model; nothing here knows about HTML or CSV.

Coverage and practice state are the sweep's own roll-up (``fleet.health.rollup``): the
``health_practices`` rows it stored, or, for a sweep that stopped before storing them, the same
roll-up recomputed from its host and check rows. The report never judges coverage itself.

A per-client report (``client=...``) is built from that client's rows only: totals, trend and
changes are computed from scratch for the client, so nothing about other clients (names, hosts,
fleet-wide numbers, the sweep's selection) can leak into a report the MSP sends to that client.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from fleet.errors import FleetError
from fleet.health.model import HEALTH_KIND, Coverage
from fleet.report.directory import Directory
from fleet.store import CheckResult, HostResult, RunRecord, Store
from fleet.store import health as store_health
from fleet.store import onboarding as onboarding_records

STATES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
NAGIOS_CODE = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}
# Ordering for "worst of": a CRITICAL outranks a WARNING outranks an UNKNOWN outranks OK.
RANK = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}
FAILING = frozenset({"WARNING", "CRITICAL"})
UNREACHABLE = frozenset({"unreachable", "timed_out"})
DEFAULT_HISTORY = 30


class ReportError(FleetError):
    """There is nothing to report (no sweep yet, unknown run or client)."""


def worst(states: Iterable[str]) -> str:
    return max(states, key=lambda s: RANK.get(s, 1), default="OK")


def change_kind(previous: str | None, state: str) -> str:
    """How one check moved since the previous sweep: '' when it did not move in a way that matters."""
    if state in FAILING and (previous is None or previous not in FAILING):
        return "failing"
    if state == "OK" and previous in FAILING:
        return "resolved"
    if state in FAILING and previous in FAILING and state != previous:
        return "worse" if RANK[state] > RANK[previous] else "better"
    return ""


def percent(cov: Coverage) -> str:
    r = cov.ratio
    return "n/a" if r is None else f"{r * 100:.0f}%"


def coverage_state(cov: Coverage) -> str:
    """OK / WARNING / CRITICAL / UNKNOWN by the roll-up's rule and checks.yaml's thresholds."""
    from fleet.health.checks import default_checks
    from fleet.health.rollup import coverage_state as rollup_coverage_state

    return rollup_coverage_state(cov, default_checks().coverage).value


def _sum_coverage(items: Iterable[Coverage]) -> Coverage:
    total = Coverage()
    for c in items:
        total = total + c
    return total


@dataclass(frozen=True)
class CheckLine:
    check_id: str
    state: str
    message: str = ""
    value: str = ""
    previous: str | None = None  # state in the previous sweep (None: not checked then)

    @property
    def change(self) -> str:
        return change_kind(self.previous, self.state)


@dataclass(frozen=True)
class HostLine:
    name: str
    practice_id: str
    client_id: str
    status: str  # host_results.status; "" when the sweep recorded checks but no host row
    role: str = ""
    platform: str = ""
    message: str = ""
    last_seen: datetime | None = None
    checks: tuple[CheckLine, ...] = ()

    @property
    def reachable(self) -> bool:
        return self.status not in UNREACHABLE

    @property
    def worst(self) -> str:
        if not self.reachable and not self.checks:
            return "UNKNOWN"
        return worst(c.state for c in self.checks)

    @property
    def counts(self) -> Counter[str]:
        return Counter(c.state for c in self.checks)

    @property
    def problems(self) -> tuple[CheckLine, ...]:
        return tuple(c for c in self.checks if c.state != "OK")


@dataclass(frozen=True)
class LifecycleLine:
    """A practice's onboarding state when the report was written (``fleet practice status``)."""

    state: str = "created"
    since: datetime | None = None  # None: nothing recorded yet
    scheduled_for: date | None = None
    note: str = ""

    @property
    def waits_on(self) -> str:
        from fleet.onboarding.lifecycle import Stage, waits_on

        try:
            return waits_on(Stage(self.state))
        except ValueError:
            return ""

    @property
    def label(self) -> str:
        text = self.state.replace("_", " ")
        if self.scheduled_for and self.state in ("created", "install_scheduled"):
            text += f" ({self.scheduled_for.isoformat()})"
        return text

    def days(self, now: datetime) -> int | None:
        return None if self.since is None else max(0, (now - self.since).days)


@dataclass(frozen=True)
class PracticeLine:
    id: str
    name: str
    client_id: str
    hosts: tuple[HostLine, ...]
    coverage: Coverage
    pms: str = ""
    site: str = ""
    state: str = ""  # the roll-up's state (checks and coverage); "" when there is none
    coverage_state: str = ""  # "" where no workstation needs the extension
    lifecycle: LifecycleLine = field(default_factory=LifecycleLine)

    @property
    def worst(self) -> str:
        return worst([h.worst for h in self.hosts] + ([self.state] if self.state else []))

    @property
    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for h in self.hosts:
            total.update(h.counts)
        return total

    @property
    def unreachable(self) -> tuple[HostLine, ...]:
        return tuple(h for h in self.hosts if not h.reachable)


@dataclass(frozen=True)
class ClientLine:
    id: str
    name: str
    practices: tuple[PracticeLine, ...]

    @property
    def coverage(self) -> Coverage:
        return _sum_coverage(p.coverage for p in self.practices)

    @property
    def worst(self) -> str:
        return worst(p.worst for p in self.practices)

    @property
    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for p in self.practices:
            total.update(p.counts)
        return total

    @property
    def hosts(self) -> tuple[HostLine, ...]:
        return tuple(h for p in self.practices for h in p.hosts)

    @property
    def lifecycle_counts(self) -> dict[str, int]:
        """How many of the client's practices are in each onboarding state."""
        return dict(Counter(p.lifecycle.state for p in self.practices))

    def waiting(self, now: datetime) -> dict[str, list[tuple[PracticeLine, int | None]]]:
        """Who each waiting practice waits on (msp / vendor), longest wait first."""
        out: dict[str, list[tuple[PracticeLine, int | None]]] = {}
        for p in self.practices:
            if p.lifecycle.waits_on:
                out.setdefault(p.lifecycle.waits_on, []).append((p, p.lifecycle.days(now)))
        return {k: sorted(v, key=lambda pd: -(pd[1] or 0)) for k, v in sorted(out.items())}


@dataclass(frozen=True)
class Change:
    kind: str  # failing | resolved | worse | better
    client_id: str
    practice_id: str
    host: str
    check_id: str
    state: str
    previous: str | None
    message: str = ""


@dataclass(frozen=True)
class TrendPoint:
    run_id: str
    at: datetime
    coverage: Coverage
    practices: Mapping[str, int] = field(default_factory=dict)  # practices per roll-up state


@dataclass(frozen=True)
class FleetReport:
    run: RunRecord
    previous_run: RunRecord | None
    clients: tuple[ClientLine, ...]
    changes: tuple[Change, ...]
    trend: tuple[TrendPoint, ...]
    generated_at: datetime
    msp_name: str = ""
    client_scope: str | None = None  # a per-client report: only this client's data

    @property
    def practices(self) -> tuple[PracticeLine, ...]:
        return tuple(p for c in self.clients for p in c.practices)

    @property
    def hosts(self) -> tuple[HostLine, ...]:
        return tuple(h for c in self.clients for h in c.hosts)

    @property
    def coverage(self) -> Coverage:
        return _sum_coverage(c.coverage for c in self.clients)

    @property
    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for c in self.clients:
            total.update(c.counts)
        return total

    @property
    def worst(self) -> str:
        return worst(c.worst for c in self.clients)

    @property
    def unreachable(self) -> tuple[HostLine, ...]:
        return tuple(h for h in self.hosts if not h.reachable)

    @property
    def sweep_time(self) -> datetime:
        return self.run.finished_at or self.run.started_at

    @property
    def title(self) -> str:
        if self.client_scope:
            name = self.clients[0].name if self.clients else self.client_scope
            return f"Practice health report: {name}"
        return "Fleet health report"


# -- loading ------------------------------------------------------------------------------------


def resolve_run(store: Store, run_id: str | None) -> RunRecord:
    """The health run to report: by id (or unique id prefix), else the newest finished sweep."""
    if run_id:
        run = store.run(run_id)
        if run is None:
            ids = store_health.run_ids_with_prefix(store, HEALTH_KIND, run_id)
            if len(ids) == 1:
                run = store.run(ids[0])
            elif len(ids) > 1:
                raise ReportError(f"run id prefix {run_id!r} is ambiguous", hint="give more characters of the id")
        if run is None:
            raise ReportError(f"no run {run_id!r} in the store",
                              hint="`fleet runs` lists recent runs; omit --run for the latest sweep")
        if run.kind != HEALTH_KIND:
            raise ReportError(f"run {run.id} is a {run.kind} run, not a health sweep",
                              hint="pick a health run (`fleet runs`), or omit --run for the latest sweep")
        return run
    run = store.last_run(HEALTH_KIND, finished_only=True) or store.last_run(HEALTH_KIND, finished_only=False)
    if run is None:
        raise ReportError("no health sweep in the store yet", hint="run `fleet health` first")
    return run


def previous_run(store: Store, run: RunRecord) -> RunRecord | None:
    """The health sweep before ``run`` (finished, started earlier)."""
    ids = store_health.earlier_run_ids(store, HEALTH_KIND, run.started_at, 1)
    return store.run(ids[0]) if ids else None


def previous_states(store: Store, run: RunRecord, keys: set[tuple[str, str]], client: str | None = None,
                    max_runs: int = 7) -> dict[tuple[str, str], str]:
    """Each (host, check)'s state in the latest earlier sweep that checked it. Usually that is the
    sweep just before; after a partial sweep (--practice/--client) the ones before it fill in, so a
    check a partial sweep did not look at is not "newly failing" the next night. Looks back at most
    ``max_runs`` sweeps (a week of nights): a check unseen that long counts as new."""
    found: dict[tuple[str, str], str] = {}
    for rid in store_health.earlier_run_ids(store, HEALTH_KIND, run.started_at, max_runs):
        for key, state in store_health.check_states(store, rid, client).items():
            if key in keys and key not in found:
                found[key] = state
        if len(found) == len(keys):
            break
    return found


def load_report(store: Store, run_id: str | None = None, *, client: str | None = None,
                directory: Directory | None = None, history: int = DEFAULT_HISTORY,
                msp_name: str = "", now: datetime | None = None,
                redact: Callable[[str], str] | None = None) -> FleetReport:
    """Read one sweep (and its context) from the store into a ``FleetReport``.

    ``redact`` is applied to every message and value from the hosts (the store holds no secrets by
    contract; this is the second line of defence)."""
    directory = directory or Directory()
    run = resolve_run(store, run_id)
    hosts = store.host_results(run.id)
    checks = store.check_results(run.id)
    if client:
        hosts = [h for h in hosts if h.client_id == client]
        checks = [c for c in checks if c.client_id == client]
        if not hosts and not checks:
            known = sorted({h.client_id for h in store.host_results(run.id)})
            raise ReportError(
                f"sweep {run.id[:12]} has no results for client {client!r}",
                hint=("clients in that sweep: " + ", ".join(known[:10])) if known else "run `fleet health` first")
    prev = previous_run(store, run)
    prev_states = previous_states(store, run, {(c.host, c.check_id) for c in checks}, client)
    host_names = sorted({h.host for h in hosts} | {c.host for c in checks})
    last_seen = store.last_seen(host_names) if host_names else {}
    if redact is not None:
        hosts = [replace(h, message=redact(h.message)) for h in hosts]
        checks = [replace(c, message=redact(c.message), value=redact(c.value)) for c in checks]
    rollups = practice_rollups(store, run.id, client)
    practice_ids = {h.practice_id for h in hosts} | {c.practice_id for c in checks}
    lifecycle = {pid: LifecycleLine(r.state, r.since, r.scheduled_for, r.note)
                 for pid, r in onboarding_records.lifecycles(store, sorted(practice_ids)).items()}
    clients = _build(hosts, checks, prev_states, last_seen, directory, rollups, lifecycle)
    changes = tuple(
        Change(kind=c.change, client_id=cl.id, practice_id=p.id, host=h.name, check_id=c.check_id,
               state=c.state, previous=c.previous, message=c.message)
        for cl in clients for p in cl.practices for h in p.hosts for c in h.checks if c.change)
    trend = load_trend(store, run, client=client, history=history)
    return FleetReport(run=run, previous_run=prev, clients=clients, changes=changes, trend=trend,
                       generated_at=now or datetime.now(UTC), msp_name=msp_name, client_scope=client)


def _build(hosts: Sequence[HostResult], checks: Sequence[CheckResult], prev: Mapping[tuple[str, str], str],
           last_seen: Mapping[str, datetime], directory: Directory,
           rollups: Mapping[str, PracticeRollupRow],
           lifecycle: Mapping[str, LifecycleLine] | None = None) -> tuple[ClientLine, ...]:
    by_host: dict[str, list[CheckResult]] = defaultdict(list)
    for c in checks:
        by_host[c.host].append(c)
    host_rows: dict[str, HostResult] = {h.host: h for h in hosts}
    where: dict[str, tuple[str, str]] = {h.host: (h.client_id, h.practice_id) for h in hosts}
    for c in checks:
        where.setdefault(c.host, (c.client_id, c.practice_id))
    practices: dict[tuple[str, str], list[HostLine]] = defaultdict(list)
    for name in sorted(where):
        client_id, practice_id = where[name]
        hr = host_rows.get(name)
        facts = (hr.facts if hr else None) or {}
        lines = tuple(CheckLine(c.check_id, c.state, c.message, c.value, prev.get((name, c.check_id)))
                      for c in sorted(by_host.get(name, ()), key=lambda c: c.check_id))
        practices[(client_id, practice_id)].append(HostLine(
            name=name, practice_id=practice_id, client_id=client_id, status=hr.status if hr else "",
            role=directory.role(name, facts), platform=directory.platform(name, facts),
            message=hr.message if hr else "", last_seen=last_seen.get(name), checks=lines))
    by_client: dict[str, list[PracticeLine]] = defaultdict(list)
    for (client_id, practice_id), hls in practices.items():
        roll = rollups.get(practice_id)
        by_client[client_id].append(PracticeLine(
            id=practice_id, name=directory.practice_name(practice_id), client_id=client_id, hosts=tuple(hls),
            coverage=roll.coverage if roll else Coverage(), pms=directory.practice_pms(practice_id),
            site=directory.practice_site(practice_id), state=roll.state if roll else "",
            coverage_state=roll.coverage_state if roll else "",
            lifecycle=(lifecycle or {}).get(practice_id) or LifecycleLine()))
    return tuple(
        ClientLine(id=cid, name=directory.client_name(cid),
                   practices=tuple(sorted(ps, key=lambda p: (p.name.lower(), p.id))))
        for cid, ps in sorted(by_client.items(), key=lambda kv: (directory.client_name(kv[0]).lower(), kv[0])))


@dataclass(frozen=True)
class PracticeRollupRow:
    practice_id: str
    client_id: str
    state: str
    coverage: Coverage
    coverage_state: str


def practice_rollups(store: Store, run_id: str, client: str | None = None) -> dict[str, PracticeRollupRow]:
    """The sweep's roll-up per practice: its stored ``health_practices`` rows, else recomputed from the
    run's rows with the same code the sweep uses (a sweep killed before it stored its roll-up)."""
    rows = store_health.practice_rows(store, run_id, client)
    if rows:
        return {r["practice_id"]: PracticeRollupRow(r["practice_id"], r["client_id"], r["state"],
                                                    Coverage(r["workstations_covered"], r["workstations_total"],
                                                             r["workstations_unknown"]), r["coverage_state"] or "")
                for r in rows}
    from fleet.health.checks import default_checks
    from fleet.health.rollup import outcomes_from_store, rollup_practices

    outcomes = [o for o in outcomes_from_store(store, run_id) if not client or o.client_id == client]
    return {r.practice_id: PracticeRollupRow(r.practice_id, r.client_id, r.state.value, r.coverage,
                                             r.coverage_state.value if r.coverage_state else "")
            for r in rollup_practices(outcomes, default_checks())}


def load_trend(store: Store, run: RunRecord, *, client: str | None = None,
               history: int = DEFAULT_HISTORY) -> tuple[TrendPoint, ...]:
    """Workstation coverage and practices per state for up to ``history`` sweeps ending with ``run``
    (oldest first).

    One aggregate query over the stored roll-ups (a few hundred rows per sweep, whatever the number
    of hosts), so a long history of a large fleet stays cheap; only a sweep that stopped before
    storing its roll-up is recomputed from its rows."""
    runs, agg = store_health.trend_rows(store, HEALTH_KIND, run.id, run.started_at, history, client)
    stored: dict[str, tuple[Coverage, dict[str, int]]] = {}
    for rid, state, n, covered, total, unknown in agg:
        cov, states = stored.get(rid, (Coverage(), {}))
        states[state] = n
        stored[rid] = (cov + Coverage(covered, total, unknown), states)
    points: list[TrendPoint] = []
    for rid, started in reversed(runs):
        if rid not in stored:
            rolls = practice_rollups(store, rid, client)  # a sweep without stored roll-ups
            if not rolls:
                continue  # it did not touch this client (or recorded nothing)
            states = Counter(r.state for r in rolls.values())
            stored[rid] = (_sum_coverage(r.coverage for r in rolls.values()), dict(states))
        cov, states = stored[rid]
        at = started if started.tzinfo else started.replace(tzinfo=UTC)
        points.append(TrendPoint(run_id=rid, at=at, coverage=cov, practices={s: states.get(s, 0) for s in STATES}))
    return tuple(points)


def report_dict(report: FleetReport) -> dict[str, Any]:
    """The report as plain data (the JSON format; also what tests compare against)."""

    def ts(v: datetime | None) -> str | None:
        return v.isoformat() if v else None

    def cov(c: Coverage) -> dict[str, Any]:
        return {"covered": c.covered, "total": c.total,
                "unknown": c.unknown,
                "ratio": None if c.ratio is None else round(c.ratio, 4)}

    def run_doc(r: RunRecord | None) -> dict[str, Any] | None:
        if r is None:
            return None
        doc: dict[str, Any] = {"id": r.id, "started_at": ts(r.started_at), "finished_at": ts(r.finished_at),
                               "status": r.status}
        if not report.client_scope:
            doc.update(controller=r.controller, fleet_version=r.fleet_version)
        return doc

    return {
        "format": "fleet-health-report",
        "version": 1,
        "generated_at": ts(report.generated_at),
        "msp": report.msp_name,
        "scope": {"client": report.client_scope},
        "run": run_doc(report.run),
        "previous_run": run_doc(report.previous_run),
        "totals": {"clients": len(report.clients), "practices": len(report.practices),
                   "hosts": len(report.hosts), "unreachable_hosts": len(report.unreachable),
                   "coverage": cov(report.coverage), "worst": report.worst,
                   "checks": {s: report.counts.get(s, 0) for s in STATES}},
        "clients": [{
            "id": c.id, "name": c.name, "coverage": cov(c.coverage), "worst": c.worst,
            "checks": {s: c.counts.get(s, 0) for s in STATES},
            "practices": [{
                "id": p.id, "name": p.name, "pms": p.pms, "site": p.site, "coverage": cov(p.coverage),
                "worst": p.worst, "checks": {s: p.counts.get(s, 0) for s in STATES},
                "lifecycle": {"state": p.lifecycle.state, "since": ts(p.lifecycle.since),
                              "waits_on": p.lifecycle.waits_on,
                              "scheduled_for": p.lifecycle.scheduled_for.isoformat()
                              if p.lifecycle.scheduled_for else None},
                "hosts": [{
                    "host": h.name, "role": h.role, "platform": h.platform, "status": h.status,
                    "reachable": h.reachable, "last_seen": ts(h.last_seen), "worst": h.worst,
                    "message": h.message,
                    "checks": [{"check": k.check_id, "state": k.state, "previous_state": k.previous,
                                "change": k.change, "message": k.message, "value": k.value}
                               for k in h.checks],
                } for h in p.hosts],
            } for p in c.practices],
        } for c in report.clients],
        "changes": [{"kind": ch.kind, "client": ch.client_id, "practice": ch.practice_id, "host": ch.host,
                     "check": ch.check_id, "state": ch.state, "previous_state": ch.previous,
                     "message": ch.message} for ch in report.changes],
        "trend": [{"run_id": p.run_id, "at": ts(p.at), "coverage": cov(p.coverage), "practices": dict(p.practices)}
                  for p in report.trend],
    }
