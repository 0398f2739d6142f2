"""Onboarding (fleet practice): the lifecycle store on SQLite and PostgreSQL, health's "pending"
verdict for a server the vendor's engineer has not been to, and for every practice system a walk
from "created" to "active" through the CLI, seen in `inventory validate`, `fleet health` and the
HTML report. Hosts answer on closed loopback ports: nothing leaves 127.0.0.1."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from healthkit import expectations, host, make_store, server_facts

from fleet.catalog import InstallMethod, default_catalog
from fleet.cli.main import cli
from fleet.example import example_config
from fleet.health.checks import default_checks
from fleet.health.model import State
from fleet.health.sweep import SweepHost, judge
from fleet.health.transport import RawResult
from fleet.onboarding.lifecycle import PATHS, Pending, Stage, engineer_pending
from fleet.secrets.redact import Redactor
from fleet.secrets.store import SecretKind, SecretStore
from fleet.secrets.vault import VaultPassword
from fleet.store import Store
from fleet.store import onboarding as rec

pytestmark = pytest.mark.usefixtures("clean_env")
PW = "onboarding-test-pass"


# -- the store ------------------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from make_store(request.param, tmp_path)


def test_lifecycle_state_history_and_confirmations_are_stored(store: Store) -> None:
    assert store.schema_revision() is not None and "practice_lifecycle" in store.table_names()
    assert rec.lifecycles(store) == {}
    when = dt.date(2026, 12, 14)
    assert rec.set_state(store, "p1", "c1", "install_scheduled", by="ann", source="technician",
                         note="booked", scheduled_for=when)
    (r,) = rec.lifecycles(store, ["p1"]).values()
    assert (r.state, r.scheduled_for, r.note, r.updated_by, r.source) == (
        "install_scheduled", when, "booked", "ann", "technician")
    # fleet's own move only from the states it names: a later state set by a person stays.
    assert rec.set_state(store, "p1", "c1", "installed", by="fleet health", source="fleet",
                         only_from={"created", "install_scheduled"})
    assert not rec.set_state(store, "p1", "c1", "installed", by="fleet health", source="fleet",
                             only_from={"created", "install_scheduled"})
    rec.set_state(store, "p1", "c1", "active", by="bob", source="technician")
    assert not rec.set_state(store, "p1", "c1", "installed", by="fleet health", source="fleet",
                             only_from={"created", "install_scheduled"})
    assert rec.lifecycles(store)["p1"].state == "active"
    c = rec.confirm(store, "p1", "windows_admin", by="ann", note="checked the local admins")
    rec.confirm(store, "p1", "windows_admin", by="bob")  # confirming again replaces, never duplicates
    assert rec.confirmations(store, ["p1"])["p1"]["windows_admin"].by == "bob"
    assert c.note == "checked the local admins"
    assert rec.unconfirm(store, "p1", "windows_admin", by="bob", note="shared after all")
    assert not rec.unconfirm(store, "p1", "windows_admin", by="bob")
    assert rec.confirmations(store) == {}
    history = [(e.kind, e.state or e.item, e.by, e.source) for e in rec.events(store, "p1")]
    assert history == [("state", "install_scheduled", "ann", "technician"),
                       ("state", "installed", "fleet health", "fleet"),
                       ("state", "active", "bob", "technician"),
                       ("confirm", "windows_admin", "ann", "technician"),
                       ("confirm", "windows_admin", "bob", "technician"),
                       ("unconfirm", "windows_admin", "bob", "technician")]


def test_the_newest_sweep_s_coverage_is_read_per_practice(store: Store) -> None:
    """rec.coverage_seen: per practice the roll-up of the newest sweep that judged it (a later sweep
    of other practices does not hide it), on SQLite and PostgreSQL."""
    from fleet.health.model import Coverage
    from fleet.health.rollup import PracticeRollup
    from fleet.health.storage import record_practices

    def sweep(rows: dict[str, tuple[int, int, int]]) -> str:
        run = store.start_run("health")
        record_practices(store, run.id, [PracticeRollup(pid, "c1", "chrome_extension", State.OK,
                                                        Coverage(*cov), State.OK, 0, 0, cov[1], 0)
                                         for pid, cov in rows.items()])
        store.finish_run(run.id, "ok", {})
        return run.id

    assert rec.coverage_seen(store, ["p1"]) == {}
    sweep({"p1": (1, 3, 1), "p2": (2, 2, 0)})
    newest = sweep({"p1": (3, 3, 0)})
    sweep({"p3": (0, 1, 1)})
    seen = rec.coverage_seen(store, ["p1", "p2", "p4"])
    assert set(seen) == {"p1", "p2"}
    assert (seen["p1"].covered, seen["p1"].total, seen["p1"].unknown, seen["p1"].run_id) == (3, 3, 0, newest)
    assert (seen["p2"].covered, seen["p2"].total) == (2, 2) and seen["p2"].at.tzinfo is not None


def test_a_sweep_records_extension_coverage_reached_and_lost_once_each(store: Store) -> None:
    """fleet's own history of what sweeps saw: one ``coverage`` event when the extension reaches every
    workstation the inventory lists, one when it stops; nothing on sweeps that change neither, nor
    for a sweep that judged only some of them."""
    from fleet.errors import Location
    from fleet.health.model import Coverage
    from fleet.health.rollup import PracticeRollup
    from fleet.health.storage import record_practices
    from fleet.inventory.model import Host, Practice
    from fleet.onboarding.actions import coverage_changed

    loc = Location("t")
    pvars = {"fleet_pms": "athenahealth"}
    practice = Practice("p1", "c1", pvars, tuple(Host(f"ws{i}", "p1", "c1", {**pvars, "fleet_role": "workstation"},
                                                      loc) for i in range(2)), loc)

    def sweep(covered: int, total: int, unknown: int = 0) -> list[str]:
        before = rec.coverage_seen(store, ["p1"])
        run = store.start_run("health")
        record_practices(store, run.id, [PracticeRollup("p1", "c1", "chrome_extension", State.OK,
                                                        Coverage(covered, total, unknown), State.OK, 0, 0, total, 0)])
        store.finish_run(run.id, "ok", {})
        return coverage_changed(store, [practice], before)

    assert sweep(1, 2) == []  # never complete: nothing reached, nothing lost
    assert sweep(1, 1) == []  # --limit ws0: one of the two is not full coverage
    assert sweep(2, 2) == ["p1"]
    assert sweep(2, 2) == []  # still complete: no second event
    assert sweep(1, 2, 1) == ["p1"]
    assert sweep(1, 2, 1) == []
    events = [(e.kind, e.source, e.item, e.note.split(" (")[0]) for e in rec.events(store, "p1")]
    assert events == [
        ("coverage", "fleet", "extension_coverage",
         "extension coverage reached: the extension on all 2 workstations that use the PMS"),
        ("coverage", "fleet", "extension_coverage", "extension coverage lost: 1 of 2 workstations covered, 1 unknown")]
    assert rec.lifecycles(store) == {}  # history only: the state stays the technician's


def test_a_deploy_that_wrote_the_policy_is_in_the_history(store: Store) -> None:
    from fleet.onboarding.actions import extension_deployed

    hosts = [f"ws{i:02d}" for i in range(12)]
    assert extension_deployed(store, {"p1": ["ws2", "ws1"], "p2": [], "p3": hosts}, "0123456789abcdef") == ["p1", "p3"]
    (e,) = rec.events(store, "p1")
    assert (e.kind, e.source, e.by) == ("deployed", "fleet", "fleet deploy")
    assert e.note == "extension policy written on ws1, ws2 (deploy run 0123456789ab)"
    assert rec.events(store, "p2") == []  # a re-deploy that changed nothing there records nothing
    assert rec.events(store, "p3")[0].note.startswith("extension policy written on ws00, ws01, ") and \
        "ws09 and 2 more (deploy run" in rec.events(store, "p3")[0].note
    assert rec.lifecycles(store) == {}


def test_extension_coverage_is_judged_against_the_inventory() -> None:
    """The checklist's extension_coverage: done only when the newest sweep saw the extension on as
    many workstations as the inventory lists (present, PMS used), none unknown; a sweep limited to
    some of them cannot claim it; with no such workstation listed, only a person can confirm it."""
    from fleet.errors import Location
    from fleet.inventory.model import Host, Practice
    from fleet.onboarding.status import practice_onboarding
    from fleet.store.onboarding import Confirmation, CoverageSeen

    when = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)
    loc = Location("t")
    pvars = {"fleet_pms": "athenahealth"}

    def item(hosts: dict[str, dict[str, Any]], seen: CoverageSeen | None, confirmed: bool = False) -> Any:
        members = tuple(Host(n, "p1", "c1", {**pvars, **hv}, loc) for n, hv in hosts.items())
        conf = {"extension_coverage": Confirmation("extension_coverage", "ann", when)} if confirmed else {}
        o = practice_onboarding(Practice("p1", "c1", pvars, members, loc), default_catalog(), None, conf, seen)
        (s,) = [c for c in o.checklist if c.id == "extension_coverage"]
        return s

    # the inventory's count is 4: the server, the kiosk without the PMS and the offboarded one don't count
    four = {f"ws{i}": {"fleet_role": "workstation"} for i in range(4)} | {
        "srv": {"fleet_role": "server"}, "kiosk": {"fleet_role": "workstation", "fleet_uses_pms": False},
        "old": {"fleet_role": "workstation", "fleet_state": "absent"}}
    s = item(four, CoverageSeen(4, 4, 0, when, "r1"))
    assert s.done and s.detail == "4 of 4 workstations covered in the sweep of 2026-12-07 03:00 UTC"
    assert not s.confirmable
    s = item(four, CoverageSeen(1, 1, 0, when, "r1"))  # fleet health --limit ws0
    assert not s.done and "judged 1 of the 4 workstations" in s.detail
    s = item(four, CoverageSeen(3, 4, 1, when, "r1"))
    assert not s.done and s.detail.startswith("3 of 4 workstations covered in the sweep of 2026-12-07 03:00 UTC, "
                                              "1 unknown: fleet deploy --practice p1")
    s = item(four, None)
    assert not s.done and "no health sweep has judged the practice yet" in s.detail
    assert not item(four, None, confirmed=True).done  # fleet can see them: a confirmation does not count
    s = item({}, None)
    assert not s.done and s.confirmable and "fleet cannot see it" in s.detail
    s = item({}, None, confirmed=True)
    assert s.done and s.detail.startswith("confirmed by ann")
    # not for practices a rule takes off the browser extension, nor for on-prem systems
    assert not [c for c in practice_onboarding(Practice("p2", "c1", {"fleet_pms": "dentrix"}, (), loc),
                                               default_catalog(), None, {}).checklist if c.id == "extension_coverage"]


def test_every_browser_extension_system_checks_coverage_before_active() -> None:
    from fleet.catalog import CatalogError, _checklist_item

    for system in default_catalog().systems:
        ids = [i.id for i in system.checklist]
        if system.install_method is InstallMethod.CHROME_EXTENSION:
            assert ids[-2:] == ["extension_coverage", "select_locations"], (system.id, ids)
            (cov,) = [i for i in system.checklist if i.id == "extension_coverage"]
            assert (cov.by, cov.seen, cov.before) == ("fleet", "coverage", "active")
        else:
            assert "extension_coverage" not in ids
    with pytest.raises(CatalogError, match="seen must be one of coverage"):
        _checklist_item({"id": "x", "text": "x", "by": "fleet", "seen": "uptime"}, "s")
    with pytest.raises(CatalogError, match="names one of"):
        _checklist_item({"id": "x", "text": "x", "by": "fleet", "seen": "coverage", "var": "v"}, "s")
    with pytest.raises(CatalogError, match="names no var"):
        _checklist_item({"id": "x", "text": "x", "by": "technician", "seen": "coverage"}, "s")


# -- health: pending while the vendor's engineer has not been -------------------------------------

MISSING = {"kind": "synchronizer", "present": False, "running": False, "start": "", "version": ""}
RUNNING = {"kind": "synchronizer", "present": True, "running": True, "start": "auto", "version": "4.2.0"}


def _server(pending: Pending | None, sync: dict[str, Any] = MISSING) -> dict[str, tuple[State, str]]:
    """How a Dolphin (engineer install) server is judged, with the lifecycle's pending verdict or none."""
    x = expectations(role="server", platform="linux", pms="dolphin")
    plan = SweepHost(host("server"), x, default_checks().applicable("server", "linux", x.install_method), pending)
    raw = RawResult("h1", json.dumps(server_facts(Synchronizer=sync)).encode(), 0.0, 0.1, exit_code=0)
    j = judge(plan, raw, Redactor(), None, 1 << 20)
    return {c.check_id: (State.parse(c.state), c.message) for c in j.checks}


