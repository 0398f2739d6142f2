"""One PSRP round trip in its own process: ``python -m fleet.health.psrp_worker``.

The sweep runs this under ``transport.run_process``'s hard deadline, like ``ssh``: pypsrp polls
again after each WinRM operation timeout and a socket read blocked in a thread cannot be
interrupted, so the only way to bound a PowerShell remoting call is to kill a process.

stdin: ``{"client": <pypsrp Client arguments>, "script": <PowerShell>, "deadline_s": <seconds>}``
(JSON; the password comes this way, never on a command line or in the environment). stdout: the script's output
stream. Exit codes follow ``ssh``'s: 255 when the host could not be reached or refused the
login (the message on stderr), 1 when the script failed without output, 3 when this controller
lacks what the host's settings need (a library: not "unreachable"), 0 otherwise (the error stream,
if any, on stderr).
"""

from __future__ import annotations

import json
import signal
import sys

CONNECTION_ERROR = 255
SETUP_ERROR = 3  # the controller cannot do what the host's settings ask (a missing library)


def main() -> int:
    try:
        job = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        client_args, script = dict(job["client"]), str(job["script"])
        deadline = float(job.get("deadline_s") or 0)
    except (ValueError, KeyError, TypeError) as exc:
        sys.stderr.write(f"psrp worker: bad request ({type(exc).__name__})\n")
        return 2
    if deadline > 0:
        # The sweep kills this process at the deadline; should the sweep itself be killed first,
        # the alarm ends it just after (a session of its own, so it is not in the sweep's group).
        signal.alarm(int(deadline) + 2)
    try:
        from pypsrp.client import Client

        client = Client(**client_args)
        output, streams, had_errors = client.execute_ps(script)
    except ImportError as exc:  # a library this controller lacks (gssapi for Kerberos...): not the host's fault
        sys.stderr.write(f"cannot use PowerShell remoting from this controller: {exc}"[:500] + "\n")
        return SETUP_ERROR
    except Exception as exc:  # pypsrp raises many types (requests, spnego, WSMan faults)
        sys.stderr.write(f"{type(exc).__name__}: {exc}"[:500] + "\n")
        return CONNECTION_ERROR
    errors = "; ".join(str(e) for e in (getattr(streams, "error", None) or [])[:3])
    if errors:
        sys.stderr.write(errors[:2000] + "\n")
    sys.stdout.buffer.write((output or "").encode("utf-8", errors="replace"))
    sys.stdout.flush()
    if had_errors and not output:
        if not errors:
            sys.stderr.write("collector failed with no output\n")
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a process by the sweep
    sys.exit(main())
