"""Benchmark `fleet export` on a 1,000-practice workspace (not a test; prints figures).

    .venv/bin/python benchmarks/bench_export.py [--practices 1000] [--repeat 3] [--dir DIR] [--keep]

Builds a workspace (100 clients x 10 practices, every cloud system, 1 in 10 on-prem and so
skipped, half with Edge too; each cloud practice's token in its own ansible-vault file), then
times, in the same run:

* baseline "model": decrypt each vault and compute the policy model (the unavoidable work);
* baseline "naive write": writing the same bytes as the export with a plain open()/write() loop;
* each format through ``run_export`` (selection, vault, model, render, files with modes, manifest).

Per format it prints ms per practice (wall and CPU; CPU split into model / rendering / writing)
and the ratio of the export to "model + naive write" of that format's bytes (1.0 = no overhead
beyond the unavoidable work and the plainest possible writing of the same files). On a busy
machine, trust the CPU columns more than the wall ones.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fleet.desired.policy import practice_policy  # noqa: E402
from fleet.example import example_config  # noqa: E402
from fleet.export.base import ExportOptions  # noqa: E402
from fleet.export.runner import FORMATS, Selection, export_practice, run_export  # noqa: E402
from fleet.secrets.store import SecretKind, SecretStore  # noqa: E402
from fleet.secrets.vault import VaultPassword  # noqa: E402
from fleet.workspace import Workspace, render_config, write_ansible_cfg  # noqa: E402

PASSWORD = "bench-export"
CLOUD = [
    ("dentrix_ascend", {"fleet_pms_url": "https://x{n}.dentrixascend.com", "fleet_pms_org_alias": "ORG{n}"}),
    ("athenahealth", {}),
    ("curve_hero", {"fleet_pms_url": "https://x{n}.curvehero.com"}),
    ("cloud9", {"fleet_online_booking": True, "fleet_default_appointment_type": "Recall"}),
    ("denticon", {}),
    ("eclinicalworks", {"fleet_pms_version": "11.60", "fleet_pms_url": "https://x{n}.ecwcloud.com"}),
    ("modmed", {"fleet_clinical_account": "c{n}", "fleet_management_account": "m{n}"}),
]


def build_workspace(root: Path, practices: int) -> tuple[int, float]:
    """Write the workspace; returns (cloud practices, seconds spent encrypting vaults)."""
    cfg = example_config()
    for v in cfg["extensions"]["variants"].values():
        v["extra_fields"] = {"url": "fleet_pms_url", "org": "fleet_pms_org_alias",
                             "online_booking": "fleet_online_booking"}
    (root / "inventory" / "group_vars").mkdir(parents=True)
    (root / "fleet.yml").write_text(render_config(cfg))
    write_ansible_cfg(root)
    store = SecretStore(root / "inventory")
    pw = VaultPassword(PASSWORD.encode(), "bench")
    per_client = 10
    cloud = 0
    vault_s = 0.0
    for c in range(practices // per_client):
        cid = f"client{c:03d}"
        children = {}
        for i in range(per_client):
            n = c * per_client + i
            pid = f"{cid}_p{i}"
            if n % 10 == 9:
                children[f"practice_{pid}"] = {"vars": {"fleet_pms": "dentrix", "fleet_pms_version": "G7.1"},
                                               "hosts": {}}
                continue
            pms, extra = CLOUD[n % len(CLOUD)]
            pvars = {"fleet_pms": pms, **{k: v.format(n=n) if isinstance(v, str) else v for k, v in extra.items()}}
            if n % 2:
                pvars["fleet_browsers"] = ["chrome", "edge"]
            children[f"practice_{pid}"] = {"vars": pvars,
                                           "hosts": {f"{pid}-ws1": {"ansible_host": f"10.{c}.{i}.1",
                                                                    "fleet_role": "workstation",
                                                                    "fleet_platform": "windows"}}}
            t = time.perf_counter()
            store.set(pid, SecretKind.TOKEN, f"TOKEN-{n:05d}-'$;`]%é", pw)
            vault_s += time.perf_counter() - t
            cloud += 1
        doc = {"all": {"children": {f"client_{cid}": {"vars": {"fleet_client_name": cid},
                                                      "children": children}}}}
        (root / "inventory" / f"{cid}.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return cloud, vault_s


def timed(fn, repeat: int, clear: Path | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of ``fn()``: the fastest of ``repeat`` runs (the least disturbed by other
    load on the machine). ``clear`` is removed and the disk synced before each run (untimed), so one
    run's write-back does not land in the next one's time. CPU = user + system time of this process."""
    walls, cpus = [], []
    for _ in range(repeat):
        if clear is not None:
            shutil.rmtree(clear, ignore_errors=True)
        os.sync()
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return min(walls), min(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--practices", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", type=Path, default=ROOT / "test-artifacts",
                    help="where to build the workspace and write (default: test-artifacts/, gitignored). "
                         "File-creation cost depends a lot on the file system: on this machine /tmp is "
                         "~25x slower per file than the work tree's disk")
    ap.add_argument("--keep", action="store_true", help="keep the workspace and outputs")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="bench-export-", dir=args.dir))
    ws_root = base / "ws"
    ws_root.mkdir()
    t = time.perf_counter()
    cloud, vault_s = build_workspace(ws_root, args.practices)
    print(f"workspace: {args.practices} practices ({cloud} cloud) in {time.perf_counter() - t:.1f}s "
          f"(vault encryption {vault_s:.1f}s)")
    os.environ["FLEET_VAULT_PASSWORD"] = PASSWORD

    def fresh_ws() -> Workspace:
        return Workspace(ws_root)

    # Baseline 1: the unavoidable work: read each vault once, compute the model.
    def model_only() -> None:
        ws = fresh_ws()
        pw = ws.password()
        for p in ws.inventory.practices.values():
            if p.pms == "dentrix":
                continue
            token = ws.secrets.read(p.id, pw)["fleet_token"]
            practice_policy(p, token, ws.catalog, ws.config)

    fresh_ws().inventory  # noqa: B018 - warm imports (yaml, ansible vault) outside the timings
    model_s, model_cpu = timed(model_only, args.repeat)
    print(f"baseline model (read each vault + policy model): {model_s * 1000 / cloud:.3f} ms/practice wall, "
          f"{model_cpu * 1000 / cloud:.3f} CPU")

    now = datetime.now(UTC)
    print(f"per format, fastest of {args.repeat} runs, ms per cloud practice:")
    for fmt in [*FORMATS, "all"]:
        formats = list(FORMATS) if fmt == "all" else [fmt]
        out = base / f"out-{fmt}"

        # the bytes this format writes, rendered once, for the naive-write baseline
        ws = fresh_ws()
        pw = ws.password()
        blobs = []
        for p in ws.inventory.practices.values():
            if p.pms == "dentrix":
                continue
            _ctx, arts = export_practice(ws, p, formats, ExportOptions(), pw, now)
            blobs += [(f"{p.client_id}/{p.id}/{a.path}", a.data) for a in arts]
        naive_dir = base / f"naive-{fmt}"

        def naive_write(blobs=blobs, naive_dir=naive_dir) -> None:
            for rel, data in blobs:
                path = naive_dir / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as fh:
                    fh.write(data)

        naive_s, naive_cpu = timed(naive_write, args.repeat, naive_dir)

        def render_only(formats=formats, now=now) -> None:
            ws = fresh_ws()
            pw = ws.password()
            for p in ws.inventory.practices.values():
                if p.pms != "dentrix":
                    export_practice(ws, p, formats, ExportOptions(), pw, now)

        _render_wall, render_cpu = timed(render_only, args.repeat)

        def export(out=out, formats=formats) -> None:
            result = run_export(fresh_ws(), Selection(all=True), formats, out, ExportOptions())
            assert not result.failed, result.failed[0].reason

        export_s, export_cpu = timed(export, args.repeat, out)
        shutil.rmtree(naive_dir, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        nbytes = sum(len(d) for _, d in blobs)
        ms = 1000 / cloud
        print(f"{fmt:13s} {len(blobs):6d} files {nbytes / 1e6:5.1f} MB | export {export_s * ms:6.2f} wall"
              f" {export_cpu * ms:6.2f} CPU | CPU: model {model_cpu * ms:5.2f} + render"
              f" {(render_cpu - model_cpu) * ms:5.2f} + write {(export_cpu - render_cpu) * ms:5.2f}"
              f" | naive write {naive_s * ms:5.2f} wall {naive_cpu * ms:5.2f} CPU"
              f" | export/(model+naive) wall {export_s / (model_s + naive_s):4.2f}"
              f" CPU {export_cpu / (model_cpu + naive_cpu):4.2f}")
    if args.keep:
        print(f"kept in {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
