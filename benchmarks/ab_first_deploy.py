"""A first deploy, tree A against tree B, interleaved on fresh labs.

    .venv/bin/python benchmarks/ab_first_deploy.py --a OLD/src --b src [--order ABAB] [--practices 21]

Each round makes a fresh lab with the tree under test (``fleet lab up``, simulated browsers), measures
``fleet deploy --yes --json`` with ``measure.py`` (the whole process tree: wall, CPU, peak PSS), then
purges the lab. One JSON line per round on stdout. Needs root (the lab).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from measure import run_measured  # noqa: E402

FLEET = str(Path(sys.executable).parent / "fleet")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", type=Path, required=True, help="tree A's src directory")
    ap.add_argument("--b", type=Path, required=True, help="tree B's src directory")
    ap.add_argument("--order", default="ABAB", help="the rounds, in order (default ABAB)")
    ap.add_argument("--practices", type=int, default=21)
    ap.add_argument("--workstations", type=int, default=4)
    ap.add_argument("--dir", type=Path, default=Path("/tmp"), help="where the labs go")
    ns = ap.parse_args()
    trees = {"A": ns.a.resolve(), "B": ns.b.resolve()}
    for i, tag in enumerate(ns.order):
        env = {**os.environ, "PYTHONPATH": str(trees[tag])}
        lab = ns.dir / f"fleet-abfd-{os.getpid()}-{i}-{tag}"
        subprocess.run([FLEET, "lab", "up", "--practices", str(ns.practices), "--workstations", str(ns.workstations),
                        "--dir", str(lab), "--timeout", "300", "--browsers", "simulated"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        try:
            load = Path("/proc/loadavg").read_text().split()[:3]
            out = lab.with_suffix(".out")
            m = run_measured([FLEET, "-w", str(lab), "deploy", "--yes", "--json"], env=env,
                             stdout_path=str(out), stderr_path=str(lab.with_suffix(".err")))
            s = (json.loads(out.read_text() or "{}")).get("summary", {})
            print(json.dumps({"tree": tag, "rc": m.rc, "wall_s": round(m.wall_s, 1), "cpu_s": round(m.cpu_s, 1),
                              "peak_pss_mb": round(m.peak_pss_sum_mb), "hosts": s.get("hosts"),
                              "changed": s.get("changed"), "failed": s.get("failed"), "load": load,
                              "at": time.strftime("%H:%M:%S")}), flush=True)
        finally:
            subprocess.run([FLEET, "lab", "down", "--purge", "--dir", str(lab)], env=env, check=False,
                           stdout=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
