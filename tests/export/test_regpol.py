"""Tests for fleet.export.regpol, the Registry.pol (PReg) codec.

Expected bytes are built here by hand (struct + str.encode("utf-16-le")), independently of the codec.
Samba's NDR ``preg`` parser/writer (Debian ``python3-samba``, system Python only) is the independent
reference: it runs in one long-lived ``/usr/bin/python3`` subprocess that reads files we wrote and
packs files for us to read.
"""

from __future__ import annotations

import json
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fleet.export.regpol import (
    MAX_KEY_COMPONENT_UNITS,
    MAX_VALUE_NAME_UNITS,
    PolEntry,
    RegPolError,
    RegType,
    decode,
    encode,
)

# ---------------------------------------------------------------------------------------------
# hand-built bytes, independent of the codec
# ---------------------------------------------------------------------------------------------

HEADER = b"PReg" + struct.pack("<I", 1)


def u16(text: str) -> bytes:
    return text.encode("utf-16-le")


def u16z(text: str) -> bytes:
    return u16(text) + b"\x00\x00"


def raw_entry(key: str, value: str, type_: int, data: bytes, size: int | None = None) -> bytes:
    """``[key;value;type;size;data]`` as Windows writes it."""
    return (
        u16("[")
        + u16z(key)
        + u16(";")
        + u16z(value)
        + u16(";")
        + struct.pack("<I", type_)
        + u16(";")
        + struct.pack("<I", len(data) if size is None else size)
        + u16(";")
        + data
        + u16("]")
    )


KEY = r"SOFTWARE\Policies\Google\Chrome"
FORCELIST = KEY + r"\ExtensionInstallForcelist"
EXT_ID = "abcdefghijklmnopabcdefghijklmnop"
UPDATE_URL = "https://clients2.google.com/service/update2/crx"
POLICY_KEY = KEY + "\\3rdparty\\extensions\\" + EXT_ID + "\\policy"

# (entry built with the public API, the exact bytes Windows expects for it)
EXACT_CASES: list[tuple[str, PolEntry, bytes]] = [
    (
        "sz forcelist item with ';' in data",
        PolEntry.sz(FORCELIST, "1", f"{EXT_ID};{UPDATE_URL}"),
        raw_entry(FORCELIST, "1", 1, u16(f"{EXT_ID};{UPDATE_URL}") + b"\x00\x00"),
    ),
    (
        "sz whose data spells the delimiters ]; and [",
        PolEntry.sz(KEY, "token", "a];[b]"),
        raw_entry(KEY, "token", 1, b"a\x00]\x00;\x00[\x00b\x00]\x00\x00\x00"),
    ),
    ("empty sz is just the NUL", PolEntry.sz(KEY, "e", ""), raw_entry(KEY, "e", 1, b"\x00\x00")),
    (
        "expand_sz",
        PolEntry.expand_sz(KEY, "dir", r"%ProgramFiles%\x"),
        raw_entry(KEY, "dir", 2, u16(r"%ProgramFiles%\x") + b"\x00\x00"),
    ),
    ("dword", PolEntry.dword(KEY, "n", 42), raw_entry(KEY, "n", 4, b"\x2a\x00\x00\x00")),
    (
        "dword whose bytes are ']' and ';'",
        PolEntry.dword(KEY, "n", 0x003B005D),
        raw_entry(KEY, "n", 4, b"]\x00;\x00"),
    ),
    (
        "dword big-endian",
        PolEntry.dword_big_endian(KEY, "be", 0x01020304),
        raw_entry(KEY, "be", 5, b"\x01\x02\x03\x04"),
    ),
    (
        "qword",
        PolEntry.qword(KEY, "q", 0x0102030405060708),
        raw_entry(KEY, "q", 11, b"\x08\x07\x06\x05\x04\x03\x02\x01"),
    ),
    (
        "multi_sz",
        PolEntry.multi_sz(KEY, "list", ["a;b", "c]"]),
        raw_entry(KEY, "list", 7, u16("a;b") + b"\x00\x00" + u16("c]") + b"\x00\x00" + b"\x00\x00"),
    ),
    ("empty multi_sz is one NUL", PolEntry.multi_sz(KEY, "list", []), raw_entry(KEY, "list", 7, b"\x00\x00")),
    (
        "binary made of delimiter bytes",
        PolEntry.binary(KEY, "bin", b"]\x00;\x00[\x00\x00\x00\xff"),
        raw_entry(KEY, "bin", 3, b"]\x00;\x00[\x00\x00\x00\xff"),
    ),
    ("reg_none", PolEntry(KEY, "none", RegType.REG_NONE, b"\x01"), raw_entry(KEY, "none", 0, b"\x01")),
    (
        "**del. marker: REG_SZ ' ' like the Group Policy editor",
        PolEntry.delete_value(FORCELIST, "7"),
        raw_entry(FORCELIST, "**del.7", 1, b" \x00\x00\x00"),
    ),
    (
        "**delvals. marker",
        PolEntry.delete_all_values(FORCELIST),
        raw_entry(FORCELIST, "**delvals.", 1, b" \x00\x00\x00"),
    ),
    (
        "non-ASCII and astral names and data",
        PolEntry.sz(KEY + r"\Zürich😀", "wért😀", "ü€😀"),
        raw_entry(KEY + r"\Zürich😀", "wért😀", 1, "ü€😀".encode("utf-16-le") + b"\x00\x00"),
    ),
    (
        "names holding ; [ ] are fine (they are NUL-terminated)",
        PolEntry.dword(r"A;[x]\B", "v;]", 1),
        raw_entry(r"A;[x]\B", "v;]", 4, b"\x01\x00\x00\x00"),
    ),
    ("empty value name", PolEntry.sz(KEY, "", "d"), raw_entry(KEY, "", 1, b"d\x00\x00\x00")),
]


