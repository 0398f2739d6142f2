"""The judging layer's front door: whatever a host sends, it is facts or a reason, never a crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from healthkit import NOW, TOKEN, expectations, host, ws_facts
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.health.checks import default_checks
from fleet.health.facts import MAX_ROWS, FactsError, HostFacts, parse_facts
from fleet.health.model import State
from fleet.health.sweep import SweepHost, judge
from fleet.health.transport import RawResult
from fleet.secrets.redact import Redactor

LIMIT = 1024 * 1024
GOOD = ws_facts()


def _bytes(doc: object) -> bytes:
    return json.dumps(doc).encode()


BAD: list[tuple[str, bytes, str]] = [
    ("empty", b"", "no output"),
    ("whitespace", b"  \n", "no output"),
    ("banner", b"Welcome to Bright Smiles!\n", "not JSON"),
    ("html", b"<html><body>502</body></html>", "not JSON"),
    ("truncated", _bytes(GOOD)[:-20], "not JSON"),
    ("binary", bytes(range(256)), "not JSON"),
    ("a list", b"[1, 2, 3]", "expected a JSON object"),
    ("a string", b'"ok"', "expected a JSON object"),
    ("foreign object", b'{"status": "ok", "hosts": []}', "not a fleet health document"),
    ("future schema", _bytes({**GOOD, "fleet_health": 2}), "schema 2"),
    ("schema as text", _bytes({**GOOD, "fleet_health": "1"}), "schema '1'"),
    ("disk size as text", _bytes({**GOOD, "disks": [{"mount": "/", "total_mb": "lots", "free_mb": 1}]}),
     "disks[0].total_mb: expected a number, got text"),
    ("disk size fractional", _bytes({**GOOD, "disks": [{"mount": "/", "total_mb": 1.5, "free_mb": 1}]}),
     "disks[0].total_mb: expected a whole number"),
    ("bool as number", _bytes({**GOOD, "disks": [{"mount": "/", "total_mb": True, "free_mb": 1}]}),
     "expected a number, got true/false"),
    ("missing field", _bytes({**GOOD, "forcelist": [{"browser": "chrome", "source": "x"}]}),
     "forcelist[0]: missing 'entry'"),
    ("row not an object", _bytes({**GOOD, "profiles": ["Default"]}), "profiles[0]: expected an object"),
    ("table not a list", _bytes({**GOOD, "services": "none"}), "services: expected a list, got text"),
    ("host not an object", _bytes({**GOOD, "host": [1]}), "host: expected an object"),
    ("null where text", _bytes({**GOOD, "browsers": [{"browser": None}]}), "browsers[0].browser: null"),
    ("running as text", _bytes({**GOOD, "services": [{"name": "S", "running": "yes"}]}),
     "services[0].running: expected true/false"),
    ("NaN time", json.dumps({**GOOD, "host": {"time": float("nan")}}).encode(), "not a finite number"),
    ("huge string", _bytes({**GOOD, "errors": [{"where": "x", "error": "e" * 5000}]}), "more than 4096"),
    ("too many rows", _bytes({**GOOD, "profiles": [{"browser": "c", "user": "u", "profile": "p"}] * (MAX_ROWS + 1)}),
     "more than 2000"),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, ""),
    ("over the limit", b"{" + b" " * LIMIT + b"}", "over the"),
]


@pytest.mark.parametrize(("data", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_unusable_output_is_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(FactsError) as err:
        parse_facts(data, LIMIT)
    assert reason in err.value.reason
    assert len(err.value.reason) < 300
    if data:
        assert data[:40].decode(errors="replace") not in err.value.reason or reason == ""


def test_good_output_parses_and_unknown_keys_are_dropped() -> None:
    doc = {**GOOD, "patients": [{"name": "Jane Doe"}], "host": {**GOOD["host"], "ssn": "123-45-6789"}}
    f = parse_facts(_bytes(doc), LIMIT)
    assert isinstance(f, HostFacts) and f.host.hostname == "h1" and len(f.forcelist) == 2
    stored = json.dumps(f.to_dict())
    assert "Jane" not in stored and "123-45" not in stored


def test_powershell_single_row_objects_are_taken_as_lists() -> None:
    doc = {**GOOD, "disks": {"mount": "C:", "total_mb": 100, "free_mb": 50}}
    assert parse_facts(_bytes(doc), LIMIT).disks[0].mount == "C:"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["fleet_health", "collector", "host", "managed", "disks", "browsers",
                                        "services", "endpoint", "forcelist", "errors", "extensions"]),
                       json_values, max_size=8))
def test_any_json_is_facts_or_a_reason(doc: dict) -> None:
    doc.setdefault("fleet_health", 1)
    try:
        parse_facts(_bytes(doc), LIMIT)
    except FactsError as exc:
        assert exc.reason


# -- judge: a host's answer -> host row + check rows --------------------------------------------


def _plan(role: str = "workstation") -> SweepHost:
    x = expectations(role=role, pms="dentrix_ascend" if role == "workstation" else "eaglesoft")
    checks = default_checks().applicable(role, "linux", x.install_method)
    return SweepHost(host(role), x, checks)


def _raw(data: bytes = b"", **kw: object) -> RawResult:
    return RawResult("h1", data, NOW - 0.3, NOW + 0.3, **kw)  # type: ignore[arg-type]


def test_judge_good_answer() -> None:
    plan = _plan()
    j = judge(plan, _raw(_bytes(GOOD), exit_code=0), Redactor([TOKEN]), None, LIMIT)
    assert j.host_result.status == "ok" and j.host_result.failures == 0
    assert {c.check_id for c in j.checks} == {c.id for c in plan.checks}
    assert j.host_result.facts["role"] == "workstation" and j.host_result.facts["install_method"] == "chrome_extension"
    assert j.outcome.covered(default_checks().coverage_ids) is True


def test_judge_unreachable_host_is_unknown_with_last_seen() -> None:
    plan = _plan()
    seen = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    j = judge(plan, _raw(error="ssh: connect to host 10.0.0.5 port 22: Connection refused", unreachable=True),
              Redactor(), seen, LIMIT)
    assert j.host_result.status == "unreachable"
    states = {c.check_id: c for c in j.checks}
    assert all(c.state == "UNKNOWN" for c in j.checks)
    assert "Connection refused" in states["reachable"].message
    assert "last seen 2026-11-01 03:00" in states["reachable"].message
    assert states["reachable"].value == seen.isoformat()
    assert j.host_result.facts["last_seen"] == seen.isoformat()
    assert j.outcome.covered(default_checks().coverage_ids) is False


@pytest.mark.parametrize(("data", "fragment"), [b[1:] for b in BAD[:12]], ids=[b[0] for b in BAD[:12]])
def test_judge_garbage_is_unknown_with_the_reason_and_no_content(data: bytes, fragment: str) -> None:
    j = judge(_plan(), _raw(data, exit_code=0), Redactor(), None, LIMIT)
    assert j.host_result.status == "unknown"
    assert all(c.state == "UNKNOWN" for c in j.checks)
    reach = next(c for c in j.checks if c.check_id == "reachable")
    assert "unusable data" in reach.message and fragment in reach.message
    assert "Welcome" not in json.dumps(j.host_result.facts) + reach.message


def test_judge_redacts_a_secret_a_host_echoes_back() -> None:
    j = judge(_plan(), _raw(error=f"collector exited with 1: bad token {TOKEN}"), Redactor([TOKEN]), None, LIMIT)
    assert TOKEN not in j.host_result.message and "<redacted:" in j.host_result.message
    assert all(TOKEN not in c.message for c in j.checks)


def test_judge_failing_checks_count_and_summarise() -> None:
    doc = ws_facts(token="OTHER")
    j = judge(_plan(), _raw(_bytes(doc), exit_code=0), Redactor(), None, LIMIT)
    assert j.outcome.worst is State.CRITICAL and "extension_token" in j.host_result.message
    assert j.host_result.failures == 2  # extension_token, and in_sync (the sum: the deploy would set it)
    assert j.outcome.states["in_sync"] is State.WARNING


@pytest.mark.parametrize("newline", ["\n", "\r\n"])  # Windows OpenSSH sends CRLF
def test_the_answer_is_found_among_what_a_login_shell_prints(newline: str) -> None:
    """Debian's bash runs ~/.bashrc for an ssh command, OpenSSH's PowerShell DefaultShell the user's
    profile: their greetings share stdout with the answer. Before: 'output is not JSON', host UNKNOWN."""
    answer = json.dumps(GOOD, separators=(",", ":"))
    data = newline.join(["Welcome to Bright Smiles!", '{"motd": "backup at 22:00"}', answer, "logged out", ""])
    f = parse_facts(data.encode(), LIMIT)
    assert f.host.hostname == "h1" and len(f.forcelist) == 2  # our file in Chrome's and Chromium's folders
    note = [e for e in f.errors if e.where == "login output"]
    assert len(note) == 1 and note[0].error.startswith("3 line(s) of other output")
    stored = json.dumps(f.to_dict())
    assert "Welcome" not in stored and "backup" not in stored and "logged out" not in stored


def test_the_answer_among_other_output_must_still_be_ours() -> None:
    # the schema key anywhere in the object (a hashtable in Constrained Language Mode has no order)
    clm = json.dumps({"collector": "windows", "fleet_health": 1, "host": {"hostname": "w1", "os": "Windows"},
                      "managed": {"kind": "unknown"}})
    assert parse_facts(f"PS banner\n{clm}\n".encode(), LIMIT).host.hostname == "w1"
    for data in (b'hello\n{"motd": 1}\n', b'hello\n{"fleet_health": 1, broken\n', b"hello\n{}\n"):
        with pytest.raises(FactsError, match="not JSON"):
            parse_facts(data, LIMIT)
