"""Transport: the commands built from Ansible connection variables, and one bounded round trip."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from fleet.health import transport
from fleet.health.transport import (
    DEFAULT_SSH_OPTIONS,
    POWERSHELL_OVER_SSH,
    TransportError,
    allow_running,
    posix_remote_command,
    powershell_payload,
    psrp_kwargs,
    run_process,
    ssh_argv,
)
from fleet.lab.procs import cmdline


def opts(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == "-o"]


def test_ssh_argv_from_ansible_vars() -> None:
    hv = {"ansible_host": "10.0.0.5", "ansible_port": 2222, "ansible_user": "msp",
          "ansible_ssh_private_key_file": "~/.ssh/msp",
          "ansible_ssh_common_args": "-o ProxyJump=bastion -o 'UserKnownHostsFile=/k h'",
          "ansible_ssh_extra_args": "-o Compression=yes"}
    argv = ssh_argv(hv, "ws01", "/bin/sh -s", 15)
    assert argv[0] == "ssh" and argv[-3:] == ["--", "10.0.0.5", "/bin/sh -s"]
    o = opts(argv)
    assert o[0] == "BatchMode=yes"
    assert "Port=2222" in o and "User=msp" in o
    assert any(x.startswith("IdentityFile=/") and x.endswith("/.ssh/msp") for x in o)
    assert "ProxyJump=bastion" in o and "UserKnownHostsFile=/k h" in o and "Compression=yes" in o
    assert "ConnectTimeout=15" in o and DEFAULT_SSH_OPTIONS[0] in o
    # ssh keeps the first value of an option: the inventory's own settings come before fleet's defaults
    assert o.index("ProxyJump=bastion") < o.index(DEFAULT_SSH_OPTIONS[0]) < o.index("ConnectTimeout=15")


def test_ssh_argv_defaults_and_overrides() -> None:
    argv = ssh_argv({}, "ws02", "sh -s", 0.2, options=())
    assert argv[-2] == "ws02" and "ConnectTimeout=1" in opts(argv)
    assert not any(o.startswith("KexAlgorithms") for o in opts(argv))
    argv = ssh_argv({"ansible_ssh_executable": "/opt/ssh", "ansible_host_key_checking": False}, "h", "x", 5)
    assert argv[0] == "/opt/ssh" and "StrictHostKeyChecking=no" in opts(argv)
    with pytest.raises(TransportError, match="cannot be parsed"):
        ssh_argv({"ansible_ssh_common_args": "-o 'unterminated"}, "h", "x", 5)


def test_remote_commands() -> None:
    assert posix_remote_command({}) == "/bin/sh -s"
    assert posix_remote_command({"ansible_shell_executable": "/opt/my sh"}) == "'/opt/my sh' -s"
    assert "-NonInteractive" in POWERSHELL_OVER_SSH and "-EncodedCommand" in POWERSHELL_OVER_SSH


def test_powershell_over_ssh_survives_either_default_shell() -> None:
    """OpenSSH for Windows hands the command to its DefaultShell (cmd.exe or PowerShell), which
    expands it first: the command line may hold nothing either would touch ($, quotes, ;, &, %,
    parentheses...), and the script must come back intact from -EncodedCommand (UTF-16LE base64)."""
    import base64
    import re

    from fleet.health.transport import POWERSHELL_BOOTSTRAP

    assert re.fullmatch(r"[A-Za-z0-9.+/= -]+", POWERSHELL_OVER_SSH), POWERSHELL_OVER_SSH
    encoded = POWERSHELL_OVER_SSH.split("-EncodedCommand ", 1)[1]
    assert base64.b64decode(encoded).decode("utf-16-le") == POWERSHELL_BOOTSTRAP
    assert "$input" in POWERSHELL_BOOTSTRAP  # stdin, readable in every language mode


def test_powershell_payload_is_a_literal_here_string() -> None:
    p = powershell_payload("Write-Output $FleetExpect", '{"a":"$(Remove-Item C:\\\\)"}')
    assert p.startswith("$FleetExpect = @'\n{") and "\n'@\n" in p
    with pytest.raises(TransportError):
        powershell_payload("x", "{\n'@\n}")


@pytest.mark.parametrize(("hv", "expected"), [
    ({"ansible_connection": "psrp", "ansible_host": "10.1.1.1", "ansible_user": "msp", "ansible_password": "pw"},
     {"server": "10.1.1.1", "port": 5986, "ssl": True, "auth": "negotiate", "cert_validation": True,
      "username": "msp", "password": "pw"}),
    ({"ansible_connection": "psrp", "ansible_psrp_protocol": "http", "ansible_psrp_auth": "ntlm"},
     {"port": 5985, "ssl": False, "auth": "ntlm"}),
    ({"ansible_connection": "psrp", "ansible_port": 5985}, {"port": 5985, "ssl": False}),
    ({"ansible_connection": "psrp", "ansible_psrp_cert_validation": "ignore"}, {"cert_validation": False}),
    ({"ansible_connection": "psrp", "ansible_psrp_ca_cert": "/etc/ca.pem"}, {"cert_validation": "/etc/ca.pem"}),
    ({"ansible_connection": "winrm", "ansible_winrm_scheme": "http", "ansible_winrm_transport": ["kerberos"]},
     {"port": 5985, "ssl": False, "auth": "kerberos"}),
    ({"ansible_connection": "winrm", "ansible_winrm_server_cert_validation": "ignore",
      "ansible_winrm_transport": "credssp", "ansible_winrm_path": "/wsman-alt"},
     {"port": 5986, "ssl": True, "auth": "credssp", "cert_validation": False, "path": "/wsman-alt"}),
])
def test_psrp_kwargs(hv: dict, expected: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from fleet.health import transport

    monkeypatch.setattr(transport, "kerberos_available", lambda: True)  # the mapping, gssapi or not
    kw = psrp_kwargs(hv, "srv01", 60)
    for k, v in expected.items():
        assert kw[k] == v, k
    assert kw["server"] == hv.get("ansible_host", "srv01")
    assert kw["operation_timeout"] == 60 and kw["connection_timeout"] <= 30


@pytest.mark.parametrize(("hv", "fragment"), [
    ({"ansible_connection": "psrp", "ansible_psrp_auth": "digest"}, "not supported"),
    ({"ansible_connection": "psrp", "ansible_password": "<vault>"}, "inline !vault"),
])
def test_psrp_kwargs_refuses(hv: dict, fragment: str) -> None:
    with pytest.raises(TransportError, match=fragment):
        psrp_kwargs(hv, "h", 30)


PY = sys.executable


def test_run_process_round_trip_reads_stdin_and_returns_stdout() -> None:
    r = run_process("h", [PY, "-c", "import sys; sys.stdout.write(sys.stdin.read().upper())"], b"hello", 10, 1000)
    assert (r.stdout, r.exit_code, r.error, r.unreachable) == (b"HELLO", 0, "", False)
    assert r.received_at >= r.sent_at


def test_run_process_large_stdin_and_stdout_do_not_deadlock() -> None:
    data = b"x" * 3_000_000
    r = run_process("h", [PY, "-c", "import sys; d=sys.stdin.buffer.read(); sys.stdout.buffer.write(d)"], data, 30,
                    4_000_000)
    assert r.stdout == data and not r.error


def test_run_process_caps_output_and_kills() -> None:
    t0 = time.monotonic()
    r = run_process("h", [PY, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)"], b"", 30, 100_000)
    assert "limit" in r.error and r.stdout == b"" and not r.unreachable
    assert time.monotonic() - t0 < 10


def test_run_process_times_out_and_kills_the_group() -> None:
    t0 = time.monotonic()
    r = run_process("h", ["sh", "-c", "sleep 30 & sleep 30"], b"", 1, 1000)
    assert r.error.startswith("timed out") and r.timed_out and not r.unreachable
    assert time.monotonic() - t0 < 8


def test_run_process_ssh_error_is_unreachable_other_exit_is_not() -> None:
    r = run_process("h", ["sh", "-c", "echo 'ssh: connect to host x port 22: Connection refused' >&2; exit 255"], b"",
                    5, 1000)
    assert r.unreachable and "Connection refused" in r.error
    r = run_process("h", ["sh", "-c", "echo boom >&2; exit 3"], b"", 5, 1000)
    assert not r.unreachable and "exited with 3: boom" in r.error
    r = run_process("h", ["/nonexistent/ssh"], b"", 5, 1000)
    assert r.unreachable and "cannot run" in r.error


def test_real_ssh_to_a_closed_port_is_unreachable() -> None:
    argv = ssh_argv({"ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_ssh_common_args":
                     "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no"}, "h", "true", 5)
    r = run_process("h", argv, b"", 20, 1000)
    assert r.unreachable and r.exit_code == 255 and "refused" in r.error.lower()


class SilentListener:
    """A TCP port on loopback that accepts connections and never answers (a wedged WinRM listener)."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