@pytest.mark.parametrize(("entry", "expected"), [c[1:] for c in EXACT_CASES], ids=[c[0] for c in EXACT_CASES])
def test_encode_is_byte_exact(entry: PolEntry, expected: bytes) -> None:
    assert encode([entry]) == HEADER + expected


@pytest.mark.parametrize(("entry", "raw"), [c[1:] for c in EXACT_CASES], ids=[c[0] for c in EXACT_CASES])
def test_decode_hand_built_bytes(entry: PolEntry, raw: bytes) -> None:
    assert decode(HEADER + raw) == [entry]


def test_encode_several_entries_in_order() -> None:
    entries = [e for _, e, _ in EXACT_CASES]
    assert encode(entries) == HEADER + b"".join(raw for _, _, raw in EXACT_CASES)
    assert decode(encode(entries)) == entries


def test_empty_file_is_just_the_header() -> None:
    assert encode([]) == b"PReg\x01\x00\x00\x00"
    assert decode(b"PReg\x01\x00\x00\x00") == []


def test_header_bytes_spelled_out() -> None:
    data = encode([PolEntry.dword("A", "b", 1)])
    assert data[:8] == bytes([0x50, 0x52, 0x65, 0x67, 1, 0, 0, 0])
    # '[' 'A' NUL ';' 'b' NUL ';' type ';' size ';' data ']'
    assert data[8:] == bytes.fromhex("5b00410000003b00620000003b00040000003b00040000003b00010000005d00")


def test_decode_reads_data_by_size_not_by_searching() -> None:
    # The data of the first entry contains what looks like the end of it and a whole fake entry.
    fake = raw_entry("Fake", "f", 4, b"\x09\x00\x00\x00")
    data = b"x\x00" + u16("]") + fake + b"\x00\x00"
    raw = raw_entry("Real", "r", 3, data) + raw_entry("Next", "n", 4, b"\x02\x00\x00\x00")
    assert decode(HEADER + raw) == [PolEntry.binary("Real", "r", data), PolEntry.dword("Next", "n", 2)]


# ---------------------------------------------------------------------------------------------
# typed accessors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "value"),
    [
        (PolEntry.sz("A", "v", "x;y"), "x;y"),
        (PolEntry.sz("A", "v", ""), ""),
        (PolEntry.expand_sz("A", "v", "%TEMP%"), "%TEMP%"),
        (PolEntry.dword("A", "v", 0xFFFFFFFF), 0xFFFFFFFF),
        (PolEntry.dword_big_endian("A", "v", 0x01020304), 0x01020304),
        (PolEntry("A", "v", RegType.REG_DWORD_BIG_ENDIAN, b"\x00\x00\x01\x00"), 256),
        (PolEntry("A", "v", RegType.REG_DWORD, b"\x00\x00\x01\x00"), 65536),
        (PolEntry.qword("A", "v", 2**64 - 1), 2**64 - 1),
        (PolEntry.multi_sz("A", "v", ["a", "b c"]), ["a", "b c"]),
        (PolEntry.multi_sz("A", "v", []), []),
        (PolEntry("A", "v", RegType.REG_MULTI_SZ, b"\x00\x00\x00\x00"), []),
        (PolEntry("A", "v", RegType.REG_MULTI_SZ, u16("a\x00\x00")), ["a"]),
        (PolEntry.binary("A", "v", b"\x00\x01"), b"\x00\x01"),
        (PolEntry("A", "v", RegType.REG_NONE, b"zz"), b"zz"),
    ],
)
def test_decoded(entry: PolEntry, value: object) -> None:
    assert entry.decoded() == value
    assert type(entry.decoded()) is type(value)


def test_markers_are_recognised_case_insensitively() -> None:
    assert PolEntry.delete_value("A", "x").deleted_value == "x"
    assert PolEntry.sz("A", "**Del.Y", " ").deleted_value == "Y"
    assert PolEntry.sz("A", "**del.", " ").deleted_value is None
    assert PolEntry.sz("A", "x", " ").deleted_value is None
    assert PolEntry.delete_all_values("A").is_delete_all_values
    assert PolEntry.sz("A", "**DelVals.", " ").is_delete_all_values
    assert not PolEntry.delete_value("A", "x").is_delete_all_values


def test_int_type_is_coerced_to_regtype() -> None:
    entry = PolEntry("A", "v", 4, b"\x01\x00\x00\x00")  # type: ignore[arg-type]
    assert entry.type is RegType.REG_DWORD
    assert entry == PolEntry.dword("A", "v", 1)


# ---------------------------------------------------------------------------------------------
# what cannot be represented is refused, with RegPolError
# ---------------------------------------------------------------------------------------------

