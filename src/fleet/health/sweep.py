"""The sweep: collect every selected host in parallel, judge on the controller, stream into the store.

    result = Sweep(ws, store, settings).run(hosts, SweepOptions(...))

Per host there is one round trip (``transport``); its answer is parsed (``facts``), judged
(``evaluate``) and written with its check results in one transaction (``storage.record_hosts``)
as soon as it arrives, by the calling thread, while the pool keeps collecting: the answers that came
in together (while the thread was judging and writing the last ones) share a transaction, so a busy
sweep commits once per group instead of once per host, and none waits for a group to fill. Only a small
outcome per host stays in memory. A sweep interrupted (Ctrl-C, SIGTERM) marks its run
"interrupted" and keeps every host already written; one killed outright leaves its run "running",
which the next sweep marks "interrupted" (``storage.close_stale_runs``).
"""

from __future__ import annotations

import contextlib
import json
import resource
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol

from fleet.desired.changes import judging_plan
from fleet.desired.context import host_context, lenient_host_context
from fleet.errors import FleetError
from fleet.health.checks import CheckSet, default_checks
from fleet.health.evaluate import HostContext, evaluate_host
from fleet.health.expect import Expectations, PracticeExpect, host_expectations, practice_expect
from fleet.health.facts import FactsError, parse_facts
from fleet.health.model import (
    HEALTH_KIND,
    HOST_OK,
    HOST_TIMED_OUT,
    HOST_UNKNOWN,
    HOST_UNREACHABLE,
    CheckDef,
    State,
    worst,
)
from fleet.health.rollup import (
    EXTENSION_METHOD,
    NOT_USING_PMS,
    HostOutcome,
    PracticeRollup,
    rollup_clients,
    rollup_group,
    rollup_practices,
)
from fleet.health.settings import HealthSettings
from fleet.health.transport import (
    POWERSHELL_OVER_SSH,
    RawResult,
    TransportError,
    allow_running,
    collector_budget,
    kill_running,
    posix_payload,
    posix_remote_command,
    powershell_payload,
    psrp_kwargs,
    run_process,
    run_psrp,
    ssh_argv,
)
from fleet.interrupts import deferred, raise_if_requested
from fleet.inventory.model import Host, Practice
from fleet.onboarding.lifecycle import Pending
from fleet.secrets.redact import Redactor
from fleet.secrets.store import PRODUCT_KEY_VAR, TOKEN_VAR

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported once the first connections are on their way
    from fleet.desired.context import HostContext as DesiredContext  # not health.evaluate's HostContext
    from fleet.onboarding.status import PracticeOnboarding
    from fleet.store import CheckResult, HostResult, Store
    from fleet.workspace import Workspace

#: Hosts with the same key share one PracticeExpect: (practice, fleet_state, fleet_join, host overrides).
ExpectKey = tuple[str, str, str | None, tuple[tuple[str, str], ...]]

PSRP_CONNECTIONS = ("psrp", "winrm")
# The transport's own deadline ends every round trip; past it by this much, the sweep gives up
# waiting for the thread too (the host is recorded "timed out" and the run still closes).
OVERDUE_GRACE_S = 15.0
MAX_GROUP = 64  # answers written in one transaction at most
SSH_CONNECTIONS = ("ssh", "smart", "paramiko", "paramiko_ssh", "")


@cache
def collector_script(name: str) -> str:
    return resources.files("fleet.health").joinpath(f"collectors/{name}").read_text(encoding="utf-8")


# -- selection ------------------------------------------------------------------------------------


# -- one host -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepHost:
    host: Host
    expect: Expectations
    checks: tuple[CheckDef, ...]
    # The vendor's engineer has not been yet (the practice's lifecycle): the Synchronizer checks
    # (params.pending_before_install) say so instead of failing.
    pending: Pending | None = None
    state: str | None = None  # the fleet_state it was planned with (``fleet deploy --remove``: absent)
    judging: bool = False  # ``expect`` holds what judging needs (fingerprints, the deploy plan, pending)


