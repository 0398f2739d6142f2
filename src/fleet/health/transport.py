"""One round trip per host: send the collector (+ expectations) on stdin, read JSON from stdout.

The connection comes from the inventory's own settings, so what reaches a host with Ansible
reaches it here:

- ``ssh`` hosts (Linux, macOS, Windows with OpenSSH): the system OpenSSH client, with
  ``ansible_host``/``ansible_port``/``ansible_user``/``ansible_ssh_private_key_file``/
  ``ansible_ssh_common_args``/``ansible_ssh_extra_args``/``ansible_ssh_executable``. OpenSSH
  rather than paramiko: the handshake runs in C outside the GIL, the user's ssh_config,
  ProxyJump and agents work unchanged, and controller CPU stays a few ms per host.
- ``psrp`` and ``winrm`` hosts: PowerShell remoting with pypsrp (PSRP runs over the same WinRM
  listener, and unlike pywinrm's ``run_ps`` it has no command-line length limit), in a child
  process (``fleet.health.psrp_worker``): pypsrp polls again after every WinRM operation timeout
  and a blocked socket read cannot be interrupted in a thread, so only a process can be ended.
  The price: ~0.25 s of controller CPU per Windows host for the worker's start (pypsrp's import;
  measured with /usr/bin/time, 3 runs).
- Windows over OpenSSH: ``powershell.exe -EncodedCommand`` (as Ansible's powershell shell plugin
  does), whose command line holds nothing that cmd.exe or PowerShell (OpenSSH's DefaultShell
  either way) would expand; the collector itself comes on stdin.

Every run has a hard deadline (the process group is killed; nothing can outwait it) and an
output cap; the result says whether the host was unreachable (connection-level failure), timed
out (connected, no complete answer before the deadline) or answered.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import functools
import importlib.util
import json
import os
import selectors
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STDERR_TAIL = 2000
SSH_CONNECTION_ERROR = 255
POSIX_SHELL = "/bin/sh"
# Key exchange: the post-quantum sntrup761 hybrid (OpenSSH 9's default) costs the controller ~50 ms
# of CPU per connection, curve25519 a few ms. A health round trip carries no secret (fingerprints
# only), so the sweep prefers curve25519; an inventory's own KexAlgorithms (ansible_ssh_common_args)
# or health.ssh_options in fleet.yml wins over this.
DEFAULT_SSH_OPTIONS = ("KexAlgorithms=curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
                       "diffie-hellman-group16-sha512,diffie-hellman-group14-sha256",)
# What powershell.exe runs over SSH: read the collector from stdin ($input works in every language
# mode, unlike [Console]::In) and run it. UTF-8 both ways where the console allows it; the payload
# and the answer are ASCII anyway (the collector escapes everything else as \uXXXX).
POWERSHELL_BOOTSTRAP = """\
try { [Console]::InputEncoding = New-Object System.Text.UTF8Encoding $false } catch { $null = $_ }
try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { $null = $_ }
$fleetScript = @($input) -join "`n"
& ([scriptblock]::Create($fleetScript))
"""


def powershell_encoded_command(script: str) -> str:
    """``powershell.exe ... -EncodedCommand <base64 of UTF-16LE>``: only letters, digits, ``+/=`` and
    dashes reach the remote shell, so cmd.exe and PowerShell as OpenSSH's DefaultShell read it alike."""
    encoded = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
    return f"powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand {encoded}"


POWERSHELL_OVER_SSH = powershell_encoded_command(POWERSHELL_BOOTSTRAP)
# A collector's own time budget ends this long before the transport's hard deadline, so a slow
# host still answers with what it gathered (and says what it skipped).
BUDGET_MARGIN_S = 8.0


