"""PowerShell scripts: parsed with the tree-sitter PowerShell grammar (no ERROR/MISSING nodes), and
the data literals taken from the parse tree and un-escaped by PowerShell's own rule (written here,
independently of fleet.export.powershell) must equal the original token / names.

PowerShell counts five characters as single quotes (' and U+2018..U+201B); tree-sitter's grammar
only knows ', so the un-escaping below enforces PowerShell's rule itself: a lone quote character
inside the literal would end the string in real PowerShell, and fails the test.
"""

from __future__ import annotations

import re
import string

import pytest
import tree_sitter_powershell
from helpers_export import context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from fleet.errors import FleetError
from fleet.export.base import ExportOptions
from fleet.export.rmm import EXIT_CODES, render_rmm
from fleet.export.windows import render_gpo

PS_QUOTES = "'\u2018\u2019\u201a\u201b"
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# Characters the issue calls out, plus PowerShell's other quote characters and escapes.
NASTY = "'\"`$;]%[{}()@#&|<>\\\u2018\u2019\u201a\u201b\u201c\u201d é€ǅ𝄞\u00a0\t"
token_text = st.text(alphabet=st.sampled_from(NASTY) | st.characters(codec="utf-8"), min_size=1, max_size=40)


def ps_unescape(literal: str) -> str:
    """PowerShell's reading of a single-quoted literal: a pair of quote characters is the second one."""
    assert literal[0] in PS_QUOTES and literal[-1] in PS_QUOTES, literal
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        if body[i] in PS_QUOTES:
            assert i + 1 < len(body) and body[i + 1] in PS_QUOTES, f"lone quote would end the string: {literal!r}"
            out.append(body[i + 1])
            i += 2
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


LANG = Language(tree_sitter_powershell.language())
Q_ASSIGN = Query(LANG, "(assignment_expression (left_assignment_expression) @left (pipeline) @right)")
Q_HASH = Query(LANG, "(hash_entry (key_expression (simple_name) @key) (pipeline) @value)")
Q_PARAM = Query(LANG, "(command_elements (command_parameter) @param . (command_argument_sep) . "
                      "(array_literal_expression) @arg)")
Q_LITERAL = Query(LANG, "(verbatim_string_characters) @lit")
PARSER = Parser(LANG)


def parse(script: bytes) -> Node:
    """Parse a script; fail on any ERROR or MISSING node (listing them)."""
    tree = PARSER.parse(script.decode("utf-8-sig").encode("utf-8"))
    if tree.root_node.has_error:
        bad, stack = [], [tree.root_node]
        while stack:
            n = stack.pop()
            if n.type == "ERROR" or n.is_missing:
                bad.append((n.type, n.start_point, n.text.decode(errors="replace")[:60]))
            elif n.has_error:
                stack.extend(n.children)
        raise AssertionError(f"PowerShell parse errors: {bad}")
    return tree.root_node


def _literals(node: Node) -> list[str]:
    return [n.text.decode() for n in QueryCursor(Q_LITERAL).captures(node).get("lit", [])]


def _one_literal(node: Node, what: str) -> str:
    lits = _literals(node)
    assert len(lits) == 1 and node.text.decode().strip() == lits[0], f"{what} is not one plain literal"
    return ps_unescape(lits[0])


def assignment(root: Node, variable: str) -> Node:
    """The right-hand side of the first assignment to ``$variable``."""
    for _, cap in QueryCursor(Q_ASSIGN).matches(root):
        if cap["left"][0].text.decode().strip() == variable:
            return cap["right"][0]
    raise AssertionError(f"no assignment to {variable}")


def assigned_literal(root: Node, variable: str) -> str:
    """The un-escaped string literal assigned to ``$variable``."""
    return _one_literal(assignment(root, variable), variable)


def hash_literals(root: Node, key: str) -> list[str]:
    """Un-escaped literals of every ``key = '...'`` hash entry, in order."""
    out = []
    for _, cap in QueryCursor(Q_HASH).matches(root):
        if cap["key"][0].text.decode() == key:
            out.append(_one_literal(cap["value"][0], key))
    return out


def parameter_literals(root: Node, parameter: str) -> list[str]:
    """Un-escaped literal arguments of every ``-parameter '...'`` in commands, in order."""
    out = []
    for _, cap in QueryCursor(Q_PARAM).matches(root):
        if cap["param"][0].text.decode() == parameter and _literals(cap["arg"][0]):
            out.append(_one_literal(cap["arg"][0], parameter))
    return out


def rmm_script(token: str, **kw) -> bytes:
    (art,) = render_rmm(context(token, ExportOptions(embed_token=True), **kw))
    assert art.contains_token
    return art.data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token=token_text)
