"""The central store: runs, host results, check results and the deploy audit trail.

One interface over SQLite (default, in the workspace) and PostgreSQL (by URL), built on
SQLAlchemy Core. Results are written as they arrive, each in its own transaction, so a run that
is killed half-way keeps everything already recorded.
"""

from fleet.store.db import Store, StoreError
from fleet.store.records import AuditEvent, CheckResult, HostResult, RunRecord

__all__ = ["AuditEvent", "CheckResult", "HostResult", "RunRecord", "Store", "StoreError"]
