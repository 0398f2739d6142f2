"""The lab's local web server on 127.0.0.1: the practice systems' sync endpoint stand-in and the test
extensions' update server (``webserver.py``, run as its own process), started and stopped per lab."""


from __future__ import annotations

from pathlib import Path
from typing import Any

from fleet.lab.errors import LabError
from fleet.lab.sshkeys import write_atomic
from fleet.lab.workspace import engine_dir

# -- the lab's sync endpoint --------------------------------------------------------------------------

ENDPOINT_FILE = "endpoint.json"  # under the engine dir: {"port", "pid", "start"}
ENDPOINT_MARKER = "fleet-lab-endpoint"
WEB_SERVER = Path(__file__).with_name("webserver.py")  # the lab's web server (sync endpoint, test extensions)


def _endpoint_state(workspace: Path) -> dict[str, Any]:
    import json

    try:
        doc = json.loads((engine_dir(workspace) / ENDPOINT_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _endpoint_pid(workspace: Path) -> int | None:
    """The endpoint's pid if the recorded process is still ours (same start time and command line)."""
    from fleet.lab import procs

    st = _endpoint_state(workspace)
    pid = st.get("pid")
    if not pid or not procs.is_alive(pid) or procs.start_time(pid) != st.get("start"):
        return None
    cmd = procs.cmdline(pid)
    return pid if ENDPOINT_MARKER in cmd and str(engine_dir(workspace)) in cmd else None


def endpoint_url(workspace: Path) -> str:
    """The lab's sync endpoint URL (a port is chosen the first time and kept)."""
    import json
    import socket

    st = _endpoint_state(workspace)
    port = st.get("port")
    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        engine_dir(workspace).mkdir(parents=True, exist_ok=True)
        write_atomic(engine_dir(workspace) / ENDPOINT_FILE, json.dumps({"port": port}))
    return f"http://127.0.0.1:{port}/sync"


def start_endpoint(workspace: Path) -> int:
    """Start the lab's local sync endpoint (HTTP 204 on 127.0.0.1) unless it runs; return its pid.

    It stands in for the vendor's sync endpoint that `fleet health` tests from each server (lab
    hosts share the machine's loopback). ``stop_endpoint`` (fleet lab down) stops exactly it."""
    import json
    import subprocess
    import sys
    import time

    from fleet.lab import procs

    pid = _endpoint_pid(workspace)
    if pid:
        return pid
    url = endpoint_url(workspace)
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    edir = engine_dir(workspace)
    log = edir / "endpoint.log"
    with open(log, "ab") as out:
        # Its own session: it outlives this process. (Where init does not reap orphans, as in some
        # containers, it stays a zombie once stopped: dead, holding no port.)
        proc = subprocess.Popen([sys.executable, "-I", str(WEB_SERVER), str(port), ENDPOINT_MARKER, str(edir)],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
                                close_fds=True, cwd="/")
    deadline = time.monotonic() + 10
    while not procs.tcp_connect(port, timeout=0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            tail = log.read_text(errors="replace")[-300:].strip()
            raise LabError(f"the lab's sync endpoint could not listen on 127.0.0.1:{port}: {tail}",
                           hint=f"free the port, or delete {edir / ENDPOINT_FILE} to pick another one")
        time.sleep(0.05)
    write_atomic(edir / ENDPOINT_FILE, json.dumps({"port": port, "pid": proc.pid, "start": procs.start_time(proc.pid)}))
    return proc.pid


def stop_endpoint(workspace: Path) -> list[int]:
    """Stop the lab's sync endpoint if it is the process `start_endpoint` recorded."""
    from fleet.lab import procs

    pid = _endpoint_pid(workspace)
    if pid is None:
        return []
    procs.terminate([pid])
    return [pid]


def endpoint_running(workspace: Path) -> bool:
    return _endpoint_pid(workspace) is not None
