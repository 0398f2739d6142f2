"""Alerts: webhook / Slack / Teams messages for checks that newly fail or are resolved.

``send_alerts(store, run_id, targets)`` is called after a sweep (``fleet health --alert``). For each
alert target (fleet.yml ``alerts:``) and each (host, check) of the sweep it keeps, in the store's
``alert_state`` table (messages group one host's checks: see ``group_events``):

- ``streak``: consecutive sweeps in which the check failed at or above the target's
  ``min_severity``; an OK resets it; an UNKNOWN below ``min_severity`` (host unreachable, check
  could not run) leaves it as it was: no information is neither a failure nor a fix;
- ``alerted``: a failure alert was delivered and no resolved alert since.

A check alerts when ``streak >= debounce`` and it has not alerted yet; a resolved alert goes out
only for an alerted check that is OK again. Alerts are derived from that state, not from the
transition alone, so an alert whose delivery failed is sent again by the next call (for the same
run, or the next sweep), and calling twice for one run never sends twice.

Delivery: JSON POST, retried with exponential backoff on network errors, 429 and 5xx; a target
that still fails is reported in ``AlertOutcome`` (the CLI prints it and exits non-zero) and
leaves the sweep's results untouched. Target URLs carry secrets (Slack/Teams webhook keys): they
are never printed, only the target's name.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fleet import __version__
from fleet.config import AlertTarget
from fleet.errors import ConfigError, FleetError
from fleet.report.directory import Directory
from fleet.secrets.redact import Redactor
from fleet.store import RunRecord, Store
from fleet.store import alerts as store_alerts
from fleet.store.alerts import alert_lock

SEVERITY = {"OK": 0, "UNKNOWN": 1, "WARNING": 2, "CRITICAL": 3}
MIN_SEVERITIES = ("UNKNOWN", "WARNING", "CRITICAL")
DIGEST_OVER = 25  # more events than this for one target in one sweep: one digest message instead
DIGEST_LINES = 30
STATE_EMOJI = {"CRITICAL": ":red_circle:", "WARNING": ":large_yellow_circle:", "UNKNOWN": ":white_circle:",
               "OK": ":large_green_circle:"}
TEAMS_COLOR = {"CRITICAL": "attention", "WARNING": "warning", "UNKNOWN": "default", "OK": "good"}


class AlertError(FleetError):
    """An alert could not be delivered (after retries) or alerting is misconfigured."""


@dataclass(frozen=True)
class AlertEvent:
    kind: str  # failing | resolved
    target: str
    host: str
    practice_id: str
    client_id: str
    check_id: str
    state: str
    message: str
    value: str
    run_id: str
    streak: int = 0
    previous_alerted_state: str = ""  # for resolved: the state the failure alert reported


@dataclass(frozen=True)
class DeliveryFailure:
    target: str
    error: str
    events: int


@dataclass(frozen=True)
class AlertOutcome:
    run_id: str
    sent: tuple[AlertEvent, ...] = ()
    failures: tuple[DeliveryFailure, ...] = ()
    pending: int = 0  # failing checks still inside their target's debounce
    messages: int = 0  # HTTP messages delivered
    already_processed: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        failing = sum(1 for e in self.sent if e.kind == "failing")
        resolved = len(self.sent) - failing
        text = f"alerts: {failing} failing, {resolved} resolved sent ({self.messages} messages)"
        if self.pending:
            text += f"; {self.pending} failing check(s) waiting for their debounce"
        for f in self.failures:
            text += f"\n  alert target {f.target!r}: {f.error} ({f.events} alert(s) not delivered; retried next time)"
        return text


# -- transport ----------------------------------------------------------------------------------

Transport = Callable[[str, bytes, float], int]  # url, body, timeout -> HTTP status (raises on network errors)


class HTTPStatusError(Exception):
    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


def http_post(url: str, body: bytes, timeout: float) -> int:
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": f"fleet/{__version__}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # http(s) only: _check_target
            resp.read(65536)
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        retry_after = None
        try:
            retry_after = float(exc.headers.get("Retry-After", "")) if exc.headers else None
        except ValueError:
            retry_after = None
        raise HTTPStatusError(exc.code, retry_after) from None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 1.0  # seconds before the 2nd attempt; doubles each time
    max_wait: float = 30.0
    timeout: float = 10.0


DEFAULT_RETRY = RetryPolicy()


def deliver(url: str, payload: Mapping[str, Any], transport: Transport, policy: RetryPolicy,
            sleep: Callable[[float], None] = time.sleep) -> tuple[bool, int, str]:
    """POST one payload with retries. Returns (ok, attempts, error); the error never holds the URL."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    error = ""
    for attempt in range(1, policy.attempts + 1):
        wait = min(policy.max_wait, policy.backoff * (2 ** (attempt - 1)))
        try:
            status = transport(url, body, policy.timeout)
            if 200 <= status < 300:
                return True, attempt, ""
            error = f"HTTP {status}"
        except HTTPStatusError as exc:
            error = f"HTTP {exc.status}"
            if exc.status != 429 and exc.status < 500:
                return False, attempt, error + " (not retried: the receiver refused the message)"
            if exc.retry_after is not None:
                wait = min(policy.max_wait, max(wait, exc.retry_after))
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            error = f"{type(reason).__name__}: {reason}" if not isinstance(reason, str) else reason
        if attempt < policy.attempts:
            sleep(wait)
    return False, policy.attempts, f"{error} after {policy.attempts} attempts"


