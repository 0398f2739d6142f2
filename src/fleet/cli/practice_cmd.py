"""`fleet practice`: each practice's onboarding, from "created" to "active" (lifecycle + checklist)."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import TYPE_CHECKING, Any

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import emit, note, output_options

if TYPE_CHECKING:
    from fleet.store import Store


def _me() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _store(app: AppContext) -> Store:
    from fleet.store import Store

    store = Store(app.ws.store_url())
    click.get_current_context().call_on_close(store.close)
    return store


def _show(o: Any, fmt: str, history: list[Any] | None = None) -> None:
    """One practice: its state, then its checklist rows (JSON: the whole document)."""
    now = dt.datetime.now(dt.UTC)
    if fmt == "json":
        doc = o.to_dict(now)
        if history is not None:
            doc["history"] = [{"at": e.at.isoformat(), "by": e.by, "source": e.source, "kind": e.kind,
                               "state": e.state, "item": e.item, "note": e.note,
                               "scheduled_for": e.scheduled_for.isoformat() if e.scheduled_for else None}
                              for e in history]
        emit([], [], "json", json_doc=doc)
        return
    rows = [{"item": s.id, "done": "yes" if s.done else "OPEN", "by": s.item.by, "before": s.item.before,
             "what": s.item.text, "detail": s.detail} for s in o.checklist]
    emit(rows, ["item", "done", "by", "before", "what", "detail"], fmt, title=f"{o.practice_id}: checklist")
    days = o.days_in_state(now)
    since = f" since {o.since:%Y-%m-%d} ({days} days)" if o.since else " (nothing recorded yet)"
    who = f"; waiting on the {o.waits_on}" if o.waits_on else ""
    note(f"{o.practice_id} ({o.install_method}): {o.label}{since}{who}: {o.meaning}")
    if history:
        for e in history:
            what = e.state or e.item or ""
            note(f"  {e.at:%Y-%m-%d %H:%M} {e.kind} {what} by {e.by} ({e.source})" + (f": {e.note}" if e.note else ""))
    still = len(o.open_items)
    note(f"{still} checklist items open" if still else "checklist complete", fg="yellow" if still else "green")


@click.group()
def practice() -> None:
    """Each practice's onboarding as the vendor's guide describes it: lifecycle and checklist.

    \b
    States: created -> (cloud) credentials_submitted -> credentials_ok | (self-install) installed |
    (engineer) install_scheduled -> installed; then historical_read -> select_locations -> active.
    "todo" (with a note) when the vendor's portal shows a TO DO, e.g. a credential error.

    \b
    Examples:
      fleet practice list
      fleet practice status lakeside_ortho --set install_scheduled --date 2026-12-14
      fleet practice confirm riverbend_clinic dedicated_user credentials_tested
      fleet practice status riverbend_clinic --set credentials_submitted
    """


@practice.command("list")
@click.option("-p", "--practice", "practices", multiple=True, help="Only this practice (repeatable).")
@click.option("-c", "--client", "clients", multiple=True, help="Only this client's practices (repeatable).")
@click.option("--state", "states", multiple=True, help="Only practices in this state (repeatable).")
@output_options
@pass_app
def list_(app: AppContext, practices: tuple[str, ...], clients: tuple[str, ...], states: tuple[str, ...],
          fmt: str) -> None:
    """One row per practice: state, who it waits on and since when, open checklist items.

    \b
    Example:
      fleet practice list --state install_scheduled
    """
    from fleet.onboarding.status import load_onboarding, summarize

    ws = app.ws
    chosen = ws.inventory.select(practices, clients)
    found = load_onboarding(_store(app), chosen, ws.catalog)
    now = dt.datetime.now(dt.UTC)
    items = [o for o in found.values() if not states or o.stage.value in states]
    rows = [{"practice": o.practice_id, "client": o.client_id, "install_method": o.install_method,
             "state": o.label, "waits_on": o.waits_on or "-", "days": o.days_in_state(now),
             "open_items": len(o.open_items), "next": o.open_items[0].id if o.open_items else ""} for o in items]
    emit(rows, ["practice", "client", "install_method", "state", "waits_on", "days", "open_items", "next"], fmt,
         json_doc=[o.to_dict(now) for o in items])
    for c in summarize(items, now):
        states_txt = ", ".join(f"{n} {s}" for s, n in sorted(c.by_state.items()))
        waits = "; ".join(f"{len(v)} waiting on the {k}" for k, v in c.waiting.items())
        note(f"{c.client_id}: {states_txt}" + (f" ({waits})" if waits else ""))


@practice.command()
@click.argument("practice_id", metavar="PRACTICE")
@click.option("--set", "state", metavar="STATE", help="Move the practice to this state (as the vendor's portal shows).")
@click.option("--date", metavar="YYYY-MM-DD", help="With --set install_scheduled: the engineer's install date.")
@click.option("--note", "text", default="", help="Why; shown in the history (required with --set todo).")
@click.option("--force", is_flag=True, help="Set the state although checklist items before it are open.")
@click.option("--by", default=None, help="Who (default: your login).")
@click.option("--history", "with_history", is_flag=True, help="Also show the practice's history.")
@output_options
@pass_app
def status(app: AppContext, practice_id: str, state: str | None, date: str | None, text: str, force: bool,
           by: str | None, with_history: bool, fmt: str) -> None:
    """Show a practice's lifecycle state and checklist; change the state with --set.

    \b
    Examples:
      fleet practice status summit_peds
      fleet practice status lakeside_ortho --set install_scheduled --date 2026-12-14
      fleet practice status riverbend_clinic --set todo --note "credential error in the portal"
      fleet practice status riverbend_clinic --set active
    """
    from fleet.onboarding.actions import change_state
    from fleet.onboarding.status import load_onboarding
    from fleet.store import onboarding as rec

    ws = app.ws
    p = ws.inventory.practice(practice_id)
    store = _store(app)
    if state:
        o = change_state(store, p, ws.catalog, state, by=by or _me(), note=text, date=date, force=force)
        note(f"{p.id}: now {o.label}", fg="green")
    elif date:
        raise click.UsageError("--date goes with --set install_scheduled")
    elif text:
        rec.add_note(store, p.id, text, by=by or _me())
    o = load_onboarding(store, [p], ws.catalog)[p.id]
    _show(o, fmt, rec.events(store, p.id) if with_history or fmt == "json" else None)


@practice.command()
@click.argument("practice_id", metavar="PRACTICE")
@click.argument("items", nargs=-1, required=True)
@click.option("--note", "text", default="", help="How it was checked; kept with the confirmation.")
@click.option("--undo", is_flag=True, help="Withdraw the confirmation (e.g. the user was shared after all).")
@click.option("--by", default=None, help="Who (default: your login).")
@output_options
@pass_app
def confirm(app: AppContext, practice_id: str, items: tuple[str, ...], text: str, undo: bool, by: str | None,
            fmt: str) -> None:
    """Record that checklist items only a person can check are done (who and when are kept).

    \b
    Example:
      fleet practice confirm riverbend_clinic dedicated_user user_roles --note "checked in athenaOne"
    """
    from fleet.onboarding.actions import confirm_items

    ws = app.ws
    p = ws.inventory.practice(practice_id)
    o = confirm_items(_store(app), p, ws.catalog, list(items), by=by or _me(), note=text, undo=undo)
    note(f"{p.id}: {'withdrew' if undo else 'confirmed'} {', '.join(items)}", fg="green")
    _show(o, fmt)
