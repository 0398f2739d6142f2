"""Controller CPU per health round trip, by transport variant: ssh options, the process that starts ssh.

    .venv/bin/python benchmarks/sshcpu.py --dir LAB [--hosts 40] [--rounds 3]

Runs the sweep's round trip (fleet's own ssh argv and collector payload, ``fleet.health.transport``)
to ``--hosts`` lab hosts one after the other, once per variant, the variants interleaved round by
round; prints the median controller CPU (this process + its children: user + sys) per round trip.
Sequential on purpose: CPU per connection, not wall time, is what is compared, and one at a time the
machine's load distorts it least. The lab's sshd and collectors are not children of this process.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import HostJob, check_answers, host_jobs, loadavg  # noqa: E402

from fleet.health.transport import run_process  # noqa: E402


def cpu_now() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def with_options(argv: list[str], opts: list[str]) -> list[str]:
    cut = argv.index("--")
    extra = [x for o in opts for x in ("-o", o)]
    return argv[:cut] + extra + argv[cut:]


OLD_PREFIX = ["setpriv", "--pdeathsig", "KILL", "--", "/bin/sh", "-c", 'exec "$@"', "sh"]


def variants(known_dir: Path, jobs: list[HostJob]) -> dict[str, Callable[[HostJob], bytes]]:
    def fleet(opts: list[str]) -> Callable[[HostJob], bytes]:
        return lambda j: run_process(j.name, with_options(j.argv, opts), j.payload, 60, 1 << 20).stdout

    def old_prefix(j: HostJob) -> bytes:  # the per-host setpriv --pdeathsig + sh prefix fleet used before
        return run_process(j.name, OLD_PREFIX + j.argv, j.payload, 60, 1 << 20).stdout

    def bare(j: HostJob) -> bytes:  # subprocess.run: no selector loop, no guard
        return subprocess.run(j.argv, input=j.payload, capture_output=True, timeout=60).stdout

    def own_known_hosts(j: HostJob) -> bytes:  # a known_hosts file of one line instead of the lab's
        kh = known_dir / j.name
        argv = [f"UserKnownHostsFile={kh}" if a.startswith("UserKnownHostsFile=") else a for a in j.argv]
        return run_process(j.name, argv, j.payload, 60, 1 << 20).stdout

    full_kh = next((a.split("=", 1)[1] for a in jobs[0].argv if a.startswith("UserKnownHostsFile=")), "")
    if full_kh:
        lines = Path(full_kh).read_text().splitlines()
        for j in jobs:
            port = next(a.split("=", 1)[1] for a in j.argv if a.startswith("Port="))
            (known_dir / j.name).write_text("".join(ln + "\n" for ln in lines if ln.startswith(f"[127.0.0.1]:{port} ")))
    return {
        "fleet": fleet([]),
        "setpriv+sh prefix (before)": old_prefix,
        "subprocess.run": bare,
        "aes128-gcm": fleet(["Ciphers=aes128-gcm@openssh.com"]),
        "chacha20": fleet(["Ciphers=chacha20-poly1305@openssh.com"]),
        "aes128-ctr+umac": fleet(["Ciphers=aes128-ctr", "MACs=umac-64-etm@openssh.com"]),
        "Compression=no,IPQoS=none": fleet(["Compression=no", "IPQoS=none"]),
        "HostKeyAlgorithms=ssh-ed25519": fleet(["HostKeyAlgorithms=ssh-ed25519"]),
        "-F /dev/null": lambda j: run_process(j.name, [j.argv[0], "-F", "/dev/null", *j.argv[1:]], j.payload, 60,
                                              1 << 20).stdout,
        "known_hosts of one line": own_known_hosts,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, required=True)
    ap.add_argument("--hosts", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated variant names")
    ns = ap.parse_args()
    from run import all_hosts

    names = [h for h in all_hosts(ns.dir) if "-srv" not in h][: ns.hosts]
    jobs = host_jobs(ns.dir, names)
    known = Path(tempfile.mkdtemp(prefix="fleet-kh-"))
    vs = variants(known, jobs)
    if ns.only:
        vs = {k: v for k, v in vs.items() if k in ns.only.split(",")}
    print(f"load {loadavg()}; {len(jobs)} hosts x {ns.rounds} rounds", flush=True)
    got: dict[str, list[float]] = {k: [] for k in vs}
    for _ in range(ns.rounds):
        for name, fn in vs.items():
            c0 = cpu_now()
            answers = {j.name: fn(j) for j in jobs}
            got[name].append(1000 * (cpu_now() - c0) / len(jobs))
            check_answers(answers, name)
    time.sleep(0)
    base = statistics.median(got["fleet"]) if "fleet" in got else None
    for name, v in got.items():
        med = statistics.median(v)
        rel = f"  ({med - base:+.2f} vs fleet)" if base is not None and name != "fleet" else ""
        print(f"{name:32s} {med:6.2f} ms/round trip  [{', '.join(f'{x:.2f}' for x in v)}]{rel}")
    print(f"load {loadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
