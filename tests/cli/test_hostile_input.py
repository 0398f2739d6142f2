"""Hostile input, as an adversarial user tries it (issue #10): every case gets a clear error (what,
where, how to fix) and a non-zero exit that is not 70 (fleet's "internal error"), never a traceback.
In-process with click's CliRunner (an exception escaping a command fails the test), real files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from fleet.cli.main import cli
from fleet.example import EXAMPLE_VAULT_PASSWORD, example_config
from fleet.lab.workspace import lab_config
from fleet.workspace import init_workspace, render_config

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", EXAMPLE_VAULT_PASSWORD)
    root = tmp_path / "msp"
    init_workspace(root, example=True)
    return root


def fleet(ws: Path, *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    r = CliRunner().invoke(cli, ["-w", str(ws), *args], input=input, env=env, catch_exceptions=False)
    assert "Traceback" not in r.output
    return r


def refused(r: Result, *words: str, code: int = 1) -> None:
    assert r.exit_code == code, (r.exit_code, r.output)
    for w in words:
        assert w in r.stderr, (w, r.stderr)


# -- fleet.yml against its declared schema ------------------------------------------------------------------

def _set(cfg: dict, dotted: str, value: object) -> dict:
    node = cfg
    *parents, last = dotted.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value
    return cfg


@pytest.mark.parametrize(("dotted", "value", "words"), [
    ("store", [1, 2], ["fleet.yml:", "store: must be a mapping", "not a list"]),
    ("extensions", "oops", ["extensions: must be a mapping"]),
    ("synchronizer", "oops", ["synchronizer: must be a mapping"]),
    ("msp", [1], ["msp: must be a mapping"]),
    ("extensions.variants.v2.extra_fields", 7, ["extensions.variants.v2.extra_fields: must be a mapping"]),
    ("health", 5, ["health: must be a mapping"]),
    ("synchronizer.version", [4, 2], ["synchronizer.version: must be a version string"]),
    ("extensions.update_url", "javascript:alert(1)", ["extensions.update_url", "not an https:// URL"]),
    ("extensions.variants.v1.update_url", "http://updates.example.com/crx", ["not an https:// URL"]),
    ("health.forks", 0, ["health.forks: 0 is out of range", "between 1 and 256"]),
    ("health.timeout", "soon", ["health.timeout: must be a number"]),
    ("alerts", [{"kind": "pager", "url": "https://x.example.com"}], ["alerts[0].kind: 'pager' is not one of"]),
    ("msp.name", "x" * 5000, ["msp.name: is 5000 characters long"]),
    ("msp.name", "evil\x1b[31m", ["msp.name: contains control characters"]),
])
def test_fleet_yml_wrong_types_and_values_are_named_with_file_and_line(
        ws: Path, dotted: str, value: object, words: list[str]) -> None:
    (ws / "fleet.yml").write_text(yaml.safe_dump(_set(example_config(), dotted, value), sort_keys=False))
    refused(fleet(ws, "inventory", "validate"), *words)


def test_unknown_keys_get_a_did_you_mean_with_the_line(ws: Path) -> None:
    text = (ws / "fleet.yml").read_text()
    (ws / "fleet.yml").write_text(text + "stroe:\n  url: sqlite:///state/other.db\n")
    n = len(text.splitlines()) + 1
    refused(fleet(ws, "inventory", "validate"), f"fleet.yml:{n}: stroe: unknown key", "did you mean store?")
    (ws / "fleet.yml").write_text(text.replace("service_name:", "servce_name:"))
    refused(fleet(ws, "inventory", "validate"), "synchronizer.servce_name: unknown key",
            "did you mean synchronizer.service_name?")


def test_a_version_yaml_would_change_is_refused_with_a_hint_to_quote_it(ws: Path) -> None:
    text = (ws / "fleet.yml").read_text()
    (ws / "fleet.yml").write_text(text.replace("version: 4.2.0", "version: 4.10"))
    refused(fleet(ws, "inventory", "validate"), "synchronizer.version: YAML reads 4.10 as the number 4.1",
            'quote it: "4.10"')
    (ws / "fleet.yml").write_text(text.replace("version: 4.2.0", "version: 4.5"))  # unchanged by YAML: kept
    assert fleet(ws, "inventory", "validate", "--json").exit_code in (0, 1)
    from fleet.config import load_config

    assert load_config(ws / "fleet.yml").synchronizer.version == "4.5"  # type: ignore[union-attr]


def test_the_example_and_lab_configs_pass_the_schema(tmp_path: Path) -> None:
    from fleet.config import parse_config
    from fleet.lab.workspace import LAB_HEALTH
    from fleet.yamlsrc import load_text

    for cfg in (example_config(), lab_config("file:///tmp/pkg.tar.gz", "a" * 64, "http://127.0.0.1:9/")):
        text = render_config(cfg) + LAB_HEALTH
        assert parse_config(load_text(text, "fleet.yml"), tmp_path / "fleet.yml").variants


def test_an_alias_bomb_is_refused_quickly(ws: Path) -> None:
    import time

    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = "\n".join(lines) + "\n"
    assert len(bomb) < 700
    inv = ws / "inventory" / "bomb.yml"
    inv.write_text("all:\n  vars:\n    x:\n" + "".join(f"      {ln}\n" for ln in bomb.splitlines()))
    t0 = time.monotonic()
    refused(fleet(ws, "inventory", "validate"), "bomb.yml:", "aliases expand")
    assert time.monotonic() - t0 < 10
    inv.unlink()
    (ws / "fleet.yml").write_text((ws / "fleet.yml").read_text() + "\nhealth:\n  x:\n" +
                                  "".join(f"    {ln}\n" for ln in bomb.splitlines()))
    refused(fleet(ws, "inventory", "validate"), "fleet.yml:", "aliases expand")


def test_an_unquoted_pms_version_is_read_as_written(ws: Path) -> None:
    inv = ws / "inventory" / "summit.yml"
    text = inv.read_text()
    assert "fleet_pms: cloud9\n" in text
    ecw = "fleet_pms: eclinicalworks\n            fleet_pms_version: 11.60\n"
    # The example's Cloud9 practice states its EHR URL (the guide's first cloud step): eCW's replaces it.
    text = text.replace("fleet_pms_url: https://summit.cloud9ortho.com", "fleet_pms_url: https://summit.ecwcloud.com")
    inv.write_text(text.replace("fleet_pms: cloud9\n", ecw))
    r = fleet(ws, "inventory", "validate")
    assert "eclinicalworks" in inv.read_text() and "11.53" not in r.output, r.output  # 11.60 >= 11.53: supported
    inv.write_text(inv.read_text().replace("fleet_pms_version: 11.60", "fleet_pms_version: 11.50"))
    assert "11.53" in fleet(ws, "inventory", "validate").output  # and an old one is still refused


# -- deploy / runs options ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "words"), [
    (["--limit", ""], ["--limit names no host"]),
    (["--limit", " , "], ["--limit names no host"]),
    (["--serial", "0"], ["--serial '0' is not a number of hosts (1 or more)"]),
    (["--serial", "150%"], ["--serial '150%'", "percentage (1-100%)"]),
    (["--serial", "0%"], ["--serial '0%'"]),
    (["--serial", "-3"], ["--serial '-3'"]),
])
def test_deploy_options_that_would_select_everything_or_nothing_are_refused(
        ws: Path, args: list[str], words: list[str]) -> None:
    refused(fleet(ws, "deploy", "--yes", *args), *words)
    assert not (ws / "state" / "runs").exists()


def test_runs_show_needs_a_real_id(ws: Path) -> None:
    from fleet.store import Store
    from fleet.workspace import Workspace

    store = Store(Workspace(ws).store_url())
    store.start_run("deploy")
    store.close()
    for arg in ("", "  ", "a"):
        refused(fleet(ws, "runs", "show", arg), "run id", code=2)


# -- vault password and secrets ---------------------------------------------------------------------------------

def test_a_relative_vault_password_script_is_that_file_never_a_program_on_path(
        ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decoy_dir = tmp_path / "bin"
    decoy_dir.mkdir()
    decoy = decoy_dir / "pw.sh"
    decoy.write_text("#!/bin/sh\necho decoy-password\n")
    decoy.chmod(0o755)
    monkeypatch.setenv("PATH", f"{decoy_dir}:{__import__('os').environ['PATH']}")
    monkeypatch.delenv("FLEET_VAULT_PASSWORD")
    mine = ws / "pw.sh"
    mine.write_text(f"#!/bin/sh\necho {EXAMPLE_VAULT_PASSWORD}\n")
    mine.chmod(0o700)
    monkeypatch.chdir(ws)
    r = CliRunner().invoke(cli, ["-w", str(ws), "--vault-password-file", "./pw.sh", "secrets", "check", "--json"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "cannot decrypt" not in r.output and "decoy" not in r.output


def test_a_non_utf8_vault_password_is_a_clear_error(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.delenv("FLEET_VAULT_PASSWORD")
    os.environb[b"FLEET_VAULT_PASSWORD"] = b"\xff\xfepw"
    try:
        refused(fleet(ws, "secrets", "check"), "vault password from $FLEET_VAULT_PASSWORD is not UTF-8")
    finally:
        del os.environb[b"FLEET_VAULT_PASSWORD"]


@pytest.mark.parametrize(("secret", "words"), [
    (b"\xff\xfe\x00token", ["not UTF-8 text"]),
    (b"tok\x1b[31men", ["control character U+001B (position 4)"]),
    (b"tok\x00en", ["contains a NUL character (position 4)"]),
    (b"tok\nen", ["contains a line break"]),
    (b" token", ["leading or trailing spaces"]),
    (b"t" * (5 * 1024 * 1024), ["characters long; at most 4,096"]),
])
def test_bad_tokens_are_refused_saying_what_is_wrong(ws: Path, secret: bytes, words: list[str]) -> None:
    vault = ws / "inventory" / "group_vars" / "practice_riverbend_clinic" / "vault.yml"
    before = vault.read_bytes() if vault.exists() else None
    r = fleet(ws, "secrets", "set", "riverbend_clinic", "--token", "--stdin", input=secret)
    refused(r, *words)
    assert "tok" not in r.output.replace("token", "")  # the secret itself is never shown
    assert (vault.read_bytes() if vault.exists() else None) == before


def test_group_vars_practice_being_a_file_is_named(ws: Path) -> None:
    import shutil

    d = ws / "inventory" / "group_vars" / "practice_riverbend_clinic"
    shutil.rmtree(d)
    d.write_text("oops: 1\n")
    refused(fleet(ws, "secrets", "set", "riverbend_clinic", "--token", "--stdin", input="tok-123"),
            "group_vars/practice_riverbend_clinic is a file, not a directory")


@pytest.mark.parametrize("kind", ["garbage", "plaintext", "directory"])
def test_an_unusable_vault_file_is_not_reported_missing(ws: Path, kind: str) -> None:
    import shutil

    vault = ws / "inventory" / "group_vars" / "practice_riverbend_clinic" / "vault.yml"
    vault.unlink()
    if kind == "directory":
        vault.mkdir()
    else:
        vault.write_bytes(b"\x00\x01garbage" if kind == "garbage" else b"fleet_token: abc\n")
    r = fleet(ws, "inventory", "validate", "--json")
    assert r.exit_code == 1
    assert ("is a directory" if kind == "directory" else "is not an ansible-vault file") in r.stdout, r.stdout
    assert "no extension token stored" not in r.stdout
    if kind == "directory":
        shutil.rmtree(vault)


# -- names, CSV, files ---------------------------------------------------------------------------------------------

def test_a_host_name_ansible_would_read_as_a_pattern_is_refused_by_validate(ws: Path) -> None:
    inv = ws / "inventory" / "summit.yml"
    inv.write_text(inv.read_text().replace("spd-front01:", "'@SUM(1)':", 1))
    r = fleet(ws, "inventory", "validate")
    assert r.exit_code == 1 and "host name '@SUM(1)' is not a valid host name" in " ".join(r.output.split())
    r = fleet(ws, "deploy", "--yes", "--practice", "summit_peds")
    assert r.exit_code == 1 and "not ready" in r.stderr and "Warning" not in r.stderr


@pytest.mark.parametrize("command", [["inventory", "show", "--csv"], ["deploy", "--csv", "--check", "--limit", "x"]])
def test_every_csv_neutralises_formulas(ws: Path, command: list[str]) -> None:
    import csv
    import io

    from fleet.cli.output import emit

    rows = [{"a": "=cmd|' /C calc'!A0", "b": "+1+1", "c": "@SUM(1)", "d": "-1.5"}]
    buf = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(buf):
        emit(rows, ["a", "b", "c", "d"], "csv")
    cells = list(csv.reader(io.StringIO(buf.getvalue())))[1]
    assert cells == ["'=cmd|' /C calc'!A0", "'+1+1", "'@SUM(1)", "-1.5"]
    inv = ws / "inventory" / "riverbend.yml"
    inv.write_text(inv.read_text().replace("fleet_practice_name: Riverbend Clinic",
                                           "fleet_practice_name: '=HYPERLINK(1)'", 1))
    r = fleet(ws, *command)
    assert "\n=" not in r.stdout and ",=" not in r.stdout


def test_a_5000_character_client_name_in_an_import_is_skipped_with_a_reason(ws: Path, tmp_path: Path) -> None:
    f = tmp_path / "devices.csv"
    f.write_text("Client,Site,Hostname,IP Address,OS\n" + "C" * 5000 + ",Main,PC-1,192.0.2.10,Windows 11\n")
    r = fleet(ws, "inventory", "import", str(f))
    refused(r, "the client name is 5,000 characters long; at most 100")


def test_import_an_export_with_no_client_column_with_client_and_practice(ws: Path, tmp_path: Path) -> None:
    f = tmp_path / "ad.csv"
    f.write_text("Name,DNSHostName,OperatingSystem\nRMA-WS09,rma-ws09.corp.example,Windows 11 Pro\n")
    refused(fleet(ws, "inventory", "import", str(f)), "no client column", "--client NAME")
    r = fleet(ws, "inventory", "import", str(f), "--client", "riverbend", "--practice", "riverbend_clinic", "--json")
    assert r.exit_code == 0, r.output
    assert "rma-ws09" in (ws / "inventory" / "riverbend.yml").read_text().lower()
    doc = yaml.safe_load((ws / "inventory" / "riverbend.yml").read_text())
    practice = doc["all"]["children"]["client_riverbend"]["children"]["practice_riverbend_clinic"]
    assert practice["hosts"]["rma-ws09"]["ansible_host"] == "rma-ws09.corp.example"  # AD's DNSHostName
    intune = tmp_path / "intune.csv"  # Intune's "Export" of All devices (a subset of its columns)
    intune.write_text("Device ID,Device name,Enrollment date,Last check-in,OS version,Serial number,Primary user UPN,"
                      "WiFiIPv4Address,Compliance,Managed by,Ownership,OS,JoinType\n"
                      "b1f0,RMA-WS10,2024-01-02,2024-05-01,10.0.22631.3447,SN1,jo@riverbend.example,192.0.2.55,"
                      "Compliant,Intune,Corporate,Windows,Microsoft Entra joined\n")
    refused(fleet(ws, "inventory", "import", str(intune)), "no client column", "--client NAME")
    r = fleet(ws, "inventory", "import", str(intune), "--client", "riverbend", "--practice", "riverbend_clinic")
    assert r.exit_code == 0, r.output
    doc = yaml.safe_load((ws / "inventory" / "riverbend.yml").read_text())
    practice = doc["all"]["children"]["client_riverbend"]["children"]["practice_riverbend_clinic"]
    assert practice["hosts"]["rma-ws10"]["ansible_host"] == "192.0.2.55"


def test_files_fleet_writes_go_where_asked_or_nowhere(ws: Path, tmp_path: Path) -> None:
    refused(fleet(ws, "export", "rmm", "--all", "--out", "/proc/x"), "/proc/x")
    out = tmp_path / "out"
    refused(fleet(ws, "export", "gpo", "--practice", "../../etc", "--out", str(out)), "nothing to export",
            "no practice '../../etc'")
    assert not out.exists()
    from fleet.store import Store
    from fleet.workspace import Workspace

    store = Store(Workspace(ws).store_url())
    store.finish_run(store.start_run("health").id, "ok")
    store.close()
    (tmp_path / "a-file").write_text("not a directory\n")
    refused(fleet(ws, "report", "--format", "json", "--out", str(tmp_path / "a-file" / "dir" / "r.json")),
            "cannot write the report", "a-file")
    assert (tmp_path / "a-file").read_text() == "not a directory\n"
    refused(fleet(ws, "report", "--format", "json", "--out", "/proc/fleet/r.json"), "cannot write the report")
    refused(fleet(ws, "health", "prune", "--older-than", "99999999d"), "more than 100 years", code=2)


def test_the_store_is_private_and_its_errors_are_clear(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stat

    from fleet.store import Store
    from fleet.workspace import Workspace

    state = ws / "state"
    state.chmod(0o755)
    Store(Workspace(ws).store_url()).close()
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for f in state.glob("fleet.db*"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    monkeypatch.setenv("FLEET_STORE_URL", "sqlite:////proc/fleet-store/fleet.db")
    refused(fleet(ws, "runs"), "cannot open the store", "/proc/fleet-store")


@pytest.mark.parametrize(("plain", "words"), [
    (b"fleet_token: \"tok\\e[31men\"\n", ["fleet_token: the extension token contains the control character U+001B"]),
    (b"fleet_token: \"tok\\0en\"\n", ["fleet_token: the extension token contains a NUL character"]),
    (b"fleet_token: " + b"t" * (5 * 1024 * 1024) + b"\n", ["characters long; at most 4,096"]),
    (b"a: &a [x,x,x,x,x,x,x,x,x]\n" + b"".join(f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n".encode()
                                           for p, n in zip("abcdefgh", "bcdefghi", strict=True)),
     ["aliases expand"]),
    (b"\xff\xfe not text\n", ["not UTF-8 text"]),
])
def test_a_vault_edited_by_hand_is_checked_like_secrets_set(ws: Path, plain: bytes, words: list[str]) -> None:
    """`ansible-vault edit` bypasses `fleet secrets set`: what it wrote is checked when fleet reads it
    (validate names the file and how to fix it; deploy refuses), never a traceback or exit 70."""
    from fleet.secrets.vault import VaultPassword, encrypt

    vault = ws / "inventory" / "group_vars" / "practice_riverbend_clinic" / "vault.yml"
    vault.write_bytes(encrypt(plain, VaultPassword(EXAMPLE_VAULT_PASSWORD.encode(), "test")))
    r = fleet(ws, "inventory", "validate", "--practice", "riverbend_clinic", "--json")
    assert r.exit_code == 1, r.output
    assert all(w in r.stdout for w in words) and "fleet secrets set riverbend_clinic" in r.stdout, r.stdout
    r = fleet(ws, "deploy", "--yes", "--practice", "riverbend_clinic")
    refused(r, words[0][:30])
    assert "tok" not in (r.output + r.stdout).replace("token", "")  # the secret is never shown


def test_an_unquoted_product_key_keeps_its_text(ws: Path) -> None:
    from fleet.secrets.store import SecretStore, fingerprint
    from fleet.secrets.vault import VaultPassword, encrypt

    pw = VaultPassword(EXAMPLE_VAULT_PASSWORD.encode(), "test")
    vault = ws / "inventory" / "group_vars" / "practice_riverbend_clinic" / "vault.yml"
    vault.write_bytes(encrypt(b"fleet_product_key: 1234.50\nother: 11.60\n", pw))
    store = SecretStore(ws / "inventory")
    assert store.read("riverbend_clinic", pw) == {"fleet_product_key": "1234.50"}  # not "1234.5"
    assert store.set("riverbend_clinic", __import__("fleet.secrets.store").secrets.store.SecretKind.TOKEN,
                     "tok-abc-123", pw) == fingerprint("tok-abc-123")
    from fleet.secrets.vault import decrypt

    assert b"other: 11.60" in decrypt(vault.read_bytes(), pw)  # the other vars are kept as written


@pytest.mark.skipif(__import__("os").geteuid() != 0, reason="mounting a file system needs root")
def test_a_store_on_a_read_only_file_system_is_a_clear_error_and_is_kept(ws: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A real tmpfs remounted read-only under a store that has runs in it: fleet says which store, that
    its file system is read-only and what to do (never exit 70); the runs are kept."""
    import subprocess

    from fleet.store import Store

    mnt = tmp_path / "ro"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "fleet-test-ro", str(mnt)], check=True)
    try:
        url = f"sqlite:///{mnt}/fleet.db"
        store = Store(url)
        run = store.start_run("health")
        store.finish_run(run.id, "ok")
        store.close()
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        monkeypatch.setenv("FLEET_STORE_URL", url)
        for args in (["runs", "--json"], ["practice", "status", "riverbend_clinic", "--set", "credentials_submitted"]):
            r = fleet(ws, *args)
            assert r.exit_code == 1, r.output
            assert str(mnt) in r.stderr and "mounted read-only: remount it read-write" in r.stderr, r.stderr
        subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
        assert run.id in fleet(ws, "runs", "--json").stdout  # kept
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_the_example_workspace_points_nowhere_and_is_never_connected_to(ws: Path) -> None:
    """`fleet init --example` used private-range addresses, and deploy/health connected to whatever
    answered there on the user's network. Its hosts now have documentation addresses (RFC 5737/3849),
    and every command that would connect refuses, pointing to `fleet lab up`, before it records or runs
    anything. (Not run against the old tree: it would connect.)"""
    import ipaddress

    from fleet.store import Store
    from fleet.workspace import Workspace

    docs = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
    addrs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "ansible_host":
                    addrs.append(str(v))
                walk(v)

    for f in (ws / "inventory").glob("*.yml"):
        walk(yaml.safe_load(f.read_text()))
    assert len(addrs) >= 10
    for a in addrs:
        try:
            assert any(ipaddress.ip_address(a) in n for n in docs), a
        except ValueError:  # a name: only reserved example/test domains
            assert a.endswith((".example", ".invalid", ".test", ".example.com", ".example.net", ".example.org")), a
    for args in (["deploy", "--yes"], ["deploy", "--check"], ["deploy", "--yes", "--canary", "1"], ["health"]):
        refused(fleet(ws, *args), "example workspace", "fleet lab up")
    store = Store(Workspace(ws).store_url())
    try:
        assert store.runs("deploy", limit=10) == [] and store.runs("health", limit=10) == []
    finally:
        store.close()
    assert not (ws / "state" / "runs").exists()


