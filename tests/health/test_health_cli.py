"""`fleet health`, `fleet health show`, `fleet health prune` through the CLI (no lab needed: hosts
that refuse connections are as real as it gets for the unreachable path)."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fleet.cli.main import cli
from fleet.example import EXAMPLE_VAULT_PASSWORD
from fleet.secrets.store import SecretKind, SecretStore
from fleet.secrets.vault import VaultPassword
from fleet.store import Store

TOKEN = "CLI-TEST-TOKEN-5f1e2d3c4b5a"


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def linux(role: str = "workstation") -> dict[str, Any]:
    return {"ansible_host": "127.0.0.1", "ansible_port": closed_port(), "fleet_role": role, "fleet_platform": "linux",
            "ansible_connection": "ssh",
            "ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no"}


@pytest.fixture
def ws(wsb: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = wsb.write({"acme": {
        "acme_main": wsb.practice("dentrix_ascend", {"acme-ws01": linux(), "acme-ws02": linux()},
                                  fleet_pms_url="https://acme.dentrixascend.com", fleet_pms_org_alias="ACME"),
        "acme_east": wsb.practice("eaglesoft", {"acme-srv01": linux("server"), "acme-ws03": linux()},
                                  fleet_pms_version="21.20"),
    }})
    SecretStore(root / "inventory").set("acme_main", SecretKind.TOKEN, TOKEN,
                                        VaultPassword(EXAMPLE_VAULT_PASSWORD.encode(), "t"))
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", EXAMPLE_VAULT_PASSWORD)
    return root


def run(root: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["-w", str(root), *args], catch_exceptions=False)


def test_help_documents_nagios_codes(ws: Path) -> None:
    r = run(ws, "health", "--help")
    assert r.exit_code == 0
    for text in ("0 OK", "1 WARNING", "2 CRITICAL", "3 UNKNOWN", "Example", "--forks", "--limit"):
        assert text in r.output


def test_sweep_of_unreachable_hosts_is_unknown_exit_3_and_stored(ws: Path) -> None:
    r = run(ws, "health", "--json", "--timeout", "20")
    assert r.exit_code == 3, r.output
    doc = json.loads(r.stdout)
    assert doc["state"] == "UNKNOWN" and doc["exit_code"] == 3
    assert {h["host"] for h in doc["hosts"]} == {"acme-ws01", "acme-ws02", "acme-srv01", "acme-ws03"}
    assert all(h["status"] == "unreachable" and h["state"] == "UNKNOWN" for h in doc["hosts"])
    reach = [c for h in doc["hosts"] for c in h["checks"] if c["check"] == "reachable"]
    assert all("refused" in c["message"].lower() and "last seen never" in c["message"] for c in reach)
    main = next(p for p in doc["practices"] if p["practice"] == "acme_main")
    assert main["coverage"] == {"covered": 0, "total": 2, "unknown": 2, "ratio": 0.0, "state": "UNKNOWN"}
    assert "unreachable: acme-" in r.stderr and "exit 3" in r.stderr
    store = Store(f"sqlite:///{ws}/state/fleet.db")
    try:
        run_rec = store.run(doc["run_id"])
        assert run_rec and run_rec.status == "ok" and run_rec.kind == "health"
        assert run_rec.summary["hosts"] == 4 and run_rec.summary["state"] == "UNKNOWN"
        assert len(store.host_results(doc["run_id"])) == 4
    finally:
        store.close()
    assert TOKEN not in r.output


def test_selection(ws: Path) -> None:
    r = run(ws, "health", "--json", "--practice", "acme_east", "--limit", "acme-srv*")
    assert r.exit_code == 3
    assert [h["host"] for h in json.loads(r.stdout)["hosts"]] == ["acme-srv01"]
    r = run(ws, "health", "--limit", "nope-*")
    assert r.exit_code == 1 and "matches no host" in r.output
    r = run(ws, "health", "--practice", "nope")
    assert r.exit_code == 1 and "no practice 'nope'" in r.output
    r = run(ws, "health", "--forks", "0")
    assert r.exit_code == 2


def test_show_and_prune(ws: Path) -> None:
    r = run(ws, "health", "show")
    assert r.exit_code == 1 and "no health sweep" in r.output
    run(ws, "health", "--json")
    r = run(ws, "health", "show", "--json", "--host", "acme-ws01")
    doc = json.loads(r.stdout)
    assert r.exit_code == 0 and {x["state"] for x in doc["results"]} == {"UNKNOWN"}
    assert {x["host"] for x in doc["results"]} == {"acme-ws01"}
    r = run(ws, "health", "show", "--csv", "--state", "OK")
    assert r.exit_code == 0 and r.stdout.splitlines()[0].startswith("client,practice,host,check,state")
    assert len(r.stdout.splitlines()) == 1
    r = run(ws, "health", "prune", "--older-than", "90d", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["runs"] == 0
    r = run(ws, "health", "prune", "--older-than", "0h", "--keep-last", "0", "--json")
    assert json.loads(r.stdout)["runs"] == 1
    r = run(ws, "health", "prune", "--older-than", "ninety days")
    assert r.exit_code == 2 and "90d" in r.output


def test_fleet_help_lists_health_and_does_not_break(ws: Path, wsb: Any) -> None:
    r = subprocess.run([str(wsb.fleet_bin), "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "health" in r.stdout


def test_sigterm_mid_sweep_marks_the_run_interrupted_and_stops_at_once(wsb: Any, monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    import contextlib
    import os
    import signal
    import threading
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections, never says a word: ssh waits for a banner
    port = silent.getsockname()[1]
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # the listener closes at the end of the test
            while True:
                held.append(silent.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    host = {**linux(), "ansible_port": port}
    root = wsb.write({"acme": {"acme_x": wsb.practice("eaglesoft", {"x-srv01": {**host, "fleet_role": "server"},
                                                                    "x-ws01": host}, fleet_pms_version="21.20")}})
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLEET_")}
    proc = subprocess.Popen([str(wsb.fleet_bin), "-w", str(root), "health", "--timeout", "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    store = Store(f"sqlite:///{root}/state/fleet.db")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(held) < 2:
            time.sleep(0.05)
        assert len(held) == 2, "the sweep did not connect"
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - t0 < 10
        assert proc.returncode == 130, err
        run_rec = store.last_run("health", finished_only=False)
        assert run_rec and run_rec.status == "interrupted" and run_rec.summary["interrupted"] is True
        assert run_rec.summary["hosts_planned"] == 2
        assert b"Traceback" not in err and b"marked interrupted" in err
    finally:
        store.close()
        silent.close()
        for s in held:
            s.close()


@pytest.mark.postgres
def test_sweep_into_postgresql_by_url(ws: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from healthkit import make_store

    gen = make_store("postgres", tmp_path)
    store = next(gen)
    try:
        monkeypatch.setenv("FLEET_STORE_URL", store.url)
        r = run(ws, "health", "--json", "--limit", "acme-ws01,acme-srv01")
        assert r.exit_code == 3, r.output
        run_id = json.loads(r.stdout)["run_id"]
        assert {h.host for h in store.host_results(run_id)} == {"acme-ws01", "acme-srv01"}
        assert store.run(run_id).summary["hosts"] == 2  # type: ignore[union-attr]
        assert not (ws / "state" / "fleet.db").exists()
        r = run(ws, "health", "show", "--json")
        assert json.loads(r.stdout)["run"]["id"] == run_id
    finally:
        gen.close()


def test_a_wrong_vault_password_makes_the_token_check_unknown_not_the_sweep_fail(
        ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fleet.health.checks import default_checks
    from fleet.health.settings import HealthSettings
    from fleet.health.sweep import Sweep
    from fleet.workspace import Workspace

    monkeypatch.setenv("FLEET_VAULT_PASSWORD", "not-the-password")
    w = Workspace(ws)
    sweep = Sweep(w, Store(f"sqlite:///{ws}/state/x.db"), HealthSettings(), default_checks())
    plans = {p.host.name: p for p in sweep.plan(list(w.inventory.hosts.values()))}
    pe = plans["acme-ws01"].expect.practice
    assert not pe.token_known and "password" in pe.problem.lower()
    assert pe.extensions and plans["acme-srv01"].expect.synchronizer == "Synchronizer"
