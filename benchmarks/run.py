"""Scale benchmark: `fleet health` and `fleet deploy` over a lab of hundreds of hosts, against baselines.

    .venv/bin/python benchmarks/run.py --hosts 200            # as root; about 15-30 minutes on 2 cores
    .venv/bin/python benchmarks/run.py --hosts 40 --quick     # a smoke run (no stock deploy)

Not part of the test suite: it prints figures (and writes them as JSON with --out); it fails
only when a step does not work (a host not answering, a deploy that fails). From one run:

1. ``fleet health`` over every host: wall time, controller CPU, peak memory;
2. the same collection by raw parallel OpenSSH, driven by ``xargs -P FORKS`` (no Python): the same
   collector script, the same per-host expectations, the same ssh options and parallelism, with
   ControlMaster (``ControlMaster=auto``, ``ControlPersist``) and without;
3. the same collection by stock ``ansible-playbook`` (forks 5, facts on, ansible.builtin.script);
4. ``fleet deploy --yes`` on the fresh lab (first deploy), again with nothing to change
   (idempotent re-deploy), and the same playbook run by stock ``ansible-playbook``
   (forks 5, facts on, no pipelining);
5. ratios and hosts per second; 6. controller CPU per host. Memory at two sizes (``--small``,
   default half the hosts, selected with ``--limit``) for the growth figure.

Every command is measured by benchmarks/measure.py: the command runs as the only child of a
subreaper helper, so its whole process tree (ansible forks, ssh clients, ControlPersist masters
that daemonize) and nothing else is counted; the lab's sshd and the collectors they run are
children of the lab's own reaper and are never in it.

``PYTHONPATH=COPY/src`` runs the whole suite on another source tree (e.g. ``git archive HEAD src playbooks
roles templates | tar -x -C COPY`` while the working tree is being edited).

The lab (``fleet lab up``) is started in a fresh directory and stopped at the end (``--keep`` keeps
it; ``--dir`` reuses a running lab and skips the first deploy unless ``--first-deploy``).
"""

from __future__ import annotations

import argparse
import compileall
import http.server
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# PYTHONPATH=COPY/src benchmarks another source tree (a snapshot, a patched copy): this process and
# every fleet/ansible-playbook it starts use that tree's code, playbooks and roles.
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from measure import Measurement, run_measured  # noqa: E402

VENV_BIN = Path(sys.executable).parent
FLEET = str(VENV_BIN / "fleet")
ANSIBLE_PLAYBOOK = str(VENV_BIN / "ansible-playbook")
WORKSTATIONS = 4

# Targets from the issue (2-core machine).
TARGET_SWEEP_VS_RAW = 1.0  # fleet wall <= raw OpenSSH wall
TARGET_STOCK_VS_SWEEP = 10.0  # stock Ansible >= 10x fleet
TARGET_CPU_MS_PER_HOST = 20.0
TARGET_IDEMPOTENT_VS_STOCK = 3.0
TARGET_PEAK_MB = 400.0


@dataclass
class Row:
    name: str
    hosts: int
    m: Measurement
    note: str = ""

    @property
    def hosts_per_s(self) -> float:
        return self.hosts / self.m.wall_s if self.m.wall_s else 0.0

    @property
    def cpu_ms_per_host(self) -> float:
        return 1000 * self.m.cpu_s / self.hosts if self.hosts else 0.0

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "hosts": self.hosts, "note": self.note, "hosts_per_s": round(self.hosts_per_s, 2),
                "cpu_ms_per_host": round(self.cpu_ms_per_host, 2), **asdict(self.m)}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- the machine ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))

    def version(argv: list[str]) -> str:
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    from importlib.metadata import version as pkg_version

    return {
        "nproc": os.cpu_count(), "cpu_model": model, "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(), "python": platform.python_version(),
        "ansible_core": pkg_version("ansible-core"), "ansible_runner": pkg_version("ansible-runner"),
        "openssh": version(["ssh", "-V"]), "fleet": pkg_version("fleet"),
    }


# -- the lab ----------------------------------------------------------------------------------------


