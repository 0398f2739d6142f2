"""The real-browser lab's parts that need no root: the CRX3 packer, the test extension, the lab's web
server (on 127.0.0.1), and which lab a `fleet lab` command acts on (the workspace in use)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from fleet.cli.main import cli
from fleet.lab import LabError, browser, crx, plan_lab, procs
from fleet.lab.browser import REAL, SIMULATED, build_test_extensions, choose_mode, extension_files, settings_verdict
from fleet.lab.endpoint import WEB_SERVER
from fleet.lab.layout import HostPaths, LabPaths
from fleet.lab.state import HostRecord, LabState, save_state
from fleet.lab.workspace import engine_dir, lab_config, lab_workspace_for, variant_fields
from fleet.secrets.store import fingerprint


def test_the_crx3_package_verifies_and_its_id_comes_from_its_key(tmp_path: Path) -> None:
    key = crx.load_or_create_key(tmp_path / "k.pem")
    assert oct((tmp_path / "k.pem").stat().st_mode & 0o777) == "0o600"
    files = extension_files("v3", ["token", "practice_url"], "http://127.0.0.1:1/ext/report")
    data, ext_id = crx.pack(files, key)
    assert crx.verify(data) == ext_id
    # the ID Chromium derives: SHA-256 of the public key (SPKI DER), first 32 hex digits mapped to a-p
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.sha256(spki).hexdigest()[:32]
    assert ext_id == "".join("abcdefghijklmnop"[int(c, 16)] for c in digest)
    # same key file, same ID; a new key, a new ID
    assert crx.pack(files, crx.load_or_create_key(tmp_path / "k.pem"))[1] == ext_id
    assert crx.pack(files, crx.load_or_create_key(tmp_path / "other.pem"))[1] != ext_id
    # a changed archive no longer verifies
    tampered = data[:-30] + bytes(b ^ 1 for b in data[-30:])
    with pytest.raises((InvalidSignature, ValueError, zipfile.BadZipFile)):
        crx.verify(tampered)
    archive = data[12 + int.from_bytes(data[8:12], "little"):]
    manifest = json.loads(zipfile.ZipFile(BytesIO(archive)).read("manifest.json"))
    assert manifest["manifest_version"] == 3 and manifest["storage"] == {"managed_schema": "schema.json"}
    schema = json.loads(zipfile.ZipFile(BytesIO(archive)).read("schema.json"))
    assert schema["properties"] == {"token": {"type": "string"}, "practice_url": {"type": "string"}}


def test_the_lab_builds_one_extension_per_variant_and_an_update_manifest(tmp_path: Path) -> None:
    b = build_test_extensions(tmp_path, "http://127.0.0.1:8", variant_fields())
    assert b.mode == REAL and sorted(b.extensions) == [f"v{i}" for i in range(1, 8)]
    assert len(set(b.extensions.values())) == 7
    for variant, ext_id in b.extensions.items():
        assert crx.verify((tmp_path / "web" / "ext" / f"{variant}.crx").read_bytes()) == ext_id
    ns = {"u": "http://www.google.com/update2/response"}
    apps = ET.fromstring((tmp_path / "web" / "ext" / "updates.xml").read_text()).findall("u:app", ns)
    assert {a.get("appid"): a.find("u:updatecheck", ns).get("codebase") for a in apps} == {
        ext_id: f"http://127.0.0.1:8/ext/{v}.crx" for v, ext_id in b.extensions.items()}
    # a second `lab up` keeps the IDs (the lab's fleet.yml names them)
    assert build_test_extensions(tmp_path, "http://127.0.0.1:8", variant_fields()).extensions == b.extensions
    cfg = lab_config("file:///x.tar.gz", "0" * 64, "http://127.0.0.1:8/sync", b)
    assert cfg["extensions"]["update_url"] == "http://127.0.0.1:8/ext/updates.xml"
    assert cfg["extensions"]["variants"]["v3"]["chrome"] == b.extensions["v3"]
    v5 = json.loads(extension_files("v5", variant_fields()["v5"], "u")["schema.json"])
    assert v5["properties"]["online_booking"] == {"type": "boolean"}


def test_auto_chooses_real_browsers_for_small_labs_only() -> None:
    assert choose_mode("simulated", 2) == SIMULATED and choose_mode("real", 500) == REAL
    if os.access("/usr/bin/chromium", os.X_OK):
        assert choose_mode("auto", 6) == REAL
    assert choose_mode("auto", 13) == SIMULATED


def test_settings_verdict_compares_fingerprints_only() -> None:
    expected = {"token": frozenset({fingerprint("T")}), "practice_url": frozenset({fingerprint("https://x")})}
    good = {"managed": {"token": fingerprint("T"), "practice_url": fingerprint("https://x")}, "received_at": 5}
    assert settings_verdict(good, expected) == "ok"
    assert settings_verdict({**good, "managed": {"token": fingerprint("other")}}, expected) == \
        "differs: practice_url, token"
    assert settings_verdict(None, expected) == "no report"


# -- the lab's web server -----------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "web" / "ext").mkdir(parents=True)
    (tmp_path / "web" / "ext" / "updates.xml").write_text("<gupdate/>")
    log = open(tmp_path / "endpoint.log", "ab")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([sys.executable, "-I", str(WEB_SERVER), str(port), "fleet-lab-endpoint", str(tmp_path)],
                            stderr=log)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tmp_path
    proc.terminate()
    proc.wait(5)
    log.close()


def _post(url: str, body: bytes, agent: str) -> int:
    req = urllib.request.Request(url, data=body, method="POST", headers={"User-Agent": agent})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_the_web_server_serves_the_extension_keeps_reports_and_answers_the_sync_probe(
        server: tuple[str, Path]) -> None:
    url, engine = server
    with urllib.request.urlopen(f"{url}/ext/updates.xml?x=id%3Dabc", timeout=5) as r:
        assert r.read() == b"<gupdate/>" and r.headers["Content-Type"] == "text/xml"
    with urllib.request.urlopen(f"{url}/sync", timeout=5) as r:
        assert r.status == 204
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{url}/ext/..%2f..%2fweb", timeout=5)

    ext_id = "a" * 32
    body = json.dumps({"extension_id": ext_id, "variant": "v3", "version": "1.0.0", "why": "installed",
                       "managed": {"token": "0123456789abcdef0123"}}).encode()
    assert _post(f"{url}/ext/report", body, "Mozilla/5.0 fleet-lab/bs-downtown-ws01 Chrome") == 204
    kept = json.loads((engine / "browser-reports" / "bs-downtown-ws01" / f"{ext_id}.json").read_text())
    assert kept["managed"] == {"token": "0123456789abcdef"}  # a fingerprint's length at most, whatever is sent
    assert kept["host"] == "bs-downtown-ws01" and kept["received_at"] > 0
    # no host in the user agent, a path in the host name, a bad extension ID: refused, nothing written
    assert _post(f"{url}/ext/report", body, "Mozilla/5.0") == 400
    assert _post(f"{url}/ext/report", body, "fleet-lab/../../etc") == 400
    bad = json.dumps({"extension_id": "../x", "managed": {}}).encode()
    assert _post(f"{url}/ext/report", bad, "fleet-lab/ws") == 400
    assert sorted(p.name for p in (engine / "browser-reports").iterdir()) == ["bs-downtown-ws01"]
    # One line per request: what each browser fetched or reported, and when (never a query string).
    lines = [line.split(" ", 1)[1] for line in (engine / "endpoint.log").read_text().splitlines()]
    assert lines[:3] == ["- GET /ext/updates.xml 200", "- GET /sync 204", "- GET /ext/..%2f..%2fweb 404"]
    assert "bs-downtown-ws01 POST /ext/report 204" in lines and "- POST /ext/report 400" in lines


def test_reports_sent_at_once_are_all_kept(server: tuple[str, Path]) -> None:
    """The extension sends its "installed" and "loaded" reports together: each is answered, none lost
    to another's temporary file (was: one of two failed with FileNotFoundError, no answer)."""
    url, engine = server
    ext_id = "b" * 32
    barrier = threading.Barrier(12)

    def send(i: int) -> int:
        body = json.dumps({"extension_id": ext_id, "why": f"r{i}", "managed": {"token": f"{i:016x}"}}).encode()
        barrier.wait()
        return _post(f"{url}/ext/report", body, "fleet-lab/bs-downtown-ws02")

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(send, range(12)))
    assert codes == [204] * 12
    kept = json.loads((engine / "browser-reports" / "bs-downtown-ws02" / f"{ext_id}.json").read_text())
    assert kept["why"] in {f"r{i}" for i in range(12)}
    assert [p.name for p in (engine / "browser-reports" / "bs-downtown-ws02").iterdir()] == [f"{ext_id}.json"]
    assert "Traceback" not in (engine / "endpoint.log").read_text()


