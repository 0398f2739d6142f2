"""The foundation commands end to end: exit codes, JSON, clear errors (never a traceback), and secrets
that never show up in output, in files (except as ansible-vault ciphertext) or in any process's argv.

Both in-process (click's CliRunner) and as real processes of the installed ``fleet`` script."""

from __future__ import annotations

import json
import os
import re
import secrets as pysecrets
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fleet.cli.main import cli
from fleet.example import EXAMPLE_VAULT_PASSWORD, example_config, example_secrets
from fleet.secrets.store import fingerprint

pytestmark = pytest.mark.usefixtures("clean_env")


def run_cli(args: list[str], input: str | None = None, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, args, input=input, env=env, catch_exceptions=True)
    # An exception other than SystemExit would be a traceback for a real user.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def run_fleet(wsb: Any, args: list[str], input: str | None = None, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_VAULT"))}
    proc = subprocess.run([str(wsb.fleet_bin), *args], input=input, capture_output=True, text=True,
                          env={**base, **(env or {})}, cwd=cwd or wsb.root.parent, timeout=300)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode != 70, proc.stderr  # 70: fleet caught an internal error (a bug)
    return proc


def baseline(wsb: Any) -> dict[str, Any]:
    return {
        "acme": {
            "acme_cloud": wsb.practice("athenahealth", {"ac-ws01": wsb.win("10.0.0.11"),
                                                        "ac-ws02": wsb.win("10.0.0.12")}),
            "acme_onprem": wsb.practice("open_dental", {"ao-srv01": wsb.win("10.0.1.5", "server"),
                                                        "ao-ws01": wsb.win("10.0.1.11")},
                                        fleet_pms_version="23.1"),
        }
    }


# -- the bad inputs: each writes a workspace and names what the output must say ---------------------------

def _malformed_yaml(wsb: Any) -> tuple[Path, str]:
    root = wsb.write(baseline(wsb))
    (root / "inventory" / "broken.yml").write_text("all:\n  children:\n    client_b:\n      vars: [oops\n")
    return root, "broken.yml:"


def _vars(practice: str, **changes: Any) -> Callable[[Any], tuple[Path, str]]:
    def build(wsb: Any) -> tuple[Path, str]:
        clients = baseline(wsb)
        clients["acme"][practice]["vars"].update(changes)
        return wsb.write(clients), ""
    return build


def _hosts(practice: str, hosts: dict[str, Any]) -> Callable[[Any], tuple[Path, str]]:
    def build(wsb: Any) -> tuple[Path, str]:
        clients = baseline(wsb)
        clients["acme"][practice]["hosts"] = {k: wsb.win(*v) if isinstance(v, tuple) else v for k, v in hosts.items()}
        return wsb.write(clients), ""
    return build


def _duplicate_host(wsb: Any) -> tuple[Path, str]:
    clients = baseline(wsb)
    clients["zeta"] = {"zeta_main": wsb.practice("denticon", {"ac-ws01": wsb.win("10.9.0.11")})}
    return wsb.write(clients), "listed twice"


def _bad_extension_id(wsb: Any) -> tuple[Path, str]:
    cfg = example_config()
    cfg["extensions"]["variants"]["v6"]["chrome"] = "not-an-extension-id"
    return wsb.write(baseline(wsb), config=cfg), "fleet.yml:"


def _host_vars(**changes: Any) -> Callable[[Any], tuple[Path, str]]:
    def build(wsb: Any) -> tuple[Path, str]:
        clients = baseline(wsb)
        clients["acme"]["acme_cloud"]["hosts"]["ac-ws01"].update(changes)
        return wsb.write(clients), ""
    return build


BAD_INPUTS: dict[str, tuple[Callable[[Any], tuple[Path, str]], str]] = {
    "malformed-yaml": (_malformed_yaml, "not valid YAML"),
    "unknown-pms": (_vars("acme_cloud", fleet_pms="Dentrix Ascend"), "did you mean dentrix_ascend"),
    "dentrix-g5": (_vars("acme_onprem", fleet_pms="dentrix", fleet_pms_version="G5"), "needs G6.2+"),
    "eaglesoft-17": (_vars("acme_onprem", fleet_pms="eaglesoft", fleet_pms_version="17"), "needs 18+"),
    "open-dental-16": (_vars("acme_onprem", fleet_pms_version="16"), "needs 17+"),
    "unparsable-version": (_vars("acme_onprem", fleet_pms_version="latest"), "not a version number"),
    "on-prem-ecw": (_vars("acme_cloud", fleet_pms="eclinicalworks", fleet_pms_hosting="on_prem",
                          fleet_pms_version="11.60", fleet_pms_url="https://a.example.com"), "not supported"),
    "cloud-no-workstation": (_hosts("acme_cloud", {"ac-srv": ("10.0.0.5", "server")}), "at least one workstation"),
    "on-prem-no-server": (_hosts("acme_onprem", {"ao-ws01": ("10.0.1.11",)}), "needs its server"),
    "two-servers": (_hosts("acme_onprem", {"ao-srv01": ("10.0.1.5", "server"), "ao-srv02": ("10.0.1.6", "server")}),
                    "2 servers"),
    "duplicate-host": (_duplicate_host, "listed twice"),
    "bad-extension-id": (_bad_extension_id, "is not an extension ID"),
    "no-org-alias": (_vars("acme_cloud", fleet_pms="dentrix_ascend", fleet_pms_url="https://a.dentrixascend.com"),
                     "fleet_pms_org_alias is not set"),
    "cloud9-booking": (_vars("acme_cloud", fleet_pms="cloud9", fleet_online_booking=True,
                             fleet_unavailable_appointment_classes=["X"]), "fleet_default_appointment_type"),
    "basic-over-http": (_host_vars(ansible_connection="winrm", ansible_winrm_scheme="http",
                                   ansible_winrm_transport="basic"), "Basic authentication over plain HTTP"),
    "bad-role": (_host_vars(fleet_role="desktop"), "fleet_role is 'desktop'"),
    "bad-platform": (_host_vars(fleet_platform="win10"), "fleet_platform is 'win10'"),
}
FATAL = {"malformed-yaml", "bad-extension-id"}  # the workspace cannot be read at all: no report


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_validate_every_bad_input_in_process(wsb: Any, case: str) -> None:
    build, expected = BAD_INPUTS[case]
    root, where = build(wsb)
    table = run_cli(["-w", str(root), "inventory", "validate"])
    assert table.exit_code == 1
    as_json = run_cli(["-w", str(root), "inventory", "validate", "--json"])
    assert as_json.exit_code == 1
    if case in FATAL:
        assert expected in table.stderr and where in table.stderr
        assert as_json.stdout == ""  # no half document on stdout
        assert re.search(r"\.(yml):\d+", as_json.stderr), "the message names file:line"
    else:
        doc = json.loads(as_json.stdout)
        assert doc["ok"] is False
        messages = [f["message"] + " " + f["fix"] for f in doc["general"]]
        messages += [f["message"] + " " + f["fix"] for p in doc["practices"] for f in p["findings"]]
        assert any(expected in m for m in messages), messages
        # Every error names a file and line.
        for f in [*doc["general"], *(f for p in doc["practices"] for f in p["findings"])]:
            if f["level"] == "error" and "fleet.yml" not in f["where"]:
                assert re.search(r"\.yml:\d+$", f["where"]), f
        assert "blocked" in as_json.stderr
    # The other read commands fail just as cleanly on the same workspace.
    for args in (["inventory", "show", "--json"], ["secrets", "check", "--json"]):
        r = run_cli(["-w", str(root), *args])
        assert r.exit_code in (0, 1)
        if r.exit_code == 0 or r.stdout:
            json.loads(r.stdout)


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_validate_every_bad_input_as_a_real_process(wsb: Any, case: str) -> None:
    build, expected = BAD_INPUTS[case]
    root, _ = build(wsb)
    proc = run_fleet(wsb, ["-w", str(root), "inventory", "validate", "--json"])
    assert proc.returncode == 1
    if case in FATAL:
        assert proc.stdout == "" and expected in proc.stderr
        assert proc.stderr.startswith("Error: ")
    else:
        assert expected in proc.stdout
        assert json.loads(proc.stdout)["ok"] is False


# -- exit codes -------------------------------------------------------------------------------------------

def test_version_help_and_usage_errors(wsb: Any) -> None:
    from fleet import __version__

    assert run_cli(["--version"]).stdout.strip() == f"fleet, version {__version__}"
    helped = run_cli(["--help"])
    assert helped.exit_code == 0 and "inventory" in helped.stdout and "secrets" in helped.stdout
    assert run_cli(["no-such-command"]).exit_code == 2
    assert run_cli(["inventory", "validate", "--bogus"]).exit_code == 2
    assert run_cli(["secrets", "set"]).exit_code == 2  # PRACTICE missing
    assert run_cli(["catalog", "show"]).exit_code == 2
    proc = run_fleet(wsb, ["inventory", "validate", "--bogus"])
    assert proc.returncode == 2 and "No such option '--bogus'" in proc.stderr


def test_no_workspace_is_a_clear_error(wsb: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    no_lab = {"FLEET_LAB_DIR": str(tmp_path / "no-lab-here")}  # a lab on this machine would be the fallback
    proc = run_fleet(wsb, ["inventory", "validate"], cwd=empty, env=no_lab)
    assert proc.returncode == 1
    assert "no fleet workspace here" in proc.stderr and "fleet init" in proc.stderr
    r = run_cli(["-w", str(empty), "inventory", "validate"])
    assert r.exit_code == 1 and "not a fleet workspace (no fleet.yml)" in r.stderr


def test_without_a_workspace_the_lab_workspace_is_used_and_said(wsb: Any, tmp_path: Path) -> None:
    lab = wsb.write(baseline(wsb))  # any workspace standing where the lab's would be
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_fleet(wsb, ["inventory", "show", "--json"], cwd=empty, env={"FLEET_LAB_DIR": str(lab)})
    assert proc.returncode == 0, proc.stderr
    assert f"using the lab workspace {lab}" in proc.stderr
    assert {p["practice"] for p in json.loads(proc.stdout)} == {"acme_cloud", "acme_onprem"}


def test_unknown_practice_selection(wsb: Any) -> None:
    root = wsb.write(baseline(wsb))
    r = run_cli(["-w", str(root), "inventory", "validate", "--practice", "acme_clod"])
    assert r.exit_code == 1
    assert "no practice 'acme_clod' in the inventory" in r.stderr
    assert "did you mean acme_cloud?" in r.stderr
    r = run_cli(["-w", str(root), "inventory", "show", "--client", "acne"])
    assert r.exit_code == 1 and "no client 'acne'" in r.stderr and "acme" in r.stderr


def test_catalog_commands(wsb: Any) -> None:
    r = run_cli(["catalog", "list", "--json"])
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert len(rows) == 14 and {row["id"] for row in rows} >= {"dentrix", "open_dental", "athenahealth"}
    shown = run_cli(["catalog", "show", "dentrix", "--json"])
    assert json.loads(shown.stdout)["min_version"] == "G6.2"
    bad = run_cli(["catalog", "show", "opendental"])
    assert bad.exit_code == 1 and "did you mean open_dental" in bad.stderr


def test_init_example_then_validate_passes_in_process_and_as_a_process(wsb: Any, tmp_path: Path) -> None:
    first = tmp_path / "msp1"
    r = run_cli(["init", "--example", str(first)])
    assert r.exit_code == 0 and f"example vault password: {EXAMPLE_VAULT_PASSWORD}" in r.stderr
    ok = run_cli(["-w", str(first), "inventory", "validate", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    again = run_cli(["init", "--example", str(first)])
    assert again.exit_code == 1 and "already a fleet workspace" in again.stderr

    second = tmp_path / "msp2"
    assert run_fleet(wsb, ["init", "--example", str(second)]).returncode == 0
    proc = run_fleet(wsb, ["-w", str(second), "inventory", "validate", "--json"],
                     env={"FLEET_VAULT_PASSWORD": EXAMPLE_VAULT_PASSWORD})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True and len(doc["practices"]) == 9
    # An empty workspace (no example) is a valid directory that validation calls empty.
    third = tmp_path / "msp3"
    assert run_fleet(wsb, ["init", str(third)]).returncode == 0
    empty = run_fleet(wsb, ["-w", str(third), "inventory", "validate", "--json"])
    assert empty.returncode == 1
    assert json.loads(empty.stdout)["general"][0]["message"] == "the inventory has no practices"
    assert "1 inventory errors (first: the inventory has no practices)" in empty.stderr


def test_inventory_import_exit_codes(wsb: Any, tmp_path: Path) -> None:
    root = wsb.write(baseline(wsb))
    good = tmp_path / "ninja.csv"
    good.write_text("Organization,Location,System Name,IP Addresses,OS Name\n"
                    "Acme,Annex,AC-AX01,10.0.5.21,Windows 11\n")
    dry = run_cli(["-w", str(root), "inventory", "import", str(good), "--dry-run", "--json"])
    assert dry.exit_code == 0
    assert [r["action"] for r in json.loads(dry.stdout)] == ["add practice", "add host"]
    assert "would change 1 files" in dry.stderr
    assert "practice_acme_annex" not in (root / "inventory" / "acme.yml").read_text()
    done = run_fleet(wsb, ["-w", str(root), "inventory", "import", str(good)])
    assert done.returncode == 0 and "practice_acme_annex" in (root / "inventory" / "acme.yml").read_text()
    missing = tmp_path / "nohost.csv"
    missing.write_text("Org,IP\nAcme,10.0.0.1\n")
    bad = run_fleet(wsb, ["-w", str(root), "inventory", "import", str(missing)])
    assert bad.returncode == 1 and "no hostname or client column" in bad.stderr and str(missing) in bad.stderr
    assert run_fleet(wsb, ["-w", str(root), "inventory", "import", str(tmp_path / "nope.csv")]).returncode == 2
    only_bad_rows = tmp_path / "bad.csv"
    only_bad_rows.write_text("Client,Hostname,OS\nAcme,,Windows\n")
    r = run_fleet(wsb, ["-w", str(root), "inventory", "import", str(only_bad_rows)])
    assert r.returncode == 1 and "bad.csv:2: skipped: no host name" in r.stderr


# -- secrets --------------------------------------------------------------------------------------------------

@pytest.fixture
def example_ws(tmp_path: Path, wsb: Any) -> tuple[Path, Path]:
    """An example workspace and a vault password file for it (outside the workspace)."""
    root = tmp_path / "msp"
    assert run_cli(["init", "--example", str(root)]).exit_code == 0
    pw = tmp_path / "vault-pass.txt"
    pw.write_text(EXAMPLE_VAULT_PASSWORD + "\n")
    pw.chmod(0o600)
    return root, pw


def grep_tree(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_secrets_set_via_stdin_stores_a_vault_that_ansible_vault_decrypts(
        wsb: Any, example_ws: tuple[Path, Path], tmp_path: Path) -> None:
    root, pw = example_ws
    secret = "tok-" + pysecrets.token_hex(16)
    proc = run_fleet(wsb, ["-w", str(root), "--vault-password-file", str(pw), "secrets", "set", "riverbend_clinic",
                           "--token", "--stdin"], input=secret + "\n")
    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout + proc.stderr
    assert f"fingerprint {fingerprint(secret)}" in proc.stderr
    vault_file = root / "inventory" / "group_vars" / "practice_riverbend_clinic" / "vault.yml"
    assert vault_file.read_bytes().startswith(b"$ANSIBLE_VAULT;1.1;AES256")
    assert vault_file.stat().st_mode & 0o077 == 0  # owner-only
    # The real ansible-vault CLI decrypts it to the secret.
    view = subprocess.run([str(wsb.venv_bin / "ansible-vault"), "view", "--vault-password-file", str(pw),
                           str(vault_file)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert view.returncode == 0, view.stderr
    assert f"fleet_token: {secret}" in view.stdout
    # Nowhere in the workspace in clear (the vault file holds only hex ciphertext).
    assert grep_tree(root, secret) == []
    assert grep_tree(root, secret.upper()) == []
    # check shows the same fingerprint, never the secret.
    check = run_fleet(wsb, ["-w", str(root), "--vault-password-file", str(pw), "secrets", "check", "--json"])
    assert check.returncode == 0
    rows = {r["practice"]: r for r in json.loads(check.stdout)}
    assert rows["riverbend_clinic"]["fingerprint"] == fingerprint(secret)
    assert secret not in check.stdout + check.stderr


def test_secrets_set_in_process_with_a_wrong_kind_and_an_empty_secret(example_ws: tuple[Path, Path]) -> None:
    root, pw = example_ws
    base = ["-w", str(root), "--vault-password-file", str(pw), "secrets", "set"]
    wrong = run_cli([*base, "summit_peds", "--token", "--stdin"], input="abc\n")
    assert wrong.exit_code == 1 and "needs a product key, not a extension token" in wrong.stderr.replace("an ", "a ")
    empty = run_cli([*base, "summit_peds", "--product-key", "--stdin"], input="\n")
    assert empty.exit_code == 1 and "empty" in empty.stderr
    nokind = run_cli([*base, "summit_peds", "--stdin"], input="abc\n")
    assert nokind.exit_code == 2 and "--token or --product-key" in nokind.stderr


@pytest.mark.parametrize("argv", [
    ["riverbend_clinic", "--token", "{secret}"],
    ["riverbend_clinic", "--token={secret}"],
    ["--token", "{secret}", "riverbend_clinic"],
    ["riverbend_clinic", "--product-key", "{secret}"],
    ["--token", "{secret}"],
])
def test_a_secret_on_the_command_line_is_refused_and_not_echoed(
        wsb: Any, example_ws: tuple[Path, Path], argv: list[str]) -> None:
    root, pw = example_ws
    secret = "argv-" + pysecrets.token_hex(12)
    before = {p: p.read_bytes() for p in (root / "inventory" / "group_vars").rglob("vault.yml")}
    args = ["-w", str(root), "--vault-password-file", str(pw), "secrets", "set",
            *[a.replace("{secret}", secret) for a in argv]]
    proc = run_fleet(wsb, args, input="")
    assert proc.returncode in (1, 2)
    if argv[0] != "--token" or len(argv) == 3:
        assert proc.returncode == 2  # a usage error
    assert secret not in proc.stdout + proc.stderr
    assert {p: p.read_bytes() for p in (root / "inventory" / "group_vars").rglob("vault.yml")} == before
    assert grep_tree(root, secret) == []
    r = run_cli(args, input="")
    assert r.exit_code == proc.returncode and secret not in r.output


def test_secrets_check_lists_missing_ones_with_exit_1_and_never_prints_a_secret(
        wsb: Any, example_ws: tuple[Path, Path]) -> None:
    root, pw = example_ws
    for pid in ("summit_curve", "lakeside_main"):
        (root / "inventory" / "group_vars" / f"practice_{pid}" / "vault.yml").unlink()
    proc = run_fleet(wsb, ["-w", str(root), "--vault-password-file", str(pw), "secrets", "check", "--json"])
    assert proc.returncode == 1
    rows = {r["practice"]: r for r in json.loads(proc.stdout)}
    assert {p for p, r in rows.items() if r["state"] == "missing"} == {"summit_curve", "lakeside_main"}
    assert rows["lakeside_ortho"]["state"] == "not needed"  # an engineer install has no secret
    assert rows["riverbend_clinic"]["state"] == "ok"
    assert "2 practices lack a usable secret" in proc.stderr
    table = run_fleet(wsb, ["-w", str(root), "--vault-password-file", str(pw), "secrets", "check"])
    for _, secret in example_secrets().values():
        assert secret not in proc.stdout + proc.stderr + table.stdout + table.stderr
        assert rows.get("summit_curve", {}).get("fingerprint") != fingerprint(secret)
    # Without a password: presence only, and still exit 1 for the missing ones.
    nopw = run_fleet(wsb, ["-w", str(root), "secrets", "check", "--json"])
    assert nopw.returncode == 1
    states = {r["practice"]: r["state"] for r in json.loads(nopw.stdout)}
    assert states["riverbend_clinic"].startswith("stored (not decrypted")
    # A wrong password: unreadable, exit 1, still no secret.
    bad = run_fleet(wsb, ["-w", str(root), "secrets", "check", "--json"], env={"FLEET_VAULT_PASSWORD": "nope"})
    assert bad.returncode == 1
    assert all(r["state"].startswith(("unreadable", "missing", "not needed")) for r in json.loads(bad.stdout))


# -- no secret in any process's argv ---------------------------------------------------------------------------

def _strace_works() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-o", os.devnull, "true"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


needs_strace = pytest.mark.skipif(not _strace_works(), reason="strace (ptrace) is not available here")


def traced_execs(cmd: list[str], tmp_path: Path, input: str | None = None,
                 env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run ``cmd`` under strace; every execve of it and its descendants, with full argv."""
    trace = tmp_path / f"trace-{pysecrets.token_hex(4)}.txt"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_", "ANSIBLE_VAULT"))}
    proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-s", "100000", "-o", str(trace), *cmd],
                          input=input, capture_output=True, text=True, env={**base, **(env or {})},
                          cwd=tmp_path, timeout=300)
    execs = [line for line in trace.read_text().splitlines() if "execve(" in line]
    trace.unlink()
    return proc, execs


@needs_strace
def test_the_argv_check_itself_catches_a_secret_in_a_child_argv(tmp_path: Path) -> None:
    secret = "ctl-" + pysecrets.token_hex(8)
    _, execs = traced_execs(["sh", "-c", f"/bin/echo {secret} >/dev/null"], tmp_path)
    assert any(secret in e and "/bin/echo" in e for e in execs)


@needs_strace
def test_fleet_never_puts_a_secret_or_the_vault_password_in_argv(
        wsb: Any, example_ws: tuple[Path, Path], tmp_path: Path) -> None:
    root, _ = example_ws
    # The vault password comes from an executable script (as Ansible allows): fleet runs it.
    script = tmp_path / "vault-pass-client.sh"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' '{EXAMPLE_VAULT_PASSWORD}'\n")
    script.chmod(0o700)
    secret = "tok-" + pysecrets.token_hex(16)
    env = {"FLEET_VAULT_PASSWORD_FILE": str(script)}
    runs = [
        (["-w", str(root), "secrets", "set", "riverbend_clinic", "--token", "--stdin"], secret + "\n"),
        (["-w", str(root), "secrets", "check", "--json"], None),
        (["-w", str(root), "inventory", "validate", "--json"], None),
    ]
    for args, stdin in runs:
        proc, execs = traced_execs([str(wsb.fleet_bin), *args], tmp_path, input=stdin, env=env)
        assert proc.returncode == 0, proc.stderr
        # The trace really saw fleet start the password script (so a leak would have been seen too).
        assert any(f'execve("{script}"' in e for e in execs), execs
        for e in execs:
            assert secret not in e
            assert EXAMPLE_VAULT_PASSWORD not in e
            for _, example_secret in example_secrets().values():
                assert example_secret not in e
        assert secret not in proc.stdout + proc.stderr
    # And the secret did get stored.
    view = subprocess.run([str(wsb.venv_bin / "ansible-vault"), "view", "--vault-password-file", str(script),
                           str(root / "inventory" / "group_vars" / "practice_riverbend_clinic" / "vault.yml")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert f"fleet_token: {secret}" in view.stdout
