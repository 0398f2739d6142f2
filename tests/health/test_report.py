"""fleet report: every format from a real store (SQLite and PostgreSQL), read back by an independent parser.

The store holds four nightly sweeps of three clients with changes between them (a token that
breaks and is fixed, a force-install entry that disappears, a workstation that goes offline, a
check that gets worse), written through the Store API. Every expected number below is worked out
by hand from that story, not read from the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleet.cli.main import cli
from fleet.report.directory import Directory
from fleet.report.formats import render, write_report
from fleet.report.model import load_report
from fleet.store import CheckResult, HostResult, Store
from fleet.store import schema as t

# -- the story --------------------------------------------------------------------------------

# client -> (name, practice -> (name, pms, [(host, role)]))
FLEET = {
    "brightsmiles": ("Bright Smiles Dental", {
        "brightsmiles_downtown": ("Downtown office", "dentrix_ascend",
                                  [("bs-dt-ws01", "workstation"), ("bs-dt-ws02", "workstation"),
                                   ("bs-dt-ws03", "workstation")]),
        "brightsmiles_north": ("North office", "dentrix", [("bs-no-srv", "server"), ("bs-no-ws01", "workstation")]),
    }),
    "oakfamily": ("Oak Family Medicine", {
        "oakfamily_main": ("Main clinic", "athenahealth",
                           [("oak-ws01", "workstation"), ("oak-ws02", "workstation"), ("oak-ws03", "workstation"),
                            ("oak-ws04", "workstation")]),
    }),
    "zephyr": ("Zephyr Pediatrics", {
        "zephyr_central": ("Zephyr Central", "denticon", [("zep-ws01", "workstation"), ("zep-ws02", "workstation")]),
    }),
}
CLOUD_WS_CHECKS = ("extension_forcelist", "extension_token", "browser_version", "disk_free")
ONPREM_WS_CHECKS = ("disk_free",)
SERVER_CHECKS = ("synchronizer_running", "synchronizer_version", "disk_free")
ONPREM = {"brightsmiles_north"}
RUNS = 4
BASE = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
# (run index, host, check) -> state; everything else is OK
OVERRIDES = {
    (1, "bs-dt-ws02", "extension_token"): "CRITICAL",
    (2, "bs-dt-ws02", "extension_token"): "CRITICAL",  # fixed in run 3 -> resolved
    (3, "oak-ws01", "extension_forcelist"): "CRITICAL",  # newly failing in run 3
    (3, "zep-ws01", "disk_free"): "WARNING",  # newly failing in run 3
    (2, "oak-ws02", "browser_version"): "WARNING",
    (3, "oak-ws02", "browser_version"): "CRITICAL",  # worse in run 3
    (3, "zep-ws02", "browser_version"): "UNKNOWN",  # reachable host, check could not be judged
    **{(i, "bs-no-srv", "synchronizer_running"): "WARNING" for i in range(RUNS)},  # unchanged: no change
}
UNREACHABLE = {2: {"oak-ws03"}, 3: {"oak-ws03"}}  # last seen in run 1


def hosts_of() -> Iterator[tuple[str, str, str, str]]:
    for cid, (_cname, practices) in FLEET.items():
        for pid, (_pname, _pms, hosts) in practices.items():
            for host, role in hosts:
                yield cid, pid, host, role


def checks_for(pid: str, role: str) -> tuple[str, ...]:
    if role == "server":
        return SERVER_CHECKS
    return ONPREM_WS_CHECKS if pid in ONPREM else CLOUD_WS_CHECKS


def directory() -> Directory:
    return Directory(
        clients={cid: name for cid, (name, _) in FLEET.items()},
        practices={pid: {"name": pn, "pms": pms, "site": ""} for _, (_, ps) in FLEET.items()
                   for pid, (pn, pms, _) in ps.items()},
        hosts={h: {"role": role, "platform": "windows"} for _, _, h, role in hosts_of()},
    )


@dataclass
class Story:
    store: Store
    run_ids: list[str]

    def seen_at(self, i: int) -> datetime:
        return BASE + timedelta(days=i, minutes=3)


def write_story(store: Store, runs: int = RUNS, rollups: bool = True) -> Story:
    """The sweeps, recorded as the sweep records them: host rows with role/platform/install method in
    the facts, check rows, and (``rollups``) the per-practice roll-up computed by fleet.health.rollup."""
    from fleet.health.checks import default_checks
    from fleet.health.rollup import outcomes_from_store, rollup_practices
    from fleet.health.storage import record_practices

    ids = []
    for i in range(runs):
        run = store.start_run("health", selection={"all": True})
        hrs, crs = [], []
        for cid, pid, host, role in hosts_of():
            down = host in UNREACHABLE.get(i, set())
            hrs.append(HostResult(host=host, practice_id=pid, client_id=cid,
                                  status="unreachable" if down else "ok",
                                  message="ssh: connect to host timed out" if down else "",
                                  facts={"role": role, "platform": "windows",
                                         "install_method": "self_install" if pid in ONPREM else "chrome_extension"},
                                  recorded_at=BASE + timedelta(days=i, minutes=3)))
            for check in checks_for(pid, role):
                state = "UNKNOWN" if down else OVERRIDES.get((i, host, check), "OK")
                crs.append(CheckResult(host=host, practice_id=pid, client_id=cid, check_id=check, state=state,
                                       message="" if state == "OK" else f"{check} is {state.lower()} on {host}",
                                       value="42" if check == "disk_free" else ""))
        store.record_host_results(run.id, hrs)
        store.record_check_results(run.id, crs)
        if rollups:
            record_practices(store, run.id, rollup_practices(outcomes_from_store(store, run.id), default_checks()))
        store.finish_run(run.id, "ok", summary={"hosts": len(hrs)})
        # The sweeps ran on consecutive nights: move their clock back (the Store API stamps "now").
        with store.engine.begin() as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == run.id).values(
                started_at=BASE + timedelta(days=i), finished_at=BASE + timedelta(days=i, minutes=7)))
        ids.append(run.id)
    return Story(store, ids)


OTHER_CLIENT_MARKERS = {
    "oakfamily": ["brightsmiles", "Bright Smiles", "bs-dt-", "bs-no-", "zephyr", "Zephyr", "zep-ws", "Downtown office",
                  "North office"],
}


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'fleet.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_schema")
    s = Store(url)
    yield s
    s.close()


@pytest.fixture
def story(store: Store) -> Story:
    return write_story(store)


# -- the model --------------------------------------------------------------------------------


def test_latest_sweep_coverage_changes_and_last_seen(story: Story) -> None:
    rep = load_report(story.store, directory=directory())
    assert rep.run.id == story.run_ids[-1]
    assert rep.previous_run is not None and rep.previous_run.id == story.run_ids[-2]
    cov = {p.id: (p.coverage.covered, p.coverage.total, p.coverage.unknown) for p in rep.practices}
    # downtown: 3 cloud workstations, all extension checks OK. north is on-prem: no extension on
    # its workstation, so no coverage. oak: ws01 lost its forcelist entry, ws03 is unreachable.
    assert cov == {"brightsmiles_downtown": (3, 3, 0), "brightsmiles_north": (0, 0, 0),
                   "oakfamily_main": (2, 4, 1), "zephyr_central": (2, 2, 0)}
    assert (rep.coverage.covered, rep.coverage.total) == (7, 9)
    changes = {(c.kind, c.host, c.check_id) for c in rep.changes}
    assert changes == {("resolved", "bs-dt-ws02", "extension_token"), ("failing", "oak-ws01", "extension_forcelist"),
                       ("failing", "zep-ws01", "disk_free"), ("worse", "oak-ws02", "browser_version")}
    (down,) = rep.unreachable
    assert down.name == "oak-ws03" and down.last_seen == story.seen_at(1)
    assert [round(p.coverage.ratio or 0, 4) for p in rep.trend] == [1.0, round(8 / 9, 4), round(7 / 9, 4),
                                                                     round(7 / 9, 4)]
    assert rep.worst == "CRITICAL"
    # practices per roll-up state in the last sweep: downtown OK; north (server WARNING) and zephyr
    # (a disk WARNING, an UNKNOWN) WARNING; oak CRITICAL
    assert dict(rep.trend[-1].practices) == {"OK": 1, "WARNING": 2, "CRITICAL": 1, "UNKNOWN": 0}


def test_a_sweep_without_stored_rollups_reports_the_same(store: Store) -> None:
    """A sweep killed before it stored its roll-up: the report recomputes it with the sweep's code."""
    write_story(store, rollups=False)
    rep = load_report(store, directory=directory())
    cov = {p.id: (p.coverage.covered, p.coverage.total, p.coverage.unknown) for p in rep.practices}
    assert cov == {"brightsmiles_downtown": (3, 3, 0), "brightsmiles_north": (0, 0, 0),
                   "oakfamily_main": (2, 4, 1), "zephyr_central": (2, 2, 0)}
    assert [(p.coverage.covered, p.coverage.total) for p in rep.trend] == [(9, 9), (8, 9), (7, 9), (7, 9)]