def test_rmm_token_round_trips_or_is_refused(token: str) -> None:
    try:
        script = rmm_script(token)
    except FleetError as exc:
        # only what policy/scripts cannot carry is refused, with a message that does not echo it
        assert any(c in token for c in "\0\r\n") or any(0xD800 <= ord(c) <= 0xDFFF for c in token)
        assert token not in str(exc)
        return
    root = parse(script)
    assert assigned_literal(root, "$EmbeddedToken") == token


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token=token_text, field=st.text(alphabet=st.sampled_from(NASTY + string.ascii_letters), min_size=1,
                                       max_size=20))
def test_setting_names_round_trip_in_rmm_and_gpo_scripts(token: str, field: str) -> None:
    if field in ("url", "org", "online_booking", "interval") or any(c in token for c in "\0\r\n"):
        return
    try:
        ctx = context(token, ExportOptions(embed_token=True), token_field=field)
        rmm = render_rmm(ctx)[0].data
        gpo = next(a for a in render_gpo(ctx) if a.path == "create-gpo.ps1").data
    except FleetError as exc:  # only surrogates, and (gpreport.xml) control characters XML cannot carry
        assert any(0xD800 <= ord(c) <= 0xDFFF for c in token) or XML_INVALID.search(token), exc
        assert token not in str(exc)
        return
    root = parse(rmm)
    assert assigned_literal(root, "$EmbeddedToken") == token
    names = hash_literals(assignment(root, "$Extensions"), "Name")
    assert names.count(field) == 2  # chrome + edge
    groot = parse(gpo)
    assert assigned_literal(groot, "$EmbeddedToken") == token
    assert parameter_literals(groot, "-ValueName").count(field) == 2


@pytest.mark.parametrize("token", ["a'b", "a\u2019b", "'", "\u2018\u2019\u201a\u201b'", "$(calc)", "`n", "x]%;y",
                                   "é€𝄞", "ends with quote'", "'starts"])
def test_known_nasty_tokens(token: str) -> None:
    root = parse(rmm_script(token))
    assert assigned_literal(root, "$EmbeddedToken") == token


def test_naive_escaping_would_be_caught() -> None:
    """The check above has teeth: doubling only ASCII ' leaves a typographic quote that ends the string."""
    naive = "'" + "a\u2019b".replace("'", "''") + "'"
    with pytest.raises(AssertionError, match="lone quote"):
        ps_unescape(naive)


@pytest.mark.parametrize("token", ["line\nbreak", "cr\rhere", "nul\0x"])
def test_unrepresentable_tokens_are_refused_clearly(token: str) -> None:
    with pytest.raises(FleetError) as info:
        rmm_script(token)
    assert "line break" in str(info.value) or "NUL" in str(info.value)
    assert token not in str(info.value)


def test_name_with_line_break_is_refused() -> None:
    with pytest.raises(FleetError, match="line break"):
        render_rmm(context("tok", token_field="to\u2028ken"))


def test_script_without_embedded_token_has_none() -> None:
    ctx = context("secret-token-1234")
    (art,) = render_rmm(ctx)
    assert not art.contains_token
    assert b"secret-token-1234" not in art.data
    root = parse(art.data)
    assert assigned_literal(root, "$EmbeddedToken") == ""
    assert assigned_literal(root, "$ExpectedFingerprint") == ctx.policy.token_fingerprint


def test_rmm_script_shape() -> None:
    ctx = context("tok")
    text = render_rmm(ctx)[0].data.decode("utf-8-sig")
    assert text.startswith("<#")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")  # CRLF throughout
    assert "[Microsoft.Win32.RegistryView]::Registry64" in text  # 64-bit view from 32-bit agents
    assert "gpupdate" in text and "/target:computer" in text
    assert "$env:FLEET_TOKEN" in text
    # every documented exit code is used, and only those
    used = {int(c) for c in re.findall(r"Exit-Fleet (\d+)", text)}
    assert used == set(EXIT_CODES), used
    for code in EXIT_CODES:
        assert re.search(rf"^\s+{code}\s", text, re.M), f"exit code {code} not documented in the help"
    # the script never writes the token to output: no Write-* line mentions the token variables
    for line in text.splitlines():
        if re.search(r"Write-(Output|Host|Verbose|Information|Warning|Error)", line):
            assert "SecretToken" not in line and "$Token" not in line and "EmbeddedToken" not in line, line
    # forcelist and managed keys of both browsers come from the model
    root = parse(text.encode())
    root = assignment(root, "$Extensions")
    assert hash_literals(root, "ForcelistKey") == [e.forcelist_key for e in ctx.policy.extensions]
    assert hash_literals(root, "RootKey") == [e.root_key for e in ctx.policy.extensions]
    # Chrome: the same build joined or not; Edge without an Edge Add-ons build: none for workgroups
    chrome, edge = ctx.policy.extensions
    assert hash_literals(root, "Entry") == [chrome.forcelist_entry, chrome.forcelist_entry, edge.forcelist_entry]
