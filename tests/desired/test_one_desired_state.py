"""Deploy's plan and health's expectations come from one desired state (issue #9's regressions).

A workspace with an offboarded practice (``fleet_state: absent``), an offboarded host, and a host
whose own ``fleet_browsers`` overrides its practice's; for every host the deploy plan
(``plan_host``, what the engine and the filter plugin compute) and health's expectations
(``Sweep.plan``, what the nightly sweep judges with) must agree, and health must judge a host
that carries what the plan wants as healthy and one that does not as failing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fleet.desired.plan import APPLY, INSTALL, NONE, REMOVE, plan_host
from fleet.desired.platforms import flavor
from fleet.health.checks import default_checks
from fleet.health.evaluate import HostContext, evaluate_host
from fleet.health.facts import facts_from_document
from fleet.health.model import State
from fleet.health.settings import HealthSettings
from fleet.health.sweep import Sweep
from fleet.secrets.store import fingerprint
from fleet.store import Store
from fleet.workspace import Workspace

TOKEN = "DESIRED-TEST-TOKEN-0a1b2c3d"
KEY = "DESIRED-TEST-KEY-9f8e7d"
SECRETS = {"fleet_token": TOKEN, "fleet_product_key": KEY}
NOW = 1_800_000_000.0


def linux(role: str = "workstation", **extra: Any) -> dict[str, Any]:
    return {"ansible_host": "127.0.0.1", "fleet_role": role, "fleet_platform": "linux", **extra}


@pytest.fixture
def ws(wsb: Any) -> Workspace:
    root = wsb.write({"acme": {
        "acme_main": wsb.practice("dentrix_ascend", {
            "main-ws01": linux(),
            "main-ws02": linux(fleet_browsers=["chrome", "edge"]),  # this host's own browsers
            "main-ws03": linux(fleet_state="absent"),  # this one host is offboarded
        }, fleet_browsers=["chrome"], fleet_pms_url="https://acme.dentrixascend.com", fleet_pms_org_alias="ACME"),
        "acme_gone": wsb.practice("dentrix_ascend", {"gone-ws01": linux()}, fleet_state="absent",
                                  fleet_pms_url="https://gone.dentrixascend.com", fleet_pms_org_alias="GONE"),
        "acme_east": wsb.practice("eaglesoft", {"east-srv01": wsb.win("127.0.0.1", "server")},
                                  fleet_pms_version="21.20", fleet_state="absent"),
    }})
    return Workspace(Path(root))


def _plans(ws: Workspace) -> tuple[dict[str, Any], dict[str, Any]]:
    inv = ws.inventory
    deploy = {h.name: plan_host(h, inv.practices[h.practice_id], SECRETS, ws.catalog, ws.config)
              for h in inv.hosts.values()}
    sweep = Sweep(ws, Store("sqlite://"), HealthSettings(), default_checks())
    health = {p.host.name: p for p in sweep.plan(list(inv.hosts.values()))}
    return deploy, health


def test_health_expects_the_browsers_and_state_the_deploy_plan_has(ws: Workspace) -> None:
    deploy, health = _plans(ws)
    for name, plan in deploy.items():
        x = health[name].expect
        if plan.extension.action == APPLY:
            assert not x.absent, name
            assert {e.browser for e in x.extensions} == {b.browser for b in plan.extension.browsers}, name
            assert {e.extension_id for e in x.extensions} == {b.extension_id for b in plan.extension.browsers}
        elif plan.extension.action == REMOVE or plan.synchronizer.action == REMOVE:
            assert x.absent, f"{name}: the deploy removes fleet's things, health must expect them gone"
    assert deploy["main-ws02"].extension.action == APPLY
    assert {e.browser for e in health["main-ws02"].expect.extensions} == {"chrome", "edge"}
    assert {e.browser for e in health["main-ws01"].expect.extensions} == {"chrome"}
    assert deploy["main-ws03"].extension.action == REMOVE and health["main-ws03"].expect.absent
    assert deploy["gone-ws01"].extension.action == REMOVE and health["gone-ws01"].expect.absent
    assert deploy["east-srv01"].synchronizer.action == REMOVE and health["east-srv01"].expect.absent
    assert all(p.synchronizer.action in (NONE, INSTALL, REMOVE) for p in deploy.values())


def _doc(ids: dict[str, str], flavors: tuple[str, ...], practice: str = "acme_main") -> dict[str, Any]:
    """A Linux workstation's collector answer carrying our policy (with ``ids``) in ``flavors``."""
    doc: dict[str, Any] = {
        "fleet_health": 1, "collector": "posix",
        "host": {"hostname": "h", "os": "Linux", "os_version": "Debian 12", "time": NOW, "boot_time": NOW - 86400,
                 "user": "root"},
        "managed": {"kind": "not_applicable", "detail": ""},
        "disks": [{"mount": "/", "total_mb": 100_000, "free_mb": 50_000}],
        "browsers": [], "userdata": [], "profiles": [], "extensions": [], "policy_sources": [], "forcelist": [],
        "managed_values": [], "services": [], "errors": [],
    }
    for fl in ("chrome", "chromium", "edge"):
        doc["browsers"].append({"browser": fl, "binary": f"/usr/bin/{fl}", "version": "131.0.1"})
    for fl in flavors:
        ext_id = ids["edge" if fl == "edge" else "chrome"]
        src = f"{flavor('linux', fl).policy}/fleet-{practice}.json"  # where the plan writes it
        doc["policy_sources"].append({"browser": fl, "source": src, "ok": True, "error": "", "has_forcelist": True})
        doc["forcelist"].append({"browser": fl, "source": src,
                                 "entry": f"{ext_id};https://clients2.google.com/service/update2/crx"})
        for field, value in (("token", TOKEN),):  # what the plan writes (the lab's v3 variant: the token alone)
            doc["managed_values"].append({"browser": fl, "source": src, "extension_id": ext_id, "field": field,
                                          "type": "string", "sha16": fingerprint(value)})
    return doc


