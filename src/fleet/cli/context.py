"""The service object on ``ctx.obj``: opens the workspace on first use."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from fleet.errors import ConfigError
from fleet.workspace import CONFIG_NAME, WORKSPACE_ENV, Workspace

F = TypeVar("F", bound=Callable[..., Any])


def _prompt() -> str:
    if not sys.stdin.isatty():
        return ""
    return click.prompt("Vault password", hide_input=True, err=True)


class AppContext:
    def __init__(self, workspace: str | None, vault_password_file: str | None) -> None:
        self.workspace_arg = workspace
        self.vault_password_file = vault_password_file
        self._ws: Workspace | None = None

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
