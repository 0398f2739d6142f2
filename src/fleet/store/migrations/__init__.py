"""The store's schema migrations, with Alembic (``env.py``, ``versions/``).

fleet runs them itself: ``Store`` upgrades on open under a lock (PostgreSQL advisory lock; a file
lock beside a SQLite file), and ``fleet db upgrade`` / ``fleet db current`` do it by hand. The
standard ``alembic`` command works too, from this directory's ``alembic.ini``-less setup:
``fleet db current`` names the revision. A new migration: copy the newest file in ``versions/``,
give it the next number as ``revision`` and the previous as ``down_revision``, and set ``HEAD``.
"""

from __future__ import annotations

from pathlib import Path

SCRIPT_LOCATION = str(Path(__file__).resolve().parent)

# The newest revision in versions/ (a test checks it against Alembic's own view of the scripts), so
# opening an up-to-date store costs one SELECT and never imports Alembic.
HEAD = "0001"
BASELINE = "0001"
