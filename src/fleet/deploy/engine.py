"""A deploy, start to end: select hosts, check readiness, plan, run batches, record everything.

``prepare()`` does everything that can fail on bad input *before* anything touches a machine
(selection, ``Workspace.validate``, the vault, every host's plan) and returns a ``Deployment``.
``Deployment.run()`` then drives the playbook in batches (canary first, then serial batches or
the rest) and records the run, each host's result and the changed/failed tasks in the store as
they arrive, so an interrupted run keeps what it gathered and is marked ``interrupted``.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleet.deploy.events import TaskResult, parse_event
from fleet.deploy.preflight import check_ansible_content
from fleet.deploy.results import (
    DRIFTED,
    IN_SYNC,
    RETRY_STATUSES,
    HostOutcome,
    Tally,
    run_status,
    summary,
)
from fleet.deploy.runner import (
    BatchRun,
    BatchRunFactory,
    BatchSpec,
    PlaybookRun,
    ansible_env,
    default_forks,
    scrubbed_env,
)
from fleet.desired.plan import HostPlan, plan_host
from fleet.desired.plansfile import PLANS_VAR, write_plans
from fleet.desired.platforms import ABSENT, PRESENT
from fleet.errors import FleetError, SelectionError
from fleet.interrupts import deferred, raise_if_requested, stop_requested
from fleet.inventory.model import Host, Practice
from fleet.inventory.validate import Finding, Report
from fleet.secrets.redact import Redactor
from fleet.secrets.vault import VaultPassword
from fleet.store import AuditEvent, HostResult, Store
from fleet.store.lifecycle import HEARTBEAT_EVERY
from fleet.store.locks import practice_locks
from fleet.workspace import Workspace

RUN_KIND = "deploy"
# "path.py:18: SomeWarning: text" (then the source line, indented): Python's warnings, not Ansible's words
_PY_WARNING = re.compile(r"^\S.*\.py:\d+: \w*Warning: ")
KEEP_RUN_DIRS = 20  # private data dirs kept under state/runs (older ones are deleted)


#: Makes each batch's playbook run. ``fleet.remote.deploy.deploy_via`` puts an execution node's here
#: for the length of a ``fleet remote deploy``; nothing else in the engine differs.
batch_run: BatchRunFactory = PlaybookRun


class DeployBlocked(FleetError):
    """Readiness findings or plan errors stop the deploy before anything runs."""

    def __init__(self, message: str, findings: Sequence[Finding] = (), plan_errors: Sequence[HostPlan] = (),
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.findings = list(findings)
        self.plan_errors = list(plan_errors)


@dataclass(frozen=True)
class DeployOptions:
    check: bool = False
    diff: bool = False
    forks: int | None = None
    serial: str | None = None  # "N" hosts or "N%" per batch
    canary: int | None = None
    remove: bool = False
    verbosity: int = 0
    keep_events: bool = True
    full: bool = False  # run Ansible on every selected host (no pre-collection)


@dataclass
class Observer:
    """Callbacks for a front end (progress display). All optional, all called on the main thread."""

    batch_started: Callable[[str, Sequence[str]], None] = lambda name, hosts: None
    task_result: Callable[[TaskResult], None] = lambda ev: None
    host_finished: Callable[[HostOutcome], None] = lambda o: None
    idle: Callable[[], None] = lambda: None
    lock_wait: Callable[[str, dict[str, Any]], None] = lambda practice, holder: None  # waiting for a lock


@dataclass
class DeployResult:
    run_id: str
    status: str
    outcomes: list[HostOutcome]
    check: bool
    interrupted: bool = False
    canary_failed: bool = False
    seconds: float = 0.0
    run_dir: Path | None = None

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "status": self.status, "check": self.check,
                "interrupted": self.interrupted, "canary_failed": self.canary_failed,
                "seconds": round(self.seconds, 2), "summary": summary(self.outcomes),
                "hosts": [o.as_json() for o in self.outcomes]}


# -- selection ---------------------------------------------------------------------------------------


def select_hosts(ws: Workspace, practices: Sequence[str] = (), clients: Sequence[str] = (),
                 limit: Sequence[str] = ()) -> tuple[list[Practice], list[Host]]:
    """The practices and hosts a deploy acts on (``Inventory.select_hosts``: the rules of every command)."""
    return ws.inventory.select_hosts(practices, clients, limit)


def hosts_to_retry(store: Store, hosts: Iterable[Host], depth: int = 50) -> list[Host]:
    """Hosts whose latest real (not --check) deploy result is failed, unreachable, unknown or not
    run: what failed, and what an interrupted or killed run never finished (the store gives a
    killed run's unreached hosts an ``unknown`` result when it closes the run). A run still running
    (its owner alive) is skipped: its hosts are not decided yet."""
    latest: dict[str, str] = {}
    for run in store.runs(RUN_KIND, limit=depth):
        if run.options.get("check") or run.status == "running":
            continue
        for r in store.host_results(run.id):
            latest.setdefault(r.host, r.status)
    return [h for h in hosts if latest.get(h.name) in RETRY_STATUSES]


# -- preflight ---------------------------------------------------------------------------------------


def _blocking(report: Report, practice_ids: set[str]) -> list[Finding]:
    out = [f for f in report.general if f.level.value == "error"
           and (f.practice_id is None or f.practice_id in practice_ids)]
    for p in report.practices:
        out += [f for f in p.errors if p.practice_id in practice_ids]
    return out


@dataclass
class Deployment:
    ws: Workspace
    practices: list[Practice]
    hosts: list[Host]
    plans: dict[str, HostPlan]
    redactor: Redactor
    options: DeployOptions
    selection: dict[str, Any] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)  # readiness warnings (not blocking)
    vault: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)  # per practice (pre-collection)

    # -- running ----------------------------------------------------------------------------------
    def batches(self, names: Sequence[str] | None = None) -> list[tuple[str, list[str]]]:
        """[(name, hosts)]: the canary first, then serial batches of the rest (or the rest at once).
        ``names``: the hosts that go to Ansible (default: every selected host)."""
        names = [h.name for h in self.hosts] if names is None else list(names)
        out: list[tuple[str, list[str]]] = []
        rest = names
        if self.options.canary:
            touching = [n for n in names if self.plans[n].touches]
            canary = touching[: self.options.canary] or names[: self.options.canary]
            out.append(("canary", canary))
            rest = [n for n in names if n not in canary]
        chunks = ansible_batches(rest, self.options.serial)
        for i, chunk in enumerate(chunks, 1):
            out.append((f"batch {i}/{len(chunks)}" if len(chunks) > 1 else "all", chunk))
        return out

    def run(self, observer: Observer | None = None, store: Store | None = None,
            wait: float | None = None) -> DeployResult:
        """Run the deploy. A real deploy (not --check) first takes the lock of every practice it
        touches (``fleet.store.locks``): another deploy on one of them is refused (``LockBusy``,
        naming its holder) or, with ``wait`` seconds, waited for."""
        self.ws.refuse_example("deploy to its hosts (nor --check them)")
        own_store = store is None
        store = store or Store(self.ws.store_url())
        try:
            if self.options.check:
                return self._run(observer, store)
            with practice_locks(store, self.ws.state_dir, sorted({h.practice_id for h in self.hosts}),
                                wait=wait, on_wait=(observer or Observer()).lock_wait):
                return self._run(observer, store)
        finally:
            if own_store:
                store.close()

    def _run(self, observer: Observer | None, store: Store) -> DeployResult:
        obs = observer or Observer()
        t0 = time.monotonic()
        opts = self.options
        run = store.start_run(RUN_KIND, selection=self.selection, options={
            "check": opts.check, "diff": opts.diff, "forks": opts.forks, "serial": opts.serial,
            "canary": opts.canary, "state": ABSENT if opts.remove else PRESENT, "hosts": len(self.hosts)})
        run_dir = self.ws.state_dir / "runs" / run.id
        run_dir.mkdir(parents=True, exist_ok=True)
        outcomes = {h.name: HostOutcome(h.name, h.practice_id, h.client_id, self.plans[h.name].describe())
                    for h in self.hosts}
        recorded: set[str] = set()

        def record(hosts: Iterable[HostOutcome], tally: Tally | None) -> None:
            todo = [o for o in hosts if o.host not in recorded]
            if not todo:
                return
            with deferred():  # written and marked as written in one piece (fleet.interrupts)
                store.record_host_results(run.id, [self._redacted(o.record()) for o in todo])
                recorded.update(o.host for o in todo)
                if tally is not None:
                    audit = [a for o in todo for a in tally.take_audit(o.host)]
                    store.record_audit_events(run.id, [self._redacted_audit(a) for a in audit])

        interrupted = canary_failed = False
        try:
            to_run = [h.name for h in self.hosts]
            if not opts.full:
                to_run = self._converge_only_drifted(store, run.id, outcomes, record, obs)
            for name, batch in self.batches(to_run):
                raise_if_requested()
                if canary_failed:
                    for n in batch:
                        outcomes[n].not_run_reason = "not run: the canary failed"
                    continue
                obs.batch_started(name, batch)
                interrupted = self._run_batch(run_dir, name, batch, outcomes, obs, record,
                                              lambda: store.heartbeat(run.id))
                if interrupted:
                    break
                if name == "canary" and any(outcomes[n].status not in ("ok", "changed") for n in batch):
                    canary_failed = True
        except KeyboardInterrupt:
            interrupted = True
        finally:
            # the run is closed whole: a stop signal from here on is only noted (the CLI says so, exit 130)
            with deferred(hand_on=False):
                interrupted = interrupted or stop_requested()  # (a KeyboardInterrupt a callback swallowed)
                for o in outcomes.values():
                    if o.host not in recorded and not o.finished and not o.message:
                        o.message = ("not run: the deploy was interrupted" if interrupted
                                     else "no result from Ansible")
                record(outcomes.values(), None)  # everything not yet recorded (unknown / not run)
                status = run_status(outcomes.values(), interrupted)
                if canary_failed and not interrupted:
                    status = "failed"
                result = DeployResult(run.id, status, list(outcomes.values()), opts.check, interrupted,
                                      canary_failed, time.monotonic() - t0, run_dir)
                store.finish_run(run.id, status, {**summary(outcomes.values()), "canary_failed": canary_failed,
                                                  "seconds": round(result.seconds, 2), "full": opts.full})
                _prune_run_dirs(self.ws.state_dir / "runs", keep=KEEP_RUN_DIRS)
        return result

    def _converge_only_drifted(self, store: Store, run_id: str, outcomes: dict[str, HostOutcome],
                               record: Callable[[Iterable[HostOutcome], Tally | None], None],
                               obs: Observer) -> list[str]:
        """Collect every host once (the sweep's collector), record the hosts found in sync as
        verified, and return the ones Ansible must run on: drifted or not verifiable. In --check,
        the drifted hosts' changes are reported from the collection (Ansible's check mode runs only
        where the collection could not tell)."""
        from fleet.deploy.converge import precollect

        pending = {h.name for h in self.hosts}
        state = ABSENT if self.options.remove else None
        last_beat = time.monotonic()
        for name, v in precollect(self.ws, store, self.hosts, self.vault, self.plans, state):
            if time.monotonic() - last_beat > HEARTBEAT_EVERY:  # the run is alive (fleet.store.lifecycle)
                store.heartbeat(run_id)
                last_beat = time.monotonic()
            raise_if_requested()
            o = outcomes.get(name)
            if o is None or name not in pending:
                continue
            o.verified, o.drift = v.status, list(v.changes) or ([v.reason] if v.reason else [])
            if v.status == IN_SYNC:
                o.done, o.message = True, "in sync (verified by collection: nothing to change)"
                detail = "nothing to change"
            elif v.status == DRIFTED and self.options.check:
                o.done, o.changed, o.changed_tasks = True, len(v.changes), list(v.changes)
                o.message = detail = "would change: " + "; ".join(v.changes)
            else:
                continue  # Ansible runs there
            pending.discard(name)
            record([o], None)  # as it arrives: an interrupted pre-collection keeps what it verified
            store.record_audit_events(run_id, [AuditEvent(
                host=name, task="verified by collection", action="fleet.collect", changed=v.status == DRIFTED,
                failed=False, detail=self.redactor.text(detail), practice_id=o.practice_id)])
            obs.host_finished(o)
        return [h.name for h in self.hosts if h.name in pending]

    def _run_batch(self, run_dir: Path, name: str, batch: list[str], outcomes: dict[str, HostOutcome],
                   obs: Observer, record: Callable[[Iterable[HostOutcome], Tally | None], None],
                   beat: Callable[[], None] = lambda: None) -> bool:
        opts = self.options
        ident = name.replace(" ", "-").replace("/", "-of-")
        # Ansible applies the plans computed here (previewed, converged on), not its own: the batch's
        # plans go to a file in the run dir (no secret in a plan: fingerprints only), kept with the
        # run's artifacts as the record of what Ansible was told to apply.
        plans_file = write_plans(run_dir / f"plans-{ident}.json", {n: self.plans[n] for n in batch})
        extravars = batch_extravars(self.ws.config_path, opts.remove, plans_file)
        spec = BatchSpec(ident=ident, hosts=batch,
                         forks=opts.forks or default_forks(len(batch)), check=opts.check, diff=opts.diff,
                         extravars=extravars, verbosity=opts.verbosity)
        cfg = self.ws.root / "ansible.cfg"
        prun = batch_run(run_dir, self.ws.inventory_dir, cfg, self.ws.password(), spec, opts.keep_events)
        tally = Tally({n: outcomes[n] for n in batch})
        interrupted = False
        stopped = False  # Ansible was told to stop (interrupt, or an error on our side)
        last_beat = time.monotonic()
        prun.start()
        try:
            while not prun.finished():
                try:
                    raise_if_requested()
                    if time.monotonic() - last_beat > HEARTBEAT_EVERY:
                        beat()
                        last_beat = time.monotonic()
                    raw = prun.next_event()
                    if raw is None:
                        obs.idle()
                        continue
                    ev = parse_event(raw, self.redactor)
                    if ev is None:
                        continue
                    finished = tally.apply(ev)
                    if isinstance(ev, TaskResult):
                        obs.task_result(ev)
                    for o in finished:
                        record([o], tally)
                        obs.host_finished(o)
                except KeyboardInterrupt:
                    interrupted = stopped = True
                    prun.terminate()  # the guard ends ansible-playbook's process group; take what it sent
                    _drain(prun, tally, record, obs, self.redactor)
                    break
        except BaseException:
            if not stopped:  # interrupted outside the event loop, or a failure of ours: never leave Ansible running
                stopped = True
                prun.terminate()
            raise
        finally:
            result = prun.wait(timeout=None if not stopped else 30)
            done = [outcomes[n] for n in batch if outcomes[n].finished]
            record(done, tally)
            rest = [outcomes[n] for n in batch if not outcomes[n].finished]
            if rest:
                why = "run interrupted before this host finished" if interrupted else \
                    f"no result from Ansible: {self._playbook_error(result.artifact_dir, result.rc)}"
                for o in rest:
                    o.message = o.message or why
                record(rest, tally)
        return interrupted

    def _playbook_error(self, artifact_dir: Path, rc: int | None) -> str:
        """What ansible-playbook said when it ended without reaching a host (the tail of its output)."""
        try:
            lines = (artifact_dir / "stdout").read_text(errors="replace").splitlines()
        except OSError:
            lines = []
        useful = [ln.strip() for ln in _without_python_warnings(lines)
                  if ln.strip() and not ln.startswith(("PLAY", "TASK", "Vault"))]
        tail = " | ".join(useful[-3:])[-600:]
        return self.redactor.text(f"ansible-playbook exited {rc}" + (f": {tail}" if tail else ""))

    def _redacted(self, r: HostResult) -> HostResult:
        from dataclasses import replace

        return replace(r, message=self.redactor.text(r.message), facts=self.redactor.obj(r.facts))

    def _redacted_audit(self, a: AuditEvent) -> AuditEvent:
        from dataclasses import replace

        return replace(a, task=self.redactor.text(a.task), detail=self.redactor.text(a.detail))


def _drain(prun: BatchRun, tally: Tally, record: Callable[[Iterable[HostOutcome], Tally | None], None],
           obs: Observer, redactor: Redactor) -> None:
    """Take the events Ansible sent before it stopped (hosts that finished meanwhile are kept)."""
    deadline = time.monotonic() + 10
    while not prun.finished() and time.monotonic() < deadline:
        raw = prun.next_event(timeout=0.05)
        ev = parse_event(raw, redactor) if raw is not None else None
        if ev is None:
            continue
        for o in tally.apply(ev):
            record([o], tally)
            obs.host_finished(o)


#: host_pinned: a fork takes a host through all its tasks before it starts another, so about ``forks``
#: hosts hold a connection (an ssh master, ~1.5 MB) at once. With free (the playbook's default, for
#: AWX and plain ansible-playbook), every host of the batch advances one task at a time and all their
#: masters live for the whole run: ~110 of them (165 MB PSS) at the peak of a 203-host first deploy.
DEPLOY_STRATEGY = "host_pinned"


def batch_extravars(config_path: Path, remove: bool, plans_file: Path | None = None) -> dict[str, Any]:
    """The extra vars fleet gives every batch's ansible-playbook."""
    extravars: dict[str, Any] = {"fleet_config_file": str(config_path), "fleet_strategy": DEPLOY_STRATEGY}
    if plans_file is not None:
        extravars[PLANS_VAR] = str(plans_file)
    if remove:
        extravars["fleet_state"] = ABSENT
    return extravars


#: Hosts per ansible-playbook run when ``--serial`` does not say. ansible-playbook's heap grows with
#: every host it has run (results, their copies), and each fork copies more of it as it goes: over a
#: 120-host first deploy a worker's private memory grew from 16-17 MB to 22-23 MB and the parent's
#: RSS from 74 to 91 MB. Runs of at most 60 hosts keep both near their early size: the 203-host first
#: deploy's peak went from 308-354 MB to 273-294 MB PSS in the same wall time (3 interleaved pairs,
#: docs/benchmarks.md). Each run costs one more ansible-playbook start.
ANSIBLE_BATCH_HOSTS = 60


def ansible_batches(hosts: Sequence[str], serial: str | None) -> list[list[str]]:
    """``hosts`` in ansible-playbook runs, in order: ``--serial``'s batches, else runs of at most
    ``ANSIBLE_BATCH_HOSTS`` of even size (130 hosts: 44 + 44 + 42, so no run is a short tail)."""
    n = len(hosts)
    if n == 0:
        return []
    if serial:
        size = _batch_size(serial, n)
    else:
        runs = -(-n // ANSIBLE_BATCH_HOSTS)
        size = -(-n // runs)
    return [list(hosts[i:i + size]) for i in range(0, n, size)]


def _batch_size(serial: str, n: int) -> int:
    s = serial.strip()
    bad = SelectionError(f"--serial {serial!r} is not a number of hosts (1 or more) or a percentage (1-100%)",
                         hint="e.g. --serial 10 or --serial 25%")
    try:
        if s.endswith("%"):
            pct = float(s[:-1])
            if not 0 < pct <= 100:
                raise bad
            return max(1, int(n * pct / 100))
        size = int(s)
    except ValueError:
        raise bad from None
    if size < 1:
        raise bad
    return size


def _prune_run_dirs(runs_dir: Path, keep: int) -> None:
    if not runs_dir.is_dir():
        return
    dirs = sorted((d for d in runs_dir.iterdir() if d.is_dir()), key=lambda d: d.stat().st_mtime, reverse=True)
    for d in dirs[keep:]:
        shutil.rmtree(d, ignore_errors=True)


def prepare(ws: Workspace, practices: Sequence[str] = (), clients: Sequence[str] = (), limit: Sequence[str] = (),
            retry_failed: bool = False, options: DeployOptions | None = None) -> Deployment:
    """Everything before Ansible: selection, readiness, vault, plans. Raises on bad input."""
    options = options or DeployOptions()
    if options.canary is not None and options.canary < 1:
        raise SelectionError("--canary needs at least 1 host")
    if options.serial:
        _batch_size(options.serial, 1)
    chosen, hosts = select_hosts(ws, practices, clients, limit)
    if retry_failed:
        store = Store(ws.store_url())
        try:
            hosts = hosts_to_retry(store, hosts)
        finally:
            store.close()
    password = ws.password()  # a missing/wrong password stops here, before anything runs
    with ws.secrets.decrypted_once():  # readiness and the plans both read each practice's vault
        return _prepare(ws, chosen, hosts, password, practices, clients, limit, retry_failed, options)


def _prepare(ws: Workspace, chosen: list[Practice], hosts: list[Host], password: VaultPassword,
             practices: Sequence[str], clients: Sequence[str], limit: Sequence[str], retry_failed: bool,
             options: DeployOptions) -> Deployment:
    pids = {h.practice_id for h in hosts}
    chosen = [p for p in chosen if p.id in pids]
    if not hosts:
        return Deployment(ws, [], [], {}, Redactor(), options, {"retry_failed": retry_failed})
    # Every module the roles name resolves, as ansible-playbook will see them (else every host fails).
    check_ansible_content(os.environ | scrubbed_env(os.environ) | ansible_env(ws.root / "ansible.cfg"),
                          cache=ws.state_dir / "preflight.json")
    report = ws.validate(chosen)
    warnings = [f for f in report.all_findings() if f.level.value == "warning"]
    blocking = _blocking(report, pids)
    if blocking:
        raise DeployBlocked(f"{len({f.practice_id for f in blocking})} practice(s) are not ready; nothing was run",
                            findings=blocking, hint="fix the findings below, or deselect those practices")
    secrets: dict[str, dict[str, str]] = {p.id: ws.secrets.read(p.id, password) for p in chosen}
    redactor = Redactor([s for d in secrets.values() for s in d.values()] + [password.value.decode(errors="ignore")])
    state = ABSENT if options.remove else None
    plans: dict[str, HostPlan] = {}
    errors = []
    by_id = {p.id: p for p in chosen}
    for h in hosts:
        practice = by_id[h.practice_id]
        try:  # plan_host resolves the host's own vars (host overrides) as Ansible does
            plans[h.name] = plan_host(h, practice, secrets[practice.id], ws.catalog, ws.config, state)
        except FleetError as exc:
            from fleet.desired.plan import error_plan

            errors.append(error_plan(h, practice, exc))
    if errors:
        raise DeployBlocked(f"fleet cannot plan {len(errors)} host(s); nothing was run", plan_errors=errors)
    selection = {"practices": list(practices), "clients": list(clients), "limit": list(limit),
                 "retry_failed": retry_failed, "hosts": [h.name for h in hosts],
                 "host_practices": {h.name: [h.practice_id, h.client_id] for h in hosts}}
    return Deployment(ws, chosen, hosts, plans, redactor, options, selection, warnings, secrets)


def _without_python_warnings(lines: list[str]) -> list[str]:
    """Output lines without Python warnings (a warning line and the indented source line after it)."""
    out: list[str] = []
    skip_source = False
    for ln in lines:
        if _PY_WARNING.match(ln):
            skip_source = True
            continue
        if skip_source and ln.startswith((" ", "\t")):
            skip_source = False
            continue
        skip_source = False
        out.append(ln)
    return out
