"""`fleet deploy` (roll out the extension policy and the Synchronizer) and `fleet runs` (the audit trail)."""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import emit, exit_with, note, output_options

if TYPE_CHECKING:
    from fleet.deploy import DeployBlocked, Deployment, DeployResult, HostOutcome, Observer
    from fleet.deploy.events import TaskResult
    from fleet.store import RunRecord

def _interruptible() -> contextlib.AbstractContextManager[None]:
    """SIGINT (Ctrl-C), SIGTERM (kill) and SIGHUP (the terminal closed) stop a deploy the same way:
    Ansible's whole process group is ended and waited for, results so far are kept, the run is
    marked interrupted. Only the first signal interrupts; more while fleet is stopping Ansible
    (a few seconds at most) are noted and do not cut the clean-up short."""
    from fleet.interrupts import stop_signals_interrupt

    return stop_signals_interrupt(
        on_repeat=lambda: note("fleet: still stopping Ansible and recording what it did...", fg="yellow"))


@click.command()
@click.option("-p", "--practice", "practices", multiple=True, help="Only this practice (repeatable).")
@click.option("-c", "--client", "clients", multiple=True, help="Only this client's practices (repeatable).")
@click.option("-l", "--limit", "limit", multiple=True, metavar="HOSTS",
              help="Only these hosts of the selection: names or shell patterns, comma-separated (repeatable).")
@click.option("--check", is_flag=True, help="Dry run: report what would change, change nothing.")
@click.option("--diff", is_flag=True, help="Show the changes to files and registry values (secrets stay hidden).")
@click.option("--retry-failed", is_flag=True,
              help="Only the hosts whose last deploy failed, was unreachable or did not finish.")
@click.option("--canary", type=int, metavar="N", help="Deploy N hosts first; the rest only if all N succeeded.")
@click.option("--serial", metavar="N|N%", help="Deploy in batches of N hosts (or N%); a failing batch never "
                                               "stops the next.")
@click.option("-f", "--forks", type=click.IntRange(1, 256), metavar="N",
              help="Parallel connections, as ansible-playbook -f (default: sized to this machine).")
@click.option("--full", is_flag=True,
              help="Run Ansible on every selected host. By default fleet first collects every host (one "
                   "round trip) and runs Ansible only where something drifted or could not be verified.")
@click.option("--remove", is_flag=True, help="Remove what fleet installed (extension policy, Synchronizer) instead.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation (needed when not interactive).")
@click.option("--wait", "wait", is_flag=True,
              help="If another deploy holds one of these practices, wait for it instead of refusing.")
