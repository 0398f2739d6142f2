"""The catalog's onboarding checklist, judged for one practice.

An item is either checked by fleet (a fact in the inventory, a lifecycle state reached, or what
the health sweep has seen: the extension's coverage of the practice's workstations) or confirmed by
the technician (``fleet practice confirm PRACTICE ITEM``, stored with who and when). Items come in
the guide's order; ``open_before`` says which must be done before a lifecycle state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fleet.catalog import ChecklistItem, PracticeSystem
from fleet.onboarding.lifecycle import Stage, index, reached
from fleet.store.onboarding import Confirmation, CoverageSeen

CHROME_EXTENSION = "chrome_extension"


@dataclass(frozen=True)
class ItemStatus:
    item: ChecklistItem
    done: bool
    detail: str  # how it is known to be done, or what is missing and how to close it
    confirmable: bool = False  # the technician may confirm it (``fleet practice confirm``)

    @property
    def id(self) -> str:
        return self.item.id


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _fact(item: ChecklistItem, pvars: Mapping[str, Any]) -> tuple[bool, str]:
    var = item.var or ""
    value = pvars.get(var)
    if item.expect == "stated":
        ok = isinstance(value, bool)
        return ok, f"{var} is {str(value).lower()}" if ok else f"set {var}: true or false"
    if item.expect == "false":
        ok = value is False
        return ok, f"{var} is false" if ok else f"set {var}: false (after changing it in the PMS)"
    if item.expect.startswith("differs:"):
        other = item.expect.split(":", 1)[1]
        a, b = value, pvars.get(other)
        if not (_present(a) and _present(b)):
            return False, f"set {var} and {other}"
        ok = str(a).strip().lower() != str(b).strip().lower()
        return ok, f"{var} and {other} differ" if ok else f"{var} and {other} name the same user: use two"
    ok = _present(value)
    return ok, f"{var} is set" if ok else f"set {var} in the practice's vars"


def _confirmed(item: ChecklistItem, practice_id: str, c: Confirmation | None) -> ItemStatus:
    if c is not None:
        return ItemStatus(item, True, f"confirmed by {c.by} on {c.at:%Y-%m-%d %H:%M} UTC"
                          + (f" ({c.note})" if c.note else ""), confirmable=True)
    return ItemStatus(item, False, f"confirm with: fleet practice confirm {practice_id} {item.id}", confirmable=True)


def coverage_complete(seen: CoverageSeen | None, workstations: int) -> bool:
    """The sweep saw the extension working on every workstation the inventory lists for it."""
    return (seen is not None and workstations > 0 and seen.covered >= workstations
            and seen.covered == seen.total and not seen.unknown)


def _coverage(item: ChecklistItem, practice_id: str, seen: CoverageSeen | None, workstations: int,
              c: Confirmation | None) -> ItemStatus:
    """The extension on every workstation that uses the PMS, as the newest sweep saw it, against
    the inventory's count (so a sweep limited to some hosts cannot claim it)."""
    if workstations == 0:  # no such workstation in the inventory: fleet cannot see it, a person can
        status = _confirmed(item, practice_id, c)
        return status if status.done else ItemStatus(
            item, False, "no workstation of the practice is in the inventory, so fleet cannot see it: add them "
            f"(fleet_uses_pms: false where nobody uses the PMS), or confirm with: fleet practice confirm "
            f"{practice_id} {item.id}", confirmable=True)
    if seen is None:
        return ItemStatus(item, False, f"no health sweep has judged the practice yet: fleet deploy --practice "
                                       f"{practice_id}, then fleet health --practice {practice_id}")
    when = f"the sweep of {seen.at:%Y-%m-%d %H:%M} UTC"
    if coverage_complete(seen, workstations):
        return ItemStatus(item, True, f"{seen.covered} of {workstations} workstations covered in {when}")
    if seen.total < workstations:
        return ItemStatus(item, False, f"{when} judged {seen.total} of the {workstations} workstations: "
                                       f"fleet health --practice {practice_id}")
    unknown = f", {seen.unknown} unknown" if seen.unknown else ""
    return ItemStatus(item, False, f"{seen.covered} of {seen.total} workstations covered in {when}{unknown}: "
                                   f"fleet deploy --practice {practice_id}, then fleet health --practice {practice_id}")


def judge(system: PracticeSystem, practice_id: str, pvars: Mapping[str, Any], stage: Stage, install_method: str,
          confirmations: Mapping[str, Confirmation], seen: CoverageSeen | None = None,
          workstations: int = 0) -> list[ItemStatus]:
    """Every checklist item that applies to the practice, in the guide's order, done or open.
    ``seen``: the newest sweep's coverage of the practice; ``workstations``: how many of its
    workstations the inventory says carry the extension."""
    out = []
    for item in system.checklist:
        if not item.applies(pvars):
            continue
        if item.by == "technician":
            out.append(_confirmed(item, practice_id, confirmations.get(item.id)))
        elif item.seen == "coverage":
            if install_method == CHROME_EXTENSION:  # a rule may give the system another install method
                out.append(_coverage(item, practice_id, seen, workstations, confirmations.get(item.id)))
        elif item.reached:
            ok = reached(stage, Stage(item.reached), install_method)
            out.append(ItemStatus(item, ok, f"the practice is {stage.value}" if ok else
                                  f"fleet practice status {practice_id} --set {item.reached}"))
        else:
            ok, detail = _fact(item, pvars)
            out.append(ItemStatus(item, ok, detail))
    return out


def open_before(statuses: Sequence[ItemStatus], target: Stage, install_method: str) -> list[ItemStatus]:
    """Open items that must be done before the practice may be in ``target``."""
    t = index(target, install_method)
    return [s for s in statuses if not s.done and 0 <= index(Stage(s.item.before), install_method) <= t]
