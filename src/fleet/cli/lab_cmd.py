"""`fleet lab`: simulated practice hosts on this machine, with a workspace that matches them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import emit, note, output_options


def _dir_option(func):  # type: ignore[no-untyped-def]
    return click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Lab workspace directory (default: $FLEET_LAB_DIR or ~/.local/share/fleet/lab).")(func)


def _resolve(directory: Path | None, app: AppContext | None = None) -> Path:
    from fleet.lab.workspace import default_lab_dir

    if directory is not None:
        return directory.expanduser().resolve()
    return default_lab_dir().resolve()


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
def up(practices: int | None, workstations: int | None, directory: Path | None, timeout: float) -> None:
    """Start the lab (create it, or resume a stopped one) and write its workspace.

    \b
    Examples:
      fleet lab up
      fleet lab up --practices 40 --workstations 5 --dir /srv/fleet-lab
    """
    from fleet.lab import Lab, plan_lab
    from fleet.lab.workspace import (
        DEFAULT_PRACTICES,
        DEFAULT_WORKSTATIONS,
        VAULT_PASSWORD_ENV,
        endpoint_url,
        engine_dir,
        lab_vault_password,
        start_endpoint,
        write_lab_workspace,
    )

    ws_dir = _resolve(directory)
    lab_ = Lab(engine_dir(ws_dir))
    topology = None
    if not lab_.exists() or practices is not None or workstations is not None:
        for name, value in (("--practices", practices), ("--workstations", workstations)):
            if value is not None and value < 1:
                raise click.UsageError(f"{name} must be at least 1")
        topology = plan_lab(practices or DEFAULT_PRACTICES, workstations or DEFAULT_WORKSTATIONS)
    state = lab_.up(topology, timeout=timeout)
    files = write_lab_workspace(ws_dir, state, sync_endpoint=endpoint_url(ws_dir))
    start_endpoint(ws_dir)
    servers = sum(1 for r in state.hosts.values() if r.role == "server")
    note(f"lab up at {ws_dir}: {len(state.hosts)} hosts ({len(state.topology.practices)} practices, "
         f"{servers} servers); workspace: {len(files)} files written", fg="green")
    pw_note = "" if lab_vault_password() == "fleet-lab" else f" (from ${VAULT_PASSWORD_ENV})"
    note(f"vault password: {'fleet-lab' if not pw_note else '<yours>'}{pw_note}, in {ws_dir / '.vault-pass'}")
    note(f"next: fleet -w {ws_dir} deploy --yes    (ssh -F {state.paths.ssh_config} HOST to look around)")


@lab.command()
@_dir_option
@click.option("--purge", is_flag=True, help="Also delete the lab directory (workspace, keys, store).")
def down(directory: Path | None, purge: bool) -> None:
    """Stop every host the lab started (and nothing else).

    \b
    Example:
      fleet lab down --purge
    """
    import shutil

    from fleet.lab import Lab
    from fleet.lab.workspace import engine_dir, stop_endpoint

    ws_dir = _resolve(directory)
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
def status(directory: Path | None, fmt: str) -> None:
    """Each lab host: up or down, role, port, practice. Exit 1 if any host is down.

    \b
    Example:
      fleet lab status --json
    """
    from fleet.lab import Lab
    from fleet.lab.workspace import endpoint_running, endpoint_url, engine_dir

    ws_dir = _resolve(directory)
    rows = [{"host": s.name, "status": s.status, "role": s.role, "port": s.port, "pid": s.pid,
             "practice": s.practice, "client": s.client} for s in Lab(engine_dir(ws_dir)).status()]
    emit(rows, ["host", "status", "role", "port", "pid", "practice", "client"], fmt)
    down_ = [r["host"] for r in rows if r["status"] != "up"]
    if down_:
        note(f"{len(down_)} of {len(rows)} hosts are not up: {', '.join(down_[:10])}", fg="red")
        sys.exit(1)
    note(f"{len(rows)} hosts up ({ws_dir}); sync endpoint {endpoint_url(ws_dir)} "
         + ("running" if endpoint_running(ws_dir) else "not running (fleet lab up starts it)"), fg="green")


@lab.command("stop-host")
@click.argument("host")
@_dir_option
def stop_host(host: str, directory: Path | None) -> None:
    """Switch one lab host off (to see a deploy report it unreachable)."""
    from fleet.lab import Lab
    from fleet.lab.workspace import engine_dir

    pids = Lab(engine_dir(_resolve(directory))).stop_host(host)
    note(f"stopped {host} ({len(pids)} processes)")


@lab.command("start-host")
@click.argument("host")
@_dir_option
def start_host(host: str, directory: Path | None) -> None:
    """Switch one lab host back on."""
    from fleet.lab import Lab
    from fleet.lab.workspace import engine_dir

    rec = Lab(engine_dir(_resolve(directory))).start_host(host)
    note(f"started {host} on port {rec.port}")


@lab.command()
@_dir_option
def browsers(directory: Path | None) -> None:
    """Do Chrome's part on the lab hosts (there is no real browser in them): install the extensions
    the managed policy force-installs into every browser profile, remove those it no longer lists.

    \b
    Example:
      fleet deploy --yes && fleet lab browsers && fleet health
    """
    from fleet.lab.workspace import simulate_browsers

    changes = simulate_browsers(_resolve(directory))
    note(f"browsers: {sum(changes.values())} extension installs/removals on "
         f"{sum(1 for n in changes.values() if n)} of {len(changes)} hosts", fg="green")


@lab.command("path")
@_dir_option
@pass_app
def path(app: AppContext, directory: Path | None) -> None:
    """Print the lab workspace directory (for scripts: fleet -w "$(fleet lab path)" ...)."""
    click.echo(str(_resolve(directory, app)))
