"""fleet deploy: plan in Python, apply with Ansible (through ansible-runner), record in the store.

    from fleet.deploy import DeployOptions, prepare
    deployment = prepare(ws, practices=["brightsmiles_downtown"], options=DeployOptions(check=True))
    result = deployment.run()          # DeployResult: run id, status, one HostOutcome per host

``prepare`` raises (``DeployBlocked``, ``SelectionError``, ``VaultError``...) before anything runs.
"""

from fleet.deploy.engine import (
    DeployBlocked,
    Deployment,
    DeployOptions,
    DeployResult,
    Observer,
    hosts_to_retry,
    prepare,
    select_hosts,
)
from fleet.deploy.results import HostOutcome, practice_rows

__all__ = [
    "DeployBlocked",
    "DeployOptions",
    "DeployResult",
    "Deployment",
    "HostOutcome",
    "Observer",
    "hosts_to_retry",
    "practice_rows",
    "prepare",
    "select_hosts",
]
