"""The lab host engine: simulated practice hosts, each a real sshd in its own mount namespace.

``Lab(lab_dir)`` is the API (the module functions below are one-line shortcuts)::

    lab = Lab("/tmp/lab")
    state = lab.up(plan_lab(practices=3, workstations=2))  # idempotent: reuses, starts what is down
    write_inventory(state.connected_topology(), "ws/inventory")
    lab.stop_host("bs-downtown-ws01"); lab.start_host("bs-downtown-ws01")
    lab.exec_in_host("bs-downtown-ws01", ["rm", "-f", "/etc/opt/chrome/policies/managed/x.json"])
    lab.status(); lab.down()

Hosts outlive the process that started them: a detached reaper (fleet.lab.reaper) is their parent.
``down``/``stop_host`` signal only processes we can prove are ours: the recorded sshd (same pid,
start time, binary and config path) and the processes inside that host's private namespaces
(its ssh sessions and whatever they left running, e.g. a fake Synchronizer service).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fleet.lab import procs
from fleet.lab.errors import LabError
from fleet.lab.layout import (
    HostPaths,
    LabPaths,
    check_lab_dir,
    ensure_mount_points,
    lab_hidden_by_home,
    login_user,
    private_files,
    private_paths,
)
from fleet.lab.ports import allocate_ports
from fleet.lab.seed import seed_host, write_boot_time
from fleet.lab.sshd import HostRuntime, launch_spec, render_sshd_config
from fleet.lab.sshkeys import generate_key, known_hosts_lines, public_key, write_atomic
from fleet.lab.state import DOWN, FAILED, UP, HostRecord, LabState, load_state, locked, save_state
from fleet.lab.topology import LabClient, LabHost, LabPractice, LabTopology

REAPER = Path(__file__).with_name("reaper.py")
REQUIRED_TOOLS = ("nsenter", "ssh-keygen")
PREPARE_WORKERS = 16
# Executables here (inside a host) run with the argument "start", in name order, at every start
# of the host, like init scripts: a deployed service can come back after a simulated reboot.
BOOT_DIR = "/opt/fleet-lab/boot.d"
START_ATTEMPTS = 3  # a never-started host whose port was taken meanwhile gets a new port


@dataclass(frozen=True)
class HostStatus:
    """What ``Lab.status`` finds for one host."""

    name: str
    role: str
    practice: str
    client: str
    port: int | None
    pid: int | None
    process: bool  # our sshd is running
    reachable: bool  # it answers with an SSH banner on its port

    @property
    def status(self) -> str:
        if self.process and self.reachable:
            return UP
        return DOWN if not self.process and not self.reachable else "degraded"


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


class Lab:
    """A lab of simulated hosts rooted at ``lab_dir`` (created by ``up``)."""

    def __init__(self, lab_dir: str | os.PathLike[str]) -> None:
        self.paths = LabPaths.at(lab_dir)

    # ---- reading ------------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.paths.state_file.exists()

    def state(self) -> LabState:
        state = load_state(self.paths)
        if state is None:
            raise LabError(
                f"no lab at {self.paths.root}",
                hint="start one: python -m fleet.lab up --practices 2 --workstations 2 --dir DIR",
            )
        return state

    @property
    def topology(self) -> LabTopology:
        """The running lab's topology with ports and ssh settings (input of ``write_inventory``)."""
        return self.state().connected_topology()

    def status(self) -> list[HostStatus]:
        """Each host's process and SSH reachability, checked now (not the recorded status)."""
        state = self.state()

        def check(rec: HostRecord) -> HostStatus:
            alive = bool(rec.pid and procs.is_our_sshd(rec.pid, self._marker(rec.name), rec.pid_start))
            reachable = rec.port is not None and procs.ssh_banner(rec.port) is not None
            return HostStatus(rec.name, rec.role, rec.practice, rec.client, rec.port, rec.pid, alive, reachable)

        recs = list(state.hosts.values())
        with ThreadPoolExecutor(max_workers=max(1, min(32, len(recs)))) as pool:
            return list(pool.map(check, recs))

    def ssh_command(self, name: str, *command: str) -> list[str]:
        """An ``ssh`` argv that logs into host ``name`` with strict host-key checking."""
        return self._ssh_argv(self.state(), name, *command)

    def _ssh_argv(self, state: LabState, name: str, *command: str) -> list[str]:
        rec = state.record(name)
        return [
            "ssh", "-F", "/dev/null",
            "-i", str(self.paths.private_key),
            "-p", str(rec.port),
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", f"UserKnownHostsFile={self.paths.known_hosts}",
            "-o", "IdentitiesOnly=yes",
            "-o", "ConnectTimeout=10",
            f"{state.user}@127.0.0.1",
            *command,
        ]  # fmt: skip

    def exec_in_host(self, name: str, argv: Sequence[str], **run_kwargs: Any) -> subprocess.CompletedProcess[Any]:
        """Run ``argv`` inside host ``name``'s namespaces (its own /etc/opt/chrome, hostname...).

        For tests that break things on purpose. Returns the CompletedProcess (output captured as
        text unless ``run_kwargs`` say otherwise); raises LabError if the host is not running.
        """
        rec = self.state().record(name)
        if not (rec.pid and procs.is_our_sshd(rec.pid, self._marker(name), rec.pid_start)):
            raise LabError(f"lab host {name} is not running", hint=f"start it: start-host {name}")
        kwargs: dict[str, Any] = {"capture_output": True, "text": True} | run_kwargs
        cmd = ["nsenter", f"--target={rec.pid}", "--mount", "--uts", "--wd=/", "--", *argv]
        return subprocess.run(cmd, **kwargs)

    # ---- changing -----------------------------------------------------------------------------

    def up(self, topology: LabTopology | None = None, *, timeout: float = 60.0) -> LabState:
        """Create the lab (from ``topology``) or reuse it, and start every host that is not up.

        Raises LabError if ``topology`` differs from the existing lab's, or if some host failed
        to start (the others are left running; the state file says which failed and why).
        """
        _check_environment()
        check_lab_dir(self.paths.root)
        procs.raise_nofile_limit()
        with locked(self.paths):
            state = load_state(self.paths)
            if state is None:
                if topology is None:
                    raise LabError(f"no lab at {self.paths.root} and no topology to create one")
                state = self._create(topology)
            elif topology is not None and topology.plan_dict() != state.topology.plan_dict():
                raise LabError(
                    f"a different lab already exists at {self.paths.root}",
                    hint="run `down --purge` on it first, or use another directory",
                )
            for p in ensure_mount_points():
                if p not in state.created_mount_points:
                    state.created_mount_points.append(p)
            self._prepare_hosts(state)
            self._assign_ports(state, [n for n, r in state.hosts.items() if r.port is None])
            self._write_client_files(state)
            save_state(state)
            listening = procs.listening_ports()
            down = [n for n, r in state.hosts.items() if not self._is_up(r, listening)]
            self._stop(state, down, include_strays=True)  # leftovers of half-dead hosts, if any
            self._start(state, down, timeout)
            self._write_client_files(state)
            save_state(state)
        failed = {n: r.error for n, r in state.hosts.items() if r.status != UP}
        if failed:
            detail = "; ".join(f"{n}: {e}" for n, e in list(failed.items())[:5])
            raise LabError(f"{len(failed)} of {len(state.hosts)} lab hosts failed to start: {detail}")
        return state

    def start_host(self, name: str, *, timeout: float = 30.0) -> HostRecord:
        """Start one host (after ``stop_host``), on its old port; no-op if it is up."""
        _check_environment()
        with locked(self.paths):
            state = self.state()
            rec = state.record(name)
            if not self._is_up(rec):
                self._stop(state, [name])
                self._start(state, [name], timeout)
                save_state(state)
        if rec.status != UP:
            raise LabError(f"lab host {name} failed to start: {rec.error}")
        return rec

    def stop_host(self, name: str) -> list[int]:
        """Stop one host as if it were switched off: its sshd and every process in it.

        Returns the pids stopped. Its files stay; ``start_host`` boots it again.
        """
        with locked(self.paths):
            state = self.state()
            state.record(name)
            stopped = self._stop(state, [name])
            save_state(state)
        return stopped

    def down(self, *, purge: bool = False) -> list[int]:
        """Stop every host of the lab; return the pids stopped.

        Host files, keys and ports are kept so ``up`` brings the same lab back; ``purge=True``
        deletes the lab directory too. System mount points created for the lab (empty
        directories such as /etc/opt/chrome) are left: other labs may be using them.
        """
        if not self.paths.root.exists():
            return []
        with locked(self.paths):
            state = load_state(self.paths)
            stopped: list[int] = []
            if state is not None:
                stopped = self._stop(state, list(state.hosts), include_strays=True)
                save_state(state)
            if purge:
                leftovers = self._stray_sshds()
                if leftovers:
                    raise LabError(f"not purging {self.paths.root}: sshd processes {leftovers} still run")
                if state is None and not self.paths.hosts_dir.exists():
                    raise LabError(f"{self.paths.root} is not a lab directory; not deleting it")
                shutil.rmtree(self.paths.root)
        return stopped

    # ---- internals ----------------------------------------------------------------------------

    def _marker(self, name: str) -> str:
        """What our sshd's command line must contain: its config path."""
        return str(self.paths.host(name).sshd_config)

    def _is_up(self, rec: HostRecord, listening: set[int] | None = None) -> bool:
        """Our sshd runs and listens on the host's port."""
        if listening is None:
            listening = procs.listening_ports()
        return (
            rec.pid is not None
            and rec.port in listening
            and procs.is_our_sshd(rec.pid, self._marker(rec.name), rec.pid_start)
        )

    def _create(self, topology: LabTopology) -> LabState:
        user, _ = login_user()
        p = self.paths
        for d in (p.root, p.keys_dir, p.hosts_dir):
            d.mkdir(parents=True, exist_ok=True)
        plan = LabTopology.from_plan_dict(topology.plan_dict())
        hosts = {h.name: HostRecord(h.name, h.role, h.practice_id, h.client_id) for h in plan.hosts}
        state = LabState(lab_dir=str(p.root), user=user, topology=plan, hosts=hosts)
        save_state(state)
        return state

    def _prepare_hosts(self, state: LabState) -> None:
        p = self.paths
        generate_key(p.private_key, f"fleet-lab@{p.root}")
        write_atomic(p.authorized_keys, public_key(p.private_key) + "\n", 0o600)
        topo = state.topology

        def prepare(item: tuple[LabClient, LabPractice, LabHost]) -> None:
            _c, practice, host = item
            hp = p.host(host.name)
            hp.root.mkdir(parents=True, exist_ok=True)
            seed_host(hp, host, practice, topo.host_browsers(host.name))
            generate_key(hp.host_key, f"fleet-lab:{host.name}")

        # File creation dominates a first start (tens of files per host); threads overlap it.
        with ThreadPoolExecutor(max_workers=PREPARE_WORKERS) as pool:
            list(pool.map(prepare, topo.walk()))

    def _assign_ports(self, state: LabState, names: Sequence[str]) -> None:
        if not names:
            return
        taken = {r.port for r in state.hosts.values() if r.port is not None}
        for name, port in zip(names, allocate_ports(len(names), avoid=taken), strict=True):
            state.hosts[name].port = port

    def _write_client_files(self, state: LabState) -> None:
        """known_hosts for strict checking, and an ssh_config naming every host."""
        p = self.paths
        recs = [r for r in state.hosts.values() if r.port is not None]
        entries = [("127.0.0.1", r.port, public_key(p.host(r.name).host_key)) for r in recs if r.port is not None]
        lines = known_hosts_lines(entries)
        write_atomic(p.known_hosts, "\n".join(lines) + "\n")
        blocks = [
            f"Host {r.name}\n  HostName 127.0.0.1\n  Port {r.port}\n  User {state.user}\n"
            f"  IdentityFile {p.private_key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {p.known_hosts}\n"
            "  StrictHostKeyChecking yes\n  BatchMode yes\n"
            for r in recs
        ]
        write_atomic(p.ssh_config, f"# fleet lab {p.root}: ssh -F {p.ssh_config} HOST\n" + "\n".join(blocks))

    def _write_host_files(self, state: LabState, rec: HostRecord) -> HostPaths:
        hp = self.paths.host(rec.name)
        assert rec.port is not None
        rt = HostRuntime(rec.name, rec.role, rec.port, state.user, str(self.paths.authorized_keys))
        write_atomic(hp.sshd_config, render_sshd_config(hp, rt))
        keep = [str(self.paths.root)] if lab_hidden_by_home(self.paths.root) else []
        spec = launch_spec(hp, rec.name, private_paths(), private_files(), keep)
        write_atomic(hp.launch_spec, json.dumps(spec, indent=2) + "\n")
        for f in (hp.pid_file, hp.launch_pid_file):
            f.unlink(missing_ok=True)
        if rec.started_at is not None:  # a reboot; the first boot time comes from seeding
            write_boot_time(hp, time.time())
        return hp

    def _start(self, state: LabState, names: Sequence[str], timeout: float) -> None:
        """Start hosts in parallel under one detached reaper; wait until each listens."""
        t0 = time.monotonic()
        state.last_start = {"hosts": 0, "seconds": 0.0, "at": time.time()}
        if not names:
            return
        todo = list(names)
        for attempt in range(START_ATTEMPTS):
            for n in todo:
                state.hosts[n].status, state.hosts[n].error = "starting", None
            self._spawn([self._write_host_files(state, state.hosts[n]) for n in todo])
            failed = self._wait_ready(state, todo, t0 + timeout)
            # Only a host that never ran may move to another port (its port is in nobody's inventory yet).
            todo = [
                n for n in failed
                if state.hosts[n].started_at is None and "Address already in use" in (state.hosts[n].error or "")
            ]  # fmt: skip
            if not todo or attempt == START_ATTEMPTS - 1 or time.monotonic() > t0 + timeout:
                break
            for n in todo:
                state.hosts[n].port = None
            self._assign_ports(state, todo)
        state.last_start = {"hosts": len(names), "seconds": round(time.monotonic() - t0, 3), "at": time.time()}
        self._run_boot_scripts(state, [n for n in names if state.hosts[n].status == UP])

    def run_boot_scripts(self, names: Sequence[str]) -> None:
        """Run the boot scripts of these running hosts now (each script's "start" is idempotent)."""
        self._run_boot_scripts(self.state(), names)

    def _run_boot_scripts(self, state: LabState, names: Sequence[str]) -> None:
        """Run each started host's BOOT_DIR scripts over ssh (so daemons they start are reaped by
        the reaper); output goes to hosts/NAME/boot.log. A failing script does not fail the start."""
        todo = [n for n in names if self.paths.host(n).fs_path(BOOT_DIR).is_dir()]
        script = f'for f in {BOOT_DIR}/*; do [ -f "$f" ] && [ -x "$f" ] && "$f" start; done; true'

        def run(name: str) -> None:
            with open(self.paths.host(name).root / "boot.log", "ab") as log:
                log.write(f"--- boot {time.strftime('%Y-%m-%dT%H:%M:%S')}\n".encode())
                log.flush()
                try:
                    argv = self._ssh_argv(state, name, script)
                    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, timeout=120)
                except subprocess.TimeoutExpired:
                    log.write(b"boot scripts timed out\n")

        if todo:
            with ThreadPoolExecutor(max_workers=min(16, len(todo))) as pool:
                list(pool.map(run, todo))

    def _spawn(self, hosts: Sequence[HostPaths]) -> None:
        r = subprocess.run(
            [sys.executable, "-I", "-S", str(REAPER), *(str(h.launch_spec) for h in hosts)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd="/",
            start_new_session=True,
            close_fds=True,
            timeout=30,
        )
        if r.returncode != 0:
            raise LabError(f"cannot start the lab's reaper: {r.stderr.decode(errors='replace').strip()}")

    def _wait_ready(self, state: LabState, names: Sequence[str], deadline: float) -> list[str]:
        """Poll all starting hosts together; record the ready ones; return the names that failed.

        Ready = sshd wrote its pid file (it does so after listening) and its port is in LISTEN
        state; one /proc/net/tcp read per round covers every host.
        """
        pending = {n: self.paths.host(n) for n in names}
        failed: list[str] = []
        mine = procs.namespace_key(os.getpid())
        while pending:
            listening = procs.listening_ports()
            for name, hp in list(pending.items()):
                rec = state.hosts[name]
                pid = _read_pid(hp.pid_file)
                launch_pid = _read_pid(hp.launch_pid_file)
                if pid is not None and rec.port in listening:
                    key = procs.namespace_key(pid)
                    if procs.is_our_sshd(pid, self._marker(name)) and key is not None and key != mine:
                        rec.pid, rec.pid_start = pid, procs.start_time(pid)
                        rec.mnt_ns, rec.uts_ns = key.mnt, key.uts
                        rec.status, rec.started_at = UP, time.time()
                        del pending[name]
                        continue
                started_pid = pid or launch_pid
                if started_pid is not None and not procs.is_alive(started_pid):
                    rec.status, rec.error = FAILED, self._failure(hp)
                    failed.append(name)
                    del pending[name]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        for name, hp in pending.items():  # timed out: stop whatever of it runs
            pid = _read_pid(hp.pid_file) or _read_pid(hp.launch_pid_file)
            if pid and procs.is_alive(pid) and str(hp.root) in procs.cmdline(pid):
                procs.terminate([pid])
            rec = state.hosts[name]
            rec.status, rec.error = FAILED, "not ready in time. " + self._failure(hp)
            failed.append(name)
        return failed

    def _failure(self, hp: HostPaths) -> str:
        return (_tail(hp.launch_log) + " " + _tail(hp.sshd_log)).strip() or "exited without a message"

    def _stray_sshds(self) -> dict[int, str]:
        """sshd processes of this lab not necessarily in the state file: {pid: host name}."""
        prefix = f"{self.paths.hosts_dir}/"
        found: dict[int, str] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            line = procs.cmdline(int(entry.name))
            if prefix not in line or "sshd_config" not in line:
                continue
            name = line.split(prefix, 1)[1].split("/", 1)[0]
            if procs.is_our_sshd(int(entry.name), self._marker(name)):
                found[int(entry.name)] = name
        return found

    def _stop(self, state: LabState, names: Iterable[str], *, include_strays: bool = False) -> list[int]:
        """Stop hosts: their sshd listeners first (no new sessions), then all processes inside them."""
        names = list(names)
        listeners: dict[int, str] = {}
        keys: dict[str, procs.NamespaceKey] = {}
        for name in names:
            rec, hp = state.hosts[name], self.paths.host(name)
            if rec.mnt_ns and rec.uts_ns:
                keys[name] = procs.NamespaceKey(rec.mnt_ns, rec.uts_ns)
            for pid, started in ((rec.pid, rec.pid_start), (_read_pid(hp.pid_file), None)):
                if pid and procs.is_our_sshd(pid, self._marker(name), started):
                    listeners[pid] = name
        if include_strays:
            listeners |= {p: n for p, n in self._stray_sshds().items() if n in names}
        for pid, name in listeners.items():
            key = procs.namespace_key(pid)
            if key is not None and name not in keys:
                keys[name] = key
        forbidden = {procs.namespace_key(os.getpid()), procs.namespace_key(1)}
        keys = {n: k for n, k in keys.items() if k not in forbidden}
        stopped = list(listeners)
        survivors = procs.terminate(listeners)
        for _ in range(3):  # sessions, then anything a dying session started
            inside = [p for pids in procs.processes_by_namespace(keys.values()).values() for p in pids]
            if not inside:
                break
            stopped += inside
            survivors += procs.terminate(inside)
        for name in names:
            rec, hp = state.hosts[name], self.paths.host(name)
            if any(listeners.get(p) == name for p in survivors):
                rec.status, rec.error = FAILED, "could not be stopped"
                continue
            rec.pid = rec.pid_start = rec.mnt_ns = rec.uts_ns = None
            rec.status = DOWN
            for f in (hp.pid_file, hp.launch_pid_file):
                f.unlink(missing_ok=True)
        return sorted(set(stopped))


def _check_environment() -> None:
    if os.geteuid() != 0:
        raise LabError("lab hosts need root (mount namespaces and sshd)", hint="run as root, e.g. in a VM or container")
    if not os.access(procs.SSHD, os.X_OK):
        raise LabError(f"{procs.SSHD} not found", hint="apt-get install -y openssh-server")
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if missing:
        raise LabError(f"missing tools: {', '.join(missing)}", hint="apt-get install -y util-linux openssh-client")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory


# ---- shortcuts ------------------------------------------------------------------------------------


def up_lab(lab_dir: str | os.PathLike[str], topology: LabTopology | None = None, *, timeout: float = 60.0) -> LabState:
    return Lab(lab_dir).up(topology, timeout=timeout)


def down_lab(lab_dir: str | os.PathLike[str], *, purge: bool = False) -> list[int]:
    return Lab(lab_dir).down(purge=purge)


def lab_status(lab_dir: str | os.PathLike[str]) -> list[HostStatus]:
    return Lab(lab_dir).status()


def start_host(lab_dir: str | os.PathLike[str], name: str) -> HostRecord:
    return Lab(lab_dir).start_host(name)


def stop_host(lab_dir: str | os.PathLike[str], name: str) -> list[int]:
    return Lab(lab_dir).stop_host(name)


def exec_in_host(
    lab_dir: str | os.PathLike[str], name: str, argv: Sequence[str], **run_kwargs: Any
) -> subprocess.CompletedProcess[Any]:
    return Lab(lab_dir).exec_in_host(name, argv, **run_kwargs)
