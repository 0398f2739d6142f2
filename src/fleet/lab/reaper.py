"""Detached parent of lab sshd processes; also sets up each host's namespaces. Stdlib only.

Usage: ``python -I -S reaper.py LAUNCH_JSON...`` (run by file path: it imports nothing from
fleet). It forks into the background (the caller's child exits at once), starts a new session
with no controlling terminal and becomes a child subreaper. For each launch spec it forks a
child that enters new mount + UTS namespaces, bind-mounts the host's directories and execs
sshd (see fleet.lab.sshd). It then reaps children until none are left: the sshds, and any
daemon a host leaves behind (orphans are reparented here), and exits when its last host has
stopped. Without it, stopped sshds stay zombies on machines whose init does not reap orphans.
"""

import contextlib
import ctypes
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn, NotRequired, TypedDict

PR_SET_CHILD_SUBREAPER = 36
CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

libc = ctypes.CDLL(None, use_errno=True)


class LaunchSpec(TypedDict):
    """One host's launch instructions (a JSON file, written by fleet.lab.sshd.launch_spec)."""

    name: str
    hostname: str
    log: str
    pid_file: str
    mounts: list[list[str]]  # [source, target] pairs, bind-mounted in order
    keep_visible: NotRequired[list[str]]
    argv: list[str]


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _start_host(spec: LaunchSpec) -> NoReturn:
    """In a fresh child: namespaces, mounts, then exec sshd. Never returns."""
    try:
        fd = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        with open(spec["pid_file"], "w") as f:
            f.write(f"{os.getpid()}\n")
        _check(libc.unshare(CLONE_NEWNS | CLONE_NEWUTS), "unshare")
        _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
        name = spec["hostname"].encode()
        _check(libc.sethostname(name, len(name)), "sethostname")
        # Directories to bind back after the mounts hide them (a lab inside the home): hold them
        # by fd, opened in the new namespace so the bind source is one of its mounts.
        keep = [(os.open(p, os.O_PATH | os.O_DIRECTORY), p) for p in spec.get("keep_visible", [])]
        for src, dst in spec["mounts"]:
            _check(libc.mount(src.encode(), dst.encode(), None, MS_BIND, None), f"bind {src} on {dst}")
        for fd, path in keep:
            os.makedirs(path, exist_ok=True)  # inside the host's own copy of the home
            _check(libc.mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND, None), f"keep {path}")
            os.close(fd)
        os.execv(spec["argv"][0], spec["argv"])
    except BaseException as e:
        try:
            os.write(2, f"fleet lab: cannot start {spec.get('name')}: {e}\n".encode())
        finally:
            os._exit(1)


def main(spec_files: Sequence[str]) -> None:
    specs: list[LaunchSpec] = []
    for path in spec_files:
        with open(path) as f:
            specs.append(json.load(f))
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    with contextlib.suppress(AttributeError):
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    os.chdir("/")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    for spec in specs:
        if os.fork() == 0:
            _start_host(spec)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue


if __name__ == "__main__":
    main(sys.argv[1:])