REFUSED: list[tuple[str, Any]] = [
    ("NUL in key", lambda: PolEntry.sz("A\x00B", "v", "x")),
    ("NUL in value name", lambda: PolEntry.sz("A", "v\x00w", "x")),
    ("NUL in sz text", lambda: PolEntry.sz("A", "v", "x\x00y")),
    ("NUL in expand_sz text", lambda: PolEntry.expand_sz("A", "v", "x\x00")),
    ("NUL in multi_sz item", lambda: PolEntry.multi_sz("A", "v", ["a\x00b"])),
    ("empty multi_sz item", lambda: PolEntry.multi_sz("A", "v", ["a", "", "b"])),
    ("multi_sz given a str", lambda: PolEntry.multi_sz("A", "v", "ab")),
    ("empty key", lambda: PolEntry.sz("", "v", "x")),
    ("leading backslash", lambda: PolEntry.sz(r"\A", "v", "x")),
    ("trailing backslash", lambda: PolEntry.sz("A\\", "v", "x")),
    ("doubled backslash", lambda: PolEntry.sz(r"A\\B", "v", "x")),
    ("hive in key", lambda: PolEntry.sz(r"HKEY_LOCAL_MACHINE\SOFTWARE", "v", "x")),
    ("abbreviated hive in key", lambda: PolEntry.sz(r"hklm\SOFTWARE", "v", "x")),
    ("key component too long", lambda: PolEntry.sz("A\\" + "k" * (MAX_KEY_COMPONENT_UNITS + 1), "v", "x")),
    ("astral chars count twice", lambda: PolEntry.sz("😀" * 128, "v", "x")),
    ("value name too long", lambda: PolEntry.sz("A", "v" * (MAX_VALUE_NAME_UNITS + 1), "x")),
    ("lone surrogate in key", lambda: PolEntry.sz("A\ud800", "v", "x")),
    ("lone surrogate in value", lambda: PolEntry.sz("A", "\udfff", "x")),
    ("lone surrogate in data", lambda: PolEntry.sz("A", "v", "\ud83d")),
    ("dword negative", lambda: PolEntry.dword("A", "v", -1)),
    ("dword too big", lambda: PolEntry.dword("A", "v", 2**32)),
    ("dword bool", lambda: PolEntry.dword("A", "v", True)),
    ("qword too big", lambda: PolEntry.qword("A", "v", 2**64)),
    ("dword as str", lambda: PolEntry.dword("A", "v", "1")),
    ("del marker without name", lambda: PolEntry.delete_value("A", "")),
    ("raw dword of 3 bytes", lambda: PolEntry("A", "v", RegType.REG_DWORD, b"\x01\x02\x03")),
    ("raw qword of 4 bytes", lambda: PolEntry("A", "v", RegType.REG_QWORD, b"\x01\x02\x03\x04")),
    ("raw sz without NUL", lambda: PolEntry("A", "v", RegType.REG_SZ, u16("ab"))),
    ("raw sz of size 0", lambda: PolEntry("A", "v", RegType.REG_SZ, b"")),
    ("raw sz odd length", lambda: PolEntry("A", "v", RegType.REG_SZ, b"a\x00\x00")),
    ("raw sz inner NUL", lambda: PolEntry("A", "v", RegType.REG_SZ, u16("a\x00b\x00"))),
    ("raw sz invalid utf-16", lambda: PolEntry("A", "v", RegType.REG_SZ, b"\x00\xd8\x00\x00")),
    ("raw multi_sz single terminator", lambda: PolEntry("A", "v", RegType.REG_MULTI_SZ, u16("a\x00"))),
    ("raw multi_sz empty item", lambda: PolEntry("A", "v", RegType.REG_MULTI_SZ, u16("a\x00\x00b\x00\x00"))),
    ("raw multi_sz no data", lambda: PolEntry("A", "v", RegType.REG_MULTI_SZ, b"")),
    ("raw multi_sz empty first item", lambda: PolEntry("A", "v", RegType.REG_MULTI_SZ, u16("\x00a\x00\x00"))),
    ("raw multi_sz three NULs", lambda: PolEntry("A", "v", RegType.REG_MULTI_SZ, u16("\x00\x00\x00"))),
    ("unknown type REG_LINK", lambda: PolEntry("A", "v", 6, b"ab")),
    ("type given as str", lambda: PolEntry("A", "v", "REG_SZ", b"a\x00\x00\x00")),
    ("data given as str", lambda: PolEntry("A", "v", RegType.REG_BINARY, "ab")),
    ("key given as bytes", lambda: PolEntry(b"A", "v", RegType.REG_BINARY, b"")),
]


