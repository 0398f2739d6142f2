"""Run the deploy playbook through ansible-runner: one private data dir per run, events on a queue.

What reaches disk and what does not:

* The vault password is answered to ansible-playbook's ``--ask-vault-pass`` prompt through
  runner's ``passwords`` (pexpect); it is never in argv or an env var, and ``suppress_env_files``
  keeps runner from writing it to ``env/passwords`` (which it does by default).
* runner copies this process's environment into ``artifacts/<ident>/command``: variables that
  may hold secrets (``*PASSWORD*``, ``*TOKEN*``, ``*SECRET*``, store/database URLs...) are blanked
  for the child (file paths such as ``*_PASSWORD_FILE`` are kept).
* Secrets only ever travel inside ``no_log`` tasks, so events, ``stdout`` and ``job_events`` carry
  "censored" results; the ``Redactor`` scrubs whatever fleet keeps as a second line of defence.
* ansible-playbook runs under the guard (``fleet.deploy.guard``): it stops with fleet, even when
  fleet is killed, and ``terminate()`` ends its whole process group and its ssh masters.
* Ansible's local temp dir (``ANSIBLE_LOCAL_TEMP``, where e.g. the copy module stages content)
  is inside the run dir and removed when the batch ends.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fleet.desired.plansfile import PLANS_VAR, PRELOAD_ENV
from fleet.errors import FleetError
from fleet.resources import data_dir
from fleet.secrets.vault import VaultPassword

PLAYBOOK = "deploy.yml"
VAULT_PROMPT = r"Vault password[^:\n]*:\s*$"
_SECRET_ENV = re.compile(r"PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|PRIVATE|_KEY$|STORE_URL|PG_URL|DATABASE_URL")
_KEEP_ENV = re.compile(r"(_FILE|_PATH|_DIR)$|^SSH_AUTH_SOCK$")
DEFAULT_COLLECTIONS_PATH = os.pathsep.join(["~/.ansible/collections", "/usr/share/ansible/collections"])
CONTROL_PERSIST_S = 10
FORKS_CAP = 64  # forks beyond this rarely help
# What one more fork costs: a worker is a fork of ansible-playbook, and its private copy of the
# parent's heap grows over a run: 16-17 MB a worker early in a 203-host first deploy, 22-23 MB at the
# end, 22-28 MB for a worker that builds a module's payload (docs/benchmarks.md). On 2 CPUs, 8 forks
# (4 a CPU) put that deploy at 337-349 MB PSS, 6 at 303-329 MB, and 5 at 285-295 MB, which was ~9%
# slower. Past ~3 a CPU the work is CPU-bound on the controller (templating, module payloads, ssh),
# so more forks add memory, not speed.
FORK_MB = 30
FORKS_PER_CPU = 3
FORK_MEMORY_SHARE = 0.25  # forks may take at most this share of the memory available


def default_forks(n_hosts: int, cpus: int | None = None, avail_mb: int | None = None) -> int:
    """Forks for this machine: ``FORKS_PER_CPU`` a CPU, and their memory (``FORK_MB`` each) within
    ``FORK_MEMORY_SHARE`` of the memory available; at least 5, at most FORKS_CAP and the hosts."""
    cpus = cpus or os.cpu_count() or 2
    if avail_mb is None:
        try:
            with open("/proc/meminfo") as f:
                avail_mb = next(int(line.split()[1]) // 1024 for line in f if line.startswith("MemAvailable:"))
        except (OSError, StopIteration, ValueError):
            avail_mb = 2048
    by_memory = int(avail_mb * FORK_MEMORY_SHARE) // FORK_MB
    cap = max(5, min(cpus * FORKS_PER_CPU, by_memory, FORKS_CAP))
    return max(1, min(n_hosts, cap))


def ansible_playbook() -> str:
    """The ansible-playbook of this installation (next to the running Python), else the one on PATH."""
    mine = Path(sys.executable).parent / "ansible-playbook"
    if mine.is_file() and os.access(mine, os.X_OK):
        return str(mine)
    found = shutil.which("ansible-playbook")
    if found is None:
        raise FleetError("ansible-playbook not found", hint="install fleet with its dependencies (pip install fleet)")
    return found


def scrubbed_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Overrides that blank every secret-looking variable for the ansible-playbook child."""
    return {k: "" for k in environ if _SECRET_ENV.search(k.upper()) and not _KEEP_ENV.search(k.upper())}