def test_a_partial_sweep_in_between_does_not_make_old_failures_new(story: Story) -> None:
    """A sweep of one client only (fleet health --client zephyr), then the full nightly sweep: the
    other clients' checks compare with the last sweep that looked at them."""
    s = story.store
    run = s.start_run("health", selection={"clients": ["zephyr"]})
    s.record_check_results(run.id, [CheckResult(host="zep-ws01", practice_id="zephyr_central", client_id="zephyr",
                                                check_id="disk_free", state="WARNING")])
    s.finish_run(run.id, "ok")
    last = s.run(story.run_ids[-1])
    with s.engine.begin() as conn:  # the partial sweep ran in the afternoon before the last night
        conn.execute(t.runs.update().where(t.runs.c.id == run.id).values(
            started_at=last.started_at - timedelta(hours=10), finished_at=last.started_at - timedelta(hours=9)))
    rep = load_report(s, directory=directory())
    assert rep.previous_run.id == run.id  # type: ignore[union-attr]
    changes = {(c.kind, c.host, c.check_id) for c in rep.changes}
    assert changes == {("resolved", "bs-dt-ws02", "extension_token"), ("failing", "oak-ws01", "extension_forcelist"),
                       ("worse", "oak-ws02", "browser_version")}  # zep-ws01 disk was already WARNING at noon


