"""How each Windows host is joined, as the inventory says (``fleet_join``) and as the health sweep
saw it (the collector's ``managed.join``), and writing what the sweep saw into the inventory.

Edge's build follows the join state (workgroup machines install only Edge Add-ons builds), so a
wrong or missing ``fleet_join`` gives a workgroup machine an Edge build it never installs. The
sweep reads the truth on every Windows host; ``fleet inventory join`` lines it up with the inventory
and, with ``--write``, sets the host's own ``fleet_join`` where the inventory says nothing (with
``--overwrite`` also where it says otherwise). The files are edited round-trip as ``fleet inventory
import`` edits them: comments and hand-added vars stay, and what Ansible reads is checked to change
in nothing but those hosts' ``fleet_join`` before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fleet.desired.platforms import JOIN_STATES, JOIN_VAR
from fleet.errors import FleetError
from fleet.inventory.model import Host

AGREES, SET, DIFFERS, NOT_SEEN = "agrees", "set", "differs", "not seen"


@dataclass(frozen=True)
class JoinRow:
    host: str
    practice_id: str
    said: str  # the inventory's fleet_join as the host resolves it ("" when unset)
    said_at: str  # "host" | "practice" (where fleet_join is set) | ""
    seen: str  # domain | entra | workgroup as the sweep saw it ("" when never seen)
    seen_at: datetime | None
    action: str  # agrees | set | differs | not seen

    def as_dict(self) -> dict[str, Any]:
        return {"host": self.host, "practice": self.practice_id, "fleet_join": self.said, "set_at": self.said_at,
                "seen": self.seen, "seen_at": self.seen_at.isoformat() if self.seen_at else None,
                "action": self.action}


def _said(host: Host, practice_vars: Mapping[str, Any]) -> tuple[str, str]:
    value = host.vars.get(JOIN_VAR)
    if value in (None, ""):
        return "", ""
    level = "practice" if practice_vars.get(JOIN_VAR) == value else "host"
    return str(value).strip().lower(), level


def join_rows(hosts: Sequence[Host], practice_vars: Mapping[str, Mapping[str, Any]],
              facts: Mapping[str, tuple[Mapping[str, Any], datetime]]) -> list[JoinRow]:
    """One row per Windows host: what the inventory says, what the newest answered sweep saw
    (``facts``: host -> (facts, recorded at), see ``fleet.health.storage.latest_facts``)."""
    out = []
    for h in sorted(hosts, key=lambda h: (h.practice_id, h.name)):
        if h.platform != "windows":
            continue
        said, level = _said(h, practice_vars.get(h.practice_id, {}))
        f, at = facts.get(h.name, ({}, None))
        managed = f.get("managed") if isinstance(f, Mapping) else None
        seen = str((managed or {}).get("join") or "") if isinstance(managed, Mapping) else ""
        if seen not in JOIN_STATES:
            seen, at = "", None
        action = NOT_SEEN if not seen else SET if not said else AGREES if said == seen else DIFFERS
        out.append(JoinRow(h.name, h.practice_id, said, level, seen, at, action))
    return out


def write_join(inventory_dir: Path, rows: Iterable[JoinRow], overwrite: bool = False) -> list[JoinRow]:
    """Set the host-level ``fleet_join`` to what the sweep saw for the ``set`` rows (and, with
    ``overwrite``, the ``differs`` rows). Returns the rows written. Nothing is written when any file
    would change in anything else (a FleetError says which)."""
    from fleet.inventory.editor import InventoryFiles, flatten, plain_yaml, verify_edit, write_all

    wanted = [r for r in rows if r.action == SET or (overwrite and r.action == DIFFERS)]
    if not wanted:
        return []
    inv = InventoryFiles(inventory_dir)
    before = {path: flatten(plain_yaml(doc.raw, path)) for path, doc in inv.docs.items() if doc.raw is not None}
    updated: dict[Path, set[tuple[str, ...]]] = {}
    done = []
    for row in wanted:
        refs = [r for r in inv.hosts.get(row.host.lower(), []) if r.practice_id == row.practice_id]
        if len(refs) != 1:
            raise FleetError(f"{row.host} is listed {len(refs)} times in practice {row.practice_id}; "
                             "nothing was written", hint=f"set {JOIN_VAR}: {row.seen} on it by hand")
        ref = refs[0]
        hvars = ref.vars
        if not isinstance(hvars, dict):
            from ruamel.yaml.comments import CommentedMap

            hvars = CommentedMap()
            ref.hosts[ref.name] = hvars
        hvars[JOIN_VAR] = row.seen
        ref.doc.dirty = True
        updated.setdefault(ref.doc.path, set()).add((*ref.groups, ref.name))
        done.append(row)
    changed = [doc for doc in inv.docs.values() if doc.dirty]
    rendered = {doc.path: doc.render() for doc in changed}
    for doc in changed:
        verify_edit(doc, rendered[doc.path], before.get(doc.path, {}), updated.get(doc.path, set()), JOIN_VAR)
    write_all(inv, rendered)
    return done