def collections_path() -> str:
    """Where ansible-playbook looks for collections: the ones fleet ships first (the versions its roles
    are tested with), then $ANSIBLE_COLLECTIONS_PATH if set, then Ansible's defaults."""
    rest = os.environ.get("ANSIBLE_COLLECTIONS_PATH") or DEFAULT_COLLECTIONS_PATH
    return os.pathsep.join([str(data_dir("collections")), rest])


# Python warnings Ansible's own imports print on every start (cryptography deprecating DSA, imported by
# Ansible's ssh-agent support): noise at the head of every message fleet quotes from Ansible's output.
QUIET_WARNINGS = ("ignore:::ansible._internal._ssh._ssh_agent",)


def python_warnings(current: str) -> str:
    """$PYTHONWARNINGS for Ansible's processes: the user's filters, then fleet's (later ones win)."""
    return ",".join(filter(None, [current, *QUIET_WARNINGS]))


def ansible_env(config_file: Path | None) -> dict[str, str]:
    """The variables fleet sets for every ansible-playbook it runs (on top of this process's environment)."""
    playbooks = data_dir("playbooks")
    bin_dir = str(Path(ansible_playbook()).parent)  # runner finds ansible-playbook on the child's PATH
    path = os.environ.get("PATH", "")
    env = {
        "PATH": path if bin_dir in path.split(os.pathsep) else os.pathsep.join(filter(None, [bin_dir, path])),
        "ANSIBLE_ROLES_PATH": str(data_dir("roles")),
        "ANSIBLE_FILTER_PLUGINS": str(playbooks / "filter_plugins"),
        "ANSIBLE_COLLECTIONS_PATH": collections_path(),
        "ANSIBLE_PIPELINING": "True",
        # A host's connection is shared by its tasks (ControlMaster), and its master ends soon after the
        # host's last task: each one is ~1.5 MB, and with 60 s (Ansible's default) a 203-host first
        # deploy held ~110 of them at its peak (165 of its 559 MB PSS).
        "ANSIBLE_SSH_ARGS": f"-o ControlMaster=auto -o ControlPersist={CONTROL_PERSIST_S}s",
        "ANSIBLE_HOST_KEY_CHECKING": "True",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_PYTHON_INTERPRETER": os.environ.get("ANSIBLE_PYTHON_INTERPRETER", "auto_silent"),
        "PYTHONWARNINGS": python_warnings(os.environ.get("PYTHONWARNINGS", "")),
    }
    if config_file is not None and config_file.is_file():
        env["ANSIBLE_CONFIG"] = str(config_file)
    return env


@dataclass
class BatchSpec:
    """One ansible-playbook run of the deploy (a canary, a serial batch, or everything)."""

    ident: str
    hosts: Sequence[str]
    forks: int
    check: bool = False
    diff: bool = False
    extravars: Mapping[str, Any] = field(default_factory=dict)
    verbosity: int = 0


@dataclass
class BatchResult:
    status: str  # runner status: successful | failed | canceled | timeout | error
    rc: int | None
    artifact_dir: Path


class BatchRun(Protocol):
    """One batch's playbook run as the deploy engine drives it: ``PlaybookRun`` here, or an
    execution node's (``fleet.remote.deploy.RemotePlaybookRun``, the same events)."""

    def start(self) -> None: ...
    def finished(self) -> bool: ...
    def next_event(self, timeout: float = 0.1) -> dict[str, Any] | None: ...
    def wait(self, timeout: float | None = None) -> BatchResult: ...
    def terminate(self) -> None: ...


#: Makes a batch's run: (run_dir, inventory, ansible.cfg, vault password, spec, keep_events).
BatchRunFactory = Callable[[Path, Path, "Path | None", VaultPassword, BatchSpec, bool], BatchRun]


