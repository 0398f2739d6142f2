"""Lab topology: which clients, practices and hosts a lab simulates (``plan_lab``).

The plan is deterministic (same arguments, same lab) and exercises the product: cloud practices
(Chrome extension on workstations only, some with Chrome and Edge) and on-prem practices (one
server running the practice system plus workstations), spread over a few clients, with the
practice facts docs/workspace-format.md and the catalog ask for.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

CLOUD = "cloud"
ON_PREM = "on_prem"

# The order practices are given systems in: alternating hosting, so even a 2-practice lab has a
# cloud practice and an on-prem one. (catalog id, hosting)
PMS_CYCLE: tuple[tuple[str, str], ...] = (
    ("dentrix_ascend", CLOUD),
    ("dentrix", ON_PREM),
    ("curve_hero", CLOUD),
    ("eaglesoft", ON_PREM),
    ("eclinicalworks", CLOUD),
    ("open_dental", ON_PREM),
    ("athenahealth", CLOUD),
    ("cloud9", CLOUD),
    ("dentrix_enterprise", ON_PREM),
    ("denticon", CLOUD),
    ("modmed", CLOUD),
    ("dolphin", ON_PREM),
)

# (client id, display name, host-name prefix)
CLIENTS: tuple[tuple[str, str, str], ...] = (
    ("brightsmiles", "Bright Smiles Dental Group", "bs"),
    ("lakeside", "Lakeside Family Dentistry", "ls"),
    ("parkview", "Parkview Orthodontics & Medical", "pv"),
    ("summit", "Summit Dental Partners", "sm"),
    ("harbor", "Harbor Health Clinics", "hb"),
    ("cedar", "Cedar Valley Dental", "cv"),
    ("northstar", "Northstar Dental Care", "ns"),
    ("riverbend", "Riverbend Smiles", "rb"),
)
SITES: tuple[str, ...] = (
    "downtown", "northside", "westend", "eastgate", "midtown", "uptown", "riverside", "hillcrest",
    "oakwood", "lakeview", "southpark", "fairview", "maple", "harbor", "meadow", "pinecrest",
)  # fmt: skip
# Browsers a Linux workstation has besides Chrome; used by fleet.lab.seed.
BROWSER_VERSIONS: Mapping[str, str] = {
    "chrome": "131.0.6778.85",
    "chromium": "131.0.6778.85",
    "edge": "131.0.2903.70",
}


@dataclass(frozen=True)
class LabSSH:
    """How clients reach the lab's hosts once it runs (set by ``Lab.up``)."""

    user: str
    private_key: str
    known_hosts: str
    address: str = "127.0.0.1"

    def common_args(self) -> str:
        """ssh options for ``ansible_ssh_common_args`` (strict host-key checking against the lab's file)."""
        return (
            f"-o UserKnownHostsFile={shlex.quote(self.known_hosts)} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes"
        )


@dataclass(frozen=True)
class LabHost:
    name: str
    role: str  # workstation | server
    practice_id: str
    client_id: str
    port: int | None = None  # assigned when the lab first starts the host


@dataclass(frozen=True)
class LabPractice:
    id: str
    client_id: str
    pms: str
    hosting: str  # cloud | on_prem
    vars: Mapping[str, Any]  # the practice group's vars, as written to the inventory
    hosts: tuple[LabHost, ...]

    def browsers(self, client_vars: Mapping[str, Any]) -> tuple[str, ...]:
        """The browsers fleet manages here (practice vars override client vars; default chrome)."""
        b = self.vars.get("fleet_browsers", client_vars.get("fleet_browsers", ["chrome"]))
        return tuple(b)


@dataclass(frozen=True)
class LabClient:
    id: str
    vars: Mapping[str, Any]
    practices: tuple[LabPractice, ...]

    @property
    def name(self) -> str:
        return str(self.vars.get("fleet_client_name", self.id))


@dataclass(frozen=True)
class LabTopology:
    """Clients -> practices -> hosts. ``ssh`` and host ports are known once the lab runs."""

    clients: tuple[LabClient, ...]
    ssh: LabSSH | None = field(default=None)

    @property
    def practices(self) -> tuple[LabPractice, ...]:
        return tuple(p for c in self.clients for p in c.practices)

    @property
    def hosts(self) -> tuple[LabHost, ...]:
        return tuple(h for p in self.practices for h in p.hosts)

    def host(self, name: str) -> LabHost:
        for h in self.hosts:
            if h.name == name:
                return h
        raise KeyError(name)

    def practice(self, practice_id: str) -> LabPractice:
        for p in self.practices:
            if p.id == practice_id:
                return p
        raise KeyError(practice_id)

    def client(self, client_id: str) -> LabClient:
        for c in self.clients:
            if c.id == client_id:
                return c
        raise KeyError(client_id)

    def walk(self) -> Iterator[tuple[LabClient, LabPractice, LabHost]]:
        for c in self.clients:
            for p in c.practices:
                for h in p.hosts:
                    yield c, p, h

    def host_browsers(self, name: str) -> tuple[str, ...]:
        h = self.host(name)
        return self.practice(h.practice_id).browsers(self.client(h.client_id).vars)

    def with_connection(self, ports: Mapping[str, int], ssh: LabSSH) -> LabTopology:
        """A copy with host ports and the lab's ssh settings filled in."""
        clients = tuple(
            replace(
                c,
                practices=tuple(
                    replace(p, hosts=tuple(replace(h, port=ports.get(h.name, h.port)) for h in p.hosts))
                    for p in c.practices
                ),
            )
            for c in self.clients
        )
        return LabTopology(clients, ssh)

    def plan_dict(self) -> dict[str, Any]:
        """The plan alone (no ports, no ssh): what two labs must share to be "the same lab"."""
        return {
            "clients": [
                {
                    "id": c.id,
                    "vars": dict(c.vars),
                    "practices": [
                        {
                            "id": p.id,
                            "pms": p.pms,
                            "hosting": p.hosting,
                            "vars": dict(p.vars),
                            "hosts": [{"name": h.name, "role": h.role} for h in p.hosts],
                        }
                        for p in c.practices
                    ],
                }
                for c in self.clients
            ]
        }

    @classmethod
    def from_plan_dict(cls, data: Mapping[str, Any]) -> LabTopology:
        clients = []
        for c in data["clients"]:
            practices = []
            for p in c["practices"]:
                hosts = tuple(LabHost(h["name"], h["role"], p["id"], c["id"]) for h in p["hosts"])
                practices.append(LabPractice(p["id"], c["id"], p["pms"], p["hosting"], dict(p["vars"]), hosts))
            clients.append(LabClient(c["id"], dict(c["vars"]), tuple(practices)))
        return cls(tuple(clients))