def loopback_psrp(port: int, password: str = "pw", timeout: float = 30) -> dict:
    """pypsrp arguments for a WinRM-over-HTTP host on loopback ``port`` (NTLM)."""
    return psrp_kwargs({"ansible_connection": "psrp", "ansible_host": "127.0.0.1", "ansible_port": port,
                        "ansible_psrp_protocol": "http", "ansible_psrp_auth": "ntlm", "ansible_user": "msp",
                        "ansible_password": password}, "win01", timeout)


def test_psrp_has_a_hard_deadline_and_says_timed_out() -> None:
    """pypsrp alone would wait its read timeout and then poll again; the worker process is killed
    at the deadline, and the result is "timed out", not "unreachable"."""
    from fleet.health.transport import run_psrp

    srv = SilentListener()
    try:
        kw = loopback_psrp(srv.port, "S3cret-pw-not-in-output")
        t0 = time.monotonic()
        r = run_psrp("win01", kw, "'hello'", 2, 1000)
        took = time.monotonic() - t0
    finally:
        srv.close()
    assert r.timed_out and not r.unreachable and r.error == "timed out after 2s", r
    assert took < 6, took
    assert "S3cret" not in r.stderr + r.error


def test_psrp_connection_refused_is_unreachable() -> None:
    import socket

    from fleet.health.transport import run_psrp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once closed
    kw = loopback_psrp(port, timeout=10)
    r = run_psrp("win01", kw, "'hello'", 10, 1000)
    assert r.unreachable and not r.timed_out and r.exit_code == 255, r