def collect(plan: SweepHost, settings: HealthSettings, timeout: float) -> RawResult:
    """The round trip for one host (runs in a pool thread; never raises)."""
    h = plan.host
    doc = json.dumps(plan.expect.wire, separators=(",", ":"))
    try:
        budget = collector_budget(timeout)
        if h.connection in PSRP_CONNECTIONS:
            kwargs = psrp_kwargs(h.vars, h.name, timeout)
            return run_psrp(h.name, kwargs, powershell_payload(collector_script("windows.ps1"), doc, budget),
                            timeout, settings.max_output)
        if h.connection not in SSH_CONNECTIONS:
            return RawResult(h.name, b"", time.time(), time.time(),
                             error=f"ansible_connection {h.connection!r} is not supported by the health sweep")
        if h.platform == "windows":
            argv = ssh_argv(h.vars, h.name, POWERSHELL_OVER_SSH, min(timeout, 30), settings.ssh_options)
            payload = powershell_payload(collector_script("windows.ps1"), doc, budget).encode("utf-8")
        else:
            argv = ssh_argv(h.vars, h.name, posix_remote_command(h.vars), min(timeout, 30), settings.ssh_options)
            payload = posix_payload(collector_script("posix.sh"), doc)
    except TransportError as exc:
        return RawResult(h.name, b"", time.time(), time.time(), error=str(exc))
    return run_process(h.name, argv, payload, timeout, settings.max_output)


@dataclass
class Judged:
    host_result: HostResult
    checks: list[CheckResult]
    outcome: HostOutcome

    def as_json(self) -> dict[str, Any]:
        """The host in ``fleet health --json``: its status, worst state and every check (no secret: the
        messages and values were redacted when judged)."""
        hr = self.host_result
        return {"host": hr.host, "practice": hr.practice_id, "client": hr.client_id, "role": self.outcome.role,
                "status": hr.status, "state": self.outcome.worst.value, "message": hr.message,
                "checks": [{"check": c.check_id, "state": c.state, "message": c.message, "value": c.value}
                           for c in self.checks]}


def judge(plan: SweepHost, raw: RawResult, redactor: Redactor, last_seen: datetime | None,
          max_output: int) -> Judged:
    """Turn one host's raw answer into its host row, check rows and outcome (pure but for the clock)."""
    from fleet.store import CheckResult, HostResult
    h, x = plan.host, plan.expect
    base = {"role": x.role, "platform": x.platform, "install_method": x.install_method,
            **({} if h.uses_pms else {"uses_pms": False}),
            "sweep": {"elapsed_s": round(raw.elapsed, 3), "bytes": len(raw.stdout), "exit_code": raw.exit_code}}
    outcomes: list[tuple[CheckDef, State, str, str]] = []
    facts_doc: dict[str, Any] | None = None
    if raw.error or raw.unreachable or raw.timed_out:
        why = redactor.text(raw.error)
        seen = last_seen.strftime("%Y-%m-%d %H:%M UTC") if last_seen else "never"
        if raw.timed_out:
            status = HOST_TIMED_OUT
            reason = (f"timed out: no complete answer {why.removeprefix('timed out ')} (the collector was "
                      f"stopped: a stalled connection or a hung probe on the host); last seen {seen}")
        elif raw.unreachable:
            status, reason = HOST_UNREACHABLE, f"unreachable: {why}; last seen {seen}"
        else:
            status, reason = HOST_UNKNOWN, f"no usable answer: {why}; last seen {seen}"
    else:
        try:
            facts = parse_facts(raw.stdout, max_output)
        except FactsError as exc:
            status, reason = HOST_UNKNOWN, f"unusable data from the host: {exc.reason}"
        else:
            status, reason = HOST_OK, ""
            ctx = HostContext(facts, x, raw.sent_at, raw.received_at)
            for check, o in evaluate_host(plan.checks, ctx):
                state, message = o.state, o.message
                if plan.pending is not None and state is not State.OK and check.params.get("pending_before_install"):
                    state = State.WARNING if plan.pending.overdue else State.OK
                    message = f"{plan.pending.message} (now: {o.message})"
                outcomes.append((check, state, redactor.text(message), redactor.text(o.value)))
            facts_doc = redactor.obj(facts.to_dict())
    if status != HOST_OK:
        seen_txt = last_seen.isoformat() if last_seen else ""
        for check in plan.checks:
            if check.id == "reachable":
                outcomes.append((check, State.UNKNOWN, reason, seen_txt))
            else:
                outcomes.append((check, State.UNKNOWN, "not checked: " + reason, ""))
        base["last_seen"] = seen_txt or None
    now = datetime.now(UTC)
    checks = [CheckResult(host=h.name, practice_id=h.practice_id, client_id=h.client_id, check_id=c.id,
                          state=s.value, message=m, value=v, recorded_at=now) for c, s, m, v in outcomes]
    states = {c.id: s for c, s, _, _ in outcomes}
    host_worst = worst(states.values(), default=State.UNKNOWN)
    bad = sorted(c.id for c, s, _, _ in outcomes if s is not State.OK)
    message = reason or (f"{host_worst.value}: {', '.join(bad)}" if bad else "all checks OK")
    hr = HostResult(host=h.name, practice_id=h.practice_id, client_id=h.client_id, status=status,
                    ok=sum(1 for s in states.values() if s is State.OK),
                    failures=sum(1 for s in states.values() if s in (State.WARNING, State.CRITICAL)),
                    message=message, facts={**base, **(facts_doc or {})}, recorded_at=now)
    # Coverage counts the workstations that must carry the extension: not one nobody uses the PMS on,
    # nor an offboarded one (fleet_state: absent), whose extension must be gone.
    outcome = HostOutcome(h.name, h.practice_id, h.client_id, x.role, x.install_method, status, states,
                          uses_pms=h.uses_pms and not x.absent)
    return Judged(hr, checks, outcome)