def test_fleet_yml_for_an_execution_node_is_read_bounded_and_as_written(tmp_path: Path) -> None:
    from fleet.errors import ConfigError
    from fleet.remote.stream import node_config

    cfg = tmp_path / "fleet.yml"
    cfg.write_text("msp:\n  name: X\nsynchronizer:\n  version: \"4.10\"\nhealth:\n  timeout: 30.50\n"
                   "store:\n  url: postgresql://u:pw@db/fleet\n")
    text = node_config(cfg)
    assert "timeout: 30.50" in text and "url:" not in text and "pw@" not in text
    lines = ['a: &a [x,x,x,x,x,x,x,x,x]'] + [f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]"
                                              for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
    cfg.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match="aliases expand"):
        node_config(cfg)


@pytest.mark.skipif(__import__("os").geteuid() != 0, reason="mounting a file system needs root")
def test_secrets_set_on_a_full_disk_keeps_the_old_vault_and_leaves_no_temp_file(ws: Path) -> None:
    """The practice's group_vars on a real tmpfs filled to the last block: a clear error that names the
    file and says to free space (never exit 70), the vault as it was, no half-written temp file."""
    import subprocess

    d = ws / "inventory" / "group_vars" / "practice_riverbend_clinic"
    saved = {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()}
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "fleet-test-full", str(d)], check=True)
    try:
        for name, data in saved.items():
            (d / name).write_bytes(data)
        with __import__("contextlib").suppress(OSError), open(d / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        r = fleet(ws, "secrets", "set", "riverbend_clinic", "--token", "--stdin", input="tok-new-123456")
        refused(r, "No space left on device", "free space")
        assert "practice_riverbend_clinic" in r.stderr
        assert (d / "vault.yml").read_bytes() == saved["vault.yml"]
        assert sorted(p.name for p in d.iterdir()) == sorted([*saved, "filler"])
    finally:
        subprocess.run(["umount", "-l", str(d)], check=False)
