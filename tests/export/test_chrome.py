"""The real Chromium accepts what fleet exports.

A test extension (with a ``storage.managed_schema`` for the settings fleet sets) is packed as a CRX
and served from 127.0.0.1; the workspace's extension ID and update URL point at it, so Chromium
force-installs it from the exported ExtensionInstallForcelist and then shows the extension's
managed ("3rdparty") settings on chrome://policy. Chromium runs in a private mount namespace whose
/etc/chromium is a temporary directory: the machine's /etc is never touched. All traffic stays on
loopback (a dead local proxy and a host-resolver rule that resolves no name).

Second run: the model's Windows registry values, turned into the JSON Chrome would build from
them (numbered values -> list, REG_SZ -> string, REG_DWORD -> integer, or boolean where the schema
says so, as Chrome's registry loader converts), must be accepted the same way.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from helpers_export import VAULT_PASSWORD, cloud_practice, config_dict, make_workspace

from fleet.desired.policy import REG_DWORD, REG_SZ, practice_policy
from fleet.workspace import Workspace

pytestmark = pytest.mark.browser

CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", "/usr/bin/chromium") if Path(p).exists()), None)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "export-chrome"
HERE = Path(__file__).resolve().parent
SCHEMA = {"type": "object", "properties": {
    "token": {"type": "string"}, "url": {"type": "string"}, "org": {"type": "string"},
    "online_booking": {"type": "boolean"}, "interval": {"type": "integer"}}}
TOKEN = "tok-'\"`$;]%-é€-𝄞"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-component-update", "--disable-sync", "--disable-default-apps",
         # the extension updater must reach 127.0.0.1; nothing may leave the machine
         "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


def _need_tools() -> None:
    if CHROMIUM is None or shutil.which("unshare") is None:
        pytest.skip("needs chromium and unshare")
    if os.geteuid() != 0:
        pytest.skip("mount namespaces need root here")


@pytest.fixture(scope="module")
def test_extension(tmp_path_factory: pytest.TempPathFactory):
    """(extension id, update URL) of a packed test extension served on 127.0.0.1."""
    _need_tools()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    root = tmp_path_factory.mktemp("ext")
    src = root / "src"
    src.mkdir()
    (src / "manifest.json").write_text(json.dumps({
        "manifest_version": 3, "name": "fleet export test", "version": "1.0",
        "permissions": ["storage"], "storage": {"managed_schema": "schema.json"}}))
    (src / "schema.json").write_text(json.dumps(SCHEMA))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (root / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    ext_id = "".join("abcdefghijklmnop"[int(c, 16)] for c in hashlib.sha256(der).hexdigest()[:32])
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={root / 'pack'}",
                    f"--pack-extension={src}", f"--pack-extension-key={root / 'key.pem'}"],
                   capture_output=True, timeout=120, check=False)
    crx = root / "src.crx"
    assert crx.is_file(), "chromium --pack-extension produced no CRX"
    serve = root / "serve"
    serve.mkdir()
    shutil.copy(crx, serve / "ext.crx")
    handler = functools.partial(_QuietHandler, directory=str(serve))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    (serve / "update.xml").write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>\n"
        f"  <app appid='{ext_id}'><updatecheck codebase='http://127.0.0.1:{port}/ext.crx' version='1.0'/></app>\n"
        "</gupdate>\n")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ext_id, f"http://127.0.0.1:{port}/update.xml"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def run_chromium_with_policy(name: str, policy: dict, ext_id: str, tmp_path: Path) -> list[dict]:
    """chrome://policy of a fresh Chromium whose managed policy folder holds only ``policy``
    (waiting until extension ``ext_id``'s settings show, unless it is "-")."""
    etc = tmp_path / "etc-chromium"
    (etc / "policies" / "managed").mkdir(parents=True)
    if Path("/etc/chromium/master_preferences").is_file():
        shutil.copy("/etc/chromium/master_preferences", etc)
    (etc / "policies" / "managed" / f"{name}.json").write_text(json.dumps(policy, ensure_ascii=False))
    out = ARTIFACTS / name
    shutil.rmtree(out, ignore_errors=True)
    argv = [sys.executable, str(HERE / "chromium_policy.py"), str(out), ext_id, CHROMIUM, *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}"]
    script = 'mount --bind "$0" /etc/chromium && exec "$@"'
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(etc), *argv],
                          capture_output=True, timeout=180)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    return json.loads(proc.stdout)


def assert_accepted(groups: list[dict], ext_id: str, forcelist: list[str], managed: dict) -> None:
    by_id = {g["id"]: g for g in groups}
    chrome = {p["name"]: p for p in by_id["chrome"]["policies"]}
    fl = chrome["ExtensionInstallForcelist"]
    assert fl["status"] == "OK", fl
    assert fl["value"] == forcelist
    assert fl["level"] == "mandatory" and fl["scope"] == "machine" and fl["source"] == "platform"
    for p in by_id["chrome"]["policies"]:
        assert p["status"] == "OK", p
        assert not p.get("error") and not p.get("warning"), p
    assert ext_id in by_id, f"the force-installed extension shows no managed settings: {list(by_id)}"
    settings = {p["name"]: p for p in by_id[ext_id]["policies"]}
    assert {k: v["value"] for k, v in settings.items()} == managed
    for p in settings.values():
        assert p["status"] == "OK" and p["level"] == "mandatory", p


