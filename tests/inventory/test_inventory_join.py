"""`fleet inventory join` (#11): the inventory's fleet_join beside the join state the health sweep
saw on each Windows host, and --write / --overwrite setting the host's own fleet_join in the YAML
(comments and hand-added vars kept, nothing else changed)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from fleet.cli.main import cli
from fleet.desired.context import host_context
from fleet.health.storage import record_host
from fleet.store import HostResult, Store
from fleet.workspace import Workspace


def win(addr: str, **extra: Any) -> dict[str, Any]:
    return {"ansible_host": addr, "fleet_role": "workstation", "fleet_platform": "windows",
            "ansible_connection": "psrp", **extra}


def _sweep(root: Path, seen: dict[str, tuple[str, str]], at: dt.datetime) -> None:
    """Record one sweep's host results: host -> (status, join the collector reported)."""
    store = Store(f"sqlite:///{root}/state/fleet.db")
    try:
        run = store.start_run("health")
        for host, (status, join) in seen.items():
            record_host(store, run.id, HostResult(host, "bright_dt", "bright", status, recorded_at=at,
                                                  facts={"managed": {"kind": join, "join": join}}), [])
        store.finish_run(run.id, "ok", {})
    finally:
        store.close()


def _cli(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["-w", str(root), "inventory", "join", *args])


def test_join_lines_up_the_inventory_with_what_the_sweep_saw_and_writes_it(wsb: Any) -> None:
    hosts = {"ws-new": win("127.0.0.1"), "ws-same": win("127.0.0.1", fleet_join="workgroup"),
             "ws-wrong": win("127.0.0.1"), "ws-never": win("127.0.0.1"), "ws-entra": win("127.0.0.1"),
             "lnx": {"ansible_host": "127.0.0.1", "fleet_role": "workstation", "fleet_platform": "linux"}}
    root = wsb.write({"bright": {"bright_dt": wsb.practice("dentrix_ascend", hosts, fleet_join="domain")}})
    inv = root / "inventory" / "bright.yml"
    inv.write_text("# Bright Smiles: keep this comment\n" + inv.read_text())
    assert _cli(root).exit_code == 0  # creates the store
    t0 = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)
    _sweep(root, {"ws-new": ("ok", "domain"), "ws-wrong": ("ok", "domain"), "ws-entra": ("ok", "domain")}, t0)
    # the newest answered sweep counts; an unreachable result says nothing
    _sweep(root, {"ws-new": ("ok", "workgroup"), "ws-same": ("ok", "workgroup"), "ws-wrong": ("ok", "workgroup"),
                  "ws-entra": ("ok", "entra"), "ws-never": ("unreachable", "")}, t0 + dt.timedelta(days=1))
    _sweep(root, {"ws-new": ("unreachable", "")}, t0 + dt.timedelta(days=2))

    r = _cli(root, "--json")
    assert r.exit_code == 0, r.output
    rows = {d["host"]: d for d in json.loads(r.stdout)}
    assert set(rows) == {"ws-new", "ws-same", "ws-wrong", "ws-never", "ws-entra"}  # Windows only
    # the practice says domain for all but ws-same (its own var)
    assert {h: (d["fleet_join"], d["set_at"], d["seen"], d["action"]) for h, d in rows.items()} == {
        "ws-new": ("domain", "practice", "workgroup", "differs"),
        "ws-same": ("workgroup", "host", "workgroup", "agrees"),
        "ws-wrong": ("domain", "practice", "workgroup", "differs"),
        "ws-never": ("domain", "practice", "", "not seen"),
        "ws-entra": ("domain", "practice", "entra", "differs")}
    assert rows["ws-new"]["seen_at"].startswith("2026-12-07T03:00")
    assert "fleet inventory join --write --overwrite" in r.stderr

    # --write alone sets nothing here (every host has a practice-level value); --overwrite does
    before = inv.read_text()
    r = _cli(root, "--write")
    assert r.exit_code == 0 and inv.read_text() == before
    r = _cli(root, "--write", "--overwrite", "--json")
    assert r.exit_code == 0, r.output
    assert sorted(d["host"] for d in json.loads(r.stdout) if d["written"]) == ["ws-entra", "ws-new", "ws-wrong"]
    text = inv.read_text()
    assert text.startswith("# Bright Smiles: keep this comment\n")
    ws = Workspace(root)
    practice = ws.inventory.practices["bright_dt"]
    joins = {h.name: host_context(h, practice).join for h in practice.hosts if h.platform == "windows"}
    assert joins == {"ws-new": "workgroup", "ws-same": "workgroup", "ws-wrong": "workgroup",
                     "ws-never": "domain", "ws-entra": "entra"}
    assert practice.vars["fleet_join"] == "domain"  # the practice default stays
    assert all(d["action"] in ("agrees", "not seen") for d in json.loads(_cli(root, "--json").stdout))