@dataclass(frozen=True)
class RawResult:
    host: str
    stdout: bytes
    sent_at: float  # epoch seconds, controller clock
    received_at: float
    exit_code: int | None = None
    error: str = ""  # why there is no usable output ("" when the collector ran to the end)
    unreachable: bool = False  # the host could not be reached at all
    timed_out: bool = False  # connected (or still connecting) when the hard deadline ended the run
    stderr: str = ""  # tail, for messages

    @property
    def elapsed(self) -> float:
        return self.received_at - self.sent_at


class TransportError(Exception):
    """A host's connection settings cannot be used; the sweep reports the host UNKNOWN with this."""

    def __init__(self, message: str, hint_text: str = "") -> None:
        super().__init__(message + (f" ({hint_text})" if hint_text else ""))


# -- command construction ---------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _split_args(text: str) -> tuple[str, ...]:
    """``shlex.split``, once per distinct text: the inventory gives most hosts the same ssh args."""
    return tuple(shlex.split(text))


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def ssh_argv(hostvars: Mapping[str, Any], host: str, remote_command: str, connect_timeout: float,
             options: Sequence[str] = DEFAULT_SSH_OPTIONS) -> list[str]:
    """The OpenSSH command line for one host, from its Ansible connection variables."""
    exe = str(hostvars.get("ansible_ssh_executable") or "ssh")
    argv = [exe, "-T", "-o", "BatchMode=yes"]
    # ssh keeps the first value it is given for an option: explicit host vars first, then the
    # inventory's extra/common args, then fleet's defaults.
    port = hostvars.get("ansible_port") or hostvars.get("ansible_ssh_port")
    if port:
        argv += ["-o", f"Port={int(port)}"]
    user = hostvars.get("ansible_user") or hostvars.get("ansible_ssh_user")
    if user:
        argv += ["-o", f"User={user}"]
    key = hostvars.get("ansible_ssh_private_key_file") or hostvars.get("ansible_private_key_file")
    if key:
        argv += ["-o", f"IdentityFile={os.path.expanduser(str(key))}"]
    if "ansible_host_key_checking" in hostvars and not _truthy(hostvars["ansible_host_key_checking"]):
        argv += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    for var in ("ansible_ssh_common_args", "ansible_ssh_extra_args"):
        if hostvars.get(var):
            try:
                argv += _split_args(str(hostvars[var]))
            except ValueError as exc:
                raise TransportError(f"{var} cannot be parsed: {exc}") from None
    for opt in options:
        argv += ["-o", opt]
    argv += ["-o", f"ConnectTimeout={max(1, int(connect_timeout))}", "-o", "ServerAliveInterval=10",
             "-o", "ServerAliveCountMax=3", "-o", "LogLevel=ERROR"]
    address = str(hostvars.get("ansible_host") or hostvars.get("ansible_ssh_host") or host)
    return [*argv, "--", address, remote_command]


def posix_remote_command(hostvars: Mapping[str, Any]) -> str:
    """``sh -s`` reading the collector from stdin (``ansible_shell_executable`` picks the shell)."""
    shell = str(hostvars.get("ansible_shell_executable") or POSIX_SHELL)
    return f"{shlex.quote(shell)} -s"


def sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def posix_payload(script: str, expectations_json: str) -> bytes:
    """What ``sh -s`` reads: the expectations as one variable, then the collector inside braces, so
    the shell has read all of it before anything runs (nothing can consume the rest of stdin)."""
    return f"FLEET_EXPECT={sh_quote(expectations_json)}\n{{\n{script}\n}}\n".encode()


def collector_budget(timeout: float) -> float:
    """Seconds the collector may spend on its probes within the transport's ``timeout``."""
    return round(max(1.0, min(timeout - BUDGET_MARGIN_S, timeout * 0.75)), 1)


def powershell_payload(script: str, expectations_json: str, budget_s: float | None = None) -> str:
    """The Windows collector with its expectations as a literal here-string (no expansion) and its
    time budget (seconds) as a number."""
    if "\n'@" in expectations_json or "\r" in expectations_json:
        raise TransportError("expectations JSON must be on one line")
    budget = f"$FleetBudget = {float(budget_s):.1f}\n" if budget_s is not None else ""
    return f"$FleetExpect = @'\n{expectations_json}\n'@\n{budget}{script}"


