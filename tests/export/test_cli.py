"""`fleet export` end to end (the real CLI in a subprocess): manifest, file modes, no token where
none belongs (files, stdout, stderr, manifest), zips, and bad input."""

from __future__ import annotations

import hashlib
import html
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.sax import saxutils

import markupsafe
import pytest
from helpers_export import VAULT_PASSWORD, cloud_practice, make_workspace

FLEET = str(Path(sys.executable).parent / "fleet")
TOKENS = {
    "bright_dt": "Tok'A\"$;`]%-é€-0001",
    "bright_ath": "Tok-B-ǅ-%PATH%-0002",
    "summit_curve": "Tok-C-${x}-0003",
}


def token_forms(token: str) -> list[bytes]:
    """Every way the token could appear in a file or a stream."""
    xml_forms = {html.escape(token), html.escape(token, quote=False), str(markupsafe.escape(token)),
                 saxutils.escape(token, {'"': "&quot;"})}
    forms = {token, *xml_forms, json.dumps(token)[1:-1], token.replace("'", "''"),
             token.replace("\\", "\\\\").replace('"', '\\"'), *(json.dumps(x)[1:-1] for x in xml_forms)}
    out = []
    for f in forms:
        out += [f.encode("utf-8"), f.encode("utf-16-le")]
    return out


def contains_token(data: bytes, token: str) -> bool:
    return any(form in data for form in token_forms(token))


@pytest.fixture
def workspace(tmp_path: Path, vault_env: None) -> Path:
    clients = {
        "bright": {
            "bright_dt": cloud_practice(fleet_browsers=["chrome", "edge"]),
            "bright_ath": {"vars": {"fleet_pms": "athenahealth"}, "hosts": {}},
            "bright_north": {"vars": {"fleet_pms": "dentrix", "fleet_pms_version": "G7.1"}, "hosts": {}},
        },
        "summit": {
            "summit_curve": {"vars": {"fleet_pms": "curve_hero",
                                      "fleet_pms_url": "https://summit.curvehero.com"}, "hosts": {}},
        },
    }
    return make_workspace(tmp_path / "ws", clients, {**TOKENS, "bright_north": "KEY-PRODUCT-0000"})


