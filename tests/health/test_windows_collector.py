"""The Windows collector read as a parse tree (tree-sitter-powershell), rule by rule.

No Windows runs here, so what must hold on a real host is checked on the script's structure:
the answer leaves through the output stream (a PSRP runspace has no console), every probe runs in
its own try with an error row, every CIM call has a timeout and the script a time budget,
Constrained Language Mode is detected before any .NET call, Entra ID profiles and join are read,
admin rights are reported, REG_DWORD values >= 0x80000000 do not throw, an unreadable System log
is an error and not "0 crashes", and the endpoint check goes through the WinHTTP proxy with DNS
inside its timeout. docs/windows-verification.md has the steps that confirm each on real Windows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

from fleet.health.facts import parse_facts
from fleet.health.sweep import collector_script
from fleet.health.transport import POWERSHELL_BOOTSTRAP, powershell_payload

LANG = Language(tree_sitter_powershell.language())
SCRIPT = collector_script("windows.ps1")


def parse(source: str) -> Node:
    tree = Parser(LANG).parse(source.encode("utf-8"))
    bad = [n for n in walk(tree.root_node) if n.type == "ERROR" or n.is_missing]
    assert not bad, [(n.start_point, n.text.decode()[:60]) for n in bad]
    return tree.root_node


def walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def text(node: Node) -> str:
    return node.text.decode()


def command_name(node: Node) -> str:
    name = next((c for c in node.children if c.type == "command_name"), None)
    return text(name) if name is not None else ""


def parameters(node: Node) -> set[str]:
    elems = next((c for c in node.children if c.type == "command_elements"), None)
    return {text(c).lower() for c in (elems.children if elems else []) if c.type == "command_parameter"}


def ancestors(node: Node) -> Iterator[Node]:
    n = node.parent
    while n is not None:
        yield n
        n = n.parent


def is_probe_block(node: Node) -> bool:
    """A script block passed to Invoke-Probe (which runs it in a try, see below)."""
    if node.type != "script_block_expression":
        return False
    cmd = next((a for a in ancestors(node) if a.type == "command"), None)
    return cmd is not None and command_name(cmd) == "Invoke-Probe"


def guard(node: Node) -> Node | None:
    """The innermost region a failure of ``node`` is caught in: a try body or a probe block."""
    for a in ancestors(node):
        if a.type == "statement_block" and a.parent is not None and a.parent.type == "try_statement" \
                and a.parent.children[1].start_byte == a.start_byte:
            return a
        if is_probe_block(a):
            return a
    return None


def in_function(node: Node) -> bool:
    return any(a.type == "function_statement" for a in ancestors(node))


def function(root: Node, name: str) -> Node:
    for n in walk(root):
        if n.type == "function_statement" and text(next(c for c in n.children if c.type == "function_name")) == name:
            return n
    raise AssertionError(f"no function {name}")


ROOT = parse(SCRIPT)


def nodes_with(marker: str, root: Node = ROOT) -> list[Node]:
    """The smallest nodes whose text contains ``marker`` (leaves and string literals)."""
    out = []
    for n in walk(root):
        if n.type != "comment" and marker in text(n) and not any(marker in text(c) for c in n.children):
            out.append(n)
    assert out, f"{marker!r} is not in the collector"
    return out


# -- output: the output stream, never the console ----------------------------------------------


def test_parses_with_expectations_and_budget_prepended_and_is_ascii() -> None:
    doc = json.dumps({"v": 1, "browsers": [], "services": [], "endpoint": "it's"}, separators=(",", ":"))
    parse(powershell_payload(SCRIPT, doc, 42.0))
    assert SCRIPT.isascii()


def test_no_console_writes_and_the_answer_is_the_last_statement() -> None:
    """A PSRP/WinRM runspace has no console: [Console]::Out is wsmprovhost's stdout (never read by
    pypsrp) and setting [Console]::OutputEncoding throws under $ErrorActionPreference = 'Stop'."""
    consoles = [n for n in walk(ROOT) if n.type == "type_literal" and text(n).lower() == "[console]"]
    assert consoles == [], [text(n.parent) for n in consoles]
    assert not [n for n in walk(ROOT) if n.type == "command" and command_name(n).lower() in
                ("write-host", "write-information", "out-host", "out-default")]
    top = [c for c in next(c for c in ROOT.children if c.type == "statement_list").children
           if c.type not in ("empty_statement", "comment")]
    assert text(top[-1]) == "$json", "the JSON must go to the output stream as the last statement"
    # it is built inside a try whose catch still builds an answer
    final_try = top[-2]
    assert final_try.type == "try_statement" and "$json =" in text(final_try.children[-1])


def test_the_ssh_bootstrap_touches_the_console_only_inside_try() -> None:
    root = parse(POWERSHELL_BOOTSTRAP)
    consoles = [n for n in walk(root) if n.type == "type_literal" and text(n).lower() == "[console]"]
    assert consoles and all(guard(n) is not None for n in consoles)


def test_nothing_but_the_answer_reaches_the_output_stream() -> None:
    """Invoke-Probe discards its block's output; top-level statements are assignments, loops,
    function definitions and calls of fleet's own void helpers."""
    body = function(ROOT, "Invoke-Probe")
    assert re.search(r"try \{ \$null = & \$Body \} catch \{ Add-Err \$Name", text(body))
    assert "Get-BudgetLeft" in text(body)
    for name in ("Add-Row", "Add-Err"):
        assert "[void]" in text(function(ROOT, name)) or name == "Add-Err"