@click.option("-v", "--verbose", "verbosity", count=True, help="More Ansible detail in the run's stdout artifact.")
@output_options
@pass_app
def deploy(app: AppContext, practices: tuple[str, ...], clients: tuple[str, ...], limit: tuple[str, ...],
           check: bool, diff: bool, retry_failed: bool, canary: int | None, serial: str | None, forks: int | None,
           full: bool, remove: bool, yes: bool, wait: bool, verbosity: int, fmt: str) -> None:
    """Deploy the browser extension policy (workstations) and the Synchronizer (on-prem servers).

    Everything is checked before anything runs: the selection, each practice's readiness
    (`fleet inventory validate`), the vault and every host's plan. One host failing never stops
    the others. Every selected host is then collected (the health sweep's round trip); only the
    hosts that drifted (or cannot be verified) reach Ansible, the others are recorded as verified
    in sync (--full: Ansible on every host). --check reports the collected changes per host.
    Every run is recorded in the store (`fleet runs`). Exit 0 when every host is
    fine, 1 when a host failed or was unreachable (or nothing could start), 130 when interrupted.

    \b
    Examples:
      fleet deploy --check --diff                 # what would change, everywhere
      fleet deploy --practice brightsmiles_downtown --yes
      fleet deploy --client lakeside --canary 2 --yes
      fleet deploy --retry-failed --yes           # the hosts that failed or were offline last time
      fleet deploy --json --yes | jq '.hosts[] | select(.status=="failed")'

    Two deploys never run on one practice at once: the second is refused, naming who holds it
    (or waits, with --wait). A run whose fleet was killed is marked interrupted by the next
    fleet command; --retry-failed then takes every host it did not finish.
    """
    from fleet.deploy import DeployBlocked, DeployOptions, prepare

    ws = app.ws
    options = DeployOptions(check=check, diff=diff, forks=forks, serial=serial, canary=canary, remove=remove,
                            verbosity=verbosity, full=full)
    if forks is not None and forks < 1:
        raise click.UsageError("--forks must be at least 1")
    try:
        deployment = prepare(ws, practices, clients, limit, retry_failed, options)
    except DeployBlocked as exc:
        _print_blocked(exc, fmt)
        raise click.ClickException(str(exc)) from None
    if not deployment.hosts:
        note("nothing to retry: no host failed or was unreachable in the last deploy" if retry_failed
             else "nothing to deploy", fg="green")
        if fmt == "json":
            emit([], [], fmt, json_doc={"run_id": None, "status": "ok", "hosts": []})
        return
    _preview(deployment, check, remove)
    if not yes and not check:
        if not sys.stdin.isatty():
            raise click.UsageError("not asking for confirmation without a terminal: pass --yes to deploy")
        what = "remove fleet's policy and Synchronizer from" if remove else "deploy to"
        if not click.confirm(f"{what} {len(deployment.hosts)} hosts?", default=False, err=True):
            note("nothing was changed")
            exit_with(1)
    progress = _Progress(len(deployment.hosts), quiet=fmt == "json")
    from fleet.interrupts import stop_requested

    with _interruptible(), progress:
        result = deployment.run(progress.observer(), wait=math.inf if wait else None)
        late_stop = stop_requested() and not result.interrupted  # came as the run was being closed
    rows = _host_rows(result) if fmt != "table" else None
    if fmt == "json":
        emit([], [], fmt, json_doc=result.as_json())
    elif fmt == "csv":
        emit(rows or [], ["host", "practice", "client", "status", "ok", "changed", "failures", "message"], fmt)
    else:
        from fleet.deploy import practice_rows

        title = f"deploy {result.run_id[:12]}" + (" (check: nothing was changed)" if result.check else "")
        emit(practice_rows(result.outcomes),
             ["practice", "client", "hosts", "ok", "changed", "failed", "unreachable", "unknown", "not_run", "notes"],
             fmt, title=title)
        for o in result.outcomes:
            st = o.record().status
            if st in ("failed", "unreachable", "unknown"):
                note(f"  {st:11} {o.host}: {o.record().message}", fg="red")
    if diff and fmt != "json":  # the collected changes, per host (no secret: values by fingerprint)
        for o in result.outcomes:
            if o.verified and o.verified != "in_sync" and o.drift:
                note(f"--- {o.host} ({o.verified})")
                for change in o.drift:
                    note(f"  ~ {change}", fg="yellow")
    if not result.check:
        _record_lifecycle(app, deployment, result)
    s = result.as_json()["summary"]
    line = (f"{'check ' if result.check else ''}run {result.run_id[:12]} {result.status}: {s['hosts']} hosts, "
            f"{s['ok']} ok, {s['changed']} changed, {s['failed']} failed, {s['unreachable']} unreachable"
            + (f", {s['skipped']} not run (canary failed)" if result.canary_failed else "")
            + (f", {s['unknown']} unknown" if s["unknown"] else "")
            + (f"; {s['verified_in_sync']} verified in sync without Ansible" if s.get("verified_in_sync") else "")
            + f" in {result.seconds:.1f}s")
    ok = result.status == "ok"
    note(line, fg="green" if ok else ("yellow" if result.interrupted else "red"))
    if result.interrupted:
        note("interrupted: results gathered so far are kept; `fleet deploy --retry-failed` finishes the rest")
        exit_with(130)
    if late_stop:
        note("stopped as the run was finishing: it had done its work, every result is recorded", fg="yellow")
        exit_with(130)
    if not ok:
        note("retry the failed and unreachable hosts later: fleet deploy --retry-failed --yes")
        exit_with(1)


