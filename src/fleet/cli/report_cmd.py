"""`fleet report`: write a health report of a sweep from the store (HTML, JSON, CSV, JUnit, Prometheus)."""

from __future__ import annotations

import time

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import note


@click.command("report")
@click.option("--format", "fmt", type=click.Choice(["html", "json", "csv", "junit", "prometheus"]),
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
    from fleet.report.formats import write_report
    from fleet.report.model import load_report, percent

    started = time.monotonic()
    directory = app.directory()
    if client and directory.clients and client not in directory.clients:
        note(f"report: client {client!r} is not in the inventory; looking for it in the store", fg="yellow")
    rep = load_report(app.store(), run_id, client=client, directory=directory, history=history,
                      msp_name=app.msp_name, redact=app.redactor().text)
    write_report(rep, fmt, out)
    where = "stdout" if out == "-" else out
    note(f"report: {fmt} of sweep {rep.run.id[:12]} ({len(rep.practices)} practices, {len(rep.hosts)} hosts, "
         f"coverage {percent(rep.coverage)}) -> {where} in {time.monotonic() - started:.1f}s")
