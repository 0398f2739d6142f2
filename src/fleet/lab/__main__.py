"""``python -m fleet.lab``: start, inspect and stop a lab without the fleet CLI.

    python -m fleet.lab up --practices 3 --workstations 2 --dir /tmp/lab [--inventory DIR]
    python -m fleet.lab status --dir /tmp/lab [--json]
    python -m fleet.lab stop-host --dir /tmp/lab HOST
    python -m fleet.lab start-host --dir /tmp/lab HOST
    python -m fleet.lab exec --dir /tmp/lab HOST -- CMD...
    python -m fleet.lab down --dir /tmp/lab [--purge]

Exit status: 0 success (status: every host up), 1 error or a host down, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from fleet.lab.errors import LabError
from fleet.lab.hosts import Lab
from fleet.lab.inventory import write_inventory
from fleet.lab.topology import plan_lab


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m fleet.lab", description="simulated practice hosts (sshd in namespaces)"
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="create or resume a lab and start every host that is down")
    up.add_argument("--practices", type=int, help="number of practices (needed to create a lab)")
    up.add_argument("--workstations", type=int, default=2, help="workstations per practice (default 2)")
    up.add_argument("--inventory", help="also write the Ansible inventory (one file per client) here")
    up.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for hosts (default 60)")
    down = sub.add_parser("down", help="stop every host of the lab")
    down.add_argument("--purge", action="store_true", help="also delete the lab directory")
    st = sub.add_parser("status", help="show each host: up/down, port, pid")
    st.add_argument("--json", action="store_true")
    for name in ("stop-host", "start-host"):
        p = sub.add_parser(name, help=f"{name.split('-')[0]} one host")
        p.add_argument("host")
    ex = sub.add_parser("exec", help="run a command inside a host's namespace")
    ex.add_argument("host")
    ex.add_argument("argv", nargs=argparse.REMAINDER)
    for p in sub.choices.values():
        p.add_argument("--dir", required=True, help="lab directory")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    lab = Lab(args.dir)
    try:
        if args.cmd == "up":
            topology = None
            if args.practices is not None:
                topology = plan_lab(args.practices, args.workstations)
            elif not lab.exists():
                print("error: --practices is needed to create a lab", file=sys.stderr)
                return 2
            state = lab.up(topology, timeout=args.timeout)
            ls = state.last_start
            print(
                f"lab {state.lab_dir}: {len(state.hosts)} hosts up"
                + (f" (started {ls.get('hosts', 0)} in {ls.get('seconds', 0):.2f}s)" if ls else "")
            )
            print(f"  ssh -F {state.paths.ssh_config} HOST")
            if args.inventory:
                for path in write_inventory(state.connected_topology(), args.inventory):
                    print(f"  wrote {path}")
        elif args.cmd == "down":
            pids = lab.down(purge=args.purge)
            print(f"stopped {len(pids)} processes" + (f"; removed {lab.paths.root}" if args.purge else ""))
        elif args.cmd == "status":
            rows = lab.status()
            if args.json:
                print(json.dumps([{**r.__dict__, "status": r.status} for r in rows], indent=2))
            else:
                for r in rows:
                    print(
                        f"{r.name:32} {r.status:8} {r.role:11} port {r.port or '-':>5}  pid {r.pid or '-':>7}"
                        f"  {r.client}/{r.practice}"
                    )
            return 0 if all(r.status == "up" for r in rows) else 1
        elif args.cmd == "stop-host":
            print(f"stopped {args.host} (pids {lab.stop_host(args.host)})")
        elif args.cmd == "start-host":
            rec = lab.start_host(args.host)
            print(f"started {args.host} on port {rec.port} (pid {rec.pid})")
        elif args.cmd == "exec":
            argv_ = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
            return lab.exec_in_host(args.host, argv_, capture_output=False).returncode
    except LabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
