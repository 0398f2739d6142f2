"""The contract between deploy and health: one judge over one seen model, whichever way fleet looks.

A matrix of host states (the issue's list) is set up as a machine: a Linux policy tree on disk, a
Windows registry and a Synchronizer as data. Each state is looked at both ways:

* as the roles look (Ansible module results: find + slurp of the real files, win_reg_stat,
  win_service_info + fleet's marker, the stand-in's status), parsed by the filter plugin's readers;
* as the health sweep looks: the real POSIX collector run on the same tree (``sh -s``, as over
  ssh), and for Windows the rows the Windows collector prints (fingerprints, value names).

Both must produce the same changes (``fleet.desired.changes.host_changes``); the changes the roles
would make are then applied to the machine (what win_regedit / copy / file / the installer do),
and both ways must then say there is nothing left to do.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fleet.catalog import default_catalog
from fleet.desired import concerns
from fleet.desired.changes import HostSeen, host_changes
from fleet.desired.plan import (
    linux_changes,
    linux_seen,
    plan_host,
    policy_files_to_read,
    render_linux_file,
    synchronizer_changes,
    windows_changes,
    windows_seen,
)
from fleet.desired.seen import policy_files_from_results, registry_seen_from_results
from fleet.example import fake_extension_id
from fleet.health.checks import default_checks
from fleet.health.drift import host_drift
from fleet.health.evaluate import HostContext, evaluate_check
from fleet.health.expect import Expectations, host_expectations, practice_expect
from fleet.health.facts import HostFacts, facts_from_document, parse_facts
from fleet.health.model import State
from fleet.health.settings import HealthSettings
from fleet.health.sweep import collector_script
from fleet.health.transport import posix_payload
from fleet.secrets.store import fingerprint

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))
from helpers_deploy import EDGE_ID, config, host_and_practice

TOKEN = "CONTRACT-token-7a1c"
NEW_TOKEN = "CONTRACT-token-rotated-99"
KEY, NEW_KEY = "CONTRACT-KEY-1111", "CONTRACT-KEY-2222"
OTHER1, OTHER2 = "b" * 32, "c" * 32
OLD = fake_extension_id("contract-old-v3")
URL = "https://clients2.google.com/service/update2/crx"
CODE = "{6F3A0C2E-1B2D-4E5F-8A9B-0C1D2E3F4A5B}"
SH = shutil.which("dash") or "/bin/sh"
CHECKS = default_checks()


def plan(platform: str, role: str = "workstation", state: str | None = None, key: str = KEY,
         token: str = TOKEN) -> dict[str, Any]:
    system = "dentrix_ascend" if role == "workstation" else "dentrix"
    extra = {"fleet_browsers": ["chrome", "edge"], "fleet_join": "domain"} if role == "workstation" else {}
    host, practice = host_and_practice(system, role=role, platform=platform, **extra)
    cfg = config(**{"extensions.variants.v3.previous_ids": [OLD]})
    return plan_host(host, practice, {"fleet_token": token, "fleet_product_key": key}, default_catalog(), cfg,
                     state).to_dict()


# -- a Windows machine: its registry as data ----------------------------------------------------------


Registry = dict[str, dict[str, tuple[str, Any]]]  # key (HKLM:\...) -> value name -> (REG_SZ|REG_DWORD, data)


def _reg_stat(reg: Registry, key: str, item: dict[str, Any]) -> dict[str, Any]:
    subs = sorted({k[len(key) + 1:].split("\\", 1)[0] for k in reg if k.startswith(key + "\\")})
    if key not in reg and not subs:  # (a key with subkeys exists, as in a real registry)
        return {"item": item, "exists": False, "changed": False}
    return {"item": item, "exists": True, "changed": False, "sub_keys": subs,
            "properties": {n: {"type": t, "value": v, "raw_value": v} for n, (t, v) in reg.get(key, {}).items()}}


def registry_as_ansible_sees_it(p: dict[str, Any], reg: Registry):  # type: ignore[no-untyped-def]
    """The role's three win_reg_stat loops (tasks/windows.yml)."""
    ext = p["extension"]
    every = [*ext["browsers"], *ext["remove_browsers"]]
    fl = [_reg_stat(reg, b["forcelist_key"], b) for b in every]
    ours = [_reg_stat(reg, b["managed_key"] if b in ext["browsers"] else b["extension_key"], b) for b in every]
    exts = [_reg_stat(reg, b["extensions_key"], b) for b in every if b["stale_ids"]]
    return registry_seen_from_results(fl, ours, exts)


