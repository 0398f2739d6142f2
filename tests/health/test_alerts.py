"""Alerts against a real HTTP receiver on 127.0.0.1: debounce, resolve, retries, state in the store."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fleet.alerts import AlertError, RetryPolicy, alert_state, http_post, send_alerts
from fleet.config import AlertTarget
from fleet.errors import ConfigError
from fleet.store import CheckResult, HostResult, Store

FAST = RetryPolicy(attempts=3, backoff=0.01, max_wait=0.05, timeout=5)


class Receiver:
    """A webhook endpoint: records every POST; answers with scripted status codes (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    code = receiver.script.pop(0) if receiver.script else 200
                    receiver.requests.append({"path": self.path, "body": body, "code": code,
                                              "content_type": self.headers.get("Content-Type", "")})
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def payloads(self, code: int | None = 200) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests if code is None or r["code"] == code]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fleet.db'}"
    return str(request.getfixturevalue("pg_schema"))  # an empty schema of the test PostgreSQL (conftest)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    yield s
    s.close()


HOSTS = {"ws1": ("brightsmiles_downtown", "brightsmiles"), "ws2": ("brightsmiles_downtown", "brightsmiles"),
         "srv": ("oak_main", "oakfamily")}


def sweep(store: Store, states: dict[tuple[str, str], str], unreachable: frozenset[str] = frozenset()) -> str:
    """One health run: the given (host, check) states, every other known check OK."""
    checks = {("ws1", "extension_token"), ("ws1", "disk_free"), ("ws2", "extension_token"),
              ("srv", "synchronizer_running")} | set(states)
    run = store.start_run("health")
    store.record_host_results(run.id, [HostResult(host=h, practice_id=p, client_id=c,
                                                  status="unreachable" if h in unreachable else "ok")
                                       for h, (p, c) in HOSTS.items()])
    store.record_check_results(run.id, [
        CheckResult(host=h, practice_id=HOSTS[h][0], client_id=HOSTS[h][1], check_id=k,
                    state="UNKNOWN" if h in unreachable else states.get((h, k), "OK"),
                    message=f"{k} on {h}: {states.get((h, k), 'OK').lower()}", value="7")
        for h, k in sorted(checks)])
    store.finish_run(run.id, "ok")
    return run.id


def target(receiver: Receiver, kind: str = "webhook", debounce: int = 1, min_severity: str = "WARNING",
           name: str = "ops") -> AlertTarget:
    return AlertTarget(name=name, kind=kind, url=receiver.url(f"/{kind}/{name}"), debounce=debounce,
                       min_severity=min_severity)


def events_of(payload: dict[str, Any], kind: str) -> list[tuple[str, str, str]]:
    """(event, host, check) of each alert in one payload, whatever the format."""
    if kind == "webhook":
        items = payload["events"] if payload["event"] == "digest" or payload.get("grouped") else [payload]
        return [(e["event"], e["host"], e["check"]) for e in items]
    text = payload["text"] if kind == "slack" else payload["summary"]
    event = "resolved" if text.startswith("RESOLVED") else "failing"
    check, host = text.split(": ", 1)[1].split(" — ")[0].split(" on ")
    return [(event, host, check)]


