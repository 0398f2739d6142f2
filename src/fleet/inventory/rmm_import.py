"""Import an RMM device export (CSV) into the inventory: clients, practices (sites) and hosts.

The RMMs MSPs use export devices with different column names and encodings (NinjaOne, Datto RMM,
ConnectWise Automate/Manage, N-able N-central/N-sight...). ``fleet.inventory.devices`` reads any of
them into device rows; this module adds what is new and updates what moved, through
``fleet.inventory.editor`` (round-trip: comments, key order and quoting of hand-edited files survive).

Rules:
- client ``Bright Smiles`` -> group ``client_bright_smiles`` (or the existing client whose id or
  ``fleet_client_name`` gives the same slug); site -> practice ``<client_id>_<site_slug>`` (or the
  existing practice of that client with that id or ``fleet_site``); no site -> ``<client_id>_main``.
- A host already in the inventory (names compare case-insensitively) is updated in place: only its
  ``ansible_host``, only when the export gives a different address. If the export puts it under
  another client or site, that is reported as a conflict; the host is not moved.
- Nothing is deleted. Files are written atomically; a dry run writes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fleet.errors import ImportFileError
from fleet.inventory.devices import MAX_NAME, DeviceRow, Skipped, read_devices, slug
from fleet.inventory.editor import (
    ClientEntry,
    HostRef,
    InventoryFiles,
    flatten,
    plain_yaml,
    relative,
    verify_edit,
    write_all,
)
from fleet.inventory.model import CLIENT_PREFIX, PRACTICE_PREFIX, load_inventory

# -- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    action: str  # "add client" | "add practice" | "add host" | "update host"
    host: str
    practice: str
    detail: str
    path: Path | None = None


@dataclass
class ImportResult:
    source: Path
    changes: list[Change] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    unchanged: int = 0  # rows naming a host that is already as the export says
    encoding: str = ""
    delimiter: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # field -> header as written in the file
    dry_run: bool = False

    @property
    def conflicts(self) -> list[Skipped]:
        return [s for s in self.skipped if s.kind == "conflict"]

    def summary(self) -> str:
        counts = Counter(c.action for c in self.changes)
        parts = []
        for action, noun in (("add client", "client"), ("add practice", "practice"), ("add host", "host")):
            if counts[action]:
                parts.append(f"{_plural(counts[action], noun)} added")
        if counts["update host"]:
            parts.append(f"{_plural(counts['update host'], 'host')} updated")
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.conflicts:
            parts.append(_plural(len(self.conflicts), "conflict"))
        other = len(self.skipped) - len(self.conflicts)
        if other:
            parts.append(f"{_plural(other, 'row')} skipped")
        head = f"{_plural(self.rows, 'device row')} from {self.source.name}"
        return f"{head}: " + (", ".join(parts) if parts else "nothing to change")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# -- the import -------------------------------------------------------------------------------------


def import_csv(inventory_dir: Path, csv_path: Path, dry_run: bool = False, client: str | None = None,
               practice: str | None = None) -> ImportResult:
    """Add/update the inventory from an RMM device export. See the module docstring for the rules.
    ``client`` (a client's name or id) and ``practice`` (an existing practice id of that client, or a
    site name) put every device of the file there."""
    inventory_dir = Path(inventory_dir)
    csv_path = Path(csv_path)
    result = ImportResult(source=csv_path, dry_run=dry_run)
    if practice and not client:
        raise ImportFileError("--practice needs --client (whose practice it is)")
    for what, text in (("--client", client), ("--practice", practice)):
        if text is not None and (not slug(text) or len(text) > MAX_NAME or any(ord(c) < 32 for c in text)):
            raise ImportFileError(f"{what} {text[:60]!r} is not a usable name",
                                  hint=f"letters and digits, at most {MAX_NAME} characters")
    devices = read_devices(csv_path, result, client, practice)
    load_inventory(inventory_dir)  # malformed inventory YAML: a clear InventoryError (file, line) first
    inv = InventoryFiles(inventory_dir)
    before = {path: flatten(plain_yaml(doc.raw, path)) for path, doc in inv.docs.items() if doc.raw is not None}
    updated: dict[Path, set[tuple[str, ...]]] = {}
    seen: dict[str, DeviceRow] = {}
    root = inventory_dir
    for dev in devices:
        key = dev.hostname.lower()
        if key in seen:
            first = seen[key]
            same = (slug(first.client), slug(first.site), first.address) == (slug(dev.client), slug(dev.site),
                                                                             dev.address)
            if not same:
                result.skipped.append(Skipped(dev.line, f"{dev.hostname} is also on line {first.line} with a different "
                                              "client/site/address; the first row was used", "duplicate",
                                              dev.hostname))
            continue
        seen[key] = dev
        clients = inv.find_client(dev.client)
        if len(clients) > 1:
            result.skipped.append(Skipped(dev.line, f"{dev.hostname}: client {dev.client!r} matches "
                                          f"{', '.join(CLIENT_PREFIX + c.id for c in clients)}; rename one "
                                          "(fleet_client_name)", host=dev.hostname))
            continue
        owner = clients[0] if clients else None
        refs = inv.hosts.get(key, [])
        if refs:
            _update_existing(inv, dev, owner, refs, result, updated, root)
            continue
        # a new host
        if owner is None:
            cid = slug(dev.client)
            owner = inv.add_client(cid, dev.client)
            result.changes.append(Change("add client", "", "", f"{CLIENT_PREFIX}{cid} ({dev.client}) in "
                                         f"{relative(owner.doc.path, root)}", owner.doc.path))
        practices = inv.practices_for(owner, dev.site)
        if len(practices) > 1:
            result.skipped.append(Skipped(dev.line, f"{dev.hostname}: site {dev.site!r} matches practices "
                                          f"{', '.join(p.id for p in practices)}; add the host by hand",
                                          host=dev.hostname))
            continue
        if practices:
            home = practices[0]
        else:
            pid = f"{owner.id}_{slug(dev.site) or 'main'}"
            if pid in inv.practices:
                other = inv.practices[pid]
                result.skipped.append(Skipped(dev.line, f"{dev.hostname}: practice id {pid} is already used by "
                                              f"client {other.client_id}; add the host by hand", host=dev.hostname))
                continue
            home = inv.add_practice(owner, pid, dev.site or owner.name, dev.site)
            result.changes.append(Change("add practice", "", pid, (f"site {dev.site!r}" if dev.site else "no site")
                                         + f" under {CLIENT_PREFIX}{owner.id}; set fleet_pms (see `fleet catalog "
                                         "list`) before deploying", home.doc.path))
        name = inv.add_host(home, dev)
        result.changes.append(Change("add host", name, home.id, f"{dev.platform} {dev.role}, "
                                     + (f"ansible_host {dev.address}" if dev.address else "no address in the export"),
                                     home.doc.path))
    changed = [doc for doc in inv.docs.values() if doc.dirty]
    rendered = {doc.path: doc.render() for doc in changed}
    for doc in changed:
        verify_edit(doc, rendered[doc.path], before.get(doc.path, {}), updated.get(doc.path, set()))
    result.files = sorted(rendered)
    result.skipped.sort(key=lambda s: s.line)
    if not dry_run:
        write_all(inv, rendered)
    return result


def _update_existing(inv: InventoryFiles, dev: DeviceRow, client: ClientEntry | None, refs: list[HostRef],
                     result: ImportResult, updated: dict[Path, set[tuple[str, ...]]], root: Path) -> None:
    in_practices = [r for r in refs if r.practice_id]
    said = f"client {dev.client!r}" + (f", site {dev.site!r}" if dev.site else "")
    if len(in_practices) != 1:
        places = ", ".join(f"{'/'.join(r.groups[1:])} ({r.where(root)})" for r in refs)
        why = "is in no practice" if not in_practices else "is listed in several practices"
        result.skipped.append(Skipped(dev.line, f"{dev.hostname} {why}: {places}; the export says {said}. "
                                      "Not changed: fix the inventory by hand", "conflict", dev.hostname))
        return
    ref = in_practices[0]
    here = f"{PRACTICE_PREFIX}{ref.practice_id} ({ref.where(root)})"
    if client is None or ref.client_id != client.id:
        result.skipped.append(Skipped(
            dev.line, f"{dev.hostname} is already in {CLIENT_PREFIX}{ref.client_id} / {here} but the export says "
            f"{said}; not moved. If they are different machines, rename one; if it moved, move it by hand",
            "conflict", dev.hostname))
        return
    if dev.site and ref.practice_id not in {p.id for p in inv.practices_for(client, dev.site)}:
        result.skipped.append(Skipped(
            dev.line, f"{dev.hostname} is already in {here} but the export says {said}; not moved. If that "
            f"practice is the site {dev.site!r}, set fleet_site: {dev.site} on it", "conflict", dev.hostname))
        return
    hvars = ref.vars if isinstance(ref.vars, dict) else {}
    old = hvars.get("ansible_host")
    if not dev.address or (old is not None and str(old) == dev.address):
        result.unchanged += 1
        return
    inv.set_address(ref, dev.address)
    updated.setdefault(ref.doc.path, set()).add((*ref.groups, ref.name))
    result.changes.append(Change("update host", ref.name, ref.practice_id or "",
                                 f"ansible_host {old if old is not None else '(unset)'} -> {dev.address}",
                                 ref.doc.path))
