"""The RMM script checks its own work (issue #11), read from its tree-sitter PowerShell parse tree:
``#Requires -Version 5.1``; after the policy refresh it verifies again and exits 17 naming the key a
policy owns; missing browsers exit 18 (``chrome=absent``); a token from the command line is warned
about on stderr; Edge takes the Edge Add-ons build on workgroup machines; earlier IDs are removed.

pwsh is not installable here, so the script is parsed, not run (see src/fleet/export/README.md).
"""

from __future__ import annotations

from helpers_export import addons_id, context, previous_id
from test_powershell import assignment, hash_literals, parse
from tree_sitter import Node

from fleet.config import EDGE_ADDONS_UPDATE_URL
from fleet.export.base import ExportOptions
from fleet.export.rmm import EXIT_CODES, render_rmm


def _nodes(node: Node, type_: str) -> list[Node]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.type == type_:
            out.append(n)
        stack.extend(reversed(n.children))
    return out


def _text(node: Node) -> str:
    return node.text.decode()


def commands(root: Node, name: str) -> list[Node]:
    """Every invocation of command ``name`` (not its definition), in script order."""
    return [c for c in _nodes(root, "command")
            if c.children and c.children[0].type == "command_name" and _text(c.children[0]).lower() == name.lower()]


def exit_code(command: Node) -> int:
    (code, *_) = _nodes(command, "integer_literal")
    return int(_text(code))


def enclosing(node: Node, type_: str) -> Node:
    p = node.parent
    while p is not None and p.type != type_:
        p = p.parent
    assert p is not None, f"no enclosing {type_}"
    return p


def function_body(root: Node, name: str) -> Node:
    for f in _nodes(root, "function_statement"):
        if any(c.type == "function_name" and _text(c).lower() == name.lower() for c in f.children):
            return f
    raise AssertionError(f"no function {name}")


def script(**kw) -> tuple[bytes, Node]:
    data = render_rmm(context("tok-1234", ExportOptions(), **kw))[0].data
    return data, parse(data)


def test_requires_windows_powershell_5_1() -> None:
    _, root = script()
    top = [c for c in root.children if c.type == "comment"]
    assert any(_text(c).strip() == "#Requires -Version 5.1" for c in top), [_text(c)[:40] for c in top]
    # before the param block, so PowerShell 2 stops with its own message instead of the generic exit 19
    (param,) = _nodes(root, "param_block")
    req = next(c for c in top if _text(c).startswith("#Requires"))
    assert req.start_byte < param.start_byte


def test_exit_codes_in_the_parse_tree_are_the_documented_ones() -> None:
    _, root = script()
    used = {exit_code(c) for c in commands(root, "Exit-Fleet")}
    assert used == set(EXIT_CODES) == {0, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}
    help_text = _text(root.children[0])
    for code in EXIT_CODES:
        assert f"\n      {code}  " in help_text.replace("\r\n", "\n") or f"\n       {code}  " in help_text


def test_install_verifies_after_the_refresh_and_exits_17_naming_the_owner() -> None:
    _, root = script()
    (exit17,) = [c for c in commands(root, "Exit-Fleet") if exit_code(c) == 17]
    # the path: inside `if ($changed -gt 0) { refresh; check again; ... Exit-Fleet 17 }`
    block = enclosing(enclosing(exit17, "if_statement"), "if_statement")
    assert "$changed -gt 0" in _text(block.children[2]), _text(block)[:80]
    refresh = [c for c in commands(block, "Invoke-PolicyRefresh")]
    checks = [c for c in commands(block, "Test-Extension")]
    owners = [c for c in commands(block, "Get-PolicyOwner")]
    assert refresh and checks and owners
    assert refresh[0].start_byte < checks[0].start_byte < owners[0].start_byte < exit17.start_byte
    # the detail names the key with its owner; Get-PolicyOwner reads GPO history, local policy and MDM
    assert "a policy owns" in _text(exit17)
    owner = _text(function_body(root, "Get-PolicyOwner"))
    assert r"Microsoft\Group Policy\History" in owner and r"System32\GroupPolicy\Machine\Registry.pol" in owner
    assert "PolicyManager" in owner and "gpo:" in owner
    # and it never reads a value's data: only key names are searched for
    assert "GetValue(" not in owner


