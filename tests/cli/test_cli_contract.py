"""The CLI's contract, checked over every command fleet has (not a list kept by hand).

- Commands exit one way (``exit_with``), not a mix of sys.exit and ctx.exit.
- No command module imports another (only the shared app context and output helpers): a command
  that needs another command's work calls the library, or reaches the command through the group.
- A short flag means one thing everywhere (``-f`` is ``--forks``, as in ansible-playbook).
- The host selection (--practice / --client / --limit) repeats everywhere, with the same rules
  (``Inventory.select_hosts``): deploy and health select the same hosts for the same options.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest

import fleet.cli
from fleet.cli.main import cli
from fleet.errors import SelectionError
from fleet.workspace import Workspace

CLI_DIR = Path(fleet.cli.__file__).parent
SHARED = {"fleet.cli.context", "fleet.cli.output"}
# Options named like the selection that are not a selection: where imported hosts go; the one
# client a client report is for.
NOT_A_SELECTION = {("inventory", "import"), ("report",)}


def _commands() -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(cli)

    def walk(cmd: click.Command, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], click.Command]]:
        yield path, cmd
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None, name
                yield from walk(sub, (*path, name))

    yield from walk(cli, ())


def test_no_command_module_imports_another() -> None:
    offenders = []
    for path in sorted(CLI_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("fleet.cli.") and name.count(".") == 2 and name not in SHARED \
                        and name != f"fleet.cli.{path.stem}":
                    offenders.append(f"{path.name}:{node.lineno} imports {name}")
    assert offenders == []


def test_commands_exit_one_way() -> None:
    """Through ``exit_with`` (Click's context) or a FleetError; only the entry point calls sys.exit."""
    offenders = [f"{p.name}:{n}" for p in sorted(CLI_DIR.glob("*_cmd.py"))
                 for n, line in enumerate(p.read_text().splitlines(), 1)
                 if "sys.exit(" in line or "ctx.exit(" in line or "SystemExit" in line]
    assert offenders == []


def test_a_short_flag_means_one_thing_everywhere() -> None:
    meaning: dict[str, set[str]] = {}
    for _, cmd in _commands():
        for p in cmd.params:
            if isinstance(p, click.Option):
                long = next((o for o in p.opts if o.startswith("--")), "")
                for short in (o for o in p.opts if len(o) == 2):
                    meaning.setdefault(short, set()).add(long)
    assert {s: m for s, m in meaning.items() if len(m) > 1} == {}
    assert meaning["-f"] == {"--forks"}


def test_the_host_selection_repeats_everywhere() -> None:
    seen = 0
    for path, cmd in _commands():
        if path in NOT_A_SELECTION:
            continue
        for p in cmd.params:
            if isinstance(p, click.Option) and set(p.opts) & {"--practice", "--client", "--limit"}:
                seen += 1
                assert p.multiple, f"fleet {' '.join(path)} {p.opts[0]} takes one value"
    assert seen >= 20


def test_deploy_and_health_select_hosts_by_one_rule(wsb: Any) -> None:
    from fleet.deploy import select_hosts

    practice, win = wsb.practice, wsb.win
    root = wsb.write({
        "acme": {"acme_main": practice("dentrix_ascend", {"acme-ws1": win("127.0.0.1"), "acme-ws2": win("127.0.0.1")}),
                 "acme_north": practice("dentrix_ascend", {"north-ws1": win("127.0.0.1")})},
        "bolt": {"bolt_main": practice("dentrix_ascend", {"bolt-ws1": win("127.0.0.1")})}})
    ws = Workspace(root)
    cases = {  # --practice, --client, --limit (repeated and comma-separated) -> hosts
        ((), (), ("practice_acme_main",)): ["acme-ws1", "acme-ws2"],  # a group, as Ansible reads --limit
        ((), (), ("client_bolt", "north-*")): ["north-ws1", "bolt-ws1"],
        ((), ("acme",), ("*-ws1,acme-ws2",)): ["acme-ws1", "acme-ws2", "north-ws1"],
        (("bolt_main",), (), ()): ["bolt-ws1"],
    }
    for (practices, clients, limit), want in cases.items():
        _, hosts = ws.inventory.select_hosts(practices, clients, limit)
        assert [h.name for h in hosts] == want
        _, deployed = select_hosts(ws, practices, clients, limit)  # what `fleet deploy` acts on
        assert deployed == hosts
    for limit, why in (("", "empty"), (" , ", "empty"), ("nosuchhost", "matches no host")):
        with pytest.raises(SelectionError, match=why):
            ws.inventory.select_hosts((), (), (limit,))