def registry_as_collector_sees_it(p: dict[str, Any], reg: Registry) -> dict[str, Any]:
    """What windows.ps1 prints for these keys: every forcelist value with its name; per wired
    extension ID and field the value's type and sha16 (a DWORD as the unsigned number)."""
    ext = p["extension"]
    doc = _doc("windows")
    every = [*ext["browsers"], *ext["remove_browsers"]]
    for b in every:
        root = b["forcelist_key"].rsplit("\\", 1)[0]
        source = "HKLM\\" + root.removeprefix("HKLM:\\")
        fl = reg.get(b["forcelist_key"])
        doc["policy_sources"].append({"browser": b["browser"], "source": source, "ok": True, "error": "",
                                      "has_forcelist": fl is not None})
        for n, (_t, v) in (fl or {}).items():
            doc["forcelist"].append({"browser": b["browser"], "source": source, "entry": str(v), "name": n})
        # the practice's managed field names (health wires them for a removal too)
        fields = sorted({v["name"] for x in ext["browsers"] for v in x["managed_values"]}) or [
            "org_alias", "practice_url", "token"]
        for ext_id in (b["extension_id"], *b["stale_ids"]):
            key = f"{b['extensions_key']}\\{ext_id}\\policy"
            for f in fields:
                if f in reg.get(key, {}):
                    t, v = reg[key][f]
                    typ, text = ("number", str(int(v) & 0xFFFFFFFF)) if t == "REG_DWORD" else ("string", str(v))
                    doc["managed_values"].append({"browser": b["browser"], "source": "HKLM\\" + key[6:],
                                                  "extension_id": ext_id, "field": f, "type": typ,
                                                  "sha16": fingerprint(text)})
    return doc


def apply_windows(p: dict[str, Any], reg: Registry, token: str) -> None:
    """What windows_apply.yml's win_regedit tasks do with the changes."""
    ch = windows_changes(p["extension"], registry_as_ansible_sees_it(p, reg))
    for s in ch.forcelist_set:
        reg.setdefault(s["key"], {})[s["name"]] = ("REG_SZ", s["data"])
    for s in ch.managed_set:
        reg.setdefault(s["key"], {})[s["name"]] = ("REG_DWORD" if s["type"] == "dword" else "REG_SZ", s["data"])
    for s in ch.secret_set:
        reg.setdefault(s["key"], {})[s["name"]] = ("REG_SZ", token)
    for s in [*ch.forcelist_delete, *ch.managed_delete]:
        reg.get(s["key"], {}).pop(s["name"], None)
    for k in ch.keys_delete:
        for key in [x for x in reg if x == k or x.startswith(k + "\\")]:
            del reg[key]


def windows_world(p: dict[str, Any], token: str = TOKEN, *, fields: bool = True, slot: str = "1",
                  others: dict[str, str] | None = None, ext_id: str | None = None) -> Registry:
    """A machine where fleet's policy is (was) in place for every browser of ``p``."""
    reg: Registry = {}
    for b in p["extension"]["browsers"] or p["extension"]["remove_browsers"]:
        i = ext_id or b["extension_id"]
        reg[b["forcelist_key"]] = {n: ("REG_SZ", v) for n, v in (others or {}).items()}
        reg[b["forcelist_key"]][slot] = ("REG_SZ", f"{i};{b['forcelist_entry'].split(';', 1)[1]}")
        key = f"{b['extensions_key']}\\{i}\\policy"
        reg[f"{b['extensions_key']}\\{i}"] = {}
        reg[key] = {"token": ("REG_SZ", token)}
        if fields:
            reg[key] |= {"practice_url": ("REG_SZ", "https://bs.dentrixascend.com"),
                         "org_alias": ("REG_SZ", "BSDG01")}
    return reg


# -- a Linux machine: its policy folders on disk, under a root -----------------------------------------


