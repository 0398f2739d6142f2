"""The example MSP that ``fleet init --example`` writes: realistic, every install method, fake secrets.

The vault password of the example is ``fleet-example`` (documented in the README); every secret in
it is obviously fake.
"""

from __future__ import annotations

import hashlib
from typing import Any

EXAMPLE_VAULT_PASSWORD = "fleet-example"


def fake_extension_id(seed: str) -> str:
    """A syntactically valid extension ID (32 letters a-p) derived from a seed: fake but well-formed."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join("abcdefghijklmnop"[b & 0x0F] for b in digest[:32])


def example_config() -> dict[str, Any]:
    return {
        "example": True,  # fleet deploy / fleet health refuse to connect to the example's hosts
        "msp": {"name": "Example MSP (fake)"},
        "extensions": {
            "update_url": "https://clients2.google.com/service/update2/crx",
            "variants": {
                f"v{i}": {"chrome": fake_extension_id(f"example-v{i}"), "token_field": "token"}
                for i in range(1, 8)
            },
            # The installation guide names no variant for ModMed; the (fictitious) vendor told us v5.
            "variant_for": {"modmed": "v5"},
        },
        "synchronizer": {
            "version": "4.2.0",
            "url": "https://downloads.example.invalid/synchronizer/Synchronizer-4.2.0.msi",
            "sha256": hashlib.sha256(b"example synchronizer installer 4.2.0").hexdigest(),
            "silent_args": "/qn /norestart",
            "product_key_property": "PRODUCTKEY",
            "service_name": "Synchronizer",
        },
        "sync_endpoint": "https://sync.example.invalid",
        "store": {"url": "sqlite:///state/fleet.db"},
        "alerts": [],
    }


def _doc_addr(addr: str) -> str:
    """The example's hosts live on the documentation networks (RFC 5737: 192.0.2.0/24,
    198.51.100.0/24, 203.0.113.0/24), which no real network routes: "10.G.S.H" as written below
    becomes an address there. (fleet also refuses to deploy to or sweep the example at all.)"""
    _, g, s, h = (int(x) for x in addr.split("."))
    block = {10: "192.0.2", 20: "198.51.100", 30: "203.0.113", 40: "203.0.113"}[g]
    return f"{block}.{(150 if g == 40 else 0) + s * (30 if g == 40 else 50) + h}"


def _win(addr: str, role: str = "workstation") -> dict[str, Any]:
    addr = _doc_addr(addr)
    return {"ansible_host": addr, "fleet_role": role, "fleet_platform": "windows"}


def _mac(addr: str) -> dict[str, Any]:
    addr = _doc_addr(addr)
    return {"ansible_host": addr, "fleet_role": "workstation", "fleet_platform": "macos",
            "ansible_connection": "ssh", "ansible_user": "msp-admin"}


def _linux(addr: str) -> dict[str, Any]:
    addr = _doc_addr(addr)
    return {"ansible_host": addr, "fleet_role": "workstation", "fleet_platform": "linux",
            "ansible_connection": "ssh", "ansible_user": "msp-admin"}


_WINDOWS_CONNECTION = {
    "ansible_connection": "psrp",
    "ansible_psrp_protocol": "https",
    "ansible_port": 5986,
    "ansible_psrp_auth": "ntlm",
    "ansible_user": "msp-admin",
}


def example_clients() -> dict[str, dict[str, Any]]:
    """client id -> Ansible YAML inventory document for that client."""
    clients: dict[str, dict[str, Any]] = {}

    def client(cid: str, name: str, practices: dict[str, Any], **cvars: Any) -> None:
        clients[cid] = {
            "all": {
                "children": {
                    f"client_{cid}": {
                        "vars": {"fleet_client_name": name, **_WINDOWS_CONNECTION, **cvars},
                        "children": {f"practice_{pid}": body for pid, body in practices.items()},
                    }
                }
            }
        }

    client("brightsmiles", "Bright Smiles Dental Group", {
        "brightsmiles_downtown": {
            "vars": {"fleet_practice_name": "Bright Smiles Downtown", "fleet_site": "Downtown",
                     "fleet_pms": "dentrix_ascend", "fleet_pms_url": "https://brightsmiles.dentrixascend.com",
                     "fleet_pms_org_alias": "BSDG-DT", "fleet_browsers": ["chrome", "edge"]},
            "hosts": {"bsd-front01": _win("10.10.1.21"), "bsd-front02": _win("10.10.1.22"),
                      "bsd-op01": _win("10.10.1.31")},
        },
        "brightsmiles_northside": {
            "vars": {"fleet_practice_name": "Bright Smiles Northside", "fleet_site": "Northside",
                     "fleet_pms": "dentrix", "fleet_pms_version": "G7.1"},
            "hosts": {"bsn-srv01": _win("10.10.2.5", "server"), "bsn-front01": _win("10.10.2.21")},
        },
    }, fleet_join="domain")  # a group with its own AD: Edge takes the Chrome Web Store build
    client("lakeside", "Lakeside Family Dentistry", {
        "lakeside_main": {
            "vars": {"fleet_practice_name": "Lakeside Main Street", "fleet_site": "Main Street",
                     "fleet_pms": "eaglesoft", "fleet_pms_version": "21.20", "fleet_multi_location": False},
            "hosts": {"lfd-srv01": _win("10.20.0.5", "server"), "lfd-front01": _win("10.20.0.21"),
                      "lfd-mac01": _mac("10.20.0.40")},
        },
        "lakeside_ortho": {
            "vars": {"fleet_practice_name": "Lakeside Orthodontics", "fleet_site": "Ortho",
                     "fleet_pms": "dolphin"},
            "hosts": {"lfo-srv01": _win("10.20.1.5", "server"), "lfo-front01": _win("10.20.1.21")},
        },
    }, fleet_join="workgroup")  # most small practices: no domain
    client("riverbend", "Riverbend Medical Associates", {
        "riverbend_clinic": {
            "vars": {"fleet_practice_name": "Riverbend Clinic", "fleet_pms": "athenahealth",
                     "fleet_pms_url": "https://athenanet.athenahealth.com/1/22/login.esp"},
            "hosts": {"rma-ws01": _win("10.30.0.21"), "rma-ws02": _win("10.30.0.22"),
                      "rma-mac01": _mac("10.30.0.40"),
                      # The billing office never touches the schedule or patients: no extension there.
                      "rma-billing01": {**_win("10.30.0.23"), "fleet_uses_pms": False}},
        },
        "riverbend_derm": {
            "vars": {"fleet_practice_name": "Riverbend Dermatology", "fleet_pms": "modmed",
                     "fleet_pms_url": "https://riverbendderm.ema.md",
                     "fleet_clinical_account": "sync-clinical", "fleet_management_account": "sync-mgmt",
                     "fleet_online_booking": True, "fleet_default_appointment_type": "New Patient"},
            "hosts": {"rmd-ws01": _win("10.30.1.21"), "rmd-lnx01": _linux("10.30.1.30")},
        },
    })
    client("summit", "Summit Pediatric Dental", {
        "summit_peds": {
            "vars": {"fleet_practice_name": "Summit Pediatric", "fleet_pms": "open_dental",
                     "fleet_pms_version": "23.1", "fleet_multi_clinic": True},
            "hosts": {"spd-srv01": _win("10.40.0.5", "server"), "spd-front01": _win("10.40.0.21")},
        },
        "summit_cloud": {
            "vars": {"fleet_practice_name": "Summit Satellite", "fleet_pms": "cloud9",
                     "fleet_pms_url": "https://summit.cloud9ortho.com",
                     "fleet_online_booking": True, "fleet_default_appointment_type": "Recall",
                     "fleet_unavailable_appointment_classes": ["Break", "Lunch"]},
            "hosts": {"sps-front01": _win("10.40.1.21"), "sps-front02": _win("10.40.1.22")},
        },
        "summit_curve": {
            "vars": {"fleet_practice_name": "Summit Curve Office", "fleet_pms": "curve_hero",
                     "fleet_pms_url": "https://summitpeds.curvehero.com"},
            "hosts": {"spc-front01": _win("10.40.2.21")},
        },
    })
    return clients


def example_secrets() -> dict[str, tuple[str, str]]:
    """practice id -> (kind, obviously fake secret)."""
    out: dict[str, tuple[str, str]] = {}
    for practice in ("brightsmiles_downtown", "riverbend_clinic", "riverbend_derm", "summit_cloud", "summit_curve"):
        out[practice] = ("token", f"FAKE-TOKEN-{practice.upper()}-0000")
    for practice in ("brightsmiles_northside", "lakeside_main", "summit_peds"):
        out[practice] = ("product_key", f"FAKE-KEY-{practice.upper()}-0000")
    return out


# Where each example practice is in its onboarding (fleet practice status), and what was confirmed:
# practice id -> (state, days in that state, engineer date offset in days or None, note, confirmed items).
EXAMPLE_LIFECYCLE: dict[str, tuple[str, int, int | None, str, tuple[str, ...]]] = {
    "brightsmiles_downtown": ("active", 41, None, "",
                              ("dedicated_user", "user_roles", "credentials_tested", "select_locations")),
    "brightsmiles_northside": ("installed", 2, None, "", ("windows_admin", "database_server")),
    "lakeside_main": ("select_locations", 5, None, "", ("windows_admin", "database_server")),
    "lakeside_ortho": ("install_scheduled", 9, 6, "engineer booked through the vendor's portal", ()),
    "riverbend_clinic": ("todo", 3, None, "credential error: the sync user's password expired",
                         ("dedicated_user", "user_roles", "credentials_tested")),
    "riverbend_derm": ("credentials_submitted", 1, None, "",
                       ("dedicated_user", "header_access", "credentials_tested")),
    "summit_peds": ("historical_read", 4, None, "", ("windows_admin", "database_server")),
    "summit_curve": ("credentials_ok", 2, None, "", ("dedicated_user", "user_roles", "credentials_tested")),
    # summit_cloud: nothing recorded yet ("created")
}


def seed_example_lifecycle(store_url: str, clients: dict[str, dict[str, Any]]) -> None:
    """Record the example practices' onboarding states and confirmations in the workspace's store."""
    import datetime as dt

    from fleet.store import Store
    from fleet.store import onboarding as rec

    client_of = {pg.removeprefix("practice_"): cg.removeprefix("client_")
                 for doc in clients.values() for cg, cbody in doc["all"]["children"].items()
                 for pg in cbody["children"]}
    now = dt.datetime.now(dt.UTC)
    store = Store(store_url)
    try:
        for pid, (state, days, engineer_in, note, confirmed) in EXAMPLE_LIFECYCLE.items():
            since = now - dt.timedelta(days=days)
            for item in confirmed:
                rec.confirm(store, pid, item, by="example-tech", at=since - dt.timedelta(hours=2))
            date = (now + dt.timedelta(days=engineer_in)).date() if engineer_in is not None else None
            rec.set_state(store, pid, client_of[pid], state, by="example-tech", source="technician", note=note,
                          scheduled_for=date, at=since)
    finally:
        store.close()
