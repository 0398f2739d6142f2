"""`fleet lab`: simulated practice hosts on this machine, with a workspace that matches them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import F, emit, exit_with, note, output_options


def _dir_option(func: F) -> F:
    """Add --dir (the lab workspace directory); the value arrives as ``directory``."""
    return click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Lab workspace directory (default: $FLEET_LAB_DIR or ~/.local/share/fleet/lab).")(func)


def _resolve(directory: Path | None, app: AppContext | None = None) -> Path:
    """--dir, else the lab whose workspace is in use (-w, $FLEET_WORKSPACE, the current directory), else the default."""
    from fleet.lab.workspace import lab_workspace_for

    return lab_workspace_for(directory, app.workspace_arg if app is not None else None)


@click.group()
def lab() -> None:
    """A lab of simulated practices on this machine: real sshd hosts (Linux) with a matching workspace.

    \b
    `fleet lab up` starts the hosts and writes a workspace (fleet.yml, inventory, vaults with fake
    secrets, vault password "fleet-lab" in DIR/.vault-pass) at DIR; fleet commands run outside any
    other workspace use it. Needs root (mount namespaces) and openssh-server.

    \b
    Examples:
      fleet lab up                      # 3 practices x 2 workstations (+ on-prem servers)
      fleet deploy --yes && fleet health
      fleet lab status
      fleet lab down
    """


@lab.command()
@click.option("--practices", type=int, help="Number of practices (default 3 for a new lab).")
@click.option("--workstations", type=int, help="Workstations per practice (default 2 for a new lab).")
@_dir_option
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for the hosts.")
@click.option("--browsers", "browsers_mode", type=click.Choice(["auto", "real", "simulated"]), default="auto",
              show_default=True, help="Workstation browsers of a new lab: real headless Chromium (auto: up to "
              "12 workstations, ~190 MB each) or the simulation (`fleet lab browsers`).")
@pass_app
def up(app: AppContext, practices: int | None, workstations: int | None, directory: Path | None, timeout: float,
       browsers_mode: str) -> None:
    """Start the lab (create it, or resume a stopped one) and write its workspace.

    \b
    Examples:
      fleet lab up
      fleet lab up --practices 40 --workstations 5 --dir /srv/fleet-lab
      fleet lab up --practices 2 --workstations 2 --browsers real --dir /tmp/lab
    """
    from fleet.lab import Lab, plan_lab
    from fleet.lab.browsers import setup_browsers, start_browsers
    from fleet.lab.endpoint import endpoint_url, start_endpoint
    from fleet.lab.workspace import (
        DEFAULT_PRACTICES,
        DEFAULT_WORKSTATIONS,
        VAULT_PASSWORD_ENV,
        engine_dir,
        lab_vault_password,
        write_lab_workspace,
    )

    ws_dir = _resolve(directory, app)
    lab_ = Lab(engine_dir(ws_dir))
    topology = None
    if not lab_.exists() or practices is not None or workstations is not None:
        for name, value in (("--practices", practices), ("--workstations", workstations)):
            if value is not None and value < 1:
                raise click.UsageError(f"{name} must be at least 1")
        topology = plan_lab(practices or DEFAULT_PRACTICES, workstations or DEFAULT_WORKSTATIONS)
    n_ws = sum(1 for h in (topology or lab_.state().topology).hosts if h.role == "workstation")
    browsers = setup_browsers(ws_dir, browsers_mode, n_ws)  # before any host starts: a bad choice stops here
    state = lab_.up(topology, timeout=timeout)
    files = write_lab_workspace(ws_dir, state, sync_endpoint=endpoint_url(ws_dir), browsers=browsers)
    start_endpoint(ws_dir)
    started, late = start_browsers(ws_dir)
    servers = sum(1 for r in state.hosts.values() if r.role == "server")
    note(f"lab up at {ws_dir}: {len(state.hosts)} hosts ({len(state.topology.practices)} practices, "
         f"{servers} servers); workspace: {len(files)} files written", fg="green")
    pw_note = "" if lab_vault_password() == "fleet-lab" else f" (from ${VAULT_PASSWORD_ENV})"
    note(f"vault password: {'fleet-lab' if not pw_note else '<yours>'}{pw_note}, in {ws_dir / '.vault-pass'}")
    if browsers.mode == "real":
        note(f"browsers: real headless Chromium on {len(started)} workstations; test extensions "
             f"{', '.join(sorted(set(browsers.extensions.values())))[:80]}... served at {browsers.update_url}")
        _warn_late_browsers(ws_dir, late)
    else:
        note("browsers: simulated (`fleet lab browsers` does Chrome's part after a deploy)")
    note(f"next: fleet -w {ws_dir} deploy --yes    (ssh -F {state.paths.ssh_config} HOST to look around)")


@lab.command()
@_dir_option
@click.option("--purge", is_flag=True, help="Also delete the lab directory (workspace, keys, store).")
@pass_app
def down(app: AppContext, directory: Path | None, purge: bool) -> None:
    """Stop every host the lab started (and nothing else).

    \b
    Example:
      fleet lab down --purge
    """
    import shutil

    from fleet.lab import Lab
    from fleet.lab.endpoint import stop_endpoint
    from fleet.lab.workspace import engine_dir

    ws_dir = _resolve(directory, app)
    lab_ = Lab(engine_dir(ws_dir))
    endpoint = stop_endpoint(ws_dir)
    if not lab_.exists():
        note(f"no lab at {ws_dir}")
        if purge and (ws_dir / ".vault-pass").exists():
            shutil.rmtree(ws_dir)
        return
    pids = lab_.down(purge=purge) + endpoint
    if purge:
        shutil.rmtree(ws_dir, ignore_errors=True)
    note(f"lab at {ws_dir}: stopped {len(pids)} processes" + ("; removed the directory" if purge else ""),
         fg="green")


@lab.command()
@_dir_option
@output_options
@pass_app
def status(app: AppContext, directory: Path | None, fmt: str) -> None:
    """Each lab host: up or down, role, port, practice; on a real-browser lab, each workstation's
    Chromium (running, memory), the test extension (policy, installed) and its managed settings
    (fingerprints match). Exit 1 if any host is down.

    \b
    Example:
      fleet lab status --json
    """
    from fleet.lab import Lab
    from fleet.lab.browsers import browser_rows
    from fleet.lab.endpoint import endpoint_running, endpoint_url
    from fleet.lab.workspace import engine_dir

    ws_dir = _resolve(directory, app)
    rows: list[dict[str, Any]] = [{"host": s.name, "status": s.status, "role": s.role, "port": s.port, "pid": s.pid,
             "practice": s.practice, "client": s.client} for s in Lab(engine_dir(ws_dir)).status()]
    columns = ["host", "status", "role", "port", "pid", "practice", "client"]
    browsers = {r["host"]: r for r in browser_rows(ws_dir)}
    if browsers:
        columns += ["browser", "memory_mb", "policy", "installed", "settings"]
        for r in rows:
            b = browsers.get(r["host"], {})
            r |= {c: b.get(c, "") for c in ("browser", "memory_mb", "policy", "installed", "settings")}
    # The table keeps to what fits; --json/--csv carry everything.
    narrow = [c for c in columns if not (browsers and c in ("pid", "client"))] if fmt == "table" else columns
    emit(rows, narrow, fmt)
    down_ = [r["host"] for r in rows if r["status"] != "up"]
    if len(down_) == len(rows):
        note(f"the lab at {ws_dir} is stopped (0 of {len(rows)} hosts up); start it: fleet lab up --dir {ws_dir}",
             fg="red")
        exit_with(1)
    if down_:
        note(f"{len(down_)} of {len(rows)} hosts are not up: {', '.join(down_[:10])}", fg="red")
        exit_with(1)
    if browsers:
        mem = sum(float(b["memory_mb"]) for b in browsers.values())
        running = sum(1 for b in browsers.values() if b["browser"] == "running")
        note(f"browsers: {running} of {len(browsers)} Chromium running, {mem:.0f} MB in all")
    note(f"{len(rows)} hosts up ({ws_dir}); sync endpoint {endpoint_url(ws_dir)} "
         + ("running" if endpoint_running(ws_dir) else "not running (fleet lab up starts it)"), fg="green")


@lab.command("stop-host")
@click.argument("host")
@_dir_option
@pass_app
def stop_host(app: AppContext, host: str, directory: Path | None) -> None:
    """Switch one lab host off (to see a deploy report it unreachable)."""
    from fleet.lab import Lab
    from fleet.lab.workspace import engine_dir, running_lab

    ws_dir = _resolve(directory, app)
    running_lab(ws_dir)
    pids = Lab(engine_dir(ws_dir)).stop_host(host)
    note(f"stopped {host} ({len(pids)} processes)")


@lab.command("start-host")
@click.argument("host")
@_dir_option
@pass_app
def start_host(app: AppContext, host: str, directory: Path | None) -> None:
    """Switch one lab host back on (a real-browser workstation starts its Chromium too)."""
    from fleet.lab import Lab
    from fleet.lab.browsers import await_browser
    from fleet.lab.workspace import engine_dir

    ws_dir = _resolve(directory, app)
    rec = Lab(engine_dir(ws_dir)).start_host(host)
    why = await_browser(ws_dir, host)
    note(f"started {host} on port {rec.port}")
    _warn_late_browsers(ws_dir, {host: why} if why else {})


def _warn_late_browsers(ws_dir: Path, late: dict[str, str]) -> None:
    """Name the workstations whose Chromium does not (yet) follow policy changes, and where to look."""
    from fleet.lab import Lab
    from fleet.lab.browser import LOGFILE
    from fleet.lab.workspace import engine_dir

    paths = Lab(engine_dir(ws_dir)).paths
    for host, why in sorted(late.items()):
        log = paths.host(host).fs_path(LOGFILE)
        note(f"browsers: {host}: {why}; a deploy now may reach its Chromium only at its 15-minute policy "
             f"reload (its log: {log}; restart it: "
             f"fleet lab stop-host {host} --dir {ws_dir} && fleet lab start-host {host} --dir {ws_dir})",
             fg="yellow")


@lab.command()
@_dir_option
@click.option("--timeout", type=float, default=90.0, show_default=True,
              help="Real browsers: seconds to wait for every Chromium to follow its policy.")
@output_options
@pass_app
def browsers(app: AppContext, directory: Path | None, timeout: float, fmt: str) -> None:
    """The browsers' part after a deploy. Real-browser lab: wait until every workstation's Chromium
    has installed (or removed) the test extension its policy names and the extension reports the
    practice's managed settings (fingerprints); exit 1 if one has not within --timeout. Simulated
    lab: do Chrome's part (install force-listed extensions into every profile, remove the others).

    \b
    Example:
      fleet deploy --yes && fleet lab browsers && fleet health
    """
    from fleet.lab.browser import REAL, load
    from fleet.lab.browsers import wait_for_browsers
    from fleet.lab.simulated_chrome import simulate_browsers
    from fleet.lab.workspace import engine_dir, running_lab

    ws_dir = _resolve(directory, app)
    running_lab(ws_dir)
    mode = load(engine_dir(ws_dir))
    if mode is not None and mode.mode == REAL:
        rows = wait_for_browsers(ws_dir, timeout)
        emit(rows, ["host", "practice", "browser", "memory_mb", "policy", "installed", "settings"], fmt, json_doc=rows)
        late = [r["host"] for r in rows if not r["converged"]]
        if late:
            note(f"browsers: {len(late)} of {len(rows)} workstations have not followed their policy within "
                 f"{timeout:.0f}s: {', '.join(late[:10])}", fg="red")
            for r in rows:
                if not r["converged"]:
                    note(f"  {r['host']}: {r.get('why', '')}")
            exit_with(1)
        with_ext = sum(1 for r in rows if r["installed"] not in ("no", "-"))
        note(f"browsers: {len(rows)} real Chromium follow their policy; {with_ext} hold the test extension "
             "with the practice's settings (fingerprints match)", fg="green")
        return
    changes = simulate_browsers(ws_dir)
    note(f"browsers (simulated): {sum(changes.values())} extension installs/removals on "
         f"{sum(1 for n in changes.values() if n)} of {len(changes)} hosts", fg="green")


@lab.command("path")
@_dir_option
@pass_app
def path(app: AppContext, directory: Path | None) -> None:
    """Print the lab workspace directory (for scripts: fleet -w "$(fleet lab path)" ...)."""
    click.echo(str(_resolve(directory, app)))