def test_an_engineer_install_server_is_pending_not_critical_and_overdue_warns() -> None:
    today = dt.date(2026, 12, 7)
    bare = _server(None)
    assert bare["synchronizer_installed"][0] is State.CRITICAL  # what it was every night before
    pending = engineer_pending(Stage.INSTALL_SCHEDULED, "engineer_install", dt.date(2026, 12, 14), today)
    seen = _server(pending)
    for check in ("synchronizer_installed", "synchronizer_running", "synchronizer_autostart"):
        state, message = seen[check]
        assert state is State.OK and message.startswith("pending (engineer install scheduled for 2026-12-14)")
    assert seen["disk_free"] == bare["disk_free"]  # the rest of the server is judged as always
    overdue = engineer_pending(Stage.INSTALL_SCHEDULED, "engineer_install", dt.date(2026, 12, 3), today)
    assert overdue is not None and overdue.overdue
    state, message = _server(overdue)["synchronizer_installed"]
    assert state is State.WARNING and "scheduled for 2026-12-03 (4 days ago)" in message
    # Not yet scheduled: pending, saying how to record the date; once installed: judged normally.
    assert "not scheduled yet" in engineer_pending(Stage.CREATED, "engineer_install", None, today).message
    assert engineer_pending(Stage.INSTALLED, "engineer_install", None, today) is None
    assert engineer_pending(Stage.CREATED, "self_install", None, today) is None


