"""The guard: runs one batch's ansible-playbook so that nothing of it outlives fleet or the batch.

ansible-runner starts the batch through pexpect, in a new session whose leader is this guard (the
``ansible-playbook`` runner finds first on the child's PATH is a two-line wrapper that execs this
file with the real one). The guard:

* asks the kernel for SIGTERM when fleet dies (``PR_SET_PDEATHSIG``), even by SIGKILL; the pty
  closing sends it SIGHUP as well;
* on SIGTERM, SIGINT or SIGHUP ends every process of its process group (ansible-playbook and its
  workers, their ssh clients): SIGTERM, then SIGKILL after ``GRACE`` seconds, and waits for them;
* always closes the batch's ssh ControlPersist masters (they daemonize out of the group) by their
  control sockets in ``$ANSIBLE_SSH_CONTROL_PATH_DIR``, then removes that directory.

It runs as a script (``python guard.py REAL_ANSIBLE_PLAYBOOK ARGS...``), importing nothing of fleet:
start-up stays at a bare interpreter's. Exit status: ansible-playbook's, or 128+signal when stopped.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time

PR_SET_PDEATHSIG = 1
GRACE = 5.0  # seconds ansible-playbook gets to stop after SIGTERM before SIGKILL ($FLEET_GUARD_GRACE)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _stat(pid: str) -> list[bytes]:
    with open(f"/proc/{pid}/stat", "rb") as f:
        return f.read().rsplit(b")", 1)[1].split()


def group_members(pgid: int, me: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``, other than ``me``."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            fields = _stat(d)  # state, ppid, pgrp, ...
        except (OSError, IndexError):
            continue
        if fields[0] != b"Z" and int(fields[2]) == pgid:
            out.append(int(d))
    return out


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def _grace() -> float:
    try:
        return max(0.1, float(os.environ.get("FLEET_GUARD_GRACE", GRACE)))
    except ValueError:
        return GRACE


def end_group(child: subprocess.Popen[bytes] | None, grace: float | None = None) -> None:
    """SIGTERM to every other process of our group, SIGKILL to those left after ``grace``; wait."""
    grace = _grace() if grace is None else grace
    me, pgid = os.getpid(), os.getpgrp()
    _signal_all(group_members(pgid, me), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if child is not None:
            child.poll()
        if not group_members(pgid, me):
            break
        time.sleep(0.05)
    _signal_all(group_members(pgid, me), signal.SIGKILL)
    if child is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=grace)
    deadline = time.monotonic() + grace
    while group_members(pgid, me) and time.monotonic() < deadline:
        time.sleep(0.05)


def close_control_masters(control_dir: str) -> None:
    """Stop the ssh masters whose sockets are in ``control_dir`` (by socket, then by command line:
    a master's title names its socket), then remove the directory."""
    if not control_dir or not os.path.isdir(control_dir):
        return
    for name in os.listdir(control_dir):
        sock = os.path.join(control_dir, name)
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["ssh", "-o", f"ControlPath={sock}", "-O", "exit", "fleet-guard"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=5, check=False)
    needle = control_dir.encode()
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            with contextlib.suppress(OSError), open(f"/proc/{d}/cmdline", "rb") as f:
                if needle in f.read():
                    _signal_all([int(d)], signal.SIGKILL)
    shutil.rmtree(control_dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    real, args = argv[0], argv[1:]
    parent = int(os.environ.pop("FLEET_GUARD_PARENT", "0") or 0)
    pidfile = os.environ.pop("FLEET_GUARD_PIDFILE", "")
    control_dir = os.environ.get("ANSIBLE_SSH_CONTROL_PATH_DIR", "")
    stopped: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        stopped.append(signum)

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)
    _die_with_parent()
    if parent and os.getppid() != parent:  # fleet died before the guard could ask to follow it
        stopped.append(signal.SIGTERM)
    if pidfile:
        with contextlib.suppress(OSError), open(pidfile, "w") as f:
            f.write(str(os.getpid()))
    child: subprocess.Popen[bytes] | None = None
    rc = 0
    try:
        if not stopped:
            child = subprocess.Popen([real, *args])
        while child is not None and not stopped:
            try:
                rc = child.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                continue
        if stopped:
            end_group(child)
            rc = 128 + stopped[0]
        elif rc < 0:
            rc = 128 - rc
    finally:
        close_control_masters(control_dir)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
