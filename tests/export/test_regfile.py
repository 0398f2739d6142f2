"""Tests for fleet.export.regfile: rendering Registry.pol entries as a .reg file and reading it back."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fleet.export.regfile import (
    RegFileError,
    decode_reg_file,
    encode_reg_file,
    parse_reg,
    render_reg,
)
from fleet.export.regpol import PolEntry, RegPolError, RegType, encode

CHROME = r"SOFTWARE\Policies\Google\Chrome"
FORCELIST = CHROME + r"\ExtensionInstallForcelist"
EXT_ID = "abcdefghijklmnopabcdefghijklmnop"
POLICY = CHROME + "\\3rdparty\\extensions\\" + EXT_ID + "\\policy"
FORCE_ITEM = f"{EXT_ID};https://clients2.google.com/service/update2/crx"

EXAMPLE = [
    PolEntry.sz(FORCELIST, "1", FORCE_ITEM),
    PolEntry.sz(POLICY, "token", 'to"k\\en'),
    PolEntry.delete_value(FORCELIST, "2"),  # grouped back under the first section
    PolEntry.dword(POLICY, "enabled", 42),
    PolEntry.expand_sz(CHROME, "dir", "%TEMP%"),
    PolEntry.multi_sz(CHROME, "list", ["a", "b"]),
    PolEntry.qword(CHROME, "q", 0x0102030405060708),
    PolEntry.binary(CHROME, "bin", b"\x00\xff"),
    PolEntry.sz(CHROME, "", "default"),
    PolEntry.sz(CHROME, 'we"ird\\name', "x"),
]

GOLDEN_REGEDIT5 = (
    "Windows Registry Editor Version 5.00\n"
    "\n"
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome\\ExtensionInstallForcelist]\n"
    '"1"="abcdefghijklmnopabcdefghijklmnop;https://clients2.google.com/service/update2/crx"\n'
    '"2"=-\n'
    "\n"
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome\\3rdparty\\extensions\\"
    "abcdefghijklmnopabcdefghijklmnop\\policy]\n"
    '"token"="to\\"k\\\\en"\n'
    '"enabled"=dword:0000002a\n'
    "\n"
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Google\\Chrome]\n"
    '"dir"=hex(2):25,00,54,00,45,00,4d,00,50,00,25,00,00,00\n'
    '"list"=hex(7):61,00,00,00,62,00,00,00,00,00\n'
    '"q"=hex(b):08,07,06,05,04,03,02,01\n'
    '"bin"=hex:00,ff\n'
    '@="default"\n'
    '"we\\"ird\\\\name"="x"\n'
    "\n"
)


def test_golden_regedit5() -> None:
    assert render_reg(EXAMPLE) == GOLDEN_REGEDIT5


def test_golden_regedit4_uses_ansi_string_bytes() -> None:
    text = render_reg(EXAMPLE, version="REGEDIT4")
    assert text == GOLDEN_REGEDIT5.replace("Windows Registry Editor Version 5.00", "REGEDIT4").replace(
        '"dir"=hex(2):25,00,54,00,45,00,4d,00,50,00,25,00,00,00', '"dir"=hex(2):25,54,45,4d,50,25,00'
    ).replace('"list"=hex(7):61,00,00,00,62,00,00,00,00,00', '"list"=hex(7):61,00,62,00,00')


def test_other_root() -> None:
    text = render_reg([PolEntry.dword("Software\\X", "v", 1)], root="HKEY_CURRENT_USER")
    assert "[HKEY_CURRENT_USER\\Software\\X]\n" in text
    assert parse_reg(text, root="HKEY_CURRENT_USER") == [PolEntry.dword("Software\\X", "v", 1)]
    with pytest.raises(RegFileError, match="not under HKEY_LOCAL_MACHINE"):
        parse_reg(text)


def test_empty_input_is_just_the_header() -> None:
    assert render_reg([]) == "Windows Registry Editor Version 5.00\n\n"
    assert parse_reg(render_reg([])) == []


@pytest.mark.parametrize(
    ("entry", "line"),
    [
        (PolEntry.dword("K", "v", 0), '"v"=dword:00000000'),
        (PolEntry.dword("K", "v", 0xFFFFFFFF), '"v"=dword:ffffffff'),
        (PolEntry.dword_big_endian("K", "v", 1), '"v"=hex(5):00,00,00,01'),
        (PolEntry("K", "v", RegType.REG_NONE, b""), '"v"=hex(0):'),
        (PolEntry.binary("K", "v", b""), '"v"=hex:'),
        (PolEntry.multi_sz("K", "v", []), '"v"=hex(7):00,00'),
        (PolEntry.sz("K", "v", ""), '"v"=""'),
        (PolEntry.sz("K", "@", "x"), '"@"="x"'),
        (PolEntry.sz("K", "v", "[x];=@"), '"v"="[x];=@"'),
        (PolEntry.sz("K", "v", "\\\\server\\share"), '"v"="\\\\\\\\server\\\\share"'),
        (PolEntry.sz("K", "v", '""'), '"v"="\\"\\""'),
        (PolEntry.sz("K", "v", "ü€😀"), '"v"="ü€😀"'),
        (PolEntry.delete_value("K", 'a"b'), '"a\\"b"=-'),
        (PolEntry.sz("K", "**Del.Mixed", " "), '"Mixed"=-'),
    ],
)
def test_value_lines(entry: PolEntry, line: str) -> None:
    text = render_reg([entry])
    assert text == f"Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\K]\n{line}\n\n"


def test_long_hex_wraps_like_regedit() -> None:
    data = bytes(range(256)) * 2
    text = render_reg([PolEntry.binary(CHROME, "blob", data)])
    lines = text.split("\n")[3:-2]
    assert len(lines) > 1
    assert all(len(line) <= 80 for line in lines)
    assert all(line.endswith(",\\") for line in lines[:-1])
    assert all(line.startswith("  ") and not line.startswith("   ") for line in lines[1:])
    assert lines[0].startswith('"blob"=hex:00,01,02,')
    assert lines[-1].endswith("fe,ff")
    assert parse_reg(text) == [PolEntry.binary(CHROME, "blob", data)]


def test_keys_are_grouped_case_insensitively_keeping_order() -> None:
    entries = [
        PolEntry.dword(r"Software\Policies\A", "x", 1),
        PolEntry.dword(r"Software\Policies\B", "y", 1),
        PolEntry.delete_value(r"SOFTWARE\policies\a", "x"),
        PolEntry.dword(r"software\POLICIES\A", "x", 2),
    ]
    text = render_reg(entries)
    assert text.count("[HKEY_LOCAL_MACHINE\\") == 2
    assert text == (
        "Windows Registry Editor Version 5.00\n\n"
        "[HKEY_LOCAL_MACHINE\\Software\\Policies\\A]\n"
        '"x"=dword:00000001\n"x"=-\n"x"=dword:00000002\n\n'
        "[HKEY_LOCAL_MACHINE\\Software\\Policies\\B]\n"
        '"y"=dword:00000001\n\n'
    )


def test_grouping_does_not_merge_keys_windows_keeps_apart() -> None:
    # str.upper() maps "ß" to "SS"; the registry compares character by character.
    text = render_reg([PolEntry.dword("straße", "v", 1), PolEntry.dword("STRASSE", "v", 2)])
    assert text.count("[HKEY_LOCAL_MACHINE\\") == 2


# ---------------------------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "version", "fragment"),
    [
        ([PolEntry.sz("K", "v", "line1\nline2")], "REGEDIT5", "line break"),
        ([PolEntry.sz("K", "v", "line1\r\nline2")], "REGEDIT5", "line break"),
        ([PolEntry.sz("K", "v", "cr\r")], "REGEDIT5", "line break"),
        ([PolEntry.sz("K", "v\n", "x")], "REGEDIT5", "line break"),
        ([PolEntry.dword("K\nX", "v", 1)], "REGEDIT5", "line break"),
        ([PolEntry.delete_value("K", "a\rb")], "REGEDIT5", "line break"),
        ([PolEntry.dword("K]X", "v", 1)], "REGEDIT5", "']'"),
        ([PolEntry.delete_all_values("K")], "REGEDIT5", "cannot delete all values"),
        ([PolEntry.sz("K", "**DelVals.", " ")], "REGEDIT5", "cannot delete all values"),
        ([PolEntry.sz("K", "**DeleteValues", "a;b")], "REGEDIT5", "no .reg equivalent"),
        ([PolEntry.sz("K", "**DeleteKeys", "a")], "REGEDIT5", "no .reg equivalent"),
        ([PolEntry.dword("K", "**SecureKey", 1)], "REGEDIT5", "no .reg equivalent"),
        ([PolEntry.sz("K", "**del.", " ")], "REGEDIT5", "no .reg equivalent"),
        ([PolEntry.sz("K", "v", "é")], "REGEDIT4", "non-ASCII"),
        ([PolEntry.sz("K", "é", "x")], "REGEDIT4", "non-ASCII"),
        ([PolEntry.sz("Ké", "v", "x")], "REGEDIT4", "non-ASCII"),
        ([PolEntry.expand_sz("K", "v", "%é%")], "REGEDIT4", "non-ASCII"),
        ([PolEntry.multi_sz("K", "v", ["a", "😀"])], "REGEDIT4", "non-ASCII"),
        ([PolEntry.delete_value("K", "é")], "REGEDIT4", "non-ASCII"),
    ],
)
def test_render_refuses(entries: list[PolEntry], version: str, fragment: str) -> None:
    with pytest.raises(RegFileError, match=fragment):
        render_reg(entries, version=version)  # type: ignore[arg-type]


SECRET = "tok-SECRET-4242"


@pytest.mark.parametrize(
    ("entry", "version"),
    [
        (PolEntry.sz("K", "token", SECRET + "\n"), "REGEDIT5"),
        (PolEntry.sz("K", "token", SECRET + "\r"), "REGEDIT4"),
        (PolEntry.sz("K", "token", SECRET + "é"), "REGEDIT4"),
        (PolEntry.expand_sz("K", "token", SECRET + "é"), "REGEDIT4"),
        (PolEntry.multi_sz("K", "token", [SECRET, "é"]), "REGEDIT4"),
    ],
)
def test_errors_never_quote_data(entry: PolEntry, version: str) -> None:
    with pytest.raises(RegFileError) as info:
        render_reg([entry], version=version)  # type: ignore[arg-type]
    assert "SECRET" not in str(info.value)
    assert "K\\token" in str(info.value)  # but they do say which value


def test_file_level_errors_never_quote_data() -> None:
    with pytest.raises(RegFileError) as info:
        encode_reg_file(f'REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\K]\n"v"="{SECRET}é"\n', "REGEDIT4")
    assert "SECRET" not in str(info.value)
    with pytest.raises(RegFileError) as info:
        parse_reg(HEAD + f'"v"=string:{SECRET}\n')
    assert "SECRET" not in str(info.value)


def test_regedit5_accepts_what_regedit4_refuses() -> None:
    entries = [PolEntry.sz("Ké", "é", "é"), PolEntry.multi_sz("K", "v", ["😀"])]
    assert parse_reg(render_reg(entries, version="REGEDIT5")) == entries


def test_nul_never_reaches_a_reg_file() -> None:
    # A NUL cannot be put in a quoted .reg string; the entry model refuses it up front.
    for build in (
        lambda: PolEntry.sz("K", "v", "a\x00b"),
        lambda: PolEntry.sz("K", "v\x00", "x"),
        lambda: PolEntry.sz("K\x00", "v", "x"),
    ):
        with pytest.raises(RegPolError):
            build()
    assert issubclass(RegPolError, ValueError) and issubclass(RegFileError, ValueError)


def test_bad_arguments() -> None:
    with pytest.raises(RegFileError, match=r"unknown \.reg version"):
        render_reg([], version="REGEDIT6")  # type: ignore[arg-type]
    with pytest.raises(RegFileError, match="unknown registry root"):
        render_reg([], root="HKLM")
    with pytest.raises(TypeError):
        render_reg([("K", "v", 1, b"")])  # type: ignore[list-item]


# ---------------------------------------------------------------------------------------------
# file bytes
# ---------------------------------------------------------------------------------------------


def test_encode_reg_file_regedit5_is_utf16le_bom_crlf() -> None:
    text = render_reg([PolEntry.sz("K", "v", "é")])
    data = encode_reg_file(text, "REGEDIT5")
    expected = 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\K]\r\n"v"="é"\r\n\r\n'
    assert data == b"\xff\xfe" + expected.encode("utf-16-le")
    assert data[:2] == codecs.BOM_UTF16_LE
    assert b"\n\x00" not in data.replace(b"\r\x00\n\x00", b"")  # every LF is preceded by CR
    assert decode_reg_file(data) == expected
    assert parse_reg(decode_reg_file(data)) == [PolEntry.sz("K", "v", "é")]


def test_encode_reg_file_regedit4_is_ascii_crlf_without_bom() -> None:
    text = render_reg([PolEntry.dword("K", "v", 1)], version="REGEDIT4")
    data = encode_reg_file(text, "REGEDIT4")
    assert data == b'REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\K]\r\n"v"=dword:00000001\r\n\r\n'
    assert parse_reg(decode_reg_file(data)) == [PolEntry.dword("K", "v", 1)]


def test_encode_reg_file_does_not_double_crlf() -> None:
    text = "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\K]\r\n"
    assert encode_reg_file(text, "REGEDIT4") == text.encode("ascii")


def test_encode_reg_file_refusals() -> None:
    with pytest.raises(RegFileError, match="non-ASCII"):
        encode_reg_file('REGEDIT4\n\n[HKEY_LOCAL_MACHINE\\K]\n"v"="é"\n', "REGEDIT4")
    with pytest.raises(RegFileError, match="header"):
        encode_reg_file(render_reg([]), "REGEDIT4")
    with pytest.raises(RegFileError, match="header"):
        encode_reg_file(render_reg([], version="REGEDIT4"), "REGEDIT5")
    with pytest.raises(RegFileError, match="surrogate"):
        encode_reg_file(render_reg([]) + "\ud800", "REGEDIT5")


# ---------------------------------------------------------------------------------------------
# parse_reg on its own
# ---------------------------------------------------------------------------------------------

HEAD = "Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\K]\n"


def test_parse_reg_tolerates_bom_crlf_comments_and_case_of_root() -> None:
    text = (
        "\ufeffWindows Registry Editor Version 5.00\r\n\r\n; comment\r\n"
        '[hkey_local_machine\\K]\r\n"v"=dword:0000000A\r\n'
    )
    assert parse_reg(text) == [PolEntry.dword("K", "v", 10)]


def test_parse_reg_does_not_split_on_unicode_line_separators() -> None:
    value = "a\u2028b\x85c\x0bd\x1ce"
    assert parse_reg(render_reg([PolEntry.sz("K", "v", value)])) == [PolEntry.sz("K", "v", value)]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "header"),
        ("REGEDIT5\n", "header"),
        ('Windows Registry Editor Version 5.00\n"v"="x"\n', "outside any"),
        ("Windows Registry Editor Version 5.00\n[-HKEY_LOCAL_MACHINE\\K]\n", "key deletion"),
        ("Windows Registry Editor Version 5.00\n[HKEY_LOCAL_MACHINE\\K\n", "closing"),
        ("Windows Registry Editor Version 5.00\n[HKEY_LOCAL_MACHINE\\]\n", "not under"),
        (HEAD + '"v"="x\n', "unterminated"),
        (HEAD + '"v"="a\\nb"\n', "escape"),
        (HEAD + '"v"="x" junk\n', "unexpected text"),
        (HEAD + '"v" = "x"\n', "'='"),
        (HEAD + "v=1\n", "value name"),
        (HEAD + '"v"=dword:1\n', "unsupported value data"),
        (HEAD + '"v"=hex:0g\n', "malformed hex"),
        (HEAD + '"v"=hex(4):01,00\n', "4 bytes"),
        (HEAD + '"v"=hex(6):00\n', "6"),
        (HEAD + '"v"=hex(1):61,00\n', "NUL terminator"),
        (HEAD + "@=-\n", "default value"),
        (HEAD + '"**SecureKey"=dword:00000001\n', "directives"),
        (HEAD + '"**del.x"="y"\n', "directives"),
        ("Windows Registry Editor Version 5.00\r\r\n", "carriage return"),
    ],
)
def test_parse_reg_errors(text: str, fragment: str) -> None:
    with pytest.raises(RegFileError, match=fragment):
        parse_reg(text)


def test_parse_reg_reads_hex_types_into_entries() -> None:
    text = HEAD + '"s"=hex(1):61,00,00,00\n"d"=hex(4):01,00,00,00\n"l"=hex(7):\\\n  00,00\n'
    assert parse_reg(text) == [PolEntry.sz("K", "s", "a"), PolEntry.dword("K", "d", 1), PolEntry.multi_sz("K", "l", [])]


# ---------------------------------------------------------------------------------------------
# hypothesis round trips
# ---------------------------------------------------------------------------------------------

line_char = st.one_of(
    st.sampled_from([*'\\"[]@=;*.- \t', "\u2028", "\x85", "\ufeff", "é", "😀"]),
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r\n"),
)
ascii_char = st.characters(min_codepoint=1, max_codepoint=127, exclude_characters="\r\n")
HIVES = {"HKEY_LOCAL_MACHINE", "HKLM", "HKEY_CURRENT_USER", "HKCU", "HKEY_USERS", "HKU"}
HIVES |= {"HKEY_CLASSES_ROOT", "HKCR", "HKEY_CURRENT_CONFIG", "HKCC"}


def entries_of(chars: st.SearchStrategy[str]) -> st.SearchStrategy[PolEntry]:
    component = st.text(chars.filter(lambda c: c not in "\\]"), min_size=1, max_size=10)
    key = st.lists(component, min_size=1, max_size=3).filter(lambda parts: parts[0].upper() not in HIVES).map("\\".join)
    # A small pool of keys (plus case variants) so grouping is exercised.
    keys = st.lists(key, min_size=1, max_size=3).flatmap(
        lambda pool: st.sampled_from(pool + [k.upper() for k in pool] + [k.lower() for k in pool])
    )
    name = st.text(chars, max_size=15).filter(lambda n: not n.startswith("**"))
    text = st.text(chars, max_size=30)
    u32 = st.integers(0, 2**32 - 1)
    return st.one_of(
        st.builds(PolEntry.sz, keys, name, text),
        st.builds(PolEntry.expand_sz, keys, name, text),
        st.builds(PolEntry.dword, keys, name, u32),
        st.builds(PolEntry.dword_big_endian, keys, name, u32),
        st.builds(PolEntry.qword, keys, name, st.integers(0, 2**64 - 1)),
        st.builds(PolEntry.multi_sz, keys, name, st.lists(st.text(chars, min_size=1, max_size=8), max_size=4)),
        st.builds(PolEntry.binary, keys, name, st.binary(max_size=60)),
        st.builds(lambda k, n, d: PolEntry(k, n, RegType.REG_NONE, d), keys, name, st.binary(max_size=6)),
        st.builds(PolEntry.delete_value, keys, name.filter(bool)),
    )


def fold(key: str) -> str:
    return "".join(ch.upper() if len(ch.upper()) == 1 else ch for ch in key)


def grouped(entries: list[PolEntry]) -> list[PolEntry]:
    """What a .reg round trip yields: entries grouped per key (first spelling wins), order kept."""
    first: dict[str, str] = {}
    for e in entries:
        first.setdefault(fold(e.key), e.key)
    return [PolEntry(first[f], e.value, e.type, e.data) for f in first for e in entries if fold(e.key) == f]


# No per-example deadline: a loaded CI machine must not turn slow examples into failures.
NO_DEADLINE = settings(deadline=None)


@NO_DEADLINE
@given(st.lists(entries_of(line_char), max_size=10))
def test_round_trip_regedit5(entries: list[PolEntry]) -> None:
    text = render_reg(entries)
    assert parse_reg(text) == grouped(entries)
    assert parse_reg(decode_reg_file(encode_reg_file(text))) == grouped(entries)
    # Same registry effect as the Registry.pol of the same entries.
    assert encode(parse_reg(text)) == encode(grouped(entries))


@NO_DEADLINE
@given(st.lists(entries_of(ascii_char), max_size=10))
def test_round_trip_regedit4(entries: list[PolEntry]) -> None:
    text = render_reg(entries, version="REGEDIT4")
    assert text.isascii()
    assert parse_reg(text) == grouped(entries)
    assert parse_reg(decode_reg_file(encode_reg_file(text, "REGEDIT4"))) == grouped(entries)


@NO_DEADLINE
@given(st.text(line_char, max_size=20), st.sampled_from(["\r", "\n", "\r\n"]), st.text(line_char, max_size=20))
def test_any_line_break_in_sz_is_refused(before: str, brk: str, after: str) -> None:
    with pytest.raises(RegFileError, match="line break"):
        render_reg([PolEntry.sz("K", "v", before + brk + after)])


@NO_DEADLINE
@given(st.text(line_char, min_size=1, max_size=20).filter(lambda s: not s.isascii()))
def test_regedit4_refuses_any_non_ascii(text: str) -> None:
    with pytest.raises(RegFileError, match="non-ASCII"):
        render_reg([PolEntry.sz("K", "v", text)], version="REGEDIT4")


@NO_DEADLINE
@given(st.text(line_char, max_size=30), st.text(line_char, min_size=1, max_size=10))
def test_quoting_escapes_exactly_backslash_and_quote(text: str, name: str) -> None:
    assume(not name.startswith("**"))
    line = render_reg([PolEntry.sz("K", name, text)]).split("\n")[3]

    def quoted(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    assert line == f"{quoted(name)}={quoted(text)}"