def test_a_running_synchronizer_is_judged_as_it_is_even_when_pending() -> None:
    pending = engineer_pending(Stage.INSTALL_SCHEDULED, "engineer_install", dt.date(2026, 12, 14),
                               dt.date(2026, 12, 7))
    seen = _server(pending, RUNNING)
    assert seen["synchronizer_running"][0] is State.OK and "pending" not in seen["synchronizer_running"][1]


# -- the walk, per system ------------------------------------------------------------------------------

def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _linux(role: str = "workstation") -> dict[str, Any]:
    return {"ansible_host": "127.0.0.1", "ansible_port": _closed_port(), "fleet_role": role,
            "fleet_platform": "linux", "ansible_connection": "ssh",
            "ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no"}


# Each system's practice vars: what its catalog facts and checklist ask fleet to read.
SYSTEM_VARS: dict[str, dict[str, Any]] = {
    "athenahealth": {"fleet_pms_url": "https://athenanet.athenahealth.com/1/1/login.esp"},
    "curve_hero": {"fleet_pms_url": "https://walk.curvehero.com"},
    "cloud9": {"fleet_pms_url": "https://walk.cloud9ortho.com", "fleet_online_booking": True,
               "fleet_unavailable_appointment_classes": ["Break"], "fleet_default_appointment_type": "Recall"},
    "denticon": {"fleet_pms_url": "https://a1.denticon.com"},
    "dentrix_ascend": {"fleet_pms_url": "https://walk.dentrixascend.com", "fleet_pms_org_alias": "WALK01"},
    "eclinicalworks": {"fleet_pms_url": "https://walk.ecwcloud.com", "fleet_pms_version": "12.0",
                       "fleet_ecw_enforce_url_launcher": False},
    "modmed": {"fleet_pms_url": "https://walk.ema.md", "fleet_clinical_account": "sync-clin",
               "fleet_management_account": "sync-mgmt", "fleet_online_booking": False},
    "dentrix": {"fleet_pms_version": "G7.1"},
    "eaglesoft": {"fleet_pms_version": "21.20", "fleet_multi_location": True},
    "open_dental": {"fleet_pms_version": "23.1", "fleet_multi_clinic": True},
    "dentrix_enterprise": {},
    "dolphin": {"fleet_multi_clinic": True},
    "practiceworks": {},
    "orthotrac": {"fleet_multi_clinic": False},
}


