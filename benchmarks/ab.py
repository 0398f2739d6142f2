"""A/B: the same fleet command from two source trees, interleaved, on one running lab.

    .venv/bin/python benchmarks/ab.py --dir LAB_WORKSPACE --b /tmp/fleet-copy/src [--repeat 3] -- health --forks 64

A is this checkout's src/ (or --a), B a patched copy (``cp -r src playbooks roles templates COPY``);
each run is ``fleet ARGS`` with ``PYTHONPATH=<tree>`` (fleet's playbooks and roles come from beside
that src/, so a copy's patched roles are used too), measured like benchmarks/run.py (whole process
tree, measure.py). Runs alternate A, B, A, B... so a change in the machine's load hits both;
the medians and the B/A ratio are printed.

With ``--fresh-lab PRACTICES,WORKSTATIONS`` (instead of ``--dir``) every run gets a lab of its own,
made by the tree under test and purged after it: for a first deploy, e.g.

    .venv/bin/python benchmarks/ab.py --a OLD/src --b src --fresh-lab 21,4 --repeat 2 -- deploy --yes --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import run_measured  # noqa: E402

FLEET = str(Path(sys.executable).parent / "fleet")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--dir", type=Path, help="the lab workspace (FLEET_WORKSPACE)")
    where.add_argument("--fresh-lab", metavar="PRACTICES,WORKSTATIONS",
                       help="a new lab for every run, made by the tree under test (simulated browsers)")
    ap.add_argument("--a", type=Path, default=HERE.parent / "src", help="source tree A (default: this checkout)")
    ap.add_argument("--b", type=Path, required=True, help="source tree B (a patched copy's src/)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--hosts", type=int, help="hosts per run, for per-host figures (default: from --json output)")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="-- then the fleet arguments")
    ns = ap.parse_args()
    args = ns.args[1:] if ns.args[:1] == ["--"] else ns.args
    results: dict[str, list] = {"A": [], "B": []}
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_", "PYTHONPATH"))}
    for i in range(ns.repeat):
        for name, tree in (("A", ns.a), ("B", ns.b)):
            env = base | {"PYTHONPATH": str(tree.resolve()), "NO_COLOR": "1"}
            lab = Path(tempfile.mkdtemp(prefix=f"fleet-ab-{name}{i + 1}-")) if ns.fresh_lab else ns.dir
            if ns.fresh_lab:
                practices, workstations = ns.fresh_lab.split(",")
                subprocess.run([FLEET, "lab", "up", "--practices", practices, "--workstations", workstations,
                                "--dir", str(lab), "--timeout", "300", "--browsers", "simulated"],
                               env=env, check=True, stdout=subprocess.DEVNULL)
            env["FLEET_WORKSPACE"] = str(lab.resolve())
            with tempfile.NamedTemporaryFile(suffix=".out") as out, tempfile.NamedTemporaryFile(suffix=".err") as err:
                try:
                    m = run_measured([FLEET, *args], env=env, stdout_path=out.name, stderr_path=err.name)
                finally:
                    if ns.fresh_lab:
                        subprocess.run([FLEET, "lab", "down", "--purge", "--dir", str(lab)], env=env, check=False,
                                       stdout=subprocess.DEVNULL)
                text = Path(out.name).read_text()
                hosts = ns.hosts
                if hosts is None:
                    try:
                        doc = json.loads(text)
                        hosts = (doc.get("summary") or {}).get("hosts") or len(doc.get("hosts") or [])
                    except ValueError:
                        hosts = 0
                if m.rc not in (0, 1, 2, 3):
                    raise SystemExit(f"{name} run {i + 1} failed (rc {m.rc}): {Path(err.name).read_text()[-1500:]}")
            results[name].append((m, hosts))
            print(f"{name}{i + 1}: wall {m.wall_s:6.2f}s  CPU {m.cpu_s:6.2f}s  PSS {m.peak_pss_sum_mb:5.0f} MB  "
                  f"hosts {hosts}  (load {os.getloadavg()[0]:.1f})", flush=True)
    med = {k: (statistics.median(m.wall_s for m, _ in v), statistics.median(m.cpu_s for m, _ in v),
               statistics.median(h for _, h in v)) for k, v in results.items()}
    for k, (wall, cpu, hosts) in med.items():
        per = f", {1000 * cpu / hosts:.1f} ms/host" if hosts else ""
        print(f"{k} median: wall {wall:.2f}s, CPU {cpu:.2f}s{per}")
    print(f"B/A: wall {med['B'][0] / med['A'][0]:.3f}, CPU {med['B'][1] / med['A'][1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
