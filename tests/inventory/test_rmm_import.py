"""RMM device-export import: real CSV files in each RMM's style and encoding, real inventory files,
checked with fleet's loader and with real Ansible (ansible-inventory)."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fleet.errors import ImportFileError, InventoryError
from fleet.inventory.devices import pick_address, platform_of, role_of, slug
from fleet.inventory.model import load_inventory
from fleet.inventory.rmm_import import import_csv

pytestmark = pytest.mark.usefixtures("clean_env")

# -- one export per RMM, as each one names its columns ---------------------------------------------------

NINJAONE = """\
Display Name,System Name,Organization,Location,Node Class,OS Name,IP Addresses,Public IP,Last Contact
Front Desk 1,BSD-FRONT01,Bright Smiles Dental Group,Downtown,WINDOWS_WORKSTATION,Windows 11 Professional Edition,\
"10.10.1.21, fe80::1c2d:3e4f:5a6b:7c8d",203.0.113.7,2024-05-01 08:00:00
Server,BSD-SRV01,Bright Smiles Dental Group,Downtown,WINDOWS_SERVER,Windows Server 2022 Standard Edition,\
10.10.1.5,203.0.113.7,2024-05-01 08:00:00
Reception iMac,BSD-IMAC01,Bright Smiles Dental Group,Downtown,MAC,macOS Sonoma (14.4.1),10.10.1.40,203.0.113.7,
Core switch,CORE-SW01,Bright Smiles Dental Group,Downtown,NMS_SWITCH,,10.10.1.2,,
North front,BSN-FRONT01,Bright Smiles Dental Group,Northside,WINDOWS_WORKSTATION,Windows 10 Pro,10.10.2.21,,
"""

DATTO = """\
Hostname,Site Name,Device Type,Operating System,Int IP Address,Ext IP Address,Last Seen,Description
LFD-SRV01,Lakeside Family Dentistry,Server,Microsoft Windows Server 2019 Standard,10.20.0.5,198.51.100.4,2024-05-01,
LFD-FRONT01,Lakeside Family Dentistry,Desktop,Microsoft Windows 10 Pro,10.20.0.21,198.51.100.4,2024-05-01,front
LFD-LAPTOP1,Lakeside Family Dentistry,Laptop,Microsoft Windows 11 Pro,10.20.0.60,198.51.100.4,2024-05-01,
LFD-PRN01,Lakeside Family Dentistry,Printer,,10.20.0.50,,2024-05-01,lobby printer
"""

CONNECTWISE = """\
Computer Name,Client,Location,Local IP Address,OS,Last Contact
RMA-WS01,Riverbend Medical Associates,Main Clinic,10.30.0.21,Microsoft Windows 10 Pro x64,5/1/2024 8:00 AM
RMA-SRV01,Riverbend Medical Associates,Main Clinic,10.30.0.5,Microsoft Windows Server 2016 Standard x64,5/1/2024
RMD-LNX01,Riverbend Medical Associates,Dermatology,10.30.1.30,Ubuntu 22.04.4 LTS,5/1/2024 8:00 AM
"""

NABLE = """\
Customer,Site,Device Name,Device Class,OS,Network Address,Last Check-in
Summit Pediatric Dental,Peds Office,SPD-SRV01,Servers - Windows,Microsoft Windows Server 2019 Standard,10.40.0.5,
Summit Pediatric Dental,Peds Office,SPD-FRONT01,Workstations - Windows,Microsoft Windows 11 Pro,10.40.0.21,
Summit Pediatric Dental,Satellite,SPS-MAC01,Workstations - Mac OS X,macOS 13.6,10.40.1.40,
Summit Pediatric Dental,Satellite,SPS-PHONE,Mobile Devices,Android 14,10.40.1.77,
"""

# hostname -> (client id, practice id, role, platform, address)
EXPECTED = {
    "ninjaone": (NINJAONE, {
        "bsd-front01": ("bright_smiles_dental_group", "bright_smiles_dental_group_downtown", "workstation",
                        "windows", "10.10.1.21"),
        "bsd-srv01": ("bright_smiles_dental_group", "bright_smiles_dental_group_downtown", "server", "windows",
                      "10.10.1.5"),
        "bsd-imac01": ("bright_smiles_dental_group", "bright_smiles_dental_group_downtown", "workstation", "macos",
                       "10.10.1.40"),
        "bsn-front01": ("bright_smiles_dental_group", "bright_smiles_dental_group_northside", "workstation",
                        "windows", "10.10.2.21"),
    }, {5: "not a Windows/macOS/Linux computer (NMS_SWITCH)"}),
    "datto": (DATTO, {
        "lfd-srv01": ("lakeside_family_dentistry", "lakeside_family_dentistry_main", "server", "windows",
                      "10.20.0.5"),
        "lfd-front01": ("lakeside_family_dentistry", "lakeside_family_dentistry_main", "workstation", "windows",
                        "10.20.0.21"),
        "lfd-laptop1": ("lakeside_family_dentistry", "lakeside_family_dentistry_main", "workstation", "windows",
                        "10.20.0.60"),
    }, {5: "not a Windows/macOS/Linux computer (Printer)"}),
    "connectwise": (CONNECTWISE, {
        "rma-ws01": ("riverbend_medical_associates", "riverbend_medical_associates_main_clinic", "workstation",
                     "windows", "10.30.0.21"),
        "rma-srv01": ("riverbend_medical_associates", "riverbend_medical_associates_main_clinic", "server",
                      "windows", "10.30.0.5"),
        "rmd-lnx01": ("riverbend_medical_associates", "riverbend_medical_associates_dermatology", "workstation",
                      "linux", "10.30.1.30"),
    }, {}),
    "nable": (NABLE, {
        "spd-srv01": ("summit_pediatric_dental", "summit_pediatric_dental_peds_office", "server", "windows",
                      "10.40.0.5"),
        "spd-front01": ("summit_pediatric_dental", "summit_pediatric_dental_peds_office", "workstation", "windows",
                        "10.40.0.21"),
        "sps-mac01": ("summit_pediatric_dental", "summit_pediatric_dental_satellite", "workstation", "macos",
                      "10.40.1.40"),
    }, {5: "not a Windows/macOS/Linux computer (Android 14 / Mobile Devices)"}),
}


def empty_inventory(tmp_path: Path) -> Path:
    inv = tmp_path / "ws" / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    return inv


def write_csv(tmp_path: Path, text: str, name: str = "devices.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def fleet_view(inv_dir: Path) -> dict[str, tuple[str, str, str, str, str]]:
    inv = load_inventory(inv_dir)
    assert not inv.problems, inv.problems
    return {h.name: (h.client_id, h.practice_id, h.role, h.platform, h.address) for h in inv.hosts.values()}


def ansible_view(inv_dir: Path, cwd: Path) -> dict[str, Any]:
    """host -> {practice group, client group, ansible_host, fleet_role, fleet_platform} as real Ansible sees it."""
    out = subprocess.run(
        [_venv_tool("ansible-inventory"), "-i", str(inv_dir), "--list"],
        capture_output=True, text=True, cwd=cwd, timeout=120,
        env={**os.environ, "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true", "ANSIBLE_HOST_KEY_CHECKING": "False"},
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    view: dict[str, Any] = {}
    for group, body in data.items():
        for host in body.get("hosts", []) if isinstance(body, dict) else []:
            view.setdefault(host, {}).setdefault("groups", set()).add(group)
    for host, hv in data["_meta"]["hostvars"].items():
        view.setdefault(host, {}).update({k: hv.get(k) for k in ("ansible_host", "fleet_role", "fleet_platform")})
    parents = {child: group for group, body in data.items() if isinstance(body, dict)
               for child in body.get("children", [])}
    for v in view.values():
        (practice,) = [g for g in v["groups"] if g.startswith("practice_")]
        v["practice"] = practice
        v["client"] = parents.get(practice)
    return view


def _venv_tool(name: str) -> str:
    import sys

    return str(Path(sys.executable).parent / name)


def assert_same_as_ansible(inv_dir: Path, cwd: Path) -> None:
    ours = fleet_view(inv_dir)
    theirs = ansible_view(inv_dir, cwd)
    assert set(theirs) == set(ours)
    for host, (cid, pid, role, platform, address) in ours.items():
        t = theirs[host]
        assert t["practice"] == f"practice_{pid}", host
        assert t["client"] == f"client_{cid}", host
        assert (t["fleet_role"], t["fleet_platform"], t["ansible_host"] or host) == (role, platform, address), host


# -- round trips ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("rmm", sorted(EXPECTED))
def test_round_trip_for_each_rmm_column_style(tmp_path: Path, rmm: str) -> None:
    text, hosts, skipped = EXPECTED[rmm]
    inv = empty_inventory(tmp_path)
    result = import_csv(inv, write_csv(tmp_path, text))
    assert {s.line: s.reason.split(": ", 1)[1] for s in result.skipped} == skipped
    assert fleet_view(inv) == hosts
    assert sorted(c.host for c in result.changes if c.action == "add host") == sorted(hosts)
    clients = {h[0] for h in hosts.values()}
    assert [p.name for p in result.files] == sorted(f"{c}.yml" for c in clients)
    # New practices name their site and wait for a PMS: validation will ask for fleet_pms.
    loaded = load_inventory(inv)
    for p in loaded.practices.values():
        assert p.pms == ""
    # Importing the same file again changes nothing, byte for byte.
    before = snapshot(inv)
    again = import_csv(inv, write_csv(tmp_path, text))
    assert again.changes == [] and again.files == []
    assert again.unchanged == len(hosts)
    assert snapshot(inv) == before


def test_every_rmm_style_together_reads_the_same_in_ansible(tmp_path: Path) -> None:
    inv = empty_inventory(tmp_path)
    expected: dict[str, Any] = {}
    for rmm, (text, hosts, _) in sorted(EXPECTED.items()):
        import_csv(inv, write_csv(tmp_path, text, name=f"{rmm}.csv"))
        expected.update(hosts)
    assert fleet_view(inv) == expected
    assert_same_as_ansible(inv, tmp_path)


def test_header_names_in_any_case_spacing_or_underscores(tmp_path: Path) -> None:
    text = ("SYSTEM_NAME;organization;  Location ;ip_addresses;os name;NODE CLASS\n"
            "HX-WS1;Hx Dental;Main;10.1.1.1;Windows 11 Pro;WINDOWS_WORKSTATION\n")
    inv = empty_inventory(tmp_path)
    result = import_csv(inv, write_csv(tmp_path, text))
    assert result.delimiter == ";"
    assert result.columns == {"hostname": "SYSTEM_NAME", "client": "organization", "site": "Location",
                              "address": "ip_addresses", "os": "os name", "role": "NODE CLASS"}
    assert fleet_view(inv) == {"hx-ws1": ("hx_dental", "hx_dental_main", "workstation", "windows", "10.1.1.1")}


# -- encodings and delimiters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_excel_unicode_text_utf16_with_bom_tab_separated(tmp_path: Path, encoding: str) -> None:
    text = ("Organization\tLocation\tSystem Name\tIP Addresses\tOS Name\tNode Class\r\n"
            "Clínica Dental Sur\tMálaga Centro\tCDS-WS01\t192.168.5.21\tWindows 11 Pro\tWINDOWS_WORKSTATION\r\n"
            "Clínica Dental Sur\tMálaga Centro\tCDS-SRV01\t192.168.5.5\tWindows Server 2022\tWINDOWS_SERVER\r\n")
    bom = b"\xff\xfe" if encoding == "utf-16-le" else b"\xfe\xff"
    path = tmp_path / "export.txt"
    path.write_bytes(bom + text.encode(encoding))
    assert b"\x00" in path.read_bytes()  # really UTF-16
    inv = empty_inventory(tmp_path)
    result = import_csv(inv, path)
    assert (result.encoding, result.delimiter) == (encoding, "\t")
    assert fleet_view(inv) == {
        "cds-ws01": ("clinica_dental_sur", "clinica_dental_sur_malaga_centro", "workstation", "windows",
                     "192.168.5.21"),
        "cds-srv01": ("clinica_dental_sur", "clinica_dental_sur_malaga_centro", "server", "windows", "192.168.5.5"),
    }
    loaded = load_inventory(inv)
    assert loaded.clients["clinica_dental_sur"].name == "Clínica Dental Sur"
    assert loaded.practices["clinica_dental_sur_malaga_centro"].site == "Málaga Centro"


def test_cp1252_with_an_accented_site_name(tmp_path: Path) -> None:
    text = ("Client,Location,Computer Name,Local IP Address,OS\r\n"
            "Sonrisas Group,Clínica Dental Sur,SUR-WS01,10.50.0.21,Microsoft Windows 10 Pro x64\r\n"
            "Sonrisas Group,Clínica Dental Sur,SUR-SRV01,10.50.0.5,Microsoft Windows Server 2019 Standard\r\n")
    path = write_csv(tmp_path, text, encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    inv = empty_inventory(tmp_path)
    result = import_csv(inv, path)
    assert result.encoding == "cp1252"
    p = load_inventory(inv).practices["sonrisas_group_clinica_dental_sur"]
    assert p.site == "Clínica Dental Sur"
    assert p.name == "Clínica Dental Sur"
    assert {h.name for h in p.hosts} == {"sur-ws01", "sur-srv01"}
    # The file fleet wrote is UTF-8 and Ansible reads the same accented name.
    assert "Clínica Dental Sur" in (inv / "sonrisas_group.yml").read_text(encoding="utf-8")
    assert_same_as_ansible(inv, tmp_path)


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "Customer,Site,Device Name,OS\nÅrhus Tand,Øst,AT-WS1,Windows 11\n".encode())
    inv = empty_inventory(tmp_path)
    result = import_csv(inv, path)
    assert result.encoding == "utf-8-sig"
    assert result.columns["client"] == "Customer"  # the BOM is not part of the first header
    assert fleet_view(inv) == {"at-ws1": ("arhus_tand", "arhus_tand_st", "workstation", "windows", "at-ws1")}


def test_semicolon_delimited_with_excel_sep_line_and_decimal_commas(tmp_path: Path) -> None:
    text = ("sep=;\n"
            "Organization;Location;System Name;IP Addresses;OS Name;Node Class;Disk Free (GB)\n"
            "Zahnarzt Müller;Köln, Innenstadt;ZM-WS01;10.60.0.21;Windows 11 Pro;WINDOWS_WORKSTATION;12,5\n"
            "Zahnarzt Müller;Köln, Innenstadt;ZM-SRV01;10.60.0.5;Windows Server 2022;WINDOWS_SERVER;120,0\n")
    inv = empty_inventory(tmp_path)
    result = import_csv(inv, write_csv(tmp_path, text))
    assert result.delimiter == ";"
    assert result.skipped == []
    assert fleet_view(inv) == {
        "zm-ws01": ("zahnarzt_muller", "zahnarzt_muller_koln_innenstadt", "workstation", "windows", "10.60.0.21"),
        "zm-srv01": ("zahnarzt_muller", "zahnarzt_muller_koln_innenstadt", "server", "windows", "10.60.0.5"),
    }


# -- bad files and bad rows -----------------------------------------------------------------------------------

def test_missing_columns_name_the_file_the_columns_found_and_the_variants(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Device,Org Unit,Address\nX1,Acme,10.0.0.1\n")
    inv = empty_inventory(tmp_path)
    with pytest.raises(ImportFileError) as exc:
        import_csv(inv, path)
    msg = str(exc.value)
    assert str(path) in msg
    assert "no hostname or client column" in msg
    assert "'Device', 'Org Unit', 'Address'" in msg
    assert "System Name" in msg and "Organization" in msg and "Customer" in msg  # variants accepted
    assert snapshot(inv) == {}


def test_missing_client_column_only(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "Hostname,IP Address\nX1,10.0.0.1\n")
    with pytest.raises(ImportFileError, match="no client column") as exc:
        import_csv(empty_inventory(tmp_path), path)
    assert "'Hostname', 'IP Address'" in str(exc.value)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty"),
    (b"\n\n  \n", "the file is empty"),
    (b"PK\x03\x04" + b"\x00" * 40, "Excel workbook"),
    (b"\xff\xfe" + b"\x00\xd8\x00", "not valid utf-16-le"),
])
def test_unreadable_files_are_clear_errors(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(ImportFileError, match=message):
        import_csv(empty_inventory(tmp_path), path)


def test_rows_with_problems_are_skipped_with_their_line_and_the_rest_imported(tmp_path: Path) -> None:
    text = (
        "Client,Site,Hostname,IP Address,OS,Role\n"            # 1
        "Acme,Main,ACME-WS1,10.0.0.21,Windows 11,\n"            # 2 ok
        ",Main,ACME-WS2,10.0.0.22,Windows 11,\n"                # 3 no client
        "Acme,Main,,10.0.0.23,Windows 11,\n"                    # 4 no host name
        "Acme,Main,\"Front desk PC\",10.0.0.24,Windows 11,\n"   # 5 not a computer name
        "Acme,\"Main\nannex\",ACME-WS5,10.0.0.25,Windows 11,\n"  # 6-7 a quoted value over two lines: ok
        "Acme,Main,ACME-WS6,10.0.0.999,Windows 11,\n"           # 8 bad address
        "Acme,Main,ACME-WS7,10.0.0.27,Windows 11,,extra\n"      # 9 more fields than the header
        "Acme,Main,ACME-WS8,10.0.0.28,BeOS,Toaster\n"           # 10 unknown platform
        "Acme,Main,ACME-WS9,,,\n"                               # 11 no OS, no role
        "Acme,Main,ACME-WS1,10.0.0.99,Windows 11,\n"            # 12 same host again, different address
        "Acme,Main,ACME-WS1,10.0.0.21,Windows 11,\n"            # 13 exact repeat of line 2: ignored
        "\n"                                                    # 14 blank: ignored
        "Acme,Main,acme-srv,169.254.10.1,Windows Server 2019,\n"  # 15 ok, only a link-local address
    )
    inv = empty_inventory(tmp_path)
    result = import_csv(inv, write_csv(tmp_path, text))
    skipped = {s.line: s.reason for s in result.skipped}
    assert sorted(skipped) == [3, 4, 5, 8, 9, 10, 11, 12]
    assert "no client" in skipped[3]
    assert "no host name" in skipped[4]
    assert "'Front desk PC' is not a valid computer name" in skipped[5]
    assert "'10.0.0.999' is not an IP address" in skipped[8]
    assert "7 fields but the header has 6" in skipped[9]
    assert "cannot tell the platform from 'BeOS / Toaster'" in skipped[10]
    assert "no OS and no role" in skipped[11]
    assert "also on line 2" in skipped[12]
    hosts = fleet_view(inv)
    assert set(hosts) == {"acme-ws1", "acme-ws5", "acme-srv"}
    assert hosts["acme-ws1"][4] == "10.0.0.21"  # the first row won
    assert hosts["acme-srv"] == ("acme", "acme_main", "server", "windows", "acme-srv")  # no usable address
    assert hosts["acme-ws5"][1] == "acme_main_annex"
    assert result.rows == 12  # the blank line is not a row


@pytest.mark.parametrize(("cell", "address"), [
    ("10.0.0.5", "10.0.0.5"), ("10.0.0.5, 192.168.1.9", "10.0.0.5"), ("fe80::1, 10.0.0.5", "10.0.0.5"),
    ("127.0.0.1;10.1.2.3", "10.1.2.3"), ("2001:db8::5", "2001:db8::5"), ("", ""), ("169.254.1.1", ""),
    ("[10.0.0.7]", "10.0.0.7"), ("10.0.0.8/24", "10.0.0.8"), ("ws1.acme.local", "ws1.acme.local"),
])
def test_pick_address(cell: str, address: str) -> None:
    assert pick_address(cell) == address


@pytest.mark.parametrize(("os_text", "role", "platform", "fleet_role"), [
    ("Windows 11 Professional Edition", "WINDOWS_WORKSTATION", "windows", "workstation"),
    ("", "WINDOWS_SERVER", "windows", "server"),
    ("Microsoft Windows Server 2019 Standard", "Desktop", "windows", "server"),
    ("macOS Sonoma (14.4.1)", "MAC", "macos", "workstation"),
    ("", "MAC", "macos", "workstation"),
    ("Mac OS X 10.15.7", "", "macos", "workstation"),
    ("Ubuntu 22.04.4 LTS", "LINUX_SERVER", "linux", "server"),
    ("Red Hat Enterprise Linux 9", "", "linux", "workstation"),
    ("Microsoft Windows 10 Pro x64", "Laptop", "windows", "workstation"),
    ("", "Servers - Windows", "windows", "server"),
    ("Windows Server 2022", "Domain Controller", "windows", "server"),
])
def test_platform_and_role(os_text: str, role: str, platform: str, fleet_role: str) -> None:
    assert (platform_of(os_text, role), role_of(os_text, role)) == (platform, fleet_role)


@pytest.mark.parametrize(("text", "expected"), [
    ("Bright Smiles Dental Group", "bright_smiles_dental_group"), ("Clínica Dental Sur", "clinica_dental_sur"),
    ("  St. Mary's -- Ortho  ", "st_mary_s_ortho"), ("ACME_Dental", "acme_dental"),
    ("Zahnarzt Müller", "zahnarzt_muller"), ("歯科", ""),
])
def test_slug(text: str, expected: str) -> None:
    assert slug(text) == expected


# -- existing inventories: hand edits survive, conflicts are reported ------------------------------------------

HAND_WRITTEN = """\
# Bright Smiles: maintained by hand. Ask Dana before changing the server.
---
all:
    children:
        client_brightsmiles:
            vars:
                fleet_client_name: "Bright Smiles Dental Group"
                ansible_connection: psrp
                fleet_browsers: [chrome, edge]
            children:
                practice_brightsmiles_downtown:   # the big office
                    vars:
                        fleet_practice_name: 'Bright Smiles Downtown'
                        fleet_site: Downtown
                        fleet_pms: dentrix_ascend
                        fleet_pms_url: https://brightsmiles.dentrixascend.com/this/is/a/very/long/url/that/must/not/be/wrapped/at/eighty/columns
                        fleet_pms_org_alias: BSDG-DT
                        fleet_unavailable_appointment_classes:
                            - Surgery
                            - "Sedation"
                    hosts:
                        # the two front-desk PCs
                        bsd-front01:
                            ansible_host: '10.10.1.21'   # DHCP reservation
                            ansible_user: frontdesk-admin
                            fleet_role: workstation
                            fleet_platform: windows
                        bsd-front02: {ansible_host: 10.10.1.22, fleet_role: workstation, fleet_platform: windows}
                practice_brightsmiles_northside:
                    vars:
                        fleet_practice_name: Bright Smiles Northside
                        fleet_site: Northside
                        fleet_pms: dentrix
                        fleet_pms_version: G7.1
                    hosts:
                        bsn-srv01:
                            ansible_host: 10.10.2.5
                            fleet_role: server
                            fleet_platform: windows
