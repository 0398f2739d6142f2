"""Helpers for the export tests: policy models built in memory, and real workspaces with vaults.

Imported by name (`from helpers_export import ...`): pytest puts tests/export on sys.path.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fleet.catalog import default_catalog
from fleet.config import FleetConfig, GpoDomain, parse_config
from fleet.desired.policy import PracticePolicy, practice_policy
from fleet.errors import Location
from fleet.example import example_config, fake_extension_id
from fleet.export.base import ExportOptions, PracticeContext
from fleet.inventory.model import Host, Practice
from fleet.secrets.store import SecretKind, SecretStore
from fleet.secrets.vault import VaultPassword

VAULT_PASSWORD = "export-tests"
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-samba lives here, not in the venv

# Extra managed-storage fields (policy field -> practice var) for every variant in these tests:
# strings, a boolean (REG_DWORD 1/0) and an integer (REG_DWORD).
EXTRA_FIELDS = {"url": "fleet_pms_url", "org": "fleet_pms_org_alias",
                "online_booking": "fleet_online_booking", "interval": "fleet_sync_interval"}


def config_dict(extra_fields: dict[str, str] | None = None, token_field: str = "token",
                update_url: str | None = None, ids: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    cfg = copy.deepcopy(example_config())
    for name, variant in cfg["extensions"]["variants"].items():
        variant["extra_fields"] = dict(EXTRA_FIELDS if extra_fields is None else extra_fields)
        variant["token_field"] = token_field
        if ids and name in ids:
            variant.update(ids[name])
        if update_url:
            variant["update_url"] = update_url
    return cfg


def addons_id(variant: str = "v3") -> str:
    """The fake Edge Add-ons ID tests give a variant (``edge_addons=True``)."""
    return fake_extension_id(f"edge-addons-{variant}")


def previous_id(variant: str = "v3", n: int = 1) -> str:
    """The fake earlier IDs tests give a variant (``previous=N``)."""
    return fake_extension_id(f"previous-{variant}-{n}")


def _config(extra_fields: dict[str, str] | None, token_field: str, edge_id: bool, edge_addons: bool,
            previous: int) -> FleetConfig:
    ids: dict[str, dict[str, Any]] = {f"v{i}": {} for i in range(1, 8)}
    for i in range(1, 8):
        if edge_id:
            ids[f"v{i}"]["edge"] = fake_extension_id(f"edge-v{i}")
        if edge_addons:
            ids[f"v{i}"]["edge_addons"] = addons_id(f"v{i}")
        if previous:
            ids[f"v{i}"]["previous_ids"] = [previous_id(f"v{i}", n) for n in range(1, previous + 1)]
    return parse_config(config_dict(extra_fields, token_field, ids=ids), Path("fleet.yml"))


def build_policy(token: str, *, browsers: tuple[str, ...] = ("chrome", "edge"), pms: str = "dentrix_ascend",
                 pvars: dict[str, Any] | None = None, extra_fields: dict[str, str] | None = None,
                 token_field: str = "token", practice_id: str = "p1", client_id: str = "c1",
                 edge_id: bool = True, edge_addons: bool = False, previous: int = 0,
                 hosts: dict[str, dict[str, Any]] | None = None,
                 ) -> tuple[Practice, PracticePolicy, Callable[[str | None], PracticePolicy]]:
    """A practice, its policy model and the per-join-state policy factory, in memory (no workspace,
    no vault). ``edge_addons``: the variants have an Edge Add-ons build; ``previous``: N earlier IDs;
    ``hosts``: name -> host vars (over the practice's, as the inventory resolves them)."""
    cfg = _config(extra_fields, token_field, edge_id, edge_addons, previous)
    vars_ = {"fleet_pms": pms, "fleet_browsers": list(browsers),
             "fleet_pms_url": "https://x.dentrixascend.com", "fleet_pms_org_alias": "ORG-1",
             "fleet_online_booking": True, "fleet_sync_interval": 15, **(pvars or {})}
    members = tuple(Host(name, practice_id, client_id, {**vars_, **hv}, Location("test"))
                    for name, hv in (hosts or {}).items())
    practice = Practice(practice_id, client_id, vars_, members, Location("test"))

    def factory(join: str | None) -> PracticePolicy:
        return practice_policy(practice, token, default_catalog(), cfg, join=join, strict=False)

    return practice, practice_policy(practice, token, default_catalog(), cfg), factory


def context(token: str, options: ExportOptions | None = None, gpo_domain: GpoDomain | None = None,
            **kw: Any) -> PracticeContext:
    practice, policy, factory = build_policy(token, **kw)
    return PracticeContext(practice, policy, options or ExportOptions(), msp_name="Test MSP",
                           policy_factory=factory, gpo_domain=gpo_domain)


# -- real workspaces ------------------------------------------------------------------------------

def cloud_practice(pms: str = "dentrix_ascend", **pvars: Any) -> dict[str, Any]:
    base = {"fleet_pms_url": "https://bright.dentrixascend.com", "fleet_pms_org_alias": "BSDG-01",
            "fleet_online_booking": True, "fleet_sync_interval": 15}
    return {"vars": {"fleet_pms": pms, **base, **pvars},
            "hosts": {}}


def make_workspace(root: Path, clients: dict[str, dict[str, dict[str, Any]]], tokens: dict[str, str],
                   config: dict[str, Any] | None = None) -> Path:
    """A workspace on disk with the given clients and per-practice tokens in real vaults."""
    import yaml

    from fleet.workspace import render_config, write_ansible_cfg

    root.mkdir(parents=True, exist_ok=True)
    (root / "fleet.yml").write_text(render_config(config or config_dict()))
    write_ansible_cfg(root)
    inv = root / "inventory"
    (inv / "group_vars").mkdir(parents=True, exist_ok=True)
    for cid, practices in clients.items():
        doc = {"all": {"children": {f"client_{cid}": {
            "vars": {"fleet_client_name": cid.title()},
            "children": {f"practice_{pid}": body for pid, body in practices.items()}}}}}
        (inv / f"{cid}.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    store = SecretStore(inv)
    pw = VaultPassword(VAULT_PASSWORD.encode(), "test")
    for pid, token in tokens.items():
        kind = SecretKind.PRODUCT_KEY if token.startswith("KEY-") else SecretKind.TOKEN
        store.set(pid, kind, token, pw)
    return root


def samba_unpack(pol: bytes) -> list[dict[str, Any]]:
    """Parse a Registry.pol with Samba's NDR parser (Debian's python3-samba), in the system Python."""
    script = (
        "import sys, json\n"
        "from samba.ndr import ndr_unpack\n"
        "from samba.dcerpc import preg\n"
        "f = ndr_unpack(preg.file, sys.stdin.buffer.read())\n"
        "assert f.header.signature == 'PReg' and f.header.version == 1, 'bad header'\n"
        "out = []\n"
        "for e in f.entries:\n"
        "    d = e.data\n"
        "    if isinstance(d, bytes): d = {'bytes': list(d)}\n"
        "    out.append({'key': e.keyname, 'value': e.valuename, 'type': e.type, 'data': d})\n"
        "print(json.dumps(out, ensure_ascii=False))\n"
    )
    proc = subprocess.run([SYSTEM_PYTHON, "-c", script], input=pol, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    import json

    return json.loads(proc.stdout.decode("utf-8"))
