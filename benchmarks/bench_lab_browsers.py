"""What a real-browser lab costs (not a test; prints figures): memory per headless Chromium and the
time from `fleet deploy` to every browser holding the extension with the practice's settings.

    .venv/bin/python benchmarks/bench_lab_browsers.py [--practices 3] [--workstations 2] [--dir DIR] [--keep]

Starts a lab with ``--browsers real`` (root, sshd, Debian's chromium), measures each workstation's
Chromium before the deploy (PSS, i.e. shared pages split fairly between the browsers, from
/proc/PID/smaps_rollup), deploys, times ``fleet lab browsers`` (until every Chromium follows its
policy), measures again, prints the figures, and stops the lab unless --keep. Used to choose
``fleet.lab.browser.REAL_BROWSER_LIMIT`` (the largest lab ``--browsers auto`` gives real browsers).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLEET = str(Path(sys.executable).parent / "fleet")


def fleet(*args: str) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([FLEET, *args], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        sys.exit(f"fleet {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-2000:]}")
    return r


def browsers(lab: Path) -> list[dict]:
    return json.loads(fleet("lab", "browsers", "--json", "--dir", str(lab)).stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--practices", type=int, default=3)
    ap.add_argument("--workstations", type=int, default=2)
    ap.add_argument("--dir", type=Path)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    lab = args.dir or Path(tempfile.mkdtemp(prefix="fleet-bench-browsers-")) / "lab"
    t0 = time.monotonic()
    fleet("lab", "up", "--practices", str(args.practices), "--workstations", str(args.workstations),
          "--browsers", "real", "--dir", str(lab))
    up_s = time.monotonic() - t0
    try:
        time.sleep(5)  # let each Chromium settle after its start
        idle = browsers(lab)
        t0 = time.monotonic()
        fleet("-w", str(lab), "deploy", "--yes")
        deploy_s = time.monotonic() - t0
        t0 = time.monotonic()
        after = browsers(lab)
        converge_s = time.monotonic() - t0
        idle_mb = [r["memory_mb"] for r in idle]
        after_mb = [r["memory_mb"] for r in after]
        holding = sum(1 for r in after if r["settings"] == "ok")
        print(f"lab: {args.practices} practices x {args.workstations} workstations -> {len(after)} Chromium "
              f"(lab up {up_s:.1f} s)")
        print(f"memory per Chromium, PSS MB: idle median {statistics.median(idle_mb):.0f} "
              f"(min {min(idle_mb):.0f}, max {max(idle_mb):.0f}); with the extension median "
              f"{statistics.median(after_mb):.0f} (max {max(after_mb):.0f}); all browsers {sum(after_mb):.0f} MB")
        print(f"deploy {deploy_s:.1f} s; then every browser following its policy after {converge_s:.1f} s more; "
              f"{holding} hold the extension with the practice's settings (fingerprints match)")
    finally:
        if not args.keep:
            subprocess.run([FLEET, "lab", "down", "--purge", "--dir", str(lab)], capture_output=True, timeout=300)
    return 0


if __name__ == "__main__":
    sys.exit(main())
