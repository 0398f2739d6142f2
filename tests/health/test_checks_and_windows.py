"""checks.yaml as data (loader errors name file and line), and the Windows collector as PowerShell.

No PowerShell runs here: the Windows collector is parsed with tree-sitter-powershell (an
independent grammar) and checked for what must hold on a real machine.
"""

from __future__ import annotations

import json
import re

import pytest
import tree_sitter_powershell
from tree_sitter import Language, Parser

from fleet.health.checks import ChecksError, default_checks, load_checks
from fleet.health.model import State
from fleet.health.sweep import collector_script
from fleet.health.transport import powershell_payload


def test_default_checks_load_and_cover_the_issue() -> None:
    cs = default_checks()
    ids = {c.id for c in cs}
    assert {"extension_forcelist", "extension_token", "extension_installed", "synchronizer_running",
            "pms_database", "sync_endpoint", "disk_free", "clock_skew", "reachable"} <= ids
    assert cs.coverage_ids == {"extension_forcelist", "extension_token", "extension_installed"}
    assert cs.get("disk_free").thresholds == {"warning_below_pct": 15.0, "critical_below_pct": 5.0}
    ws = {c.id for c in cs.applicable("workstation", "linux", "chrome_extension")}
    assert "install_source" not in ws and "extension_token" in ws and "synchronizer_running" not in ws
    assert "install_source" in {c.id for c in cs.applicable("workstation", "windows", "chrome_extension")}
    srv = {c.id for c in cs.applicable("server", "windows", "engineer_install")}
    assert "synchronizer_running" in srv and "synchronizer_version" not in srv and "extension_token" not in srv
    assert cs.coverage.state(0.4) is State.CRITICAL and cs.coverage.state(0.9) is State.WARNING


BASE = "version: 1\nchecks:\n  - id: disk_free\n    title: Disk\n"


@pytest.mark.parametrize(("text", "fragment", "line"), [
    ("checks: {}\n", "'checks' list", None),
    (BASE + "  - id: disk_free\n    title: again\n", "defined twice", 5),
    (BASE + "  - id: mystery\n    title: M\n", "no evaluator of kind 'mystery'", 5),
    (BASE + "    severity: UNKNOWN\n", "severity must be WARNING or CRITICAL", 5),
    (BASE + "    applies_to: {roles: [printer]}\n", "applies_to.roles has printer", 5),
    (BASE + "    applies_to: {os: [linux]}\n", "applies_to.os", 5),
    (BASE + "    thresholds: {warning_below_pct: lots}\n", "must be a number", 5),
    (BASE + "    colour: red\n", "unknown key(s) colour", 3),
    ("checks:\n  - {id: disk_free, title: x\n", "not valid YAML", None),
])
def test_bad_checks_name_file_and_line(text: str, fragment: str, line: int | None) -> None:
    with pytest.raises(ChecksError) as err:
        load_checks(text, "my-checks.yaml")
    assert fragment in str(err.value) and "my-checks.yaml" in str(err.value)
    if line:
        assert f"my-checks.yaml:{line}" in str(err.value)


def test_a_check_can_reuse_an_evaluator_with_other_thresholds() -> None:
    cs = load_checks(BASE + "  - id: disk_free_strict\n    kind: disk_free\n    title: strict\n"
                     "    thresholds: {warning_below_pct: 40, critical_below_pct: 20}\n")
    assert cs.get("disk_free_strict").kind == "disk_free"


# -- the Windows collector ------------------------------------------------------------------------

LANG = Language(tree_sitter_powershell.language())
SCRIPT = collector_script("windows.ps1")


def _errors(source: str) -> list[str]:
    tree = Parser(LANG).parse(source.encode("utf-8"))
    bad: list[str] = []

    def walk(n) -> None:  # type: ignore[no-untyped-def]
        if n.type == "ERROR" or n.is_missing:
            bad.append(f"line {n.start_point[0] + 1}: {source.splitlines()[n.start_point[0]].strip()}")
        for c in n.children:
            walk(c)

    walk(tree.root_node)
    return bad


def test_windows_collector_parses_with_its_expectations_prepended() -> None:
    doc = json.dumps({"v": 1, "browsers": [{"name": "chrome", "policy": "SOFTWARE\\Policies\\Google\\Chrome"}],
                      "services": [], "endpoint": "it's"}, separators=(",", ":"))
    assert _errors(powershell_payload(SCRIPT, doc)) == []


def test_windows_collector_keeps_secrets_home_and_reads_the_64_bit_registry() -> None:
    assert "RegistryView]::Registry64" in SCRIPT
    assert "ConvertTo-Json -Depth 6 -Compress" in SCRIPT  # PowerShell 5.1 cuts at depth 2 otherwise
    assert "7031, 7034" in SCRIPT and "AddHours(-24)" in SCRIPT
    # every managed value read from the registry is fingerprinted or dropped before it is stored
    value_uses = [m.start() for m in re.finditer(r"\$value\b", SCRIPT)]
    assert value_uses
    assert re.search(r"Get-Sha16 \(\[string\]\$value\)", SCRIPT)
    assert "$value = $null" in SCRIPT
    rows = re.findall(r"Add-Row 'managed_values' \(\[ordered\]@\{[^}]*\}", SCRIPT, re.S)
    assert rows and all("$value" not in r for r in rows)
    for table in ("disks", "browsers", "userdata", "profiles", "extensions", "policy_sources", "forcelist",
                  "managed_values", "services", "errors"):
        assert f"'{table}'" in SCRIPT
