"""create-gpo.ps1 read as a parse tree (tree-sitter-powershell): a disabled existing link is enabled,
a missing GroupPolicy module is a documented exit code, every Group Policy call fails into a
documented code, and the GPO can be filtered to the practice's computers so that other accounts of
the domain cannot read the token in SYSVOL.
"""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter_powershell
from helpers_export import context
from tree_sitter import Language, Node, Parser

from fleet.export.base import ExportOptions
from fleet.export.windows import render_gpo

LANG = Language(tree_sitter_powershell.language())
TOKEN = "tok-create-gpo-1"


def script() -> str:
    art = next(a for a in render_gpo(context(TOKEN, ExportOptions())) if a.path == "create-gpo.ps1")
    return art.data.decode("utf-8-sig")


def walk(n: Node) -> Iterator[Node]:
    stack = [n]
    while stack:
        x = stack.pop()
        yield x
        stack.extend(reversed(x.children))


SOURCE = script()
ROOT = Parser(LANG).parse(SOURCE.encode()).root_node


def commands(name: str) -> list[Node]:
    out = []
    for n in walk(ROOT):
        if n.type == "command":
            cn = next((c for c in n.children if c.type == "command_name"), None)
            if cn is not None and cn.text.decode() == name:
                out.append(n)
    return out


def in_try(n: Node) -> Node | None:
    a = n.parent
    while a is not None:
        if a.type == "statement_block" and a.parent is not None and a.parent.type == "try_statement" \
                and a.parent.children[1].start_byte == a.start_byte:
            return a.parent
        a = a.parent
    return None


def catch_text(try_stmt: Node) -> str:
    return next(c for c in try_stmt.children if c.type == "catch_clauses").text.decode()


def test_parses() -> None:
    bad = [n for n in walk(ROOT) if n.type == "ERROR" or n.is_missing]
    assert bad == [], [(n.start_point, n.text.decode()[:60]) for n in bad]


def test_a_disabled_existing_link_is_enabled() -> None:
    (set_link,) = commands("Set-GPLink")
    text = set_link.text.decode()
    assert "-LinkEnabled Yes" in text and "-Target $Target" in text
    branch = set_link.parent
    while branch is not None and branch.type not in ("elseif_clause", "if_statement"):
        branch = branch.parent
    assert branch is not None and "-not $Linked[0].Enabled" in branch.text.decode()


def test_without_rsat_the_exit_code_is_documented() -> None:
    (imp,) = commands("Import-Module")
    t = in_try(imp)
    assert t is not None and "-ErrorAction Stop" in imp.text.decode()
    assert "Stop-WithError 3" in catch_text(t) and "RSAT" in catch_text(t)
    assert "3 the GroupPolicy module is missing" in SOURCE


def test_every_group_policy_call_fails_into_a_documented_code() -> None:
    for name in ("Get-GPO", "New-GPO", "Set-GPRegistryValue", "New-GPLink", "Set-GPLink", "Set-GPPermission",
                 "Get-GPInheritance"):
        for c in commands(name):
            t = in_try(c)
            assert t is not None, f"{name} outside any try"
            assert "Stop-WithError 19" in catch_text(t)
    assert "19 a Group Policy operation failed" in SOURCE


def test_security_filtering_to_the_practices_computers() -> None:
    perms = [c.text.decode() for c in commands("Set-GPPermission")]
    assert any("-TargetName $ComputerGroup" in p and "-PermissionLevel GpoApply" in p for p in perms)
    assert any("-TargetName $AuthenticatedUsers" in p and "-PermissionLevel None" in p and "-Replace" in p
               for p in perms)
    assert "[string]$ComputerGroup" in SOURCE
    assert "every Authenticated User of the domain can read the token" in SOURCE  # said when not filtered


def test_authenticated_users_is_found_by_its_sid_not_its_english_name() -> None:
    """On a German or French domain controller the group is "Authentifizierte Benutzer" /
    "Utilisateurs authentifies": Set-GPPermission by the English name fails (exit 19) and the token
    stays readable by the whole domain."""
    names = [n for c in commands("Set-GPPermission") for n in walk(c) if n.type == "command_parameter"
             and n.text.decode().lower() == "-targetname"]
    values = [n.next_sibling.text.decode() for n in names]
    assert values and not any("authenticated" in v.lower() for v in values), values
    assert "'S-1-5-11'" in SOURCE and "Translate(" in SOURCE
