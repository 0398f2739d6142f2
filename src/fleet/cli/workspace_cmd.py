"""`fleet init` (create a workspace) and `fleet paths` (where fleet's Ansible content lives)."""

from __future__ import annotations

from pathlib import Path

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import emit, note, output_options
from fleet.example import EXAMPLE_VAULT_PASSWORD
from fleet.resources import data_dir
from fleet.workspace import init_workspace


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", is_flag=True, help="Write a realistic sample MSP (fake data) instead of an empty one.")
@click.option("--force", is_flag=True, help="Rewrite fleet.yml and ansible.cfg of an existing workspace.")
@pass_app
def init(app: AppContext, directory: Path, example: bool, force: bool) -> None:
    """Create a workspace in DIRECTORY: fleet.yml, an Ansible inventory, vault layout.

    \b
    With --example the sample's vault password is "fleet-example"; all its secrets are fake.

    \b
    Examples:
      fleet init ~/msp
      fleet init --example /tmp/try-fleet
    """
    from fleet.secrets.vault import resolve_password

    password = None if example else resolve_password(app.vault_password_file)
    files = init_workspace(directory, example=example, password=password, force=force)
    note(f"created fleet workspace {directory} ({len(files)} files)", fg="green")
    if example:
        note(f"example vault password: {EXAMPLE_VAULT_PASSWORD} (export FLEET_VAULT_PASSWORD={EXAMPLE_VAULT_PASSWORD})")
    note(f"next: fleet -w {directory} inventory validate")


@click.command()
@output_options
def paths(fmt: str) -> None:
    """Where fleet's playbooks, roles and templates are (for plain ansible-playbook or AWX).

    \b
    Example:
      ansible-playbook -i inventory "$(fleet paths --json | jq -r .playbooks)/deploy.yml"
    """
    doc = {name: str(data_dir(name)) for name in ("playbooks", "roles", "templates", "collections")}
    emit([{"name": k, "path": v} for k, v in doc.items()], ["name", "path"], fmt, json_doc=doc)