def _record_lifecycle(app: AppContext, deployment: Any, result: Any) -> None:
    """What fleet knows itself goes into the practices' lifecycle: practices whose server just got
    the Synchronizer are "installed"; a deploy that wrote a browser-extension practice's policy is
    in its history. A store problem here is reported, never fatal: the deploy is done and recorded."""
    from fleet.desired.plan import APPLY, INSTALL
    from fleet.errors import FleetError
    from fleet.onboarding.actions import extension_deployed, synchronizer_seen
    from fleet.store import Store

    ws = app.ws
    done = [(ws.inventory.practices[o.practice_id], o.host) for o in result.outcomes
            if o.record().status in ("ok", "changed") and o.host in deployment.plans
            and deployment.plans[o.host].synchronizer.action == INSTALL]
    written: dict[str, list[str]] = {}
    for o in result.outcomes:
        plan = deployment.plans.get(o.host)
        if plan is not None and plan.extension.action == APPLY and o.record().status == "changed":
            written.setdefault(o.practice_id, []).append(o.host)
    if not done and not written:
        return
    try:
        store = Store(ws.store_url())
        try:
            moved = synchronizer_seen(store, done, ws.catalog, by="fleet deploy", how="installed") if done else []
            extension_deployed(store, written, result.run_id)
        finally:
            store.close()
    except FleetError as exc:  # a StoreError (fleet.store turns database errors into it)
        note(f"could not record the deploy in the practices' lifecycle: {exc.message}", fg="yellow")
        return
    if moved:
        note(f"Synchronizer installed: {', '.join(moved)} now installed (fleet practice status)", fg="green")


def _host_rows(result: DeployResult) -> list[dict[str, Any]]:
    return [o.as_json() for o in result.outcomes]


def _print_blocked(exc: DeployBlocked, fmt: str) -> None:
    rows = [{"practice": f.practice_id or "-", "host": f.host or "", "problem": f.message,
             "where": str(f.where or ""), "fix": f.hint} for f in exc.findings]
    rows += [{"practice": p.practice_id or "-", "host": p.host, "problem": p.error, "where": "", "fix": ""}
             for p in exc.plan_errors]
    if fmt == "json":
        emit(rows, ["practice", "host", "problem", "where", "fix"], "json",
             json_doc={"status": "blocked", "message": exc.message, "problems": rows})
        return
    note("not ready, nothing was run:", fg="red")
    for r in rows:  # one line per problem: readable, greppable, never wrapped mid-message
        who = " ".join(x for x in (r["practice"], r["host"]) if x and x != "-") or "inventory"
        where = f" ({r['where']})" if r["where"] else ""
        note(f"  - {who}: {r['problem']}{where}" + (f"\n      fix: {r['fix']}" if r["fix"] else ""))


def _preview(deployment: Deployment, check: bool, remove: bool) -> None:
    """What the deploy will touch, on stderr: per practice, the hosts grouped by what they get."""
    from rich.console import Console
    from rich.table import Table

    from fleet.desired.plan import SKIP
    from fleet.errors import FleetError

    try:  # where each practice is in its onboarding: the vendor's engineer's date, for a skipped install
        lifecycle = {pid: o.label for pid, o in deployment.ws.onboarding(deployment.practices).items()}
    except FleetError:
        lifecycle = {}
    groups: dict[tuple[str, str], list[str]] = {}
    for h in deployment.hosts:
        plan = deployment.plans[h.name]
        what = plan.describe()
        if plan.synchronizer.action == SKIP and h.practice_id in lifecycle:
            what += f" (onboarding: {lifecycle[h.practice_id]})"
        groups.setdefault((h.practice_id, what), []).append(h.name)
    verb = "check" if check else ("remove" if remove else "deploy")
    title = f"fleet {verb}: {len(deployment.hosts)} hosts in {len(deployment.practices)} practices"
    rows = [(pid, ", ".join(hosts[:4]) + (f" (+{len(hosts) - 4})" if len(hosts) > 4 else ""), what)
            for (pid, what), hosts in groups.items()]
    if not sys.stderr.isatty():  # logs and CI: one unwrapped line per group
        note(title)
        for pid, shown, what in rows:
            note(f"  {pid}: {shown}: {what}")
    else:
        table = Table(title=title, header_style="bold")
        for c in ("practice", "hosts", "what"):
            table.add_column(c)
        for row in rows:
            table.add_row(*row)
        Console(stderr=True, soft_wrap=False).print(table)
    for f in deployment.warnings:
        note(f"  warning: {f.practice_id or ''} {f.host or ''}: {f.message}".replace("  :", ":"), fg="yellow")


