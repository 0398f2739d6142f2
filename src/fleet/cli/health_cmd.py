"""`fleet health`: the sweep (when no subcommand is given), `show`, `prune` and `alert`.

Each command only parses options, calls ``fleet.health`` and renders. Alerts go out two ways:
``fleet health alert [--run ID]`` sends what is due for a stored sweep (the nightly job runs it
last), and ``fleet health --alert`` right after its sweep (``run_alerts``)."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import emit, exit_with, note, output_options

if TYPE_CHECKING:
    from fleet.alerts import AlertOutcome
    from fleet.store import Store

SWEEP_COLUMNS = ["client", "practice", "state", "lifecycle", "coverage", "servers", "unreachable", "summary"]
STATE_COLOURS = {"OK": "green", "WARNING": "yellow", "CRITICAL": "red", "UNKNOWN": "magenta"}


# -- the sweep ------------------------------------------------------------------------------------


@click.group(invoke_without_command=True)
@click.option("-p", "--practice", "practices", multiple=True, help="Only this practice (repeatable).")
@click.option("-c", "--client", "clients", multiple=True, help="Only this client's practices (repeatable).")
@click.option("-l", "--limit", "limits", multiple=True, metavar="HOSTS",
              help="Only these hosts: names, globs (bs-*) or groups (practice_ID, client_ID); comma-separated "
                   "or repeated, as in fleet deploy.")
@click.option("-f", "--forks", type=click.IntRange(1, 256), metavar="N",
              help="Hosts collected at once (default: health.forks in fleet.yml, else sized to this machine).")
@click.option("--timeout", type=click.FloatRange(1, 3600), metavar="SECONDS",
              help="Seconds one host may take, connect included (default 60).")
@click.option("--alert/--no-alert", "send", default=None,
              help="Send alerts for newly failing / resolved checks after the sweep "
                   "(default: when fleet.yml has alert targets).")
@output_options
@pass_app
@click.pass_context
def health(ctx: click.Context, app: AppContext, practices: tuple[str, ...], clients: tuple[str, ...],
           limits: tuple[str, ...], forks: int | None, timeout: float | None, send: bool | None, fmt: str) -> None:
    """Sweep the fleet's health: collect every host, judge, store, summarise per practice.

    One round trip per host (SSH, or PowerShell remoting for psrp/winrm hosts) gathers raw facts;
    fleet judges them against the same policy model deploy uses and the checks in
    data/checks.yaml, stores the sweep (fleet health show, fleet report) and prints one line per
    practice: its worst state, workstation coverage (the extension working: forcelist + token +
    installed), servers OK. Data goes to stdout, the summary to stderr. An unreachable host is
    UNKNOWN with when it was last seen; it does not stop the sweep.

    \b
    Exit status (Nagios): the worst state over the selection, where a known problem outranks not
    knowing (OK < UNKNOWN < WARNING < CRITICAL):
      0 OK   1 WARNING   2 CRITICAL   3 UNKNOWN
    (and 1 with a message when the sweep cannot start, e.g. a bad --practice).

    \b
    Examples:
      fleet health
      fleet health --client brightsmiles --json | jq '.practices[] | select(.state != "OK")'
      fleet health --limit 'bs-*' --forks 100
      fleet health show --state CRITICAL
      fleet health prune --older-than 90d
    """
    if ctx.invoked_subcommand:
        return
    from fleet.health.settings import load_settings
    from fleet.health.sweep import SweepOptions, make_sweep  # make_sweep: fleet remote health swaps it

    ws = app.ws
    _, hosts = ws.inventory.select_hosts(practices, clients, limits)
    settings = load_settings(ws.config_path)
    host_docs: list[dict[str, Any]] = []

    def on_host(j: Any) -> None:
        host_docs.append(j.as_json())

    selection = {"practices": list(practices), "clients": list(clients), "limit": ",".join(limits)}
    options = SweepOptions(forks=forks or settings.forks, timeout=timeout or settings.timeout, selection=selection)
    # The store is opened by the sweep once the first connections are on their way.
    sweep = make_sweep(ws, app.store, settings, on_host=on_host)
    from fleet.interrupts import stop_requested, stop_signals_interrupt

    try:  # Ctrl-C, SIGTERM and SIGHUP end a sweep alike: the run is marked interrupted, results are kept
        with stop_signals_interrupt():
            result = sweep.run(hosts, options)
            late_stop = stop_requested()  # came as the run was being closed: it is complete
    except KeyboardInterrupt:
        # Click would turn this into "Aborted!" and exit 1; a sweep says what it kept and exits 130.
        note(f"interrupted: the {len(host_docs)} host(s) answered so far are stored; "
             "the sweep is marked interrupted", fg="yellow")
        exit_with(130)

    from fleet.onboarding.status import load_onboarding

    now = datetime.now(UTC)
    store = sweep.store
    lifecycle = load_onboarding(store, [ws.inventory.practices[p.practice_id] for p in result.practices], ws.catalog)
    rows = [{"client": p.client_id, "practice": p.practice_id, "state": p.state.value,
             "lifecycle": lifecycle[p.practice_id].label,
             "coverage": p.coverage.label() if p.coverage_state is not None else "-",
             "servers": p.servers_label, "unreachable": p.hosts_unreachable, "summary": p.message()}
            for p in result.practices]
    doc = result.as_json(host_docs, {pid: {k: v for k, v in o.to_dict(now).items() if k != "checklist"}
                                     for pid, o in lifecycle.items()})
    emit(rows, SWEEP_COLUMNS, fmt, title=f"fleet health ({result.run_id[:12]})", json_doc=doc)
    s = result.summary()
    by_state = ", ".join(f"{n} {k}" for k, n in sorted(s["hosts_by_state"].items()))
    unreachable = [d["host"] for d in host_docs if d["status"] == "unreachable"]
    note(f"sweep {result.run_id[:12]}: {s['hosts']} hosts in {s['wall_s']:.1f}s ({by_state}); "
         f"controller CPU {s['cpu_ms_per_host']} ms/host; "
         f"exit {result.exit_code} ({result.state.value})", fg=STATE_COLOURS[result.state.value])
    if unreachable:
        note(f"unreachable: {', '.join(unreachable[:10])}" + (" ..." if len(unreachable) > 10 else ""))
    timed_out = [d["host"] for d in host_docs if d["status"] == "timed_out"]
    if timed_out:
        note(f"timed out (stopped at the per-host deadline): {', '.join(timed_out[:10])}"
             + (" ..." if len(timed_out) > 10 else ""))
    if sweep.moved:
        note(f"Synchronizer seen running: {', '.join(sweep.moved)} now installed (fleet practice status)", fg="green")
    if sweep.coverage_events:
        ev = sweep.coverage_events
        note(f"extension coverage reached or lost: {', '.join(ev[:10])}" + (" ..." if len(ev) > 10 else "")
             + " (fleet practice status PRACTICE --history)")
    if sweep.coverage_error:
        note(f"could not record extension coverage in the practices' history: {sweep.coverage_error}", fg="yellow")
    pending = [o for o in lifecycle.values() if o.pending(now.date())]
    if pending:
        note("waiting for the vendor's engineer: " + ", ".join(
            f"{o.practice_id} ({o.scheduled_for.isoformat() if o.scheduled_for else 'no date yet'})" for o in pending))
    if result.stale_closed:
        note(f"marked {len(result.stale_closed)} earlier sweep(s) that never finished as interrupted")
    if late_stop:
        note("stopped as the sweep was finishing: it is complete and stored; no alert was sent", fg="yellow")
        sys.stdout.flush()
        exit_with(130)
    if send or (send is None and ws.config.alerts):
        # Delivery problems are reported, never raised: the sweep is stored and its Nagios code stands.
        run_alerts(app, store, result.run_id)
    sys.stdout.flush()
    exit_with(result.exit_code)


@health.command("show")
@click.option("--run", "run_id", metavar="ID", help="A sweep's run id or id prefix (default: the latest).")
@click.option("-p", "--practice", "practices", multiple=True, help="Only this practice (repeatable).")
@click.option("-c", "--client", "clients", multiple=True, help="Only this client (repeatable).")
@click.option("--host", "hosts", multiple=True, help="Only this host (repeatable).")
@click.option("--state", "states", multiple=True, type=click.Choice(["OK", "WARNING", "CRITICAL", "UNKNOWN"],
              case_sensitive=False), help="Only checks in this state (repeatable). Default: all but OK.")
@click.option("-a", "--all", "show_all", is_flag=True, help="Show OK checks too.")
@output_options
@pass_app
@click.pass_context
def show(ctx: click.Context, app: AppContext, run_id: str | None, practices: tuple[str, ...],
         clients: tuple[str, ...], hosts: tuple[str, ...], states: tuple[str, ...], show_all: bool,
         fmt: str) -> None:
    """Show a stored sweep's check results (by default the latest sweep's problems).

    \b
    Examples:
      fleet health show
      fleet health show --all --host bs-downtown-ws01
      fleet health show --state UNKNOWN --csv > unknown.csv
    """
    from fleet.health.show import load_results

    store = app.store()
    run, rows = load_results(store, run_id, practices=practices, clients=clients, hosts=hosts,
                             states=[s.upper() for s in states] or (None if show_all else
                                                                   ["WARNING", "CRITICAL", "UNKNOWN"]))
    cols = ["client", "practice", "host", "check", "state", "message", "value", "last_seen"]
    emit(rows, cols, fmt, title=f"sweep {run.id[:12]} ({run.status}, {run.started_at:%Y-%m-%d %H:%M} UTC)",
         json_doc={"run": {"id": run.id, "status": run.status, "started_at": run.started_at.isoformat(),
                           "finished_at": run.finished_at.isoformat() if run.finished_at else None,
                           "summary": run.summary},
                   "results": rows})
    note(f"{len(rows)} result(s) from sweep {run.id[:12]} ({run.status})")


_DURATION = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")


def parse_duration(text: str) -> timedelta:
    m = _DURATION.match(text or "")
    if not m:
        raise click.BadParameter(f"{text!r} is not a duration like 90d, 12w or 48h")
    n, unit = int(m.group(1)), m.group(2)
    age = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}[unit]
    if n * age > timedelta(days=36500):  # beyond a century: every date would overflow, nothing is that old
        raise click.BadParameter(f"{text!r} is more than 100 years", param_hint="--older-than")
    return n * age


@health.command("prune")
@click.option("--older-than", "older_than", required=True, metavar="AGE",
              help="Delete health sweeps older than this: 90d, 12w, 48h.")
@click.option("--keep-last", type=click.IntRange(0), default=1, show_default=True,
              help="Always keep this many newest sweeps, whatever their age.")
@output_options
@pass_app
@click.pass_context
def prune(ctx: click.Context, app: AppContext, older_than: str, keep_last: int, fmt: str) -> None:
    """Delete old health sweeps (their hosts, checks and roll-ups). Deploy runs are never touched.

    \b
    Example:
      fleet health prune --older-than 90d
    """
    from fleet.health.storage import prune_health

    age = parse_duration(older_than)
    store = app.store()
    counts = prune_health(store, age, keep_last=keep_last)
    emit([{"table": k, "deleted": v} for k, v in counts.items()], ["table", "deleted"], fmt, json_doc=counts)
    note(f"pruned {counts['runs']} health sweep(s) older than {older_than}")


@health.command("alert")
@click.option("--run", "run_id", metavar="RUN_ID", help="The health run (default: the latest sweep).")
@pass_app
def alert(app: AppContext, run_id: str | None) -> None:
    """Send the alerts of a sweep that are due (newly failing after the debounce, resolved).

    Safe to repeat: what was delivered is not sent again; what failed to deliver is retried.
    Exit 1 when an alert target could not be reached.

    \b
    Example:
      fleet health alert --run 3f2a9c
    """
    from fleet.report.model import resolve_run

    store = app.store()
    outcome = run_alerts(app, store, resolve_run(store, run_id).id)
    if outcome is not None and not outcome.ok:
        exit_with(1)


def run_alerts(app: AppContext, store: Store, run_id: str) -> AlertOutcome | None:
    """Send sweep ``run_id``'s due alerts to fleet.yml's targets; the outcome (None: no targets).

    Prints the summary (and each unreachable target, by name) to stderr. Never raises for a
    delivery problem: the sweep's results are already stored and stay as they are."""
    from fleet.alerts import send_alerts

    targets = app.ws.config.alerts
    if not targets:
        note("alerts: no alert targets in fleet.yml (alerts:)", fg="yellow")
        return None
    outcome = send_alerts(store, run_id, targets, redactor=app.redactor(), msp_name=app.msp_name,
                          directory=app.directory())
    note(outcome.summary(), fg=None if outcome.ok else "red")
    return outcome
