"""One output function for every read command: table (human), JSON or CSV, data to stdout."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NoReturn, TypeVar

import click

from fleet.csvsafe import safe_cell

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "csv")


def output_options(func: F) -> F:
    """Add --json / --csv / --table to a command (default table); the value arrives as ``fmt``."""
    func = click.option("--csv", "fmt", flag_value="csv", help="Output CSV.")(func)
    func = click.option("--json", "fmt", flag_value="json", help="Output JSON (for scripts and jq).")(func)
    func = click.option("--table", "fmt", flag_value="table", default=True, help="Output a table (default).")(func)
    return func


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def emit(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], fmt: str = "table",
         title: str | None = None, json_doc: Any = None) -> None:
    """Render rows. ``json_doc`` replaces the row list in JSON output when a richer document exists."""
    rows = list(rows)
    out = sys.stdout
    if fmt == "json":
        doc = json_doc if json_doc is not None else [{c: r.get(c) for c in columns} for r in rows]
        out.write(json.dumps(doc, indent=2, default=str) + "\n")
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow([safe_cell(_cell(r.get(c))) for c in columns])  # never a formula
        out.write(buf.getvalue())
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_lines=False, header_style="bold")
        for c in columns:
            table.add_column(c.replace("_", " "))
        for r in rows:
            table.add_row(*[_cell(r.get(c)) for c in columns])
        Console(file=sys.stdout, soft_wrap=False, width=max(100, _term_width())).print(table)


def _term_width() -> int:
    import shutil

    return shutil.get_terminal_size((120, 24)).columns


def exit_with(code: int) -> NoReturn:
    """End the command with exit status ``code`` (after its output), the Click way: every command
    exits through here (or by raising a FleetError), never with sys.exit."""
    click.get_current_context().exit(code)
    raise AssertionError("unreachable")  # Context.exit raises; this satisfies the type checker


def note(message: str, *, err: bool = True, fg: str | None = None) -> None:
    """A human summary line, on stderr so stdout stays data."""
    click.secho(message, err=err, fg=fg)
