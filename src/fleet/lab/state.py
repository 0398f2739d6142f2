"""The lab's state file, ``LAB_DIR/lab.json``, and the lock that serialises changes to a lab.

The file lists every host with its port, the pid of its sshd listener (plus that process's
start time and namespace inodes, so we only ever signal the process we started), role,
practice, client and last known status. It is rewritten atomically.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fleet.lab.errors import LabError
from fleet.lab.layout import LabPaths
from fleet.lab.topology import LabSSH, LabTopology

FORMAT = 1
UP, DOWN, FAILED = "up", "down", "failed"


@dataclass
class HostRecord:
    name: str
    role: str
    practice: str
    client: str
    port: int | None = None
    pid: int | None = None
    pid_start: int | None = None  # /proc start time of pid: identifies the process beyond the pid
    mnt_ns: int | None = None
    uts_ns: int | None = None
    status: str = DOWN
    started_at: float | None = None
    error: str | None = None


@dataclass
class LabState:
    lab_dir: str
    user: str
    topology: LabTopology  # the plan (no ports); see ``connected_topology``
    hosts: dict[str, HostRecord]
    created_at: float = field(default_factory=time.time)
    created_mount_points: list[str] = field(default_factory=list)
    last_start: dict[str, Any] = field(default_factory=dict)

    @property
    def paths(self) -> LabPaths:
        return LabPaths(Path(self.lab_dir))

    @property
    def ssh(self) -> LabSSH:
        p = self.paths
        return LabSSH(user=self.user, private_key=str(p.private_key), known_hosts=str(p.known_hosts))

    def connected_topology(self) -> LabTopology:
        """The topology with ports and ssh settings: what ``write_inventory`` needs."""
        ports = {n: r.port for n, r in self.hosts.items() if r.port is not None}
        return self.topology.with_connection(ports, self.ssh)

    def record(self, name: str) -> HostRecord:
        try:
            return self.hosts[name]
        except KeyError:
            raise LabError(
                f"no host {name!r} in the lab at {self.lab_dir}",
                hint="`python -m fleet.lab status --dir DIR` lists the hosts",
            ) from None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "lab_dir": self.lab_dir,
            "user": self.user,
            "private_key": str(self.paths.private_key),
            "known_hosts": str(self.paths.known_hosts),
            "ssh_config": str(self.paths.ssh_config),
            "created_at": self.created_at,
            "created_mount_points": self.created_mount_points,
            "last_start": self.last_start,
            "topology": self.topology.plan_dict(),
            "hosts": [asdict(r) for r in self.hosts.values()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabState:
        if data.get("format") != FORMAT:
            raise LabError(f"lab state format {data.get('format')!r} is not {FORMAT}")
        known = set(HostRecord.__dataclass_fields__)
        hosts = {h["name"]: HostRecord(**{k: v for k, v in h.items() if k in known}) for h in data["hosts"]}
        return cls(
            lab_dir=data["lab_dir"],
            user=data["user"],
            topology=LabTopology.from_plan_dict(data["topology"]),
            hosts=hosts,
            created_at=data.get("created_at", 0.0),
            created_mount_points=list(data.get("created_mount_points", [])),
            last_start=dict(data.get("last_start", {})),
        )


def load_state(paths: LabPaths) -> LabState | None:
    try:
        text = paths.state_file.read_text()
    except FileNotFoundError:
        return None
    try:
        state = LabState.from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError) as e:
        raise LabError(f"cannot read lab state {paths.state_file}: {e}") from e
    state.lab_dir = str(paths.root)  # where it is now, should the directory have moved
    return state


def save_state(state: LabState) -> None:
    path = state.paths.state_file
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(state.to_dict(), indent=2) + "\n")
    os.replace(tmp, path)


@contextmanager
def locked(paths: LabPaths, timeout: float = 120.0) -> Iterator[None]:
    """Hold the lab's lock: one up/down/start/stop at a time per lab directory."""
    paths.root.mkdir(parents=True, exist_ok=True)
    fd = os.open(paths.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabError(f"the lab at {paths.root} is busy (another up/down holds its lock)") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)
