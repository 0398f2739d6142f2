"""The filter plugin (the bridge from Ansible variables and module results to fleet.desired.plan), and the
contract between the plan and the roles: every field a task reads exists in the plan."""

from __future__ import annotations

import base64
import dataclasses
import importlib.util
import json
import re
from pathlib import Path

import pytest
from helpers_deploy import host_and_practice

from fleet.catalog import default_catalog
from fleet.config import load_config
from fleet.desired import plan as P
from fleet.example import example_config
from fleet.workspace import render_config

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "TOKEN-filter-test-0001"
KEY = "KEY-filter-test-0001"


def _load_filters():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("fleet_plan_filters", ROOT / "playbooks/filter_plugins/fleet_plan.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


F = _load_filters()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    from helpers_deploy import LINUX_PKG_SHA

    cfg = example_config()
    cfg["synchronizer"]["linux_url"] = "file:///srv/x.tar.gz"
    cfg["synchronizer"]["linux_sha256"] = LINUX_PKG_SHA
    (tmp_path / "fleet.yml").write_text(render_config(cfg))
    (tmp_path / "inventory").mkdir()
    return tmp_path


def hostvars(ws: Path, system_vars: dict, role: str, platform: str, **extra: object) -> dict:
    return {"inventory_hostname": "h1", "group_names": ["client_acme", "practice_acme_main"],
            "inventory_dir": str(ws / "inventory"), "inventory_file": str(ws / "inventory" / "acme.yml"),
            "ansible_host": "10.0.0.1", **system_vars, "fleet_role": role, "fleet_platform": platform,
            "fleet_token": TOKEN, "fleet_product_key": KEY, **extra}


@pytest.mark.parametrize(("system", "role", "platform"), [
    ("dentrix_ascend", "workstation", "windows"), ("athenahealth", "workstation", "linux"),
    ("dentrix", "server", "linux"), ("dolphin", "server", "windows"), ("athenahealth", "workstation", "macos"),
])
def test_the_filter_computes_the_same_plan_as_python(ws: Path, system: str, role: str, platform: str) -> None:
    from helpers_deploy import PRACTICE_VARS

    got = F.fleet_host_plan(hostvars(ws, PRACTICE_VARS[system], role, platform))
    host, practice = host_and_practice(system, role, platform)

    want = P.plan_host(host, practice, {"fleet_token": TOKEN, "fleet_product_key": KEY}, default_catalog(),
                       load_config(ws / "fleet.yml")).to_dict()
    assert got == want
    assert TOKEN not in json.dumps(got) and KEY not in json.dumps(got)


def test_a_host_fleet_cannot_plan_fails_with_fleets_message(ws: Path) -> None:
    from ansible.errors import AnsibleFilterError
    from helpers_deploy import PRACTICE_VARS

    hv = hostvars(ws, PRACTICE_VARS["dentrix"], "server", "windows", fleet_product_key="")
    with pytest.raises(AnsibleFilterError, match="fleet secrets set acme_main --product-key"):
        F.fleet_host_plan(hv)
    got = F.host_plan_or_error(hv)
    assert "product key" in got["error"]
    got = F.host_plan_or_error({**hv, "group_names": ["client_acme"]})
    assert "practice_<id>" in got["error"]
    got = F.host_plan_or_error({**hv, "inventory_dir": "/nonexistent/inventory"})
    assert "fleet.yml" in got["error"]
    got = F.fleet_host_plan({**hv, "inventory_dir": "/nonexistent", "fleet_config_file": str(ws / "fleet.yml"),
                             "fleet_product_key": KEY})
    assert got["error"] == "" and got["synchronizer"]["action"] == "install"


def test_the_plans_file_gives_each_host_the_engines_plan_and_holds_no_secret(ws: Path, tmp_path: Path) -> None:
    """fleet deploy's plans file (fleet.desired.plansfile) read by fleet_planned: the host's plan as the
    engine computed it (what fleet_host_plan would compute, here), 0600, no token or product key;
    a host the file lacks, or a file that is not one, fails with fleet's message."""
    import os

    from ansible.errors import AnsibleFilterError
    from helpers_deploy import PRACTICE_VARS

    from fleet.desired.plansfile import write_plans

    secrets = {"fleet_token": TOKEN, "fleet_product_key": KEY}
    cfg = load_config(ws / "fleet.yml")
    plans = {f"{system}-h": P.plan_host(*host_and_practice(system, role, "linux"), secrets, default_catalog(), cfg)
             for system, role in (("athenahealth", "workstation"), ("dentrix", "server"))}
    path = write_plans(tmp_path / "plans-all.json", plans)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    text = path.read_text()
    assert TOKEN not in text and KEY not in text
    for name, plan in plans.items():
        assert F.fleet_planned(str(path), name) == plan.to_dict()
    assert F.fleet_planned(str(path), "dentrix-h") == F.fleet_host_plan(
        hostvars(ws, PRACTICE_VARS["dentrix"], "server", "linux"))
    with pytest.raises(AnsibleFilterError, match="other-h has no plan in fleet's plans file"):
        F.fleet_planned(str(path), "other-h")
    (tmp_path / "not-plans.json").write_text('{"hosts": {}}')
    with pytest.raises(AnsibleFilterError, match="not a fleet plans file"):
        F.fleet_planned(str(tmp_path / "not-plans.json"), "dentrix-h")
    with pytest.raises(AnsibleFilterError, match="cannot be read"):
        F.fleet_planned(str(tmp_path / "missing.json"), "dentrix-h")
    # parsed once per process (the preload in ansible-playbook's main process, inherited by its forks):
    # the same file (path, mtime, size) is not read again ...
    st = path.stat()
    path.write_text("x" * st.st_size)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert F.fleet_planned(str(path), "athenahealth-h")["roles"] == ["chrome_extension_policy"]
    # ... a changed one is
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    with pytest.raises(AnsibleFilterError, match="not JSON"):
        F.fleet_planned(str(path), "athenahealth-h")


def _reg_stat(browser: str, values: dict | None) -> dict:
    if values is None:
        return {"item": {"browser": browser}, "exists": False, "changed": False}
    return {"item": {"browser": browser}, "exists": True, "sub_keys": [],
            "properties": {k: {"raw_value": v, "type": "REG_SZ", "value": v} for k, v in values.items()}}


def test_windows_changes_from_win_reg_stat_results(ws: Path) -> None:
    from helpers_deploy import PRACTICE_VARS

    ext = F.fleet_host_plan(hostvars(ws, PRACTICE_VARS["athenahealth"], "workstation", "windows"))["extension"]
    b = ext["browsers"][0]
    other = "b" * 32 + ";https://clients2.google.com/service/update2/crx"
    forcelist = {"results": [_reg_stat("chrome", {"1": other, "3": other}), _reg_stat("edge", None)]}
    ours = {"results": [_reg_stat("chrome", {"token": "OLD-TOKEN-x1"}), _reg_stat("edge", None)]}
    ch = F.fleet_windows_changes(ext, forcelist, ours)
    assert ch["forcelist_set"] == [{"key": b["forcelist_key"], "name": "2", "data": b["forcelist_entry"],
                                    "browser": "chrome", "replaces": False}]
    assert [s["name"] for s in ch["secret_set"]] == ["token"] and ch["keys_delete"] == []
    assert "OLD-TOKEN-x1" not in json.dumps(ch)
    ours = {"results": [_reg_stat("chrome", {"token": TOKEN}), _reg_stat("edge", None)]}
    forcelist = {"results": [_reg_stat("chrome", {"1": other, "2": b["forcelist_entry"]}), _reg_stat("edge", None)]}
    ch = F.fleet_windows_changes(ext, forcelist, ours)
    assert not any(ch[k] for k in ("forcelist_set", "managed_set", "secret_set", "managed_delete", "keys_delete"))
    assert ch["any"] is False


def test_linux_changes_from_find_and_slurp_results(ws: Path) -> None:
    from helpers_deploy import PRACTICE_VARS

    ext = F.fleet_host_plan(hostvars(ws, PRACTICE_VARS["athenahealth"], "workstation", "linux"))["extension"]
    chrome_dir, chromium_dir = ext["linux_dirs"]
    theirs = json.dumps({"ExtensionInstallForcelist": ["c" * 32]})
    find = {"files": [{"path": f"{chrome_dir}/acme.json", "checksum": "x", "mode": "0644", "uid": 0},
                      {"path": "/etc/opt/othervendor/settings.json", "checksum": "y", "mode": "0644", "uid": 0}]}
    assert F.fleet_linux_to_read(ext, find) == [f"{chrome_dir}/acme.json"]  # only files in our folders
    slurped = {"results": [{"item": f"{chrome_dir}/acme.json", "source": f"{chrome_dir}/acme.json",
                            "content": base64.b64encode(theirs.encode()).decode()}]}
    ch = F.fleet_linux_changes(ext, find, slurped)
    ours = [f"{chrome_dir}/fleet-acme_main.json", f"{chromium_dir}/fleet-acme_main.json"]
    assert ch["write"] == ours and ch["dirs"] == sorted([chrome_dir, chromium_dir]) and ch["any"]
    assert TOKEN not in json.dumps(ch)
    content = F.fleet_linux_file(ch, ext, TOKEN, ours[0])
    doc = json.loads(content)
    assert doc["ExtensionInstallForcelist"][0] == "c" * 32 and TOKEN in content
    # ours written as the role writes them: found, read (slurp), and nothing is left to do
    find["files"] += [{"path": p, "mode": "0644", "uid": 0} for p in ours]
    assert F.fleet_linux_to_read(ext, find) == sorted([f"{chrome_dir}/acme.json", *ours])
    slurped["results"] += [{"item": p, "source": p, "content": base64.b64encode(
        F.fleet_linux_file(ch, ext, TOKEN, p).encode()).decode()} for p in ours]
    again = F.fleet_linux_changes(ext, find, slurped)
    assert again["any"] is False and TOKEN not in json.dumps(again)


def test_synchronizer_changes_from_module_results(ws: Path) -> None:
    from helpers_deploy import PRACTICE_VARS

    from fleet.secrets.store import fingerprint

    sync = F.fleet_host_plan(hostvars(ws, PRACTICE_VARS["dentrix"], "server", "linux"))["synchronizer"]
    missing = {"rc": 127, "stdout": "", "stderr": "not found"}
    assert F.fleet_synchronizer_changes(sync, missing)["install"]
    status = {"installed": True, "version": "4.2.0", "running": True, "enabled": True,
              "key_fingerprint": fingerprint(KEY)}
    ch = F.fleet_synchronizer_changes(sync, {"rc": 0, "stdout": json.dumps(status)})
    assert not (ch["install"] or ch["start"] or ch["enable"]) and ch["steps"] == []
    win = F.fleet_host_plan(hostvars(ws, PRACTICE_VARS["dentrix"], "server", "windows"))["synchronizer"]
    svc = {"exists": True, "services": [{"name": "Synchronizer", "state": "started", "start_mode": "auto"}]}
    marker = {"exists": True, "properties": {"Version": {"value": "4.2.0"},
                                             "KeyFingerprint": {"value": fingerprint(KEY)}}}
    installed = {"output": [{"products": [{"product_code": "{6F3A0C2E-1B2D-4E5F-8A9B-0C1D2E3F4A5B}",
                                           "name": "Synchronizer", "version": "4.2.0"}],
                             "binary": "C:\\Program Files\\Synchronizer\\sync.exe", "binary_version": "4.2.0.0"}]}
    assert F.fleet_synchronizer_changes(win, svc, marker, installed)["why"] == "up to date"
    # fleet's record alone is not trusted: without a readable binary version or registration it reinstalls
    assert F.fleet_synchronizer_changes(win, svc, marker)["install"]
    assert F.fleet_synchronizer_verified(win, svc, installed)["ok"]
    assert F.fleet_synchronizer_changes(win, {"exists": False, "services": []}, {"exists": False})["install"]
    args = F.fleet_msi_arguments(win, KEY)
    assert args.endswith(f'PRODUCTKEY="{KEY}"')


# -- the contract: what the roles read exists in the plan ----------------------------------------------------

ROLE_FILES = [*sorted((ROOT / "roles").glob("*/tasks/*.yml")), ROOT / "playbooks" / "deploy.yml"]
FIELDS = {
    "chrome_extension_policy_plan": {f.name for f in dataclasses.fields(P.ExtensionPlan)},
    "synchronizer_plan": {f.name for f in dataclasses.fields(P.SynchronizerPlan)},
    "fleet_plan": {f.name for f in dataclasses.fields(P.HostPlan)},
    "fleet_plan.extension": {f.name for f in dataclasses.fields(P.ExtensionPlan)},
    "fleet_plan.synchronizer": {f.name for f in dataclasses.fields(P.SynchronizerPlan)},
    "__chrome_extension_policy_changes": set(),  # filled below from what the filters really return
    "__synchronizer_changes": set(),
    "__chrome_extension_policy_host_plan": {f.name for f in dataclasses.fields(P.HostPlan)},
    "__synchronizer_host_plan": {f.name for f in dataclasses.fields(P.HostPlan)},
}
ITEM_FIELDS = ({f.name for f in dataclasses.fields(P.BrowserPlan)}
               | {"key", "name", "data", "type", "browser", "path", "content"})


def _filter_output_keys() -> None:
    from helpers_deploy import host_and_practice as hp

    from fleet.config import parse_config
    from fleet.example import example_config as ex_cfg

    cfg = parse_config({**ex_cfg(), "synchronizer": {**ex_cfg()["synchronizer"], "linux_url": "file:///x",
                                                     "linux_sha256": "0" * 64}}, Path("/ws/fleet.yml"))
    secrets = {"fleet_token": TOKEN, "fleet_product_key": KEY}
    ext = P.plan_host(*hp("athenahealth"), secrets, default_catalog(), cfg).to_dict()["extension"]
    sync = P.plan_host(*hp("dentrix", "server", "linux"), secrets, default_catalog(), cfg).to_dict()["synchronizer"]
    FIELDS["__chrome_extension_policy_changes"] = (set(F.fleet_windows_changes(ext, {}, {}))
                                                   | set(F.fleet_linux_changes(ext, {}, {}, TOKEN)))
    FIELDS["__synchronizer_changes"] = set(F.fleet_synchronizer_changes(sync, {"rc": 127}))


_filter_output_keys()


@pytest.mark.parametrize("path", ROLE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_plan_field_a_task_reads_exists(path: Path) -> None:
    text = path.read_text()
    for var, fields in sorted(FIELDS.items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(rf"(?<![\w.]){re.escape(var)}\.(\w+)", text):
            if f"{var}.{m.group(1)}" in FIELDS:
                continue
            assert m.group(1) in fields, f"{path.name}: {var}.{m.group(1)} is not a field of the plan"
    for m in re.finditer(r"(?<![\w.])item\.(\w+)", text):
        assert m.group(1) in ITEM_FIELDS, f"{path.name}: item.{m.group(1)} is not a plan/change field"
