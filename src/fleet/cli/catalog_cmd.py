"""`fleet catalog`: the practice systems fleet knows and how each one's sync is installed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from fleet.catalog import default_catalog
from fleet.cli.output import emit, output_options


@click.group()
def catalog() -> None:
    """The practice-management systems and how their sync is installed.

    \b
    Examples:
      fleet catalog list
      fleet catalog show dentrix_ascend --json
    """


@catalog.command("list")
@output_options
def list_(fmt: str) -> None:
    """List every practice system: hosting, versions, install method, extension variant."""
    rows = [
        {"id": s.id, "name": s.name, "hosting": s.hosting.value, "versions": s.versions_label,
         "install_method": s.install_method.value, "extension": s.extension_variant or ""}
        for s in default_catalog()
    ]
    emit(rows, ["id", "name", "hosting", "versions", "install_method", "extension"], fmt)


@catalog.command()
@click.argument("system")
@output_options
def show(system: str, fmt: str) -> None:
    """Show one system: what its sync needs before onboarding.

    \b
    Example:
      fleet catalog show curve_hero
    """
    s = default_catalog().get(system)
    if fmt == "json":
        emit([], [], "json", json_doc=asdict(s))
        return
    rows: list[dict[str, Any]] = [
        {"field": "name", "value": s.name},
        {"field": "hosting", "value": s.hosting.value},
        {"field": "supported hostings", "value": [h.value for h in s.hostings]},
        {"field": "versions", "value": s.versions_label},
        {"field": "install method", "value": s.install_method.value},
        {"field": "extension variant", "value": s.extension_variant or "-"},
        {"field": "sync account", "value": s.user_account},
    ]
    rows += [{"field": f"fact {f.var}", "value": f"{f.label} (required: {f.required.value})"} for f in s.facts]
    rows += [{"field": "rule", "value": f"when {r.when}: {r.install_method.value} ({r.reason})"} for r in s.rules]
    rows += [{"field": "server service", "value": f"{c.label}: any of {', '.join(c.any_of)}"}
             for c in s.server_services]
    if s.notes:
        rows.append({"field": "notes", "value": s.notes})
    emit(rows, ["field", "value"], fmt, title=s.name)
