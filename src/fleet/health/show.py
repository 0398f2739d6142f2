"""Reading a stored sweep back: check results joined with host rows, filtered (``fleet health show``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fleet.report.model import resolve_run
from fleet.store import RunRecord, Store
from fleet.store import health as store_health


def load_results(store: Store, run_id: str | None, *, practices: Sequence[str] = (), clients: Sequence[str] = (),
                 hosts: Sequence[str] = (), states: Sequence[str] | None = None,
                 ) -> tuple[RunRecord, list[dict[str, Any]]]:
    run = resolve_run(store, run_id)
    return run, store_health.check_rows(store, run.id, practices=practices, clients=clients, hosts=hosts,
                                        states=states)