def test_an_interrupted_sweep_says_so(store: Store) -> None:
    run = store.start_run("health")
    store.record_check_results(run.id, [CheckResult(host="ws1", practice_id="p", client_id="c", check_id="disk_free",
                                                    state="OK")])
    store.finish_run(run.id, "interrupted")
    html = render(load_report(store), "html")
    assert "stopped before it finished" in html and "missing, not healthy" in html


def test_an_older_run_by_id_prefix_compares_with_its_own_predecessor(story: Story) -> None:
    rep = load_report(story.store, story.run_ids[1][:8], directory=directory())
    assert rep.run.id == story.run_ids[1] and rep.previous_run.id == story.run_ids[0]  # type: ignore[union-attr]
    assert {(c.kind, c.host) for c in rep.changes} == {("failing", "bs-dt-ws02")}
    assert len(rep.trend) == 2  # history ends at the reported run


# -- formats, each read back by an independent parser ------------------------------------------


def test_json(story: Story) -> None:
    doc = json.loads(render(load_report(story.store, directory=directory()), "json"))
    assert doc["run"]["id"] == story.run_ids[-1]
    assert doc["totals"]["coverage"] == {"covered": 7, "total": 9, "unknown": 1, "ratio": round(7 / 9, 4)}
    assert doc["totals"]["checks"]["CRITICAL"] == 2 and doc["totals"]["unreachable_hosts"] == 1
    practices = {p["id"]: p for c in doc["clients"] for p in c["practices"]}
    assert practices["oakfamily_main"]["coverage"]["ratio"] == 0.5
    hosts = {h["host"]: h for p in practices.values() for h in p["hosts"]}
    assert hosts["oak-ws03"]["reachable"] is False and hosts["oak-ws03"]["last_seen"].startswith("2025-03-02T02:03")
    token = next(k for k in hosts["bs-dt-ws02"]["checks"] if k["check"] == "extension_token")
    assert token == {"check": "extension_token", "state": "OK", "previous_state": "CRITICAL", "change": "resolved",
                     "message": "", "value": ""}
    assert len(doc["trend"]) == RUNS


