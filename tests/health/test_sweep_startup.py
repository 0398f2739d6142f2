"""The sweep connects first: nothing that the first round trips do not need comes before them.

`fleet health` used to import SQLAlchemy, open and query the store and decrypt the first practice's
vault before its first ssh (docs/benchmarks.md: ~0.5 s of fixed start-up, all of the gap to raw
parallel OpenSSH on a quiet machine). The collector's wire holds no secret and needs no store, so
the first connections now start before any of that; the store is opened while they are on their
way and the vault is read when the first answer is judged.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from fleet.example import EXAMPLE_VAULT_PASSWORD
from fleet.health import sweep as sweep_mod
from fleet.health.settings import HealthSettings
from fleet.health.sweep import Sweep, SweepOptions
from fleet.health.transport import RawResult, allow_running
from fleet.secrets.store import SecretKind, SecretStore
from fleet.secrets.vault import VaultPassword
from fleet.store import Store
from fleet.workspace import Workspace

TOKEN = "STARTUP-token-5e1"


def test_importing_the_sweep_command_does_not_import_the_stores_libraries() -> None:
    code = ("import sys, fleet.cli.main, fleet.cli.health_cmd, fleet.health.sweep, fleet.workspace; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'ansible')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout.replace("'", '"')) == []


class _Recording:
    """A store that notes when it is first used (waiting up to 2 s for a round trip to start)."""

    def __init__(self, store: Store, events: list[str], collecting: threading.Event) -> None:
        self._store, self._events, self._collecting = store, events, collecting

    def __getattr__(self, name: str) -> Any:
        if not any(e.startswith("store") for e in self._events):
            self._collecting.wait(2)  # a sweep that connects first has a round trip under way by now
            self._events.append(f"store {name}")
        return getattr(self._store, name)


def test_the_first_round_trips_start_before_the_store_and_the_vault(wsb: Any, monkeypatch: pytest.MonkeyPatch
                                                                     ) -> None:
    host = {"ansible_host": "127.0.0.1", "ansible_port": 9, "fleet_role": "workstation", "fleet_platform": "linux"}
    root = wsb.write({"acme": {
        "acme_main": wsb.practice("dentrix_ascend", {"acme-ws01": host, "acme-ws02": dict(host)},
                                  fleet_pms_url="https://acme.dentrixascend.com", fleet_pms_org_alias="ACME")}})
    SecretStore(root / "inventory").set("acme_main", SecretKind.TOKEN, TOKEN,
                                        VaultPassword(EXAMPLE_VAULT_PASSWORD.encode(), "t"))
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", EXAMPLE_VAULT_PASSWORD)
    events: list[str] = []
    collecting = threading.Event()

    def collect(plan: Any, settings: Any, timeout: float) -> RawResult:
        events.append(f"collect {plan.host.name}")
        collecting.set()
        assert "fleet_token" not in json.dumps(plan.expect.wire)
        return RawResult(plan.host.name, b"", 0.0, 0.0, error="connection refused", unreachable=True)

    real_secrets = Sweep._practice_secrets

    def secrets(self: Sweep, practice_id: str) -> dict[str, str]:
        events.append(f"vault {practice_id}")
        return real_secrets(self, practice_id)

    monkeypatch.setattr(sweep_mod, "collect", collect)
    monkeypatch.setattr(Sweep, "_practice_secrets", secrets)
    ws = Workspace(Path(root))
    store = Store(f"sqlite:///{root}/state/fleet.db")
    try:
        sweep = Sweep(ws, _Recording(store, events, collecting), HealthSettings())  # type: ignore[arg-type]
        result = sweep.run(list(ws.inventory.hosts.values()), SweepOptions(forks=4, timeout=10))
    finally:
        store.close()
    assert events[0].startswith("collect"), events
    first_store = next(i for i, e in enumerate(events) if e.startswith("store"))
    first_vault = next(i for i, e in enumerate(events) if e.startswith("vault"))
    assert first_store > 0 and first_vault > 0, events
    assert result.status == "ok" and len(result.outcomes) == 2
    # judging still had the vault: the token's fingerprint was known to the checks
    assert sweep.redactor.text(f"x {TOKEN} y") != f"x {TOKEN} y"


def test_a_sigterm_while_the_store_is_being_opened_marks_the_run_interrupted(wsb: Any, monkeypatch: pytest.MonkeyPatch
                                                                            ) -> None:
    """The store's modules are imported after the first connections, where `fleet health` already
    turns SIGTERM into KeyboardInterrupt: one arriving then is held until the run is recorded (a
    module half-imported by it broke the next import: NameError, exit 70), then ends the sweep."""
    import os
    import signal

    host = {"ansible_host": "127.0.0.1", "ansible_port": 9, "fleet_role": "workstation", "fleet_platform": "linux"}
    root = wsb.write({"acme": {"acme_main": wsb.practice("dentrix_ascend", {"acme-ws01": host},
                                                        fleet_pms_url="https://acme.dentrixascend.com",
                                                        fleet_pms_org_alias="ACME")}})
    monkeypatch.setattr(sweep_mod, "collect", lambda plan, settings, timeout: RawResult(
        plan.host.name, b"", 0.0, 0.0, error="connection refused", unreachable=True))
    opens: list[Store] = []

    def open_store() -> Store:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the store is being opened
        opens.append(Store(f"sqlite:///{root}/state/fleet.db"))
        return opens[-1]

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, interrupt)
    ws = Workspace(Path(root))
    try:
        with pytest.raises(KeyboardInterrupt):
            Sweep(ws, open_store, HealthSettings()).run(list(ws.inventory.hosts.values()),
                                                        SweepOptions(forks=2, timeout=10))
    finally:
        signal.signal(signal.SIGTERM, old)
        allow_running()  # the interrupted sweep stopped this process's collectors; the next tests run some
    assert len(opens) == 1
    try:
        run = opens[0].last_run("health", finished_only=False)
        assert run is not None and run.status == "interrupted" and run.summary["hosts_planned"] == 1
    finally:
        opens[0].close()
