"""Benchmark `fleet report` on a large fleet (not a test; prints figures).

    .venv/bin/python benchmarks/bench_report.py [--practices 300] [--hosts 10] [--sweeps 30] [--url URL]

Writes ``--sweeps`` nightly sweeps of ``--practices`` practices x ``--hosts`` hosts (one server,
the rest workstations of a browser-extension practice; 7 checks each; 2 % of hosts unreachable,
~5 % of checks failing, at random) into a fresh store through the Store API and the sweep's own
roll-up code, then times, for the newest sweep: loading the report model (sweep, previous sweep,
last seen, trend over all sweeps) and rendering each format, plus one per-client HTML report.
Default store: SQLite in a temporary directory; ``--url`` for PostgreSQL (a schema of its own is
created and dropped).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fleet.health.checks import default_checks  # noqa: E402
from fleet.health.rollup import outcomes_from_store, rollup_practices  # noqa: E402
from fleet.health.storage import record_practices  # noqa: E402
from fleet.report.formats import FORMATS, render  # noqa: E402
from fleet.report.model import load_report  # noqa: E402
from fleet.store import CheckResult, HostResult, Store  # noqa: E402
from fleet.store import schema as t  # noqa: E402

WS_CHECKS = ("extension_forcelist", "extension_token", "extension_installed", "browser_installed",
             "browser_version", "disk_free", "clock_skew")
SERVER_CHECKS = ("synchronizer_installed", "synchronizer_running", "synchronizer_version", "sync_endpoint",
                 "disk_free", "clock_skew", "last_boot")


def fill(store: Store, practices: int, hosts: int, sweeps: int, seed: int = 1) -> tuple[int, int]:
    rnd = random.Random(seed)
    base = datetime(2025, 1, 1, 2, tzinfo=UTC)
    checks = default_checks()
    n_hosts = n_checks = 0
    for i in range(sweeps):
        run = store.start_run("health")
        hrs, crs = [], []
        for p in range(practices):
            cid, pid = f"client{p // 5:03d}", f"practice{p:03d}"
            for h in range(hosts):
                role = "server" if h == 0 else "workstation"
                name = f"p{p:03d}-{'srv' if h == 0 else f'ws{h:02d}'}"
                down = rnd.random() < 0.02
                hrs.append(HostResult(host=name, practice_id=pid, client_id=cid, status="unreachable" if down else "ok",
                                      facts={"role": role, "platform": "windows", "install_method": "chrome_extension"},
                                      recorded_at=base + timedelta(days=i)))
                for k in SERVER_CHECKS if role == "server" else WS_CHECKS:
                    r = rnd.random()
                    state = "UNKNOWN" if down else "CRITICAL" if r < 0.02 else "WARNING" if r < 0.05 else "OK"
                    crs.append(CheckResult(host=name, practice_id=pid, client_id=cid, check_id=k, state=state,
                                           message="" if state == "OK" else f"{k} is {state.lower()}"))
        store.record_host_results(run.id, hrs)
        store.record_check_results(run.id, crs)
        record_practices(store, run.id, rollup_practices(outcomes_from_store(store, run.id), checks))
        store.finish_run(run.id, "ok")
        with store.engine.begin() as conn:  # nightly: one sweep per day
            conn.execute(t.runs.update().where(t.runs.c.id == run.id).values(
                started_at=base + timedelta(days=i), finished_at=base + timedelta(days=i, minutes=20)))
        n_hosts, n_checks = len(hrs), len(crs)
    return n_hosts, n_checks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--practices", type=int, default=300)
    ap.add_argument("--hosts", type=int, default=10, help="hosts per practice (1 server + workstations)")
    ap.add_argument("--sweeps", type=int, default=30)
    ap.add_argument("--url", help="PostgreSQL URL (default: SQLite in a temporary directory)")
    args = ap.parse_args()
    schema = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = sa.create_engine(args.url)
            with admin.begin() as conn:
                conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
            url = f"{args.url}{'&' if '?' in args.url else '?'}options=-csearch_path%3D{schema}"
        else:
            url = f"sqlite:///{tmp}/fleet.db"
        store = Store(url)
        try:
            t0 = time.perf_counter()
            n_hosts, n_checks = fill(store, args.practices, args.hosts, args.sweeps)
            print(f"store: {store.engine.dialect.name}; {args.sweeps} sweeps x {n_hosts} hosts x {n_checks} checks "
                  f"written in {time.perf_counter() - t0:.1f}s")
            for fmt in FORMATS:
                t1 = time.perf_counter()
                rep = load_report(store)
                t2 = time.perf_counter()
                text = render(rep, fmt)
                t3 = time.perf_counter()
                print(f"{fmt:>10}: {t3 - t1:5.2f}s (load {t2 - t1:.2f}s + render {t3 - t2:.2f}s), "
                      f"{len(text.encode()) / 1e6:.1f} MB")
            t1 = time.perf_counter()
            text = render(load_report(store, client="client007"), "html")
            print(f"client html: {time.perf_counter() - t1:5.2f}s, {len(text.encode()) / 1e6:.2f} MB")
        finally:
            store.close()
            if schema:
                with admin.begin() as conn:
                    conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
