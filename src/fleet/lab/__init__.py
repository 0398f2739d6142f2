"""Lab hosts: simulated practice machines on this one, for the demo, end-to-end tests and benchmarks.

Each host is a real ``sshd`` on 127.0.0.1:PORT in its own mount and UTS namespaces, with its own
``/etc/opt/chrome``, ``/etc/chromium``, ``/etc/opt/edge``, ``/opt/fleet-lab``, ``/var/lib/fleet-lab``
and browser profiles under the login user's ``~/.config``. Ansible reaches them over ssh like
any Linux workstation or server.

    from fleet.lab import Lab, plan_lab, write_inventory
    state = Lab("/tmp/lab").up(plan_lab(practices=3, workstations=2))
    write_inventory(state.connected_topology(), "WORKSPACE/inventory")

Needs root on Linux, openssh-server and util-linux. ``python -m fleet.lab --help`` for the CLI.
"""

from fleet.lab.errors import LabError
from fleet.lab.hosts import (
    HostStatus,
    Lab,
    down_lab,
    exec_in_host,
    lab_status,
    start_host,
    stop_host,
    up_lab,
)
from fleet.lab.inventory import host_vars, inventory_data, write_inventory
from fleet.lab.state import HostRecord, LabState
from fleet.lab.topology import LabClient, LabHost, LabPractice, LabSSH, LabTopology, plan_lab

__all__ = [
    "HostRecord",
    "HostStatus",
    "Lab",
    "LabClient",
    "LabError",
    "LabHost",
    "LabPractice",
    "LabSSH",
    "LabState",
    "LabTopology",
    "down_lab",
    "exec_in_host",
    "host_vars",
    "inventory_data",
    "lab_status",
    "plan_lab",
    "start_host",
    "stop_host",
    "up_lab",
    "write_inventory",
]