def test_every_catalog_system_is_walked() -> None:
    assert sorted(SYSTEM_VARS) == sorted(default_catalog().ids())


class Walk:
    def __init__(self, root: Path, pid: str) -> None:
        self.root, self.pid = root, pid

    def run(self, *args: str) -> Any:
        return CliRunner().invoke(cli, ["-w", str(self.root), *args], catch_exceptions=False)

    def practice(self, *args: str) -> Any:
        return self.run("practice", *args)

    def validated(self) -> dict[str, Any]:
        r = self.run("inventory", "validate", "--json")
        assert r.exit_code == 0, r.output
        (p,) = json.loads(r.stdout)["practices"]
        return p


def _coverage_gates_active(w: Walk, root: Path, pid: str) -> None:
    """A browser-extension practice is active only once fleet has seen the extension on every
    workstation that uses the PMS: the walk's workstation is switched off (a closed port), so the
    sweep sees 0 of 1 and `--set active` is refused naming the item; then a sweep roll-up with the
    workstation covered (what `fleet health` records when it is: tests/e2e/test_health_lab.py)."""
    from fleet.health.model import Coverage
    from fleet.health.rollup import PracticeRollup
    from fleet.health.storage import record_practices

    doc = json.loads(w.run("health", "--json", "--timeout", "10").stdout)
    assert {k: doc["practices"][0]["coverage"][k] for k in ("covered", "total", "unknown")} == {
        "covered": 0, "total": 1, "unknown": 1}
    r = w.practice("status", pid, "--set", "active")
    assert r.exit_code == 1 and "extension_coverage" in r.output, r.output
    (item,) = [c for c in json.loads(w.practice("status", pid, "--json").stdout)["checklist"]
               if c["item"] == "extension_coverage"]
    assert not item["done"] and "0 of 1 workstations covered" in item["detail"] and "1 unknown" in item["detail"]
    assert w.validated()["lifecycle"]["checklist"][-2]["item"] == item["item"]  # before select_locations
    store = Store(f"sqlite:///{root}/state/fleet.db")
    try:
        run = store.start_run("health")
        record_practices(store, run.id, [PracticeRollup(pid, "walk", "chrome_extension", State.OK,
                                                        Coverage(covered=1, total=1), State.OK, 0, 0, 1, 0)])
        store.finish_run(run.id, "ok", {})
    finally:
        store.close()
    (item,) = [c for c in json.loads(w.practice("status", pid, "--json").stdout)["checklist"]
               if c["item"] == "extension_coverage"]
    assert item["done"] and item["detail"].startswith("1 of 1 workstations covered in the sweep of 20"), item