@pytest.fixture
def exported(tmp_path: Path, test_extension, vault_env: None):
    """A workspace whose variant v3 is the test extension; `fleet export linux` run for real."""
    ext_id, update_url = test_extension
    cfg = config_dict(ids={"v3": {"chrome": ext_id}}, update_url=update_url)
    ws_root = make_workspace(tmp_path / "ws", {"bright": {"bright_dt": cloud_practice()}},
                             {"bright_dt": TOKEN}, cfg)
    out = tmp_path / "out"
    env = {**os.environ, "FLEET_VAULT_PASSWORD": VAULT_PASSWORD}
    proc = subprocess.run([str(Path(sys.executable).parent / "fleet"), "-w", str(ws_root), "export", "linux",
                           "--practice", "bright_dt", "--out", str(out)], capture_output=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    ws = Workspace(ws_root)
    practice = ws.inventory.practice("bright_dt")
    policy = practice_policy(practice, TOKEN, ws.catalog, ws.config)
    return ext_id, out / "bright" / "bright_dt" / "linux", policy


def test_chromium_accepts_the_exported_linux_json(exported, tmp_path: Path) -> None:
    ext_id, linux, policy = exported
    exported_file = linux / "etc" / "chromium" / "policies" / "managed" / "fleet-bright_dt.json"
    data = json.loads(exported_file.read_text())
    assert (linux / "etc/opt/chrome/policies/managed/fleet-bright_dt.json").read_text() == exported_file.read_text()
    groups = run_chromium_with_policy("fleet-bright_dt", data, ext_id, tmp_path)
    ext = policy.for_browser("chrome")
    assert_accepted(groups, ext_id, [ext.forcelist_entry],
                    {"token": TOKEN, "url": "https://bright.dentrixascend.com", "org": "BSDG-01",
                     "online_booking": True, "interval": 15})


def registry_to_chrome_json(values, root: str, schema: dict) -> dict:
    """Chrome's reading of registry policy (components/policy/core/common/registry_dict.cc), written
    here independently: numerically named values of a list policy's key -> list items; REG_SZ ->
    string; REG_DWORD -> integer, or boolean where the schema wants one (ConvertRegistryValue)."""
    out: dict = {}
    prefix = root + "\\"
    for v in values:
        assert v.key.startswith(prefix), v.key
        parts = v.key[len(prefix):].split("\\")
        data = v.data
        if v.type == REG_SZ:
            assert isinstance(data, str)
        elif v.type == REG_DWORD:
            assert isinstance(data, int)
        else:
            raise AssertionError(f"Chrome reads no {v.type}")
        if parts == ["ExtensionInstallForcelist"]:
            assert v.name.isdigit() and v.type == REG_SZ
            out.setdefault("ExtensionInstallForcelist", []).append(data)
        elif len(parts) == 4 and parts[0] == "3rdparty" and parts[1] == "extensions" and parts[3] == "policy":
            if v.type == REG_DWORD and schema["properties"].get(v.name, {}).get("type") == "boolean":
                data = data != 0
            out.setdefault("3rdparty", {}).setdefault("extensions", {}).setdefault(parts[2], {})[v.name] = data
        else:
            raise AssertionError(f"unexpected policy key {v.key}")
    return out


def test_chromium_accepts_the_registry_values(exported, tmp_path: Path) -> None:
    ext_id, _linux, policy = exported
    values = policy.registry_values(forcelist_slot=7)
    chrome_root = policy.for_browser("chrome").root_key
    mapped = registry_to_chrome_json([v for v in values if v.key.startswith(chrome_root)], chrome_root, SCHEMA)
    (ARTIFACTS).mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "registry-as-json.json").write_text(
        json.dumps({**mapped, "3rdparty": "(token omitted)"}, indent=2))
    groups = run_chromium_with_policy("fleet-registry", mapped, ext_id, tmp_path)
    assert_accepted(groups, ext_id, [policy.for_browser("chrome").forcelist_entry],
                    {"token": TOKEN, "url": "https://bright.dentrixascend.com", "org": "BSDG-01",
                     "online_booking": True, "interval": 15})


def test_chromium_reports_a_bad_policy(test_extension, tmp_path: Path) -> None:
    """The check has teeth: a wrongly typed policy does not pass as OK."""
    ext_id, update_url = test_extension
    bad = {"ExtensionInstallForcelist": f"{ext_id};{update_url}",  # a string, not a list
           "3rdparty": {"extensions": {ext_id: {"token": "t", "interval": "not a number"}}}}
    groups = run_chromium_with_policy("fleet-bad", bad, "-", tmp_path)  # the extension never installs
    with pytest.raises(AssertionError):
        assert_accepted(groups, ext_id, [f"{ext_id};{update_url}"], {"token": "t", "interval": "not a number"})