def practices_for(hosts: int, workstations: int) -> int:
    from fleet.lab import plan_lab

    p = max(1, hosts // (workstations + 1))
    while len(plan_lab(p, workstations).hosts) < hosts:
        p += 1
    return p


class Endpoint:
    """The vendor's sync endpoint, stood in by a local HTTP server (servers' collectors probe it)."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(204)
                self.end_headers()

            do_HEAD = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sync"


BROWSER_SIM = r"""
import glob, json, os
home = os.path.expanduser("~")
for policy_dir, data in (("/etc/opt/chrome/policies/managed", ".config/google-chrome"),
                         ("/etc/chromium/policies/managed", ".config/chromium"),
                         ("/etc/opt/edge/policies/managed", ".config/microsoft-edge")):
    wanted = []
    for f in sorted(glob.glob(policy_dir + "/*.json")):
        try:
            doc = json.load(open(f))
        except ValueError:
            continue
        if isinstance(doc.get("ExtensionInstallForcelist"), list):
            wanted = [str(e).split(";")[0] for e in doc["ExtensionInstallForcelist"]]
    for prof in glob.glob(os.path.join(home, data, "Default")) + glob.glob(os.path.join(home, data, "Profile *")):
        for ext_id in wanted:
            os.makedirs(os.path.join(prof, "Extensions", ext_id, "3.1.4_0"), exist_ok=True)
            open(os.path.join(prof, "Extensions", ext_id, ".force_installed"), "w").close()
"""


def simulate_browsers(ws_dir: Path, hosts: list[str]) -> None:
    """What Chrome does after a deploy: install the force-listed extension in every profile."""
    from concurrent.futures import ThreadPoolExecutor

    from fleet.lab import Lab
    from fleet.lab.workspace import engine_dir

    lab = Lab(engine_dir(ws_dir))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda h: lab.exec_in_host(h, ["python3", "-c", BROWSER_SIM], check=True), hosts))


def lab_up(ws_dir: Path, practices: int, workstations: int) -> None:
    subprocess.run([FLEET, "lab", "up", "--practices", str(practices), "--workstations", str(workstations),
                    "--dir", str(ws_dir), "--timeout", "300", "--browsers", "simulated"], check=True,
                   stdout=subprocess.DEVNULL)  # simulated: real Chromium would load the machine being measured


def lab_down(ws_dir: Path) -> None:
    subprocess.run([FLEET, "lab", "down", "--purge", "--dir", str(ws_dir)], check=False)


def set_endpoint(ws_dir: Path, url: str) -> None:
    cfg = ws_dir / "fleet.yml"
    text = cfg.read_text()
    text, n = re.subn(r"(?m)^sync_endpoint:.*$", f"sync_endpoint: {url}", text)
    if not n:
        text += f"\nsync_endpoint: {url}\n"
    cfg.write_text(text)


# -- what the baselines need from fleet: the same hosts, argv and expectations ------------------------


@dataclass
class HostJob:
    name: str
    argv: list[str]
    payload: bytes
    expect_json: str


def host_jobs(ws_dir: Path, names: list[str]) -> list[HostJob]:
    """The exact ssh argv and stdin payload fleet's sweep sends each host (fleet.health internals)."""
    from fleet.health.settings import load_settings
    from fleet.health.sweep import Sweep, collector_script
    from fleet.health.transport import posix_payload, posix_remote_command, ssh_argv
    from fleet.store import Store
    from fleet.workspace import Workspace

    ws = Workspace(ws_dir)
    settings = load_settings(ws.config_path)
    by_name = {h.name: h for p in ws.inventory.practices.values() for h in p.hosts}
    store = Store("sqlite://")  # Sweep.plan does not touch the store
    plans = Sweep(ws, store, settings).plan([by_name[n] for n in names])
    script = collector_script("posix.sh")
    jobs = []
    for plan in plans:
        doc = json.dumps(plan.expect.wire, separators=(",", ":"))
        h = plan.host
        argv = ssh_argv(h.vars, h.name, posix_remote_command(h.vars), 30, settings.ssh_options)
        jobs.append(HostJob(h.name, argv, posix_payload(script, doc), doc))
    store.close()
    return jobs


def all_hosts(ws_dir: Path) -> list[str]:
    from fleet.inventory.model import load_inventory

    inv = load_inventory(ws_dir / "inventory")
    return [h.name for p in inv.practices.values() for h in p.hosts]


def check_answers(answers: dict[str, bytes], what: str) -> int:
    """How many answers are a facts document; raises when one is not (the baseline did not work)."""
    from fleet.health.facts import FactsError, parse_facts

    bad = []
    for host, out in answers.items():
        try:
            parse_facts(out, 1024 * 1024)
        except FactsError as exc:
            bad.append(f"{host}: {exc.reason}")
    if bad:
        raise SystemExit(f"{what}: {len(bad)} host(s) gave no facts document: {'; '.join(bad[:5])}")
    return len(answers)


# -- the measured steps ---------------------------------------------------------------------------


def fleet_env(ws_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
    env |= {"FLEET_WORKSPACE": str(ws_dir), "NO_COLOR": "1", "COLUMNS": "200"}
    return env


def measured(argv: list[str], out_dir: Path, tag: str, **kw: Any) -> tuple[Measurement, str, str]:
    out, err = out_dir / f"{tag}.out", out_dir / f"{tag}.err"
    shown = shlex.join(a if len(a) < 80 else a[:60] + "..." for a in argv[:8])
    log(f"{tag}: {shown}{' ...' if len(argv) > 8 else ''} (load {loadavg()})")
    m = run_measured(argv, stdout_path=str(out), stderr_path=str(err), **kw)
    log(f"{tag}: rc={m.rc} wall={m.wall_s:.1f}s cpu={m.cpu_s:.1f}s pss={m.peak_pss_sum_mb:.0f}MB")
    return m, out.read_text(errors="replace"), err.read_text(errors="replace")


def fleet_health(ws_dir: Path, out_dir: Path, tag: str, forks: int, names: list[str] | None) -> Row:
    argv = [FLEET, "health", "--forks", str(forks), "--json"]
    if names:
        argv += ["--limit", ",".join(names)]
    m, out, err = measured(argv, out_dir, tag, env=fleet_env(ws_dir))
    if m.rc not in (0, 1, 2, 3):
        raise SystemExit(f"{tag}: fleet health failed (rc {m.rc}): {err[-2000:]}")
    doc = json.loads(out)
    s = doc["summary"]
    unreachable = s["hosts_by_status"].get("unreachable", 0) + s["hosts_by_status"].get("unknown", 0)
    if unreachable:
        raise SystemExit(f"{tag}: {unreachable} hosts did not answer: {s['hosts_by_status']}")
    m.extra = {"summary": s, "state": doc["state"]}
    note = f"forks {forks}; {s['hosts_by_state']}; in-process sweep {s['wall_s']:.1f}s"
    return Row(f"fleet health ({tag})", s["hosts"], m, note)


def raw_ssh(jobs: list[HostJob], work: Path, out_dir: Path, tag: str, forks: int, control_master: bool) -> Row:
    """Raw parallel OpenSSH: one ``sh`` job per host started by ``xargs -P``; no Python anywhere."""
    d = work / tag
    shutil.rmtree(d, ignore_errors=True)
    (d / "jobs").mkdir(parents=True)
    ctl = Path(tempfile.mkdtemp(prefix="fbctl-"))  # short: ControlPath must fit a unix socket name
    lines = []
    for i, j in enumerate(jobs):
        (d / "jobs" / f"{i}.in").write_bytes(j.payload)
        argv = list(j.argv)
        if control_master:
            cut = argv.index("--")
            argv[cut:cut] = ["-o", "ControlMaster=auto", "-o", f"ControlPath={ctl}/%C", "-o", "ControlPersist=60s"]
        script = d / "jobs" / f"{i}.sh"
        script.write_text(f"exec {shlex.join(argv)} <{d}/jobs/{i}.in >{d}/jobs/{i}.out 2>{d}/jobs/{i}.err\n")
        lines.append(str(script))
    joblist = d / "joblist"
    joblist.write_text("\n".join(lines) + "\n")
    m, _, _ = measured(["xargs", "-P", str(forks), "-n", "1", "sh"], out_dir, tag, stdin_path=str(joblist))
    shutil.rmtree(ctl, ignore_errors=True)
    answers = {j.name: (d / "jobs" / f"{i}.out").read_bytes() for i, j in enumerate(jobs)}
    n = check_answers(answers, tag)
    how = "ControlMaster=auto, ControlPersist=60s" if control_master else "no ControlMaster"
    return Row(f"raw OpenSSH ({tag})", n, m, f"xargs -P {forks}; {how}; fleet's ssh options")


STOCK_CFG = """[defaults]
inventory = {inventory}
roles_path = {roles}
filter_plugins = {filters}
vault_password_file = {vault_pass}
host_key_checking = True
retry_files_enabled = False
"""


def stock_env(ws_dir: Path, work: Path) -> dict[str, str]:
    """ansible-playbook with stock settings: only the paths it needs to find things."""
    from fleet.resources import data_dir

    cfg = work / "stock-ansible.cfg"
    cfg.write_text(STOCK_CFG.format(inventory=ws_dir / "inventory", roles=data_dir("roles"),
                                    filters=data_dir("playbooks") / "filter_plugins",
                                    vault_pass=ws_dir / ".vault-pass"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_"))}
    env |= {"ANSIBLE_CONFIG": str(cfg), "ANSIBLE_NOCOLOR": "1", "PATH": f"{VENV_BIN}:{env.get('PATH', '')}"}
    return env


RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def recap(out: str) -> dict[str, dict[str, int]]:
    return {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                         "failed": int(m.group(5))} for m in RECAP.finditer(out)}


def stock_health(ws_dir: Path, jobs: list[HostJob], work: Path, out_dir: Path) -> Row:
    from fleet.health.sweep import collector_script

    collector = work / "posix.sh"
    collector.write_text(collector_script("posix.sh"))
    expect = work / "stock-expect.json"
    expect.write_text(json.dumps({"bench_expect": {j.name: j.expect_json for j in jobs}}))
    answers_file = work / "stock-answers.json"
    answers_file.unlink(missing_ok=True)
    limit = ",".join([j.name for j in jobs] + ["localhost"])
    argv = [ANSIBLE_PLAYBOOK, str(HERE / "stock_health.yml"), "--limit", limit,
            "-e", f"@{expect}", "-e", f"bench_collector={collector}", "-e", f"bench_answers={answers_file}"]
    m, out, err = measured(argv, out_dir, "stock-ansible-health", env=stock_env(ws_dir, work))
    if m.rc != 0:
        raise SystemExit(f"stock Ansible health failed (rc {m.rc}): {(out + err)[-2000:]}")
    raw = json.loads(answers_file.read_text())
    n = check_answers({h: v.encode() for h, v in raw.items() if h in {j.name for j in jobs}}, "stock Ansible health")
    return Row("stock ansible-playbook health", n, m, "forks 5, facts on, ansible.builtin.script")


def fleet_deploy(ws_dir: Path, out_dir: Path, tag: str, expect_changes: bool | None) -> Row:
    m, out, err = measured([FLEET, "deploy", "--yes", "--json"], out_dir, tag, env=fleet_env(ws_dir))
    doc = json.loads(out) if out.strip() else {}
    s = doc.get("summary", {})
    if m.rc != 0 or s.get("failed") or s.get("unreachable") or s.get("unknown"):
        raise SystemExit(f"{tag}: fleet deploy failed (rc {m.rc}): {s} {err[-2000:]}")
    if expect_changes is False and s.get("changed"):
        raise SystemExit(f"{tag}: an idempotent re-deploy changed {s['changed']} hosts")
    m.extra = {"summary": s, "run_id": doc.get("run_id")}
    from fleet.deploy.runner import default_forks

    return Row(f"fleet deploy ({tag})", s["hosts"], m,
               f"forks {default_forks(s['hosts'])} (default); {s.get('changed', 0)} hosts changed")


def stock_deploy(ws_dir: Path, work: Path, out_dir: Path, n_hosts: int) -> Row:
    from fleet.resources import data_dir

    argv = [ANSIBLE_PLAYBOOK, str(HERE / "stock_deploy.yml"),
            "-e", f"bench_deploy_playbook={data_dir('playbooks') / 'deploy.yml'}",
            "-e", f"fleet_config_file={ws_dir / 'fleet.yml'}"]
    m, out, err = measured(argv, out_dir, "stock-ansible-deploy", env=stock_env(ws_dir, work))
    r = recap(out)
    bad = {h: c for h, c in r.items() if c["failed"] or c["unreachable"]}
    if m.rc != 0 or bad or len(r) < n_hosts:
        raise SystemExit(f"stock Ansible deploy failed (rc {m.rc}, {len(r)} hosts in recap): "
                         f"{list(bad.items())[:3]} {(out + err)[-1500:]}")
    changed = sum(1 for c in r.values() if c["changed"])
    m.extra = {"hosts_changed": changed}
    return Row("stock ansible-playbook deploy (re-deploy)", len(r), m,
               f"forks 5, facts on, no pipelining; {changed} hosts changed")


# -- report ---------------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = ("| step | hosts | wall s | hosts/s | CPU s | CPU ms/host | peak PSS MB (tree) | peak RSS MB (sum) "
            "| largest process MB | notes |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    body = [f"| {r.name} | {r.hosts} | {r.m.wall_s:.1f} | {r.hosts_per_s:.1f} | {r.m.cpu_s:.1f} | "
            f"{r.cpu_ms_per_host:.1f} | {r.m.peak_pss_sum_mb:.0f} | {r.m.peak_rss_sum_mb:.0f} | "
            f"{r.m.max_rss_single_mb:.0f} | {r.note} |" for r in rows]
    return "\n".join([head, *body])


def median_row(rows: list[Row]) -> Row:
    """The run with the median wall time (for ratios when a step was repeated)."""
    return sorted(rows, key=lambda r: r.m.wall_s)[len(rows) // 2]


def verdicts(res: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    out: list[tuple[str, bool | None, str]] = []
    r = res["ratios"]

    def add(name: str, value: float | None, ok: bool, text: str) -> None:
        out.append((name, None if value is None else ok, text))

    v = r.get("fleet_over_raw_ssh_cm")
    add("sweep no slower than raw OpenSSH (ControlMaster)", v, v is not None and v <= TARGET_SWEEP_VS_RAW,
        f"fleet / raw = {v:.2f}" if v is not None else "not measured")
    v = r.get("stock_over_fleet_health")
    add(f"sweep >= {TARGET_STOCK_VS_SWEEP:.0f}x faster than stock Ansible", v,
        v is not None and v >= TARGET_STOCK_VS_SWEEP, f"stock / fleet = {v:.1f}x" if v is not None else "not measured")
    v = r.get("fleet_cpu_ms_per_host")
    add(f"controller CPU < {TARGET_CPU_MS_PER_HOST:.0f} ms/host", v, v is not None and v < TARGET_CPU_MS_PER_HOST,
        f"{v:.1f} ms/host" if v is not None else "not measured")
    v = r.get("stock_over_fleet_idempotent_deploy")
    add(f"idempotent re-deploy >= {TARGET_IDEMPOTENT_VS_STOCK:.0f}x faster than stock", v,
        v is not None and v >= TARGET_IDEMPOTENT_VS_STOCK, f"stock / fleet = {v:.1f}x" if v is not None else
        "not measured")
    v = r.get("fleet_health_peak_pss_mb")
    add(f"sweep peak memory < {TARGET_PEAK_MB:.0f} MB", v, v is not None and v < TARGET_PEAK_MB,
        f"{v:.0f} MB (PSS, whole tree)" if v is not None else "not measured")
    g = r.get("memory_growth")
    if g:
        sub = g["pss_ratio"] < g["hosts_ratio"]
        add("memory grows less than linearly", g["pss_ratio"], sub,
            f"{g['small_hosts']} -> {g['hosts']} hosts (x{g['hosts_ratio']:.2f}): PSS "
            f"{g['small_pss_mb']:.0f} -> {g['pss_mb']:.0f} MB (x{g['pss_ratio']:.2f}); "
            f"marginal {g['marginal_kb_per_host']:.0f} KB/host")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=200, help="at least this many lab hosts (default 200)")
    ap.add_argument("--small", type=int, help="the smaller size for memory growth (default: half)")
    ap.add_argument("--workstations", type=int, default=WORKSTATIONS, help="workstations per practice")
    ap.add_argument("--forks", type=int, help="sweep parallelism for fleet and raw ssh (default: fleet's default)")
    ap.add_argument("--repeat", type=int, default=3, help="sweeps and raw ssh runs each repeated N times")
    ap.add_argument("--dir", type=Path, help="lab workspace (default: a new temporary one)")
    ap.add_argument("--keep", action="store_true", help="leave the lab running at the end")
    ap.add_argument("--first-deploy", action="store_true", help="with --dir: measure a first deploy anyway")
    ap.add_argument("--quick", action="store_true", help="skip the stock Ansible deploy (the longest step)")
    ap.add_argument("--skip", default="", help="comma-separated steps to skip: stock-health,stock-deploy,deploy")
    ap.add_argument("--out", type=Path, help="write all figures as JSON here")
    ns = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("the lab needs root (mount namespaces, sshd)")
    skip = {s.strip() for s in ns.skip.split(",") if s.strip()} | ({"stock-deploy"} if ns.quick else set())

    from fleet.health.settings import default_forks

    forks = ns.forks or default_forks()
    # fleet's bytecode as a pip install leaves it: with PYTHONDONTWRITEBYTECODE set (as on this
    # machine) an editable source's stale .pyc are compiled again by every command (0.1-0.2 s each)
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "src" / "fleet"), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="fleet-bench-"))
    out_dir = work / "logs"
    out_dir.mkdir()
    fresh = ns.dir is None or not (ns.dir / "fleet.yml").exists()
    ws_dir = (ns.dir or work / "lab").resolve()
    res: dict[str, Any] = {"machine": machine(), "load_start": loadavg(), "started": time.strftime("%F %T %Z"),
                           "forks": forks, "work_dir": str(work), "rows": [], "ratios": {}}
    log(f"work dir {work}; machine {res['machine']}; load {res['load_start']}")
    rows: list[Row] = []
    endpoint = Endpoint()
    try:
        practices = practices_for(ns.hosts, ns.workstations)
        t0 = time.monotonic()
        lab_up(ws_dir, practices, ns.workstations)
        res["lab_up_s"] = round(time.monotonic() - t0, 1)
        set_endpoint(ws_dir, endpoint.url)
        names = all_hosts(ws_dir)
        n = len(names)
        small = ns.small or n // 2
        log(f"lab: {n} hosts ({practices} practices x {ns.workstations} workstations + servers) "
            f"up in {res['lab_up_s']}s at {ws_dir}")
        res["hosts"], res["small"] = n, small

        if "deploy" not in skip:
            if fresh or ns.first_deploy:
                rows.append(fleet_deploy(ws_dir, out_dir, "first", None))
            rows.append(fleet_deploy(ws_dir, out_dir, "idempotent", False))
        workstations = [h for h in names if "-srv" not in h]
        simulate_browsers(ws_dir, workstations)

        jobs = host_jobs(ws_dir, names)
        small_names = names[:small]
        sweeps: list[Row] = []
        sweeps_small: list[Row] = []
        raws_cm: list[Row] = []
        raws: list[Row] = []
        for i in range(ns.repeat):
            sweeps.append(fleet_health(ws_dir, out_dir, f"all-{i + 1}", forks, None))
            raws_cm.append(raw_ssh(jobs, work, out_dir, f"controlmaster-{i + 1}", forks, True))
            sweeps_small.append(fleet_health(ws_dir, out_dir, f"small-{i + 1}", forks, small_names))
            raws.append(raw_ssh(jobs, work, out_dir, f"plain-{i + 1}", forks, False))
        rows += sweeps + raws_cm + raws + sweeps_small
        if "stock-health" not in skip:
            rows.append(stock_health(ws_dir, jobs, work, out_dir))
        if "stock-deploy" not in skip and "deploy" not in skip:
            rows.append(stock_deploy(ws_dir, work, out_dir, n))
            rows.append(fleet_deploy(ws_dir, out_dir, "idempotent-after-stock", False))

        # ratios from medians of the repeated steps, all measured in this one run
        sw, cm, plain, sws = (median_row(x) for x in (sweeps, raws_cm, raws, sweeps_small))
        r = res["ratios"]
        r["fleet_over_raw_ssh_cm"] = sw.m.wall_s / cm.m.wall_s
        # each repeat ran fleet and raw ssh back to back: their ratios show the spread the load causes
        pairs_cm, pairs_plain = zip(sweeps, raws_cm, strict=True), zip(sweeps, raws, strict=True)
        r["fleet_over_raw_ssh_cm_each"] = [round(f.m.wall_s / c.m.wall_s, 3) for f, c in pairs_cm]
        r["fleet_over_raw_ssh_plain_each"] = [round(f.m.wall_s / c.m.wall_s, 3) for f, c in pairs_plain]
        r["fleet_over_raw_ssh_plain"] = sw.m.wall_s / plain.m.wall_s
        r["fleet_cpu_over_raw_cm_cpu"] = sw.m.cpu_s / cm.m.cpu_s if cm.m.cpu_s else None
        r["fleet_cpu_ms_per_host"] = statistics.median(x.cpu_ms_per_host for x in sweeps)
        r["fleet_hosts_per_s"] = sw.hosts_per_s
        r["fleet_health_peak_pss_mb"] = max(x.m.peak_pss_sum_mb for x in sweeps)
        pss_small = max(x.m.peak_pss_sum_mb for x in sweeps_small)
        r["memory_growth"] = {
            "small_hosts": sws.hosts, "hosts": sw.hosts, "hosts_ratio": sw.hosts / sws.hosts,
            "small_pss_mb": pss_small, "pss_mb": r["fleet_health_peak_pss_mb"],
            "pss_ratio": r["fleet_health_peak_pss_mb"] / pss_small,
            "marginal_kb_per_host": 1024 * (r["fleet_health_peak_pss_mb"] - pss_small) / (sw.hosts - sws.hosts),
            "largest_process_mb": [max(x.m.max_rss_single_mb for x in sweeps_small),
                                   max(x.m.max_rss_single_mb for x in sweeps)],
        }
        by_name = {x.name: x for x in rows}
        stock_h = by_name.get("stock ansible-playbook health")
        if stock_h:
            r["stock_over_fleet_health"] = stock_h.m.wall_s / sw.m.wall_s
            r["stock_health_cpu_ms_per_host"] = stock_h.cpu_ms_per_host
        idem = by_name.get("fleet deploy (idempotent)")
        stock_d = by_name.get("stock ansible-playbook deploy (re-deploy)")
        if idem and stock_d:
            r["stock_over_fleet_idempotent_deploy"] = stock_d.m.wall_s / idem.m.wall_s
            r["fleet_idempotent_deploy_hosts_per_s"] = idem.hosts_per_s
            r["fleet_deploy_cpu_ms_per_host"] = idem.cpu_ms_per_host
            r["stock_deploy_cpu_ms_per_host"] = stock_d.cpu_ms_per_host
    finally:
        res["load_end"] = loadavg()
        res["rows"] = [x.as_json() for x in rows]
        endpoint.server.shutdown()
        if not ns.keep and ns.dir is None:
            lab_down(ws_dir)
        if ns.out:
            ns.out.write_text(json.dumps(res, indent=2, default=str))

    print(f"\n## fleet scale benchmark: {res['hosts']} hosts, forks {forks}\n")
    mach = res["machine"]
    print(f"Machine: {mach['nproc']} x {mach['cpu_model']}, {mach['ram_gb']} GB RAM, Linux {mach['kernel']}; "
          f"Python {mach['python']}, ansible-core {mach['ansible_core']}, ansible-runner {mach['ansible_runner']}, "
          f"{mach['openssh']}. Load average at start {res['load_start']}, at end {res['load_end']}.\n")
    print(table(rows))
    print("\nRatios (medians of the repeated steps, same run):\n")
    for k, v in res["ratios"].items():
        shown = json.dumps(v, default=lambda x: round(x, 3)) if isinstance(v, dict | list) else round(v, 3)
        print(f"- {k}: {shown}")
    print("\nTargets:\n")
    for name, ok, text in verdicts(res):
        print(f"- {'MET ' if ok else 'MISSED' if ok is False else 'n/a '} {name}: {text}")
    print(f"\nlogs: {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