@pytest.mark.parametrize("system_id", sorted(SYSTEM_VARS))
def test_a_practice_walks_from_created_to_active_through_the_cli(wsb: Any, monkeypatch: Any, system_id: str) -> None:
    system = default_catalog().get(system_id)
    method = system.install_method.value
    pid = f"walk_{system_id}"
    hosts = {f"{pid}-ws": _linux()}
    if method != InstallMethod.CHROME_EXTENSION.value:
        hosts[f"{pid}-srv"] = _linux("server")
    cfg = copy.deepcopy(example_config())
    cfg.pop("example", None)  # these hosts are the test's own (the example workspace refuses sweeps)
    # The lab's Linux stand-in of the Synchronizer: the servers here are Linux.
    cfg["synchronizer"] |= {"linux_url": "http://127.0.0.1:9/stand-in.tar.gz", "linux_sha256": "0" * 64}
    root = wsb.write({"walk": {pid: wsb.practice(system_id, hosts, **SYSTEM_VARS[system_id])}}, config=cfg)
    kind = {"chrome_extension": SecretKind.TOKEN, "self_install": SecretKind.PRODUCT_KEY}.get(method)
    if kind:
        SecretStore(root / "inventory").set(pid, kind, f"WALK-SECRET-{system_id}", VaultPassword(PW.encode(), "t"))
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", PW)
    w = Walk(root, pid)

    # created: validate says so and lists the open items in the guide's order
    p = w.validated()
    assert p["status"].startswith("ready") and p["lifecycle"]["state"] == "created"
    todo = [f["message"].split(":")[0] for f in p["findings"] if f["level"] == "todo"]
    technician = [i.id for i in system.checklist if i.by == "technician" and i.applies(SYSTEM_VARS[system_id])]
    assert todo == [i for i in [c["item"] for c in p["lifecycle"]["checklist"] if not c["done"]]]
    assert set(technician) <= set(todo)
    assert [i for i in todo if i in technician] == technician  # the guide's order

    # skipping ahead is refused while items are open, with the items named
    r = w.practice("status", pid, "--set", "active")
    assert r.exit_code == 1 and "must be done before active" in r.output and technician[-1] in r.output

    # the technician confirms, then follows the guide's path to active
    r = w.practice("confirm", pid, *technician, "--by", "walker", "--note", "checked")
    assert r.exit_code == 0, r.output
    path = PATHS[method]
    for stage in path[1:]:
        if stage is Stage.ACTIVE and method == InstallMethod.CHROME_EXTENSION.value:
            _coverage_gates_active(w, root, pid)
        args = ["status", pid, "--set", stage.value, "--by", "walker"]
        if stage is Stage.INSTALL_SCHEDULED:
            args += ["--date", (dt.date.today() + dt.timedelta(days=3)).isoformat()]
        r = w.practice(*args)
        assert r.exit_code == 0, r.output
        if stage is Stage.INSTALL_SCHEDULED:
            doc = json.loads(w.run("health", "--json", "--timeout", "10").stdout)
            assert "waiting for the vendor's engineer" in w.run("health", "--timeout", "10").stderr
            assert doc["practices"][0]["lifecycle"]["waits_on"] == "vendor"
    status = json.loads(w.practice("status", pid, "--json").stdout)
    assert status["state"] == "active" and status["waits_on"] == "" and status["updated_by"] == "walker"
    assert [e["state"] for e in status["history"] if e["kind"] == "state"] == [s.value for s in path[1:]]
    assert all(c["done"] for c in status["checklist"])

    # active, everywhere
    p = w.validated()
    assert p["lifecycle"]["state"] == "active" and not [f for f in p["findings"] if f["level"] == "todo"]
    r = w.run("health", "--json", "--timeout", "10")
    (hp,) = json.loads(r.stdout)["practices"]
    assert hp["lifecycle"]["state"] == "active"
    html = root / "report.html"
    assert w.run("report", "--out", str(html)).exit_code == 0
    page = html.read_text()
    tag = re.search(rf'id="practice-{pid}".*?<span class="lc lc-(\w+)"', page, re.S)
    assert tag is not None and tag.group(1) == "active"
    assert re.search(r'<tr class="onboarding-client" data-client="walk">.*?<b>1</b> active', page, re.S)
    assert f"WALK-SECRET-{system_id}" not in page + r.output