class _Progress:
    """Live progress on stderr: a bar over hosts, counts per status, one line per finished host."""

    COLORS: ClassVar[dict[str, str]] = {"ok": "green", "changed": "yellow", "failed": "red",
                                        "unreachable": "magenta", "unknown": "red"}

    def __init__(self, total: int, quiet: bool = False) -> None:
        self.total = total
        self.quiet = quiet
        self.counts = {"ok": 0, "changed": 0, "failed": 0, "unreachable": 0}
        self.live = sys.stderr.isatty() and not quiet
        self._progress: Any = None
        self._task: Any = None
        self.batch = ""

    def __enter__(self) -> _Progress:
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TextColumn("{task.fields[counts]}"), TimeElapsedColumn(),
                                      TextColumn("[dim]{task.fields[current]}"),
                                      console=Console(stderr=True), transient=True)
            self._progress.__enter__()
            self._task = self._progress.add_task("hosts", total=self.total, counts=self._counts(), current="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def _counts(self) -> str:
        return " ".join(f"[{self.COLORS[k]}]{k} {v}[/]" for k, v in self.counts.items())

    def observer(self) -> Observer:
        from fleet.deploy import Observer

        return Observer(batch_started=self.batch_started, task_result=self.task_result,
                        host_finished=self.host_finished, lock_wait=self.lock_wait)

    def lock_wait(self, practice: str, holder: dict[str, Any]) -> None:
        from fleet.store.locks import describe_holder

        self._print(f"waiting: practice {practice} is {describe_holder(holder)}")

    def batch_started(self, name: str, hosts: Sequence[str]) -> None:
        self.batch = name
        if not self.quiet:
            self._print(f"[bold]{name}[/]: {len(hosts)} hosts" if self.live else f"{name}: {len(hosts)} hosts")

    def task_result(self, ev: TaskResult) -> None:
        if self._progress is not None:
            self._progress.update(self._task, current=f"{ev.host}: {ev.task}"[:60])

    def host_finished(self, o: HostOutcome) -> None:
        st = o.record().status
        if st in self.counts:
            self.counts[st] += 1
        if self.quiet:
            return
        detail = o.message if st in ("failed", "unreachable") else (
            f"{o.changed} changed" if o.changed else "no changes")
        if self._progress is not None:
            self._progress.update(self._task, advance=1, counts=self._counts())
            self._print(f"  [{self.COLORS.get(st, 'white')}]{st:11}[/] {o.host}  [dim]{detail}[/]")
        else:
            self._print(f"  {st:11} {o.host}  {detail}")

    def _print(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text, highlight=False)
        else:
            click.echo(text, err=True)


# -- fleet runs ----------------------------------------------------------------------------------------


@click.group(invoke_without_command=True)
@click.option("--kind", type=click.Choice(["deploy", "health"]), help="Only runs of this kind.")
@click.option("-n", "--last", "limit", type=int, default=20, show_default=True, help="How many runs.")
@output_options
@pass_app
@click.pass_context
def runs(ctx: click.Context, app: AppContext, kind: str | None, limit: int, fmt: str) -> None:
    """The audit trail: every deploy (and health) run, who ran it, when, and what happened.

    \b
    Examples:
      fleet runs
      fleet runs show 3f2a            # a run by id (or a unique prefix)
      fleet runs --json | jq '.[0]'
    """
    if ctx.invoked_subcommand is not None:
        return
    from fleet.store import Store

    store = Store(app.ws.store_url())
    try:
        found = store.runs(kind, limit=limit)
    finally:
        store.close()
    rows = []
    for r in found:
        s = r.summary or {}
        rows.append({"id": r.id[:12], "kind": r.kind, "started": r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                     "user": r.user, "status": r.status, "check": bool(r.options.get("check")),
                     "hosts": s.get("hosts", r.options.get("hosts", "")), "ok": s.get("ok", ""),
                     "changed": s.get("changed", ""), "failed": s.get("failed", ""),
                     "unreachable": s.get("unreachable", ""), "seconds": s.get("seconds", ""),
                     "run_id": r.id})
    emit(rows, ["id", "kind", "started", "user", "status", "check", "hosts", "ok", "changed", "failed",
                "unreachable", "seconds"], fmt,
         json_doc=[{**_run_doc(r)} for r in found])
    if not found:
        note("no runs recorded yet")


def _run_doc(r: RunRecord) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "started_at": r.started_at.isoformat(),
            "finished_at": r.finished_at.isoformat() if r.finished_at else None, "status": r.status,
            "user": r.user, "controller": r.controller, "selection": r.selection, "options": r.options,
            "summary": r.summary, "fleet_version": r.fleet_version}


