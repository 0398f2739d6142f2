"""How long `fleet health` takes before its first ssh, and in all, on two source trees, interleaved.

    .venv/bin/python benchmarks/bench_sweep_startup.py --dir LAB --a OLD/src --b NEW/src [--rounds 7]

Each round runs ``fleet -w LAB health --json`` once with each tree (``PYTHONPATH``; A then B, then
B then A...) with a ``ssh`` first in ``PATH`` that notes the time of its first start and then
execs the real OpenSSH. Prints per tree the time from exec to the first ssh, the whole wall time
and the controller CPU (the command's own and its children's), medians and ranges. A lab from
``benchmarks/run.py --keep`` or ``fleet lab up`` serves; the sweep's results go into its store.
On a loaded machine the interleaving is what makes the two comparable.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRAPPER = """#!/bin/sh
# the first ssh of the run notes the time (ns) it started
[ -e "$FLEET_BENCH_MARK" ] || date +%s%N > "$FLEET_BENCH_MARK"
exec {ssh} "$@"
"""


def one(lab: Path, src: str, bindir: Path, env: dict[str, str]) -> tuple[float, float, float]:
    mark = bindir / "first-ssh"
    mark.unlink(missing_ok=True)
    env = {**env, "PYTHONPATH": src, "PATH": f"{bindir}:{env['PATH']}", "FLEET_BENCH_MARK": str(mark)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time_ns()
    r = subprocess.run([sys.executable, "-m", "fleet.cli.main", "-w", str(lab), "health", "--json"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    wall = (time.time_ns() - t0) / 1e9
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in (0, 1, 2, 3):
        raise SystemExit(f"fleet health failed ({r.returncode}): {r.stderr.decode()[-500:]}")
    first = (int(mark.read_text()) - t0) / 1e9
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return first, wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, required=True, help="a running lab's workspace")
    ap.add_argument("--a", required=True, help="PYTHONPATH of tree A (e.g. a `git archive` copy's src)")
    ap.add_argument("--b", required=True, help="PYTHONPATH of tree B")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    ssh = shutil.which("ssh")
    if not ssh:
        raise SystemExit("no ssh in PATH")
    env = dict(os.environ)
    pw = args.dir / ".vault-pass"
    if pw.is_file() and "FLEET_VAULT_PASSWORD" not in env:
        env["FLEET_VAULT_PASSWORD"] = pw.read_text().strip()
    with tempfile.TemporaryDirectory() as tmp:
        bindir = Path(tmp)
        (bindir / "ssh").write_text(WRAPPER.format(ssh=ssh))
        (bindir / "ssh").chmod(0o755)
        got: dict[str, list[tuple[float, float, float]]] = {"A": [], "B": []}
        for i in range(args.rounds):
            order = ("A", "B") if i % 2 == 0 else ("B", "A")
            for side in order:
                got[side].append(one(args.dir, args.a if side == "A" else args.b, bindir, env))
            print(f"round {i + 1}: " + "  ".join(f"{s} first ssh {got[s][-1][0]:.3f}s wall {got[s][-1][1]:.2f}s"
                                                 for s in ("A", "B")), flush=True)
    hosts = "?"
    print(f"\n{args.rounds} interleaved rounds, lab {args.dir} ({hosts} hosts), load {os.getloadavg()[0]:.1f}")
    print("| tree | exec -> first ssh, s (median, min-max) | wall s (median, min-max) | CPU s (median) |")
    print("|---|---|---|---:|")
    for side in ("A", "B"):
        f, w, c = zip(*got[side], strict=True)
        print(f"| {side} | {statistics.median(f):.3f} ({min(f):.3f}-{max(f):.3f}) | "
              f"{statistics.median(w):.2f} ({min(w):.2f}-{max(w):.2f}) | {statistics.median(c):.2f} |")
    fa = statistics.median(x[0] for x in got["A"])
    fb = statistics.median(x[0] for x in got["B"])
    print(f"\nfirst ssh: B - A = {fb - fa:+.3f} s")


if __name__ == "__main__":
    main()
