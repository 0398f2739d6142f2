"""Run a playbook on an execution node with ansible-runner's streaming, over SSH.

    run = RemoteRun(node, job, run_dir)
    run.start()
    while not run.finished():
        event = run.next_event()        # the same event dicts a local ansible-runner run gives
    result = run.wait()                 # BatchResult-like: status, rc, artifact_dir

Three parts, as in AWX's receptor mesh but with one SSH connection in the middle:

1. **transmit** (here, a thread): ``ansible_runner.run(streamer="transmit")`` zips a private data
   dir built for the job (project/ with the playbook, its roles and filter plugins; inventory/ a copy
   of the workspace's, vault files still encrypted; fleet.yml without the store URL or alert
   targets; env/ with extravars, cmdline, settings and the vault password) into ``ssh``'s stdin;
   the local copy is deleted as soon as it has been sent.
2. **worker** (on the node): ``ansible-runner worker`` unpacks it into a fresh 0700 directory, runs
   ansible-playbook there and streams events back on stdout; the directory, with the password file
   and Ansible's local temp files, is removed when the worker ends (``--delete`` and a shell trap).
3. **process** (here, a thread): ``ansible_runner.run(streamer="process")`` turns the stream back
   into events (handed to ``next_event``) and artifacts (``run_dir/artifacts/<ident>``).

Secrets: the vault password travels only inside the SSH stream; on disk it exists in the
controller's transmit directory for the moment the zip is built and in the node's job directory
while the job runs. Decrypted secrets exist only in the node's Ansible processes (``no_log``).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fleet.remote.node import ExecutionNode, RemoteError

VAULT_PROMPT = r"Vault password[^:\n]*:\s*$"
VAULT_HEADER = b"$ANSIBLE_VAULT"
# fleet.yml keys a node never needs: where the store is (a database URL may carry a password) and
# where alerts go (webhook URLs are credentials).
CONFIG_KEYS_KEPT_BACK = ("store", "alerts", "remote")
STDERR_TAIL = 4000
# Settings for ansible-playbook on the node: what `fleet deploy` uses locally (fleet.deploy.runner).
NODE_ENV = {
    "ANSIBLE_PIPELINING": "True",
    "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=60s",
    "ANSIBLE_HOST_KEY_CHECKING": "True",
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_FORCE_COLOR": "0",
    "ANSIBLE_DEPRECATION_WARNINGS": "False",
    "ANSIBLE_RETRY_FILES_ENABLED": "False",
    "ANSIBLE_PYTHON_INTERPRETER": "auto_silent",
}


@dataclass
class RemoteJob:
    """One playbook run on a node. ``project`` files are copied into the job's project/ directory."""

    ident: str
    playbook: str  # path relative to project/
    project: Mapping[str, Path]  # name in project/ -> local file or directory
    inventory_dir: Path
    config_path: Path | None
    hosts: Sequence[str] = ()
    forks: int | None = None
    check: bool = False
    diff: bool = False
    extravars: Mapping[str, Any] = field(default_factory=dict)
    vault_password: bytes | None = None
    verbosity: int = 0
    envvars: Mapping[str, str] = field(default_factory=dict)
    send_vaults: bool = True  # False: vault-encrypted inventory files stay behind (a job needing no secret)


@dataclass
class RemoteResult:
    status: str  # successful | failed | canceled | timeout | error
    rc: int | None
    artifact_dir: Path
    explanation: str = ""
    stderr: str = ""


def node_config(config_path: Path) -> str:
    """fleet.yml as the node gets it: everything the plan needs, nothing the node must not hold."""
    from fleet.errors import ConfigError
    from fleet.yamlsrc import load_file

    doc = load_file(config_path, ConfigError) or {}  # bounded, and numbers kept as written
    if isinstance(doc, dict):
        for key in CONFIG_KEYS_KEPT_BACK:
            doc.pop(key, None)
    return "# fleet.yml for an execution node (store, alerts and nodes left out)\n" + yaml.safe_dump(
        doc, sort_keys=False, default_flow_style=False)


def build_private_data_dir(root: Path, job: RemoteJob) -> Path:
    """Lay out ``root`` as an ansible-runner private data dir for ``job``; returns ``root``."""
    project = root / "project"
    project.mkdir(parents=True)
    for name, src in job.project.items():
        dest = project / name
        if src.is_dir():
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    shutil.copytree(job.inventory_dir, root / "inventory", ignore=_inventory_ignore(job.send_vaults))
    if job.config_path is not None and job.config_path.is_file():
        (root / "fleet.yml").write_text(node_config(job.config_path))
    return root