def test_csv_one_row_per_host_and_check(story: Story) -> None:
    text = render(load_report(story.store, directory=directory()), "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = {(h, c) for _, pid, h, role in hosts_of() for c in checks_for(pid, role)}
    assert len(rows) == len(expected)
    assert {(r["host"], r["check"]) for r in rows} == expected
    by = {(r["host"], r["check"]): r for r in rows}
    assert by[("oak-ws01", "extension_forcelist")]["state"] == "CRITICAL"
    assert by[("oak-ws01", "extension_forcelist")]["change"] == "failing"
    assert by[("oak-ws03", "disk_free")]["host_status"] == "unreachable"
    assert by[("bs-no-srv", "synchronizer_running")]["change"] == ""
    assert by[("zep-ws01", "disk_free")]["client"] == "Zephyr Pediatrics"


def test_csv_never_hands_a_spreadsheet_a_formula(store: Store) -> None:
    run = store.start_run("health")
    store.record_host_results(run.id, [HostResult(host="ws1", practice_id="p", client_id="c", status="ok")])
    store.record_check_results(run.id, [CheckResult(host="ws1", practice_id="p", client_id="c", check_id="disk_free",
                                                    state="WARNING", message='=HYPERLINK("x","y")', value="-5")])
    store.finish_run(run.id, "ok")
    (row,) = csv.DictReader(io.StringIO(render(load_report(store), "csv")))
    assert row["message"] == "'=HYPERLINK(\"x\",\"y\")" and row["value"] == "-5"


def test_junit_structure(story: Story) -> None:
    root = ET.fromstring(render(load_report(story.store, directory=directory()), "junit"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert {s.find("properties/property[@name='practice']").get("value") for s in suites} == {  # type: ignore[union-attr]
        "brightsmiles_downtown", "brightsmiles_north", "oakfamily_main", "zephyr_central"}
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for s in suites:
        cases = s.findall("testcase")
        assert all(c.get("name") and c.get("classname") and c.get("time") is not None for c in cases)
        counted = {"tests": len(cases), "failures": sum(1 for c in cases if c.find("failure") is not None),
                   "errors": sum(1 for c in cases if c.find("error") is not None),
                   "skipped": sum(1 for c in cases if c.find("skipped") is not None)}
        for k, v in counted.items():
            assert int(s.get(k)) == v, (s.get("name"), k)  # type: ignore[arg-type]
            totals[k] += v
        for attr in ("name", "timestamp", "hostname", "id", "package", "time"):
            assert s.get(attr) is not None, attr
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", s.get("timestamp") or "")
    for k, v in totals.items():
        assert int(root.get(k)) == v  # type: ignore[arg-type]
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    # failures: 2 CRITICAL + 2 WARNING on bs-no-srv... count by hand: oak-ws01 forcelist (C), oak-ws02
    # browser (C), zep-ws01 disk (W), bs-no-srv synchronizer_running (W)
    assert totals["failures"] == 4
    assert cases[("oakfamily.oakfamily_main.oak-ws01", "extension_forcelist")].find("failure").get("type") == "CRITICAL"  # type: ignore[union-attr]
    assert totals["skipped"] == len(CLOUD_WS_CHECKS)  # oak-ws03 unreachable: its checks are skipped
    assert cases[("oakfamily.oakfamily_main.oak-ws03", "disk_free")].find("skipped") is not None
    assert totals["errors"] == 1  # zep-ws02 reachable but its browser_version is UNKNOWN
    assert cases[("zephyr.zephyr_central.zep-ws02", "browser_version")].find("error") is not None


def test_prometheus_textfile_parses(story: Story, tmp_path: Path) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    out = tmp_path / "textfile" / "fleet.prom"
    write_report(load_report(story.store, directory=directory()), "prometheus", out)
    text = out.read_text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name in ("fleet_check_state", "fleet_practice_coverage_ratio", "fleet_last_sweep_timestamp_seconds",
                 "fleet_host_up", "fleet_host_last_seen_timestamp_seconds"):
        assert name in families, name
        assert f"# HELP {name} " in text and f"# TYPE {name} gauge" in text
    state = {(s.labels["host"], s.labels["check"]): s.value for s in families["fleet_check_state"].samples}
    assert state[("oak-ws01", "extension_forcelist")] == 2 and state[("zep-ws01", "disk_free")] == 1
    assert state[("oak-ws03", "disk_free")] == 3 and state[("bs-dt-ws01", "extension_token")] == 0
    ratio = {s.labels["practice"]: s.value for s in families["fleet_practice_coverage_ratio"].samples}
    assert ratio == {"brightsmiles_downtown": 1.0, "oakfamily_main": 0.5, "zephyr_central": 1.0}
    (last,) = families["fleet_last_sweep_timestamp_seconds"].samples
    assert last.value == (BASE + timedelta(days=3, minutes=7)).timestamp()
    up = {s.labels["host"]: s.value for s in families["fleet_host_up"].samples}
    assert up["oak-ws03"] == 0 and up["oak-ws01"] == 1


def test_prometheus_label_values_are_escaped(store: Store) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    host, check = 'ws"01\\a', "odd\ncheck"
    run = store.start_run("health")
    store.record_check_results(run.id, [CheckResult(host=host, practice_id="p1", client_id="c1", check_id=check,
                                                    state="WARNING")])
    store.finish_run(run.id, "ok")
    fams = {f.name: f for f in text_string_to_metric_families(render(load_report(store), "prometheus"))}
    (sample,) = fams["fleet_check_state"].samples
    assert sample.labels == {"client": "c1", "practice": "p1", "host": host, "check": check}
    assert sample.value == 1


def test_writes_are_atomic_and_readable(story: Story, tmp_path: Path) -> None:
    out = tmp_path / "textfile" / "fleet.prom"
    out.parent.mkdir()
    out.write_text("old\n")
    inode = out.stat().st_ino
    old_umask = os.umask(0o022)
    try:
        write_report(load_report(story.store, directory=directory()), "prometheus", out)
    finally:
        os.umask(old_umask)
    assert out.stat().st_ino != inode  # replaced by rename, never rewritten in place
    assert stat.S_IMODE(out.stat().st_mode) == 0o644  # node_exporter runs as another user
    assert [p.name for p in out.parent.iterdir()] == ["fleet.prom"]  # no temp file left behind


# -- per-client report -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "json", "csv", "junit", "prometheus"])
def test_client_report_holds_nothing_about_other_clients(story: Story, fmt: str) -> None:
    rep = load_report(story.store, client="oakfamily", directory=directory(), msp_name="Example MSP")
    text = render(rep, fmt)
    for marker in OTHER_CLIENT_MARKERS["oakfamily"]:
        assert marker not in text, f"{marker!r} leaked into the {fmt} report for oakfamily"
    assert "oak-ws01" in text
    if fmt == "json":  # the MSP's own details about the sweep stay out of a client's report
        assert set(json.loads(text)["run"]) == {"id", "started_at", "finished_at", "status"}
    # the trend is the client's own: 4/4, 4/4, 3/4 (ws03 gone), 2/4 (ws01 lost its entry)
    assert [(p.coverage.covered, p.coverage.total) for p in rep.trend] == [(4, 4), (4, 4), (3, 4), (2, 4)]
    assert (rep.coverage.covered, rep.coverage.total) == (2, 4)


def test_unknown_client_and_run(story: Story) -> None:
    from fleet.report.model import ReportError

    with pytest.raises(ReportError, match="no results for client 'nosuch'") as exc:
        load_report(story.store, client="nosuch")
    assert "oakfamily" in str(exc.value)
    with pytest.raises(ReportError, match="no run 'ffff0000'"):
        load_report(story.store, "ffff0000")
    deploy = story.store.start_run("deploy")
    with pytest.raises(ReportError, match="not a health sweep"):
        load_report(story.store, deploy.id)


# -- HTML without a browser: self-contained -----------------------------------------------------


class _Attrs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data") and value:
                self.urls.append(value)


def test_html_is_one_self_contained_file(story: Story) -> None:
    html = render(load_report(story.store, directory=directory(), msp_name="Example MSP"), "html")
    p = _Attrs()
    p.feed(html)
    assert p.urls and all(u.startswith("#") for u in p.urls), [u for u in p.urls if not u.startswith("#")]
    assert "link" not in p.tags and "img" not in p.tags and "iframe" not in p.tags
    assert not re.search(r"https?://|url\(|@import|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I)
    assert "<svg" in html and "<style>" in html and "<script>" in html


# -- CLI ------------------------------------------------------------------------------------------


def _ws(wsb) -> Path:  # type: ignore[no-untyped-def]
    clients = {}
    for cid, (_cname, practices) in FLEET.items():
        clients[cid] = {pid: wsb.practice(pms, {h: wsb.win(f"10.0.0.{i}", role) for i, (h, role) in enumerate(hs, 1)},
                                          fleet_practice_name=pn)
                        for pid, (pn, pms, hs) in practices.items()}
    root = wsb.write(clients, client_vars={cid: {"fleet_client_name": name} for cid, (name, _) in FLEET.items()})
    return root


def test_cli_no_sweep_yet_exits_1_with_the_next_step(wsb) -> None:  # type: ignore[no-untyped-def]
    root = _ws(wsb)
    res = CliRunner().invoke(cli, ["-w", str(root), "report", "--format", "json", "--out", str(root / "r.json")])
    assert res.exit_code == 1
    assert "no health sweep in the store yet" in res.output and "run `fleet health` first" in res.output
    assert not (root / "r.json").exists()


def test_cli_every_format_and_client_scope(wsb) -> None:  # type: ignore[no-untyped-def]
    root = _ws(wsb)
    store = Store(f"sqlite:///{root / 'state' / 'fleet.db'}")
    story = write_story(store)
    store.close()
    runner = CliRunner()
    for fmt, suffix in (("html", "html"), ("json", "json"), ("csv", "csv"), ("junit", "xml"), ("prometheus", "prom")):
        out = root / "out" / f"report.{suffix}"
        res = runner.invoke(cli, ["-w", str(root), "report", "--format", fmt, "--out", str(out)])
        assert res.exit_code == 0, res.output
        assert out.stat().st_size > 0
    doc = json.loads((root / "out" / "report.json").read_text())
    assert {c["name"] for c in doc["clients"]} == {"Bright Smiles Dental", "Oak Family Medicine", "Zephyr Pediatrics"}
    res = runner.invoke(cli, ["-w", str(root), "report", "--format", "json", "--client", "zephyr",
                              "--run", story.run_ids[0]])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["scope"]["client"] == "zephyr" and doc["run"]["id"] == story.run_ids[0]
    assert [c["id"] for c in doc["clients"]] == ["zephyr"]
    res = runner.invoke(cli, ["-w", str(root), "report", "--format", "pdf"])
    assert res.exit_code == 2
    res = runner.invoke(cli, ["-w", str(root), "report", "--out", str(root / "r.html" / "x" / "y")])
    assert res.exit_code == 0  # parent directories are created
    (root / "afile").write_text("")
    res = runner.invoke(cli, ["-w", str(root), "report", "--out", str(root / "afile" / "r.html")])
    assert res.exit_code == 1 and "cannot write the report" in res.output and "Traceback" not in res.output


def test_secrets_in_host_messages_are_redacted_when_the_vault_is_open(tmp_path: Path, clean_env: None) -> None:
    from fleet.example import EXAMPLE_VAULT_PASSWORD, example_secrets
    from fleet.workspace import Workspace, init_workspace

    root = tmp_path / "msp"
    init_workspace(root, example=True)
    ws = Workspace(root)
    practice = next(iter(ws.inventory.practices.values()))
    host = practice.hosts[0]
    secret = example_secrets()[practice.id][1]
    store = Store(ws.store_url())
    run = store.start_run("health")
    store.record_check_results(run.id, [CheckResult(host=host.name, practice_id=practice.id,
                                                    client_id=practice.client_id, check_id="extension_token",
                                                    state="CRITICAL", message=f"policy has {secret}", value=secret)])
    store.finish_run(run.id, "ok")
    store.close()
    pw = tmp_path / "pw"
    pw.write_text(EXAMPLE_VAULT_PASSWORD)
    res = CliRunner().invoke(cli, ["-w", str(root), "--vault-password-file", str(pw), "report", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert secret not in res.stdout and "<redacted:" in res.stdout


# -- HTML in a real browser -----------------------------------------------------------------------

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("chromium and chromium-driver are not installed (scripts/bootstrap installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1300,1000",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _open(driver, path: Path) -> list[dict]:  # type: ignore[no-untyped-def]
    driver.get_log("browser")  # drop anything from an earlier page
    driver.get(path.as_uri())
    return driver.get_log("browser")


def _full_page_screenshot(driver, out: Path) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1300, min(int(height) + 140, 8000))
    assert driver.save_screenshot(str(out))
    driver.set_window_size(1300, 1000)


@pytest.mark.browser
def test_html_renders_in_chromium_without_errors_or_requests(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    s = Store(f"sqlite:///{tmp_path / 'fleet.db'}")
    write_story(s)
    out = tmp_path / "fleet-report.html"
    write_report(load_report(s, directory=directory(), msp_name="Example MSP"), "html", out)
    logs = _open(browser, out)
    assert [e for e in logs if e["level"] in ("SEVERE", "WARNING")] == []
    assert browser.title.startswith("Fleet health report")
    # nothing fetched: the only resource the page loaded is itself
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    urls = browser.execute_script(
        "return Array.from(document.querySelectorAll('[src],[href]')).map(e => e.getAttribute('src') || "
        "e.getAttribute('href'))")
    assert all(u.startswith("#") for u in urls), urls
    # key numbers are text in the DOM, per practice
    shown = {el.get_attribute("id"): el.find_element(By.CSS_SELECTOR, "summary .covnum").text
             for el in browser.find_elements(By.CSS_SELECTOR, "details.practice")}
    assert shown == {"practice-brightsmiles_downtown": "100%", "practice-brightsmiles_north": "n/a",
                     "practice-oakfamily_main": "50%", "practice-zephyr_central": "100%"}
    assert browser.find_element(By.ID, "fleet-coverage").text == "78%"
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Newly failing" in body and "Resolved" in body and "oak-ws03" in body and "2025-03-02 02:03 UTC" in body
    assert browser.find_element(By.CSS_SELECTOR, "svg.trend polyline") is not None
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.trend circle")) == RUNS
    _full_page_screenshot(browser, ARTIFACTS / "report-fleet.png")
    # the filter works and raises no error
    browser.find_element(By.ID, "filter").send_keys("zep-ws02")
    visible = [el.get_attribute("id") for el in browser.find_elements(By.CSS_SELECTOR, "details.practice")
               if el.is_displayed()]
    assert visible == ["practice-zephyr_central"]
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    # printing: a PDF with the summary, toolbar hidden
    import base64

    pdf = base64.b64decode(browser.print_page())
    assert pdf.startswith(b"%PDF")
    (ARTIFACTS / "report-fleet.pdf").write_bytes(pdf)
    s.close()


@pytest.mark.browser
def test_client_report_renders_for_the_client(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    s = Store(f"sqlite:///{tmp_path / 'fleet.db'}")
    write_story(s)
    out = tmp_path / "oakfamily.html"
    write_report(load_report(s, client="oakfamily", directory=directory(), msp_name="Example MSP"), "html", out)
    logs = _open(browser, out)
    assert [e for e in logs if e["level"] == "SEVERE"] == []
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Oak Family Medicine" in body and "50%" in body
    for marker in OTHER_CLIENT_MARKERS["oakfamily"]:
        assert marker not in body
    _full_page_screenshot(browser, ARTIFACTS / "report-client-oakfamily.png")
    s.close()
