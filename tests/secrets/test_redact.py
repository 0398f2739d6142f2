"""The redactor: the second line of defence that keeps known secrets out of output and the store."""

from __future__ import annotations

from fleet.secrets.redact import Redactor
from fleet.secrets.store import fingerprint


def test_known_secrets_are_replaced_by_their_fingerprint_everywhere() -> None:
    red = Redactor(["FAKE-TOKEN-1"])
    red.add(["FAKE-KEY-22"])
    doc = {"msg": "token FAKE-TOKEN-1 and key FAKE-KEY-22", "list": ["x FAKE-KEY-22", ("FAKE-TOKEN-1",)], "n": 3}
    out = red.obj(doc)
    assert "FAKE-TOKEN-1" not in repr(out) and "FAKE-KEY-22" not in repr(out)
    assert f"<redacted:{fingerprint('FAKE-TOKEN-1')}>" in out["msg"]
    assert out["n"] == 3 and isinstance(out["list"][1], tuple)


def test_a_secret_added_after_use_is_redacted_too() -> None:
    red = Redactor(["first-secret"])
    assert "first-secret" not in red.text("a first-secret b")
    red.add(["second-secret"])
    assert red.text("second-secret first-secret").count("<redacted:") == 2


def test_the_longest_secret_wins_when_one_contains_another() -> None:
    red = Redactor(["abcd", "abcdefgh"])
    out = red.text("xx abcdefgh yy")
    assert out == f"xx <redacted:{fingerprint('abcdefgh')}> yy"


def test_short_strings_are_not_treated_as_secrets() -> None:
    red = Redactor(["", "abc"])
    assert not red and red.text("abc") == "abc"