# -- running: OpenSSH -------------------------------------------------------------------------


_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()
_STOPPED = threading.Event()  # set by kill_running(): a collector starting after that ends at once


def kill_running() -> int:
    """Kill every collector process still running (an interrupted sweep), and any a pool thread is
    starting right now (it sees the flag once registered); returns how many were running."""
    with _LIVE_LOCK:
        _STOPPED.set()
        procs = list(_LIVE)
    for p in procs:
        _kill(p)
    return len(procs)


def allow_running() -> None:
    """A new sweep starts: collectors may run again (after an interrupted one in this process)."""
    _STOPPED.clear()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


GUARD_VAR = "FLEET_COLLECTOR_OF"
# What the guard runs (``python -S``: ~10 ms once per fleet). Its stdin is a pipe only fleet holds:
# "done" means fleet ended with no collector running; EOF without it means fleet is gone (killed,
# SIGKILL included). It then kills every process carrying fleet's mark in its environment (each
# collector, and what it started: a ProxyCommand), three times over ~1 s, so that one being started
# at that very moment (exec'd after fleet died) is found too.
GUARD_SCRIPT = """\
import os, signal, sys, time
if sys.stdin.readline().strip() == "done":
    sys.exit(0)
mark = sys.argv[1].encode()
for pause in (0, 0.2, 1.0):
    time.sleep(pause)
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            try:
                with open("/proc/" + d + "/environ", "rb") as f:
                    if mark in f.read().split(b"\\0"):
                        os.kill(int(d), signal.SIGKILL)
            except OSError:
                pass
"""


