"""Measure one command's process tree: wall time, CPU (user + sys) and peak memory.

    python benchmarks/measure.py [--sample 0.2] [--json OUT] -- COMMAND [ARGS...]

This process becomes a *child subreaper* (prctl PR_SET_CHILD_SUBREAPER) and then runs COMMAND as
its only child, so every process COMMAND starts stays in our tree even when it daemonizes (e.g.
OpenSSH ControlPersist masters that Ansible or a ControlMaster script leave behind: they are
re-parented to us instead of to init). When COMMAND exits, the leftovers are terminated and
reaped, and the CPU of the whole tree is ``getrusage(RUSAGE_CHILDREN)`` of this process: the
kernel's own sum over every descendant that was waited for. Nothing else is in that sum: the
lab's sshd processes (and the collectors they run) are children of the lab's detached reaper,
never of this process; this measuring process's own CPU (the memory sampler) is RUSAGE_SELF
and is left out.

Memory, three ways (all in MiB):

* ``max_rss_single``: ru_maxrss of RUSAGE_CHILDREN, the largest peak RSS of any ONE process of
  the tree (the kernel records it for every reaped child).
* ``peak_rss_sum``: the tree's summed RSS, sampled every ``--sample`` seconds from /proc
  (``/proc/PID/stat`` field rss): overstates forked trees, whose children share pages.
* ``peak_pss_sum``: the tree's summed PSS (``/proc/PID/smaps_rollup``) at the same samples: shared
  pages divided among their users, so a fork that shares 80 MB with its parent is not counted twice.
  This is the figure to read for "how much RAM does the controller need".

Sampling can miss a spike shorter than the interval; max_rss_single cannot miss one.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

PR_SET_CHILD_SUBREAPER = 36
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


@dataclass
class Measurement:
    argv: list[str]
    rc: int
    wall_s: float
    user_s: float
    sys_s: float
    max_rss_single_mb: float
    peak_rss_sum_mb: float
    peak_pss_sum_mb: float
    peak_procs: int
    samples: int
    leftovers_reaped: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s


def _stat(pid: int) -> tuple[int, int] | None:
    """(ppid, rss pages) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data.rsplit(b")", 1)[1].split()
    return int(fields[1]), int(fields[21])


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(root: int) -> dict[int, int]:
    """{pid: rss pages} of ``root`` and all its descendants (one pass over /proc)."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st is not None:
                parent[int(name)], rss[int(name)] = st
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    out: dict[int, int] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        if pid in rss and pid not in out:
            out[pid] = rss[pid]
            todo += children.get(pid, [])
    return out


class Sampler(threading.Thread):
    """Sums RSS and PSS over the descendants of this process every ``interval`` seconds."""

    def __init__(self, interval: float) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.stop = threading.Event()
        self.peak_rss = 0
        self.peak_pss_kib = 0
        self.peak_procs = 0
        self.samples = 0

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.wait(self.interval):
            procs = {p: r for p, r in tree(me).items() if p != me}
            self.peak_rss = max(self.peak_rss, sum(procs.values()) * PAGE)
            self.peak_pss_kib = max(self.peak_pss_kib, sum(_pss_kib(p) for p in procs))
            self.peak_procs = max(self.peak_procs, len(procs))
            self.samples += 1


def _become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def _reap_leftovers() -> int:
    """Terminate and reap whatever of the tree outlived the command (daemonized helpers)."""
    n = 0
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = [p for p in tree(os.getpid()) if p != os.getpid()]
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return n
            if pid:
                n += 1
            else:
                time.sleep(0.02)
    return n


def measure(argv: list[str], *, sample: float = 0.2, env: dict[str, str] | None = None,
            cwd: str | None = None, stdout: Any = None, stderr: Any = None, stdin: Any = None) -> Measurement:
    """Run ``argv`` in THIS process as a subreaper (call it from a dedicated process: see main)."""
    _become_subreaper()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = Sampler(sample)
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=stdout, stderr=stderr,
                            stdin=stdin if stdin is not None else subprocess.DEVNULL)
    sampler.start()
    _, status, _ = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop.set()
    sampler.join()
    reaped = _reap_leftovers()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Measurement(
        argv=argv, rc=proc.returncode, wall_s=wall,
        user_s=after.ru_utime - before.ru_utime, sys_s=after.ru_stime - before.ru_stime,
        max_rss_single_mb=after.ru_maxrss / 1024,  # KiB on Linux
        peak_rss_sum_mb=sampler.peak_rss / MIB, peak_pss_sum_mb=sampler.peak_pss_kib / 1024,
        peak_procs=sampler.peak_procs, samples=sampler.samples, leftovers_reaped=reaped,
    )


def run_measured(argv: list[str], *, sample: float = 0.2, env: dict[str, str] | None = None,
                 cwd: str | None = None, stdout_path: str | None = None,
                 stderr_path: str | None = None, stdin_path: str | None = None) -> Measurement:
    """Measure ``argv`` from a fresh helper process (so the caller's other children, such as a
    lab, never enter the tree). Output goes to the given files."""
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        cmd = [sys.executable, os.path.abspath(__file__), "--sample", str(sample), "--json", out.name]
        for flag, value in (("--stdout", stdout_path), ("--stderr", stderr_path), ("--stdin", stdin_path)):
            if value:
                cmd += [flag, value]
        subprocess.run([*cmd, "--", *argv], env=env, cwd=cwd, check=True)
        doc = json.load(out)
    doc.pop("cpu_s", None)
    return Measurement(**doc)


def main(args: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sample", type=float, default=0.2, help="seconds between memory samples")
    ap.add_argument("--json", help="write the measurement here (default: stdout)")
    ap.add_argument("--stdout", help="the command's stdout goes to this file")
    ap.add_argument("--stderr", help="the command's stderr goes to this file")
    ap.add_argument("--stdin", help="the command reads this file on stdin")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    ns = ap.parse_args(args)
    argv = ns.command[1:] if ns.command[:1] == ["--"] else ns.command
    if not argv:
        ap.error("no command given")
    with contextlib.ExitStack() as stack:
        out, err = (stack.enter_context(open(p, "wb")) if p else None for p in (ns.stdout, ns.stderr))
        stdin = stack.enter_context(open(ns.stdin, "rb")) if ns.stdin else None
        m = measure(argv, sample=ns.sample, stdout=out, stderr=err, stdin=stdin)
    doc = asdict(m) | {"cpu_s": m.cpu_s}
    text = json.dumps(doc, indent=2)
    if ns.json:
        with open(ns.json, "w") as f:
            f.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