def _states(plan: Any, doc: dict[str, Any]) -> dict[str, State]:
    ctx = HostContext(facts_from_document(doc), plan.expect, NOW - 1, NOW)
    return {c.id: o.state for c, o in evaluate_host(plan.checks, ctx)}


def test_an_offboarded_host_is_healthy_once_the_policy_is_gone_and_failing_while_it_is_there(
        ws: Workspace) -> None:
    deploy, health = _plans(ws)
    for name, practice in (("main-ws03", "acme_main"), ("gone-ws01", "acme_gone")):
        ids = {b.browser: b.extension_id for b in deploy[name].extension.remove_browsers}
        clean = _states(health[name], _doc(ids, (), practice))
        assert clean["extension_forcelist"] is State.OK, (name, clean)
        assert clean["extension_token"] is State.OK and clean["managed_settings"] is State.OK
        # the host's own practice's file (another practice's file is not the deploy's to remove)
        left = _states(health[name], _doc(ids, ("chrome",), practice))
        assert left["extension_forcelist"] is State.CRITICAL, (name, left)
        assert left["extension_token"] is State.CRITICAL


def test_a_host_level_browser_override_is_judged_by_health(ws: Workspace) -> None:
    deploy, health = _plans(ws)
    ids = {b.browser: b.extension_id for b in deploy["main-ws02"].extension.browsers}
    chrome_only = _states(health["main-ws02"], _doc(ids, ("chrome", "chromium")))
    assert chrome_only["extension_forcelist"] is State.CRITICAL  # Edge was wanted on this host
    both = _states(health["main-ws02"], _doc(ids, ("chrome", "chromium", "edge")))
    assert both["extension_forcelist"] is State.OK  # (the token is not known here: no vault password)


def _server_doc(present: bool) -> dict[str, Any]:
    doc = _doc({}, ())
    doc["services"] = [{"name": "Synchronizer", "kind": "synchronizer", "present": present, "running": present,
                        "start": "auto" if present else "unknown", "version": "4.2.0" if present else "",
                        "probe": "pidfile", "crashes_24h": 0}]
    return doc


