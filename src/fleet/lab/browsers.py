"""The lab's real browsers, workspace side: choosing the mode, building the test extensions, starting
each workstation's Chromium and reading per workstation whether it followed its policy
(``fleet lab up``, ``fleet lab browsers``). The Chromium mechanics are ``fleet.lab.browser``."""


from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fleet.catalog import default_catalog
from fleet.lab.browser import REAL, SIMULATED, LabBrowsers
from fleet.lab.endpoint import endpoint_url
from fleet.lab.errors import LabError
from fleet.lab.workspace import EXTRA_FIELDS, LAB_VARIANT_FOR, engine_dir, lab_secrets, variant_fields

# -- real browsers -------------------------------------------------------------------------------------

def server_url(workspace: Path) -> str:
    """Base URL of the lab's web server (sync endpoint, test extensions, browser reports)."""
    return endpoint_url(workspace).rsplit("/sync", 1)[0]


def setup_browsers(workspace: Path, requested: str, workstations: int) -> LabBrowsers:
    """Decide the lab's browsers once, at creation (fleet.yml names the extensions); in real mode,
    (re)build the test extensions (same keys, same IDs). A lab from before real browsers keeps the
    simulation."""
    from fleet.lab import browser
    from fleet.workspace import CONFIG_NAME

    engine = engine_dir(workspace)
    current = browser.load(engine)
    if current is not None:
        mode = current.mode
    elif (workspace / CONFIG_NAME).exists():
        mode = SIMULATED  # its fleet.yml names fake Web Store IDs
    else:
        mode = browser.choose_mode(requested, workstations)
        if mode == REAL and not os.access(browser.CHROMIUM, os.X_OK):
            raise LabError(f"real browsers need Chromium ({browser.CHROMIUM} not found)",
                           hint="apt-get install -y chromium (scripts/bootstrap does), or --browsers simulated")
    if requested not in (browser.AUTO, mode):
        raise LabError(f"the lab at {workspace} has {mode} browsers (chosen when it was created)",
                       hint=f"fleet lab down --purge --dir {workspace}, then fleet lab up --browsers {requested}")
    result = (browser.build_test_extensions(engine, server_url(workspace), variant_fields()) if mode == REAL
              else LabBrowsers(SIMULATED, {}))
    browser.save(engine, result)
    return result


def start_browsers(workspace: Path, timeout: float = 60.0) -> tuple[list[str], dict[str, str]]:
    """Real mode: make each running workstation a real-browser one and start its Chromium (its boot
    script also does at every host start), then wait until each follows policy changes (a deploy
    before that may go unseen for 15 minutes: ``browser.await_policy_watch``). Returns the
    workstations, and those whose Chromium did not get there with why."""
    from fleet.lab import Lab, browser

    b = browser.load(engine_dir(workspace))
    if b is None or b.mode != REAL:
        return [], {}
    lab = Lab(engine_dir(workspace))
    state = lab.state()
    names = [n for n, r in state.hosts.items() if r.role == "workstation" and r.status == "up"]
    hosts = {n: (lab.paths.host(n), state.hosts[n].mnt_ns) for n in names}
    for n, (hp, mnt_ns) in hosts.items():
        if browser.prepare_workstation(hp, n):
            browser.stop_chromium(hp, mnt_ns)  # started by an older boot script: restart with today's flags
    lab.run_boot_scripts(names)
    return names, browser.await_policy_watch(hosts, timeout)


def await_browser(workspace: Path, host: str, timeout: float = 60.0) -> str | None:
    """After a workstation of a real-browser lab starts: wait until its Chromium follows policy
    changes; None when it does (or the lab has no real browsers), else why not."""
    from fleet.lab import Lab, browser

    b = browser.load(engine_dir(workspace))
    lab = Lab(engine_dir(workspace))
    rec = lab.state().record(host)
    if b is None or b.mode != REAL or rec.role != "workstation":
        return None
    return browser.await_policy_watch({host: (lab.paths.host(host), rec.mnt_ns)}, timeout).get(host)


def browser_rows(workspace: Path, password: str | None = None) -> list[dict[str, Any]]:
    """Per workstation of a real-browser lab: Chromium running and its memory, whether the policy
    force-lists the practice's test extension, whether it is installed in the profile, and whether
    the extension's managed settings match the practice's (fingerprints only)."""
    from fleet.desired.seen import value_fingerprints
    from fleet.lab import Lab, browser
    from fleet.secrets.store import fingerprint

    engine = engine_dir(workspace)
    b = browser.load(engine)
    if b is None or b.mode != REAL:
        return []
    lab = Lab(engine)
    state = lab.state()
    catalog = default_catalog()
    secrets = lab_secrets(workspace, password)
    rows: list[dict[str, Any]] = []
    for rec in state.hosts.values():
        if rec.role != "workstation":
            continue
        practice = state.topology.practice(rec.practice)
        variant = catalog.get(practice.pms).extension_variant or LAB_VARIANT_FOR.get(practice.pms)
        ext_id = b.extensions.get(variant or "")
        hp = lab.paths.host(rec.name)
        pids = browser.chromium_pids(rec.mnt_ns, rec.uts_ns) if rec.status == "up" else []
        if rec.status != "up":
            rows.append({"host": rec.name, "practice": rec.practice, "browser": "host down", "memory_mb": 0.0,
                         "extension_id": "", "policy": "-", "installed": "-", "settings": "-", "converged": True})
            continue
        row: dict[str, Any] = {"host": rec.name, "practice": rec.practice, "browser": "running" if pids else "stopped",
                               "memory_mb": browser.memory_mb(pids) if pids else 0.0, "extension_id": ext_id or "",
                               "policy": "-", "installed": "-", "settings": "-"}
        if ext_id:
            listed = browser.forcelisted(hp, ext_id)
            versions = browser.installed_versions(hp, ext_id)
            expected = {"token": frozenset({fingerprint(secrets.get(rec.practice, {}).get("fleet_token", ""))})}
            for field, var in EXTRA_FIELDS.get(variant or "", {}).items():
                if var in practice.vars:
                    expected[field] = value_fingerprints(practice.vars[var])
            row |= {"policy": "listed" if listed else "absent", "installed": ",".join(versions) or "no",
                    "settings": browser.settings_verdict(browser.read_report(engine, rec.name, ext_id), expected)
                    if versions else "-"}
            row["converged"] = bool(pids) and (
                (listed and bool(versions) and row["settings"] == "ok") or (not listed and not versions))
        else:
            row["converged"] = bool(pids)
        rows.append(row)
    return rows


def wait_for_browsers(workspace: Path, timeout: float = 90.0, password: str | None = None) -> list[dict[str, Any]]:
    """Poll ``browser_rows`` until every workstation's Chromium has done what its policy says
    (installed with the right settings, or removed), or ``timeout`` passes; return the last rows,
    a late one with ``why`` (from its Chromium's log)."""
    import time

    from fleet.lab import Lab, browser

    deadline = time.monotonic() + timeout
    while True:
        rows = browser_rows(workspace, password)
        if all(r["converged"] for r in rows) or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    lab = Lab(engine_dir(workspace))
    state = lab.state()
    for r in rows:
        if not r["converged"]:
            r["why"] = browser.explain_late(lab.paths.host(r["host"]), state.hosts[r["host"]].mnt_ns)
    return rows
