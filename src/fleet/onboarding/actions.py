"""What a technician (``fleet practice``) and fleet itself (a sweep that sees the Synchronizer
running) change in a practice's onboarding. Checks first, then one store transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from fleet.catalog import Catalog, InstallMethod
from fleet.inventory.model import Practice
from fleet.onboarding.checklist import coverage_complete, open_before
from fleet.onboarding.lifecycle import LifecycleError, Stage, parse_date, parse_stage, reached
from fleet.onboarding.status import PracticeOnboarding, extension_workstations, load_onboarding
from fleet.store import Store
from fleet.store import onboarding as rec

TECHNICIAN, FLEET = "technician", "fleet"


def change_state(store: Store, practice: Practice, catalog: Catalog, state: str, *, by: str, note: str = "",
                 date: str | None = None, force: bool = False) -> PracticeOnboarding:
    """Move a practice to ``state`` (as the vendor's portal shows it). Refuses a state off the
    practice's path, ``install_scheduled`` without the engineer's date, ``todo`` without a note,
    and a state whose checklist items are still open (unless ``force``, which the history records)."""
    current = load_onboarding(store, [practice], catalog)[practice.id]
    method = current.install_method
    if method == InstallMethod.UNSUPPORTED.value:
        raise LifecycleError(f"{practice.id} cannot be synced (see `fleet inventory validate`): it has no lifecycle")
    target = parse_stage(state, method)
    scheduled = parse_date(date) if date else None
    if scheduled is not None and target not in (Stage.INSTALL_SCHEDULED, Stage.TODO):
        raise LifecycleError("--date is the engineer's install date: it goes with --set install_scheduled")
    if target is Stage.INSTALL_SCHEDULED and scheduled is None and current.scheduled_for is None:
        raise LifecycleError(f"{practice.id}: install_scheduled needs the engineer's date",
                             hint=f"fleet practice status {practice.id} --set install_scheduled --date YYYY-MM-DD")
    if target is Stage.TODO and not note.strip():
        raise LifecycleError("a TO DO needs --note saying what the vendor's portal asks for",
                             hint=f'fleet practice status {practice.id} --set todo --note "credential error"')
    missing = [] if target is Stage.TODO else open_before(current.checklist, target, method)
    if missing and not force:
        raise LifecycleError(
            f"{practice.id}: {len(missing)} checklist item(s) must be done before {target.value}: "
            + ", ".join(s.id for s in missing),
            hint="; ".join(f"{s.id}: {s.detail}" for s in missing[:4])
            + " (or --force if the vendor's portal already shows the practice further)")
    if scheduled is None and not reached(target, Stage.INSTALLED, method):
        scheduled = current.scheduled_for  # a TO DO or a step back keeps the engineer's date
    if missing:
        note = (note + " " if note else "") + "[forced past open items: " + ", ".join(s.id for s in missing) + "]"
    rec.set_state(store, practice.id, practice.client_id, target.value, by=by, source=TECHNICIAN, note=note,
                  scheduled_for=scheduled)
    return load_onboarding(store, [practice], catalog)[practice.id]


def confirm_items(store: Store, practice: Practice, catalog: Catalog, items: Sequence[str], *, by: str,
                  note: str = "", undo: bool = False) -> PracticeOnboarding:
    """Record (or with ``undo`` withdraw) the technician's confirmation of checklist items."""
    current = load_onboarding(store, [practice], catalog)[practice.id]
    known = {s.id: s for s in current.checklist}
    confirmable = [s.id for s in current.checklist if s.confirmable]
    for item in items:
        if item not in known:
            raise LifecycleError(f"{item!r} is not on {practice.id}'s checklist",
                                 hint="items to confirm: " + ", ".join(confirmable))
        if not known[item].confirmable:
            raise LifecycleError(f"{item} is checked by fleet, not confirmed: {known[item].detail}",
                                 hint="items to confirm: " + ", ".join(confirmable))
    for item in items:
        if undo:
            rec.unconfirm(store, practice.id, item, by=by, note=note)
        else:
            rec.confirm(store, practice.id, item, by=by, note=note)
    return load_onboarding(store, [practice], catalog)[practice.id]


def synchronizer_seen(store: Store, practices: Iterable[tuple[Practice, str]], catalog: Catalog,
                      by: str = "fleet health", how: str = "seen running") -> list[str]:
    """fleet's own move: a self- or engineer-install practice whose server runs the Synchronizer (a
    sweep saw it running, or a deploy installed it) is ``installed`` (only from ``created`` /
    ``install_scheduled``: a later state the technician set is never overwritten). ``practices``
    pairs each practice with its server; returns the ids moved."""
    moved = []
    for practice, host in practices:
        note = f"Synchronizer {how} on {host} at {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
        if rec.set_state(store, practice.id, practice.client_id, Stage.INSTALLED.value, by=by,
                         source=FLEET, note=note,
                         only_from={Stage.CREATED.value, Stage.INSTALL_SCHEDULED.value}):
            moved.append(practice.id)
    return moved


def coverage_changed(store: Store, practices: Sequence[Practice], before: Mapping[str, rec.CoverageSeen],
                     by: str = "fleet health") -> list[str]:
    """fleet's own record of what a sweep saw: for each browser-extension practice whose coverage
    became complete (the extension on every workstation the inventory lists) or stopped being, one
    history event (``coverage``). ``before``: ``rec.coverage_seen`` read before the sweep recorded
    its roll-ups. Returns the practice ids with an event."""
    now = rec.coverage_seen(store, [p.id for p in practices])
    events, moved = [], []
    for p in practices:
        seen = now.get(p.id)
        if seen is None:
            continue
        n = extension_workstations(p)
        was, is_ = coverage_complete(before.get(p.id), n), coverage_complete(seen, n)
        if was == is_:
            continue
        sweep = f"sweep {seen.run_id[:8]} at {seen.at:%Y-%m-%d %H:%M} UTC"
        if is_:
            note = f"extension coverage reached: the extension on all {n} workstations that use the PMS ({sweep})"
        else:
            unknown = f", {seen.unknown} unknown" if seen.unknown else ""
            note = f"extension coverage lost: {seen.covered} of {n} workstations covered{unknown} ({sweep})"
        events.append(rec.PracticeEvent(p.id, seen.at, by, FLEET, "coverage", item="extension_coverage", note=note))
        moved.append(p.id)
    rec.add_events(store, events)
    return moved


def extension_deployed(store: Store, deployed: Mapping[str, Sequence[str]], run_id: str,
                       by: str = "fleet deploy") -> list[str]:
    """fleet's own record of a deploy that wrote the extension policy: one ``deployed`` history event
    per browser-extension practice (id -> the workstations it changed; an idempotent re-deploy that
    changed nothing records nothing). Returns the practice ids."""
    at = dt.datetime.now(dt.UTC)
    events = []
    for practice_id, hosts in deployed.items():
        if not hosts:
            continue
        names = ", ".join(sorted(hosts)[:10]) + (f" and {len(hosts) - 10} more" if len(hosts) > 10 else "")
        events.append(rec.PracticeEvent(practice_id, at, by, FLEET, "deployed",
                                        note=f"extension policy written on {names} (deploy run {run_id[:12]})"))
    rec.add_events(store, events)
    return [e.practice_id for e in events]