class PlaybookRun:
    """One batch: ``start()``, then ``events()`` yields runner events until the run ends."""

    def __init__(self, run_dir: Path, inventory: Path, config_file: Path | None, password: VaultPassword,
                 spec: BatchSpec, keep_events: bool = True) -> None:
        self.run_dir = run_dir
        self.inventory = inventory
        self.config_file = config_file
        self.password = password
        self.spec = spec
        self.keep_events = keep_events
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self.cancel = threading.Event()
        self.status = "pending"
        self._thread: threading.Thread | None = None
        self._runner: Any = None
        self._control_dir = ""

    @property
    def local_tmp(self) -> Path:
        return self.run_dir / "tmp" / self.spec.ident

    @property
    def guard_pidfile(self) -> Path:
        return self.local_tmp / "guard.pid"

    def _guard_wrapper(self) -> Path:
        """A directory whose ``ansible-playbook`` runs the real one under the guard (runner finds it
        first on the child's PATH)."""
        from fleet.deploy import guard

        bin_dir = self.local_tmp / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        wrapper = bin_dir / "ansible-playbook"
        wrapper.write_text("#!/bin/sh\n" + shlex.join(["exec", sys.executable, "-S", guard.__file__,
                                                         ansible_playbook()]) + ' "$@"\n')
        wrapper.chmod(0o700)
        return bin_dir

    def env(self) -> dict[str, str]:
        env = scrubbed_env(os.environ) | ansible_env(self.config_file)
        env |= {
            "ANSIBLE_LOCAL_TEMP": str(self.local_tmp),
            "FLEET_PRELOAD_CONFIG": str(self.spec.extravars.get("fleet_config_file", "")),
            PRELOAD_ENV: str(self.spec.extravars.get(PLANS_VAR, "")),
            "FLEET_GUARD_PARENT": str(os.getpid()),
            "FLEET_GUARD_PIDFILE": str(self.guard_pidfile),
        }
        if self._control_dir:  # short (a unix socket path is at most 107 bytes), private, this batch's
            env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = self._control_dir
        return env

    def start(self) -> None:
        import ansible_runner

        self.local_tmp.mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o700)
        self._control_dir = tempfile.mkdtemp(prefix="fleet-cp-")
        envvars = self.env()
        envvars["PATH"] = os.pathsep.join([str(self._guard_wrapper()), envvars["PATH"]])
        cmdline = ["--ask-vault-pass"]
        if self.spec.check:
            cmdline.append("--check")
        if self.spec.diff:
            cmdline.append("--diff")
        self._thread, self._runner = ansible_runner.run_async(
            private_data_dir=str(self.run_dir),
            project_dir=str(data_dir("playbooks")),
            playbook=PLAYBOOK,
            inventory=str(self.inventory),
            limit=",".join(self.spec.hosts),
            forks=self.spec.forks,
            verbosity=self.spec.verbosity or None,
            ident=self.spec.ident,
            extravars=dict(self.spec.extravars),
            cmdline=" ".join(cmdline),
            passwords={VAULT_PROMPT: self.password.value.decode()},
            envvars=envvars,
            settings={"suppress_ansible_output": True, "pexpect_timeout": 2},
            # runner would otherwise dump passwords/envvars/extravars/settings into env/ (the vault
            # password in clear in env/passwords): keep them in memory only.
            suppress_env_files=True,
            quiet=True,
            event_handler=self._on_event,
            status_handler=self._on_status,
            cancel_callback=self.cancel.is_set,
            finished_callback=lambda runner: None,
        )

    # runner's thread: keep these cheap (a queue push)
    def _on_event(self, event: dict[str, Any]) -> bool:
        self.queue.put(event)
        return self.keep_events

    def _on_status(self, data: dict[str, Any], runner_config: Any = None) -> None:
        self.status = str(data.get("status", ""))  # never keep data["env"]: it is the child's environment

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def next_event(self, timeout: float = 0.1) -> dict[str, Any] | None:
        """The next event, or None when none came within ``timeout``."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def finished(self) -> bool:
        """The run has ended and every event has been taken."""
        return not self.alive() and self.queue.empty()

    def wait(self, timeout: float | None = None) -> BatchResult:
        assert self._thread is not None and self._runner is not None
        self._thread.join(timeout)
        self.cleanup()
        return BatchResult(self._runner.status, self._runner.rc,
                           self.run_dir / "artifacts" / self.spec.ident)

    def terminate(self, grace: float = 15.0) -> None:
        """Stop the batch now: the guard ends ansible-playbook's whole process group and its ssh
        masters; runner's own cancel (SIGKILL to the group) if the guard is not done in ``grace``."""
        pid = 0
        with contextlib.suppress(OSError, ValueError):
            pid = int(self.guard_pidfile.read_text())
        if pid > 0:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while self.alive() and time.monotonic() < deadline and pid > 0:
            if self._thread is not None:
                self._thread.join(0.1)
        self.cancel.set()

    def cleanup(self) -> None:
        shutil.rmtree(self.local_tmp, ignore_errors=True)
        if self._control_dir:  # normally already removed by the guard
            from fleet.deploy.guard import close_control_masters

            close_control_masters(self._control_dir)
        # nothing else to scrub: env/ is not written (suppress_env_files)