# -- which lab a command acts on ------------------------------------------------------------------------


def _fake_lab(ws: Path) -> None:
    """A lab workspace whose hosts are all stopped (a state file, no processes)."""
    topo = plan_lab(1, 1)
    paths = LabPaths(engine_dir(ws))
    paths.root.mkdir(parents=True)
    hosts = {h.name: HostRecord(h.name, h.role, h.practice_id, h.client_id) for h in topo.hosts}
    save_state(LabState(lab_dir=str(paths.root), user="root", topology=topo, hosts=hosts))
    (ws / "fleet.yml").write_text("msp: {name: lab}\n")


def test_lab_commands_follow_the_workspace_in_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lab, other, default = tmp_path / "D", tmp_path / "msp", tmp_path / "default"
    _fake_lab(lab)
    other.mkdir()
    (other / "fleet.yml").write_text("msp: {name: x}\n")
    monkeypatch.setenv("FLEET_LAB_DIR", str(default))
    monkeypatch.delenv("FLEET_WORKSPACE", raising=False)
    (lab / "inventory").mkdir()
    monkeypatch.chdir(lab / "inventory")  # anywhere inside the lab's workspace
    assert lab_workspace_for(None) == lab.resolve()
    monkeypatch.chdir(other)  # a real MSP workspace: the lab commands mean the default lab
    assert lab_workspace_for(None) == default.resolve()
    assert lab_workspace_for(None, str(lab)) == lab.resolve()
    assert lab_workspace_for(tmp_path / "x", str(lab)) == (tmp_path / "x").resolve()  # --dir wins
    with pytest.raises(LabError, match="not a lab workspace"):
        lab_workspace_for(None, str(other))
    monkeypatch.setenv("FLEET_WORKSPACE", str(lab))
    assert lab_workspace_for(None) == lab.resolve()

    r = CliRunner().invoke(cli, ["-w", str(lab), "lab", "path"])
    assert r.exit_code == 0 and r.stdout.strip() == str(lab.resolve())


