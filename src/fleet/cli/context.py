"""The service object on ``ctx.obj``: opens the workspace on first use."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from fleet.errors import ConfigError, FleetError
from fleet.workspace import CONFIG_NAME, WORKSPACE_ENV, Workspace

if TYPE_CHECKING:
    from fleet.report.directory import Directory
    from fleet.secrets.redact import Redactor
    from fleet.store import Store

F = TypeVar("F", bound=Callable[..., Any])


def _prompt() -> str:
    if not sys.stdin.isatty():
        return ""
    return click.prompt("Vault password", hide_input=True, err=True)


class AppContext:
    """What every command works with: the workspace, the central store and the redactor, each
    made on first use and once per command (the store is closed when the command ends)."""

    def __init__(self, workspace: str | None, vault_password_file: str | None) -> None:
        self.workspace_arg = workspace
        self.vault_password_file = vault_password_file
        self._ws: Workspace | None = None
        self._store: Store | None = None
        self._redactor: Redactor | None = None

    def store(self) -> Store:
        """The central store (store.url in fleet.yml), opened and upgraded once per command."""
        if self._store is None:
            from fleet.store import Store

            self._store = Store(self.ws.store_url())
            ctx = click.get_current_context(silent=True)
            if ctx is not None:
                ctx.find_root().call_on_close(self.close_store)
        return self._store

    def close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def redactor(self) -> Redactor:
        """Every practice secret, when the vault password is at hand without a prompt (a second line
        of defence for what is shown or sent: the store holds no secrets by contract)."""
        if self._redactor is None:
            from fleet.secrets import vault
            from fleet.secrets.redact import Redactor

            red = Redactor()
            try:
                password = vault.resolve_password(self.vault_password_file)
                if password is not None:
                    ws = self.ws
                    for pid in ws.inventory.practices:
                        if ws.secrets.exists(pid):
                            red.add(ws.secrets.read(pid, password).values())
            except FleetError:
                pass
            self._redactor = red
        return self._redactor

    def directory(self) -> Directory:
        """Names and roles from the inventory for reports and alerts; ids when it cannot be read."""
        from fleet.report.directory import Directory

        try:
            return Directory.from_inventory(self.ws.inventory)
        except FleetError as exc:
            click.secho(f"report: using ids instead of names (inventory unreadable: {exc.message})", err=True,
                        fg="yellow")
            return Directory()

    @property
    def msp_name(self) -> str:
        try:
            return self.ws.config.msp_name
        except FleetError:
            return ""

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            prompt = _prompt if sys.stdin.isatty() else None
            try:
                self._ws = Workspace.find(self.workspace_arg, self.vault_password_file, prompt)
            except ConfigError:
                # No workspace here: fall back to the lab's (`fleet lab up`), if there is one.
                lab = _lab_workspace() if self.workspace_arg is None else None
                if lab is None:
                    raise
                click.secho(f"fleet: no workspace here; using the lab workspace {lab}", err=True, fg="cyan")
                self._ws = Workspace(lab, self.vault_password_file, prompt)
        return self._ws


def _lab_workspace() -> Path | None:
    if os.environ.get(WORKSPACE_ENV):
        return None
    from fleet.lab.workspace import default_lab_dir

    d = default_lab_dir()
    return d if (d / CONFIG_NAME).is_file() else None


pass_app = click.make_pass_decorator(AppContext)
