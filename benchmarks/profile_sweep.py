"""Where a `fleet health` sweep spends the controller's CPU, per host and per phase.

    .venv/bin/python benchmarks/profile_sweep.py --dir LAB_WORKSPACE [--forks 64] [--cprofile OUT.pstats]

Runs the sweep in this process (``fleet.health.sweep.Sweep``, as ``fleet health`` does) against a
running lab (``fleet lab up`` / ``benchmarks/run.py --keep``) and measures each phase with
per-thread CPU clocks (``time.thread_time``, so a pool thread waiting on ssh costs nothing):

* startup: importing fleet, loading fleet.yml, the inventory and the vault (once per sweep);
* plan: expectations per host (``Sweep.plan``);
* spawn + pipes: ``collect()`` in the pool threads (argv, fork/exec of ssh, feeding the payload,
  reading the answer);
* ssh clients: the OpenSSH processes (key exchange, auth, cipher), from RUSAGE_CHILDREN;
* parse, judge: ``parse_facts`` and the evaluators (``judge`` minus parsing);
* store: ``storage.record_hosts`` (one transaction per group of answers) and the run's own rows.

With ``--cprofile`` the same run is also profiled function by function (main thread and the pool
threads' ``collect`` calls, all on thread CPU clocks) and the top functions are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

T0_CPU = time.process_time()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import fleet.health.storage as storage_mod  # noqa: E402
import fleet.health.sweep as sweep_mod  # noqa: E402

IMPORT_CPU = time.process_time() - T0_CPU


class Clock:
    """Thread-CPU seconds per phase, summed over threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **kw: Any) -> Any:
            t = time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                dt = time.thread_time() - t
                with self.lock:
                    self.cpu[name] += dt
                    self.calls[name] += 1

        return timed


class ThreadProfiles:
    """One cProfile per pool thread (thread CPU clock), merged at the end."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.all: list[cProfile.Profile] = []
        self.lock = threading.Lock()

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def profiled(*a: Any, **kw: Any) -> Any:
            prof = getattr(self.local, "prof", None)
            if prof is None:
                prof = self.local.prof = cProfile.Profile(time.thread_time)
                with self.lock:
                    self.all.append(prof)
            prof.enable()
            try:
                return fn(*a, **kw)
            finally:
                prof.disable()

        return profiled


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, required=True, help="a running lab's workspace")
    ap.add_argument("--forks", type=int, default=None)
    ap.add_argument("--hosts", type=int, default=0, help="only the first N hosts (default: all)")
    ap.add_argument("--store", help="store URL (default: a fresh SQLite file)")
    ap.add_argument("--cprofile", type=Path, help="also profile function by function; pstats file here")
    ap.add_argument("--top", type=int, default=25)
    ns = ap.parse_args()

    from fleet.health.settings import load_settings
    from fleet.store import Store
    from fleet.workspace import Workspace

    clock = Clock()
    t_start = time.process_time()
    ws = Workspace(ns.dir.resolve())
    settings = load_settings(ws.config_path)
    hosts = [h for p in ws.inventory.practices.values() for h in p.hosts]
    if ns.hosts:
        hosts = hosts[: ns.hosts]
    tmp = tempfile.mkdtemp(prefix="fleet-prof-")
    store = Store(ns.store or f"sqlite:///{tmp}/fleet.db")
    load_cpu = time.process_time() - t_start

    # instrument the phases (this process's copy of the sweep module only)
    orig_parse = sweep_mod.parse_facts
    sweep_mod.parse_facts = clock.wrap("parse", orig_parse)
    orig_judge = sweep_mod.judge
    sweep_mod.judge = clock.wrap("judge (incl. parse)", orig_judge)
    # the sweep imports fleet.health.storage when it opens the store: patch the module itself
    storage_mod.record_hosts = clock.wrap("store: record_hosts", storage_mod.record_hosts)
    storage_mod.record_practices = clock.wrap("store: practices", storage_mod.record_practices)
    orig_collect = sweep_mod.collect
    tprof = ThreadProfiles()
    collect = clock.wrap("spawn + pipes (pool threads)", orig_collect)
    sweep_mod.collect = tprof.wrap(collect) if ns.cprofile else collect
    sweep = sweep_mod.Sweep(ws, store, settings)
    sweep.plan = clock.wrap("plan (expectations)", sweep.plan)  # type: ignore[method-assign]

    main_prof = cProfile.Profile(time.thread_time) if ns.cprofile else None
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    if main_prof:
        main_prof.enable()
    result = sweep.run(hosts, sweep_mod.SweepOptions(forks=ns.forks or settings.forks, timeout=settings.timeout))
    if main_prof:
        main_prof.disable()
    wall = time.monotonic() - t0
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    n = len(result.outcomes)
    ssh_cpu = (kids1.ru_utime - kids0.ru_utime) + (kids1.ru_stime - kids0.ru_stime)
    self_cpu = (self1.ru_utime - self0.ru_utime) + (self1.ru_stime - self0.ru_stime)
    parse = clock.cpu["parse"]
    rows = [
        ("startup: import fleet.health", IMPORT_CPU, 1),
        ("startup: workspace, inventory, store open", load_cpu, 1),
        ("plan (expectations)", clock.cpu["plan (expectations)"], 1),
        ("spawn + pipes (pool threads)", clock.cpu["spawn + pipes (pool threads)"], n),
        ("ssh client processes (RUSAGE_CHILDREN)", ssh_cpu, n),
        ("parse collector JSON", parse, n),
        ("judge (evaluators, redaction)", clock.cpu["judge (incl. parse)"] - parse, n),
        ("store: host + check rows", clock.cpu["store: record_hosts"], n),
        ("store: practice roll-ups", clock.cpu["store: practices"], 1),
    ]
    accounted = sum(r[1] for r in rows[2:]) - ssh_cpu
    rows.append(("other (sweep loop, threads, GC)", max(0.0, self_cpu - accounted), n))
    print(f"sweep of {n} hosts, forks {ns.forks or settings.forks}: wall {wall:.2f}s, "
          f"fleet process CPU {self_cpu:.2f}s + ssh clients {ssh_cpu:.2f}s "
          f"= {1000 * (self_cpu + ssh_cpu) / n:.1f} ms/host (load {os.getloadavg()[0]:.1f})\n")
    print("| phase | CPU s | ms/host |\n|---|---:|---:|")
    for name, cpu, _per in rows:
        print(f"| {name} | {cpu:.3f} | {1000 * cpu / n:.2f} |")
    if ns.cprofile and main_prof:
        st = pstats.Stats(main_prof)
        for p in tprof.all:
            st.add(p)
        st.dump_stats(str(ns.cprofile))
        print(f"\ntop {ns.top} functions by own thread-CPU time (all threads):\n")
        st.sort_stats("tottime").print_stats(ns.top)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
