"""Chromium's policy start-up gap, measured (not a test; prints figures).

A policy file written while Chromium starts, after its first read of the policy folder and before
its folder watcher is in place, is read only at Chromium's 15-minute reload. This restarts one lab
workstation's Chromium (fresh profile, no policy folder) again and again, optionally held to a share
of one core (cgroup v1 ``cpu`` controller: a loaded machine), and writes the deploy's policy file:

* ``raw``: AFTER seconds after Chromium's start (what a deploy right after the old ``lab up`` did);
* ``ready``: once ``fleet.lab.browser.await_policy_watch`` has confirmed Chromium (what ``lab up``
  does now).

Each run counts as read if the extension is installed within --wait seconds of the write.

    .venv/bin/python benchmarks/bench_policy_startup_gap.py [--cpu 10] [--after 1,3,5,7] [--runs 2] [--wait 30]

Root, sshd and Debian's chromium. Measured 2026-12-07 on 2 shared cores, --cpu 10: by hand, raw 1-7 s
after start: 6 of 9 never read within 120 s; ready: 11 of 11 read, 5.3-6.1 s after the write. This
script (--after 1,5,7 --runs 2 --wait 30, 4 min): raw 1 s: 0/2 read, 5 s: 1/2, 7 s: 2/2; ready: 2/2, 5.6 s
(Chromium re-reads a changed folder once it has been still for 5 s).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fleet.lab import Lab, browser
from fleet.lab.sshkeys import write_atomic
from fleet.lab.workspace import engine_dir

FLEET = str(Path(sys.executable).parent / "fleet")
CGROUP = Path("/sys/fs/cgroup/cpu/fleet-bench-policy-gap")


def fleet(*args: str) -> None:
    r = subprocess.run([FLEET, *args], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        sys.exit(f"fleet {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-2000:]}")


def throttle(percent: int) -> bool:
    """A cgroup holding Chromium to ``percent`` of one core (cgroup v1); False if there is none."""
    if percent >= 100 or not CGROUP.parent.is_dir():
        return False
    CGROUP.mkdir(exist_ok=True)
    period = int((CGROUP / "cpu.cfs_period_us").read_text())
    (CGROUP / "cpu.cfs_quota_us").write_text(str(period * percent // 100))
    return True


def restart_chromium(lab: Lab, host: str, throttled: bool) -> None:
    rec = lab.state().hosts[host]
    hp = lab.paths.host(host)
    browser.stop_chromium(hp, rec.mnt_ns)
    join = f"echo $$ > {CGROUP}/cgroup.procs; " if throttled else ""
    lab.exec_in_host(host, ["sh", "-c", "rm -rf /etc/chromium/policies /root/.config/chromium; "
                                        f"{join}{browser.BOOT_SCRIPT} start"], check=True)


def one_run(lab: Lab, host: str, policy: str, ext_id: str, after: float | None, wait: float,
            throttled: bool) -> tuple[bool, float]:
    restart_chromium(lab, host, throttled)
    hp = lab.paths.host(host)
    if after is None:
        late = browser.await_policy_watch({host: (hp, lab.state().hosts[host].mnt_ns)}, 120)
        if late:
            sys.exit(f"{host}: {late[host]}")
    else:
        time.sleep(after)
    d = hp.fs_path(browser.POLICY_DIR)
    d.mkdir(parents=True, exist_ok=True)
    write_atomic(d / "fleet-bench.json", policy)
    t0 = time.monotonic()
    installed = hp.fs_path(f"/root/{browser.USER_DATA}/Default/Extensions/{ext_id}")
    while time.monotonic() - t0 < wait:
        if installed.is_dir():
            return True, time.monotonic() - t0
        time.sleep(0.2)
    return False, wait


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cpu", type=int, default=10, help="percent of one core for Chromium (100: no limit)")
    ap.add_argument("--after", default="1,3,5,7", help="raw mode: seconds after Chromium's start")
    ap.add_argument("--runs", type=int, default=2, help="runs per setting")
    ap.add_argument("--wait", type=float, default=30.0, help="seconds a write may take to be read")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("needs root (lab hosts)")
    lab_dir = Path(tempfile.mkdtemp(prefix="fleet-bench-gap-")) / "lab"
    fleet("lab", "up", "--practices", "1", "--workstations", "1", "--browsers", "real", "--dir", str(lab_dir))
    try:
        fleet("-w", str(lab_dir), "deploy", "--yes")
        lab = Lab(engine_dir(lab_dir))
        host = next(n for n, r in lab.state().hosts.items() if r.role == "workstation")
        hp = lab.paths.host(host)
        ours = next(hp.fs_path(browser.POLICY_DIR).glob("fleet-*.json"))
        policy = ours.read_text()  # the deploy's file: the practice's token, kept in memory only
        ext_id = next(e for e in browser.load(engine_dir(lab_dir)).extensions.values()  # type: ignore[union-attr]
                      if e in policy)
        ours.unlink()
        throttled = throttle(args.cpu)
        print(f"Chromium held to {args.cpu}% of a core" if throttled else "Chromium not throttled")
        settings: list[float | None] = [float(a) for a in args.after.split(",") if a] + [None]
        for after in settings:
            results = [one_run(lab, host, policy, ext_id, after, args.wait, throttled) for _ in range(args.runs)]
            read = [s for ok, s in results if ok]
            label = f"raw, written {after:g} s after start" if after is not None else "ready (probe confirmed)"
            times = ", ".join(f"{s:.1f}" for s in read) or "-"
            print(f"{label:34s} read {len(read)}/{len(results)} within {args.wait:g} s (seconds: {times})")
    finally:
        subprocess.run([FLEET, "lab", "down", "--purge", "--dir", str(lab_dir)], capture_output=True, timeout=300)
        if CGROUP.is_dir():
            CGROUP.rmdir()


if __name__ == "__main__":
    main()