class _Guard:
    """One process per fleet that ends its collectors when fleet is gone, even killed with SIGKILL (an
    ssh waiting on a silent host would otherwise live on up to its connect timeout, and run the
    collector unrecorded if the host answers). Collectors carry ``FLEET_COLLECTOR_OF=<mark>`` in
    their environment; the guard finds them by it. This replaced a per-host ``setpriv --pdeathsig``
    + ``sh`` prefix: two more execs a host, ~2 ms of the controller's CPU each round trip
    (``benchmarks/sshcpu.py``). Each collector keeps a session of its own (its own process group
    for the deadline's kill, and its own scheduler autogroup, as before)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.mark = ""
        self.owner = 0

    def environ(self) -> dict[str, str] | None:
        """The collectors' environment (this process's, marked), starting the guard on first use; None
        when no guard could be started (collectors then run unguarded)."""
        with self.lock:
            if self.proc is not None and (self.proc.poll() is not None or self.owner != os.getpid()):
                self.proc = None  # it died, or this is a forked child: a guard of its own
            if self.proc is None:
                mark = f"{os.getpid()}-{time.monotonic_ns()}"
                try:
                    self.proc = subprocess.Popen([sys.executable, "-S", "-c", GUARD_SCRIPT, f"{GUARD_VAR}={mark}"],
                                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
                except OSError:
                    return None
                self.owner = os.getpid()
                self.mark = mark
        return {**os.environ, GUARD_VAR: self.mark}  # as of now: this process's environment may change

    def release(self) -> None:
        """fleet is ending with no collector running: the guard exits without looking for any."""
        with self.lock:
            proc, self.proc = self.proc, None
            if proc is not None and proc.stdin is not None and self.owner == os.getpid():
                with contextlib.suppress(OSError):
                    proc.stdin.write(b"done\n")
                    proc.stdin.close()


_GUARD = _Guard()


@atexit.register
def release_guard() -> None:
    """No collector is running (fleet is ending, or has collected all it will for now): the guard
    process exits; a later collector starts a new one."""
    with _LIVE_LOCK:
        running = bool(_LIVE)
    if not running:
        _GUARD.release()


def run_process(host: str, argv: list[str], payload: bytes, timeout: float, max_output: int) -> RawResult:
    """Run ``argv``, feed ``payload``, read at most ``max_output`` bytes of stdout before ``timeout``.

    The process dies with fleet, however fleet ends (``_Guard``)."""
    sent_at = time.time()
    deadline = time.monotonic() + timeout
    if _STOPPED.is_set():
        return RawResult(host, b"", sent_at, time.time(), error="interrupted before it started")
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, close_fds=True, env=_GUARD.environ())
    except OSError as exc:
        return RawResult(host, b"", sent_at, time.time(), error=f"cannot run {argv[0]}: {exc.strerror}",
                         unreachable=True)
    with _LIVE_LOCK:
        _LIVE.add(proc)
        stopped = _STOPPED.is_set()
    if stopped:  # kill_running() took its list while this process was being started
        _kill(proc)
    out = bytearray()
    err = bytearray()
    error = ""
    assert proc.stdin and proc.stdout and proc.stderr
    sel = selectors.DefaultSelector()
    try:
        os.set_blocking(proc.stdin.fileno(), False)
        view = memoryview(payload)
        sel.register(proc.stdin, selectors.EVENT_WRITE)
        sel.register(proc.stdout, selectors.EVENT_READ)
        sel.register(proc.stderr, selectors.EVENT_READ)
        open_reads = 2
        if not view:
            sel.unregister(proc.stdin)
            proc.stdin.close()
        while open_reads:
            left = deadline - time.monotonic()
            if left <= 0:
                error = f"timed out after {timeout:.0f}s"
                break
            for key, _ in sel.select(left):
                f = key.fileobj
                if f is proc.stdin:
                    try:
                        n = os.write(proc.stdin.fileno(), view[:65536])
                    except (BrokenPipeError, BlockingIOError) as exc:
                        n = len(view) if isinstance(exc, BrokenPipeError) else 0
                    view = view[n:]
                    if not view:
                        sel.unregister(proc.stdin)
                        proc.stdin.close()
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(f)
                    open_reads -= 1
                elif f is proc.stdout:
                    out += chunk
                    if len(out) > max_output:
                        error = f"output over the {max_output // 1024} KiB limit"
                        break
                else:
                    err += chunk
                    if len(err) > 4 * STDERR_TAIL:
                        del err[:-STDERR_TAIL]
            if error:
                break
    finally:
        sel.close()
        if error:
            _kill(proc)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                f.close()
        try:
            code = proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _kill(proc)
            code = proc.wait()
        with _LIVE_LOCK:
            _LIVE.discard(proc)
    received_at = time.time()
    stderr = err[-STDERR_TAIL:].decode("utf-8", errors="replace").strip()
    if error:
        return RawResult(host, b"", sent_at, received_at, code, error, timed_out=error.startswith("timed out"),
                         stderr=stderr)
    if code == SSH_CONNECTION_ERROR:
        last = stderr.splitlines()[-1] if stderr else "ssh failed"
        return RawResult(host, b"", sent_at, received_at, code, last, unreachable=True, stderr=stderr)
    if code != 0:
        why = stderr.splitlines()[-1] if stderr else "no error output"
        return RawResult(host, bytes(out), sent_at, received_at, code, f"collector exited with {code}: {why}",
                         stderr=stderr)
    return RawResult(host, bytes(out), sent_at, received_at, code, stderr=stderr)


# -- running: PowerShell remoting -------------------------------------------------------------

PSRP_AUTH = {"ntlm": "ntlm", "kerberos": "kerberos", "negotiate": "negotiate", "credssp": "credssp",
             "basic": "basic", "certificate": "certificate"}


def psrp_kwargs(hostvars: Mapping[str, Any], host: str, timeout: float) -> dict[str, Any]:
    """pypsrp ``Client`` arguments from Ansible's psrp/winrm connection variables."""
    conn = str(hostvars.get("ansible_connection") or "psrp")
    p = "ansible_psrp_" if conn == "psrp" else "ansible_winrm_"
    if conn == "psrp":
        scheme = str(hostvars.get("ansible_psrp_protocol") or "").lower()
    else:
        scheme = str(hostvars.get("ansible_winrm_scheme") or "").lower()
    port = hostvars.get("ansible_port") or hostvars.get(f"{p}port")
    if not scheme:
        scheme = "http" if str(port) == "5985" else "https"
    port = int(port) if port else (5985 if scheme == "http" else 5986)
    auth_var = "ansible_psrp_auth" if conn == "psrp" else "ansible_winrm_transport"
    auth_raw = hostvars.get(auth_var) or "negotiate"
    auth = str(auth_raw[0] if isinstance(auth_raw, list | tuple) else auth_raw).lower()
    if auth not in PSRP_AUTH:
        raise TransportError(f"{auth_var}={auth!r} is not supported by the health sweep",
                             hint_text="use ntlm, kerberos, negotiate, credssp, basic or certificate")
    if auth == "kerberos" and not kerberos_available():
        # pyspnego would fail in the worker with an ImportError that reads like a dead host
        raise TransportError(f"{auth_var}=kerberos needs the Python gssapi library on this controller, "
                             "which is not installed",
                             hint_text="pip install 'pypsrp[kerberos]' into fleet's environment (it builds "
                                       "against libkrb5-dev), or use negotiate or ntlm")
    cert_var = "ansible_psrp_cert_validation" if conn == "psrp" else "ansible_winrm_server_cert_validation"
    validate = str(hostvars.get(cert_var, "validate")).lower() != "ignore"
    password = (hostvars.get("ansible_password") or hostvars.get(f"{p}password")
                or hostvars.get("ansible_psrp_password") or None)
    if password == "<vault>":
        raise TransportError("the password is an inline !vault value, which the health sweep does not decrypt",
                             hint_text="keep Windows credentials in a vaulted vars file or use Kerberos")
    kw: dict[str, Any] = {
        "server": str(hostvars.get("ansible_host") or host),
        "port": port,
        "ssl": scheme == "https",
        "username": hostvars.get("ansible_user") or hostvars.get(f"{p}user") or None,
        "password": password,
        "auth": PSRP_AUTH[auth],
        "cert_validation": validate,
        "connection_timeout": int(max(1, min(timeout, 30))),
        "operation_timeout": int(max(1, timeout)),
        "read_timeout": int(max(2, timeout + 5)),
    }
    path = hostvars.get(f"{p}path")
    if path:
        kw["path"] = str(path)
    ca = hostvars.get("ansible_psrp_ca_cert") or hostvars.get("ansible_winrm_ca_trust_path")
    if ca and validate:
        kw["cert_validation"] = str(ca)
    return kw


def kerberos_available() -> bool:
    """pyspnego does Kerberos through the gssapi library on Linux and macOS (SSPI on Windows)."""
    return sys.platform == "win32" or importlib.util.find_spec("gssapi") is not None


PSRP_WORKER = (sys.executable, "-m", "fleet.health.psrp_worker")


def psrp_payload(kwargs: Mapping[str, Any], script: str, deadline_s: float | None = None) -> bytes:
    """What the PSRP worker reads on stdin: the client arguments (the password never goes on a
    command line or into the environment), the script, and the deadline it must not outlive."""
    return json.dumps({"client": dict(kwargs), "script": script, "deadline_s": deadline_s}).encode("utf-8")


def run_psrp(host: str, kwargs: Mapping[str, Any], script: str, timeout: float, max_output: int) -> RawResult:
    """Run the Windows collector over PSRP in a worker process under the same hard deadline as SSH."""
    return run_process(host, list(PSRP_WORKER), psrp_payload(kwargs, script, timeout), timeout, max_output)