def test_a_command_on_a_stopped_lab_fails_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lab = tmp_path / "D"
    _fake_lab(lab)
    monkeypatch.setenv("FLEET_LAB_DIR", str(tmp_path / "default"))
    monkeypatch.delenv("FLEET_WORKSPACE", raising=False)
    monkeypatch.chdir(lab)
    for args in (["lab", "browsers"], ["lab", "stop-host", "bs-downtown-ws01"]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 1, (args, r.output)
        assert f"the lab at {lab.resolve()} is stopped (0 of 1 hosts up)" in r.stderr
        assert f"fleet lab up --dir {lab.resolve()}" in r.stderr and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["lab", "status"])
    assert r.exit_code == 1 and "is stopped" in r.stderr
    r = CliRunner().invoke(cli, ["lab", "browsers", "--dir", str(tmp_path / "nowhere")])
    assert r.exit_code == 1 and "no lab at" in r.stderr


def test_lab_up_refuses_real_browsers_it_cannot_have_before_starting_anything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import fleet.lab.browser as browser

    monkeypatch.delenv("FLEET_WORKSPACE", raising=False)
    monkeypatch.setattr(browser, "CHROMIUM", str(tmp_path / "no-chromium"))
    new = tmp_path / "new"
    r = CliRunner().invoke(cli, ["lab", "up", "--practices", "1", "--browsers", "real", "--dir", str(new)])
    assert r.exit_code == 1 and "real browsers need Chromium" in r.stderr and "--browsers simulated" in r.stderr
    assert not (engine_dir(new) / "lab.json").exists()  # no host was created or started

    old = tmp_path / "old"
    _fake_lab(old)
    browser.save(engine_dir(old), browser.LabBrowsers(SIMULATED, {}))
    r = CliRunner().invoke(cli, ["lab", "up", "--browsers", "real", "--dir", str(old)])
    assert r.exit_code == 1 and "has simulated browsers (chosen when it was created)" in r.stderr
    assert "fleet lab down --purge" in r.stderr