def test_the_psrp_worker_does_not_outlive_its_deadline_on_its_own() -> None:
    """Should the sweep be killed with -9, its PSRP worker (a session of its own) still ends: it
    arms an alarm for its deadline."""
    import subprocess

    from fleet.health.transport import PSRP_WORKER, psrp_payload

    srv = SilentListener()
    try:
        kw = loopback_psrp(srv.port, timeout=60)
        t0 = time.monotonic()
        r = subprocess.run(list(PSRP_WORKER), input=psrp_payload(kw, "'x'", 1), capture_output=True, timeout=30)
    finally:
        srv.close()
    assert r.returncode == -14  # SIGALRM
    assert time.monotonic() - t0 < 15


def test_the_sweep_stops_waiting_for_a_wedged_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    """The transports end their round trips at the deadline; should a thread still not come back
    (stuck in a kernel call, a bug), the sweep records the host "timed out" past a grace period
    and goes on, so the run always closes. (A wedged thread cannot be made with real parts: the
    round trip is replaced by one that blocks.)"""
    import threading
    from types import SimpleNamespace

    from fleet.health import sweep as sweep_mod
    from fleet.health.transport import RawResult

    release = threading.Event()

    def wedged(plan, settings, timeout):  # type: ignore[no-untyped-def]
        if plan.host.name == "stuck":
            release.wait(30)
        return RawResult(plan.host.name, b"{}", time.time(), time.time(), 0)

    monkeypatch.setattr(sweep_mod, "collect", wedged)
    monkeypatch.setattr(sweep_mod, "OVERDUE_GRACE_S", 0.5)
    sw = sweep_mod.Sweep.__new__(sweep_mod.Sweep)
    sw.settings = SimpleNamespace()
    plans = [SimpleNamespace(host=SimpleNamespace(name=n)) for n in ("stuck", "ok1", "ok2")]
    t0 = time.monotonic()
    try:
        got = {p.host.name: r for p, r in sw._collect(plans, sweep_mod.SweepOptions(forks=2, timeout=1))}
    finally:
        release.set()
    assert time.monotonic() - t0 < 5
    assert got["stuck"].timed_out and got["stuck"].error == "timed out after 1s"
    assert not got["ok1"].timed_out and not got["ok2"].timed_out


class Http401Listener:
    """A loopback HTTP server that answers every request 401 with ``WWW-Authenticate: Kerberos``
    (a WinRM listener that only takes Kerberos)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(401)
                self.send_header("WWW-Authenticate", "Kerberos")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


gssapi_missing = pytest.mark.skipif(__import__("importlib").util.find_spec("gssapi") is not None,
                                    reason="gssapi is installed: Kerberos is available here")


@gssapi_missing
def test_kerberos_without_gssapi_is_a_controller_problem_not_an_unreachable_host() -> None:
    """Before: pyspnego's ImportError in the worker came back as exit 255, "unreachable", and the
    technician went looking at the practice's network."""
    from fleet.health.transport import run_psrp

    hv = {"ansible_connection": "psrp", "ansible_host": "127.0.0.1", "ansible_port": 5986,
          "ansible_psrp_auth": "kerberos", "ansible_user": "msp@PRACTICE.LOCAL"}
    with pytest.raises(TransportError, match="gssapi") as err:
        psrp_kwargs(hv, "win01", 10)
    assert "pypsrp[kerberos]" in str(err.value) and "ntlm" in str(err.value)
    # the worker itself, should it be given Kerberos anyway (a listener that only offers Kerberos)
    srv = Http401Listener()
    try:
        kw = loopback_psrp(srv.port, timeout=10)
        kw["auth"] = "kerberos"
        r = run_psrp("win01", kw, "'hello'", 10, 1000)
    finally:
        srv.close()
    assert not r.unreachable and not r.timed_out and r.exit_code == 3, r
    assert "this controller" in r.error and "gssapi" in r.error