# -- one probe, one try ---------------------------------------------------------------------------

# Markers of facts that must not share a try: one failing must not drop the other.
PROBES = ["Win32_OperatingSystem", "Win32_ComputerSystem", "SOFTWARE\\Microsoft\\Enrollments", "CloudDomainJoin",
          "Win32_LogicalDisk", "CurrentVersion\\ProfileList", "Add-Row 'userdata'", "ExtensionInstallForcelist\")",
          "GetValueKind",
          "Win32_Service", "Get-WinEvent", "HttpWebRequest", "WindowsBuiltInRole"]


def test_every_probe_has_its_own_try() -> None:
    regions = {}
    for marker in PROBES:
        found = [guard(n) for n in nodes_with(marker)]
        assert None not in found, f"{marker} is read outside any try"
        regions[marker] = {r.start_byte for r in found if r is not None}
    for i, a in enumerate(PROBES):
        for b in PROBES[i + 1:]:
            shared = regions[a] & regions[b]
            assert not shared, f"{a} and {b} share a try: one failing would lose the other"


def test_every_call_that_can_fail_is_inside_a_probe_or_try() -> None:
    """Outside functions, only fleet's own helpers and plain construction run unguarded (the old
    collector read profiles and wrote its answer outside any try)."""
    # Get-ErrorText and ConvertTo-AsciiJson only in catch blocks: reporting a failure, last resort
    allowed = {"Invoke-Probe", "Add-Row", "Add-Err", "New-Object", "Test-Path", "ConvertTo-Json", "Get-ErrorText",
               "ConvertTo-AsciiJson"}
    loose = []
    for n in walk(ROOT):
        if in_function(n) or guard(n) is not None:
            continue
        if n.type == "command" and command_name(n) not in allowed:
            loose.append(text(n)[:60])
        if n.type == "invokation_expression" and "Stopwatch]::StartNew" not in text(n):
            loose.append(text(n)[:60])
    assert loose == []


# -- timeouts and the budget ----------------------------------------------------------------------


def test_every_cim_call_has_a_timeout_and_wmi_is_not_used() -> None:
    cim = [n for n in walk(ROOT) if n.type == "command" and command_name(n).lower() in
           ("get-ciminstance", "invoke-cimmethod", "get-wmiobject", "gwmi", "get-cimassociatedinstance")]
    assert cim, "no CIM call found"
    for n in cim:
        assert command_name(n).lower() not in ("get-wmiobject", "gwmi"), "Get-WmiObject has no timeout"
        assert "-operationtimeoutsec" in parameters(n), text(n)
    events = [n for n in walk(ROOT) if n.type == "command" and command_name(n) == "Get-WinEvent"]
    assert events and all("-maxevents" in parameters(n) for n in events)


def test_the_budget_bounds_cim_timeouts_and_the_endpoint() -> None:
    assert "Get-BudgetLeft" in text(function(ROOT, "Get-Cim"))
    endpoint = next(n for n in walk(ROOT) if is_probe_block(n) and "HttpWebRequest" in text(n))
    assert "Get-BudgetLeft" in text(endpoint)
    assert re.search(r"\$FleetBudget = 42\.0\n", powershell_payload(SCRIPT, "{}", 42))


# -- Constrained Language Mode --------------------------------------------------------------------


def test_constrained_language_mode_is_detected_before_any_dotnet_call() -> None:
    check = next(n for n in walk(ROOT) if n.type == "if_statement" and "$fleetLanguage -ne 'FullLanguage'" in text(n))
    dotnet = [n for n in walk(ROOT) if (n.type == "member_access" and "::" in [text(c) for c in n.children])
              or n.type == "invokation_expression" or (n.type == "command" and command_name(n) == "New-Object")]
    assert dotnet and min(n.start_byte for n in dotnet) > check.start_byte
    clm = text(check)
    assert "::" not in clm.replace("'", "") and ".Add(" not in clm and "return" in clm
    assert "language_mode" in clm and "errors" in clm


