"""How fleet keeps a deploy's controller memory down (issue 9p: 559 MB PSS at 203 hosts before)."""

from __future__ import annotations

from pathlib import Path

import yaml

from fleet.deploy.engine import DEPLOY_STRATEGY, batch_extravars
from fleet.deploy.runner import CONTROL_PERSIST_S, FORK_MB, ansible_env, default_forks
from fleet.resources import data_dir


def test_forks_follow_the_cpus_and_are_capped_by_the_memory_available() -> None:
    assert default_forks(203, cpus=2, avail_mb=22_000) == 6  # 3 a CPU on a roomy machine (8 before: 337 MB)
    assert default_forks(203, cpus=4, avail_mb=22_000) == 12
    assert default_forks(3, cpus=2, avail_mb=22_000) == 3  # never more than the hosts
    # 1 GB available: a quarter of it is 10 forks' worth at FORK_MB each; 500 MB -> the floor of 5
    assert default_forks(203, cpus=16, avail_mb=1000) == 1000 // 4 // FORK_MB
    assert default_forks(203, cpus=16, avail_mb=500) == 5
    assert default_forks(203, cpus=64, avail_mb=1_000_000) == 64  # FORKS_CAP


def test_each_host_runs_through_its_tasks_on_one_fork_and_its_ssh_master_ends_soon_after() -> None:
    """With the free strategy every host's ssh master lived for the whole run (60 s ControlPersist):
    ~110 masters, 165 MB of a 203-host first deploy's 559 MB PSS. host_pinned keeps about ``forks``
    hosts connected at once, and a master outlives its host's last task by CONTROL_PERSIST_S."""
    assert DEPLOY_STRATEGY == "host_pinned"
    ev = batch_extravars(Path("/ws/fleet.yml"), remove=False)
    assert ev == {"fleet_config_file": "/ws/fleet.yml", "fleet_strategy": "host_pinned"}
    assert batch_extravars(Path("/ws/fleet.yml"), remove=True)["fleet_state"] == "absent"
    play = yaml.safe_load((data_dir("playbooks") / "deploy.yml").read_text())[0]
    assert "fleet_strategy" in play["strategy"]  # the playbook takes it (free by default, for AWX)
    args = ansible_env(None)["ANSIBLE_SSH_ARGS"]
    assert "ControlMaster=auto" in args and f"ControlPersist={CONTROL_PERSIST_S}s" in args
    assert CONTROL_PERSIST_S <= 15


def test_ansible_playbook_freezes_its_heap_before_forking_workers_under_fleet(tmp_path: Path) -> None:
    """The filter plugin, imported by ansible-playbook itself before it forks a worker, freezes the
    heap (gc.freeze) so workers' collections leave the parent's pages shared."""
    import subprocess
    import sys

    plugin = data_dir("playbooks") / "filter_plugins" / "fleet_plan.py"
    code = ("import gc, runpy, sys\nassert gc.get_freeze_count() == 0\n"
            f"runpy.run_path({str(plugin)!r})\nprint(gc.get_freeze_count())\n")
    cfg = tmp_path / "fleet.yml"
    cfg.write_text("msp: {name: t}\n")
    env = {"FLEET_PRELOAD_CONFIG": str(cfg), "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    frozen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert frozen.returncode == 0, frozen.stderr
    assert int(frozen.stdout.split()[-1]) > 10_000
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env={**env, "FLEET_PRELOAD_CONFIG": ""}, timeout=60)
    assert plain.returncode == 0 and plain.stdout.split()[-1] == "0", plain.stderr
