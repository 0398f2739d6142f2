"""The MSP inventory: clients -> practices (one sync each) -> hosts, read from Ansible YAML files.

The files are ordinary Ansible YAML inventory (see docs/workspace-format.md), so plain
``ansible-playbook -i inventory`` reads them too. This module only reads and structures them;
judging whether a practice is ready is ``fleet.inventory.validate``'s job.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleet.desired.platforms import PLATFORMS, ROLES  # noqa: F401  (re-exported for readers)
from fleet.errors import InventoryError, Location, SelectionError
from fleet.yamlsrc import line_of, load_file, scalar_text

CLIENT_PREFIX = "client_"
PRACTICE_PREFIX = "practice_"
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")  # a group name, a directory name: short and plain
# What Ansible takes as one host in --limit (not @file, !, &, ~regex, patterns or lists) and a file
# system takes in a name: DNS-like, with _ (NetBIOS/RMM names have it).
HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")
INVENTORY_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class Host:
    name: str
    practice_id: str
    client_id: str
    vars: Mapping[str, Any]
    where: Location

    @property
    def role(self) -> str:
        return str(self.vars.get("fleet_role", ""))

    @property
    def platform(self) -> str:
        return str(self.vars.get("fleet_platform", ""))

    @property
    def address(self) -> str:
        return str(self.vars.get("ansible_host", self.name))

    @property
    def connection(self) -> str:
        return str(self.vars.get("ansible_connection", "ssh"))

    @property
    def uses_pms(self) -> bool:
        """False for a workstation where nobody changes the schedule or patients (``fleet_uses_pms:
        false``): no extension is expected there and it does not count toward coverage."""
        return self.vars.get("fleet_uses_pms", True) is not False


@dataclass(frozen=True)
class Practice:
    id: str
    client_id: str
    vars: Mapping[str, Any]  # client vars overlaid by practice vars, as Ansible would resolve them
    hosts: tuple[Host, ...]
    where: Location

    @property
    def name(self) -> str:
        return str(self.vars.get("fleet_practice_name") or self.id)

    @property
    def site(self) -> str:
        return str(self.vars.get("fleet_site") or "")

    @property
    def pms(self) -> str:
        return str(self.vars.get("fleet_pms") or "")

    @property
    def pms_version(self) -> str:
        v = self.vars.get("fleet_pms_version")
        return "" if v is None else scalar_text(v)  # 11.60 as written, not YAML's 11.6

    @property
    def browsers(self) -> tuple[str, ...]:
        b = self.vars.get("fleet_browsers") or ["chrome"]
        return tuple(b) if isinstance(b, list | tuple) else (str(b),)

    @property
    def group(self) -> str:
        return PRACTICE_PREFIX + self.id

    def with_role(self, role: str) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if h.role == role)

    @property
    def workstations(self) -> tuple[Host, ...]:
        return self.with_role("workstation")

    @property
    def pms_workstations(self) -> tuple[Host, ...]:
        """Workstations where staff use the PMS: the ones the extension must be on."""
        return tuple(h for h in self.workstations if h.uses_pms)

    @property
    def servers(self) -> tuple[Host, ...]:
        return self.with_role("server")


@dataclass(frozen=True)
class Client:
    id: str
    name: str
    vars: Mapping[str, Any]
    practice_ids: tuple[str, ...]
    where: Location


@dataclass(frozen=True)
class Problem:
    """Something structurally wrong found while reading, reported by validation."""

    message: str
    where: Location
    hint: str = ""
    practice_id: str | None = None
    host: str | None = None


@dataclass
class Inventory:
    root: Path
    clients: dict[str, Client] = field(default_factory=dict)
    practices: dict[str, Practice] = field(default_factory=dict)
    hosts: dict[str, Host] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def practice(self, practice_id: str) -> Practice:
        try:
            return self.practices[practice_id]
        except KeyError:
            close = difflib.get_close_matches(practice_id, list(self.practices), n=5, cutoff=0.75)
            close += [p for p in self.practices if (practice_id in p or p in practice_id) and p not in close]
            raise SelectionError(
                f"no practice {practice_id!r} in the inventory",
                hint=(f"did you mean {', '.join(close[:5])}? " if close else "")
                + "`fleet inventory show` lists the practices",
            ) from None

    def select(
        self,
        practices: Iterable[str] = (),
        clients: Iterable[str] = (),
    ) -> list[Practice]:
        """Practices named by --practice / --client (all when both are empty), in inventory order."""
        practices, clients = list(practices), list(clients)
        for c in clients:
            if c not in self.clients:
                raise SelectionError(
                    f"no client {c!r} in the inventory",
                    hint="`fleet inventory show` lists the clients: " + ", ".join(sorted(self.clients)[:10]),
                )
        chosen = [self.practice(p) for p in practices]
        chosen += [p for p in self.practices.values() if p.client_id in clients and p not in chosen]
        if not practices and not clients:
            chosen = list(self.practices.values())
        return chosen

    def select_hosts(self, practices: Iterable[str] = (), clients: Iterable[str] = (),
                     limit: Iterable[str] = ()) -> tuple[list[Practice], list[Host]]:
        """The one host selection of every command: the practices named by --practice / --client
        (all when both are empty) and their hosts, narrowed by --limit. ``limit`` items are
        comma-separated and may repeat; each pattern is a host name, a shell glob on host names
        (``bs-*``) or a group (``practice_<id>``, ``client_<id>``), as Ansible reads --limit.
        An empty selection, an empty --limit and a pattern that matches nothing are errors."""
        chosen = self.select(practices, clients)
        if not chosen:
            raise SelectionError("the selection is empty: no practices", hint="`fleet inventory show` lists them")
        hosts = [h for p in chosen for h in p.hosts]
        limit = list(limit)
        patterns = [p.strip() for item in limit for p in item.split(",") if p.strip()]
        if limit and not patterns:
            raise SelectionError("--limit names no host (it is empty)",
                                 hint="give host names, shell patterns such as 'bs-*' or groups such as "
                                      "practice_ID, or leave --limit out for all")
        if patterns:
            def hit(h: Host, pat: str) -> bool:
                return fnmatch.fnmatchcase(h.name, pat) or pat in (f"{PRACTICE_PREFIX}{h.practice_id}",
                                                                    f"{CLIENT_PREFIX}{h.client_id}")

            unmatched = [pat for pat in patterns if not any(hit(h, pat) for h in hosts)]
            if unmatched:
                raise SelectionError(f"--limit {', '.join(unmatched)} matches no host of the selected practices",
                                     hint="use host names, shell patterns such as 'bs-*' or groups "
                                          "(practice_ID, client_ID) from `fleet inventory show`")
            hosts = [h for h in hosts if any(hit(h, pat) for pat in patterns)]
        if not hosts:
            raise SelectionError("the selection is empty: the selected practices have no hosts",
                                 hint="add hosts to the practices in the inventory")
        return chosen, hosts


def _as_mapping(value: Any, what: str, where: Location) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InventoryError(f"{what} must be a mapping, not {type(value).__name__}", where=where)
    return value


def inventory_files(inventory_dir: Path) -> list[Path]:
    """The inventory source files Ansible would read from the directory (not group_vars/host_vars)."""
    if not inventory_dir.is_dir():
        raise InventoryError(
            "inventory directory not found",
            where=Location(str(inventory_dir)),
            hint="run `fleet init DIR` to create a workspace, or pass --workspace",
        )
    return sorted(
        p
        for p in inventory_dir.iterdir()
        if p.is_file() and p.suffix in INVENTORY_SUFFIXES and not p.name.startswith(".")
    )


def load_inventory(inventory_dir: Path) -> Inventory:
    """Read every client file. Malformed YAML is fatal; structural oddities become ``problems``."""
    inv = Inventory(root=inventory_dir)
    seen_hosts: dict[str, Location] = {}
    for path in inventory_files(inventory_dir):
        inv.files.append(path)
        _load_file(inv, path, seen_hosts)
    return inv


def _load_file(inv: Inventory, path: Path, seen_hosts: dict[str, Location]) -> None:
    src = str(path)
    data = load_file(path, InventoryError)
    if data is None:
        return
    top = _as_mapping(data, "the top level", Location(src, 1))
    unknown_top = [k for k in top if k != "all"]
    for k in unknown_top:
        inv.problems.append(
            Problem(
                f"top-level group {k!r} is outside 'all:'; fleet expects all -> children -> client_<id>",
                Location(src, line_of(top, k)),
                "nest client groups under all: children:",
            )
        )
    all_group = _as_mapping(top.get("all"), "all", Location(src, line_of(top, "all")))
    if all_group.get("hosts"):
        inv.problems.append(
            Problem(
                "hosts directly under 'all' belong to no practice",
                Location(src, line_of(all_group, "hosts")),
                "move each host under its practice_<id> group",
            )
        )
    children = _as_mapping(all_group.get("children"), "all.children", Location(src, line_of(all_group)))
    for cgroup, cbody in children.items():
        cloc = Location(src, line_of(children, cgroup))
        if not str(cgroup).startswith(CLIENT_PREFIX):
            inv.problems.append(
                Problem(
                    f"group {cgroup!r} is not a client group",
                    cloc,
                    f"name client groups {CLIENT_PREFIX}<id> (lowercase letters, digits, _)",
                )
            )
            continue
        cid = str(cgroup)[len(CLIENT_PREFIX):]
        cbody = _as_mapping(cbody, f"group {cgroup}", cloc)
        cvars = _as_mapping(cbody.get("vars"), f"{cgroup}.vars", cloc)
        if not ID_RE.match(cid):
            inv.problems.append(Problem(f"client id {cid!r} is not lowercase letters, digits and _", cloc))
        if cid in inv.clients:
            inv.problems.append(
                Problem(f"client {cid!r} is defined twice (also at {inv.clients[cid].where})", cloc)
            )
            continue
        pids: list[str] = []
        for pgroup, pbody in _as_mapping(cbody.get("children"), f"{cgroup}.children", cloc).items():
            ploc = Location(src, line_of(cbody.get("children"), pgroup))
            if not str(pgroup).startswith(PRACTICE_PREFIX):
                inv.problems.append(
                    Problem(
                        f"group {pgroup!r} under client {cid!r} is not a practice group",
                        ploc,
                        f"name practice groups {PRACTICE_PREFIX}<id>",
                    )
                )
                continue
            pid = str(pgroup)[len(PRACTICE_PREFIX):]
            pbody = _as_mapping(pbody, f"group {pgroup}", ploc)
            pvars = _as_mapping(pbody.get("vars"), f"{pgroup}.vars", ploc)
            if pid in inv.practices:
                inv.problems.append(
                    Problem(
                        f"practice {pid!r} is defined twice (also at {inv.practices[pid].where})",
                        ploc,
                        "practice ids are unique across the workspace; rename one",
                        practice_id=pid,
                    )
                )
                continue
            if not ID_RE.match(pid):
                inv.problems.append(
                    Problem(f"practice id {pid!r} is not lowercase letters, digits and _", ploc, practice_id=pid)
                )
            merged = {**cvars, **pvars}
            hosts: list[Host] = []
            hosts_map = _as_mapping(pbody.get("hosts"), f"{pgroup}.hosts", ploc)
            for hname, hbody in hosts_map.items():
                hloc = Location(src, line_of(hosts_map, hname))
                hvars = _as_mapping(hbody, f"host {hname}", hloc)
                hname = str(hname)
                if hname in seen_hosts:
                    inv.problems.append(
                        Problem(
                            f"host {hname!r} is listed twice (also at {seen_hosts[hname]}); Ansible would merge "
                            "them into one machine",
                            hloc,
                            "host names must be unique across all practices: rename one (e.g. prefix the site)",
                            practice_id=pid,
                            host=hname,
                        )
                    )
                    continue
                seen_hosts[hname] = hloc
                if not HOST_RE.match(hname):
                    inv.problems.append(
                        Problem(
                            f"host name {hname[:80]!r}{'...' if len(hname) > 80 else ''} is not a valid host name",
                            hloc,
                            "letters, digits, '.', '-' and '_', starting with a letter or digit, at most 253 "
                            "(Ansible reads names starting with @ ! & ~ or holding , : * [ as patterns); "
                            "put an address in ansible_host",
                            practice_id=pid,
                            host=hname[:200],
                        )
                    )
                host = Host(hname, pid, cid, {**merged, **hvars}, hloc)
                hosts.append(host)
                inv.hosts[hname] = host
            inv.practices[pid] = Practice(pid, cid, merged, tuple(hosts), ploc)
            pids.append(pid)
        inv.clients[cid] = Client(cid, str(cvars.get("fleet_client_name") or cid), cvars, tuple(pids), cloc)
