"""The service object on ``ctx.obj``: opens the workspace on first use."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from fleet.workspace import Workspace

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
            self._ws = Workspace.find(self.workspace_arg, password_file=self.vault_password_file,
                                      prompt=_prompt if sys.stdin.isatty() else None)
        return self._ws


pass_app = click.make_pass_decorator(AppContext)
