"""A practice's onboarding as every command shows it: lifecycle state (from the store), since when,
who it waits on, the engineer's date, and the checklist (catalog + inventory + confirmations).

``practice_onboarding`` is pure; ``load_onboarding`` reads the store once for many practices.
``fleet inventory validate``, ``fleet health``, the HTML report and ``fleet practice`` all read
a practice's state through here, so they say the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fleet.catalog import Catalog, InstallMethod
from fleet.inventory.model import Practice
from fleet.onboarding import checklist as ck
from fleet.onboarding.lifecycle import Pending, Stage, engineer_pending, meaning, waits_on
from fleet.store import Store
from fleet.store import onboarding as rec


@dataclass(frozen=True)
class PracticeOnboarding:
    practice_id: str
    client_id: str
    install_method: str
    stage: Stage
    since: dt.datetime | None = None  # None: nothing recorded yet
    scheduled_for: dt.date | None = None
    note: str = ""
    updated_by: str = ""
    source: str = ""
    checklist: tuple[ck.ItemStatus, ...] = ()

    @property
    def waits_on(self) -> str:
        return waits_on(self.stage)

    @property
    def meaning(self) -> str:
        return meaning(self.stage)

    @property
    def open_items(self) -> list[ck.ItemStatus]:
        return [s for s in self.checklist if not s.done]

    @property
    def label(self) -> str:
        """``install_scheduled (2026-12-14)``, ``todo: credential error``, ``active``..."""
        text = self.stage.value
        if self.scheduled_for and self.stage in (Stage.INSTALL_SCHEDULED, Stage.CREATED):
            text += f" ({self.scheduled_for.isoformat()})"
        if self.stage is Stage.TODO and self.note:
            text += f": {self.note}"
        return text

    def days_in_state(self, now: dt.datetime) -> int | None:
        return None if self.since is None else max(0, (now - self.since).days)

    def pending(self, today: dt.date) -> Pending | None:
        """The verdict for the server's Synchronizer checks while the vendor's engineer has not been."""
        return engineer_pending(self.stage, self.install_method, self.scheduled_for, today)

    def to_dict(self, now: dt.datetime | None = None) -> dict[str, Any]:
        now = now or dt.datetime.now(dt.UTC)
        return {
            "practice": self.practice_id, "client": self.client_id, "install_method": self.install_method,
            "state": self.stage.value, "label": self.label, "meaning": self.meaning, "waits_on": self.waits_on,
            "since": self.since.isoformat() if self.since else None, "days_in_state": self.days_in_state(now),
            "scheduled_for": self.scheduled_for.isoformat() if self.scheduled_for else None,
            "note": self.note, "updated_by": self.updated_by, "source": self.source,
            "checklist": [{"item": s.id, "text": s.item.text, "by": s.item.by, "before": s.item.before,
                           "done": s.done, "detail": s.detail} for s in self.checklist],
        }


def install_method_of(practice: Practice, catalog: Catalog) -> str:
    system = catalog.find(practice.pms)
    return system.resolve(practice.vars)[0].value if system else InstallMethod.UNSUPPORTED.value


def extension_workstations(practice: Practice) -> int:
    """How many of the practice's workstations the inventory says carry the extension (present,
    PMS used): what full coverage means for it."""
    return sum(1 for h in practice.hosts
               if h.role == "workstation" and h.uses_pms and str(h.vars.get("fleet_state") or "present") != "absent")


def practice_onboarding(practice: Practice, catalog: Catalog, record: rec.LifecycleRecord | None,
                        confirmations: Mapping[str, rec.Confirmation],
                        seen: rec.CoverageSeen | None = None) -> PracticeOnboarding:
    """``seen``: the newest health sweep's coverage of the practice (``rec.coverage_seen``)."""
    method = install_method_of(practice, catalog)
    try:
        stage = Stage(record.state) if record else Stage.CREATED
    except ValueError:  # a state this version does not know: show it as created, keep the row
        stage = Stage.CREATED
    system = catalog.find(practice.pms)
    items = tuple(ck.judge(system, practice.id, practice.vars, stage, method, confirmations, seen,
                           extension_workstations(practice))) if system else ()
    if record is None:
        return PracticeOnboarding(practice.id, practice.client_id, method, stage, checklist=items)
    return PracticeOnboarding(practice.id, practice.client_id, method, stage, record.since, record.scheduled_for,
                              record.note, record.updated_by, record.source, items)


def load_onboarding(store: Store, practices: Sequence[Practice], catalog: Catalog) -> dict[str, PracticeOnboarding]:
    ids = [p.id for p in practices]
    records = rec.lifecycles(store, ids)
    confirmed = rec.confirmations(store, ids)
    seen = rec.coverage_seen(store, ids)
    return {p.id: practice_onboarding(p, catalog, records.get(p.id), confirmed.get(p.id, {}), seen.get(p.id))
            for p in practices}


@dataclass(frozen=True)
class ClientSummary:
    """Per client: how many practices in each state, and which wait on whom, for how long."""

    client_id: str
    by_state: Mapping[str, int]
    waiting: Mapping[str, tuple[tuple[str, int | None], ...]] = field(default_factory=dict)  # who -> (practice, days)


def summarize(onboardings: Iterable[PracticeOnboarding], now: dt.datetime | None = None) -> list[ClientSummary]:
    now = now or dt.datetime.now(dt.UTC)
    by_client: dict[str, list[PracticeOnboarding]] = {}
    for o in onboardings:
        by_client.setdefault(o.client_id, []).append(o)
    out = []
    for cid, items in sorted(by_client.items()):
        counts = Counter(o.stage.value for o in items)
        waiting: dict[str, list[tuple[str, int | None]]] = {}
        for o in items:
            if o.waits_on:
                waiting.setdefault(o.waits_on, []).append((o.practice_id, o.days_in_state(now)))
        out.append(ClientSummary(cid, dict(counts), {k: tuple(v) for k, v in sorted(waiting.items())}))
    return out
