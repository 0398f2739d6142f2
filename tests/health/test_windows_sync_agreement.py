"""Health and deploy see one Windows Synchronizer: a server state read by the Synchronizer role (its
Ansible results, ``fleet.desired.plan.windows_seen`` + ``synchronizer_changes``) and the same state read
by the health collector (its facts, ``fleet.health.drift.host_drift`` and the Synchronizer checks) must
lead to the same verdict: nothing to do, or a change.

What disagreed before: the collector reported fleet's recorded version over the running binary's (a
vendor's auto-update looked up to date to health while the role reinstalled), a delayed automatic start
as plain 'auto' (health could not see what the role keeps) and drift compared versions as strings, so
the binary's file version 4.2.0.0 was "not 4.2.0" every night and every converge ran Ansible for nothing.
The collector's side is checked on its parse tree (no Windows here); docs/windows-verification.md
part C has the steps on a real server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from healthkit import config, facts, host, practice, server_facts
from test_windows_collector import ROOT, command_name, nodes_with, text, walk

from fleet.catalog import default_catalog
from fleet.desired.plan import synchronizer_changes, windows_seen
from fleet.health.checks import default_checks
from fleet.health.drift import host_drift
from fleet.health.evaluate import HostContext, evaluate_check
from fleet.health.expect import host_expectations, practice_expect
from fleet.health.model import State
from fleet.health.settings import HealthSettings
from fleet.secrets.store import fingerprint

KEY = "ES-KEY-0001"
FP = fingerprint(KEY)
CODE = "{6F3A0C2E-1B2D-4E5F-8A9B-0C1D2E3F4A5B}"


def expect():  # type: ignore[no-untyped-def]
    cfg = config()
    pe = practice_expect(practice("eaglesoft", ()), default_catalog(), cfg, lambda: None, product_key=lambda: KEY)
    return host_expectations(host("server", "windows"), pe, cfg, HealthSettings())


WANTED = expect().synchronizer_version

# A server's state: the service binary's file version, fleet's record (version, key fingerprint), the
# start mode as the SCM has it, running or not. (case, state, deploy has work to do)
STATES: list[tuple[str, dict[str, Any], bool]] = [
    ("up to date: the file version has a fourth part", {}, False),
    ("up to date with the vendor's delayed start", {"mode": "delayed"}, False),
    ("the vendor's auto-update replaced the binary; fleet's record still says the wanted version",
     {"binary": "9.9.1.0"}, True),
    ("an older binary", {"binary": "1.0.0.0"}, True),
    ("the product key was rotated", {"key": fingerprint("ES-KEY-0002")}, True),
    ("stopped", {"running": False}, True),
    ("manual start", {"mode": "manual"}, True),
    # exit code 3010: fleet recorded the install as pending in the boot it happened in
    ("3010: installed, the old binary runs until the restart", {"binary": "1.0.0.0", "pending": WANTED}, False),
    ("3010 on a first install: no service until the restart", {"present": False, "pending": WANTED}, False),
    ("3010, restarted, the wanted version runs: verify and record it", {"pending": WANTED, "restarted": True},
     True),
    ("3010, restarted, still the old binary: install again", {"binary": "1.0.0.0", "pending": WANTED,
                                                              "restarted": True}, True),
    ("3010 with the key rotated again since: install", {"binary": "1.0.0.0", "pending": WANTED,
                                                        "pending_key": fingerprint("ES-KEY-0000")}, True),
]
BOOT = 1_800_000_000


def state(binary: str = "", key: str = FP, mode: str = "auto", running: bool = True, present: bool = True,
          pending: str = "", pending_key: str = FP, restarted: bool = False) -> dict[str, Any]:
    return {"binary": binary or (WANTED + ".0"), "key": key, "mode": mode, "running": running and present,
            "present": present, "pending": pending, "pending_key": pending_key if pending else "",
            "pending_boot": str(BOOT) if pending else "", "boot": BOOT + (86_400 if restarted else 1)}


def deploy_sees(s: dict[str, Any]) -> list[str]:
    """The role's reads (documented return values of win_service_info, win_reg_stat, win_powershell)."""
    svc = {"exists": True, "services": [{"name": "Synchronizer", "state": "started" if s["running"] else "stopped",
                                         "start_mode": s["mode"]}] if s["present"] else []}
    props = {"Version": {"value": WANTED}, "KeyFingerprint": {"value": s["key"]}}
    if s["pending"]:
        props |= {"PendingVersion": {"value": s["pending"]}, "PendingKeyFingerprint": {"value": s["pending_key"]},
                  "PendingBoot": {"value": s["pending_boot"]}}
    marker = {"exists": True, "properties": props}
    products = [{"product_code": CODE, "name": "Synchronizer", "version": WANTED}] if s["present"] else []
    installed = {"output": [{"products": products, "binary_version": s["binary"] if s["present"] else "",
                             "boot_time": str(s["boot"])}]}
    return synchronizer_changes(PLAN, windows_seen(svc, marker, installed)).steps