@runs.command()
@click.argument("run_id")
@output_options
@pass_app
def show(app: AppContext, run_id: str, fmt: str) -> None:
    """One run: its hosts' results and the tasks that changed or failed on each.

    \b
    Example:
      fleet runs show 3f2a9c
    """
    from fleet.errors import SelectionError
    from fleet.store import Store

    if not run_id.strip() or len(run_id.strip()) < 4:
        raise click.UsageError("give a run id (or a unique prefix of at least 4 characters); `fleet runs` lists them")
    run_id = run_id.strip()
    store = Store(app.ws.store_url())
    try:
        run = store.run(run_id)
        if run is None:
            matches = [r for r in store.runs(limit=1000) if r.id.startswith(run_id)]
            if len(matches) != 1:
                raise SelectionError(f"no run {run_id!r}" if not matches else f"{run_id!r} matches {len(matches)} runs",
                                     hint="`fleet runs` lists the run ids")
            run = matches[0]
        hosts = store.host_results(run.id)
        audit = store.audit_events(run.id)
    finally:
        store.close()
    if fmt == "json":
        emit([], [], fmt, json_doc={
            **_run_doc(run),
            "hosts": [{"host": h.host, "practice": h.practice_id, "client": h.client_id, "status": h.status,
                       "ok": h.ok, "changed": h.changed, "failures": h.failures, "message": h.message,
                       "recorded_at": h.recorded_at.isoformat() if h.recorded_at else None} for h in hosts],
            "tasks": [{"host": a.host, "practice": a.practice_id, "task": a.task, "action": a.action,
                       "changed": a.changed, "failed": a.failed, "detail": a.detail,
                       "recorded_at": a.recorded_at.isoformat() if a.recorded_at else None} for a in audit]})
        return
    note(f"run {run.id} ({run.kind}{', check' if run.options.get('check') else ''}) by {run.user}@{run.controller} "
         f"started {run.started_at:%Y-%m-%d %H:%M:%S %Z}: {run.status}")
    emit([{"host": h.host, "practice": h.practice_id, "status": h.status, "ok": h.ok, "changed": h.changed,
           "failures": h.failures, "message": h.message} for h in hosts],
         ["host", "practice", "status", "ok", "changed", "failures", "message"], fmt, title="hosts")
    if audit:
        emit([{"host": a.host, "task": a.task, "result": "failed" if a.failed else "changed", "detail": a.detail}
              for a in audit], ["host", "task", "result", "detail"], fmt, title="tasks that changed or failed")