def files_as_ansible_sees_it(p: dict[str, Any], root: Path):  # type: ignore[no-untyped-def]
    """find (*.json mentioning the forcelist, under the scan paths) + slurp of what the role reads."""
    ext = p["extension"]
    found = []
    for scan in ext["linux_scan_paths"]:
        base = root / scan.lstrip("/")
        for f in sorted(base.rglob("*.json")) if base.is_dir() else []:
            if "ExtensionInstallForcelist" in f.read_text(errors="replace"):
                st = f.stat()
                found.append({"path": "/" + str(f.relative_to(root)), "mode": f"{st.st_mode & 0o7777:04o}",
                              "uid": st.st_uid})
    find = {"files": found}
    paths = policy_files_to_read(ext, [f["path"] for f in found])
    slurped = [{"item": x, "source": x, "content": base64.b64encode((root / x.lstrip("/")).read_bytes()).decode()}
               for x in paths]
    return find, slurped


def files_as_collector_sees_it(p: dict[str, Any], root: Path) -> dict[str, Any]:
    """The real POSIX collector, over this tree (its wire names the folders under ``root``)."""
    ext = p["extension"]
    every = [*ext["browsers"], *ext["remove_browsers"]]
    fields = sorted({v["name"] for b in ext["browsers"] for v in b["managed_values"]})
    if not fields:  # a removal: the managed fields of the practice's policy
        fields = ["org_alias", "practice_url", "token"]
    wire: dict[str, Any] = {"v": 1, "role": "workstation", "platform": "linux", "homes": [], "disks": [],
                            "services": [], "endpoint": "", "service_state_file": "", "browsers": []}
    for b in every:
        for d in b["linux_dirs"]:
            wire["browsers"].append({"name": Path(d).parts[2], "policy": str(root / d.lstrip("/")),
                                     "data": ".none", "bins": [],
                                     "ext": [b["extension_id"], *b["stale_ids"]], "fields": fields})
    payload = posix_payload(collector_script("posix.sh"), json.dumps(wire))
    r = subprocess.run([SH, "-s"], input=payload, capture_output=True, timeout=60,
                       env={"PATH": os.environ["PATH"], "HOME": "/root", "USER": "root"})
    assert r.returncode == 0, r.stderr
    facts = parse_facts(r.stdout, 1 << 20)
    strip = len(str(root))  # the tree's paths as the machine's own
    return {"facts": dataclasses.replace(
        facts,
        policy_sources=tuple(dataclasses.replace(s, source=s.source[strip:]) for s in facts.policy_sources),
        forcelist=tuple(dataclasses.replace(e, source=e.source[strip:]) for e in facts.forcelist),
        managed_values=tuple(dataclasses.replace(m, source=m.source[strip:]) for m in facts.managed_values))}


def apply_linux(p: dict[str, Any], root: Path, token: str) -> None:
    """What linux_apply.yml does: folders, our files (mode 0644), removals."""
    find, slurped = files_as_ansible_sees_it(p, root)
    ch = linux_changes(p["extension"], policy_files_from_results(find, slurped))
    for f in ch.files:
        if f.why:
            target = root / f.path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render_linux_file(f, p["extension"], token))
            target.chmod(0o644)
    for x in ch.delete:
        (root / x.lstrip("/")).unlink()


def write(root: Path, path: str, doc: Any) -> None:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    target.chmod(0o644)


def linux_world(p: dict[str, Any], root: Path, token: str = TOKEN, *, fields: bool = True,
                ext_id: str | None = None, forcelist: list[str] | None = None) -> None:
    """Our files (as a deploy of ``p`` wrote them, or with another token / ID / list)."""
    ext = p["extension"]
    for b in ext["browsers"] or ext["remove_browsers"]:
        i = ext_id or b["extension_id"]
        settings: dict[str, Any] = {"token": token}
        if fields:
            settings |= {"practice_url": "https://bs.dentrixascend.com", "org_alias": "BSDG01"}
        entry = f"{i};{b['forcelist_entry'].split(';', 1)[1]}"
        for d in b["linux_dirs"]:
            write(root, f"{d}/{ext['linux_file_name']}", {
                "ExtensionInstallForcelist": forcelist if forcelist is not None else [entry],
                "3rdparty": {"extensions": {i: settings}}})