# the server's deploy plan (what converge judges the collector's facts against)
PLAN = {"action": "install", "platform": "windows", "version": WANTED, "service_name": "Synchronizer",
        "product_id": "", "product_key_fingerprint": FP}
HOST_PLAN = {"platform": "windows", "extension": {"action": "none"}, "synchronizer": PLAN}


def health_sees(s: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The Windows collector's service row for the same state (the binary's version, the SCM's mode)."""
    row = {"kind": "synchronizer", "present": s["present"], "running": s["running"], "crashes_24h": 0,
           "probe": "scm", "pending_version": s["pending"], "pending_key_fingerprint": s["pending_key"],
           "pending_boot": s["pending_boot"]}
    if s["present"]:
        row |= {"start": s["mode"], "version": s["binary"], "key_fingerprint": s["key"]}
    doc = server_facts(Synchronizer=row)
    doc["collector"] = "windows"
    doc["host"]["boot_time"] = s["boot"]
    return facts(doc)


@pytest.mark.parametrize(("over", "work"), [s[1:] for s in STATES], ids=[s[0] for s in STATES])
def test_deploy_and_health_agree_on_every_windows_state(over: dict[str, Any], work: bool) -> None:
    s = state(**over)
    steps = deploy_sees(s)
    drift = host_drift(HOST_PLAN, health_sees(s))
    assert bool(steps) is work, steps
    assert (not drift.in_sync) is work, drift.describe()


def test_a_delayed_start_is_an_automatic_start_for_health() -> None:
    x = expect()
    check = next(c for c in default_checks().checks if c.id == "synchronizer_autostart")
    out = evaluate_check(check, HostContext(health_sees(state(mode="delayed")), x, 0.0, 0.0))
    assert out.state is State.OK and "delayed" in out.message


# -- the collector's side, on its parse tree -----------------------------------------------------


def test_the_collector_reads_the_registry_only_through_the_64_bit_view() -> None:
    """fleet's record is written by win_regedit (64-bit); a 32-bit PowerShell's HKLM: drive reads
    WOW6432Node. Every registry read goes through $hklm (RegistryView.Registry64)."""
    drives = [text(n) for n in walk(ROOT) if n.type != "comment" and "HKLM:" in text(n) and not n.children]
    assert drives == []
    assert not [n for n in walk(ROOT) if n.type == "command" and command_name(n).lower() in
                ("get-itemproperty", "get-itempropertyvalue")]


def test_the_service_version_is_the_binarys_and_the_delayed_start_is_read() -> None:
    probe = next(n for n in nodes_with("DelayedAutostart") if n.type != "comment")
    while probe.type != "script_block_expression":
        probe = probe.parent
    body = text(probe)
    assert "$hklm.OpenSubKey" in body and "'delayed'" in body
    # the same read as the role's read_installed.ps1
    assert "FileVersionInfo]::GetVersionInfo" in body and "FileMajorPart" in body
    # fleet's record (the marker) gives its version only when the binary's could not be read
    fallback = next(n for n in nodes_with("GetValue('Version'") if n.type != "comment")
    guard = next(a for a in _ancestors(fallback) if a.type == "if_statement")
    assert "-not $row.version" in text(guard)


def test_the_role_and_the_collector_compute_the_version_alike() -> None:
    role = (Path(__file__).resolve().parents[2] / "roles" / "synchronizer" / "files" / "read_installed.ps1").read_text()
    line = "'{0}.{1}.{2}.{3}' -f $v.FileMajorPart, $v.FileMinorPart, $v.FileBuildPart, $v.FilePrivatePart"
    assert line in role and line in text(ROOT)


def _ancestors(node):  # type: ignore[no-untyped-def]
    n = node.parent
    while n is not None:
        yield n
        n = n.parent


def test_a_removal_waiting_for_the_restart_is_no_change_for_either() -> None:
    """The uninstaller asked for a restart (3010) and left the service until then."""
    plan = {**PLAN, "action": "remove"}
    svc = {"exists": True, "services": [{"name": "Synchronizer", "state": "stopped", "start_mode": "auto"}]}
    marker = {"exists": True, "properties": {"PendingRemovalBoot": {"value": str(BOOT)}}}
    for boot, work in ((BOOT + 1, False), (BOOT + 86_400, True)):
        deploy = synchronizer_changes(plan, windows_seen(svc, marker, {"output": [{"products": [],
                                                                                  "boot_time": str(boot)}]}))
        doc = server_facts(Synchronizer={"kind": "synchronizer", "present": True, "running": False, "start": "auto",
                                         "probe": "scm", "pending_removal_boot": str(BOOT)})
        doc["collector"] = "windows"
        doc["host"]["boot_time"] = boot
        drift = host_drift({**HOST_PLAN, "synchronizer": plan}, facts(doc))
        assert bool(deploy.steps) is work and (not drift.in_sync) is work, (deploy, drift.describe())


def test_the_collector_reports_fleets_pending_record_also_without_the_service() -> None:
    probe = next(n for n in nodes_with("'PendingRemovalBoot'") if n.type != "comment")
    body = text(next(a for a in _ancestors(probe) if a.type == "script_block_expression"))
    # the pending values are read before the "no service: nothing more" return
    assert body.index("PendingVersion") < body.index('if (-not $found["svc $($s.name)"]) { return }')
    for key in ("pending_version", "pending_key_fingerprint", "pending_boot", "pending_removal_boot"):
        assert f"{key} = ''" in text(ROOT)  # in every service row, read by fleet.health.facts.Service


@pytest.mark.parametrize(("check_id", "over"), [
    ("synchronizer_version", {"binary": "1.0.0.0"}),
    ("synchronizer_installed", {"present": False}),
])
def test_an_install_waiting_for_its_restart_is_a_warning_that_says_so(check_id: str, over: dict[str, Any]) -> None:
    """Before: the check's failure ('older than' / 'not installed') every night until someone restarted
    the server, with nothing saying fleet had done its part."""
    x = expect()
    check = next(c for c in default_checks().checks if c.id == check_id)
    waiting = evaluate_check(check, HostContext(health_sees(state(pending=WANTED, **over)), x, 0.0, 0.0))
    assert waiting.state is State.WARNING and "restart" in waiting.message and "3010" in waiting.message
    restarted = evaluate_check(check, HostContext(health_sees(state(pending=WANTED, restarted=True, **over)), x,
                                                  0.0, 0.0))
    failed = check.severity
    assert restarted.state is failed and "3010" not in restarted.message
    other = evaluate_check(check, HostContext(health_sees(state(pending="0.0.1", **over)), x, 0.0, 0.0))
    assert other.state is failed and "3010" not in other.message  # a pending install of another version