GUARDED_FLEET = """
import subprocess, sys
from fleet.health import transport
r = transport.run_process("h1", [sys.executable, "-c", "print('ok')"], b"", 20, 1000)
assert r.stdout == b"ok\\n", r
# a collector this fleet started but never recorded (killed between the fork and the bookkeeping):
# the guard finds it by the mark in its environment
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=transport._GUARD.environ(),
                 start_new_session=True)
print("started", flush=True)
sys.stdin.read()
"""


def _marked(mark: str) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{d}/environ", "rb") as f:
                if f"{transport.GUARD_VAR}={mark}".encode() in f.read().split(b"\0"):
                    out.append(int(d))
    return out


def test_collectors_a_killed_fleet_started_die_with_it_even_unrecorded_ones() -> None:
    """The guard (one process per fleet, replacing a setpriv + sh prefix per host: ~2 ms of CPU a host)
    kills every process carrying fleet's mark once fleet is gone, SIGKILL included; one being started
    at that moment (fleet killed before it noted it) included. Collectors keep a session each."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(transport.__file__).parents[2]),
                                                                      os.environ.get("PYTHONPATH")]))}
    fleet = subprocess.Popen([sys.executable, "-c", GUARDED_FLEET], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             env=env, text=True)
    assert fleet.stdout is not None and fleet.stdout.readline().strip() == "started"
    guards = [int(d) for d in os.listdir("/proc") if d.isdigit() and cmdline(int(d)).startswith(
        f"{sys.executable} -S -c") and _ppid(int(d)) == fleet.pid]
    assert len(guards) == 1
    mark = cmdline(guards[0]).rsplit("=", 1)[1].strip()
    kids = _marked(mark)
    assert len(kids) == 1 and os.getsid(kids[0]) == kids[0]  # a session of its own
    fleet.kill()
    fleet.wait()
    deadline = time.monotonic() + 5
    while _marked(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = _marked(mark)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_the_guard_of_a_fleet_ending_normally_exits_without_killing() -> None:
    code = ("import sys\nfrom fleet.health import transport\n"
            "print(transport.run_process('h', [sys.executable, '-c', 'print(1)'], b'', 20, 100).stdout)\n"
            "print(transport._GUARD.proc.pid, flush=True)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(transport.__file__).parents[2])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 0, out.stderr
    first, pid = out.stdout.splitlines()
    assert first == "b'1\\n'"
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{pid}") and _status_state(int(pid)) != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}") or _status_state(int(pid)) == "Z"


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def _status_state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def test_a_deploys_precollection_ends_the_collectors_guard_before_ansible_runs(wsb: Any) -> None:
    """The guard is only needed while collectors run: a deploy's pre-collection lets it go when its
    last host has answered, instead of keeping the process (~4 MB PSS) through the Ansible run."""
    from fleet.deploy.converge import precollect
    from fleet.desired.plan import plan_host
    from fleet.store import Store
    from fleet.workspace import Workspace

    host = {"ansible_host": "127.0.0.1", "ansible_port": 9, "fleet_role": "workstation", "fleet_platform": "linux"}
    root = wsb.write({"acme": {"acme_main": wsb.practice("dentrix_ascend", {"acme-ws01": host, "acme-ws02": dict(host)},
                                                         fleet_pms_url="https://acme.dentrixascend.com",
                                                         fleet_pms_org_alias="ACME")}})
    ws = Workspace(Path(root))
    inv = ws.inventory
    secrets = {"acme_main": {"fleet_token": "GUARD-TEST-token"}}
    plans = {h.name: plan_host(h, inv.practices[h.practice_id], secrets["acme_main"], ws.catalog, ws.config)
             for h in inv.hosts.values()}
    allow_running()
    store = Store(f"sqlite:///{root}/state/fleet.db")
    verdicts = precollect(ws, store, list(inv.hosts.values()), secrets, plans)
    try:
        first = next(verdicts)
        guard = transport._GUARD.proc  # started with the first collector
        assert guard is not None and guard.poll() is None
        rest = list(verdicts)
    finally:
        store.close()
    assert {first[0], *(n for n, _ in rest)} == set(inv.hosts)
    assert all(v.unreachable for _, v in [first, *rest])  # (port 9: refused; ssh did run)
    assert transport._GUARD.proc is None
    assert guard.wait(timeout=5) == 0  # told "done": it exited without looking for collectors