# -- the Synchronizer as data ---------------------------------------------------------------------------


@dataclasses.dataclass
class Service:
    installed: bool = False
    version: str = ""
    key: str = ""
    running: bool = False
    auto: bool = False


def sync_as_ansible_sees_it(p: dict[str, Any], s: Service):  # type: ignore[no-untyped-def]
    sync = p["synchronizer"]
    if sync["platform"] == "linux":
        return linux_seen({"installed": s.installed, "version": s.version, "running": s.running, "enabled": s.auto,
                           "key_fingerprint": fingerprint(s.key) if s.key else ""} if s.installed else None)
    svc = {"exists": s.installed, "services": [{"name": sync["service_name"], "state": "started" if s.running
                                                 else "stopped", "start_mode": "auto" if s.auto else "manual"}]
           if s.installed else []}
    marker = {"exists": bool(s.key), "properties": {"Version": {"value": s.version},
                                                    "KeyFingerprint": {"value": fingerprint(s.key)}}}
    installed = {"output": [{"products": [{"product_code": CODE, "name": "Synchronizer", "version": s.version}]
                             if s.installed else [], "binary_version": s.version}]}
    return windows_seen(svc, marker if s.key else None, installed)


def sync_as_collector_sees_it(p: dict[str, Any], s: Service) -> dict[str, Any]:
    sync = p["synchronizer"]
    doc = _doc(sync["platform"])
    doc["services"] = [{"name": sync["service_name"], "kind": "synchronizer", "present": s.installed,
                        "running": s.running if s.installed else False,
                        "start": ("auto" if s.auto else "manual") if s.installed else "unknown",
                        "version": s.version, "crashes_24h": 0, "probe": "scm" if sync["platform"] == "windows"
                        else "pidfile", "key_fingerprint": fingerprint(s.key) if s.installed and s.key else ""}]
    return doc


def apply_sync(p: dict[str, Any], s: Service, key: str) -> None:
    ch = synchronizer_changes(p["synchronizer"], sync_as_ansible_sees_it(p, s))
    if ch.remove:
        s.installed, s.version, s.key, s.running, s.auto = False, "", "", False, False
        return
    if ch.install:
        s.installed, s.version, s.key = True, p["synchronizer"]["version"], key
    if ch.start:
        s.running = True
    if ch.enable or ch.install:
        s.auto = True


def _doc(collector: str) -> dict[str, Any]:
    return {"fleet_health": 1, "collector": "windows" if collector == "windows" else "posix",
            "host": {"hostname": "h1", "os": collector, "time": 1.8e9}, "managed": {"kind": "domain"},
            "disks": [], "browsers": [], "userdata": [], "profiles": [], "extensions": [], "policy_sources": [],
            "forcelist": [], "managed_values": [], "services": [], "errors": []}


# -- the matrix -----------------------------------------------------------------------------------------