def _practice_vars(pms: str, client_id: str, site: str, n: int) -> dict[str, Any]:
    """Practice group vars with the facts the catalog asks for, per system."""
    v: dict[str, Any] = {
        "fleet_practice_name": f"{site.title()} office",
        "fleet_site": site.title(),
        "fleet_pms": pms,
    }
    slug = f"{client_id}{site}"
    if pms == "dentrix_ascend":
        v |= {
            "fleet_pms_version": "24.1",
            "fleet_pms_hosting": CLOUD,
            "fleet_pms_url": f"https://{client_id}.dentrixascend.com",
            "fleet_pms_org_alias": f"{client_id[:4].upper()}{n:02d}",
        }
    elif pms == "curve_hero":
        v["fleet_pms_url"] = f"https://{slug}.curvehero.com"
    elif pms == "eclinicalworks":
        v |= {"fleet_pms_version": "11.53" if n % 2 else "12.0", "fleet_pms_url": f"https://{slug}.ecwcloud.com"}
    elif pms == "cloud9":
        v |= {
            "fleet_online_booking": True,
            "fleet_unavailable_appointment_classes": ["Break", "Staff Meeting"],
            "fleet_default_appointment_type": "New Patient Exam",
        }
    elif pms == "modmed":
        v |= {
            "fleet_clinical_account": f"sync-clinical-{site}",
            "fleet_management_account": f"sync-mgmt-{site}",
            "fleet_online_booking": True,
            "fleet_default_appointment_type": "Consultation",
        }
    elif pms == "dentrix":
        v |= {"fleet_pms_version": "G7.1", "fleet_pms_hosting": ON_PREM}
    elif pms == "eaglesoft":
        v |= {"fleet_pms_version": "21.20", "fleet_multi_location": n % 2 == 0}
    elif pms == "open_dental":
        v |= {"fleet_pms_version": "23.1", "fleet_multi_clinic": True}
    elif pms == "dolphin":
        v["fleet_multi_clinic"] = False
    return v


def plan_lab(practices: int, workstations: int) -> LabTopology:
    """Plan a lab of ``practices`` practices with ``workstations`` workstations each.

    On-prem practices also get one ``server`` host, so the host count is
    ``practices * workstations + (number of on-prem practices)``; e.g. ``plan_lab(2, 2)`` gives 5
    hosts and ``plan_lab(40, 5)`` 217. Practices are dealt round-robin to about sqrt(practices)
    clients (at most 8). The second client manages Chrome and Edge for all its practices except
    one that overrides back to Chrome only; elsewhere Dentrix Ascend and ModMed practices manage
    both browsers.
    """
    if practices < 1:
        raise ValueError("a lab needs at least one practice")
    if workstations < 1:
        raise ValueError("each practice needs at least one workstation")
    n_clients = max(1, min(len(CLIENTS), practices, round(math.sqrt(practices))))
    per_client: list[list[LabPractice]] = [[] for _ in range(n_clients)]
    client_vars: list[dict[str, Any]] = []
    for ci in range(n_clients):
        cid, cname, _ = CLIENTS[ci]
        cv: dict[str, Any] = {"fleet_client_name": cname}
        if ci == 1:
            cv["fleet_browsers"] = ["chrome", "edge"]
        client_vars.append(cv)
    overridden = False
    for i in range(practices):
        ci = i % n_clients
        cid, _, prefix = CLIENTS[ci]
        k = len(per_client[ci])  # this client's k-th practice
        site = SITES[k % len(SITES)] + (str(k // len(SITES) + 1) if k >= len(SITES) else "")
        pms, hosting = PMS_CYCLE[i % len(PMS_CYCLE)]
        pid = f"{cid}_{site}"
        pvars = _practice_vars(pms, cid, site, i + 1)
        if hosting == CLOUD:
            if ci == 1 and not overridden and k > 0:
                pvars["fleet_browsers"] = ["chrome"]
                overridden = True
            elif ci != 1 and pms in ("dentrix_ascend", "modmed"):
                pvars["fleet_browsers"] = ["chrome", "edge"]
        base = f"{prefix}-{site}"
        hosts: list[LabHost] = []
        if hosting == ON_PREM:
            hosts.append(LabHost(f"{base}-srv01", "server", pid, cid))
        hosts += [LabHost(f"{base}-ws{w:02d}", "workstation", pid, cid) for w in range(1, workstations + 1)]
        per_client[ci].append(LabPractice(pid, cid, pms, hosting, pvars, tuple(hosts)))
    clients = tuple(LabClient(CLIENTS[ci][0], client_vars[ci], tuple(per_client[ci])) for ci in range(n_clients))
    topo = LabTopology(clients)
    names = [h.name for h in topo.hosts]
    assert len(names) == len(set(names)), "host names must be unique"
    return topo
