"""`fleet inventory`: validate readiness, show practices and hosts, import an RMM device export."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import emit, exit_with, note, output_options

if TYPE_CHECKING:
    from fleet.inventory.validate import Finding


@click.group()
def inventory() -> None:
    """Check and edit the inventory (clients, practices, hosts).

    \b
    Examples:
      fleet inventory validate
      fleet inventory show --practice brightsmiles_downtown
      fleet inventory import ninjaone-devices.csv
      fleet inventory join --write
    """


@inventory.command()
@click.option("-p", "--practice", "practices", multiple=True, help="Only this practice (repeatable).")
@click.option("-c", "--client", "clients", multiple=True, help="Only this client's practices (repeatable).")
@output_options
@pass_app
def validate(app: AppContext, practices: tuple[str, ...], clients: tuple[str, ...], fmt: str) -> None:
    """Check everything a deploy needs; print a readiness checklist per practice.

    Exit 0 when nothing blocks (warnings allowed), 1 when any practice is blocked.

    \b
    Example:
      fleet inventory validate --client brightsmiles
    """
    ws = app.ws
    chosen = ws.inventory.select(practices, clients)
    report = ws.validate(chosen)
    rows = []
    for f in report.general:
        rows.append({"practice": "-", "host": f.host or "", "level": f.level.value, "message": f.message,
                     "where": str(f.where or ""), "fix": f.hint})
    now = datetime.now(UTC)
    for p in report.practices:
        if not p.errors and not p.warnings:
            rows.append({"practice": p.practice_id, "host": "", "level": "ok", "message": f"ready ({p.install_method})",
                         "where": "", "fix": ""})
        o = p.onboarding
        if o is not None:
            days = o.days_in_state(now)
            rows.append({"practice": p.practice_id, "host": "", "level": "state",
                         "message": f"{o.label}" + (f" for {days} days" if days is not None else "")
                         + (f", waiting on the {o.waits_on}" if o.waits_on else "") + f": {o.meaning}",
                         "where": "", "fix": f"fleet practice status {p.practice_id}"})
        for f in p.findings:
            rows.append({"practice": p.practice_id, "host": f.host or "", "level": f.level.value,
                         "message": f.message, "where": str(f.where or ""), "fix": f.hint})
    doc = {
        "ok": report.ok,
        "general": [_finding(f) for f in report.general],
        "practices": [
            {"practice": p.practice_id, "client": p.client_id, "pms": p.pms, "install_method": p.install_method,
             "status": p.status, "findings": [_finding(f) for f in p.findings],
             "lifecycle": p.onboarding.to_dict(now) if p.onboarding else None}
            for p in report.practices
        ],
    }
    emit(rows, ["practice", "host", "level", "message", "where", "fix"], fmt, json_doc=doc)
    blocked = [p.practice_id for p in report.practices if p.errors]
    warned = sum(len(p.warnings) for p in report.practices)
    summary = (f"{len(report.practices)} practices: {len(report.practices) - len(blocked)} ready, "
               f"{len(blocked)} blocked, {warned} warnings")
    lifecycle = [p.onboarding for p in report.practices if p.onboarding is not None]
    if lifecycle:
        states = Counter(o.stage.value for o in lifecycle)
        waiting = Counter(o.waits_on for o in lifecycle if o.waits_on)
        summary += ("; onboarding: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
                    + "".join(f", {n} waiting on the {w}" for w, n in sorted(waiting.items()))
                    + f", {sum(len(p.todos) for p in report.practices)} checklist items open")
    general = [f for f in report.general if f.level.value == "error"]
    if general:
        summary += f"; {len(general)} inventory errors (first: {general[0].message})"
    if not report.ok:
        note(summary + (f" (blocked: {', '.join(blocked)})" if blocked else ""), fg="red")
        exit_with(1)
    note(summary, fg="green")


def _finding(f: Finding) -> dict[str, Any]:
    return {"level": f.level.value, "message": f.message, "host": f.host, "where": str(f.where or ""),
            "fix": f.hint}


@inventory.command()
@click.option("-p", "--practice", "practices", multiple=True, help="Only this practice (repeatable).")
@click.option("-c", "--client", "clients", multiple=True, help="Only this client's practices (repeatable).")
@click.option("--hosts/--practices", "by_host", default=False, help="One row per host (default: per practice).")
@output_options
@pass_app
def show(app: AppContext, practices: tuple[str, ...], clients: tuple[str, ...], by_host: bool, fmt: str) -> None:
    """List practices (or hosts with --hosts).

    \b
    Examples:
      fleet inventory show
      fleet inventory show --hosts --practice lakeside_main --json
    """
    ws = app.ws
    chosen = ws.inventory.select(practices, clients)
    rows: list[dict[str, Any]]
    if by_host or practices:
        rows = [{"host": h.name, "practice": p.id, "client": p.client_id, "role": h.role, "platform": h.platform,
                 "address": h.address, "connection": h.connection} for p in chosen for h in p.hosts]
        emit(rows, ["host", "practice", "client", "role", "platform", "address", "connection"], fmt)
        note(f"{len(rows)} hosts in {len(chosen)} practices")
        return
    rows = []
    for p in chosen:
        system = ws.catalog.find(p.pms)
        method = system.resolve(p.vars)[0].value if system else "unknown"
        rows.append({"practice": p.id, "client": p.client_id, "name": p.name, "pms": p.pms,
                     "version": p.pms_version, "install_method": method, "servers": len(p.servers),
                     "workstations": len(p.workstations),
                     "secret": "stored" if ws.secrets.exists(p.id) else "missing"})
    emit(rows, ["practice", "client", "name", "pms", "version", "install_method", "servers", "workstations",
                "secret"], fmt)
    note(f"{len(rows)} practices, {sum(len(p.hosts) for p in chosen)} hosts")


@inventory.command()
@click.option("-p", "--practice", "practices", multiple=True, help="Only this practice (repeatable).")
@click.option("-c", "--client", "clients", multiple=True, help="Only this client's practices (repeatable).")
@click.option("--write", is_flag=True, help="Set fleet_join on the hosts where the inventory says nothing.")
@click.option("--overwrite", is_flag=True, help="With --write: also where the inventory says otherwise.")
@output_options
@pass_app
def join(app: AppContext, practices: tuple[str, ...], clients: tuple[str, ...], write: bool, overwrite: bool,
         fmt: str) -> None:
    """How each Windows host is joined (domain, entra, workgroup): the inventory's fleet_join beside
    what the last health sweep saw on the machine. Edge's build follows it.

    Actions: agrees; set (the inventory says nothing: --write sets it); differs (--write
    --overwrite sets the host's own fleet_join); not seen (no sweep has read the host yet).
    Inventory files are edited keeping comments and hand-added vars.

    \b
    Examples:
      fleet inventory join --client brightsmiles
      fleet inventory join --write
    """
    from fleet.health.storage import latest_facts
    from fleet.inventory.join import DIFFERS, NOT_SEEN, SET, join_rows, write_join

    if overwrite and not write:
        raise click.UsageError("--overwrite goes with --write")
    ws = app.ws
    chosen = ws.inventory.select(practices, clients)
    hosts = [h for p in chosen for h in p.hosts if h.platform == "windows"]
    facts = latest_facts(app.store(), [h.name for h in hosts]) if hosts else {}
    rows = join_rows(hosts, {p.id: p.vars for p in chosen}, facts)
    written = write_join(ws.inventory_dir, rows, overwrite) if write else []
    done = {r.host for r in written}
    out = [r.as_dict() | {"written": r.host in done} for r in rows]
    emit(out, ["host", "practice", "fleet_join", "set_at", "seen", "seen_at", "action", "written"], fmt)
    count = {a: sum(1 for r in rows if r.action == a) for a in (SET, DIFFERS, NOT_SEEN)}
    if written:
        note(f"fleet_join written on {len(written)} hosts: {', '.join(sorted(done)[:10])}"
             + (" ..." if len(done) > 10 else ""), fg="green")
    elif count[SET] or count[DIFFERS]:
        note(f"{count[SET]} hosts without fleet_join, {count[DIFFERS]} where it differs from the machine: "
             "fleet inventory join --write" + (" --overwrite" if count[DIFFERS] else ""))
    if count[NOT_SEEN]:
        note(f"{count[NOT_SEEN]} Windows hosts not seen by a health sweep yet: fleet health")
    if not hosts:
        note("no Windows hosts in the selection")


@inventory.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--client", "client", metavar="NAME",
              help="Every device of the file belongs to this client (name or id): for exports with no client "
                   "column (Active Directory, Intune) or to override it.")
@click.option("--practice", "practice", metavar="NAME",
              help="... and to this practice of it (an existing practice id, or a site name for a new one).")
@output_options
@pass_app
def import_(app: AppContext, csv_file: Path, dry_run: bool, client: str | None, practice: str | None,
            fmt: str) -> None:
    """Add or update hosts from an RMM device export (CSV).

    Columns (names as NinjaOne, Datto, ConnectWise, N-able export them are recognised): client,
    site, hostname, address, OS, role. New clients/practices/hosts are added; existing hosts get
    their address updated; hand edits and comments are kept; nothing is deleted.

    \b
    Example:
      fleet inventory import devices.csv --dry-run
      fleet inventory import ad-computers.csv --client "Bright Smiles" --practice brightsmiles_downtown
    """
    from fleet.inventory.rmm_import import import_csv

    result = import_csv(app.ws.inventory_dir, csv_file, dry_run=dry_run, client=client, practice=practice)
    rows = [{"action": c.action, "host": c.host, "practice": c.practice, "detail": c.detail} for c in result.changes]
    emit(rows, ["action", "host", "practice", "detail"], fmt)
    for s in result.skipped:
        note(f"{csv_file}:{s.line}: skipped: {s.reason}", fg="yellow")
    verb = "would change" if dry_run else "changed"
    note(f"{result.summary()} ({verb} {len(result.files)} files)")
    if result.skipped and not result.changes and not result.unchanged:
        exit_with(1)  # nothing in the file could be used