# -- a starting Chromium: ready only once it follows policy changes ------------------------------------


MNT = procs.ns_inode("self", "mnt")  # the fake Chromium runs in this test's mount namespace


class _FakeChromium:
    """A process that looks like the workstation's Chromium (its pidfile, its command line) and
    writes chromium.log lines as Chromium does, reading its policy folder on cue."""

    def __init__(self, hp: HostPaths) -> None:
        self.hp = hp
        self.proc = subprocess.Popen(["bash", "-c", f"exec -a {browser.CHROMIUM_LIB}chromium sleep 60"])
        deadline = time.monotonic() + 5
        while browser.CHROMIUM_LIB not in procs.cmdline(self.proc.pid):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        hp.fs_path(browser.PIDFILE).parent.mkdir(parents=True, exist_ok=True)
        hp.fs_path(browser.PIDFILE).write_text(f"{self.proc.pid}\n")
        hp.fs_path("/etc/chromium").mkdir(parents=True)  # the bind-mount source exists, policies/ does not

    def log(self, source: str, message: str) -> None:
        with open(self.hp.fs_path(browser.LOGFILE), "a") as f:
            f.write(f"[{self.proc.pid}:{self.proc.pid + 1}:{time.strftime('%m%d/%H%M%S')}.000000:VERBOSE1:"
                    f"components/x/{source}.cc:1] {message}\n")

    def read_policy(self) -> None:
        d = self.hp.fs_path(browser.POLICY_DIR)
        files = sorted(f.name for f in d.glob("*.json")) if d.is_dir() else []
        for name in files:
            self.log("config_dir_policy_loader", f"Found mandatory policy file: {browser.POLICY_DIR}/{name}")
        if not files:
            self.log("config_dir_policy_loader", "Skipping mandatory platform policies because no policy file "
                                                 f"was found at: {browser.POLICY_DIR}")

    def probes(self) -> list[str]:
        d = self.hp.fs_path(browser.POLICY_DIR)
        return sorted(f.name for f in d.glob(f"{browser.PROBE_PREFIX}*")) if d.is_dir() else []

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def test_a_starting_chromium_is_ready_only_once_it_reads_a_policy_change(tmp_path: Path) -> None:
    """The lab probes a starting Chromium (after its first policy read and the end of its start-up)
    with an empty policy file, writes another when one goes unread (Chromium's start-up window),
    and calls it ready once a reload names the probe; the probes and the folders made for them go."""
    hp = HostPaths(tmp_path / "ws01")
    chromium = _FakeChromium(hp)
    seen: list[list[str]] = []

    def chromium_starts() -> None:
        time.sleep(0.3)
        chromium.read_policy()  # the first read, at start-up
        time.sleep(0.6)
        seen.append(chromium.probes())  # start-up not over: no probe yet
        chromium.log("extension_updater", "Starting update check 0")
        deadline = time.monotonic() + 10
        while not chromium.probes() and time.monotonic() < deadline:
            time.sleep(0.02)
        seen.append(chromium.probes())  # the first probe: written in the window, never read
        # the lab clears the old probe, then writes the next: wait for the next, not the gap between
        while chromium.probes() in (seen[-1], []) and time.monotonic() < deadline:
            time.sleep(0.02)
        seen.append(chromium.probes())  # the next one: read
        chromium.read_policy()

    try:
        t = threading.Thread(target=chromium_starts)
        t.start()
        started = time.monotonic()
        late = browser.await_policy_watch({"ws01": (hp, MNT)}, timeout=20, probe_every=0.5)
        t.join()
        assert late == {}, late
        assert seen == [[], ["fleet-lab-probe-1.json"], ["fleet-lab-probe-2.json"]]
        assert time.monotonic() - started < 10
        assert browser.is_ready(hp, chromium.proc.pid)
        # A pidfile whose pid is a Chromium of another host's namespace (a stale pid, reused) is not ours.
        assert browser.running_pid(hp, MNT) == chromium.proc.pid and browser.running_pid(hp, MNT + 1) is None
        assert chromium.probes() == [] and not hp.fs_path("/etc/chromium/policies").exists()

        # Confirmed once: the next lab up does not probe it again.
        assert browser.await_policy_watch({"ws01": (hp, MNT)}, timeout=5, probe_every=0.5) == {}
        assert chromium.probes() == []
    finally:
        chromium.stop()
    # Gone, or never reading its policy: named with the reason, its probes removed.
    assert browser.await_policy_watch({"ws01": (hp, MNT)}, timeout=1) == {"ws01": "Chromium is not running"}
    mute = _FakeChromium(HostPaths(tmp_path / "ws02"))
    try:
        assert browser.await_policy_watch({"ws02": (mute.hp, MNT)}, timeout=1) == {
            "ws02": "Chromium has not read its policy yet"}
        mute.read_policy()
        late = browser.await_policy_watch({"ws02": (mute.hp, MNT)}, timeout=1)
        assert late == {"ws02": "Chromium has not finished starting"}, late
        mute.log("extension_updater", "Starting update check 0")
        late = browser.await_policy_watch({"ws02": (mute.hp, MNT)}, timeout=1.5, probe_every=0.3)
        assert late == {"ws02": "Chromium has not re-read its policy folder after a change (2 tries)"}, late
        assert mute.probes() == [] and not mute.hp.fs_path("/etc/chromium/policies").exists()
    finally:
        mute.stop()