def fleet(ws: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {**os.environ, "FLEET_VAULT_PASSWORD": VAULT_PASSWORD, **(env or {})}
    for k, v in list(e.items()):
        if v is None:
            del e[k]
    return subprocess.run([FLEET, "-w", str(ws), "export", *args], capture_output=True, env=e, timeout=300)


def check_streams(proc: subprocess.CompletedProcess) -> None:
    for token in TOKENS.values():
        assert not contains_token(proc.stdout, token)
        assert not contains_token(proc.stderr, token)
    assert b"Traceback" not in proc.stderr


def test_export_all_writes_manifest_modes_and_keeps_tokens_where_they_belong(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = fleet(workspace, "all", "--all", "--out", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    check_streams(proc)
    manifest_bytes = (out / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    for token in TOKENS.values():
        assert not contains_token(manifest_bytes, token)

    status = {p["practice"]: p for p in manifest["practices"]}
    assert {k: v["status"] for k, v in status.items()} == {
        "bright_dt": "written", "bright_ath": "written", "bright_north": "skipped", "summit_curve": "written"}
    assert "self install" in status["bright_north"]["reason"]

    files = manifest["files"]
    listed = {f["path"] for f in files}
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert listed == on_disk
    for f in files:
        path = out / f["path"]
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"]
        assert len(data) == f["bytes"]
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o600 if f["contains_token"] else 0o644), (f["path"], oct(mode))
        assert f["mode"] == f"{mode:04o}"
        token = TOKENS[f["practice"]]
        assert contains_token(data, token) == f["contains_token"], f["path"]
        for other, tok in TOKENS.items():  # no practice's file carries another practice's token
            if other != f["practice"]:
                assert not contains_token(data, tok), (f["path"], other)

    def paths(practice: str) -> set[str]:
        return {f["path"].split("/", 2)[2] for f in files if f["practice"] == practice}

    dt = paths("bright_dt")
    for expected in ("registry.pol", "create-gpo.ps1", "bright_dt.reg", "fleet-rmm-bright_dt.ps1",
                     "bright_dt.mobileconfig", "intune/oma-uri.json", "intune/fleet_bright_dt.admx",
                     "linux/etc/opt/chrome/policies/managed/fleet-bright_dt.json",
                     "linux/etc/chromium/policies/managed/fleet-bright_dt.json",
                     "linux/etc/opt/edge/policies/managed/fleet-bright_dt.json"):
        assert expected in dt, expected
    assert any(p.startswith("gpo/{") and p.endswith("/Backup.xml") for p in dt)
    assert not any("edge" in p for p in paths("summit_curve"))
    token_files = {f["path"].split("/", 2)[2] for f in files if f["practice"] == "bright_dt" and f["contains_token"]}
    assert "fleet-rmm-bright_dt.ps1" not in token_files and "create-gpo.ps1" not in token_files
    assert {"registry.pol", "bright_dt.reg", "bright_dt.mobileconfig", "intune/oma-uri.json"} <= token_files
    # the CLI says which files carry a token
    assert b"carry a practice token" in proc.stderr and b"0600" in proc.stderr


def test_json_prints_the_manifest(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = fleet(workspace, "linux", "--client", "summit", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    check_streams(proc)
    assert json.loads(proc.stdout) == json.loads((out / "manifest.json").read_text())
    assert {f["format"] for f in json.loads(proc.stdout)["files"]} == {"linux"}


def test_zip_per_client(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = fleet(workspace, "all", "--all", "--zip", "--out", str(out))
    assert proc.returncode == 0, proc.stderr.decode()
    check_streams(proc)
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(p.name for p in out.iterdir()) == ["bright.zip", "manifest.json", "summit.zip"]
    for z in manifest["zips"]:
        path = out / z["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == z["sha256"]
        assert z["contains_token"] and stat.S_IMODE(path.stat().st_mode) == 0o600
    by_zip: dict[str, dict] = {}
    for f in manifest["files"]:
        by_zip.setdefault(f["zip"], {})[f["path"]] = f
    for name, members in by_zip.items():
        with zipfile.ZipFile(out / name) as zf:
            assert set(zf.namelist()) == set(members)
            for info in zf.infolist():
                f = members[info.filename]
                assert hashlib.sha256(zf.read(info)).hexdigest() == f["sha256"]
                assert stat.S_IMODE(info.external_attr >> 16) == (0o600 if f["contains_token"] else 0o644)
                assert info.filename.startswith(f"{f['client']}/{f['practice']}/")


def test_embed_token_then_without_rewrites_and_loosens_nothing(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = out / "bright" / "bright_dt" / "fleet-rmm-bright_dt.ps1"
    proc = fleet(workspace, "rmm", "-p", "bright_dt", "--out", str(out), "--embed-token")
    assert proc.returncode == 0
    check_streams(proc)
    assert stat.S_IMODE(script.stat().st_mode) == 0o600
    assert contains_token(script.read_bytes(), TOKENS["bright_dt"])
    proc = fleet(workspace, "rmm", "-p", "bright_dt", "--out", str(out))
    assert proc.returncode == 0
    assert stat.S_IMODE(script.stat().st_mode) == 0o644
    assert not contains_token(script.read_bytes(), TOKENS["bright_dt"])


def test_stale_embedded_intune_script_is_removed(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    script = out / "bright" / "bright_dt" / "intune" / "fleet-intune-bright_dt.ps1"
    assert fleet(workspace, "intune", "-p", "bright_dt", "--out", str(out), "--embed-token").returncode == 0
    assert stat.S_IMODE(script.stat().st_mode) == 0o600
    proc = fleet(workspace, "intune", "-p", "bright_dt", "--out", str(out))
    assert proc.returncode == 0
    assert not script.exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["path"] for r in manifest["removed"]] == ["bright/bright_dt/intune/fleet-intune-bright_dt.ps1"]
    assert b"removed 1 stale" in proc.stderr


def test_nothing_selected_is_a_usage_error(workspace: Path, tmp_path: Path) -> None:
    proc = fleet(workspace, "gpo", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert b"nothing selected" in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [["--forcelist-slot", "0"], ["--forcelist-slot", "2147483648"]])
def test_bad_slot_is_a_usage_error(workspace: Path, tmp_path: Path, args: list[str]) -> None:
    proc = fleet(workspace, "gpo", "--all", "--out", str(tmp_path / "out"), *args)
    assert proc.returncode == 2 and b"forcelist-slot" in proc.stderr


def test_one_bad_practice_does_not_stop_the_others(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = fleet(workspace, "reg", "-p", "no_such_practice", "-p", "bright_dt", "-p", "bright_north",
                 "-c", "nope", "--out", str(out))
    assert proc.returncode == 1
    check_streams(proc)
    err = proc.stderr.decode()
    assert "no practice 'no_such_practice'" in err
    assert "no client 'nope'" in err
    assert "bright_north" in err and "self install" in err  # named explicitly: an error, not a skip
    assert (out / "bright" / "bright_dt" / "bright_dt.reg").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert {p["practice"] or p["client"]: p["status"] for p in manifest["practices"]} == {
        "no_such_practice": "failed", "nope": "failed", "bright_dt": "written", "bright_north": "failed"}


def test_practice_without_token(workspace: Path, tmp_path: Path) -> None:
    (workspace / "inventory" / "group_vars" / "practice_bright_ath" / "vault.yml").unlink()
    out = tmp_path / "out"
    proc = fleet(workspace, "linux", "--client", "bright", "--out", str(out))
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "bright_ath" in err and "no extension token" in err and "fleet secrets set bright_ath" in err
    assert (out / "bright" / "bright_dt" / "linux").is_dir()
    assert not (out / "bright" / "bright_ath").exists()


def test_no_vault_password(workspace: Path, tmp_path: Path) -> None:
    proc = fleet(workspace, "linux", "--all", "--out", str(tmp_path / "out"), env={"FLEET_VAULT_PASSWORD": None})
    assert proc.returncode == 1
    assert b"no vault password" in proc.stderr and b"Traceback" not in proc.stderr


def test_wrong_vault_password(workspace: Path, tmp_path: Path) -> None:
    proc = fleet(workspace, "linux", "-p", "bright_dt", "--out", str(tmp_path / "out"),
                 env={"FLEET_VAULT_PASSWORD": "wrong"})
    assert proc.returncode == 1
    assert b"cannot decrypt" in proc.stderr and b"Traceback" not in proc.stderr


def test_out_is_a_file(workspace: Path, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    proc = fleet(workspace, "linux", "--all", "--out", str(tmp_path / "f"))
    assert proc.returncode in (1, 2) and b"Traceback" not in proc.stderr


def test_help_lists_formats() -> None:
    proc = subprocess.run([FLEET, "export", "--help"], capture_output=True, timeout=60)
    assert proc.returncode == 0
    for name in ("gpo", "reg", "rmm", "intune", "mobileconfig", "linux", "all"):
        assert name.encode() in proc.stdout


def test_workgroup_practice_says_what_it_cannot_cover_and_gpo_domain_options(workspace: Path, tmp_path: Path) -> None:
    """Issue #11: a workgroup practice whose variant has no Edge Add-ons build gets its LGPO/.reg/RMM
    artifacts without Edge and a note on stderr and in the manifest; --gpo-* fill the backup's domain."""
    import xml.etree.ElementTree as ET

    import yaml

    inv = workspace / "inventory" / "bright.yml"
    doc = yaml.safe_load(inv.read_text())
    doc["all"]["children"]["client_bright"]["children"]["practice_bright_dt"]["vars"]["fleet_join"] = "workgroup"
    inv.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "out"
    proc = fleet(workspace, "all", "--practice", "bright_dt", "--out", str(out), "--json",
                 "--gpo-domain", "corp.example.com", "--gpo-dc", "dc1.corp.example.com",
                 "--gpo-domain-guid", "4f7c1e2a-0b3d-4c5e-8f9a-1b2c3d4e5f60")
    check_streams(proc)
    assert proc.returncode == 0, proc.stderr.decode()
    manifest = json.loads(proc.stdout)
    (entry,) = [p for p in manifest["practices"] if p["practice"] == "bright_dt"]
    assert any(n.startswith("registry.pol (LGPO) (fleet_join: workgroup): edge:") for n in entry["notes"])
    assert any(n.startswith("rmm:") for n in entry["notes"])
    assert any(n.startswith("GPO: the practice's machines (fleet_join: workgroup) not joined to a domain")
               for n in entry["notes"]), entry["notes"]
    assert b"bright_dt: not covered: registry.pol (LGPO)" in proc.stderr
    (info,) = (out / "bright" / "bright_dt" / "gpo").glob("{*}/bkupInfo.xml")
    root = ET.fromstring(info.read_bytes())
    ns = "{http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest}"
    assert root.findtext(f"{ns}GPODomain") == "corp.example.com"
    assert root.findtext(f"{ns}GPODomainGuid") == "{4F7C1E2A-0B3D-4C5E-8F9A-1B2C3D4E5F60}"
    assert root.findtext(f"{ns}GPODomainController") == "dc1.corp.example.com"
    assert manifest["options"]["gpo_domain"]["name"] == "corp.example.com"
    # a bad GUID is wrong usage, before anything is written
    proc = fleet(workspace, "gpo", "--all", "--out", str(tmp_path / "o2"), "--gpo-domain-guid", "nope")
    assert proc.returncode == 2 and b"not a GUID" in proc.stderr and not (tmp_path / "o2").exists()