def test_missing_browsers_exit_18_with_browser_absent() -> None:
    _, root = script()
    exits18 = [c for c in commands(root, "Exit-Fleet") if exit_code(c) == 18]
    assert len(exits18) == 2  # verify and install
    detect = _text(function_body(root, "Test-BrowserInstalled"))
    assert r"App Paths" in detect and "Registry64" in detect and "Registry32" in detect
    assert hash_literals(assignment(root, "$Extensions"), "Exe") == ["chrome.exe", "msedge.exe"]
    text = _text(root)
    assert "$script:Slots[$ext.Browser] = 'absent'" in text
    assert "none of the practice''s browsers is installed" in text


def test_token_on_the_command_line_is_warned_about_on_stderr() -> None:
    _, root = script()
    warn = [i for i in _nodes(root, "if_statement") if "$tokenSource -eq 'parameter'" in _text(i.children[2])]
    assert len(warn) == 1
    body = _text(warn[0])
    assert "[Console]::Error.WriteLine(" in body and "$env:FLEET_TOKEN" in body and "4688" in body
    assert "$Token" not in body.split("{", 1)[1] and "SecretToken" not in body  # never the token itself


def test_edge_builds_per_join_state() -> None:
    # without an Edge Add-ons build: workgroup Edge has none (left out, exit 18)
    _, root = script()
    exts = _text(assignment(root, "$Extensions"))
    assert exts.count("Workgroup    = $null") == 1
    # with one: the workgroup build is the Add-ons ID with Edge's update URL
    ctx = context("tok-1234", edge_addons=True)
    root = parse(render_rmm(ctx)[0].data)
    entries = hash_literals(assignment(root, "$Extensions"), "Entry")
    chrome, edge = ctx.policy.extensions
    assert entries == [chrome.forcelist_entry, chrome.forcelist_entry,
                       edge.forcelist_entry, f"{addons_id()};{EDGE_ADDONS_UPDATE_URL}"]
    # the join state is detected (PartOfDomain, Entra JoinInfo) unless -Join / $env:FLEET_JOIN says
    detect = _text(function_body(root, "Get-JoinState"))
    assert "PartOfDomain" in detect and "CloudDomainJoin" in detect and "'unknown'" in detect
    # workgroup: the Add-ons build; unknown (WMI failed): the Add-ons build when there is one
    build = function_body(root, "Get-Build")
    ifs = [_text(i.children[2]) for i in _nodes(build, "if_statement")]
    assert ifs == ["$script:JoinState -eq 'workgroup'",
                   "$script:JoinState -eq 'unknown' -and $null -ne $Ext.Workgroup"], ifs
    assert any(exit_code(c) == 15 and "Join must be" in _text(c) for c in commands(root, "Exit-Fleet"))


def test_earlier_ids_are_removed_by_install_and_remove_and_flagged_by_verify() -> None:
    ctx = context("tok-1234", previous=2, edge_addons=True)
    root = parse(render_rmm(ctx)[0].data)
    all_ids = [_text(n).strip("'") for n in _nodes(assignment(root, "$Extensions"), "verbatim_string_characters")
               if len(_text(n).strip("'")) == 32]
    for old in (previous_id("v3", 1), previous_id("v3", 2)):
        assert old in all_ids
    for fn in ("Install-Extension", "Remove-Extension"):
        assert commands(function_body(root, fn), "Remove-Stale"), fn
    stale = _text(function_body(root, "Remove-Stale"))
    assert "DeleteSubKeyTree" in stale and "Get-OurSlots" in stale
    assert "previous-id" in _text(function_body(root, "Test-Extension"))


def test_intune_platform_script_sets_only_edge_settings() -> None:
    ctx = context("tok-1234", ExportOptions(embed_token=True))
    from fleet.export.intune import render_intune

    (art,) = [a for a in render_intune(ctx) if a.path.endswith(".ps1")]
    root = parse(art.data)
    assert hash_literals(assignment(root, "$Extensions"), "Exe") == ["msedge.exe"]
    assert _text(assignment(root, "$ManageForcelist")).strip() == "$false"
    assert _text(assignment(root, "$FixedJoin")).strip() == "'managed'"
