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


def test_secrets_added_one_practice_at_a_time_are_all_found_longest_first() -> None:
    """Secrets arrive per practice (a sweep reads each vault when it first judges one of its hosts): the
    search runs on merged chunks (one recompiled alternation per add was quadratic: 1.8 s for 500)."""
    from fleet.secrets.redact import Redactor

    r = Redactor()
    secrets = [f"tok{i:04d}-secret-value" for i in range(300)]
    for i in range(0, 300, 2):
        r.add(secrets[i:i + 2])
        assert r.text("nothing here") == "nothing here"
    assert len(r._chunks) <= 9  # log2(150 adds) + 1
    for s in (secrets[0], secrets[151], secrets[299]):
        assert s not in r.text(f"a {s} b") and "<redacted:" in r.text(f"a {s} b")
        assert r.contains_secret(f"x{s}x")
    r.add(["tok0000-secret-value-longer"])  # holds an earlier one: replaced whole, no tail left
    assert r.text("tok0000-secret-value-longer!").endswith(">!")


def test_structures_are_redacted_with_one_search_unless_a_secret_needs_escaping_in_json() -> None:
    from fleet.secrets.redact import Redactor

    doc = {"host": {"name": "ws01"}, "rows": [{"v": "clean"}, ("tuple", 1, None)], 3: 1.5}
    r = Redactor(["s3cr3t-token"])
    assert r.obj(doc) is doc  # no secret inside: returned as is
    leaked = {"rows": [{"v": "x s3cr3t-token y"}], "t": ("s3cr3t-token",)}
    out = r.obj(leaked)
    assert "s3cr3t-token" not in repr(out) and isinstance(out["t"], tuple)
    q = Redactor(['pa"ss\\word'])  # JSON would escape it: every string is searched instead
    assert "pa\"ss" not in repr(q.obj({"k": ['x pa"ss\\word y']}))