def assert_shape(payload: dict[str, Any], kind: str) -> None:
    if kind == "webhook":
        assert payload["source"] == "fleet" and payload["event"] in ("failing", "resolved", "digest")
        assert isinstance(payload["run_id"], str)
    elif kind == "slack":
        assert isinstance(payload["text"], str) and payload["text"]
        assert [b["type"] for b in payload["blocks"]][:2] == ["header", "section"]
        assert payload["blocks"][-1]["type"] == "context"
        assert payload["blocks"][0]["text"]["type"] == "plain_text" and len(payload["blocks"][0]["text"]["text"]) <= 150
        for b in payload["blocks"]:
            for f in b.get("fields", []):
                assert f["type"] == "mrkdwn" and f["text"]
    else:
        assert payload["type"] == "message"
        (att,) = payload["attachments"]
        assert att["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = att["content"]
        assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
        assert card["body"] and all(el["type"] in ("TextBlock", "FactSet") for el in card["body"])
        for el in card["body"]:
            if el["type"] == "FactSet":
                assert all(set(f) == {"title", "value"} and f["value"] for f in el["facts"])


# -- the alerting rules ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["webhook", "slack", "teams"])
def test_debounce_then_one_alert_then_silence_then_one_resolved(store: Store, receiver: Receiver, kind: str) -> None:
    tgt = target(receiver, kind, debounce=2)
    failing = {("ws1", "extension_token"): "CRITICAL"}

    out = send_alerts(store, sweep(store, failing), [tgt], retry=FAST)
    assert (len(out.sent), out.pending, receiver.requests) == (0, 1, [])  # 1st failing sweep: debounce

    out = send_alerts(store, sweep(store, failing), [tgt], retry=FAST)
    assert [e.kind for e in out.sent] == ["failing"] and len(receiver.requests) == 1
    (p,) = receiver.payloads()
    assert_shape(p, kind)
    assert events_of(p, kind) == [("failing", "ws1", "extension_token")]
    assert receiver.requests[0]["content_type"].startswith("application/json")

    for _ in range(2):  # still failing: nothing new to say
        out = send_alerts(store, sweep(store, failing), [tgt], retry=FAST)
        assert out.sent == () and len(receiver.requests) == 1

    out = send_alerts(store, sweep(store, {}), [tgt], retry=FAST)  # fixed
    assert [e.kind for e in out.sent] == ["resolved"] and len(receiver.requests) == 2
    p = receiver.payloads()[-1]
    assert_shape(p, kind)
    assert events_of(p, kind) == [("resolved", "ws1", "extension_token")]

    out = send_alerts(store, sweep(store, {}), [tgt], retry=FAST)
    assert out.sent == () and len(receiver.requests) == 2


def test_a_failure_shorter_than_the_debounce_never_alerts_nor_resolves(store: Store, receiver: Receiver) -> None:
    tgt = target(receiver, debounce=3)
    for states in ({("ws2", "extension_token"): "WARNING"}, {("ws2", "extension_token"): "WARNING"}, {}, {}):
        send_alerts(store, sweep(store, states), [tgt], retry=FAST)
    assert receiver.requests == []


def test_one_alert_per_newly_failing_check(store: Store, receiver: Receiver) -> None:
    tgt = target(receiver)
    send_alerts(store, sweep(store, {("ws1", "disk_free"): "WARNING"}), [tgt], retry=FAST)
    send_alerts(store, sweep(store, {("ws1", "disk_free"): "WARNING", ("ws2", "extension_token"): "CRITICAL",
                                     ("srv", "synchronizer_running"): "CRITICAL"}), [tgt], retry=FAST)
    got = [e for p in receiver.payloads() for e in events_of(p, "webhook")]
    assert got[0] == ("failing", "ws1", "disk_free")
    assert sorted(got[1:]) == [("failing", "srv", "synchronizer_running"), ("failing", "ws2", "extension_token")]
    assert len(receiver.requests) == 3  # one message each
    p = next(p for p in receiver.payloads() if p["host"] == "srv")
    assert p["client"] == {"id": "oakfamily", "name": "oakfamily"} and p["state"] == "CRITICAL"


def test_min_severity_filters_warnings(store: Store, receiver: Receiver) -> None:
    crit_only = target(receiver, min_severity="CRITICAL", name="pager")
    send_alerts(store, sweep(store, {("ws1", "disk_free"): "WARNING"}), [crit_only], retry=FAST)
    assert receiver.requests == []
    send_alerts(store, sweep(store, {("ws1", "disk_free"): "CRITICAL"}), [crit_only], retry=FAST)
    assert [events_of(p, "webhook") for p in receiver.payloads()] == [[("failing", "ws1", "disk_free")]]
    # back to WARNING is not "fixed": no resolved alert until it is OK
    send_alerts(store, sweep(store, {("ws1", "disk_free"): "WARNING"}), [crit_only], retry=FAST)
    assert len(receiver.requests) == 1
    send_alerts(store, sweep(store, {}), [crit_only], retry=FAST)
    assert events_of(receiver.payloads()[-1], "webhook") == [("resolved", "ws1", "disk_free")]


def test_an_unreachable_host_neither_resolves_nor_advances_the_debounce(store: Store, receiver: Receiver) -> None:
    tgt = target(receiver, debounce=2)
    bad = {("ws1", "extension_token"): "CRITICAL"}
    send_alerts(store, sweep(store, bad), [tgt], retry=FAST)
    send_alerts(store, sweep(store, {}, unreachable=frozenset({"ws1"})), [tgt], retry=FAST)  # UNKNOWN: no info
    assert receiver.requests == []
    send_alerts(store, sweep(store, bad), [tgt], retry=FAST)  # 2nd failing sweep -> alert
    assert len(receiver.requests) == 1
    send_alerts(store, sweep(store, {}, unreachable=frozenset({"ws1"})), [tgt], retry=FAST)
    assert len(receiver.requests) == 1  # not "resolved" just because we could not look
    send_alerts(store, sweep(store, {}), [tgt], retry=FAST)
    assert events_of(receiver.payloads()[-1], "webhook") == [("resolved", "ws1", "extension_token")]


def test_each_target_keeps_its_own_state(store: Store, receiver: Receiver) -> None:
    fast, slow = target(receiver, debounce=1, name="fast"), target(receiver, "slack", debounce=2, name="slow")
    bad = {("srv", "synchronizer_running"): "CRITICAL"}
    send_alerts(store, sweep(store, bad), [fast, slow], retry=FAST)
    assert [r["path"] for r in receiver.requests] == ["/webhook/fast"]
    send_alerts(store, sweep(store, bad), [fast, slow], retry=FAST)
    assert [r["path"] for r in receiver.requests] == ["/webhook/fast", "/slack/slow"]
    rows = {(r["target"], r["check_id"]): r for r in alert_state(store) if r["host"] == "srv"}
    assert rows[("fast", "synchronizer_running")]["alerted"] and rows[("slow", "synchronizer_running")]["streak"] == 2


def test_state_survives_a_new_process_and_a_rerun_sends_nothing_twice(store_url: str, receiver: Receiver) -> None:
    tgt = target(receiver)
    s1 = Store(store_url)
    rid = sweep(s1, {("ws2", "extension_token"): "CRITICAL"})
    send_alerts(s1, rid, [tgt], retry=FAST)
    s1.close()
    s2 = Store(store_url)  # the next night: a new process
    again = send_alerts(s2, rid, [tgt], retry=FAST)
    assert again.sent == () and again.already_processed and len(receiver.requests) == 1
    send_alerts(s2, sweep(s2, {("ws2", "extension_token"): "CRITICAL"}), [tgt], retry=FAST)
    assert len(receiver.requests) == 1
    s2.close()


def test_an_older_run_after_a_newer_one_changes_nothing(store: Store, receiver: Receiver) -> None:
    tgt = target(receiver)
    old = sweep(store, {("ws1", "disk_free"): "CRITICAL"})
    new = sweep(store, {})
    send_alerts(store, new, [tgt], retry=FAST)
    send_alerts(store, old, [tgt], retry=FAST)
    assert receiver.requests == []


def test_two_senders_at_once_deliver_each_alert_once(store_url: str, receiver: Receiver) -> None:
    """The nightly job and a manual `fleet health alert` at the same moment, each with its own
    connection, against a slow receiver: every alert arrives exactly once."""
    tgt = target(receiver)
    s0 = Store(store_url)
    rid = sweep(s0, {("ws1", "disk_free"): "WARNING", ("srv", "synchronizer_running"): "CRITICAL"})
    s0.close()
    slow_calls = []

    def slow(url: str, body: bytes, timeout: float) -> int:
        slow_calls.append(body)
        time.sleep(0.3)  # both senders are inside send_alerts while the first one posts
        return http_post(url, body, timeout)

    outcomes: list[Any] = []

    def sender() -> None:
        s = Store(store_url)
        try:
            outcomes.append(send_alerts(s, rid, [tgt], transport=slow, retry=FAST))
        finally:
            s.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert len(outcomes) == 2 and all(o.ok for o in outcomes)
    assert sorted(len(o.sent) for o in outcomes) == [0, 2]
    assert len(receiver.requests) == 2 and len(slow_calls) == 2


# -- delivery ---------------------------------------------------------------------------------


def test_retries_with_backoff_then_delivers(store: Store, receiver: Receiver) -> None:
    receiver.script = [503, 500]
    waits: list[float] = []
    out = send_alerts(store, sweep(store, {("ws1", "disk_free"): "WARNING"}), [target(receiver)],
                      retry=RetryPolicy(attempts=4, backoff=0.5, max_wait=30), sleep=waits.append)
    assert out.ok and [r["code"] for r in receiver.requests] == [503, 500, 200]
    assert waits == [0.5, 1.0]  # exponential


def test_a_refused_message_is_not_retried(store: Store, receiver: Receiver) -> None:
    receiver.script = [400]
    out = send_alerts(store, sweep(store, {("ws1", "disk_free"): "WARNING"}), [target(receiver)], retry=FAST)
    assert not out.ok and len(receiver.requests) == 1 and "HTTP 400" in out.failures[0].error


def test_a_dead_receiver_is_reported_and_the_alert_goes_out_once_it_is_back(store: Store, receiver: Receiver) -> None:
    secret_path = "/services/T000/B000/XyzSecretWebhookKey"
    dead = Receiver()
    dead_url = dead.url(secret_path)
    dead.close()  # nothing listens on that port any more
    tgt = AlertTarget(name="slack-ops", kind="slack", url=dead_url)
    rid = sweep(store, {("ws1", "extension_token"): "CRITICAL"})
    out = send_alerts(store, rid, [tgt], retry=FAST)
    assert not out.ok and out.sent == ()
    (f,) = out.failures
    assert f.target == "slack-ops" and "after 3 attempts" in f.error and f.events == 1
    assert "XyzSecretWebhookKey" not in out.summary() and "127.0.0.1:" not in out.summary()
    assert len(store.check_results(rid)) == 4  # the sweep's results are untouched
    # the receiver is back (same name, new URL): the undelivered alert goes out, once
    back = AlertTarget(name="slack-ops", kind="slack", url=receiver.url(secret_path))
    out = send_alerts(store, rid, [back], retry=FAST)
    assert out.ok and [e.kind for e in out.sent] == ["failing"]
    send_alerts(store, sweep(store, {("ws1", "extension_token"): "CRITICAL"}), [back], retry=FAST)
    assert len(receiver.requests) == 1


def test_a_storm_becomes_one_digest(store: Store, receiver: Receiver) -> None:
    states = {(h, f"check_{i}"): "CRITICAL" for h in ("ws1", "ws2", "srv") for i in range(10)}
    out = send_alerts(store, sweep(store, states), [target(receiver)], retry=FAST, digest_over=2)
    assert len(out.sent) == 30 and len(receiver.requests) == 1  # 3 host messages > 2: one digest
    (p,) = receiver.payloads()
    assert p["event"] == "digest" and len(p["events"]) == 30


@pytest.mark.parametrize("kind", ["webhook", "slack", "teams"])
def test_one_broken_host_is_one_message_listing_its_checks(store: Store, receiver: Receiver, kind: str) -> None:
    """A workstation whose policy file was removed fails three checks: one notification, not three."""
    broken = {("ws1", "extension_forcelist"): "CRITICAL", ("ws1", "extension_token"): "CRITICAL",
              ("ws1", "extension_installed"): "WARNING"}
    out = send_alerts(store, sweep(store, broken), [target(receiver, kind)], retry=FAST)
    assert len(out.sent) == 3 and out.messages == 1 and len(receiver.requests) == 1
    (p,) = receiver.payloads()
    assert_shape(p, kind)
    text = json.dumps(p)
    for check in ("extension_forcelist", "extension_token", "extension_installed"):
        assert check in text  # every check named, with its own detail
        assert f"{check} on ws1: " in text
    if kind == "webhook":
        assert p["grouped"] == "host" and p["host"] == "ws1" and p["state"] == "CRITICAL"
        assert sorted(p["checks"]) == ["extension_forcelist", "extension_installed", "extension_token"]
        assert {(e["check"], e["state"]) for e in p["events"]} == {
            ("extension_forcelist", "CRITICAL"), ("extension_token", "CRITICAL"), ("extension_installed", "WARNING")}
        assert p["summary"] == "CRITICAL: 3 checks failing on ws1"
    else:
        assert "CRITICAL: 3 checks failing on ws1" in text

    fixed = {k: "OK" for k in broken}
    out = send_alerts(store, sweep(store, fixed), [target(receiver, kind)], retry=FAST)  # one resolved message
    assert [e.kind for e in out.sent] == ["resolved"] * 3 and len(receiver.requests) == 2
    assert "RESOLVED: 3 checks on ws1" in json.dumps(receiver.payloads()[-1])


def test_misconfigured_targets_fail_before_anything_is_sent(store: Store, receiver: Receiver) -> None:
    rid = sweep(store, {("ws1", "disk_free"): "CRITICAL"})
    with pytest.raises(ConfigError, match="min_severity 'SEVERE'"):
        send_alerts(store, rid, [target(receiver), target(receiver, min_severity="SEVERE", name="x")])
    with pytest.raises(ConfigError, match="http"):
        send_alerts(store, rid, [AlertTarget(name="f", kind="webhook", url="file:///etc/passwd")])
    with pytest.raises(AlertError, match="no run"):
        send_alerts(store, "nosuchrun", [target(receiver)])
    assert receiver.requests == []


# -- through the CLI, with a real workspace and its secrets -----------------------------------


def test_cli_alert_payloads_hold_no_secret(tmp_path: Path, receiver: Receiver, clean_env: None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    import fleet.alerts

    monkeypatch.setattr(fleet.alerts, "DEFAULT_RETRY", FAST)
    from fleet.cli.context import AppContext
    from fleet.cli.health_cmd import alert
    from fleet.example import EXAMPLE_VAULT_PASSWORD, example_secrets
    from fleet.workspace import Workspace, init_workspace

    root = tmp_path / "msp"
    init_workspace(root, example=True)
    cfg = yaml.safe_load((root / "fleet.yml").read_text())
    cfg["alerts"] = [{"name": "psa", "kind": "webhook", "url": receiver.url("/psa")},
                     {"name": "slack", "kind": "slack", "url": receiver.url("/slack")},
                     {"name": "teams", "kind": "teams", "url": receiver.url("/teams")}]
    (root / "fleet.yml").write_text(yaml.safe_dump(cfg))
    ws = Workspace(root)
    secrets = [s for _, s in example_secrets().values()]
    store = Store(ws.store_url())
    run = store.start_run("health")
    rows = []
    for p in ws.inventory.practices.values():
        if p.id not in example_secrets():
            continue  # a practice without a secret (no sync possible)
        kind, secret = example_secrets()[p.id]
        for h in p.hosts:
            # a careless collector put the secret in a message: the alert must still not carry it
            rows.append(CheckResult(host=h.name, practice_id=p.id, client_id=p.client_id, check_id="extension_token",
                                    state="CRITICAL", message=f"found {kind} {secret} in policy", value=secret[:6]))
    store.record_check_results(run.id, rows)
    store.finish_run(run.id, "ok")
    store.close()
    pw = tmp_path / "pw"
    pw.write_text(EXAMPLE_VAULT_PASSWORD)
    res = CliRunner().invoke(alert, ["--run", run.id], obj=AppContext(str(root), str(pw)))
    assert res.exit_code == 0, res.output
    assert {r["path"] for r in receiver.requests} == {"/psa", "/slack", "/teams"}
    for r in receiver.requests:
        body = r["body"].decode()
        json.loads(body)
        for s in secrets:
            assert s not in body, f"secret of a practice in the {r['path']} payload"
    assert "<redacted:" in receiver.requests[0]["body"].decode()
    names = {p.name for p in ws.inventory.practices.values()}
    assert any(n in r["body"].decode() for r in receiver.requests for n in names)  # names from the inventory

    # a target that cannot be reached: message on stderr naming it, exit 1, store intact
    cfg["alerts"] = [{"name": "down", "kind": "webhook", "url": "http://127.0.0.1:9/x"}]
    (root / "fleet.yml").write_text(yaml.safe_dump(cfg))
    store = Store(ws.store_url())
    run2 = store.start_run("health")
    store.record_check_results(run2.id, rows[:1])
    store.finish_run(run2.id, "ok")
    store.close()
    res = CliRunner().invoke(alert, ["--run", run2.id], obj=AppContext(str(root), str(pw)))
    assert res.exit_code == 1 and "alert target 'down'" in res.output
