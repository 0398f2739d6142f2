"""`fleet schedule`: install, show and remove the nightly sweep + alerts + reports job."""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import note

if TYPE_CHECKING:
    from fleet.schedule import ScheduleSpec


def _valid_at(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from fleet.schedule import ScheduleError, parse_at

    try:
        h, m = parse_at(value)
    except ScheduleError:
        raise click.BadParameter(f"{value!r} is not a time of day; use HH:MM (24-hour), e.g. 02:00") from None
    return f"{h:02d}:{m:02d}"


def _owner(path: Path) -> str:
    try:
        return pwd.getpwuid(path.stat().st_uid).pw_name
    except (KeyError, OSError):
        return ""


def _spec(app: AppContext, root: str | None, **kw: Any) -> ScheduleSpec:
    """The job for this workspace under ``root``; ``kw``: the other ScheduleSpec fields."""
    from fleet.schedule import ScheduleSpec

    ws = app.ws
    return ScheduleSpec(workspace=ws.root, root=Path(root).resolve() if root else None, **kw)


_root_option = click.option("--root", metavar="DIR", hidden=False,
                            help="Write under this directory instead of / (tests, image builds); "
                                 "runs no systemctl/crontab.")


@click.group()
def schedule() -> None:
    """The nightly job: sweep with alerts, HTML report and Prometheus textfile.

    \b
    Examples:
      fleet schedule install --at 02:00 --vault-password-file /etc/fleet/vault-pass
      fleet schedule install --cron --user --vault-password-file ~/.fleet-vault-pass
      fleet schedule show
      fleet schedule remove
    """


@schedule.command()
@click.option("--at", "at", default="02:00", show_default=True, metavar="HH:MM", callback=_valid_at,
              help="Time of day (local time).")
@click.option("--systemd", "method", flag_value="systemd", default=True, help="A systemd service + timer (default).")
@click.option("--cron", "method", flag_value="cron", help="A cron entry instead.")
@click.option("--user", "user_mode", is_flag=True, help="A per-user job (systemd --user / your crontab).")
@click.option("--report-dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Where the HTML report goes (default: WORKSPACE/state/reports).")
@click.option("--textfile-dir", metavar="DIR", type=click.Path(file_okay=False),
              help="node_exporter's textfile collector directory (default: one found on this machine, "
                   "else WORKSPACE/state/reports).")
@click.option("--vault-password-file", "password_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="File holding the vault password (default: the global option / $FLEET_VAULT_PASSWORD_FILE).")
@click.option("--run-as", metavar="USER", help="System jobs: the user running it (default: the workspace's owner).")
@_root_option
@pass_app
def install(app: AppContext, at: str, method: str, user_mode: bool, report_dir: str | None,
            textfile_dir: str | None, password_file: str | None, run_as: str | None, root: str | None) -> None:
    """Install the nightly job for this workspace (replacing an earlier one).

    The vault password is read at run time from the file given with --vault-password-file (or
    $FLEET_VAULT_PASSWORD_FILE); only its path goes into the job, never the password.

    \b
    Example:
      fleet schedule install --at 02:30 --vault-password-file /etc/fleet/vault-pass
    """
    from fleet.schedule import DEFAULT_TEXTFILE_DIRS, installed_fleet
    from fleet.schedule import install as do_install

    pw = password_file or app.vault_password_file or os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE")
    if not pw and os.environ.get("FLEET_VAULT_PASSWORD"):
        note("schedule: $FLEET_VAULT_PASSWORD is not written into the job; give a file with "
             "--vault-password-file", fg="yellow")
    if textfile_dir is None:
        base = Path(root or "/")
        textfile_dir = next((str(d) for d in DEFAULT_TEXTFILE_DIRS if (base / d.relative_to("/")).is_dir()), None)
    spec = _spec(app, root, at=at, method=method, user_mode=user_mode, fleet=installed_fleet(),
                 password_file=Path(pw).expanduser().resolve() if pw else None,
                 report_dir=Path(report_dir).resolve() if report_dir else None,
                 textfile_dir=Path(textfile_dir).resolve() if textfile_dir else None,
                 run_as="" if user_mode else (run_as or _owner(app.ws.root)))
    result = do_install(spec)
    for path in result.files:
        click.echo(str(path))
    for n in result.notes:
        note(f"schedule: {n}", fg="yellow")
    if spec.root is not None and result.commands:
        note("schedule: written under --root; on the real machine run: " + "; ".join(result.commands))
    note(f"schedule: {spec.name} runs daily at {spec.at} ({method}{', user' if user_mode else ''}); "
         f"report -> {spec.report_path}, textfile -> {spec.textfile_path}", fg="green")


@schedule.command()
@_root_option
@pass_app
def show(app: AppContext, root: str | None) -> None:
    """Show the installed nightly job of this workspace (files and contents).

    \b
    Example:
      fleet schedule show
    """
    import shutil
    import subprocess

    from fleet.schedule import show as do_show

    spec = _spec(app, root, run_as=_owner(app.ws.root))
    found = do_show(spec)
    if not found:
        note(f"schedule: no nightly job installed for {app.ws.root} (`fleet schedule install`)", fg="yellow")
        return
    for path, content in found:
        click.echo(f"== {path}")
        click.echo(content.rstrip("\n"))
    if spec.root is None and shutil.which("systemctl") and any(p.suffix == ".timer" for p, _ in found):
        for flag in ([], ["--user"]):
            proc = subprocess.run(["systemctl", *flag, "list-timers", f"{spec.name}.timer", "--no-pager"],
                                  capture_output=True, text=True, check=False)
            if proc.returncode == 0 and spec.name in proc.stdout:
                click.echo(proc.stdout.rstrip("\n"))


@schedule.command()
@_root_option
@pass_app
def remove(app: AppContext, root: str | None) -> None:
    """Remove this workspace's nightly job (timer disabled, files deleted).

    \b
    Example:
      fleet schedule remove
    """
    from fleet.schedule import remove as do_remove

    result = do_remove(_spec(app, root, run_as=_owner(app.ws.root)))
    for path in result.files:
        click.echo(f"removed {path}")
    for n in result.notes:
        note(f"schedule: {n}", fg="yellow")
    if not result.files:
        note(f"schedule: no nightly job installed for {app.ws.root}")