def test_an_offboarded_server_is_healthy_without_the_synchronizer_and_failing_with_it(ws: Workspace) -> None:
    _, health = _plans(ws)
    gone = _states(health["east-srv01"], _server_doc(False))
    for check in ("synchronizer_installed", "synchronizer_running", "synchronizer_autostart"):
        assert gone[check] is State.OK, (check, gone)
    still = _states(health["east-srv01"], _server_doc(True))
    assert still["synchronizer_installed"] is State.CRITICAL


def test_health_asks_the_deploys_own_judge_whether_anything_is_left_to_change(ws: Workspace) -> None:
    """The in_sync check: the deploy's plan judged by the deploy's function on the collector's facts.
    No vault password here: the token cannot be compared, so a host right in every other way is
    UNKNOWN (never OK on a guess), and one missing a file is WARNING with what a deploy would do."""
    deploy, health = _plans(ws)
    ids = {b.browser: b.extension_id for b in deploy["main-ws02"].extension.browsers}

    def in_sync(plan: Any, doc: dict[str, Any]) -> tuple[State, str]:
        ctx = HostContext(facts_from_document(doc), plan.expect, NOW - 1, NOW)
        check = next(c for c in plan.checks if c.id == "in_sync")
        out = dict((c.id, o) for c, o in evaluate_host([check], ctx))["in_sync"]
        return out.state, out.message

    state, msg = in_sync(health["main-ws02"], _doc(ids, ("chrome", "chromium")))
    assert state is State.WARNING and "write our policy file /etc/opt/edge/policies/managed" in msg, msg
    state, msg = in_sync(health["main-ws02"], _doc(ids, ("chrome", "chromium", "edge")))
    assert state is State.UNKNOWN and "token is not available" in msg and "would change" not in msg, msg
    gone = {b.browser: b.extension_id for b in deploy["gone-ws01"].extension.remove_browsers}
    assert in_sync(health["gone-ws01"], _doc(gone, (), "acme_gone"))[0] is State.OK
    state, msg = in_sync(health["gone-ws01"], _doc(gone, ("chrome",), "acme_gone"))
    assert state is State.WARNING and "remove our policy file /etc/opt/chrome" in msg, msg


def test_health_judges_every_host_with_the_plan_deploy_makes_for_it_made_once_per_kind_of_host(
        wsb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hosts of one practice, view, role and platform share one judging plan (the sweep makes it
    once): each host's is still exactly the deploy's plan for that host, its own name included."""
    from fleet.desired import changes
    from fleet.health import sweep as sweep_mod

    root = wsb.write({"acme": {
        "acme_main": wsb.practice("dentrix_ascend", {
            "main-ws01": linux(), "main-ws02": linux(), "main-ws03": linux(fleet_browsers=["chrome", "edge"]),
            "main-ws04": linux(fleet_state="absent"), "main-ws05": wsb.win("127.0.0.1", "workstation"),
            "main-ws06": wsb.win("127.0.0.1", "workstation"),
        }, fleet_browsers=["chrome"], fleet_pms_url="https://acme.dentrixascend.com", fleet_pms_org_alias="ACME"),
        "acme_east": wsb.practice("eaglesoft", {"east-srv01": wsb.win("127.0.0.1", "server"),
                                                "east-ws01": linux()},
                                  fleet_pms_version="21.20"),
    }})
    ws = Workspace(Path(root))
    inv = ws.inventory
    made: list[str] = []
    real = changes.judging_plan

    def counted(host: Any, *args: Any, **kw: Any) -> dict[str, Any]:
        made.append(host.name)
        return real(host, *args, **kw)

    monkeypatch.setattr(sweep_mod, "judging_plan", counted)
    hosts = list(inv.hosts.values())
    sweep = Sweep(ws, Store("sqlite://"), HealthSettings(), default_checks())
    judged = {p.host.name: p.expect.deploy_plan for p in sweep.plan(hosts)}
    for h in hosts:
        want = real(h, inv.practices[h.practice_id], {}, ws.catalog, ws.config)
        assert judged[h.name] == want, h.name
        assert judged[h.name]["host"] == h.name
    # ws01/ws02 share one plan, ws05/ws06 another; ws03 (own browsers), ws04 (absent) and each
    # server or workstation of the other practice have their own
    assert len(made) == len(hosts) - 2, made