# -- state --------------------------------------------------------------------------------------


def _check_target(target: AlertTarget) -> None:
    if target.min_severity not in MIN_SEVERITIES:
        raise ConfigError(f"alert target {target.name!r}: min_severity {target.min_severity!r} is not one of "
                          + ", ".join(MIN_SEVERITIES), hint="fix alerts[].min_severity in fleet.yml")
    if not target.url.lower().startswith(("https://", "http://")):
        raise ConfigError(f"alert target {target.name!r}: the url must be an http(s) URL",
                          hint="fix alerts[].url in fleet.yml (a Slack/Teams/PSA webhook URL)")
    if target.debounce < 1:
        raise ConfigError(f"alert target {target.name!r}: debounce must be 1 or more (sweeps)",
                          hint="fix alerts[].debounce in fleet.yml")


def _failing(state: str, min_severity: str) -> bool:
    return state != "OK" and SEVERITY.get(state, 1) >= SEVERITY[min_severity]


def _aware(v: datetime | None) -> datetime | None:
    return v.replace(tzinfo=UTC) if v is not None and v.tzinfo is None else v


def _advance(store: Store, run: RunRecord, target: AlertTarget) -> tuple[list[dict[str, Any]], int, bool]:
    """Fold the run's check results into the target's state; return (events to send, pending, already)."""
    run_at = run.started_at
    already = 0

    def decide(rows: Sequence[Any], state: Mapping[tuple[str, str], Any],
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        nonlocal already
        inserts, updates = [], []
        for r in rows:
            old = state.get((r.host, r.check_id))
            if old is not None and (old.last_run_id == run.id or (_aware(old.last_run_at) or run_at) > run_at):
                already += 1  # this run (or a newer one) is already folded in
                continue
            streak = old.streak if old is not None else 0
            if _failing(r.state, target.min_severity):
                streak += 1
            elif r.state != "UNKNOWN":
                streak = 0  # OK, or a failure below this target's min_severity
            values = {"practice_id": r.practice_id, "client_id": r.client_id, "streak": streak,
                      "last_state": r.state, "last_message": (r.message or "")[:2000],
                      "last_value": (r.value or "")[:500], "last_run_id": run.id, "last_run_at": run_at,
                      "updated_at": datetime.now(UTC)}
            if old is None:
                inserts.append({"host": r.host, "check_id": r.check_id, "alerted": False, "alerted_state": "",
                                **values})
            else:
                updates.append({"k_host": r.host, "k_check": r.check_id, **values})
        return inserts, updates

    rows, due = store_alerts.fold(store, target.name, run.id, decide)
    events, pending = [], 0
    for s in due:
        if not s.alerted and _failing(s.last_state, target.min_severity):
            if s.streak >= target.debounce:
                events.append({"kind": "failing", "row": s})
            else:
                pending += 1
        elif s.alerted and s.last_state == "OK":
            events.append({"kind": "resolved", "row": s})
    return events, pending, bool(rows) and already == len(rows)


def _mark(store: Store, target: str, delivered: Iterable[AlertEvent]) -> None:
    store_alerts.mark(store, target, [{"k_host": e.host, "k_check": e.check_id, "alerted": e.kind == "failing",
                                       "alerted_state": e.state if e.kind == "failing" else ""} for e in delivered])


def alert_state(store: Store, target: str | None = None) -> list[dict[str, Any]]:
    """The stored alert state (for `fleet health alert --status` and tests)."""
    return store_alerts.state_rows(store, target)


# -- payloads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayloadContext:
    msp_name: str = ""
    directory: Directory = field(default_factory=Directory)
    run: RunRecord | None = None


def _title(e: AlertEvent) -> str:
    if e.kind == "resolved":
        return f"RESOLVED: {e.check_id} on {e.host}"
    return f"{e.state}: {e.check_id} on {e.host}"


def _event_doc(e: AlertEvent, ctx: PayloadContext) -> dict[str, Any]:
    return {
        "event": e.kind, "state": e.state, "check": e.check_id, "host": e.host,
        "practice": {"id": e.practice_id, "name": ctx.directory.practice_name(e.practice_id)},
        "client": {"id": e.client_id, "name": ctx.directory.client_name(e.client_id)},
        "message": e.message, "value": e.value, "consecutive_failures": e.streak,
        "previous_state": e.previous_alerted_state or None,
    }


def group_events(events: Sequence[AlertEvent]) -> list[list[AlertEvent]]:
    """One message per host and kind per sweep: a workstation that lost its policy fails three checks
    (forcelist, token, extension) and is one problem, so one notification listing them."""
    groups: dict[tuple[str, str], list[AlertEvent]] = {}
    for e in events:
        groups.setdefault((e.kind, e.host), []).append(e)
    return list(groups.values())


def _one_host(events: Sequence[AlertEvent]) -> bool:
    return len(events) > 1 and len({(e.kind, e.host) for e in events}) == 1


def _worst(events: Sequence[AlertEvent]) -> str:
    return max((e.state for e in events), key=lambda s: SEVERITY.get(s, 0))


def _host_title(events: Sequence[AlertEvent]) -> str:
    e = events[0]
    if e.kind == "resolved":
        return f"RESOLVED: {len(events)} checks on {e.host}"
    return f"{_worst(events)}: {len(events)} checks failing on {e.host}"


def _check_line(e: AlertEvent) -> str:
    state = "OK" if e.kind == "resolved" else e.state
    return f"{state} {e.check_id}" + (f": {e.message}" if e.message and e.kind == "failing" else "")


def webhook_payload(events: Sequence[AlertEvent], ctx: PayloadContext) -> dict[str, Any]:
    """Generic JSON: one event per message; one host's events together ({"grouped": "host", "checks",
    "events": [per-check detail]}); or a digest ({"event": "digest", "events": [...]})."""
    head = {"source": "fleet", "version": 1, "msp": ctx.msp_name, "run_id": events[0].run_id,
            "sweep_at": ctx.run.started_at.isoformat() if ctx.run else None}
    if len(events) == 1:
        return {**head, **_event_doc(events[0], ctx), "summary": _title(events[0])}
    if _one_host(events):
        e = events[0]
        return {**head, "event": e.kind, "grouped": "host", "host": e.host,
                "state": "OK" if e.kind == "resolved" else _worst(events),
                "practice": {"id": e.practice_id, "name": ctx.directory.practice_name(e.practice_id)},
                "client": {"id": e.client_id, "name": ctx.directory.client_name(e.client_id)},
                "summary": _host_title(events), "checks": [x.check_id for x in events],
                "events": [_event_doc(x, ctx) for x in events]}
    failing = sum(1 for e in events if e.kind == "failing")
    return {**head, "event": "digest", "summary": f"{failing} newly failing, {len(events) - failing} resolved",
            "events": [_event_doc(e, ctx) for e in events]}


def _mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _where(e: AlertEvent, ctx: PayloadContext) -> str:
    return f"{ctx.directory.practice_name(e.practice_id)} ({ctx.directory.client_name(e.client_id)})"


def slack_payload(events: Sequence[AlertEvent], ctx: PayloadContext) -> dict[str, Any]:
    """Slack incoming webhook: ``text`` (notification fallback) and Block Kit ``blocks``."""
    if len(events) == 1:
        e = events[0]
        icon = STATE_EMOJI["OK" if e.kind == "resolved" else e.state]
        text = f"{_title(e)} — {_where(e, ctx)}"
        detail = e.message or ("back to OK" if e.kind == "resolved" else "")
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": _title(e)[:150], "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} *{_mrkdwn(_title(e))}*"
                                         + (f"\n{_mrkdwn(detail)}" if detail else "")},
             "fields": [{"type": "mrkdwn", "text": f"*Practice*\n{_mrkdwn(_where(e, ctx))}"},
                        {"type": "mrkdwn", "text": f"*Host*\n`{_mrkdwn(e.host)}`"},
                        {"type": "mrkdwn", "text": f"*Check*\n`{_mrkdwn(e.check_id)}`"},
                        {"type": "mrkdwn", "text": f"*State*\n{e.state}"
                                                   + (f" (was {e.previous_alerted_state})"
                                                      if e.previous_alerted_state else "")}]},
        ]
    elif _one_host(events):
        e = events[0]
        title = _host_title(events)
        icon = STATE_EMOJI["OK" if e.kind == "resolved" else _worst(events)]
        text = f"{title} — {_where(e, ctx)}"
        lines = "\n".join(f"• {_mrkdwn(_check_line(x))}" for x in events[:DIGEST_LINES])
        blocks = [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150], "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": (f"{icon} *{_mrkdwn(title)}*\n{lines}")[:2900]},
             "fields": [{"type": "mrkdwn", "text": f"*Practice*\n{_mrkdwn(_where(e, ctx))}"},
                        {"type": "mrkdwn", "text": f"*Host*\n`{_mrkdwn(e.host)}`"}]},
        ]
    else:
        failing = [e for e in events if e.kind == "failing"]
        text = f"fleet: {len(failing)} checks newly failing, {len(events) - len(failing)} resolved"
        items = [f"{STATE_EMOJI['OK' if e.kind == 'resolved' else e.state]} {_mrkdwn(_title(e))} — "
                 f"{_mrkdwn(_where(e, ctx))}" for e in events[:DIGEST_LINES]]
        if len(events) > DIGEST_LINES:
            items.append(f"… and {len(events) - DIGEST_LINES} more (see `fleet report`)")
        blocks = [{"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}},
                  {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(items)[:2900]}}]
    context = f"{_mrkdwn(ctx.msp_name) + ' · ' if ctx.msp_name else ''}fleet sweep `{events[0].run_id[:12]}`"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {"text": text, "blocks": blocks}


