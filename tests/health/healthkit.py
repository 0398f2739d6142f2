"""Builders for health tests: expectations from a real workspace's policy model, facts documents,
and a store on SQLite or PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fleet.catalog import default_catalog
from fleet.config import parse_config
from fleet.desired.changes import judging_plan
from fleet.errors import FleetError, Location
from fleet.example import example_config, fake_extension_id
from fleet.health.expect import Expectations, host_expectations, practice_expect
from fleet.health.facts import HostFacts, facts_from_document
from fleet.health.settings import HealthSettings
from fleet.inventory.model import Host, Practice
from fleet.secrets.store import fingerprint
from fleet.store import Store

TOKEN = "TEST-TOKEN-0123456789abcdef"
CHROME_ID = fake_extension_id("example-v3")
EDGE_ID = fake_extension_id("example-v3")  # no edge id configured: Edge uses the Chrome Web Store one
URL = "https://clients2.google.com/service/update2/crx"
NOW = 1_800_000_000.0


def config(**overrides: Any):  # type: ignore[no-untyped-def]
    raw = copy.deepcopy(example_config())
    raw["extensions"]["variants"]["v3"]["extra_fields"] = {"practice_url": "fleet_pms_url"}
    raw["sync_endpoint"] = "https://sync.example.test"
    # Linux servers get the lab's stand-in package (as `fleet lab up` configures): they have a deploy plan
    raw["synchronizer"] = {**raw["synchronizer"], "linux_url": "https://downloads.example.invalid/s-4.2.0.tar.gz",
                           "linux_sha256": "0" * 64}
    raw.update(overrides)
    return parse_config(raw, Path("fleet.yml"))


def practice(pms: str = "dentrix_ascend", browsers: tuple[str, ...] = ("chrome",), **pvars: Any) -> Practice:
    v = {"fleet_pms": pms, "fleet_browsers": list(browsers), "fleet_pms_url": "https://bs.dentrixascend.com",
         "fleet_pms_org_alias": "BS01", **pvars}
    return Practice("p1", "c1", v, (), Location("inv.yml", 1))


def host(role: str = "workstation", platform: str = "linux", **hvars: Any) -> Host:
    return Host("h1", "p1", "c1", {"fleet_role": role, "fleet_platform": platform, **hvars}, Location("inv.yml", 2))


def expectations(role: str = "workstation", platform: str = "linux", pms: str = "dentrix_ascend",
                 browsers: tuple[str, ...] = ("chrome",), token: str | None = TOKEN, cfg: Any = None,
                 settings: HealthSettings | None = None, plan: bool = True, product_key: str | None = None,
                 **pvars: Any) -> Expectations:
    """A host's expectations as the sweep judges with them: with the deploy's plan for the host
    (``plan``; Windows and Linux, as ``Sweep.for_judging``), computed with the secrets given."""
    cfg = cfg or config()
    pr, h = practice(pms, browsers, **pvars), host(role, platform)
    pe = practice_expect(pr, default_catalog(), cfg, lambda: token,
                         product_key=(lambda: product_key) if product_key else None)
    x = host_expectations(h, pe, cfg, settings or HealthSettings())
    if not plan or platform not in ("windows", "linux"):
        return x
    secrets = {k: v for k, v in (("fleet_token", token), ("fleet_product_key", product_key)) if v}
    try:
        planned = host(role, platform, **pr.vars)  # an inventory host carries its practice's vars
        return replace(x, deploy_plan=judging_plan(planned, pr, secrets, default_catalog(), cfg))
    except FleetError as exc:
        return replace(x, plan_problem=f"no deploy plan: {exc.message}")


# Where a deploy writes our policy on Linux, per flavour's folder (fleet.desired.platforms)
POLICY_DIRS = {"chrome": "/etc/opt/chrome/policies/managed", "chromium": "/etc/chromium/policies/managed",
               "edge": "/etc/opt/edge/policies/managed"}


def ws_facts(browsers: tuple[str, ...] = ("chrome",), *, token: str = TOKEN, url: str = URL,
             installed: bool = True, ext_id: str = CHROME_ID, policy: tuple[str, ...] | None = None,
             **extra: Any) -> dict[str, Any]:
    """A healthy Linux workstation's collector document: the given browser flavours installed, our
    policy file where a deploy writes it (``policy``: Chrome's and Chromium's folders, and the
    installed flavours')."""
    doc: dict[str, Any] = {
        "fleet_health": 1, "collector": "posix",
        "host": {"hostname": "h1", "os": "Linux", "os_version": "Debian 12", "time": NOW, "boot_time": NOW - 86400,
                 "user": "root"},
        "managed": {"kind": "not_applicable", "detail": ""},
        "disks": [{"mount": "/", "total_mb": 100_000, "free_mb": 50_000}],
        "browsers": [], "userdata": [], "profiles": [], "extensions": [], "policy_sources": [], "forcelist": [],
        "managed_values": [], "services": [], "errors": [],
    }
    for b in browsers:
        doc["browsers"].append({"browser": b, "binary": f"/usr/bin/{b}", "version": "131.0.1"})
        doc["userdata"].append({"browser": b, "user": "root", "version": "131.0.1"})
        doc["profiles"].append({"browser": b, "user": "root", "profile": "Default"})
        if installed:
            doc["extensions"].append({"browser": b, "user": "root", "profile": "Default", "extension_id": ext_id,
                                      "version": "3.1.4_0"})
    if policy is None:
        policy = tuple(dict.fromkeys(("chrome", "chromium", *browsers))) if browsers else ()
    for b in policy:
        src = f"{POLICY_DIRS[b]}/fleet-p1.json"
        doc["policy_sources"].append({"browser": b, "source": src, "ok": True, "error": "", "has_forcelist": True})
        doc["forcelist"].append({"browser": b, "source": src, "entry": f"{ext_id};{url}"})
        for field, value in (("token", token), ("practice_url", "https://bs.dentrixascend.com")):
            doc["managed_values"].append({"browser": b, "source": src, "extension_id": ext_id, "field": field,
                                          "type": "string", "sha16": fingerprint(value)})
    doc.update(extra)
    return doc


def server_facts(**services: dict[str, Any]) -> dict[str, Any]:
    doc = ws_facts(browsers=())
    doc["services"] = [{"name": n, **s} for n, s in services.items()]
    doc["endpoint"] = {"url": "https://sync.example.test", "ok": True, "http_status": 204, "error": "",
                       "elapsed_ms": 12}
    return doc


def facts(doc: dict[str, Any]) -> HostFacts:
    return facts_from_document(doc)


def pg_url() -> str:
    base = os.environ.get("FLEET_TEST_PG_URL")
    if not base:
        pytest.skip("FLEET_TEST_PG_URL is not set (scripts/postgres-up prints one)")
    return base


def make_store(kind: str, tmp_path: Path) -> Iterator[Store]:
    """A fresh store: SQLite in tmp_path, or a PostgreSQL schema of its own (dropped afterwards)."""
    if kind == "sqlite":
        s = Store(f"sqlite:///{tmp_path}/fleet.db")
        yield s
        s.close()
        return
    base = pg_url()
    schema = f"h_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    s = Store(f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}")
    try:
        yield s
    finally:
        s.close()
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
