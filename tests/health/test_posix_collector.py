"""The POSIX collector, run for real (dash and bash) on fixture trees, and its awk JSON reader
checked against Python's json on generated documents."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.health.facts import parse_facts
from fleet.health.sweep import collector_script
from fleet.health.transport import posix_payload
from fleet.secrets.store import fingerprint

SCRIPT = collector_script("posix.sh")
JSONAWK = re.search(r"^JSONAWK='(.*?)'\n\nTOJSON=", SCRIPT, re.S | re.M).group(1)  # type: ignore[union-attr]
SHELLS = [s for s in ("/bin/dash", "/bin/bash") if os.access(s, os.X_OK)]
EXT = "abcdefghijklmnopabcdefghijklmnop"
OTHER = "ponmlkjihgfedcbaponmlkjihgfedcba"
URL = "https://clients2.google.com/service/update2/crx"
TOKEN = "tök'en \"with\" \\ odd ✓ chars 😀"


# -- the awk JSON reader -------------------------------------------------------------------------


def awk_flatten(text: str | bytes) -> tuple[int, bytes]:
    data = text.encode() if isinstance(text, str) else text
    r = subprocess.run(["awk", "-v", "mode=tsv", JSONAWK], input=data, capture_output=True,
                       env={"LC_ALL": "C", "PATH": os.environ["PATH"]}, timeout=30)
    return r.returncode, r.stdout


def py_flatten(value: Any, path: str = "") -> list[str]:
    p = path or "."
    if isinstance(value, dict):
        out = [f"{p}\to\t"]
        for k, v in value.items():
            out += py_flatten(v, f"{path}/{k}" if path else k)
        return out
    if isinstance(value, list):
        out = [f"{p}\ta\t"]
        for i, v in enumerate(value):
            out += py_flatten(v, f"{path}/{i}" if path else str(i))
        return out
    if value is None:
        return [f"{p}\tz\t"]
    if isinstance(value, bool):
        return [f"{p}\tb\t{'true' if value else 'false'}"]
    if isinstance(value, int | float):
        return [f"{p}\tn\t{json.dumps(value)}"]
    if any(c in value for c in "\t\n\r\0"):
        return [f"{p}\tc\t"]
    return [f"{p}\ts\t{value}"]


keys = st.text(st.characters(blacklist_characters="/\t\n\r\0", blacklist_categories=("Cs",)), min_size=1, max_size=8)
leaves = (st.none() | st.booleans() | st.integers(-10**18, 10**18)
          | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30))
docs = st.recursive(leaves, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(keys, kids, max_size=4),
                    max_leaves=25)


@settings(max_examples=200, deadline=None)
@given(docs, st.booleans())
def test_awk_reader_agrees_with_python(doc: Any, ascii_only: bool) -> None:
    text = json.dumps(doc, ensure_ascii=ascii_only, indent=None if ascii_only else 1)
    if isinstance(doc, dict) and len(set(doc)) != len(doc):
        return
    code, out = awk_flatten(text)
    assert code == 0, out
    assert out.decode("utf-8") == "".join(line + "\n" for line in py_flatten(doc))


@pytest.mark.parametrize("text", ['{"a": 1', '{"a" 1}', '[1,]x', '{"a": "\\q"}', '"unterminated', "", "tru",
                                  '{"a": 1} trailing', "[" * 70 + "]" * 70])
def test_awk_reader_refuses_broken_json(text: str) -> None:
    code, out = awk_flatten(text)
    assert code != 0 and out.splitlines()[-1].startswith(b"!\t")


def test_awk_reader_refuses_more_than_a_mebibyte() -> None:
    code, out = awk_flatten('{"a": "' + "x" * (1024 * 1024 + 10) + '"}')
    assert code != 0 and b"larger than 1 MiB" in out


# -- the whole collector on a fixture machine ---------------------------------------------------


class Endpoint:
    def __init__(self) -> None:
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(404)
                self.end_headers()

            def log_message(self, *a: Any) -> None:
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/x"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    e = Endpoint()
    yield e
    e.srv.shutdown()


def machine(root: Path) -> dict[str, Any]:
    """A workstation + server fixture under ``root``; returns the expectations document."""
    home = root / "home" / "alice"
    chrome = home / ".config/google-chrome"
    (chrome / "Default/Extensions" / EXT / "3.1.4_0").mkdir(parents=True)
    (chrome / "Profile 1/Extensions").mkdir(parents=True)
    (chrome / "Guest Profile").mkdir()
    (chrome / "Last Version").write_text("131.0.6778.85\n")
    pol = root / "etc/chrome/managed"
    pol.mkdir(parents=True)
    (pol / "fleet-p1.json").write_text(json.dumps({
        "ExtensionInstallForcelist": [f"{EXT};{URL}", f"{OTHER};{URL}"],
        "3rdparty": {"extensions": {EXT: {"token": TOKEN, "flag": True, "n": 7, "obj": {"x": 1}},
                                    OTHER: {"token": "not ours"}}},
    }, ensure_ascii=True))
    (pol / "zz-broken.json").write_text('{"ExtensionInstallForcelist": [')
    (pol / "empty-list.json").write_text('{"ExtensionInstallForcelist": []}')
    (root / "etc/chromium/managed").mkdir(parents=True)
    sync = root / "opt/sync"
    (sync / "current").mkdir(parents=True)
    (sync / "current/VERSION").write_text("4.2.0\n")
    (sync / "enabled").write_text("x")
    (sync / "sync.pid").write_text(f"{os.getpid()}\n")
    (sync / "crash.log").write_text("1 very old crash\n9999999999 future crash\nnot-a-time x\n")
    (root / "services.json").write_text(json.dumps({"MySQL80": "running", "OpenDentalService": {"state": "stopped"}}))
    return {
        "v": 1, "role": "workstation", "platform": "linux", "homes": [str(root / "home/*"), str(root / "nobody")],
        "disks": ["/", str(root)],
        "browsers": [
            {"name": "chrome", "policy": str(pol), "data": ".config/google-chrome", "bins": [str(root / "no/chrome")],
             "ext": [EXT], "fields": ["flag", "n", "obj", "token", "url"]},
            {"name": "chromium", "policy": str(root / "etc/chromium/managed"), "data": ".config/chromium",
             "bins": [shutil.which("sh") or "/bin/sh"], "ext": [EXT], "fields": ["token"]},
            {"name": "edge", "policy": str(root / "etc/edge"), "data": ".config/microsoft-edge", "bins": [],
             "ext": [], "fields": []},
        ],
        "services": [
            {"name": "Synchronizer", "kind": "synchronizer", "pidfile": str(sync / "sync.pid"),
             "version_file": str(sync / "current/VERSION"), "install_dir": str(sync / "current"),
             "autostart_file": str(sync / "enabled"), "crash_log": str(sync / "crash.log"), "process_match": "python"},
            {"name": "MySQL80", "kind": "pms"}, {"name": "OpenDentalService", "kind": "pms"},
            {"name": "MariaDB", "kind": "pms"},
        ],
        "service_state_file": str(root / "services.json"),
        "endpoint": "",
    }


def run_collector(shell: str, expect: dict[str, Any]) -> tuple[subprocess.CompletedProcess, dict[str, Any]]:
    payload = posix_payload(SCRIPT, json.dumps(expect, separators=(",", ":")))
    r = subprocess.run([shell, "-s"], input=payload, capture_output=True, timeout=60,
                       env={"PATH": os.environ["PATH"], "HOME": "/root", "USER": "root"})
    assert r.returncode == 0, r.stderr
    return r, json.loads(r.stdout)


@pytest.mark.parametrize("shell", SHELLS)
def test_collector_reports_the_fixture_machine(shell: str, tmp_path: Path, endpoint: Endpoint) -> None:
    expect = machine(tmp_path)
    expect["endpoint"] = endpoint.url
    r, _ = run_collector(shell, expect)
    facts = parse_facts(r.stdout, 1 << 20)
    assert facts.collector == "posix" and facts.host.os == "Linux" and facts.host.time and facts.host.boot_time
    assert {d.mount for d in facts.disks} and all(d.total_mb > 0 for d in facts.disks)
    browsers = {b.browser: b for b in facts.browsers}
    assert browsers["chrome"].binary == "" and browsers["chromium"].binary
    assert [(u.browser, u.user, u.version) for u in facts.userdata] == [("chrome", "alice", "131.0.6778.85")]
    assert sorted(p.profile for p in facts.profiles) == ["Default", "Profile 1"]  # not the guest profile
    assert [(e.profile, e.extension_id, e.version) for e in facts.extensions] == [("Default", EXT, "3.1.4_0")]
    sources = {Path(s.source).name: s for s in facts.policy_sources}
    assert sources["fleet-p1.json"].ok and sources["fleet-p1.json"].has_forcelist
    assert sources["empty-list.json"].ok and sources["empty-list.json"].has_forcelist
    assert not sources["zz-broken.json"].ok and "expected" in sources["zz-broken.json"].error
    assert sorted(f.entry for f in facts.forcelist) == sorted([f"{EXT};{URL}", f"{OTHER};{URL}"])
    values = {(m.extension_id, m.field): m for m in facts.managed_values}
    assert set(values) == {(EXT, "token"), (EXT, "flag"), (EXT, "n"), (EXT, "obj")}  # ours only, asked fields only
    assert values[(EXT, "token")].sha16 == fingerprint(TOKEN)
    assert values[(EXT, "flag")].type == "boolean" and values[(EXT, "flag")].sha16 == fingerprint("true")
    assert values[(EXT, "n")].sha16 == fingerprint("7") and values[(EXT, "obj")].type == "object"
    services = {s.name: s for s in facts.services}
    sync = services["Synchronizer"]
    assert (sync.present, sync.running, sync.start, sync.version, sync.crashes_24h, sync.probe) == (
        True, True, "auto", "4.2.0", 1, "pidfile")
    assert (services["MySQL80"].present, services["MySQL80"].running, services["MySQL80"].probe) == (
        True, True, "statefile")
    assert (services["OpenDentalService"].present, services["OpenDentalService"].running) == (True, False)
    assert (services["MariaDB"].present, services["MariaDB"].running) == (False, False)
    assert facts.endpoint and facts.endpoint.ok and facts.endpoint.http_status == 404
    out = r.stdout.decode() + r.stderr.decode()
    assert "tök" not in out and "not ours" not in out  # values never leave the host


@pytest.mark.parametrize("shell", SHELLS)
def test_collector_notices_a_dead_pid_a_reused_pid_and_a_closed_endpoint(shell: str, tmp_path: Path) -> None:
    expect = machine(tmp_path)
    sync = tmp_path / "opt/sync"
    expect["endpoint"] = "http://127.0.0.1:9/"
    (sync / "sync.pid").write_text("999999999\n")
    _, doc = run_collector(shell, expect)
    svc = next(s for s in doc["services"] if s["name"] == "Synchronizer")
    assert svc["running"] is False
    assert doc["endpoint"]["ok"] is False and "cannot connect" in doc["endpoint"]["error"]
    (sync / "sync.pid").write_text(f"{os.getpid()}\n")
    expect["services"][0]["process_match"] = "fleet-synchronizer run"  # our pid is not that program
    _, doc = run_collector(shell, expect)
    assert next(s for s in doc["services"] if s["name"] == "Synchronizer")["running"] is False
    (sync / "current/VERSION").unlink()
    (sync / "current").rmdir()
    _, doc = run_collector(shell, expect)
    assert next(s for s in doc["services"] if s["name"] == "Synchronizer")["present"] is False


def test_collector_survives_bad_expectations_and_odd_names(tmp_path: Path) -> None:
    home = tmp_path / "home" / "o'brien\"x"
    (home / ".config/google-chrome/Profile 2/Extensions").mkdir(parents=True)
    expect = {"v": 1, "homes": [str(tmp_path / "home/*")], "browsers": [
        {"name": "chrome", "policy": str(tmp_path / "it's"), "data": ".config/google-chrome", "bins": [], "ext": [EXT],
         "fields": ["token"]}], "services": [], "endpoint": ""}
    _, doc = run_collector("/bin/sh", expect)
    assert doc["profiles"] == [{"browser": "chrome", "user": "o'brien\"x", "profile": "Profile 2"}]
    payload = b"FLEET_EXPECT='{not json'\n{\n" + SCRIPT.encode() + b"\n}\n"
    r = subprocess.run(["/bin/sh", "-s"], input=payload, capture_output=True, timeout=60)
    doc = json.loads(r.stdout)
    assert any(e["where"] == "expectations" for e in doc["errors"])
    assert doc["host"]["hostname"]  # the host part is still collected


def test_payload_carries_the_expectations_verbatim() -> None:
    doc = json.dumps({"a": "it's a 'quoted' \"value\" with $HOME and `cmd`"})
    payload = posix_payload('printf %s "$FLEET_EXPECT"', doc)
    r = subprocess.run(["/bin/sh", "-s"], input=payload, capture_output=True, timeout=10)
    assert r.stdout.decode() == doc