def test_setting_a_state_says_what_is_wrong(wsb: Any) -> None:
    root = wsb.write({"walk": {
        "walk_dolphin": wsb.practice("dolphin", {"d-srv": _linux("server")}),
        "walk_athena": wsb.practice("athenahealth", {"a-ws": _linux()}),
    }})
    w = Walk(root, "walk_dolphin")
    r = w.practice("status", "walk_dolphin", "--set", "install_scheduled")
    assert r.exit_code == 1 and "needs the engineer's date" in r.output and "--date YYYY-MM-DD" in r.output
    r = w.practice("status", "walk_dolphin", "--set", "install_scheduled", "--date", "14/12/2026")
    assert r.exit_code == 1 and "is not a date" in r.output
    r = w.practice("status", "walk_dolphin", "--set", "credentials_submitted")
    assert r.exit_code == 1 and "not a state of a engineer_install practice" in r.output
    assert "install_scheduled" in r.output  # the states it has are listed
    r = w.practice("status", "walk_athena", "--set", "todo")
    assert r.exit_code == 1 and "needs --note" in r.output
    r = w.practice("status", "walk_athena", "--set", "todo", "--note", "credential error")
    assert r.exit_code == 0 and "todo: credential error" in r.stderr
    r = w.practice("confirm", "walk_athena", "ehr_url")
    assert r.exit_code == 1 and "checked by fleet" in r.output
    r = w.practice("confirm", "walk_athena", "nope")
    assert r.exit_code == 1 and "items to confirm: dedicated_user" in r.output
    r = w.practice("status", "walk_nope")
    assert r.exit_code == 1 and "no practice 'walk_nope'" in r.output
    # --force sets it anyway and the history says what was skipped
    r = w.practice("status", "walk_athena", "--set", "credentials_submitted", "--force", "--json")
    assert r.exit_code == 0
    last = json.loads(r.stdout)["history"][-1]
    assert last["state"] == "credentials_submitted"
    assert "[forced past open items: ehr_url, dedicated_user" in last["note"]