"""

EXPORT_HEADER = "Organization,Location,System Name,IP Addresses,OS Name,Node Class\n"
BSDG = "Bright Smiles Dental Group"


def row(org: str, site: str, host: str, ip: str, os_name: str = "Windows 11", cls: str = "WINDOWS_WORKSTATION") -> str:
    return f"{org},{site},{host},{ip},{os_name},{cls}\n"


def hand_written_inventory(tmp_path: Path) -> Path:
    inv = empty_inventory(tmp_path)
    (inv / "brightsmiles.yml").write_text(HAND_WRITTEN)
    return inv


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(old.splitlines(), new.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def test_an_address_update_changes_exactly_that_line_and_keeps_hand_edits(tmp_path: Path) -> None:
    inv = hand_written_inventory(tmp_path)
    csv_path = write_csv(tmp_path, EXPORT_HEADER
                         + row(BSDG, "Downtown", "BSD-FRONT01", "10.10.1.99")
                         + row(BSDG, "Downtown", "BSD-FRONT02", "10.10.1.22"))
    result = import_csv(inv, csv_path)
    assert [(c.action, c.host, c.practice, c.detail) for c in result.changes] == [
        ("update host", "bsd-front01", "brightsmiles_downtown", "ansible_host 10.10.1.21 -> 10.10.1.99")]
    assert result.unchanged == 1
    new = (inv / "brightsmiles.yml").read_text()
    removed, added = changed_lines(HAND_WRITTEN, new)
    assert removed == ["                            ansible_host: '10.10.1.21'   # DHCP reservation"]
    assert added == ["                            ansible_host: '10.10.1.99'   # DHCP reservation"]
    host = load_inventory(inv).hosts["bsd-front01"]
    assert host.vars["ansible_user"] == "frontdesk-admin"
    assert host.address == "10.10.1.99"


def test_new_hosts_and_practices_only_add_lines_to_a_hand_written_file(tmp_path: Path) -> None:
    inv = hand_written_inventory(tmp_path)
    csv_path = write_csv(tmp_path, EXPORT_HEADER
                         + row(BSDG, "Downtown", "BSD-OP01", "10.10.1.31")
                         + row(BSDG, "Uptown", "BSU-WS01", "10.10.3.21")
                         + row(BSDG, "On", "BSO-WS01", "10.10.4.21"))
    result = import_csv(inv, csv_path)
    assert [(c.action, c.host, c.practice) for c in result.changes] == [
        ("add host", "bsd-op01", "brightsmiles_downtown"),
        ("add practice", "", "brightsmiles_uptown"),
        ("add host", "bsu-ws01", "brightsmiles_uptown"),
        ("add practice", "", "brightsmiles_on"),
        ("add host", "bso-ws01", "brightsmiles_on"),
    ]
    assert result.files == [inv / "brightsmiles.yml"]
    new = (inv / "brightsmiles.yml").read_text()
    removed, added = changed_lines(HAND_WRITTEN, new)
    assert removed == []
    assert "                        bsd-op01:" in added  # 4-space indentation kept
    assert new.startswith("# Bright Smiles: maintained by hand. Ask Dana before changing the server.\n---\n")
    loaded = load_inventory(inv)
    # The client's name found the existing client "brightsmiles" rather than making a new one.
    assert set(loaded.clients) == {"brightsmiles"}
    assert loaded.practices["brightsmiles_on"].site == "On"  # PyYAML (YAML 1.1) would read a bare On as true
    assert loaded.practices["brightsmiles_downtown"].vars["fleet_pms_url"].endswith("/eighty/columns")
    assert_same_as_ansible(inv, tmp_path)


def test_conflicts_are_reported_not_moved(tmp_path: Path) -> None:
    inv = hand_written_inventory(tmp_path)
    before = snapshot(inv)
    csv_path = write_csv(tmp_path, EXPORT_HEADER
                         # line 2: the same host name under another client
                         + row("Lakeside Family Dentistry", "Main", "BSD-FRONT01", "10.20.0.21")
                         # line 3: the same client but another site
                         + row(BSDG, "Northside", "bsd-front02", "10.10.2.22"))
    result = import_csv(inv, csv_path)
    assert result.changes == []
    assert [(s.line, s.kind, s.host) for s in result.skipped] == [(2, "conflict", "BSD-FRONT01"),
                                                                  (3, "conflict", "bsd-front02")]
    first, second = result.skipped
    line = next(n for n, text in enumerate(HAND_WRITTEN.splitlines(), 1) if "bsd-front01:" in text)
    assert f"client_brightsmiles / practice_brightsmiles_downtown (inventory/brightsmiles.yml:{line})" \
        in first.reason
    assert "'Lakeside Family Dentistry'" in first.reason and "not moved" in first.reason
    assert "set fleet_site: Northside" in second.reason
    assert snapshot(inv) == before
    assert "1 conflict" not in result.summary() and "2 conflicts" in result.summary()


def test_a_row_without_site_updates_a_host_of_the_same_client_wherever_it_is(tmp_path: Path) -> None:
    inv = hand_written_inventory(tmp_path)
    csv_path = write_csv(tmp_path, "Hostname,Site Name,Int IP Address,Operating System,Device Type\n"
                         "BSN-SRV01,Bright Smiles Dental Group,10.10.2.6,Windows Server 2019,Server\n")
    result = import_csv(inv, csv_path)
    assert [(c.action, c.host, c.practice) for c in result.changes] == [
        ("update host", "bsn-srv01", "brightsmiles_northside")]
    assert load_inventory(inv).hosts["bsn-srv01"].address == "10.10.2.6"


def test_dry_run_writes_nothing_but_reports_the_same(tmp_path: Path) -> None:
    inv = hand_written_inventory(tmp_path)
    csv_path = write_csv(tmp_path, NINJAONE)
    before = snapshot(inv)
    dry = import_csv(inv, csv_path, dry_run=True)
    assert snapshot(inv) == before
    assert dry.dry_run and dry.changes and dry.files == [inv / "brightsmiles.yml"]
    real = import_csv(inv, csv_path)
    assert [(c.action, c.host, c.practice, c.detail) for c in real.changes] == \
        [(c.action, c.host, c.practice, c.detail) for c in dry.changes]
    assert real.files == dry.files


def test_writes_are_atomic_and_keep_the_file_mode(tmp_path: Path) -> None:
    inv = hand_written_inventory(tmp_path)
    (inv / "brightsmiles.yml").chmod(0o640)
    ino = (inv / "brightsmiles.yml").stat().st_ino
    import_csv(inv, write_csv(tmp_path, NINJAONE))
    st = (inv / "brightsmiles.yml").stat()
    assert st.st_mode & 0o777 == 0o640
    assert st.st_ino != ino  # replaced by rename, not rewritten in place
    assert sorted(p.name for p in inv.iterdir()) == ["brightsmiles.yml", "group_vars"]  # no temp files left


def test_crlf_and_bom_of_an_existing_file_are_kept(tmp_path: Path) -> None:
    inv = empty_inventory(tmp_path)
    original = ("\ufeff" + HAND_WRITTEN).replace("\n", "\r\n").encode()
    (inv / "brightsmiles.yml").write_bytes(original)
    import_csv(inv, write_csv(tmp_path, EXPORT_HEADER
                              + row(BSDG, "Downtown", "BSD-OP01", "10.10.1.31")))
    data = (inv / "brightsmiles.yml").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf# Bright Smiles")
    assert data.count(b"\n") == data.count(b"\r\n")
    assert data.startswith(original[:-1].rsplit(b"\r\n", 2)[0][:200])
    assert "bsd-op01" in load_inventory(inv).hosts


def test_a_malformed_inventory_stops_the_import_before_anything_is_written(tmp_path: Path) -> None:
    inv = hand_written_inventory(tmp_path)
    (inv / "broken.yml").write_text("all:\n  children:\n    client_x: {\n")
    before = snapshot(inv)
    with pytest.raises(InventoryError) as exc:
        import_csv(inv, write_csv(tmp_path, NINJAONE))
    assert exc.value.where is not None and exc.value.where.path == str(inv / "broken.yml")
    assert exc.value.where.line is not None
    assert snapshot(inv) == before


def test_import_into_the_example_workspace_matches_existing_clients_by_name(tmp_path: Path) -> None:
    from fleet.workspace import init_workspace

    root = tmp_path / "ex"
    init_workspace(root, example=True)
    inv = root / "inventory"
    csv_path = write_csv(tmp_path, "Customer,Site,Device Name,Device Class,OS,Network Address\n"
                         "Summit Pediatric Dental,,SPD-FRONT01,Workstations - Windows,Windows 11,10.40.0.99\n"
                         "Riverbend Medical Associates,,RMA-WS03,Workstations - Windows,Windows 11,10.30.0.23\n")
    result = import_csv(inv, csv_path)
    assert [(c.action, c.host, c.practice) for c in result.changes] == [
        ("update host", "spd-front01", "summit_peds"),
        ("add practice", "", "riverbend_main"),
        ("add host", "rma-ws03", "riverbend_main"),
    ]
    assert result.files == [inv / "riverbend.yml", inv / "summit.yml"]
    # The vault files are untouched and Ansible still reads everything (given the vault password).
    pw = tmp_path / "pw"
    pw.write_text("fleet-example\n")
    out = subprocess.run([_venv_tool("ansible-inventory"), "-i", str(inv), "--list", "--vault-password-file",
                          str(pw)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["_meta"]["hostvars"]["spd-front01"]["ansible_host"] == "10.40.0.99"
    assert data["_meta"]["hostvars"]["spd-front01"]["fleet_product_key"].startswith(
        "FAKE-KEY-SUMMIT_PEDS")
    assert "rma-ws03" in data["practice_riverbend_main"]["hosts"]


def test_hand_edits_to_an_imported_file_survive_the_next_import(tmp_path: Path) -> None:
    inv = empty_inventory(tmp_path)
    import_csv(inv, write_csv(tmp_path, NINJAONE))
    path = inv / "bright_smiles_dental_group.yml"
    imported = path.read_text()
    # By hand: a comment above the host, a comment after its address, a var of our own, the PMS.
    edited = imported.replace(
        "            bsd-front01:\n              ansible_host: 10.10.1.21\n",
        "            # reception PC, replaced 2024-03\n"
        "            bsd-front01:\n              ansible_host: 10.10.1.21  # reserved in DHCP\n"
        "              ansible_user: reception-admin\n",
    ).replace("            fleet_site: Downtown\n", "            fleet_site: Downtown\n"
                                                    "            fleet_pms: dentrix_ascend   # set by Dana\n")
    assert edited.count("\n") == imported.count("\n") + 3
    path.write_text(edited)
    moved = NINJAONE.replace('"10.10.1.21, fe80::1c2d:3e4f:5a6b:7c8d"', "10.10.1.77")
    result = import_csv(inv, write_csv(tmp_path, moved))
    assert [(c.action, c.host, c.detail) for c in result.changes] == [
        ("update host", "bsd-front01", "ansible_host 10.10.1.21 -> 10.10.1.77")]
    removed, added = changed_lines(edited, path.read_text())
    assert removed == ["              ansible_host: 10.10.1.21  # reserved in DHCP"]
    assert added == ["              ansible_host: 10.10.1.77  # reserved in DHCP"]
    host = load_inventory(inv).hosts["bsd-front01"]
    assert host.vars["ansible_user"] == "reception-admin" and host.vars["fleet_pms"] == "dentrix_ascend"