def _is_vault(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(VAULT_HEADER)) == VAULT_HEADER
    except OSError:
        return False


def _inventory_ignore(send_vaults: bool) -> Callable[[str, list[str]], set[str]]:
    plain = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", "*.retry")

    def ignore(directory: str, names: list[str]) -> set[str]:
        out = set(plain(directory, names))
        if not send_vaults:
            out |= {n for n in names if _is_vault(Path(directory) / n)}
        return out

    return ignore


class RemoteRun:
    """A playbook run on an execution node; the same shape as fleet.deploy.runner.PlaybookRun."""

    def __init__(self, node: ExecutionNode, job: RemoteJob, run_dir: Path, keep_events: bool = True,
                 event_filter: Callable[[dict[str, Any]], bool] | None = None) -> None:
        self.node = node
        self.job = job
        self.run_dir = run_dir
        self.keep_events = keep_events
        self.event_filter = event_filter
        self.queue: queue.Queue[dict[str, Any]] = queue.Queue()
        self.cancel = threading.Event()
        self.status = "pending"
        self.explanation = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._stderr = bytearray()
        self._transmit_error: BaseException | None = None
        self._transmit_dir: Path | None = None
        self._processor: Any = None

    @property
    def artifact_dir(self) -> Path:
        return self.run_dir / "artifacts" / self.job.ident

    # -- start ----------------------------------------------------------------------------------

    def _runner_kwargs(self, pdd: Path) -> dict[str, Any]:
        job = self.job
        cmdline = []
        if job.vault_password is not None:
            cmdline.append("--ask-vault-pass")
        if job.check:
            cmdline.append("--check")
        if job.diff:
            cmdline.append("--diff")
        extravars = dict(job.extravars)
        from fleet.deploy.runner import python_warnings

        envvars = {**NODE_ENV, "PYTHONWARNINGS": python_warnings(""), **job.envvars}
        if job.config_path is not None:
            extravars.setdefault("fleet_config_file", "../fleet.yml")  # relative to project/, the job's cwd
            envvars.setdefault("FLEET_PRELOAD_CONFIG", "../fleet.yml")
        kw: dict[str, Any] = {
            "playbook": job.playbook,
            # absolute (under the private data dir): runner sends it relative; a bare relative name
            # would be taken for inline inventory text
            "inventory": str(pdd / "inventory"),
            "ident": job.ident,
            "extravars": extravars,
            "envvars": envvars,
            "settings": {"suppress_ansible_output": True, "pexpect_timeout": 2},
        }
        if cmdline:
            kw["cmdline"] = " ".join(cmdline)
        if job.hosts:
            kw["limit"] = ",".join(job.hosts)
        forks = job.forks or self.node.forks
        if forks:
            kw["forks"] = forks
        if job.verbosity:
            kw["verbosity"] = job.verbosity
        if job.vault_password is not None:
            kw["passwords"] = {VAULT_PROMPT: job.vault_password.decode()}
        return kw

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o700)
        self.artifact_dir.mkdir(parents=True, exist_ok=True)
        argv = self.node.ssh_argv(self.node.worker_command())
        try:
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, start_new_session=True, close_fds=True)
        except OSError as exc:
            raise RemoteError(f"cannot run {argv[0]}: {exc.strerror}") from None
        self.status = "starting"
        for target in (self._transmit, self._process, self._read_stderr):
            t = threading.Thread(target=target, daemon=True, name=f"fleet-remote-{target.__name__}")
            t.start()
            self._threads.append(t)
        threading.Thread(target=self._watch_cancel, daemon=True).start()

    def _transmit(self) -> None:
        import ansible_runner

        assert self._proc is not None and self._proc.stdin is not None
        tmp = Path(tempfile.mkdtemp(prefix="fleet-transmit-"))
        self._transmit_dir = tmp
        try:
            pdd = build_private_data_dir(tmp / "job", self.job)
            ansible_runner.run(streamer="transmit", private_data_dir=str(pdd), _output=self._proc.stdin,
                               quiet=True, **self._runner_kwargs(pdd))
        except BaseException as exc:  # a broken pipe (the node went away) or a bad job
            self._transmit_error = exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # env/passwords included: gone once sent
            with contextlib.suppress(OSError):
                self._proc.stdin.close()

    def _process(self) -> None:
        import ansible_runner

        assert self._proc is not None and self._proc.stdout is not None
        try:
            self._processor = ansible_runner.run(
                streamer="process", _input=self._proc.stdout, private_data_dir=str(self.run_dir),
                ident=self.job.ident, quiet=True, event_handler=self._on_event, status_handler=self._on_status)
        except Exception as exc:  # a stream cut in the middle of a zip, for one
            self.status, self.explanation = "error", f"reading the node's stream failed: {exc}"

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        fd = self._proc.stderr.fileno()
        for chunk in iter(lambda: os.read(fd, 8192), b""):  # what is there, up to 8 KiB (as read1)
            self._stderr += chunk
            if len(self._stderr) > 4 * STDERR_TAIL:
                del self._stderr[:-STDERR_TAIL]

    def _watch_cancel(self) -> None:
        while self.alive():
            if self.cancel.wait(0.2):
                self.kill()
                return

    def kill(self) -> None:
        """Stop the run: close the connection (the node's worker ends on its next write)."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGTERM)

    # -- handlers (the process thread) ----------------------------------------------------------

    def _on_event(self, event: dict[str, Any]) -> bool:
        if self.event_filter is None or self.event_filter(event):
            self.queue.put(event)
        return self.keep_events

    def _on_status(self, data: dict[str, Any], runner_config: Any = None) -> None:
        self.status = str(data.get("status", ""))
        if data.get("job_explanation"):
            self.explanation = str(data["job_explanation"])[:2000]

    # -- the PlaybookRun interface --------------------------------------------------------------

    def alive(self) -> bool:
        return any(t.is_alive() for t in self._threads[:2])

    def next_event(self, timeout: float = 0.1) -> dict[str, Any] | None:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def finished(self) -> bool:
        return not self.alive() and self.queue.empty()

    def terminate(self) -> None:
        """Stop the job: the node's run is cancelled (its worker ends ansible-playbook there)."""
        self.cancel.set()

    def wait(self, timeout: float | None = None) -> RemoteResult:
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        if self.alive():
            self.kill()
            for t in self._threads:
                t.join(10)
        rc: int | None = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
                self._proc.wait()
        with contextlib.suppress(OSError, ValueError):
            rc = int((self.artifact_dir / "rc").read_text().strip())
        stderr = self.stderr
        status = self.status
        if self.cancel.is_set() and status not in ("successful", "failed"):
            status = "canceled"
        elif status in ("pending", "starting", "running", "unstarted", ""):
            status = "error"
        explanation = self.explanation
        if status == "error" and not explanation:
            ssh_rc = self._proc.returncode if self._proc is not None else None
            explanation = f"the execution node {self.node.name} did not finish the job (ssh exit {ssh_rc})"
        if self._transmit_error is not None and status == "error":
            explanation += f"; sending the job failed: {type(self._transmit_error).__name__}"
        if status == "error" and stderr:
            explanation += f": {stderr.splitlines()[-1]}"
        if status in ("failed", "error") and not explanation:
            explanation = _ansible_error(self.artifact_dir / "stdout")
        self.cleanup()
        return RemoteResult(status, rc, self.artifact_dir, explanation.strip(), stderr)

    @property
    def stderr(self) -> str:
        return self._stderr[-STDERR_TAIL:].decode("utf-8", errors="replace").strip()

    def cleanup(self) -> None:
        if self._transmit_dir is not None:
            shutil.rmtree(self._transmit_dir, ignore_errors=True)
        # the artifacts runner rebuilt locally: keep job events and stdout, drop the env copy
        for name in ("env", "inventory", "project"):
            shutil.rmtree(self.run_dir / name, ignore_errors=True)