def test_validate_keeps_going_when_the_store_is_unreachable(wsb: Any, monkeypatch: Any) -> None:
    root = wsb.write({"walk": {"walk_athena": wsb.practice("athenahealth", {"a-ws": _linux()})}})
    monkeypatch.setenv("FLEET_STORE_URL", "postgresql+psycopg://fleet@127.0.0.1:1/none")
    r = CliRunner().invoke(cli, ["-w", str(root), "inventory", "validate", "--json"])
    doc = json.loads(r.stdout)
    assert doc["practices"][0]["lifecycle"] is None
    assert any(f["message"].startswith("onboarding state not shown: cannot open the store") for f in doc["general"])
    assert r.exit_code == 1  # the practice has no token: blocked as before, the store problem is a warning
    assert [f["message"] for f in doc["practices"][0]["findings"]] == ["no extension token stored for this practice"]


def test_a_sweep_whose_coverage_record_fails_still_finishes_and_says_so(wsb: Any, monkeypatch: Any) -> None:
    """The coverage history is a side record: with the history table unwritable (here: dropped), the
    sweep still records its hosts and roll-ups, finishes its run, exits as the hosts say, and names
    the problem on stderr instead of a traceback."""
    import sqlite3

    from fleet.health.model import Coverage
    from fleet.health.rollup import PracticeRollup
    from fleet.health.storage import practice_rows, record_practices

    root = wsb.write({"walk": {"walk_athena": wsb.practice("athenahealth", {"a-ws": _linux()},
                                                          **SYSTEM_VARS["athenahealth"])}})
    SecretStore(root / "inventory").set("walk_athena", SecretKind.TOKEN, "WALK-TOKEN-0001",
                                        VaultPassword(PW.encode(), "t"))
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", PW)
    w = Walk(root, "walk_athena")
    assert w.run("inventory", "validate").exit_code == 0  # creates the store
    store = Store(f"sqlite:///{root}/state/fleet.db")
    try:  # an earlier sweep saw the practice fully covered: this one (host switched off) sees it lost
        run = store.start_run("health")
        record_practices(store, run.id, [PracticeRollup("walk_athena", "walk", "chrome_extension", State.OK,
                                                        Coverage(1, 1), State.OK, 0, 0, 1, 0)])
        store.finish_run(run.id, "ok", {})
    finally:
        store.close()
    with sqlite3.connect(root / "state" / "fleet.db") as db:
        db.execute("DROP TABLE practice_events")
    r = CliRunner().invoke(cli, ["-w", str(root), "health", "--json", "--timeout", "10"])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    doc = json.loads(r.stdout)
    assert r.exit_code == 3 and doc["practices"][0]["coverage"]["unknown"] == 1
    assert "could not record extension coverage in the practices' history" in r.stderr
    store = Store(f"sqlite:///{root}/state/fleet.db", migrate=False)
    try:
        assert store.run(doc["run_id"]).status == "ok"
        assert [row["practice_id"] for row in practice_rows(store, doc["run_id"])] == ["walk_athena"]
    finally:
        store.close()


def test_an_offboarded_workstation_is_not_in_coverage() -> None:
    """Coverage counts the workstations that must carry the extension: an offboarded one
    (fleet_state: absent) whose extension is gone is neither covered nor missing, so the practice's
    roll-up (and its extension_coverage item) reads 1 of 1, not 2 of 2 or 1 of 2."""
    from healthkit import config, practice, ws_facts

    from fleet.health.expect import host_expectations, practice_expect
    from fleet.health.rollup import rollup_practices
    from fleet.health.settings import HealthSettings

    checks = default_checks()
    outcomes = []
    for state, doc in (("present", ws_facts()), ("absent", ws_facts(browsers=()))):
        pe = practice_expect(practice(), default_catalog(), config(), lambda: "tok-123456", state)
        x = host_expectations(host(), pe, config(), HealthSettings())
        plan = SweepHost(host(), x, checks.applicable("workstation", "linux", x.install_method), None)
        j = judge(plan, RawResult("h1", json.dumps(doc).encode(), 0.0, 0.1, exit_code=0), Redactor(), None, 1 << 20)
        outcomes.append(j.outcome)
    present, gone = outcomes
    assert present.covered(checks.coverage_ids) is not None
    assert gone.covered(checks.coverage_ids) is None
    (r,) = rollup_practices(outcomes, checks)
    assert (r.coverage.total, r.coverage.unknown) == (1, 0)
