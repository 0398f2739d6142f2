"""`fleet report`: write a health report from the store; `alert`: send a sweep's alerts.

For the sweep command (fleet/cli/health_cmd.py), two ways in:

- ``health.add_command(alert)``: ``fleet health alert [--run ID]`` sends what is due for a sweep
  (the nightly job runs it last; ``fleet schedule install`` detects it);
- ``run_alerts(app, store, run_id)`` right after a sweep (``fleet health --alert``): prints the
  outcome to stderr and returns it; ``outcome.ok`` is False when a target could not be reached.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import note
from fleet.errors import FleetError
from fleet.health.report_directory import Directory
from fleet.redact import Redactor

if TYPE_CHECKING:
    from fleet.health.alerts import AlertOutcome
    from fleet.store import Store


def open_store(app: AppContext) -> Store:
    from fleet.store import Store

    return Store(app.ws.store_url())


def directory_of(app: AppContext) -> Directory:
    """Names and roles from the inventory; ids only when the inventory cannot be read."""
    try:
        return Directory.from_inventory(app.ws.inventory)
    except FleetError as exc:
        note(f"report: using ids instead of names (inventory unreadable: {exc.message})", fg="yellow")
        return Directory()


def workspace_redactor(app: AppContext) -> Redactor:
    """Every practice secret, when the vault password is at hand without a prompt (second line of
    defence: the store holds no secrets by contract)."""
    from fleet import vault

    red = Redactor()
    try:
        password = vault.resolve_password(app.vault_password_file)
        if password is None:
            return red
        ws = app.ws
        for pid in ws.inventory.practices:
            if ws.secrets.exists(pid):
                red.add(ws.secrets.read(pid, password).values())
    except FleetError:
        pass
    return red


def _msp_name(app: AppContext) -> str:
    try:
        return app.ws.config.msp_name
    except FleetError:
        return ""


@click.command("report")
@click.option("-f", "--format", "fmt", type=click.Choice(["html", "json", "csv", "junit", "prometheus"]),
              default="html", show_default=True, help="Report format.")
@click.option("-o", "--out", metavar="FILE", default="-", show_default=True,
              help="Write here (atomically: a temporary file, then a rename); - for stdout.")
@click.option("--run", "run_id", metavar="RUN_ID", help="A health run id or unique prefix (default: the latest sweep).")
@click.option("-c", "--client", metavar="CLIENT", help="Only this client's data: a report to send to that client.")
@click.option("--history", type=click.IntRange(1, 400), default=30, show_default=True,
              help="Past sweeps in the coverage trend.")
@pass_app
def report(app: AppContext, fmt: str, out: str, run_id: str | None, client: str | None, history: int) -> None:
    """Write a health report of a sweep from the store.

    HTML is one self-contained file (opens offline, prints cleanly); JSON and CSV (one row per host
    and check) for scripts and spreadsheets; JUnit XML (a testsuite per practice) for CI dashboards;
    prometheus writes a node_exporter textfile. Exit 1 when the store holds no sweep yet.

    \b
    Examples:
      fleet report --format html --out fleet-report.html
      fleet report --client brightsmiles --out brightsmiles.html   # to send to that client
      fleet report --format prometheus --out /var/lib/prometheus/node-exporter/fleet.prom
      fleet report --format csv --run 3f2a9c | column -s, -t
    """
    from fleet.health.report import load_report, percent
    from fleet.health.report_formats import write_report

    started = time.monotonic()
    store = open_store(app)
    try:
        directory = directory_of(app)
        if client and directory.clients and client not in directory.clients:
            note(f"report: client {client!r} is not in the inventory; looking for it in the store", fg="yellow")
        rep = load_report(store, run_id, client=client, directory=directory, history=history,
                          msp_name=_msp_name(app), redact=workspace_redactor(app).text)
        write_report(rep, fmt, out)
    finally:
        store.close()
    where = "stdout" if out == "-" else out
    note(f"report: {fmt} of sweep {rep.run.id[:12]} ({len(rep.practices)} practices, {len(rep.hosts)} hosts, "
         f"coverage {percent(rep.coverage)}) -> {where} in {time.monotonic() - started:.1f}s")


@click.command("alert")
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
    from fleet.health.report import resolve_run

    store = open_store(app)
    try:
        outcome = run_alerts(app, store, resolve_run(store, run_id).id)
    finally:
        store.close()
    if outcome is not None and not outcome.ok:
        sys.exit(1)


def run_alerts(app: AppContext, store: Store, run_id: str) -> AlertOutcome | None:
    """Send sweep ``run_id``'s due alerts to fleet.yml's targets; the outcome (None: no targets).

    Prints the summary (and each unreachable target, by name) to stderr. Never raises for a
    delivery problem: the sweep's results are already stored and stay as they are."""
    from fleet.health.alerts import send_alerts

    targets = app.ws.config.alerts
    if not targets:
        note("alerts: no alert targets in fleet.yml (alerts:)", fg="yellow")
        return None
    outcome = send_alerts(store, run_id, targets, redactor=workspace_redactor(app), msp_name=_msp_name(app),
                          directory=directory_of(app))
    note(outcome.summary(), fg=None if outcome.ok else "red")
    return outcome