def test_a_late_browser_is_explained_from_its_own_log(tmp_path: Path) -> None:
    """`fleet lab browsers` says why a workstation is late: its Chromium not running, the policy file
    changed after Chromium last read its folder (the start-up gap), or its updater's last step."""
    hp = HostPaths(tmp_path / "ws01")
    chromium = _FakeChromium(hp)
    try:
        chromium.read_policy()
        policy = hp.fs_path(browser.POLICY_DIR) / "fleet-p.json"
        policy.parent.mkdir(parents=True)
        policy.write_text("{}")
        later = time.time() + 5
        os.utime(policy, (later, later))
        why = browser.explain_late(hp, MNT)
        assert why.startswith("its Chromium has not read the policy folder since it changed at "
                              f"{time.strftime('%H:%M:%S', time.localtime(later))} (last read "), why
        assert "15-minute reload" in why

        os.utime(policy, (later - 10, later - 10))
        idle = "its Chromium read the policy; its extension updater has done nothing since"
        assert browser.explain_late(hp, MNT) == idle
        chromium.log("extension_downloader", "Fetching http://127.0.0.1:1/ext/updates.xml?os=linux")
        assert browser.explain_late(hp, MNT) == ("its Chromium read the policy; its extension updater last: "
                                                 "Fetching http://127.0.0.1:1/ext/updates.xml?os=linux")
    finally:
        chromium.stop()
    assert browser.explain_late(hp, MNT) == "Chromium is not running (fleet lab up starts it)"


def _boot_script_in(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The ws01 boot script with its paths in tmp_path and a fake Chromium: (script, fake, pidfile)."""
    from fleet.lab.layout import login_user

    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    _, home = login_user()
    pidfile = tmp_path / "chromium.pid"
    text = (browser.boot_script("ws01").replace(browser.PIDFILE, str(pidfile))
            .replace(browser.LOGFILE, str(tmp_path / "chromium.log")).replace(browser.CHROMIUM, str(fake))
            .replace(f"{home}/{browser.USER_DATA}", f"{tmp_path / 'home'}/{browser.USER_DATA}"))
    script = tmp_path / "boot"
    script.write_text(text)
    script.chmod(0o755)
    return script, fake, pidfile


def _browser_like(profile: Path, host: str, *, last: str = "", prefix: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    """A process whose command line is a Chromium browser's as Debian's /usr/bin/chromium execs it: the
    wrapper's own flags first, then the URL, then ours (--user-agent last: nothing follows it)."""
    args = ["--show-component-extension-options", "--enable-remote-extensions", "about:blank", "--headless",
            f"--user-data-dir={profile}", f"--user-agent=fleet-lab/{host}", *([last] if last else [])]
    code = "import time; time.sleep(30)"
    return subprocess.Popen([*prefix, "bash", "-c", f'exec -a {browser.CHROMIUM_LIB}chromium "$0" "$@"',
                             sys.executable, "-c", code, *args])


def test_a_start_ends_a_browser_on_its_profile_it_does_not_know_and_no_other(tmp_path: Path) -> None:
    """One browser per profile: a browser on this host's profile that the pidfile does not name (lost, or
    naming another process) is ended before the start, even with the argument order Debian's wrapper
    gives it (the user agent last: a pattern "--user-agent=fleet-lab/HOST " missed the browser itself,
    killed only its helpers, and a second Chromium started on the profile). A browser of a host of the
    same name on another profile (another lab's) is left alone."""
    script, fake, pidfile = _boot_script_in(tmp_path)
    profile = tmp_path / "home" / browser.USER_DATA
    profile.mkdir(parents=True)
    unknown = _browser_like(profile, "ws01")
    other_lab = _browser_like(tmp_path / "other-lab" / browser.USER_DATA, "ws01", last="about:blank")
    try:
        _wait_browser_like(unknown, other_lab)
        assert subprocess.run([str(script), "start"], timeout=30).returncode == 0
        assert unknown.wait(timeout=5) == -9  # this profile's unknown browser: gone
        assert other_lab.poll() is None  # another profile's: untouched
        assert int(pidfile.read_text()) != unknown.pid
        assert "ending browsers on" in (tmp_path / "chromium.log").read_text()
    finally:
        for p in (unknown, other_lab):
            p.kill()
            p.wait()
        subprocess.run(["pkill", "-KILL", "-f", str(fake)], check=False)


def _wait_browser_like(*fakes: subprocess.Popen[bytes]) -> None:
    """Until every fake has exec'd into its browser-like command line (at most 5 s)."""
    deadline = time.monotonic() + 5
    while not all(browser.CHROMIUM_LIB in procs.cmdline(p.pid) for p in fakes):
        assert time.monotonic() < deadline
        time.sleep(0.02)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="mount namespaces need root")