# -- Entra ID, admin rights -----------------------------------------------------------------------


def test_entra_profiles_and_entra_join_are_read() -> None:
    profile_list = next(n for n in walk(ROOT) if is_probe_block(n) and "ProfileList" in text(n))
    assert "S-1-12-1-*" in text(profile_list) and "S-1-5-21-*" in text(profile_list)
    assert "SYSTEM\\CurrentControlSet\\Control\\CloudDomainJoin\\JoinInfo" in SCRIPT
    for join in ("'domain'", "'entra'", "'workgroup'"):
        assert f"$facts.managed.join = {join}" in SCRIPT


def test_admin_rights_are_reported_and_denied_reads_are_errors() -> None:
    assert "$facts.runtime.admin = " in SCRIPT
    # another user's profile: Get-Item throws "access denied" where Test-Path says "absent"
    profiles = next(n for n in walk(ROOT) if is_probe_block(n) and "'userdata'" in text(n))
    assert "Get-Item -LiteralPath $ud -Force -ErrorAction Stop" in text(profiles)
    # the System log: only "no events" counts as 0 crashes
    crashes = next(n for n in walk(ROOT) if is_probe_block(n) and "Get-WinEvent" in text(n))
    assert "SilentlyContinue" not in text(crashes) and "NoMatchingEventsFound" in text(crashes)


def test_dword_values_above_2_31_do_not_throw() -> None:
    assert "[uint32]" not in SCRIPT.lower()
    assert "-band 4294967295" in SCRIPT


# -- the endpoint ---------------------------------------------------------------------------------


def test_endpoint_uses_the_winhttp_proxy_and_resolves_inside_the_timeout() -> None:
    ep = text(next(n for n in walk(ROOT) if is_probe_block(n) and "HttpWebRequest" in text(n)))
    assert "Get-WinHttpProxy" in ep and "$req.Proxy = " in ep
    assert "GetHostAddressesAsync" in ep and ".Wait($timeoutMs)" in ep
    assert "AsyncWaitHandle.WaitOne($left)" in ep and "$req.Abort()" in ep
    assert "407" in ep and "Proxy-Authenticate" in ep
    # "any HTTP error with a response is reachable" is gone: only a non-proxy answer sets ok
    assert ep.count("$ep.ok = $true") == 1
    assert "WinHttpSettings" in text(function(ROOT, "Get-WinHttpProxy"))


# -- the document ---------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", [
    # what the collector sends on a workgroup PC run by a non-admin, a probe skipped by the budget
    {"fleet_health": 1, "collector": "windows",
     "host": {"hostname": "FRONT1", "os": "Windows", "os_version": "", "time": 1.7e9, "boot_time": None, "user": "u"},
     "managed": {"kind": "entra", "detail": "Entra ID joined (tenant t)", "join": "entra"},
     "runtime": {"language_mode": "FullLanguage", "admin": False, "ps_version": "5.1", "ps_host": "ServerRemoteHost",
                 "budget_s": 22.0, "elapsed_ms": 812, "skipped": "endpoint"},
     "endpoint": {"url": "https://x", "ok": False, "http_status": 407, "error": "the proxy answered HTTP 407",
                  "elapsed_ms": 30, "proxy": "http://proxy:8080", "tls": None},
     "errors": {"where": "admin", "error": "not run as an administrator"}},
    # Constrained Language Mode: the few facts it can send
    {"fleet_health": 1, "collector": "windows", "host": {"hostname": "FRONT1", "os": "Windows", "user": "u"},
     "managed": {"kind": "unknown", "detail": "", "join": ""},
     "runtime": {"language_mode": "ConstrainedLanguage", "ps_version": "5.1", "ps_host": "ConsoleHost",
                 "budget_s": 22},
     "errors": [{"where": "language_mode", "error": "PowerShell runs in ConstrainedLanguage mode"}]},
])
def test_the_controller_reads_the_new_facts(doc: dict) -> None:
    f = parse_facts(json.dumps(doc).encode(), 100_000)
    assert f.runtime.language_mode in ("FullLanguage", "ConstrainedLanguage")
    assert f.managed.join in ("entra", "")
    assert isinstance(f.runtime.skipped, tuple)
    assert f.errors