def test_write_fills_only_hosts_the_inventory_says_nothing_about(wsb: Any) -> None:
    hosts = {"a": win("127.0.0.1"), "b": win("127.0.0.1", fleet_join="domain")}
    root = wsb.write({"bright": {"bright_dt": wsb.practice("dentrix_ascend", hosts)}})
    assert _cli(root).exit_code == 0
    _sweep(root, {"a": ("ok", "workgroup"), "b": ("ok", "workgroup")}, dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
    r = _cli(root, "--write", "--json")
    assert r.exit_code == 0, r.output
    assert [(d["host"], d["action"], d["written"]) for d in json.loads(r.stdout)] == [
        ("a", "set", True), ("b", "differs", False)]
    practice = Workspace(root).inventory.practices["bright_dt"]
    assert {h.name: h.vars.get("fleet_join") for h in practice.hosts} == {"a": "workgroup", "b": "domain"}


def test_overwrite_without_write_is_wrong_usage_and_no_windows_hosts_is_said(wsb: Any) -> None:
    root = wsb.write({"bright": {"bright_dt": wsb.practice("dentrix_ascend", {})}})
    r = _cli(root, "--overwrite")
    assert r.exit_code == 2 and "--overwrite goes with --write" in r.output
    r = _cli(root)
    assert r.exit_code == 0 and "no Windows hosts in the selection" in r.stderr


def test_what_a_sweep_stores_for_a_windows_host_is_what_join_reads(tmp_path: Path) -> None:
    """The chain the command relies on: a Windows collector document judged by the sweep, stored as
    the sweep stores it, read back by latest_facts and lined up by join_rows (no hand-made facts)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "health"))
    from healthkit import expectations, host, ws_facts

    from fleet.health.checks import default_checks
    from fleet.health.storage import latest_facts
    from fleet.health.sweep import SweepHost, judge
    from fleet.health.transport import RawResult
    from fleet.inventory.join import join_rows
    from fleet.secrets.redact import Redactor

    x = expectations(platform="windows")
    h = host(platform="windows")
    doc = ws_facts(collector="windows", managed={"kind": "workgroup", "detail": "WORKGROUP", "join": "workgroup"})
    plan = SweepHost(h, x, default_checks().applicable("workstation", "windows", x.install_method), None)
    judged = judge(plan, RawResult(h.name, json.dumps(doc).encode(), 0.0, 0.1, exit_code=0), Redactor(), None, 1 << 20)
    assert judged.host_result.status == "ok"
    store = Store(f"sqlite:///{tmp_path}/f.db")
    try:
        run = store.start_run("health")
        record_host(store, run.id, judged.host_result, judged.checks)
        store.finish_run(run.id, "ok", {})
        facts = latest_facts(store, [h.name])
    finally:
        store.close()
    (row,) = join_rows([h], {h.practice_id: {}}, facts)
    assert (row.host, row.said, row.seen, row.action) == (h.name, "", "workgroup", "set")
