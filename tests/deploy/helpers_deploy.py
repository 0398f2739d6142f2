"""Helpers for the deploy tests: hosts, practices and a fleet.yml config built from plain data."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

from fleet.config import FleetConfig, parse_config
from fleet.errors import Location
from fleet.example import example_config, fake_extension_id
from fleet.inventory.model import Host, Practice

LINUX_PKG_SHA = hashlib.sha256(b"stand-in").hexdigest()
EDGE_ID = fake_extension_id("edge-build-v3")


def config(**changes: Any) -> FleetConfig:
    """The example fleet.yml, with a separate Edge ID for v3, extra fields for v3/v7 and a Linux package."""
    raw = copy.deepcopy(example_config())
    raw["extensions"]["variants"]["v3"]["edge"] = EDGE_ID
    raw["extensions"]["variants"]["v3"]["extra_fields"] = {"practice_url": "fleet_pms_url",
                                                           "org_alias": "fleet_pms_org_alias"}
    raw["extensions"]["variants"]["v7"]["extra_fields"] = {"online_booking": "fleet_online_booking",
                                                           "default_appointment_type": "fleet_default_appointment_type"}
    raw["synchronizer"]["linux_url"] = "file:///srv/pkgs/fleet-synchronizer-4.2.0.tar.gz"
    raw["synchronizer"]["linux_sha256"] = LINUX_PKG_SHA
    for path, value in changes.items():
        node = raw
        *parents, last = path.split(".")
        for p in parents:
            node = node[p]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return parse_config(raw, Path("/ws/fleet.yml"))


PRACTICE_VARS: dict[str, dict[str, Any]] = {
    "dentrix_ascend": {"fleet_pms": "dentrix_ascend", "fleet_pms_url": "https://bs.dentrixascend.com",
                       "fleet_pms_org_alias": "BSDG01"},
    "cloud9": {"fleet_pms": "cloud9", "fleet_online_booking": True, "fleet_default_appointment_type": "Recall",
               "fleet_unavailable_appointment_classes": ["Surgery"]},
    "athenahealth": {"fleet_pms": "athenahealth"},
    "dentrix": {"fleet_pms": "dentrix", "fleet_pms_version": "G7.1"},
    "eaglesoft": {"fleet_pms": "eaglesoft", "fleet_pms_version": "21.20"},
    "open_dental": {"fleet_pms": "open_dental", "fleet_pms_version": "23.1"},
    "dolphin": {"fleet_pms": "dolphin"},
    "eclinicalworks_onprem": {"fleet_pms": "eclinicalworks", "fleet_pms_version": "12.0",
                              "fleet_pms_hosting": "on_prem", "fleet_pms_url": "https://x.ecw.com"},
}


def host_and_practice(system: str, role: str = "workstation", platform: str = "windows", name: str = "h1",
                      **extra: Any) -> tuple[Host, Practice]:
    pvars = {**PRACTICE_VARS[system], **extra}
    hvars = {**pvars, "fleet_role": role, "fleet_platform": platform}
    where = Location("/ws/inventory/c.yml", 1)
    host = Host(name, "acme_main", "acme", hvars, where)
    return host, Practice("acme_main", "acme", hvars, (host,), where)