def test_a_constrained_host_is_unknown_with_the_reason_not_failing() -> None:
    """In Constrained Language Mode the collector can read nothing: "no browser", "not installed"
    would be guesses. Every check but reachability is UNKNOWN and says why."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from healthkit import NOW, expectations

    from fleet.health.checks import default_checks
    from fleet.health.evaluate import HostContext, evaluate_host
    from fleet.health.model import State

    doc = {"fleet_health": 1, "collector": "windows", "host": {"hostname": "FRONT1", "os": "Windows", "user": "u"},
           "managed": {"kind": "unknown", "detail": "", "join": ""},
           "runtime": {"language_mode": "ConstrainedLanguage", "ps_host": "ConsoleHost"},
           "errors": [{"where": "language_mode", "error": "PowerShell runs in ConstrainedLanguage mode"}]}
    x = expectations(platform="windows")
    checks = default_checks().applicable("workstation", "windows", x.install_method)
    out = {c.id: o for c, o in evaluate_host(checks, HostContext(parse_facts(json.dumps(doc).encode(), 10_000), x,
                                                                    NOW - 0.5, NOW + 0.5))}
    assert out["reachable"].state is State.OK and "ConstrainedLanguage" in out["reachable"].message
    others = {k: o for k, o in out.items() if k not in ("reachable", "clock_skew")}
    assert others and all(o.state is State.UNKNOWN and "ConstrainedLanguage mode" in o.message
                          for o in others.values()), {k: (o.state, o.message) for k, o in others.items()}


def test_a_failure_judged_on_facts_the_collector_could_not_read_is_unknown() -> None:
    """A probe that failed, was denied or was skipped by the budget leaves its table empty: the
    check that reads it says UNKNOWN and why, not CRITICAL 'no browser' / 'not installed'."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from healthkit import NOW, expectations

    from fleet.health.checks import default_checks
    from fleet.health.evaluate import HostContext, evaluate_check, evaluate_host
    from fleet.health.model import State

    def doc(errors: list) -> dict:
        return {"fleet_health": 1, "collector": "windows",
                "host": {"hostname": "FRONT1", "os": "Windows", "time": NOW, "boot_time": NOW - 3600},
                "managed": {"kind": "workgroup", "join": "workgroup"},
                "runtime": {"language_mode": "FullLanguage", "admin": True},
                "disks": [{"mount": "C:", "total_mb": 100_000, "free_mb": 50_000}], "errors": errors}

    x = expectations(platform="windows")
    check = default_checks().get("browser_installed")
    plain = HostContext(parse_facts(json.dumps(doc([])).encode(), 10_000), x, NOW - 0.5, NOW + 0.5)
    assert evaluate_check(check, plain).state is State.CRITICAL  # really no browser: a failure
    skipped = doc([{"where": "browser chrome", "error": "skipped: the collector's time budget of 1.0s was used up"}])
    ctx = HostContext(parse_facts(json.dumps(skipped).encode(), 10_000), x, NOW - 0.5, NOW + 0.5)
    out = dict((c.id, o) for c, o in evaluate_host([check, default_checks().get("disk_free")], ctx))
    assert out["browser_installed"].state is State.UNKNOWN
    assert "could not read" in out["browser_installed"].message and "time budget" in out["browser_installed"].message
    assert out["disk_free"].state is State.OK  # other facts are judged as usual


# -- the rows deploy's judge reads (fleet.desired.seen.registry_seen_from_facts) --------------------


def _row_keys(table: str) -> dict[str, str]:
    """{key: value text} of the hashtable the collector adds to ``table``."""
    rows = [n for n in walk(ROOT) if n.type == "command" and command_name(n) == "Add-Row" and f"'{table}'" in text(n)]
    assert len(rows) == 1, f"one Add-Row '{table}' expected"
    entries = [e for e in walk(rows[0]) if e.type == "hash_entry"]
    out = {}
    for e in entries:
        key = next(c for c in e.children if c.type == "key_expression")
        out[text(key)] = text(e)[len(text(key)):].strip(" =;")
    return out


def test_forcelist_rows_carry_the_value_name_deploy_picks_its_slot_by() -> None:
    """Deploy and health judge the registry with one function; it needs each forcelist value's
    name (our entry in slot 7, a gap at 2...), as win_reg_stat gives it to the role."""
    from dataclasses import fields

    from fleet.health.facts import ForcelistEntry

    keys = _row_keys("forcelist")
    assert set(keys) == {f.name for f in fields(ForcelistEntry)}
    value_loop = min((n for n in walk(ROOT) if n.type == "foreach_statement" and "GetValueNames()" in text(n)
                      and "'forcelist'" in text(n)), key=lambda n: len(text(n)))  # the innermost
    var = re.search(r"foreach\s*\(\s*(\$\w+)\s+in", text(value_loop)).group(1)  # type: ignore[union-attr]
    assert keys["name"] == f"[string]{var}" and keys["entry"] == f"[string]$fl.GetValue({var})"
