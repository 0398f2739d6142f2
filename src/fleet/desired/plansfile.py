"""The plans file: the plans ``fleet deploy`` computed, handed to Ansible instead of being computed again.

The engine plans every selected host before anything runs (the preview, readiness, the converge
step all use those plans). For each batch it writes the batch's plans to
``state/runs/<run>/plans-<batch>.json`` and passes the path as the extra var ``fleet_plans_file``;
the deploy playbook's plan task then takes the host's entry (the ``fleet_planned`` filter) instead
of calling ``fleet_host_plan``. Without the extra var (plain ansible-playbook, AWX) the playbook
computes the plan from the inventory as before.

A plan holds no secret (``HostPlan`` carries the token's and the product key's fingerprints only;
the roles read the values from the vault vars at run time, in ``no_log`` tasks), so the file is
kept with the run's other artifacts as a record of what Ansible was told to apply. It is written
0600 all the same, like everything in the run dir.

    {"format": "fleet-plans/1", "hosts": {"<inventory name>": <HostPlan.to_dict()>, ...}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fleet.desired.plan import HostPlan
from fleet.errors import FleetError, Location

PLANS_FORMAT = "fleet-plans/1"
PLANS_VAR = "fleet_plans_file"  # the playbook's extra var
PRELOAD_ENV = "FLEET_PRELOAD_PLANS"  # read in ansible-playbook's main process, before it forks


def plans_document(plans: Mapping[str, HostPlan]) -> dict[str, Any]:
    return {"format": PLANS_FORMAT, "hosts": {name: p.to_dict() for name, p in plans.items()}}


def write_plans(path: Path, plans: Mapping[str, HostPlan]) -> Path:
    """Write ``plans`` (host name -> plan) to ``path``, mode 0600, replacing any earlier file."""
    data = json.dumps(plans_document(plans), separators=(",", ":"), sort_keys=True).encode()
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an earlier .tmp with another mode
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def read_plans(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``hosts`` mapping of a plans file. Raises ``FleetError`` with the file named."""
    where = Location(str(path))
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as exc:
        raise FleetError(f"fleet's plans file cannot be read: {exc.strerror}", where=where,
                         hint="fleet deploy writes it for each batch; without fleet_plans_file the playbook "
                              "computes each host's plan from the inventory") from None
    except ValueError as exc:
        raise FleetError(f"fleet's plans file is not JSON: {exc}", where=where) from None
    if not isinstance(doc, dict) or doc.get("format") != PLANS_FORMAT or not isinstance(doc.get("hosts"), dict):
        raise FleetError(f"not a fleet plans file (format {PLANS_FORMAT!r})", where=where)
    hosts: dict[str, Any] = doc["hosts"]
    return hosts
