"""Process helpers: identify our sshd by pid, find a host's processes, stop them, probe ports.

Nothing here kills by name. A pid is only ever signalled after checking it is still the process
we recorded (same start time, the sshd binary, our config path on its command line), or, for a
host's sessions, that it lives in that host's private mount *and* UTS namespaces.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass

SSHD = "/usr/sbin/sshd"


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (index 0 is the state letter)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return data.rpartition(")")[2].split()


def is_alive(pid: int) -> bool:
    """True if PID runs. Zombies count as dead (this machine's init may never reap them)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def start_time(pid: int) -> int | None:
    """Kernel start time of PID in clock ticks since boot: with the pid, a unique process identity."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def ns_inode(pid: int | str, kind: str) -> int | None:
    """Inode of PID's namespace of ``kind`` (mnt, uts, ...), or None if it is gone."""
    try:
        return os.stat(f"/proc/{pid}/ns/{kind}").st_ino
    except OSError:
        return None


def is_our_sshd(pid: int, marker: str, started: int | None = None) -> bool:
    """True if PID is a live sshd whose command line names ``marker`` (our config path).

    ``started`` (from ``start_time`` when we recorded the pid) guards against pid reuse.
    """
    if pid <= 1 or not is_alive(pid):
        return False
    if started is not None and start_time(pid) != started:
        return False
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
    if not os.path.basename(exe.removesuffix(" (deleted)")).startswith("sshd"):
        return False
    return marker in cmdline(pid)


@dataclass(frozen=True)
class NamespaceKey:
    """A host's namespaces: its processes are those in both (a lone inode could be recycled)."""

    mnt: int
    uts: int


def namespace_key(pid: int) -> NamespaceKey | None:
    mnt, uts = ns_inode(pid, "mnt"), ns_inode(pid, "uts")
    return NamespaceKey(mnt, uts) if mnt and uts else None


def processes_by_namespace(keys: Iterable[NamespaceKey]) -> dict[NamespaceKey, list[int]]:
    """Live pids in each of the given namespace pairs (one /proc scan for all hosts)."""
    wanted = set(keys)
    mine = namespace_key(os.getpid())
    wanted.discard(mine)  # never our own namespaces: that would be "every process on the machine"
    found: dict[NamespaceKey, list[int]] = {k: [] for k in wanted}
    if not wanted:
        return found
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        mnt = ns_inode(entry.name, "mnt")
        if mnt is None or mnt not in {k.mnt for k in wanted}:
            continue
        key = NamespaceKey(mnt, ns_inode(entry.name, "uts") or 0)
        pid = int(entry.name)
        if key in found and is_alive(pid):
            found[key].append(pid)
    return found


def terminate(pids: Iterable[int], timeout: float = 5.0) -> list[int]:
    """SIGTERM the pids, SIGKILL those still alive after ``timeout``; return any that survive."""
    pids = [p for p in pids if p > 1]
    for p in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGTERM)
    left = _wait_dead(pids, timeout)
    for p in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    return _wait_dead(left, 2.0)


def _wait_dead(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    left = [p for p in pids if is_alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.02)
        left = [p for p in left if is_alive(p)]
    return left


def tcp_connect(port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def listening_ports(address: str = "127.0.0.1") -> set[int]:
    """TCP ports in LISTEN state on ``address`` (IPv4), from one read of /proc/net/tcp.

    As good as a connect for "will a connect succeed", but costs sshd nothing: each real
    connect makes sshd fork and re-exec, which doubles the CPU needed to start 200 hosts.
    """
    want = "".join(f"{int(b):02X}" for b in reversed(address.split(".")))
    ports: set[int] = set()
    try:
        with open("/proc/net/tcp") as f:
            next(f, None)
            for line in f:
                parts = line.split()
                if len(parts) > 3 and parts[3] == "0A":
                    addr, _, port = parts[1].partition(":")
                    if addr in (want, "00000000"):
                        ports.add(int(port, 16))
    except OSError:
        pass
    return ports


def ssh_banner(port: int, host: str = "127.0.0.1", timeout: float = 3.0) -> str | None:
    """The SSH identification line the server on host:port sends, or None."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            data = b""
            while b"\n" not in data and len(data) < 256:
                chunk = s.recv(256)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    line = data.split(b"\n", 1)[0].strip().decode(errors="replace")
    return line if line.startswith("SSH-") else None


def memory_kib(pid: int) -> dict[str, int]:
    """RSS and PSS of PID in KiB (PSS shares common pages fairly between the sshds)."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                out["rss"] = int(line.split()[1])
    with contextlib.suppress(OSError), open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                out["pss"] = int(line.split()[1])
    return out


def raise_nofile_limit() -> tuple[int, int]:
    """Raise this process's open-file soft limit to the hard limit (inherited by hosts we start)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)