def test_a_start_tells_profiles_apart_by_the_directory_each_browser_sees(tmp_path: Path) -> None:
    """A lab host's profile path is the same string on every host (and in every lab): the boot script
    ends a browser whose --user-data-dir is, in its own mount namespace, this host's profile directory
    (a browser left in an earlier namespace of this host), never one whose same path is another directory
    there (another host's, another lab's same-named host's)."""
    script, fake, _pidfile = _boot_script_in(tmp_path)
    profile = tmp_path / "home" / browser.USER_DATA
    profile.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    own_ns = _browser_like(profile, "ws01", prefix=["unshare", "--mount", "--propagation", "private"])
    other_host = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f'mount --bind "{elsewhere}" "{profile}" && exec bash -c \'exec -a {browser.CHROMIUM_LIB}chromium "$0" "$@"\' '
         f'{sys.executable} -c "import time; time.sleep(30)" about:blank --user-data-dir={profile} '
         "--user-agent=fleet-lab/ws01"])
    try:
        _wait_browser_like(own_ns, other_host)
        assert subprocess.run([str(script), "start"], timeout=30).returncode == 0
        assert own_ns.wait(timeout=5) == -9  # on this very directory: gone
        assert other_host.poll() is None  # the same path, another directory: untouched
    finally:
        for p in (own_ns, other_host):
            p.kill()
            p.wait()
        subprocess.run(["pkill", "-KILL", "-f", str(fake)], check=False)


def test_two_starts_at_once_start_one_chromium(tmp_path: Path) -> None:
    """The host's boot and `fleet lab up` may run the boot script's start together: one Chromium starts,
    and the pidfile names it (two on one profile, the pidfile naming the wrong one, failed the real-browser
    e2e: `lab up` confirmed one, the test read the other)."""
    script, fake, pidfile = _boot_script_in(tmp_path)
    # widen the window between "is one running?" and writing the pidfile, as a loaded machine does
    script.write_text(script.read_text().replace('    rm -f "', '    sleep 0.5; rm -f "', 1))
    starts = [subprocess.Popen([str(script), "start"]) for _ in range(2)]
    assert [p.wait(timeout=20) for p in starts] == [0, 0]
    time.sleep(0.3)

    def ours() -> list[int]:
        found = []
        for d in os.listdir("/proc"):
            try:
                if d.isdigit() and str(fake).encode() in Path(f"/proc/{d}/cmdline").read_bytes():
                    found.append(int(d))
            except OSError:
                pass
        return found

    try:
        running = ours()
        assert len(running) == 1 and int(pidfile.read_text()) == running[0], running
    finally:
        for pid in ours():
            os.kill(pid, 9)
