"""`fleet deploy` through an execution node: the deploy engine unchanged, its playbook runs at the site.

Everything before and after Ansible stays on the controller (selection, readiness, the vault, the
plans, canary and serial batches, the store and the audit trail). Only each batch's
ansible-playbook run moves: ``RemotePlaybookRun`` takes the place of
``fleet.deploy.runner.PlaybookRun`` (same constructor, same event stream), sending the deploy
playbook, its roles and filter plugin, the batch's plans file (the plans the engine computed: the
node applies them, it does not plan again), the workspace inventory (vault files still encrypted)
and fleet.yml (without store or alert settings) to the node.

    with deploy_via(node):
        result = deployment.run(observer)

``deploy_via`` puts a node's run maker in the engine's ``batch_run`` seam for the duration (a typed
``BatchRunFactory``; proposed later: ``Deployment.run(..., runner=...)``); nothing else in the
engine changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from fleet.deploy.runner import BatchResult, BatchSpec
from fleet.desired.plansfile import PLANS_VAR, PRELOAD_ENV
from fleet.remote.node import ExecutionNode
from fleet.remote.stream import RemoteJob, RemoteRun
from fleet.resources import data_dir
from fleet.secrets.vault import VaultPassword

DEPLOY_PLAYBOOK = "deploy.yml"
PLANS_FILE = "fleet-plans.json"  # the batch's plans file, in the node's project/


def deploy_project() -> dict[str, Path]:
    """What the node's project/ gets: the deploy playbook, the filter plugin beside it, the roles."""
    playbooks = data_dir("playbooks")
    return {DEPLOY_PLAYBOOK: playbooks / DEPLOY_PLAYBOOK, "filter_plugins": playbooks / "filter_plugins",
            "roles": data_dir("roles")}


class RemotePlaybookRun:
    """``PlaybookRun(run_dir, inventory, config_file, password, spec, keep_events)`` on a node: a
    ``RemoteRun`` of the deploy playbook, seen by the engine as a ``BatchRun``."""

    def __init__(self, node: ExecutionNode, run_dir: Path, inventory: Path, config_file: Path | None,
                 password: VaultPassword, spec: BatchSpec, keep_events: bool = True) -> None:
        extravars = dict(spec.extravars)
        config = extravars.pop("fleet_config_file", None)  # a controller path; the node gets its own copy
        project = deploy_project()
        envvars: dict[str, str] = {}
        plans = extravars.pop(PLANS_VAR, None)  # the engine's plans (no secret): sent in the job's project/
        if plans:
            project[PLANS_FILE] = Path(plans)
            extravars[PLANS_VAR] = PLANS_FILE  # relative to project/, the job's cwd
            envvars[PRELOAD_ENV] = PLANS_FILE
        job = RemoteJob(
            ident=spec.ident, playbook=DEPLOY_PLAYBOOK, project=project, inventory_dir=Path(inventory),
            config_path=Path(config) if config else None, hosts=list(spec.hosts), forks=spec.forks,
            check=spec.check, diff=spec.diff, extravars=extravars, vault_password=password.value,
            verbosity=spec.verbosity, envvars=envvars)
        self.run = RemoteRun(node, job, run_dir, keep_events=keep_events)
        self.spec = spec

    def start(self) -> None:
        self.run.start()

    def finished(self) -> bool:
        return self.run.finished()

    def next_event(self, timeout: float = 0.1) -> dict[str, Any] | None:
        return self.run.next_event(timeout)

    def terminate(self) -> None:
        self.run.terminate()

    def wait(self, timeout: float | None = None) -> BatchResult:
        r = self.run.wait(timeout)
        return BatchResult(r.status, r.rc, r.artifact_dir)


@contextlib.contextmanager
def deploy_via(node: ExecutionNode) -> Iterator[None]:
    """Within this block, every deploy batch runs on ``node``."""
    from fleet.deploy import engine

    original = engine.batch_run
    engine.batch_run = partial(RemotePlaybookRun, node)
    try:
        yield
    finally:
        engine.batch_run = original