def teams_payload(events: Sequence[AlertEvent], ctx: PayloadContext) -> dict[str, Any]:
    """Microsoft Teams (Workflows / incoming webhook): a message with one Adaptive Card 1.4."""
    body: list[dict[str, Any]]
    if len(events) == 1:
        e = events[0]
        color = TEAMS_COLOR["OK" if e.kind == "resolved" else e.state]
        body = [
            {"type": "TextBlock", "text": _title(e), "weight": "Bolder", "size": "Medium", "color": color,
             "wrap": True},
            {"type": "FactSet", "facts": [
                {"title": "Practice", "value": _where(e, ctx)}, {"title": "Host", "value": e.host},
                {"title": "Check", "value": e.check_id},
                {"title": "State", "value": e.state + (f" (was {e.previous_alerted_state})"
                                                       if e.previous_alerted_state else "")}]},
        ]
        if e.message:
            body.append({"type": "TextBlock", "text": e.message, "wrap": True, "isSubtle": True})
        summary = _title(e)
    elif _one_host(events):
        e = events[0]
        summary = _host_title(events)
        color = TEAMS_COLOR["OK" if e.kind == "resolved" else _worst(events)]
        body = [
            {"type": "TextBlock", "text": summary, "weight": "Bolder", "size": "Medium", "color": color,
             "wrap": True},
            {"type": "FactSet", "facts": [{"title": "Practice", "value": _where(e, ctx)},
                                          {"title": "Host", "value": e.host}]},
            {"type": "FactSet", "facts": [{"title": "OK" if x.kind == "resolved" else x.state,
                                           "value": x.check_id + (f" — {x.message}" if x.message else "")}
                                          for x in events[:DIGEST_LINES]]},
        ]
    else:
        failing = sum(1 for e in events if e.kind == "failing")
        summary = f"fleet: {failing} checks newly failing, {len(events) - failing} resolved"
        body = [{"type": "TextBlock", "text": summary, "weight": "Bolder", "size": "Medium", "wrap": True},
                {"type": "FactSet", "facts": [{"title": e.state if e.kind == "failing" else "RESOLVED",
                                               "value": f"{e.check_id} on {e.host} — {_where(e, ctx)}"}
                                              for e in events[:DIGEST_LINES]]}]
        if len(events) > DIGEST_LINES:
            body.append({"type": "TextBlock", "text": f"… and {len(events) - DIGEST_LINES} more (see fleet report)",
                         "wrap": True, "isSubtle": True})
    body.append({"type": "TextBlock", "text": f"{ctx.msp_name + ' · ' if ctx.msp_name else ''}fleet sweep "
                                              f"{events[0].run_id[:12]}", "size": "Small", "isSubtle": True,
                 "wrap": True})
    return {"type": "message", "summary": summary[:200], "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
        "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                    "version": "1.4", "msteams": {"width": "Full"}, "body": body}}]}


PAYLOADS: dict[str, Callable[[Sequence[AlertEvent], PayloadContext], dict[str, Any]]] = {
    "webhook": webhook_payload, "slack": slack_payload, "teams": teams_payload}


# -- the entry point ----------------------------------------------------------------------------


def send_alerts(store: Store, run_id: str, targets: Sequence[AlertTarget], *,
                redactor: Redactor | None = None, msp_name: str = "", directory: Directory | None = None,
                transport: Transport = http_post, retry: RetryPolicy | None = None,
                sleep: Callable[[float], None] = time.sleep, digest_over: int = DIGEST_OVER) -> AlertOutcome:
    """Fold sweep ``run_id`` into each target's alert state and deliver what is due.

    Never raises for a delivery problem (they are in the outcome); raises ``AlertError`` /
    ``ConfigError`` for an unknown run or a misconfigured target, before anything is sent."""
    for target in targets:
        _check_target(target)
    run = store.run(run_id)
    if run is None:
        raise AlertError(f"no run {run_id!r} in the store", hint="`fleet runs` lists the sweeps")
    if run.kind != "health":
        raise AlertError(f"run {run_id} is a {run.kind} run; alerts follow health sweeps")
    redactor = redactor or Redactor()
    retry = retry or DEFAULT_RETRY
    ctx = PayloadContext(msp_name=msp_name, directory=directory or Directory(), run=run)
    sent: list[AlertEvent] = []
    failures: list[DeliveryFailure] = []
    pending_total, messages, already_all = 0, 0, bool(targets)
    with alert_lock(store):
        for target in targets:
            p, m, a = _process_target(store, run, target, redactor, ctx, transport, retry, sleep, digest_over,
                                      sent, failures)
            pending_total += p
            messages += m
            already_all = already_all and a
    return AlertOutcome(run_id=run.id, sent=tuple(sent), failures=tuple(failures), pending=pending_total,
                        messages=messages, already_processed=already_all)


def _process_target(store: Store, run: RunRecord, target: AlertTarget, redactor: Redactor, ctx: PayloadContext,
                    transport: Transport, retry: RetryPolicy, sleep: Callable[[float], None], digest_over: int,
                    sent: list[AlertEvent], failures: list[DeliveryFailure]) -> tuple[int, int, bool]:
    """One target: advance its state, deliver what is due, mark what was delivered."""
    messages = 0
    due, pending, already = _advance(store, run, target)
    events = [AlertEvent(kind=d["kind"], target=target.name, host=d["row"].host,
                         practice_id=d["row"].practice_id, client_id=d["row"].client_id,
                         check_id=d["row"].check_id, state=d["row"].last_state,
                         message=d["row"].last_message, value=d["row"].last_value, run_id=run.id,
                         streak=d["row"].streak, previous_alerted_state=d["row"].alerted_state
                         if d["kind"] == "resolved" else "")
              for d in due]
    events.sort(key=lambda e: (e.kind != "failing", -SEVERITY.get(e.state, 0), e.client_id, e.practice_id,
                               e.host, e.check_id))
    if not events:
        return pending, messages, already
    groups = group_events(events)
    batches = [events] if len(groups) > digest_over else groups
    build = PAYLOADS[target.kind]
    delivered: list[AlertEvent] = []
    errors: list[str] = []
    for batch in batches:
        payload = redactor.obj(build(batch, ctx))
        ok, _attempts, error = deliver(target.url, payload, transport, retry, sleep)
        if ok:
            delivered.extend(batch)
            messages += 1
        else:
            errors.append(error)
            if "not retried" not in error:
                break  # the receiver is down: leave the rest for the next call rather than wait per event
    _mark(store, target.name, delivered)
    sent.extend(delivered)
    if errors:
        failures.append(DeliveryFailure(target=target.name, error=errors[0], events=len(events) - len(delivered)))
    return pending, messages, already
