"""The ``fleet`` command group: global options, lazy subcommands, and domain errors -> exit codes.

Exit codes: 0 success; 1 an error fleet explains (bad input, unreachable hosts, blocked practices);
2 wrong usage; ``fleet health`` uses Nagios codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN);
130 interrupted; 70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import errno
import importlib
import importlib.util
import os
import sys
import traceback
from typing import Any

import click

from fleet import __version__
from fleet.errors import FleetError

# Subcommands load on first use: `fleet --help` must not import Ansible.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("fleet.cli.workspace_cmd", "init"),
    "catalog": ("fleet.cli.catalog_cmd", "catalog"),
    "inventory": ("fleet.cli.inventory_cmd", "inventory"),
    "practice": ("fleet.cli.practice_cmd", "practice"),
    "secrets": ("fleet.cli.secrets_cmd", "secrets"),
    "export": ("fleet.cli.export_cmd", "export"),
    "deploy": ("fleet.cli.deploy_cmd", "deploy"),
    "runs": ("fleet.cli.deploy_cmd", "runs"),
    "lab": ("fleet.cli.lab_cmd", "lab"),
    "health": ("fleet.cli.health_cmd", "health"),
    "report": ("fleet.cli.report_cmd", "report"),
    "schedule": ("fleet.cli.schedule_cmd", "schedule"),
    "paths": ("fleet.cli.workspace_cmd", "paths"),
    "remote": ("fleet.cli.remote_cmd", "remote"),
    "db": ("fleet.cli.db_cmd", "db"),
}


def _available(name: str) -> bool:
    module = LAZY_COMMANDS[name][0]
    return importlib.util.find_spec(module) is not None


class FleetGroup(click.Group):
    """Lazy subcommands, and every FleetError turned into a clean message (never a traceback)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *(n for n in LAZY_COMMANDS if _available(n))})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in LAZY_COMMANDS or not _available(cmd_name):
            return None
        module, attr = LAZY_COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FleetError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:  # a file or directory fleet was told to use: say which, and why
            raise click.ClickException(os_error_message(exc)) from None
        except Exception as exc:
            if type(exc).__module__.startswith("sqlalchemy."):  # the store failed mid-command
                from fleet.store.db import store_error

                raise click.ClickException(str(store_error(exc, _store_url(ctx)))) from None
            raise


_OS_HINTS = {
    errno.ENOSPC: "free space on that disk; what fleet recorded before is kept",
    errno.EDQUOT: "free space (the disk quota is used up); what fleet recorded before is kept",
    errno.EROFS: "that file system is read-only: choose a writable location",
    errno.EACCES: "check the permissions of that path (or choose another)",
    errno.EPERM: "check the permissions of that path (or choose another)",
    errno.ENOENT: "create the directory first, or choose a path that exists",
    errno.ENOTDIR: "a part of that path is a file, not a directory",
    errno.EISDIR: "that path is a directory; name a file",
    errno.ENAMETOOLONG: "use a shorter path",
}


def os_error_message(exc: OSError) -> str:
    """``cannot use PATH: reason`` and how to fix it, for an OSError that reached the CLI."""
    what = exc.strerror or type(exc).__name__
    where = f" {exc.filename}" if exc.filename else ""
    text = f"cannot use{where}: {what}"
    hint = _OS_HINTS.get(exc.errno or 0)
    return text + (f"\n  fix: {hint}" if hint else "")


def _store_url(ctx: click.Context) -> str:
    try:
        return ctx.obj.ws.store_url() if ctx.obj is not None and ctx.obj._ws is not None else ""
    except Exception:
        return ""


CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=FleetGroup, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="fleet")
@click.option("-w", "--workspace", envvar="FLEET_WORKSPACE", metavar="DIR",
              help="Workspace directory (default: the current directory or a parent holding fleet.yml).")
@click.option("--vault-password-file", metavar="FILE", envvar="FLEET_VAULT_PASSWORD_FILE",
              help="File holding the vault password, or a script printing it. "
                   "Also: $FLEET_VAULT_PASSWORD, or a prompt.")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, vault_password_file: str | None) -> None:
    """Deploy and health-check practice Synchronizers and browser-extension policy for MSPs.

    \b
    Examples:
      fleet init --example ~/msp          # a sample MSP to try things on
      fleet -w ~/msp inventory validate   # what is ready, what is missing
      fleet -w ~/msp deploy --practice brightsmiles_downtown --check --diff
      fleet -w ~/msp export gpo --all --out ./gpo
      fleet -w ~/msp health               # nightly sweep; Nagios exit codes
      fleet lab up && fleet deploy --yes && fleet health   # try it all on a local lab
    """
    from fleet.cli.context import AppContext

    ctx.obj = AppContext(workspace, vault_password_file)


def main() -> None:
    # standalone_mode=False so that Ctrl-C reaches us: Click's own handling would print
    # "Aborted!" and exit 1, hiding that the run was interrupted (and what was kept).
    try:
        rv = cli.main(prog_name="fleet", standalone_mode=False)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__context__, KeyboardInterrupt):
            _interrupted()
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        _interrupted()
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:
        if os.environ.get("FLEET_DEBUG"):
            traceback.print_exc()
        click.echo(f"fleet: internal error: {type(exc).__name__}: {exc}\n"
                   "  this is a bug; rerun with FLEET_DEBUG=1 for details and report it", err=True)
        sys.exit(70)
    sys.exit(rv if isinstance(rv, int) else 0)


def _interrupted() -> None:
    click.echo("fleet: interrupted; results gathered so far are kept", err=True)
    sys.exit(130)


if __name__ == "__main__":
    main()
