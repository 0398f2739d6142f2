"""What passing the engine's plans to Ansible saves: the deploy playbook on a running lab, with the
plans file ``fleet deploy`` wrote (``fleet_plans_file``) and without it (each host planned by the
``fleet_host_plan`` filter), interleaved, on the same in-sync hosts.

    .venv/bin/python benchmarks/bench_plans_file.py --dir LAB_WORKSPACE [--repeat 3] [--forks 20]

LAB_WORKSPACE: a lab workspace (``fleet lab up``) that was deployed once. The plans file is written
here from fleet's own plans (``fleet.deploy.prepare``, as the engine does for a batch); each run is
``ansible-playbook playbooks/deploy.yml`` on every host of the workspace, measured like
benchmarks/run.py (whole process tree, measure.py). Prints each run and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import run_measured  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> int:
    from fleet.deploy import prepare
    from fleet.desired.plansfile import write_plans
    from fleet.resources import data_dir
    from fleet.workspace import Workspace

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, required=True, help="the lab workspace")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--forks", type=int, default=20)
    ns = ap.parse_args()
    root = ns.dir.resolve()
    d = prepare(Workspace(root))
    tmp = Path(tempfile.mkdtemp(prefix="fleet-bench-plans-"))
    plans = write_plans(tmp / "plans.json", d.plans)
    n = len(d.plans)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
    argv = [str(BIN / "ansible-playbook"), str(data_dir("playbooks") / "deploy.yml"), "--forks", str(ns.forks),
            "-e", f"fleet_config_file={root / 'fleet.yml'}"]
    variants = {"file": [*argv, "-e", f"fleet_plans_file={plans}"], "filter": argv}
    envs = {"file": base | {"FLEET_PRELOAD_PLANS": str(plans), "FLEET_PRELOAD_CONFIG": str(root / "fleet.yml")},
            "filter": base | {"FLEET_PRELOAD_CONFIG": str(root / "fleet.yml")}}
    results: dict[str, list] = {k: [] for k in variants}
    os.chdir(root)  # the workspace's ansible.cfg: inventory, roles, filters, vault password file
    for i in range(ns.repeat):
        for name, cmd in variants.items():
            with tempfile.NamedTemporaryFile(suffix=".out") as out, tempfile.NamedTemporaryFile(suffix=".err") as err:
                m = run_measured(cmd, env=envs[name], stdout_path=out.name, stderr_path=err.name)
                if m.rc != 0 or "changed=0" not in Path(out.name).read_text():
                    raise SystemExit(f"{name} run {i + 1}: rc {m.rc}\n{Path(out.name).read_text()[-2000:]}")
            results[name].append(m)
            print(f"{name:6} {i + 1}: wall {m.wall_s:6.2f}s  CPU {m.cpu_s:6.2f}s ({1000 * m.cpu_s / n:.0f} ms/host)  "
                  f"hosts {n}  (load {os.getloadavg()[0]:.1f})", flush=True)
    med = {k: (statistics.median(m.wall_s for m in v), statistics.median(m.cpu_s for m in v))
           for k, v in results.items()}
    for k, (wall, cpu) in med.items():
        print(f"{k} median: wall {wall:.2f}s, CPU {cpu:.2f}s, {1000 * cpu / n:.1f} ms/host")
    print(f"file/filter: wall {med['file'][0] / med['filter'][0]:.3f}, CPU {med['file'][1] / med['filter'][1]:.3f}; "
          f"CPU saved {1000 * (med['filter'][1] - med['file'][1]) / n:.1f} ms/host")
    return 0


if __name__ == "__main__":
    sys.exit(main())
