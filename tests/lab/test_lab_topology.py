"""plan_lab and write_inventory: the lab's clients/practices/hosts, as the product reads them. No root needed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from fleet.catalog import default_catalog
from fleet.config import parse_config
from fleet.inventory.model import load_inventory
from fleet.inventory.validate import Level, validate
from fleet.lab import LabError, LabSSH, plan_lab, write_inventory
from fleet.lab.topology import CLOUD, ON_PREM
from fleet.lab.workspace import lab_config

CATALOG_IDS = {
    "athenahealth", "curve_hero", "cloud9", "denticon", "dentrix_ascend", "eclinicalworks", "modmed",
    "dentrix", "eaglesoft", "open_dental", "dentrix_enterprise", "dolphin",
}  # fmt: skip


def _connected(topology):
    ports = {h.name: 30000 + i for i, h in enumerate(topology.hosts)}
    ssh = LabSSH(user="root", private_key="/lab/keys/id_ed25519", known_hosts="/lab/ssh_known_hosts")
    return topology.with_connection(ports, ssh)


def test_small_lab_has_a_cloud_and_an_on_prem_practice() -> None:
    t = plan_lab(2, 2)
    assert [p.hosting for p in t.practices] == [CLOUD, ON_PREM]
    assert len(t.hosts) == 5
    for p in t.practices:
        servers = [h for h in p.hosts if h.role == "server"]
        assert len(servers) == (1 if p.hosting == ON_PREM else 0)
        assert sum(h.role == "workstation" for h in p.hosts) == 2


def test_benchmark_sized_lab() -> None:
    t = plan_lab(40, 5)
    names = [h.name for h in t.hosts]
    assert len(names) == len(set(names)) == 217
    assert {p.pms for p in t.practices} == CATALOG_IDS
    assert 2 <= len(t.clients) <= 8
    assert len({p.id for p in t.practices}) == 40
    browsers = Counter(t.practice(p.id).browsers(t.client(p.client_id).vars) for p in t.practices if p.hosting == CLOUD)
    assert browsers[("chrome",)] and browsers[("chrome", "edge")]
    # The Chrome+Edge client has a practice overriding back to Chrome only.
    edge_client = t.clients[1]
    assert edge_client.vars["fleet_browsers"] == ["chrome", "edge"]
    assert any(p.vars.get("fleet_browsers") == ["chrome"] for p in edge_client.practices)


def test_plan_is_deterministic_and_checked() -> None:
    assert plan_lab(7, 3) == plan_lab(7, 3)
    with pytest.raises(ValueError):
        plan_lab(0, 2)
    with pytest.raises(ValueError):
        plan_lab(2, 0)


def test_inventory_layout_per_client(tmp_path: Path) -> None:
    t = _connected(plan_lab(6, 2))
    files = write_inventory(t, tmp_path)
    assert sorted(f.name for f in files) == sorted(f"{c.id}.yml" for c in t.clients)
    doc = yaml.safe_load((tmp_path / f"{t.clients[0].id}.yml").read_text())
    client = doc["all"]["children"][f"client_{t.clients[0].id}"]
    assert client["vars"]["fleet_client_name"]
    practice = client["children"][f"practice_{t.clients[0].practices[0].id}"]
    host_vars = next(iter(practice["hosts"].values()))
    assert host_vars["fleet_platform"] == "linux"
    assert host_vars["ansible_connection"] == "ssh"
    assert host_vars["ansible_host"] == "127.0.0.1"
    assert host_vars["ansible_user"] == "root"
    assert host_vars["ansible_ssh_private_key_file"] == "/lab/keys/id_ed25519"
    assert "UserKnownHostsFile=/lab/ssh_known_hosts" in host_vars["ansible_ssh_common_args"]
    assert "StrictHostKeyChecking=yes" in host_vars["ansible_ssh_common_args"]
    assert isinstance(host_vars["ansible_port"], int)
    text = "".join(f.read_text() for f in files)
    assert "fleet_token" not in text and "fleet_product_key" not in text


def test_inventory_passes_fleet_validation(tmp_path: Path) -> None:
    t = _connected(plan_lab(24, 2))
    write_inventory(t, tmp_path)
    inv = load_inventory(tmp_path)
    assert not inv.problems
    assert set(inv.hosts) == {h.name for h in t.hosts}
    # With the lab's fleet.yml: its Linux servers are the Synchronizer's stand-in (synchronizer.linux_url).
    cfg = parse_config(lab_config("http://127.0.0.1:1/fleet-synchronizer.tar.gz", "0" * 64), tmp_path / "fleet.yml")
    report = validate(inv, default_catalog(), cfg)
    errors = [f for f in report.all_findings() if f.level is Level.ERROR]
    assert errors == []


def test_inventory_needs_a_started_lab(tmp_path: Path) -> None:
    with pytest.raises(LabError):
        write_inventory(plan_lab(1, 1), tmp_path)