@pytest.mark.parametrize("build", [c[1] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_unrepresentable_entries_are_refused(build: Any) -> None:
    with pytest.raises(RegPolError):
        build()


def test_length_limits_are_inclusive() -> None:
    longest = "k" * MAX_KEY_COMPONENT_UNITS
    assert decode(encode([PolEntry.sz(longest + "\\" + longest, "v" * MAX_VALUE_NAME_UNITS, "x")]))
    assert PolEntry.sz("😀" * 127 + "k", "v", "x")  # 255 UTF-16 units


def test_encode_rejects_non_entries() -> None:
    with pytest.raises(TypeError):
        encode([("A", "v", 1, b"")])  # type: ignore[list-item]


def test_entries_are_immutable() -> None:
    entry = PolEntry.dword("A", "v", 1)
    with pytest.raises(AttributeError):
        entry.data = b"\x02\x00\x00\x00"  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# malformed files: RegPolError naming the byte offset
# ---------------------------------------------------------------------------------------------

GOOD = raw_entry("A", "v", 4, b"\x01\x00\x00\x00")  # 38 bytes, starts at offset 8
E0 = len(HEADER)
DATA_AT = E0 + 2 + 4 + 2 + 4 + 2 + 4 + 2 + 4 + 2  # where the data of GOOD starts

MALFORMED: list[tuple[str, bytes, str, int]] = [
    ("empty input", b"", "truncated header", 0),
    ("header cut short", b"PReg\x01\x00", "truncated header", 4),
    ("bad signature", b"preg\x01\x00\x00\x00", "bad signature", 0),
    ("bad version", b"PReg\x02\x00\x00\x00" + GOOD, "unsupported version 2", 4),
    ("version 0", b"PReg\x00\x00\x00\x00", "unsupported version 0", 4),
    ("no opening bracket", HEADER + b"(" + GOOD[1:], "expected '['", E0),
    ("half a bracket", HEADER + b"[", "truncated", E0),
    ("missing closing bracket", HEADER + GOOD[:-2], "expected ']'", len(HEADER + GOOD) - 2),
    ("wrong closing bracket", HEADER + GOOD[:-2] + u16(")"), "expected ']'", len(HEADER + GOOD) - 2),
    ("garbage after last entry", HEADER + GOOD + b"\x00", "expected '['", len(HEADER + GOOD)),
    ("second entry without bracket", HEADER + GOOD + GOOD[2:], "expected '['", len(HEADER + GOOD)),
    ("unterminated key", HEADER + u16("[Abc"), "unterminated key name", E0 + 2),
    ("odd-length key", HEADER + u16("[A") + b"B", "unterminated key name", E0 + 2),
    ("key NUL straddling units", HEADER + u16("[") + b"A\x00\x00", "unterminated key name", E0 + 2),
    (
        "unterminated value",
        HEADER + u16("[") + u16z("A") + u16(";") + u16("val"),
        "unterminated value name",
        E0 + 8,
    ),
    ("separator missing after key", HEADER + u16("[") + u16z("A") + u16(","), "expected ';'", E0 + 6),
    (
        "truncated type field",
        HEADER + u16("[") + u16z("A") + u16(";") + u16z("v") + u16(";") + b"\x04\x00",
        "truncated type field",
        E0 + 14,
    ),
    (
        "size beyond end",
        HEADER + raw_entry("A", "v", 3, b"\x01\x02", size=1000),
        "size 1000 runs past the end",
        E0 + 20,
    ),
    (
        "size 0xffffffff",
        HEADER + raw_entry("A", "v", 3, b"", size=0xFFFFFFFF),
        "size 4294967295 runs past the end",
        E0 + 20,
    ),
    (
        "size too small leaves data where ']' should be",
        HEADER + raw_entry("A", "v", 3, b"\x01\x02\x03\x04", size=2),
        "expected ']'",
        DATA_AT + 2,
    ),
    ("unknown type", HEADER + raw_entry("A", "v", 6, b"ab"), "unsupported registry type 6", E0 + 14),
    ("type 99", HEADER + raw_entry("A", "v", 99, b""), "unsupported registry type 99", E0 + 14),
    (
        "lone surrogate in key",
        HEADER + u16("[") + b"A\x00\x00\xd8\x00\x00" + GOOD[6:],
        "invalid UTF-16LE in key name",
        E0 + 4,
    ),
    ("dword of 2 bytes", HEADER + raw_entry("A", "v", 4, b"\x01\x02"), "REG_DWORD data must be 4 bytes", E0),
    ("sz without NUL", HEADER + raw_entry("A", "v", 1, u16("ab")), "NUL terminator", E0),
    ("sz odd size", HEADER + raw_entry("A", "v", 1, b"a\x00\x00"), "odd number of bytes", E0),
    ("empty key", HEADER + raw_entry("", "v", 4, b"\x01\x00\x00\x00"), "key is empty", E0),
    (
        "hive-qualified key",
        HEADER + raw_entry(r"HKLM\Software", "v", 4, b"\x01\x00\x00\x00"),
        "hive name",
        E0,
    ),
    (
        "bad second entry after a good one",
        HEADER + GOOD + raw_entry("B", "v", 4, b"\x01"),
        "REG_DWORD data must be 4 bytes",
        E0 + len(GOOD),
    ),
]


@pytest.mark.parametrize(("data", "fragment", "offset"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_input_raises_regpolerror_with_offset(data: bytes, fragment: str, offset: int) -> None:
    with pytest.raises(RegPolError) as info:
        decode(data)
    message = str(info.value)
    assert fragment in message
    assert message.endswith(f"at byte offset {offset}"), message


def test_regpolerror_is_a_valueerror() -> None:
    assert issubclass(RegPolError, ValueError)


def test_decode_accepts_bytearray_and_memoryview() -> None:
    data = HEADER + GOOD
    assert decode(bytearray(data)) == decode(memoryview(data)) == [PolEntry.dword("A", "v", 1)]


# ---------------------------------------------------------------------------------------------
# hypothesis: strategies
# ---------------------------------------------------------------------------------------------

HIVES = {"HKEY_LOCAL_MACHINE", "HKLM", "HKEY_CURRENT_USER", "HKCU", "HKEY_USERS", "HKU"}
HIVES |= {"HKEY_CLASSES_ROOT", "HKCR", "HKEY_CURRENT_CONFIG", "HKCC"}

# Any Unicode scalar value except NUL, with the PReg delimiters and .reg metacharacters made common.
any_char = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
tricky_char = st.sampled_from([*'[];\\"*.@= \t\r\n%', "\u2028", "\x85", "\ufeff", "é", "😀", "\uffff"])
name_char = st.one_of(tricky_char, any_char)
component = st.text(name_char.filter(lambda c: c != "\\"), min_size=1, max_size=12)
keys = st.lists(component, min_size=1, max_size=4).filter(lambda parts: parts[0].upper() not in HIVES).map("\\".join)
value_names = st.text(name_char, max_size=20)
texts = st.text(name_char, max_size=40)
items = st.lists(st.text(name_char, min_size=1, max_size=12), max_size=5)
u32 = st.integers(0, 2**32 - 1)


KINDS = ["sz", "expand", "dword", "dword_be", "qword", "multi", "bin", "none", "del", "delvals"]


@st.composite
def pol_entries(draw: st.DrawFn) -> PolEntry:
    key = draw(keys)
    name = draw(value_names)
    kind = draw(st.sampled_from(KINDS))
    if kind == "sz":
        return PolEntry.sz(key, name, draw(texts))
    if kind == "expand":
        return PolEntry.expand_sz(key, name, draw(texts))
    if kind == "dword":
        return PolEntry.dword(key, name, draw(u32))
    if kind == "dword_be":
        return PolEntry.dword_big_endian(key, name, draw(u32))
    if kind == "qword":
        return PolEntry.qword(key, name, draw(st.integers(0, 2**64 - 1)))
    if kind == "multi":
        return PolEntry.multi_sz(key, name, draw(items))
    if kind == "bin":
        return PolEntry.binary(key, name, draw(st.binary(max_size=40)))
    if kind == "none":
        return PolEntry(key, name, RegType.REG_NONE, draw(st.binary(max_size=8)))
    if kind == "del":
        return PolEntry.delete_value(key, draw(st.text(name_char, min_size=1, max_size=20)))
    return PolEntry.delete_all_values(key)


entry_lists = st.lists(pol_entries(), max_size=8)


# ---------------------------------------------------------------------------------------------
# hypothesis: round trips and refusals
# ---------------------------------------------------------------------------------------------


# No per-example deadline: a loaded CI machine must not turn slow examples into failures.
NO_DEADLINE = settings(deadline=None)


@NO_DEADLINE
@given(entry_lists)
def test_round_trip(entries: list[PolEntry]) -> None:
    assert decode(encode(entries)) == entries


@NO_DEADLINE
@given(entry_lists, entry_lists)
def test_encoding_is_concatenative(first: list[PolEntry], second: list[PolEntry]) -> None:
    assert encode(first + second) == encode(first) + encode(second)[len(HEADER) :]


@NO_DEADLINE
@given(pol_entries())
def test_encoded_entry_matches_hand_layout(entry: PolEntry) -> None:
    assert encode([entry]) == HEADER + raw_entry(entry.key, entry.value, int(entry.type), entry.data)


@NO_DEADLINE
@given(texts)
def test_sz_data_is_text_plus_one_nul(text: str) -> None:
    entry = PolEntry.sz("A", "v", text)
    assert entry.data == text.encode("utf-16-le") + b"\x00\x00"
    assert entry.decoded() == text


@NO_DEADLINE
@given(items)
def test_multi_sz_round_trips_items(values: list[str]) -> None:
    assert decode(encode([PolEntry.multi_sz("A", "v", values)]))[0].decoded() == values


@NO_DEADLINE
@given(keys, value_names, texts, st.integers(0, 40), st.sampled_from(["key", "value", "text"]))
def test_nul_anywhere_is_refused(key: str, name: str, text: str, at: int, where: str) -> None:
    def poison(s: str) -> str:
        i = min(at, len(s))
        return s[:i] + "\x00" + s[i:]

    key, name, text = (
        poison(key) if where == "key" else key,
        poison(name) if where == "value" else name,
        poison(text) if where == "text" else text,
    )
    with pytest.raises(RegPolError):
        PolEntry.sz(key, name, text)


@NO_DEADLINE
@given(keys, value_names, st.integers(0xD800, 0xDFFF), st.sampled_from(["key", "value", "text"]))
def test_lone_surrogates_are_refused(key: str, name: str, surrogate: int, where: str) -> None:
    bad = chr(surrogate)
    with pytest.raises(RegPolError):
        PolEntry.sz(
            key + bad if where == "key" else key,
            name + bad if where == "value" else name,
            bad if where == "text" else "x",
        )


@NO_DEADLINE
@given(keys)
def test_hive_prefix_is_refused(key: str) -> None:
    for hive in ("HKEY_LOCAL_MACHINE", "hkcu", "HKU"):
        with pytest.raises(RegPolError, match="hive"):
            PolEntry.dword(hive + "\\" + key, "v", 1)


# ---------------------------------------------------------------------------------------------
# hypothesis: fuzzing the decoder -- entries or RegPolError, never anything else
# ---------------------------------------------------------------------------------------------


raw_string_text = st.tuples(
    st.lists(st.sampled_from(["", "a", "é😀", "\x00"]), max_size=4).map("\x00".join),
    st.sampled_from(["", "\x00", "\x00\x00", "\x00\x00\x00"]),
).map("".join)


@NO_DEADLINE
@example("\x00a\x00\x00")
@example("\x00\x00")
@example("a\x00\x00\x00")
@example("a\x00")
@given(raw_string_text)
def test_accepted_multi_sz_data_means_what_it_says(text: str) -> None:
    """Raw REG_MULTI_SZ data is accepted only if it is a list of non-empty strings, read as such."""
    try:
        entry = PolEntry("A", "v", RegType.REG_MULTI_SZ, u16(text))
    except RegPolError:
        return
    value = entry.decoded()
    assert isinstance(value, list)
    assert all(item and "\x00" not in item for item in value)
    assert PolEntry.multi_sz("A", "v", value).decoded() == value
    if value:
        assert PolEntry.multi_sz("A", "v", value).data == entry.data
    else:
        assert text in ("\x00", "\x00\x00")


@NO_DEADLINE
@example(RegType.REG_SZ, "a\x00b\x00")
@example(RegType.REG_SZ, "")
@example(RegType.REG_EXPAND_SZ, "a")
@given(st.sampled_from([RegType.REG_SZ, RegType.REG_EXPAND_SZ]), raw_string_text)
def test_accepted_sz_data_means_what_it_says(type_: RegType, text: str) -> None:
    """Raw REG_SZ data is accepted only if it is exactly one NUL-free string plus its terminator."""
    try:
        entry = PolEntry("A", "v", type_, u16(text))
    except RegPolError:
        return
    value = entry.decoded()
    assert isinstance(value, str) and "\x00" not in value
    assert u16(value) + b"\x00\x00" == entry.data


def decode_or_error(data: bytes) -> list[PolEntry] | None:
    try:
        entries = decode(data)
    except RegPolError as exc:
        assert "byte offset" in str(exc)
        return None
    assert all(isinstance(e, PolEntry) for e in entries)
    # Anything we accept, we write back identically: decoding is lossless.
    assert encode(entries) == data
    return entries


TOKENS = [
    u16("["),
    u16(";"),
    u16("]"),
    b"\x00\x00",
    u16("A"),
    u16("\\"),
    b"\x00",
    b"\xff",
    b"\x00\xd8",
    b"\x00\xdc",
    struct.pack("<I", 1),
    struct.pack("<I", 2),
    struct.pack("<I", 4),
    struct.pack("<I", 7),
    struct.pack("<I", 0xFFFFFFFF),
]


@NO_DEADLINE
@given(st.binary(max_size=300))
def test_fuzz_random_bytes(data: bytes) -> None:
    decode_or_error(data)


@NO_DEADLINE
@given(st.binary(max_size=300))
def test_fuzz_random_body(body: bytes) -> None:
    decode_or_error(HEADER + body)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_fuzz_token_soup(tokens: list[bytes]) -> None:
    decode_or_error(HEADER + b"".join(tokens))


@NO_DEADLINE
@given(st.lists(pol_entries(), min_size=1, max_size=5), st.data())
def test_fuzz_truncation(entries: list[PolEntry], data: st.DataObject) -> None:
    full = encode(entries)
    cut = data.draw(st.integers(0, len(full) - 1))
    boundaries = {len(encode(entries[:n])): n for n in range(len(entries))}
    result = decode_or_error(full[:cut])
    if cut in boundaries:
        assert result == entries[: boundaries[cut]]
    else:
        assert result is None, f"a cut at {cut} inside an entry was accepted"


@NO_DEADLINE
@given(st.lists(pol_entries(), min_size=1, max_size=4), st.data())
def test_fuzz_mutation(entries: list[PolEntry], data: st.DataObject) -> None:
    full = bytearray(encode(entries))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(full) - 1))
        full[at] = data.draw(st.integers(0, 255))
    decode_or_error(bytes(full))


@NO_DEADLINE
@given(st.lists(pol_entries(), min_size=1, max_size=4), st.data())
def test_fuzz_size_field(entries: list[PolEntry], data: st.DataObject) -> None:
    """Lie about one entry's size: the file must be refused, never silently re-framed."""
    index = data.draw(st.integers(0, len(entries) - 1))
    target = entries[index]
    lie = data.draw(st.integers(0, 2**32 - 1).filter(lambda n: n != len(target.data)))
    head = encode(entries[:index])
    body = raw_entry(target.key, target.value, int(target.type), target.data, size=lie)
    tail = encode(entries[index + 1 :])[len(HEADER) :]
    result = decode_or_error(head + body + tail)
    if lie > len(target.data) + len(tail):
        assert result is None, "a size running past the end of the file was accepted"


# ---------------------------------------------------------------------------------------------
# Samba's NDR preg parser/writer as an independent implementation
# ---------------------------------------------------------------------------------------------

SYSTEM_PYTHON = "/usr/bin/python3"

# Runs under Debian's system Python. One JSON request per line on stdin, one JSON answer per line.
#   {"op": "unpack", "path": P}        -> the entries Samba parses from file P
#   {"op": "pack", "entries": [...]}   -> hex of the file Samba's ndr_pack writes
SAMBA_SERVER = r"""
import json, sys
from samba.ndr import ndr_pack, ndr_unpack
from samba.dcerpc import preg

def view(data):
    if data is None:
        return {"kind": "none"}
    if isinstance(data, bytes):
        return {"kind": "bytes", "hex": data.hex()}
    if isinstance(data, int):
        return {"kind": "int", "value": data}
    if isinstance(data, str):
        return {"kind": "str", "value": data}
    return {"kind": type(data).__name__, "repr": repr(data)}

for line in sys.stdin:
    request = json.loads(line)
    try:
        if request["op"] == "unpack":
            with open(request["path"], "rb") as f:
                pol = ndr_unpack(preg.file, f.read())
            answer = {
                "ok": True,
                "signature": pol.header.signature,
                "version": pol.header.version,
                "num_entries": pol.num_entries,
                "entries": [
                    {"keyname": e.keyname, "valuename": e.valuename, "type": e.type,
                     "size": e.size, "data": view(e.data)}
                    for e in pol.entries
                ],
            }
        else:
            pol = preg.file()
            pol.header.signature = "PReg"
            pol.header.version = 1
            entries = []
            for spec in request["entries"]:
                e = preg.entry()
                e.keyname = spec["keyname"]
                e.valuename = spec["valuename"]
                e.type = spec["type"]
                data = spec["data"]
                if data["kind"] == "bytes":
                    e.data = bytes.fromhex(data["hex"])
                elif data["kind"] != "none":
                    e.data = data["value"]
                entries.append(e)
            pol.entries = entries
            pol.num_entries = len(entries)
            answer = {"ok": True, "hex": ndr_pack(pol).hex()}
    except Exception as exc:
        answer = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
    print(json.dumps(answer), flush=True)
"""


def _samba_missing() -> str | None:
    try:
        probe = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import samba; from samba.dcerpc import preg; from samba.ndr import ndr_unpack"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{SYSTEM_PYTHON} cannot run: {exc}"
    if probe.returncode != 0:
        return (
            f"Samba's Python bindings are not importable by {SYSTEM_PYTHON} "
            f"(apt-get install -y python3-samba): {(probe.stderr.strip().splitlines() or ['?'])[-1]}"
        )
    return None


class Samba:
    """A long-lived system-Python process holding Samba's preg NDR code."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.count = 0
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, "-u", "-c", SAMBA_SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            stderr = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"the Samba helper died: {stderr}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def unpack(self, data: bytes) -> dict[str, Any]:
        """Write ``data`` to a file and let Samba parse it."""
        self.count += 1
        path = self.workdir / f"case{self.count}.pol"
        path.write_bytes(data)
        return self._ask({"op": "unpack", "path": str(path)})

    def pack(self, specs: list[dict[str, Any]]) -> bytes:
        answer = self._ask({"op": "pack", "entries": specs})
        assert answer["ok"], answer
        return bytes.fromhex(answer["hex"])

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def samba(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Samba]:
    reason = _samba_missing()
    if reason:
        pytest.skip(reason)
    helper = Samba(tmp_path_factory.mktemp("samba-preg"))
    yield helper
    helper.close()


def samba_view(entry: PolEntry) -> dict[str, Any]:
    """What Samba's parser should report for ``entry`` (its Python form of each type)."""
    if entry.type in (RegType.REG_SZ, RegType.REG_EXPAND_SZ):
        data: dict[str, Any] = {"kind": "str", "value": entry.decoded()}
    elif entry.type in (RegType.REG_DWORD, RegType.REG_DWORD_BIG_ENDIAN, RegType.REG_QWORD):
        data = {"kind": "int", "value": entry.decoded()}
    elif entry.type is RegType.REG_NONE:
        data = {"kind": "none"}  # Samba drops REG_NONE data (it still reports the size)
    else:  # REG_MULTI_SZ and REG_BINARY come back as the raw bytes
        data = {"kind": "bytes", "hex": entry.data.hex()}
    return {
        "keyname": entry.key,
        "valuename": entry.value,
        "type": int(entry.type),
        "size": len(entry.data),
        "data": data,
    }


def samba_spec(entry: PolEntry) -> dict[str, Any]:
    """How to ask Samba to write ``entry``."""
    view = samba_view(entry)
    if entry.type is RegType.REG_NONE:
        view["data"] = {"kind": "bytes", "hex": entry.data.hex()}
    return view


def assert_samba_reads(samba: Samba, entries: list[PolEntry]) -> None:
    answer = samba.unpack(encode(entries))
    assert answer["ok"], answer
    assert answer["signature"] == "PReg"
    assert answer["version"] == 1
    assert answer["num_entries"] == len(entries)
    assert answer["entries"] == [samba_view(e) for e in entries]


RICH = [
    *(e for _, e, _ in EXACT_CASES),
    PolEntry.sz(FORCELIST, "2", f"{EXT_ID};{UPDATE_URL}"),
    PolEntry.sz(POLICY_KEY, "token", 's3cr]t;"\\'),
    PolEntry.dword(POLICY_KEY, "enabled", 1),
    PolEntry.multi_sz(KEY, "multi", ["x", "ÿ", "😀😀", "a]b;c"]),
    PolEntry.qword(KEY, "big", 2**64 - 1),
    PolEntry.dword(KEY, "max", 2**32 - 1),
    PolEntry.binary(KEY, "empty-binary", b""),
    PolEntry(KEY, "empty-none", RegType.REG_NONE, b""),
    PolEntry.sz(KEY, "long", "x" * 5000),
    PolEntry.sz(KEY, "ctl", "\t\r\n\x7f\x85\u2028\ufeff\uffff"),
    PolEntry.sz("k" * 255, "v" * 300, "long names"),
    PolEntry.sz(r"Software\Policies\Microsoft\Edge\ExtensionInstallForcelist", "1", f"{EXT_ID};{UPDATE_URL}"),
]


def test_samba_parses_rich_set_as_we_meant(samba: Samba) -> None:
    assert_samba_reads(samba, RICH)


def test_samba_parses_each_entry_alone(samba: Samba) -> None:
    for entry in RICH:
        assert_samba_reads(samba, [entry])


def test_samba_writes_what_we_write(samba: Samba) -> None:
    """Samba's ndr_pack of the same entries is byte-identical to our encoder."""
    comparable = [e for e in RICH if e.type is not RegType.REG_NONE or not e.data]
    assert samba.pack([samba_spec(e) for e in comparable]) == encode(comparable)


def test_we_decode_a_samba_packed_file(samba: Samba) -> None:
    specs = [
        {"keyname": FORCELIST, "valuename": "1", "type": 1, "data": {"kind": "str", "value": f"{EXT_ID};{UPDATE_URL}"}},
        {"keyname": KEY, "valuename": "empty", "type": 1, "data": {"kind": "str", "value": ""}},
        {"keyname": KEY, "valuename": "exp", "type": 2, "data": {"kind": "str", "value": "%TEMP%]"}},
        {"keyname": KEY, "valuename": "d", "type": 4, "data": {"kind": "int", "value": 0x3B005D}},
        {"keyname": KEY, "valuename": "be", "type": 5, "data": {"kind": "int", "value": 0x01020304}},
        {"keyname": KEY, "valuename": "q", "type": 11, "data": {"kind": "int", "value": 2**63 + 1}},
        {"keyname": KEY, "valuename": "m", "type": 7, "data": {"kind": "bytes", "hex": u16("a\x00b;\x00\x00").hex()}},
        {"keyname": KEY, "valuename": "b", "type": 3, "data": {"kind": "bytes", "hex": "5d003b00ff"}},
        {"keyname": KEY, "valuename": "n", "type": 0, "data": {"kind": "bytes", "hex": "0102"}},
        {"keyname": "Ünï😀", "valuename": "**del.x", "type": 1, "data": {"kind": "str", "value": " "}},
    ]
    assert decode(samba.pack(specs)) == [
        PolEntry.sz(FORCELIST, "1", f"{EXT_ID};{UPDATE_URL}"),
        PolEntry.sz(KEY, "empty", ""),
        PolEntry.expand_sz(KEY, "exp", "%TEMP%]"),
        PolEntry.dword(KEY, "d", 0x3B005D),
        PolEntry.dword_big_endian(KEY, "be", 0x01020304),
        PolEntry.qword(KEY, "q", 2**63 + 1),
        PolEntry.multi_sz(KEY, "m", ["a", "b;"]),
        PolEntry.binary(KEY, "b", b"]\x00;\x00\xff"),
        PolEntry(KEY, "n", RegType.REG_NONE, b""),  # Samba writes REG_NONE without its data
        PolEntry.delete_value("Ünï😀", "x"),
    ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry_lists)
def test_samba_agrees_on_arbitrary_entries(samba: Samba, entries: list[PolEntry]) -> None:
    assert_samba_reads(samba, entries)
    comparable = [e for e in entries if e.type is not RegType.REG_NONE or not e.data]
    assert samba.pack([samba_spec(e) for e in comparable]) == encode(comparable)


# ---------------------------------------------------------------------------------------------
# data may be a secret (an extension token): never in repr() or error messages
# ---------------------------------------------------------------------------------------------

SECRET = "tok-SECRET-4242"


@pytest.mark.parametrize(
    "build",
    [
        lambda: PolEntry.sz("A", "v", SECRET + "\x00"),
        lambda: PolEntry.expand_sz("A", "v", SECRET + "\ud800"),
        lambda: PolEntry.multi_sz("A", "v", [SECRET, SECRET + "\x00"]),
        lambda: PolEntry.multi_sz("A", "v", [SECRET + "\udc00"]),
        lambda: PolEntry("A", "v", RegType.REG_SZ, u16(SECRET)),
        lambda: PolEntry("A", "v", RegType.REG_SZ, u16(SECRET + "\x00x\x00")),
        lambda: decode(HEADER + raw_entry("A", "v", 1, u16(SECRET), size=4)),
        lambda: decode(HEADER + raw_entry("A", "v", 1, u16(SECRET))),
    ],
)
def test_errors_never_quote_data(build: Any) -> None:
    with pytest.raises(RegPolError) as info:
        build()
    assert "SECRET" not in str(info.value)
    assert "S\\x00E" not in str(info.value)


def test_repr_hides_data() -> None:
    entry = PolEntry.sz(POLICY_KEY, "token", SECRET)
    assert "SECRET" not in repr(entry)
    assert repr(entry) == f"PolEntry(key={POLICY_KEY!r}, value='token', type=REG_SZ, data=<32 bytes>)"