# -- the sweep ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepOptions:
    forks: int
    timeout: float
    selection: dict[str, Any] = field(default_factory=dict)


@dataclass
class SweepResult:
    run_id: str
    status: str  # ok | interrupted
    outcomes: list[HostOutcome]
    practices: list[PracticeRollup]
    checks: CheckSet
    wall_s: float
    cpu_self_s: float
    cpu_children_s: float
    stale_closed: list[str] = field(default_factory=list)

    @property
    def state(self) -> State:
        """The worst state over the selection (every check and every practice roll-up)."""
        states = [o.worst for o in self.outcomes] + [p.state for p in self.practices]
        return worst(states, default=State.UNKNOWN if not self.outcomes else State.OK)

    @property
    def exit_code(self) -> int:
        return self.state.nagios

    def summary(self) -> dict[str, Any]:
        fleet = rollup_group("fleet", self.practices, self.checks)
        n = len(self.outcomes)
        return {
            "state": self.state.value, "exit_code": self.exit_code, "hosts": n,
            "hosts_by_status": _count(o.status for o in self.outcomes),
            "hosts_by_state": _count(o.worst.value for o in self.outcomes),
            "practices_by_state": dict(fleet.practice_states),
            "coverage": {"covered": fleet.coverage.covered, "total": fleet.coverage.total,
                         "unknown": fleet.coverage.unknown},
            "clients": {c.id: {"state": c.state.value, "practices": c.practices,
                               "coverage": {"covered": c.coverage.covered, "total": c.coverage.total,
                                            "unknown": c.coverage.unknown}}
                        for c in rollup_clients(self.practices, self.checks)},
            "wall_s": round(self.wall_s, 3), "cpu_self_s": round(self.cpu_self_s, 3),
            "cpu_children_s": round(self.cpu_children_s, 3),
            "cpu_ms_per_host": round(1000 * (self.cpu_self_s + self.cpu_children_s) / n, 2) if n else None,
        }


    def as_json(self, hosts: Iterable[Mapping[str, Any]],
                lifecycle: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """The sweep in ``fleet health --json``: run, state, summary, each practice's roll-up with its
        onboarding ``lifecycle`` (practice id -> its document), and ``hosts`` (``Judged.as_json``)."""
        return {
            "run_id": self.run_id, "state": self.state.value, "exit_code": self.exit_code,
            "summary": self.summary(),
            "practices": [{
                "practice": p.practice_id, "client": p.client_id, "state": p.state.value,
                "install_method": p.install_method,
                "coverage": {"covered": p.coverage.covered, "total": p.coverage.total, "unknown": p.coverage.unknown,
                             "ratio": None if p.coverage.ratio is None else round(p.coverage.ratio, 4),
                             "state": p.coverage_state.value if p.coverage_state else None},
                "servers": {"total": p.servers_total, "ok": p.servers_ok},
                "hosts": p.hosts_total, "hosts_unreachable": p.hosts_unreachable, "checks": dict(p.counts),
                "lifecycle": dict(lifecycle.get(p.practice_id, {})),
            } for p in self.practices],
            "hosts": sorted(hosts, key=lambda d: (d["client"], d["practice"], d["host"])),
        }


def _count(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return out


class Sweep:
    """One sweep over chosen hosts; dependencies come in through the constructor."""

    def __init__(self, ws: Workspace, store: Store | Callable[[], Store], settings: HealthSettings,
                 checks: CheckSet | None = None, on_host: Callable[[Judged], None] | None = None) -> None:
        """``store``: the store, or a function that opens it (called once the first hosts are being
        collected: ``fleet health`` connects before it imports and opens the store)."""
        self.ws = ws
        self._store: Store | None = None if callable(store) else store
        self._open_store = store if callable(store) else None
        self.settings = settings
        self.checks = checks or default_checks()
        self.on_host = on_host
        self.redactor = Redactor()
        self._secret_lock = threading.Lock()
        self._vault: dict[str, dict[str, str] | FleetError] = {}
        self._onboarding: dict[str, PracticeOnboarding] | None = None
        self.moved: list[str] = []  # practices this sweep moved to "installed" (Synchronizer seen running)
        self.coverage_events: list[str] = []  # practices whose extension coverage this sweep saw reached / lost
        self.coverage_error = ""  # why they could not be recorded (a store problem), if so
        self._judging: dict[ExpectKey, PracticeExpect] = {}
        self._plans: dict[tuple[ExpectKey, str, str], dict[str, Any]] = {}  # judging plans (read only)

    @property
    def store(self) -> Store:
        if self._store is None:
            assert self._open_store is not None
            self._store = self._open_store()
        return self._store

    # secrets: read once per practice, only on the controller; only fingerprints go further
    def _secret_reader(self, practice_id: str, var: str) -> Callable[[], str | None]:
        """Reads one vault var of the practice when a check needs it (None: not in the vault)."""
        return lambda: self._practice_secrets(practice_id).get(var)

    def _practice_secrets(self, practice_id: str) -> dict[str, str]:
        """The practice's vault vars ({} without a vault password); raises the vault's error."""
        with self._secret_lock:
            if practice_id not in self._vault:
                try:
                    pw = self.ws.password(required=False)
                    data: dict[str, str] = {}
                    if pw is not None and self.ws.secrets.exists(practice_id):
                        data = self.ws.secrets.read(practice_id, pw)
                        self.redactor.add(v for k, v in data.items() if k in (TOKEN_VAR, PRODUCT_KEY_VAR))
                    self._vault[practice_id] = data
                except FleetError as exc:
                    self._vault[practice_id] = exc
            found = self._vault[practice_id]
        if isinstance(found, FleetError):
            raise found
        return found

    def preload_secrets(self, secrets: Mapping[str, Mapping[str, str]]) -> None:
        """Practices' vault vars already decrypted by the caller (``fleet deploy``): not read again."""
        with self._secret_lock:
            for practice_id, data in secrets.items():
                self._vault[practice_id] = dict(data)
                self.redactor.add(v for k, v in data.items() if k in (TOKEN_VAR, PRODUCT_KEY_VAR))

    def plan(self, hosts: Sequence[Host]) -> list[SweepHost]:
        """Every host's plan, ready for judging."""
        return [self.for_judging(p, hosts) for p in self.iter_plans(hosts)]

    def onboarding(self, hosts: Sequence[Host]) -> dict[str, PracticeOnboarding]:
        """The lifecycle state of the hosts' practices (read once per sweep from the store)."""
        if self._onboarding is None:
            from fleet.onboarding.status import load_onboarding

            inv = self.ws.inventory
            practices = [inv.practices[pid] for pid in dict.fromkeys(h.practice_id for h in hosts)]
            self._onboarding = load_onboarding(self.store, practices, self.ws.catalog)
        return self._onboarding

    def iter_plans(self, hosts: Sequence[Host], state: str | None = None) -> Iterator[SweepHost]:
        """What each host's collector is sent, one host at a time, without the vault or the store
        (the wire holds no secret, no fingerprint): the first connections start at once, while
        later hosts are planned; ``for_judging`` adds what judging needs when the answer is in.
        ``state`` overrides each host's fleet_state (``fleet deploy --remove``)."""
        inv = self.ws.inventory
        config = self.ws.config
        pes: dict[ExpectKey, PracticeExpect] = {}
        for h in hosts:
            p = inv.practices[h.practice_id]
            ctx, key = self._context(h, p, state)
            if key not in pes:
                pes[key] = practice_expect(ctx.practice, self.ws.catalog, config, lambda: None, ctx.state, ctx.join)
            x = host_expectations(h, pes[key], config, self.settings)
            # A workstation where nobody uses the PMS is expected to carry no extension: only the
            # checks that apply whatever the install method (reachable, disk, clock...).
            method = x.install_method if ctx.uses_pms else NOT_USING_PMS
            yield SweepHost(h, x, self.checks.applicable(h.role, x.platform, method), None, state)

    @staticmethod
    def _context(h: Host, p: Practice, state: str | None) -> tuple[DesiredContext, ExpectKey]:
        # The host's desired state: its own vars (host overrides) and fleet_state, as deploy plans it.
        try:
            ctx = host_context(h, p, state)
        except FleetError:  # a bad fleet_state / fleet_join: validation reports it; judge the host
            ctx = lenient_host_context(h, p, state)  # as present, join state unknown
        return ctx, (p.id, ctx.state, ctx.join, _overrides(h, p))

    def for_judging(self, plan: SweepHost, hosts: Sequence[Host]) -> SweepHost:
        """``plan`` with what judging needs: the practice's token and product-key fingerprints (the
        vault, once per practice), the deploy's plan (``in_sync``) and the practice's lifecycle
        (``hosts``: the sweep's selection, whose practices' lifecycle is read in one query)."""
        if plan.judging:
            return plan
        h = plan.host
        p = self.ws.inventory.practices[h.practice_id]
        ctx, key = self._context(h, p, plan.state)
        if key not in self._judging:
            self._judging[key] = practice_expect(
                ctx.practice, self.ws.catalog, self.ws.config,
                self._secret_reader(p.id, TOKEN_VAR), ctx.state, ctx.join,
                product_key=self._secret_reader(p.id, PRODUCT_KEY_VAR))
            with contextlib.suppress(FleetError):
                self._practice_secrets(p.id)  # product keys too, for the redactor
        x = host_expectations(h, self._judging[key], self.ws.config, self.settings)
        x = self._with_deploy_plan(x, h, p, plan.state, key)
        pending = None
        if h.role == "server":
            o = self.onboarding(hosts).get(p.id)
            pending = o.pending(datetime.now(UTC).date()) if o is not None else None
        return replace(plan, expect=x, pending=pending, judging=True)

    def _with_deploy_plan(self, x: Expectations, h: Host, p: Practice, state: str | None,
                          key: ExpectKey) -> Expectations:
        """The deploy's plan for the host, for the ``in_sync`` check (the deploy's own judge).

        Hosts that share a practice, view (``key``), role and platform share a plan but for its
        ``host`` field: it is made once (turning a plan into a dict was ~70% of judging's planning)."""
        if h.role not in ("workstation", "server") or x.platform not in ("windows", "linux"):
            return x
        shared = (key, h.role, h.platform)
        plan = self._plans.get(shared)
        if plan is None:
            try:
                try:
                    secrets = self._practice_secrets(p.id)
                except FleetError:
                    secrets = {}
                plan = judging_plan(h, p, secrets, self.ws.catalog, self.ws.config, state)
            except FleetError as exc:  # (not kept: the message names the host)
                return replace(x, plan_problem=f"no deploy plan: {exc.message}")
            self._plans[shared] = plan
        return replace(x, deploy_plan={**plan, "host": h.name})

    def run(self, hosts: Sequence[Host], options: SweepOptions) -> SweepResult:
        """Collect, judge and store. The first connections are started before anything else: the
        store is opened (and the run recorded) while they are on their way, the vault read when
        the first answers are judged."""
        self.ws.refuse_example("sweep its hosts")
        t0, cpu0 = time.monotonic(), _cpu()
        plans = self.iter_plans(hosts)  # lazily: collection starts while later hosts are planned
        opened: dict[str, Any] = {}

        def open_run() -> None:  # the first connections are on their way
            with deferred():  # a module half-imported by a Ctrl-C would break the rest
                from fleet.health import storage  # (SQLAlchemy: imported now, not before)

                opened["storage"] = storage
                opened["stale"] = storage.close_stale_runs(self.store)
                opened["last_seen"] = self.store.last_seen([h.name for h in hosts]) if hosts else {}
                opened["run"] = self.store.start_run(HEALTH_KIND, selection=options.selection,
                                                     options={"forks": options.forks, "timeout": options.timeout,
                                                              "hosts": len(hosts), **storage.run_marker()})

        outcomes: list[HostOutcome] = []
        status = "interrupted"
        running: list[tuple[Practice, str]] = []  # servers seen running the Synchronizer
        try:
            for answers in self._answer_groups(plans, options, on_started=open_run):
                judged: list[Judged] = []
                try:
                    for plan, raw in answers:
                        plan = self.for_judging(plan, hosts)
                        judged.append(judge(plan, raw, self.redactor, opened["last_seen"].get(plan.host.name),
                                            self.settings.max_output))
                finally:  # (also when stopped mid-group: what was judged is kept)
                    with deferred():  # stored and counted in one piece
                        opened["storage"].record_hosts(self.store, opened["run"].id,
                                                       [(j.host_result, j.checks) for j in judged])
                        outcomes.extend(j.outcome for j in judged)
                for j in judged:
                    if j.outcome.role == "server" and j.outcome.states.get("synchronizer_running") is State.OK:
                        running.append((self.ws.inventory.practices[j.outcome.practice_id], j.outcome.host))
                    if self.on_host:
                        self.on_host(j)
            status = "ok"
        except KeyboardInterrupt:
            if "run" not in opened:  # stopped before the store was open: the run is recorded all the same
                open_run()
            raise
        finally:
            if "run" in opened:  # (else the store could not be opened: nothing was recorded)
                # closed whole: a stop signal from here on is only noted (the CLI says so, exit 130)
                with deferred(hand_on=False):
                    result = self._finish(opened, status, outcomes, running, hosts, t0, cpu0)
        return result

    def _finish(self, opened: dict[str, Any], status: str, outcomes: list[HostOutcome],
                running: list[tuple[Practice, str]], hosts: Sequence[Host], t0: float,
                cpu0: tuple[float, float]) -> SweepResult:
        """Roll up and close the run (also after an interruption: what was recorded stays)."""
        from fleet.health import storage
        from fleet.onboarding.actions import coverage_changed, synchronizer_seen
        from fleet.store.onboarding import coverage_seen

        run = opened["run"]
        # What fleet knows itself goes into the practices' lifecycle, even from a partial sweep.
        self.moved = synchronizer_seen(self.store, running, self.ws.catalog) if running else []
        practices = rollup_practices(outcomes, self.checks)
        cpu1 = _cpu()
        result = SweepResult(run.id, status, outcomes, practices, self.checks, time.monotonic() - t0,
                             cpu1[0] - cpu0[0], cpu1[1] - cpu0[1], opened["stale"])
        if status == "ok":
            # fleet's own record of extension coverage reached / lost (the practices' history);
            # a store problem there costs only that record, never the sweep's
            inv = self.ws.inventory
            extension = [inv.practices[r.practice_id] for r in practices if r.install_method == EXTENSION_METHOD]
            try:
                before = coverage_seen(self.store, [p.id for p in extension]) if extension else {}
            except FleetError as exc:  # a StoreError
                extension, self.coverage_error = [], exc.message
            storage.record_practices(self.store, run.id, practices)
            try:
                self.coverage_events = coverage_changed(self.store, extension, before) if extension else []
            except FleetError as exc:  # a StoreError
                self.coverage_error = exc.message
        summary = result.summary()
        if status != "ok":
            summary.update(interrupted=True, hosts_planned=len(hosts))
        self.store.finish_run(run.id, status, summary)
        return result

    def collect_all(self, plans: Iterable[SweepHost], options: SweepOptions
                    ) -> Iterator[tuple[SweepHost, RawResult]]:
        """Collect without judging or storing (``fleet deploy``'s pre-collection): (plan, raw) as
        hosts answer."""
        return self._collect(plans, options)

    def _collect(self, plans: Iterable[SweepHost], options: SweepOptions,
                 on_started: Callable[[], None] | None = None) -> Iterator[tuple[SweepHost, RawResult]]:
        """Yield (plan, raw) as hosts answer; at most ``forks`` at once, a bounded window queued.
        ``on_started`` runs once the first ``forks`` round trips are on their way."""
        for answers in self._answer_groups(plans, options, on_started):
            yield from answers

    def _answer_groups(self, plans: Iterable[SweepHost], options: SweepOptions,
                       on_started: Callable[[], None] | None = None) -> Iterator[list[tuple[SweepHost, RawResult]]]:
        """``_collect``'s answers, grouped: each group is every answer that was in when the caller
        asked for the next (never waiting for more once one is in), at most ``MAX_GROUP``."""
        forks = max(1, options.forks)
        todo = iter(plans)
        allow_running()
        pool = ThreadPoolExecutor(max_workers=forks, thread_name_prefix="fleet-health")
        pending: dict[Future[RawResult], SweepHost] = {}
        started: dict[Future[RawResult], float] = {}
        try:
            def fill() -> None:
                while len(pending) < forks:
                    plan = next(todo, None)
                    if plan is None:
                        return
                    fut = pool.submit(collect, plan, self.settings, options.timeout)
                    pending[fut] = plan
                    started[fut] = time.monotonic()

            fill()
            if on_started is not None:
                on_started()
            while pending:
                raise_if_requested()
                # at most ``forks`` are pending, so each started when it was submitted
                first = min(started.values())
                overdue_in = first + options.timeout + OVERDUE_GRACE_S - time.monotonic()
                # (woken twice a second at least: a stop signal whose interrupt was lost is seen)
                done, _ = wait(pending, timeout=min(0.5, max(0.05, overdue_in)), return_when=FIRST_COMPLETED)
                group = []
                for fut in list(done)[:MAX_GROUP]:
                    plan = pending.pop(fut)
                    started.pop(fut, None)
                    group.append((plan, fut.result()))
                # The transport's deadline kills its process; should a round trip still not come
                # back (a wedged thread), the sweep stops waiting for it and goes on.
                now = time.monotonic()
                for fut in [f for f in pending if now - started.get(f, now) > options.timeout + OVERDUE_GRACE_S]:
                    plan = pending.pop(fut)
                    began = started.pop(fut)
                    group.append((plan, RawResult(plan.host.name, b"", time.time() - (now - began), time.time(),
                                                  error=f"timed out after {options.timeout:.0f}s", timed_out=True)))
                fill()  # the next round trips start before this group is judged and written
                if group:
                    yield group
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            if pending:  # interrupted: do not wait for hosts still answering
                kill_running()


class SweepFactory(Protocol):
    """Builds the sweep a health command runs (``Sweep`` itself, or an execution node's)."""

    def __call__(self, ws: Workspace, store: Store | Callable[[], Store], settings: HealthSettings,
                 checks: CheckSet | None = None, on_host: Callable[[Judged], None] | None = None) -> Sweep: ...


#: What ``fleet health`` builds its sweep with. ``fleet.remote.health.sweep_via`` puts a maker of
#: RemoteSweeps here for the length of a ``fleet remote health``; the command itself is the same.
make_sweep: SweepFactory = Sweep


_HOST_ONLY = frozenset({"fleet_role", "fleet_platform", "fleet_state"})


def _overrides(h: Host, p: Practice) -> tuple[tuple[str, str], ...]:
    """The host's own fleet_* vars that differ from its practice's (what makes its view differ)."""
    if h.vars is p.vars:
        return ()
    return tuple(sorted((k, repr(v)) for k, v in h.vars.items()
                        if k.startswith("fleet_") and k not in _HOST_ONLY and p.vars.get(k) != v))


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime
