"""Readiness validation: one test per bad input. Each builds a real workspace in tmp_path (a valid
baseline plus one mistake) and asserts the finding names the practice/host and the file and line."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from fleet.catalog import default_catalog
from fleet.config import load_config
from fleet.errors import ConfigError, InventoryError
from fleet.example import example_config
from fleet.inventory.model import load_inventory
from fleet.inventory.validate import Finding, Level, Report, validate
from fleet.secrets.store import SecretKind, SecretStore
from fleet.secrets.vault import VaultPassword
from fleet.workspace import Workspace

pytestmark = pytest.mark.usefixtures("clean_env")


def baseline(wsb: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """A valid client with a cloud practice and an on-prem practice."""
    return {
        "acme": {
            "acme_cloud": wsb.practice("athenahealth", {"ac-ws01": wsb.win("10.0.0.11"),
                                                        "ac-ws02": wsb.win("10.0.0.12")}),
            "acme_onprem": wsb.practice("open_dental", {"ao-srv01": wsb.win("10.0.1.5", "server"),
                                                        "ao-ws01": wsb.win("10.0.1.11")},
                                        fleet_pms_version="23.1"),
        }
    }


def check(root: Path) -> Report:
    return validate(load_inventory(root / "inventory"), default_catalog(), load_config(root / "fleet.yml"))


def errors(report: Report) -> list[Finding]:
    return [f for f in report.all_findings() if f.level is Level.ERROR]


def only_error(report: Report) -> Finding:
    errs = errors(report)
    assert len(errs) == 1, [f.message for f in errs]
    return errs[0]


def assert_at_practice(f: Finding, root: Path, practice_id: str, client: str = "acme") -> None:
    path = root / "inventory" / f"{client}.yml"
    assert f.practice_id == practice_id
    assert f.where is not None
    assert f.where.path == str(path)
    assert f.where.line == _line(path, f"practice_{practice_id}:")


def assert_at_host(f: Finding, root: Path, practice_id: str, host: str, client: str = "acme") -> None:
    path = root / "inventory" / f"{client}.yml"
    assert (f.practice_id, f.host) == (practice_id, host)
    assert f.where is not None and f.where.path == str(path)
    assert f.where.line == _line(path, f"{host}:")


def _line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip().startswith(needle))


def test_the_baseline_is_ready(wsb: Any) -> None:
    report = check(wsb.write(baseline(wsb)))
    assert report.ok, [f.message for f in report.all_findings()]
    assert [p.install_method for p in report.practices] == ["chrome_extension", "self_install"]
    assert all(p.status == "ready" for p in report.practices)


# -- YAML and config errors: fatal, with file and line -----------------------------------------------

def test_malformed_inventory_yaml_names_file_and_line(wsb: Any) -> None:
    root = wsb.write(baseline(wsb))
    bad = root / "inventory" / "broken.yml"
    bad.write_text(
        "all:\n"
        "  children:\n"
        "    client_broken:\n"
        "      children:\n"
        "        practice_broken_x:\n"
        "          vars:\n"
        "            fleet_pms: athenahealth: oops\n"
        "          hosts:\n"
        "            bx-ws01:\n"
    )
    with pytest.raises(InventoryError) as exc:
        load_inventory(root / "inventory")
    assert exc.value.where is not None
    assert exc.value.where.path == str(bad)
    assert exc.value.where.line == 7
    assert "not valid YAML" in str(exc.value) and f"{bad}:7" in str(exc.value)


def test_duplicate_yaml_key_names_both_lines(wsb: Any) -> None:
    root = wsb.write(baseline(wsb))
    bad = root / "inventory" / "dup.yml"
    bad.write_text("all:\n  children:\n    client_dup: {}\n    client_dup: {}\n")
    with pytest.raises(InventoryError) as exc:
        load_inventory(root / "inventory")
    assert exc.value.where is not None and exc.value.where.line == 4
    assert "duplicate key 'client_dup' (first on line 3)" in str(exc.value)


def test_malformed_extension_id_in_fleet_yml(wsb: Any) -> None:
    cfg = example_config()
    cfg["extensions"]["variants"]["v6"]["chrome"] = "not-an-extension-id"
    root = wsb.write(baseline(wsb), config=cfg)
    with pytest.raises(ConfigError) as exc:
        load_config(root / "fleet.yml")
    assert exc.value.where is not None
    assert exc.value.where.path == str(root / "fleet.yml")
    assert exc.value.where.line == _line(root / "fleet.yml", "chrome: not-an-extension-id")
    assert "extensions.variants.v6.chrome" in str(exc.value) and "32 letters a-p" in str(exc.value)


@pytest.mark.parametrize("bad_id", ["ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP", "abcdefghijklmnopqrstuvwxyzabcdef",
                                    "abcdefghijklmnopabcdefghijklmno", "abcdefghijklmnopabcdefghijklmnopa"])
def test_extension_ids_must_be_32_letters_a_to_p(wsb: Any, bad_id: str) -> None:
    cfg = example_config()
    cfg["extensions"]["variants"]["v3"]["chrome"] = bad_id
    root = wsb.write(baseline(wsb), config=cfg)
    with pytest.raises(ConfigError, match=r"variants\.v3\.chrome"):
        load_config(root / "fleet.yml")


def test_missing_variant_id_blocks_only_the_practices_using_it(wsb: Any) -> None:
    cfg = example_config()
    del cfg["extensions"]["variants"]["v6"]  # athenahealth's variant
    root = wsb.write(baseline(wsb), config=cfg)
    f = only_error(check(root))
    assert f.practice_id == "acme_cloud"
    assert "no extension ID configured for variant v6" in f.message
    assert f.where is not None and f.where.path == str(root / "fleet.yml")


def test_synchronizer_without_checksum_blocks_self_installs(wsb: Any) -> None:
    cfg = copy.deepcopy(example_config())
    cfg["synchronizer"]["sha256"] = ""
    f = only_error(check(wsb.write(baseline(wsb), config=cfg)))
    assert f.practice_id == "acme_onprem" and "no SHA-256" in f.message


# -- the practice system ------------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "meant"), [("Dentrix Ascend", "dentrix_ascend"), ("opendental", "open_dental"),
                                                ("eaglsoft", "eaglesoft")])
def test_unknown_pms_with_did_you_mean(wsb: Any, written: str, meant: str) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["vars"]["fleet_pms"] = written
    root = wsb.write(clients)
    f = only_error(check(root))
    assert f.message == f"unknown practice system {written!r}"
    assert f"did you mean {meant}?" in f.hint
    assert_at_practice(f, root, "acme_cloud")


def test_missing_pms(wsb: Any) -> None:
    clients = baseline(wsb)
    del clients["acme"]["acme_cloud"]["vars"]["fleet_pms"]
    root = wsb.write(clients)
    f = only_error(check(root))
    assert "fleet_pms is not set" in f.message
    assert_at_practice(f, root, "acme_cloud")


@pytest.mark.parametrize(("pms", "version", "minimum"), [("dentrix", "G5", "G6.2+"), ("eaglesoft", "17", "18+"),
                                                         ("open_dental", "16", "17+"), ("dentrix", "G6.1", "G6.2+")])
def test_version_below_minimum(wsb: Any, pms: str, version: str, minimum: str) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_onprem"]["vars"].update(fleet_pms=pms, fleet_pms_version=version)
    root = wsb.write(clients)
    f = only_error(check(root))
    assert f"{version} is not supported: the Synchronizer needs {minimum}" in f.message
    assert "upgrade" in f.hint
    assert_at_practice(f, root, "acme_onprem")


@pytest.mark.parametrize(("pms", "version"), [("dentrix", "G6.2"), ("eaglesoft", "18"), ("open_dental", "17"),
                                              ("eaglesoft", "21.20")])
def test_version_at_or_above_minimum_is_fine(wsb: Any, pms: str, version: str) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_onprem"]["vars"].update(fleet_pms=pms, fleet_pms_version=version)
    assert check(wsb.write(clients)).ok


def test_unparsable_version(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_onprem"]["vars"]["fleet_pms_version"] = "latest"
    root = wsb.write(clients)
    f = only_error(check(root))
    assert f.message == "fleet_pms_version 'latest' is not a version number"
    assert_at_practice(f, root, "acme_onprem")


def test_missing_version_where_a_minimum_exists(wsb: Any) -> None:
    clients = baseline(wsb)
    del clients["acme"]["acme_onprem"]["vars"]["fleet_pms_version"]
    root = wsb.write(clients)
    f = only_error(check(root))
    assert "fleet_pms_version is not set" in f.message and "17+" in f.message
    assert_at_practice(f, root, "acme_onprem")


def test_on_prem_eclinicalworks_is_refused(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["vars"].update(
        fleet_pms="eclinicalworks", fleet_pms_hosting="on_prem", fleet_pms_version="11.60",
        fleet_pms_url="https://acme.ecwcloud.com")
    root = wsb.write(clients)
    f = only_error(check(root))
    assert f.message == "cannot be synced: on-premises eClinicalWorks is not supported by the Synchronizer"
    assert_at_practice(f, root, "acme_cloud")
    # The same practice hosted in the cloud is fine.
    clients["acme"]["acme_cloud"]["vars"]["fleet_pms_hosting"] = "cloud"
    assert check(wsb.write(clients)).ok


# -- hosts a practice needs ------------------------------------------------------------------------------

def test_cloud_practice_with_no_workstation(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["hosts"] = {"ac-srv01": wsb.win("10.0.0.5", "server")}
    root = wsb.write(clients)
    f = only_error(check(root))
    assert f.message == "a cloud practice needs at least one workstation for the extension"
    assert_at_practice(f, root, "acme_cloud")


def test_cloud_practice_with_no_hosts_at_all(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["hosts"] = {}
    root = wsb.write(clients)
    f = only_error(check(root))
    assert "at least one workstation" in f.message
    assert_at_practice(f, root, "acme_cloud")


def test_on_prem_practice_with_no_server(wsb: Any) -> None:
    clients = baseline(wsb)
    del clients["acme"]["acme_onprem"]["hosts"]["ao-srv01"]
    root = wsb.write(clients)
    f = only_error(check(root))
    assert f.message == "Open Dental is on-premises: the practice needs its server (fleet_role: server)"
    assert_at_practice(f, root, "acme_onprem")


def test_on_prem_practice_with_two_servers(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_onprem"]["hosts"]["ao-srv02"] = wsb.win("10.0.1.6", "server")
    root = wsb.write(clients)
    f = only_error(check(root))
    assert f.message.startswith("2 servers (ao-srv01, ao-srv02)")
    assert f.practice_id == "acme_onprem"
    assert f.where is not None and f.where.line == _line(root / "inventory" / "acme.yml", "ao-srv02:")


def test_engineer_install_is_a_warning_not_an_error(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_onprem"]["vars"]["fleet_pms_middle_tier"] = True
    report = check(wsb.write(clients))
    assert report.ok
    assert report.practices[1].install_method == "engineer_install"
    assert any("middle-tier" in w.message for w in report.practices[1].warnings)


def test_duplicate_host_names_across_practices_name_both_places(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["zeta"] = {"zeta_main": wsb.practice("denticon", {"ac-ws01": wsb.win("10.9.0.11"),
                                                               "z-ws02": wsb.win("10.9.0.12")})}
    root = wsb.write(clients)
    f = only_error(check(root))
    first = f"{root / 'inventory' / 'acme.yml'}:{_line(root / 'inventory' / 'acme.yml', 'ac-ws01:')}"
    second = root / "inventory" / "zeta.yml"
    assert "host 'ac-ws01' is listed twice" in f.message
    assert first in f.message
    assert (f.practice_id, f.host) == ("zeta_main", "ac-ws01")
    assert f.where is not None and (f.where.path, f.where.line) == (str(second), _line(second, "ac-ws01:"))
    assert "unique across all practices" in f.hint


def test_duplicate_practice_ids_across_clients(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["zeta"] = {"acme_cloud": wsb.practice("denticon", {"z-ws01": wsb.win("10.9.0.11")})}
    root = wsb.write(clients)
    f = only_error(check(root))
    assert "practice 'acme_cloud' is defined twice" in f.message
    assert f"{root / 'inventory' / 'acme.yml'}:" in f.message
    assert f.where is not None and f.where.path == str(root / "inventory" / "zeta.yml")


# -- onboarding facts ---------------------------------------------------------------------------------------

def test_dentrix_ascend_without_org_alias(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["vars"].update(fleet_pms="dentrix_ascend",
                                                 fleet_pms_url="https://acme.dentrixascend.com")
    root = wsb.write(clients)
    f = only_error(check(root))
    assert f.message == "Dentrix Ascend needs organization alias (ORG ID): fleet_pms_org_alias is not set"
    assert "fleet_pms_org_alias" in f.hint
    assert_at_practice(f, root, "acme_cloud")
    clients["acme"]["acme_cloud"]["vars"]["fleet_pms_org_alias"] = "ACME01"
    assert check(wsb.write(clients)).ok


def test_cloud9_online_booking_without_default_appointment_type(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["vars"].update(fleet_pms="cloud9", fleet_online_booking=True,
                                                 fleet_unavailable_appointment_classes=["Surgery"])
    root = wsb.write(clients)
    f = only_error(check(root))
    assert f.message == ("Cloud9 needs default appointment type for online booking (online booking is on): "
                         "fleet_default_appointment_type is not set")
    assert_at_practice(f, root, "acme_cloud")
    # Without online booking the same practice needs neither.
    clients["acme"]["acme_cloud"]["vars"] = {"fleet_pms": "cloud9", "fleet_online_booking": False}
    assert check(wsb.write(clients)).ok


def test_curve_hero_url_must_look_like_the_practice_url(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["vars"].update(fleet_pms="curve_hero", fleet_pms_url="http://acme.example.com")
    root = wsb.write(clients)
    f = only_error(check(root))
    assert "fleet_pms_url = 'http://acme.example.com' does not look like" in f.message
    assert_at_practice(f, root, "acme_cloud")


def test_boolean_fact_given_as_text(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_onprem"]["vars"]["fleet_multi_clinic"] = "yes please"
    f = only_error(check(wsb.write(clients)))
    assert f.message == "fleet_multi_clinic must be true or false, not 'yes please'"


# -- secrets --------------------------------------------------------------------------------------------------

def test_missing_secrets_are_errors_naming_the_command_to_fix(wsb: Any) -> None:
    root = wsb.write(baseline(wsb))
    report = Workspace(root).validate()
    errs = {f.practice_id: f for f in errors(report)}
    assert set(errs) == {"acme_cloud", "acme_onprem"}
    assert errs["acme_cloud"].message == "no extension token stored for this practice"
    assert errs["acme_cloud"].hint == "fleet secrets set acme_cloud --token"
    assert errs["acme_onprem"].message == "no product key stored for this practice"
    assert errs["acme_onprem"].hint == "fleet secrets set acme_onprem --product-key"
    assert_at_practice(errs["acme_cloud"], root, "acme_cloud")


def test_stored_secrets_satisfy_validation_and_a_wrong_kind_does_not(wsb: Any, monkeypatch: Any) -> None:
    root = wsb.write(baseline(wsb))
    pw = VaultPassword(b"test-vault-pass", "test")
    store = SecretStore(root / "inventory")
    store.set("acme_cloud", SecretKind.PRODUCT_KEY, "KEY-NOT-A-TOKEN", pw)  # the wrong kind
    store.set("acme_onprem", SecretKind.PRODUCT_KEY, "KEY-1234", pw)
    # Without a password fleet can only see that a vault exists.
    assert Workspace(root).validate().ok
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", "test-vault-pass")
    f = only_error(Workspace(root).validate())
    assert f.practice_id == "acme_cloud"
    assert f.message == "the practice's vault has no extension token (fleet_token)"
    store.set("acme_cloud", SecretKind.TOKEN, "TOKEN-1234", pw)
    assert Workspace(root).validate().ok
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", "the-wrong-password")
    errs = errors(Workspace(root).validate())
    assert {f.practice_id for f in errs} == {"acme_cloud", "acme_onprem"}
    assert all("cannot decrypt" in f.message for f in errs)


# -- hosts -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "conn_vars",
    [
        {"ansible_connection": "winrm", "ansible_winrm_scheme": "http", "ansible_winrm_transport": "basic"},
        {"ansible_connection": "winrm", "ansible_winrm_scheme": "http", "ansible_winrm_transport": ["basic"]},
        {"ansible_connection": "winrm", "ansible_port": 5985, "ansible_winrm_transport": "basic"},
        {"ansible_connection": "psrp", "ansible_psrp_protocol": "http", "ansible_psrp_auth": "basic"},
        {"ansible_connection": "psrp", "ansible_port": 5985, "ansible_psrp_auth": "basic"},
        # winrm's own default over HTTP is "plaintext" (Basic) unless the user is a UPN.
        {"ansible_connection": "winrm", "ansible_winrm_scheme": "http", "ansible_user": "msp-admin"},
        {"ansible_connection": "winrm", "ansible_winrm_port": 5985, "ansible_winrm_transport": "plaintext"},
    ],
    ids=["winrm-scheme-http", "winrm-transport-list", "winrm-port-5985", "psrp-protocol-http", "psrp-port-5985",
         "winrm-http-default-transport", "winrm-plaintext"],
)
def test_basic_auth_over_http_is_refused(wsb: Any, conn_vars: dict[str, Any]) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["hosts"]["ac-ws01"].update(conn_vars)
    root = wsb.write(clients)
    f = only_error(check(root))
    assert "Basic authentication over plain HTTP" in f.message
    assert_at_host(f, root, "acme_cloud", "ac-ws01")


@pytest.mark.parametrize(
    "conn_vars",
    [
        {"ansible_connection": "winrm", "ansible_winrm_scheme": "https", "ansible_winrm_transport": "basic"},
        {"ansible_connection": "winrm", "ansible_port": 5986, "ansible_winrm_transport": "basic"},
        {"ansible_connection": "winrm", "ansible_winrm_scheme": "http", "ansible_winrm_transport": "ntlm"},
        {"ansible_connection": "psrp", "ansible_psrp_protocol": "https", "ansible_psrp_auth": "basic"},
        {"ansible_connection": "psrp", "ansible_port": 5985, "ansible_psrp_auth": "negotiate"},
        {"ansible_connection": "winrm", "ansible_winrm_scheme": "http", "ansible_winrm_transport": "basic",
         "fleet_allow_insecure_transport": True},
        {"ansible_connection": "winrm", "ansible_winrm_scheme": "http", "ansible_user": "admin@ACME.LOCAL"},
        {"ansible_connection": "psrp", "ansible_port": 5985},  # psrp's default auth is negotiate
    ],
    ids=["winrm-https", "winrm-port-5986", "winrm-http-ntlm", "psrp-https", "psrp-http-negotiate", "opted-in",
         "winrm-http-kerberos-upn", "psrp-http-default-auth"],
)
def test_safe_or_opted_in_transports_pass(wsb: Any, conn_vars: dict[str, Any]) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["hosts"]["ac-ws01"].update(conn_vars)
    assert check(wsb.write(clients)).ok


@pytest.mark.parametrize("conn_vars", [
    {"ansible_connection": "winrm", "ansible_winrm_server_cert_validation": "ignore"},
    {"ansible_connection": "psrp", "ansible_psrp_cert_validation": "ignore"},
], ids=["winrm", "psrp"])
def test_certificate_validation_off_is_a_warning_on_the_host(wsb: Any, conn_vars: dict[str, Any]) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["hosts"]["ac-ws02"].update(conn_vars)
    root = wsb.write(clients)
    report = check(root)
    assert report.ok
    (w,) = report.practices[0].warnings
    assert w.message == "certificate validation is off for this host"
    assert_at_host(w, root, "acme_cloud", "ac-ws02")


@pytest.mark.parametrize(("var", "value", "message"), [
    ("fleet_role", "desktop", "fleet_role is 'desktop'; must be one of workstation, server"),
    ("fleet_platform", "win10", "fleet_platform is 'win10'; must be one of windows, macos, linux"),
    ("fleet_role", None, "fleet_role is 'missing'"),
    ("fleet_platform", None, "fleet_platform is 'missing'"),
])
def test_bad_role_or_platform(wsb: Any, var: str, value: Any, message: str) -> None:
    clients = baseline(wsb)
    host = clients["acme"]["acme_onprem"]["hosts"]["ao-ws01"]
    if value is None:
        del host[var]
    else:
        host[var] = value
    root = wsb.write(clients)
    errs = errors(check(root))
    assert any(f.message.startswith(message) for f in errs), [f.message for f in errs]
    f = next(f for f in errs if f.message.startswith(message))
    assert_at_host(f, root, "acme_onprem", "ao-ws01")


@pytest.mark.parametrize("platform", ["macos", "linux"])
def test_a_non_windows_server_for_the_synchronizer_is_refused(wsb: Any, platform: str) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_onprem"]["hosts"]["ao-srv01"]["fleet_platform"] = platform
    root = wsb.write(clients)
    f = only_error(check(root))
    assert f.message == ("the Synchronizer is a Windows service, installed by a Windows administrator on the PMS "
                         f"server; this server is {platform}")
    assert "synchronizer.linux_url" in f.hint
    assert_at_host(f, root, "acme_onprem", "ao-srv01")


def test_hosts_directly_under_all_are_reported(wsb: Any) -> None:
    root = wsb.write(baseline(wsb))
    stray = root / "inventory" / "stray.yml"
    stray.write_text("all:\n  hosts:\n    lost-pc:\n      ansible_host: 10.1.1.1\n")
    f = only_error(check(root))
    assert "hosts directly under 'all' belong to no practice" in f.message
    assert f.where is not None and (f.where.path, f.where.line) == (str(stray), 2)


def test_an_empty_inventory_is_an_error(wsb: Any) -> None:
    root = wsb.write({})
    f = only_error(check(root))
    assert f.message == "the inventory has no practices"


def test_windows_host_without_a_connection_is_a_warning(wsb: Any) -> None:
    clients = baseline(wsb)
    host = clients["acme"]["acme_cloud"]["hosts"]["ac-ws01"]
    host.pop("ansible_connection", None)
    root = wsb.write(clients)
    report = check(root)
    assert report.ok
    (w,) = [f for f in report.practices[0].warnings if f.host == "ac-ws01"]
    assert w.message.startswith("Windows host with no ansible_connection")
    assert_at_host(w, root, "acme_cloud", "ac-ws01")


def test_windows_over_ssh_needs_the_powershell_shell(wsb: Any) -> None:
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["hosts"]["ac-ws02"]["ansible_connection"] = "ssh"
    root = wsb.write(clients)
    (f,) = errors(check(root))
    assert f.message == "Windows host over ssh without ansible_shell_type: powershell"
    assert_at_host(f, root, "acme_cloud", "ac-ws02")
    clients["acme"]["acme_cloud"]["hosts"]["ac-ws02"]["ansible_shell_type"] = "powershell"
    assert check(wsb.write(clients)).ok


@pytest.mark.skipif(__import__("importlib").util.find_spec("gssapi") is not None, reason="gssapi is installed here")
@pytest.mark.parametrize("conn_vars", [
    {"ansible_connection": "psrp", "ansible_psrp_auth": "kerberos"},
    {"ansible_connection": "winrm", "ansible_winrm_transport": ["kerberos", "ntlm"]},
    {"ansible_connection": "winrm", "ansible_user": "msp@ACME.LOCAL"},  # winrm's default for a UPN
], ids=["psrp", "winrm", "winrm-upn-default"])
def test_kerberos_without_gssapi_is_a_warning_with_the_fix(wsb: Any, conn_vars: dict[str, Any]) -> None:
    """Before: nothing said so; every sweep then reported the host "unreachable"."""
    clients = baseline(wsb)
    clients["acme"]["acme_cloud"]["hosts"]["ac-ws02"].update(conn_vars)
    root = wsb.write(clients)
    report = check(root)
    (w,) = [w for w in report.practices[0].warnings if "Kerberos" in w.message]
    assert "gssapi" in w.message and "pypsrp[kerberos]" in (w.hint or "")
    assert_at_host(w, root, "acme_cloud", "ac-ws02")
    clients["acme"]["acme_cloud"]["hosts"]["ac-ws02"]["ansible_psrp_auth" if "psrp" in str(conn_vars) else
                                                      "ansible_winrm_transport"] = "ntlm"
    assert not [w for w in check(wsb.write(clients)).practices[0].warnings if "Kerberos" in w.message]
