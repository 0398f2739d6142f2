"""`fleet db`: the central store's schema revision, and upgrading it (Alembic migrations).

fleet upgrades the store by itself whenever a command opens it; these commands are for whoever runs
the PostgreSQL server and wants the upgrade in a change window, or a check in monitoring.
"""

from __future__ import annotations

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import emit, exit_with, note, output_options


@click.group()
def db() -> None:
    """The central store's schema: which revision it is at, and upgrading it.

    \b
    Examples:
      fleet db current
      fleet db current --check      # exit 1 when migrations are pending (monitoring)
      fleet db upgrade
    """


@db.command("current")
@click.option("--check", is_flag=True, help="Exit 1 when the store is not at the newest revision.")
@output_options
@pass_app
def current(app: AppContext, check: bool, fmt: str) -> None:
    """Show the store's schema revision and the migrations this fleet would apply (changes nothing)."""
    from fleet.store import Store
    from fleet.store.db import pending_revisions, safe_url
    from fleet.store.migrations import HEAD

    url = app.ws.store_url()
    store = Store(url, migrate=False, reap=False)
    try:
        revision = store.schema_revision()
        tables = store.table_names()
    finally:
        store.close()
    pending = pending_revisions(revision)
    emit([{"store": safe_url(url), "revision": revision or "", "head": HEAD, "pending": " ".join(pending)}],
         ["store", "revision", "head", "pending"], fmt)
    if not pending:
        note(f"db: {safe_url(url)} is at the newest revision ({HEAD})")
    elif revision is None and tables:
        note(f"db: {safe_url(url)} was made before fleet used Alembic; `fleet db upgrade` (or any fleet "
             "command) brings it to the baseline, keeping every row", fg="yellow")
    else:
        note(f"db: {len(pending)} migration(s) pending ({', '.join(pending)}): fleet db upgrade", fg="yellow")
    if check and pending:
        exit_with(1)


@db.command("upgrade")
@output_options
@pass_app
def upgrade(app: AppContext, fmt: str) -> None:
    """Apply the pending migrations, in one transaction, under the store's migration lock."""
    from fleet.store import Store
    from fleet.store.db import safe_url

    url = app.ws.store_url()
    store = Store(url, migrate=False, reap=False)
    try:
        applied = store.migrate()
        revision = store.schema_revision()
    finally:
        store.close()
    emit([{"store": safe_url(url), "applied": " ".join(applied), "revision": revision or ""}],
         ["store", "applied", "revision"], fmt)
    note(f"db: applied {', '.join(applied)}; now at {revision}" if applied else f"db: already at {revision}")