def both_ways(kind: str, p: dict[str, Any], machine: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(changes as the roles see the machine, changes as the health collector sees it)."""
    if kind == "windows":
        ansible = host_changes(p, HostSeen(registry=registry_as_ansible_sees_it(p, machine)))
        health = host_drift(p, facts_from_document(registry_as_collector_sees_it(p, machine)))
    elif kind == "linux":
        find, slurped = files_as_ansible_sees_it(p, machine)
        ansible = host_changes(p, HostSeen(files=policy_files_from_results(find, slurped)))
        health = host_drift(p, files_as_collector_sees_it(p, machine)["facts"])
    else:
        ansible = host_changes(p, HostSeen(synchronizer=sync_as_ansible_sees_it(p, machine)))
        health = host_drift(p, facts_from_document(sync_as_collector_sees_it(p, machine)))
    assert not ansible.unknown and not health.unknown, (ansible, health)
    return ansible.changes, health.changes


def deploy(kind: str, p: dict[str, Any], machine: Any, token: str = TOKEN, key: str = KEY) -> None:
    if kind == "windows":
        apply_windows(p, machine, token)
    elif kind == "linux":
        apply_linux(p, machine, token)
    else:
        apply_sync(p, machine, key)


W, L = plan("windows"), plan("linux")
W_GONE, L_GONE = plan("windows", state="absent"), plan("linux", state="absent")
WS_, LS_ = plan("windows", "server"), plan("linux", "server")
WS_GONE, LS_GONE = plan("windows", "server", "absent"), plan("linux", "server", "absent")
OLD_ENTRY = f"{OLD};{URL}"
CHROME_DIR = "/etc/opt/chrome/policies/managed"

# (state, domain, plan, machine factory(root), changes expected from both ways)
Case = tuple[str, str, dict[str, Any], Callable[[Path], Any], list[str]]
CASES: list[Case] = [
    ("nothing installed", "windows", W, lambda r: {},
     ["chrome: add our force-install entry", "edge: add our force-install entry", "chrome: set managed value"]),
    ("nothing installed", "linux", L, lambda r: None, ["write our policy file /etc/opt/chrome"]),
    ("registry values missing", "windows", W, lambda r: windows_world(W, fields=False),
     ["chrome: set managed value practice_url", "edge: set managed value org_alias"]),
    ("policy file values missing", "linux", L, lambda r: linux_world(L, r, fields=False),
     ["write our policy file /etc/opt/chrome/policies/managed/fleet-acme_main.json "
      "(practice_url is missing; org_alias is missing)"]),
    ("policy file missing", "linux", L, lambda r: linux_world(L, r) or (r / CHROME_DIR[1:] / "fleet-acme_main.json")
     .unlink(), ["write our policy file /etc/opt/chrome/policies/managed/fleet-acme_main.json"]),
    ("wrong token", "windows", W, lambda r: windows_world(W, "OLD-TOKEN-never-shown"),
     ["chrome: set the token (token)", "edge: set the token (token)"]),
    ("wrong token", "linux", L, lambda r: linux_world(L, r, "OLD-TOKEN-never-shown"),
     ["(the token differs)"]),
    ("other software's forcelist entries", "windows", W,
     lambda r: windows_world(W, others={"1": f"{OTHER1};{URL}", "2": f"{OTHER2};{URL}"}, slot="3"), []),
    ("other software's forcelist entries", "linux", L,
     lambda r: write(r, f"{CHROME_DIR}/acme-tools.json", {"ExtensionInstallForcelist": [f"{OTHER1};{URL}"]}),
     ["write our policy file /etc/opt/chrome/policies/managed/fleet-acme_main.json"]),
    ("other software's entries, ours carried", "linux", L,
     lambda r: linux_world(L, r) or write(r, f"{CHROME_DIR}/acme-tools.json",
                                          {"ExtensionInstallForcelist": [f"{OTHER1};{URL}"]}),
     ["fleet-acme_main.json (its forcelist differs"]),
    ("our entry in another slot", "windows", W, lambda r: windows_world(W, slot="7", others={"1": f"{OTHER1};{URL}"}),
     []),
    ("our entry in another slot", "linux", L,
     lambda r: linux_world(L, r) or linux_world(L, r, forcelist=[L["extension"]["browsers"][0]["forcelist_entry"],
                                                                 f"{OTHER1};{URL}"]),
     ["(its forcelist differs"]),
    ("extension ID changed", "windows", W, lambda r: windows_world(W, ext_id=OLD),
     ["chrome: add our force-install entry", "chrome: remove force-install entry 1", "remove policy key"]),
    ("extension ID changed", "linux", L, lambda r: linux_world(L, r, ext_id=OLD),
     ["(its forcelist differs"]),
    ("practice removed", "windows", W_GONE, lambda r: windows_world(W),
     ["chrome: remove force-install entry 1", "edge: remove force-install entry 1", "remove policy key"]),
    ("practice removed", "linux", L_GONE, lambda r: linux_world(L, r),
     ["remove our policy file /etc/opt/chrome/policies/managed/fleet-acme_main.json"]),
    ("in sync", "windows", W, lambda r: windows_world(W), []),
    ("in sync", "linux", L, lambda r: linux_world(L, r), []),
    ("Synchronizer missing", "windows-sync", WS_, lambda r: Service(), ["install the Synchronizer service 4.2.0"]),
    ("Synchronizer missing", "linux-sync", LS_, lambda r: Service(), ["install the fleet-synchronizer service"]),
    ("Synchronizer old", "windows-sync", WS_, lambda r: Service(True, "4.1.0", KEY, True, True),
     ["install 4.2.0 over 4.1.0"]),
    ("Synchronizer old", "linux-sync", LS_, lambda r: Service(True, "4.1.0", KEY, True, True),
     ["install 4.2.0 over 4.1.0"]),
    ("Synchronizer stopped", "windows-sync", WS_, lambda r: Service(True, "4.2.0", KEY, False, False),
     ["start Synchronizer", "start Synchronizer at boot"]),
    ("Synchronizer stopped", "linux-sync", LS_, lambda r: Service(True, "4.2.0", KEY, False, True),
     ["start fleet-synchronizer"]),
    ("product key rotated", "windows-sync", WS_, lambda r: Service(True, "4.2.0", "OLD-KEY", True, True),
     ["reinstall with the practice's new product key"]),
    ("product key rotated", "linux-sync", LS_, lambda r: Service(True, "4.2.0", "OLD-KEY", True, True),
     ["reinstall with the practice's new product key"]),
    ("practice removed", "windows-sync", WS_GONE, lambda r: Service(True, "4.2.0", KEY, True, True),
     ["uninstall the Synchronizer service"]),
    ("practice removed", "linux-sync", LS_GONE, lambda r: Service(True, "4.2.0", KEY, True, True),
     ["uninstall the fleet-synchronizer service"]),
]


@pytest.mark.parametrize(("state", "domain", "p", "make", "expected"), CASES,
                         ids=[f"{c[1]}: {c[0]}" for c in CASES])
def test_deploy_and_health_see_the_same_changes_and_nothing_left_after_a_deploy(
        tmp_path: Path, state: str, domain: str, p: dict[str, Any], make: Callable[[Path], Any],
        expected: list[str]) -> None:
    kind = domain.removesuffix("-sync") if not domain.endswith("-sync") else "sync"
    made = make(tmp_path)
    machine = tmp_path if kind == "linux" else made
    ansible, health = both_ways(kind, p, machine)
    assert ansible == health, f"{state}: the roles and health disagree"
    if expected:
        text = "\n".join(ansible)
        missing = [e for e in expected if e not in text]
        assert not missing, f"{state}: {missing} not in {ansible}"
    else:
        assert ansible == (), f"{state}: nothing to do expected, got {ansible}"
    secret_free = json.dumps([ansible, health])
    assert TOKEN not in secret_free and "OLD-TOKEN-never-shown" not in secret_free and KEY not in secret_free
    deploy(kind, p, machine)
    after = both_ways(kind, p, machine)
    assert after == ((), ()), f"{state}: after the deploy: {after}"


def test_a_rotated_token_after_a_deploy_is_seen_both_ways_and_put_right(tmp_path: Path) -> None:
    """The practice's token changes in the vault: the plan's fingerprint changes, both ways see it."""
    linux_world(L, tmp_path)
    reg = windows_world(W)
    rotated_l, rotated_w = plan("linux", token=NEW_TOKEN), plan("windows", token=NEW_TOKEN)
    for kind, p, m in (("linux", rotated_l, tmp_path), ("windows", rotated_w, reg)):
        a, h = both_ways(kind, p, m)
        assert a == h and a, (kind, a, h)
        deploy(kind, p, m, token=NEW_TOKEN)
        assert both_ways(kind, p, m) == ((), ())
    assert EDGE_ID in json.dumps(rotated_w)  # the domain-joined Edge takes the Web Store build


# -- one judge: health's compliance checks are "no change of my concern" -------------------------------

# Each compliance check of data/checks.yaml and the concern of fleet.desired.changes it judges.
CHECK_CONCERNS = {
    "extension_forcelist": concerns.FORCELIST, "extension_token": concerns.TOKEN,
    "managed_settings": concerns.SETTINGS, "synchronizer_installed": concerns.PRESENCE,
    "synchronizer_running": concerns.RUNNING, "synchronizer_autostart": concerns.AUTOSTART,
    "synchronizer_version": concerns.VERSION, "synchronizer_product_key": concerns.PRODUCT_KEY,
}
EXTENSION_CHECKS = ("extension_forcelist", "extension_token", "managed_settings")
SYNC_CHECKS = tuple(c for c in CHECK_CONCERNS if c.startswith("synchronizer_"))


def health_expectations(kind: str, p: dict[str, Any]) -> Expectations:
    """The sweep's expectations for the matrix host, with the deploy's plan ``p`` (``for_judging``)."""
    role = "server" if kind == "sync" else "workstation"
    system = "dentrix" if role == "server" else "dentrix_ascend"
    extra = {"fleet_browsers": ["chrome", "edge"], "fleet_join": "domain"} if role == "workstation" else {}
    host, practice = host_and_practice(system, role=role, platform=p["platform"], **extra)
    cfg = config(**{"extensions.variants.v3.previous_ids": [OLD]})
    pe = practice_expect(practice, default_catalog(), cfg, lambda: TOKEN, p["state"], "domain",
                         product_key=lambda: KEY)
    return replace(host_expectations(host, pe, cfg, HealthSettings()), deploy_plan=p)


def health_facts(kind: str, p: dict[str, Any], machine: Any) -> HostFacts:
    if kind == "windows":
        return facts_from_document(registry_as_collector_sees_it(p, machine))
    if kind == "linux":
        f: HostFacts = files_as_collector_sees_it(p, machine)["facts"]
        return f
    return facts_from_document(sync_as_collector_sees_it(p, machine))


def one_judge(kind: str, p: dict[str, Any], machine: Any) -> dict[str, tuple[State, State]]:
    """Per compliance check: (the state health's evaluator gives, the state 'no change of its concern'
    by the deploy's judge on what the roles see means: OK, or the check's severity)."""
    if kind == "windows":
        seen = HostSeen(registry=registry_as_ansible_sees_it(p, machine))
    elif kind == "linux":
        find, slurped = files_as_ansible_sees_it(p, machine)
        seen = HostSeen(files=policy_files_from_results(find, slurped))
    else:
        seen = HostSeen(synchronizer=sync_as_ansible_sees_it(p, machine))
    deploy_sees = host_changes(p, seen)
    ctx = HostContext(health_facts(kind, p, machine), health_expectations(kind, p), 1.8e9 - 1, 1.8e9 + 1)
    out = {}
    for check_id in SYNC_CHECKS if kind == "sync" else EXTENSION_CHECKS:
        check = CHECKS.get(check_id)
        mine = deploy_sees.about(CHECK_CONCERNS[check_id])
        wanted = State.OK if mine.in_sync else check.severity
        out[check_id] = (evaluate_check(check, ctx).state, wanted)
    return out


@pytest.mark.parametrize(("state", "domain", "p", "make", "expected"), CASES,
                         ids=[f"{c[1]}: {c[0]}" for c in CASES])
def test_health_checks_are_no_change_of_their_concern_before_and_after_a_deploy(
        tmp_path: Path, state: str, domain: str, p: dict[str, Any], make: Callable[[Path], Any],
        expected: list[str]) -> None:
    """The nightly checks and the deploy cannot disagree: each compliance check's state is what the
    deploy's judge says about its concern (on what the roles see), on every state of the matrix,
    and every check is OK once the deploy has run."""
    kind = "sync" if domain.endswith("-sync") else domain
    made = make(tmp_path)
    machine = tmp_path if kind == "linux" else made
    before = one_judge(kind, p, machine)
    assert {c: s for c, (s, w) in before.items() if s is not w} == {}, f"{state}: health and deploy disagree: {before}"
    if expected:  # a case with work to do fails at least one of the checks
        assert any(s is not State.OK for s, _ in before.values()), f"{state}: {before}"
    deploy(kind, p, machine)
    after = one_judge(kind, p, machine)
    assert all(s is State.OK for s, _ in after.values()), f"{state}: after the deploy: {after}"


def test_a_rotated_product_key_fails_only_the_product_key_check() -> None:
    """`fleet secrets set PRACTICE --product-key`: the vault's key is new, the server's is not."""
    s = Service(True, "4.2.0", KEY, True, True)
    rotated = plan("windows", "server", key=NEW_KEY)
    states = {c: got for c, (got, _) in one_judge("sync", rotated, s).items()}
    assert states.pop("synchronizer_product_key") is State.WARNING
    assert set(states.values()) == {State.OK}, states