def _ansible_error(stdout: Path) -> str:
    """The last error line ansible-playbook printed (for a run that failed as a whole)."""
    try:
        lines = stdout.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    errors = [line.strip() for line in lines if line.lstrip().startswith(("[ERROR]", "ERROR!", "fatal:"))]
    return errors[-1][:500] if errors else ""


def check_node(node: ExecutionNode, timeout: float = 60) -> dict[str, Any]:
    """Ask the node for ansible-runner's worker info and fleet's version: a quick "can it work?"."""
    argv = node.ssh_argv(node.info_command())
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RemoteError(f"cannot reach the execution node {node.name}: {exc}") from None
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["no error output"])[-1]
        raise RemoteError(f"the execution node {node.name} cannot run ansible-runner with fleet (exit "
                          f"{r.returncode}): {last}",
                          hint="install fleet (pip install fleet) on the node and give its ansible-runner "
                               "with --runner or remote.nodes.<name>.runner in fleet.yml")
    info: dict[str, Any] = yaml.safe_load(r.stdout.split("fleet:")[0]) or {}
    for line in r.stdout.splitlines():
        if line.startswith(("fleet: ", "ansible_core: ")):
            k, v = line.split(": ", 1)
            info[k] = v
    plain: dict[str, Any] = json.loads(json.dumps(info, default=str))  # JSON-able: dates as text
    return plain
