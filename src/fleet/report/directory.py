"""What reports and alerts show beyond the store: the names an MSP and its clients read.

``Directory`` maps ids to names (from the inventory when one is at hand; the ids otherwise) and
knows each host's role and platform (the sweep also stores them in the host's facts, which win).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fleet.inventory.model import Inventory


@dataclass(frozen=True)
class Directory:
    clients: Mapping[str, str] = field(default_factory=dict)  # client id -> name
    practices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # id -> name/pms/site
    hosts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # name -> role/platform

    @classmethod
    def from_inventory(cls, inv: Inventory) -> Directory:
        return cls(
            clients={c.id: c.name for c in inv.clients.values()},
            practices={p.id: {"name": p.name, "pms": p.pms, "site": p.site} for p in inv.practices.values()},
            hosts={h.name: {"role": h.role, "platform": h.platform} for h in inv.hosts.values()},
        )

    def client_name(self, client_id: str) -> str:
        return self.clients.get(client_id) or client_id

    def practice_name(self, practice_id: str) -> str:
        return (self.practices.get(practice_id) or {}).get("name") or practice_id

    def practice_pms(self, practice_id: str) -> str:
        return (self.practices.get(practice_id) or {}).get("pms", "")

    def practice_site(self, practice_id: str) -> str:
        return (self.practices.get(practice_id) or {}).get("site", "")

    def role(self, host: str, facts: Mapping[str, Any] | None = None) -> str:
        facts = facts or {}
        return str(facts.get("role") or facts.get("fleet_role") or (self.hosts.get(host) or {}).get("role", ""))

    def platform(self, host: str, facts: Mapping[str, Any] | None = None) -> str:
        facts = facts or {}
        return str(facts.get("platform") or facts.get("fleet_platform")
                   or (self.hosts.get(host) or {}).get("platform", ""))
