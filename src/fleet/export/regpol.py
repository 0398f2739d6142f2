"""Registry.pol (PReg) codec, written from [MS-GPREG] 2.2.1.

A Registry.pol file is what the Group Policy registry client-side extension applies (GPMC backups,
``LGPO.exe /m``). Layout, all integers little-endian::

    "PReg"  uint32 version (= 1)
    then, repeated:
    "[" key NUL ";" value NUL ";" uint32 type ";" uint32 size ";" data[size] "]"

Brackets and semicolons are UTF-16LE characters (two bytes each); key and value names are
UTF-16LE and NUL-terminated; ``data`` is ``size`` raw bytes and may contain any byte, including
the encodings of ``]`` and ``;``. The decoder therefore reads data by its size field and never
searches for delimiters inside it.

The model is :class:`PolEntry` (key, value name, type, raw data bytes). Every ``PolEntry`` is
valid by construction: the checks run in ``__post_init__``, so :func:`encode` cannot produce a
file Windows or Samba would read differently from what was meant, and :func:`decode` is strict
(it raises :class:`RegPolError`, with the byte offset, on anything malformed). What is refused:

* a NUL inside a key or value name (the NUL is the terminator), text that is not valid Unicode
  (lone surrogates), an empty key, an empty key component (``A\\\\B``, leading or trailing
  ``\\``), a key component longer than 255 UTF-16 units or a value name longer than 16,383
  (the Windows registry limits), and a key that starts with a hive name such as
  ``HKEY_LOCAL_MACHINE`` (Registry.pol keys are hive-relative; the file's location picks the
  hive, so such a key would land at ``HKLM\\HKEY_LOCAL_MACHINE\\...``);
* data that does not match its type: REG_DWORD / REG_DWORD_BIG_ENDIAN must be 4 bytes,
  REG_QWORD 8; REG_SZ / REG_EXPAND_SZ must be UTF-16LE ending in exactly one NUL, with no NUL
  inside (readers disagree on such strings: Samba stops at the first NUL); REG_MULTI_SZ must be
  NUL-terminated non-empty strings followed by a final NUL (an empty list is one NUL; two are
  accepted too), since an empty item would end the list early for every reader;
* types other than those of :class:`RegType`.

Special value names (``**del.<name>``, ``**delvals.``, ``**DeleteValues``, ``**DeleteKeys``,
``**SecureKey``) are ordinary value names to this codec; :meth:`PolEntry.delete_value` and
:meth:`PolEntry.delete_all_values` build the two markers fleet uses, with the data the Group
Policy editor writes for them (REG_SZ ``" "``). Entries are applied in file order, so a
``**delvals.`` marker must precede the values it should not delete.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "DELETE_ALL_VALUES",
    "DELETE_VALUE_PREFIX",
    "HEADER",
    "MAX_KEY_COMPONENT_UNITS",
    "MAX_VALUE_NAME_UNITS",
    "PolEntry",
    "RegPolError",
    "RegType",
    "decode",
    "encode",
]

SIGNATURE = b"PReg"
VERSION = 1
HEADER = SIGNATURE + struct.pack("<I", VERSION)

#: Longest key name component the Windows registry accepts, in UTF-16 code units.
MAX_KEY_COMPONENT_UNITS = 255
#: Longest value name the Windows registry accepts, in UTF-16 code units.
MAX_VALUE_NAME_UNITS = 16383

DELETE_VALUE_PREFIX = "**del."
DELETE_ALL_VALUES = "**delvals."
#: Data the Group Policy editor writes for ``**del.`` / ``**delvals.`` markers: REG_SZ " ".
_MARKER_TEXT = " "

_HIVE_NAMES = frozenset(
    {
        "HKEY_LOCAL_MACHINE",
        "HKLM",
        "HKEY_CURRENT_USER",
        "HKCU",
        "HKEY_USERS",
        "HKU",
        "HKEY_CLASSES_ROOT",
        "HKCR",
        "HKEY_CURRENT_CONFIG",
        "HKCC",
    }
)

_U32 = struct.Struct("<I")
_U32_BE = struct.Struct(">I")
_U64 = struct.Struct("<Q")
_NUL = b"\x00\x00"
_OPEN = "[".encode("utf-16-le")
_SEMI = ";".encode("utf-16-le")
_CLOSE = "]".encode("utf-16-le")


class RegPolError(ValueError):
    """A Registry.pol file is malformed, or an entry cannot be represented in one."""


class RegType(IntEnum):
    """Registry value types a Registry.pol entry may carry (WinNT.h numbering)."""

    REG_NONE = 0
    REG_SZ = 1
    REG_EXPAND_SZ = 2
    REG_BINARY = 3
    REG_DWORD = 4
    REG_DWORD_BIG_ENDIAN = 5
    REG_MULTI_SZ = 7
    REG_QWORD = 11


_STRING_TYPES = (RegType.REG_SZ, RegType.REG_EXPAND_SZ)
#: An empty REG_MULTI_SZ: one NUL (what :meth:`PolEntry.multi_sz` writes) or two (also seen in the wild).
_EMPTY_MULTI_SZ = ("\x00", "\x00\x00")


def _utf16(text: str, what: str) -> bytes:
    """UTF-16LE of ``text``; ``what`` names it in the error (never the text: data may be a secret)."""
    try:
        return text.encode("utf-16-le")
    except UnicodeEncodeError as exc:
        raise RegPolError(f"{what} is not valid Unicode (lone surrogate at index {exc.start})") from None


def _units(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (what Windows counts), for valid Unicode text."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _check_key(key: str) -> None:
    if not isinstance(key, str):
        raise RegPolError(f"key must be a str, not {type(key).__name__}")
    if not key:
        raise RegPolError("key is empty")
    if "\x00" in key:
        raise RegPolError(f"key {key!r} contains a NUL character")
    _utf16(key, f"key {key!r}")
    components = key.split("\\")
    if any(not part for part in components):
        raise RegPolError(f"key {key!r} has an empty component (leading, trailing or doubled backslash)")
    for part in components:
        if _units(part) > MAX_KEY_COMPONENT_UNITS:
            raise RegPolError(
                f"key component {part[:40]!r}... is {_units(part)} UTF-16 units long; "
                f"the registry allows {MAX_KEY_COMPONENT_UNITS}"
            )
    if components[0].upper() in _HIVE_NAMES:
        raise RegPolError(
            f"key {key!r} starts with the hive name {components[0]!r}; Registry.pol keys are "
            "hive-relative (the file's Machine/User location picks the hive)"
        )


def _check_value_name(value: str) -> None:
    if not isinstance(value, str):
        raise RegPolError(f"value name must be a str, not {type(value).__name__}")
    if "\x00" in value:
        raise RegPolError(f"value name {value!r} contains a NUL character")
    _utf16(value, f"value name {value!r}")
    if _units(value) > MAX_VALUE_NAME_UNITS:
        raise RegPolError(
            f"value name is {_units(value)} UTF-16 units long; the registry allows {MAX_VALUE_NAME_UNITS}"
        )


def _decode_utf16(data: bytes, what: str) -> str:
    if len(data) % 2:
        raise RegPolError(f"{what}: odd number of bytes ({len(data)}) for UTF-16LE text")
    try:
        return data.decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise RegPolError(f"{what}: invalid UTF-16LE at data byte {exc.start} ({exc.reason})") from None


def _check_data(type_: RegType, data: bytes) -> None:
    name = type_.name
    if type_ in (RegType.REG_DWORD, RegType.REG_DWORD_BIG_ENDIAN):
        if len(data) != 4:
            raise RegPolError(f"{name} data must be 4 bytes, got {len(data)}")
    elif type_ is RegType.REG_QWORD:
        if len(data) != 8:
            raise RegPolError(f"{name} data must be 8 bytes, got {len(data)}")
    elif type_ in _STRING_TYPES:
        text = _decode_utf16(data, name)
        if not text.endswith("\x00"):
            raise RegPolError(f"{name} data must end with a UTF-16 NUL terminator")
        if "\x00" in text[:-1]:
            raise RegPolError(f"{name} data contains a NUL before its terminator")
    elif type_ is RegType.REG_MULTI_SZ:
        text = _decode_utf16(data, name)
        if text in _EMPTY_MULTI_SZ:
            return
        if not text.endswith("\x00\x00"):
            raise RegPolError(f"{name} data must end with two UTF-16 NULs (or be a single NUL when empty)")
        if "" in text[:-2].split("\x00"):
            raise RegPolError(f"{name} data contains an empty string, which would end the list early")
    if len(data) > 0xFFFFFFFF:
        raise RegPolError(f"data of {len(data)} bytes does not fit the 32-bit size field")


def _sz_data(text: str, type_: RegType) -> bytes:
    if not isinstance(text, str):
        raise RegPolError(f"{type_.name} data must be a str, not {type(text).__name__}")
    if "\x00" in text:
        raise RegPolError(f"{type_.name} text contains a NUL character at index {text.index(chr(0))}")
    return _utf16(text, f"{type_.name} text") + _NUL


def _int_data(number: int, packer: struct.Struct, type_: RegType) -> bytes:
    if not isinstance(number, int) or isinstance(number, bool):
        raise RegPolError(f"{type_.name} data must be an int, not {type(number).__name__}")
    limit = 1 << (8 * packer.size)
    if not 0 <= number < limit:
        raise RegPolError(f"{type_.name} value {number} is outside 0..{limit - 1}")
    return packer.pack(number)


@dataclass(frozen=True, repr=False)
class PolEntry:
    """One Registry.pol instruction: set ``value`` under ``key`` to ``data`` of ``type``.

    ``data`` is the raw bytes as stored in the file (REG_SZ includes its UTF-16 NUL). Build entries
    with the typed constructors (:meth:`sz`, :meth:`dword`, ...) rather than by hand; either way
    the entry is checked on construction and :class:`RegPolError` says what is wrong.

    Data can be a secret (an extension token), so neither ``repr()`` nor any error message of this
    module shows it: only its type and length.
    """

    key: str
    value: str
    type: RegType
    data: bytes

    def __post_init__(self) -> None:
        _check_key(self.key)
        _check_value_name(self.value)
        if isinstance(self.type, bool) or not isinstance(self.type, int):
            raise RegPolError(f"type must be a RegType, not {type(self.type).__name__}")
        try:
            type_ = RegType(self.type)
        except ValueError:
            raise RegPolError(f"unsupported registry type {int(self.type)}") from None
        object.__setattr__(self, "type", type_)
        if isinstance(self.data, (bytearray, memoryview)):
            object.__setattr__(self, "data", bytes(self.data))
        if not isinstance(self.data, bytes):
            raise RegPolError(f"data must be bytes, not {type(self.data).__name__}")
        try:
            _check_data(type_, self.data)
        except RegPolError as exc:
            raise RegPolError(f"{self.key}\\{self.value}: {exc}") from None

    def __repr__(self) -> str:
        return f"PolEntry(key={self.key!r}, value={self.value!r}, type={self.type.name}, data=<{len(self.data)} bytes>)"

    # -- typed constructors -------------------------------------------------------------------

    @classmethod
    def sz(cls, key: str, value: str, text: str) -> PolEntry:
        """A REG_SZ value; ``text`` must not contain NUL."""
        return cls(key, value, RegType.REG_SZ, _sz_data(text, RegType.REG_SZ))

    @classmethod
    def expand_sz(cls, key: str, value: str, text: str) -> PolEntry:
        """A REG_EXPAND_SZ value (``%VAR%`` references expanded by the reader)."""
        return cls(key, value, RegType.REG_EXPAND_SZ, _sz_data(text, RegType.REG_EXPAND_SZ))

    @classmethod
    def dword(cls, key: str, value: str, number: int) -> PolEntry:
        """A REG_DWORD value, 0..2**32-1."""
        return cls(key, value, RegType.REG_DWORD, _int_data(number, _U32, RegType.REG_DWORD))

    @classmethod
    def dword_big_endian(cls, key: str, value: str, number: int) -> PolEntry:
        """A REG_DWORD_BIG_ENDIAN value, 0..2**32-1."""
        return cls(
            key,
            value,
            RegType.REG_DWORD_BIG_ENDIAN,
            _int_data(number, _U32_BE, RegType.REG_DWORD_BIG_ENDIAN),
        )

    @classmethod
    def qword(cls, key: str, value: str, number: int) -> PolEntry:
        """A REG_QWORD value, 0..2**64-1."""
        return cls(key, value, RegType.REG_QWORD, _int_data(number, _U64, RegType.REG_QWORD))

    @classmethod
    def multi_sz(cls, key: str, value: str, items: Iterable[str]) -> PolEntry:
        """A REG_MULTI_SZ value; items must be non-empty and NUL-free."""
        if isinstance(items, str):
            raise RegPolError("REG_MULTI_SZ items must be a list of str, not a single str")
        items = list(items)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise RegPolError(f"REG_MULTI_SZ item {index} must be a str, not {type(item).__name__}")
            if not item:
                raise RegPolError(f"REG_MULTI_SZ item {index} is empty (an empty string would end the list)")
            if "\x00" in item:
                raise RegPolError(f"REG_MULTI_SZ item {index} contains a NUL character")
        data = b"".join(_utf16(item, f"REG_MULTI_SZ item {i}") + _NUL for i, item in enumerate(items)) + _NUL
        return cls(key, value, RegType.REG_MULTI_SZ, data)

    @classmethod
    def binary(cls, key: str, value: str, data: bytes) -> PolEntry:
        """A REG_BINARY value."""
        return cls(key, value, RegType.REG_BINARY, bytes(data))

    @classmethod
    def delete_value(cls, key: str, name: str) -> PolEntry:
        """The ``**del.<name>`` marker: the client deletes value ``name`` under ``key``."""
        if not isinstance(name, str) or not name:
            raise RegPolError("**del. needs the name of the value to delete")
        return cls.sz(key, DELETE_VALUE_PREFIX + name, _MARKER_TEXT)

    @classmethod
    def delete_all_values(cls, key: str) -> PolEntry:
        """The ``**delvals.`` marker: the client deletes every value of ``key`` (not its subkeys)."""
        return cls.sz(key, DELETE_ALL_VALUES, _MARKER_TEXT)

    # -- reading ------------------------------------------------------------------------------

    @property
    def deleted_value(self) -> str | None:
        """For a ``**del.<name>`` marker (any case, as Windows reads it), ``name``; else None."""
        if self.value[: len(DELETE_VALUE_PREFIX)].lower() == DELETE_VALUE_PREFIX:
            return self.value[len(DELETE_VALUE_PREFIX) :] or None
        return None

    @property
    def is_delete_all_values(self) -> bool:
        """True for the ``**delvals.`` marker (any case)."""
        return self.value.lower() == DELETE_ALL_VALUES

    def decoded(self) -> str | int | list[str] | bytes:
        """The data as Python: str (SZ, EXPAND_SZ), int (DWORD, DWORD_BIG_ENDIAN, QWORD),
        list[str] (MULTI_SZ) or bytes (BINARY, NONE)."""
        if self.type in _STRING_TYPES:
            return self.data.decode("utf-16-le")[:-1]
        if self.type is RegType.REG_DWORD:
            return int(_U32.unpack(self.data)[0])
        if self.type is RegType.REG_DWORD_BIG_ENDIAN:
            return int(_U32_BE.unpack(self.data)[0])
        if self.type is RegType.REG_QWORD:
            return int(_U64.unpack(self.data)[0])
        if self.type is RegType.REG_MULTI_SZ:
            text = self.data.decode("utf-16-le")
            return [] if text in _EMPTY_MULTI_SZ else text[:-2].split("\x00")
        return self.data


# -- encoding ---------------------------------------------------------------------------------


def encode(entries: Iterable[PolEntry]) -> bytes:
    """Serialise ``entries``, in order, as a complete Registry.pol file."""
    out = bytearray(HEADER)
    for index, entry in enumerate(entries):
        if not isinstance(entry, PolEntry):
            raise TypeError(f"entry {index} is a {type(entry).__name__}, not a PolEntry")
        out += _OPEN
        out += entry.key.encode("utf-16-le") + _NUL
        out += _SEMI
        out += entry.value.encode("utf-16-le") + _NUL
        out += _SEMI
        out += _U32.pack(entry.type)
        out += _SEMI
        out += _U32.pack(len(entry.data))
        out += _SEMI
        out += entry.data
        out += _CLOSE
    return bytes(out)


# -- decoding ---------------------------------------------------------------------------------


class _Reader:
    """Cursor over a Registry.pol byte string; every failure names its byte offset."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def fail(self, message: str, at: int | None = None) -> RegPolError:
        return RegPolError(f"{message} at byte offset {self.pos if at is None else at}")

    def take(self, count: int, what: str) -> bytes:
        end = self.pos + count
        if end > len(self.data):
            raise self.fail(f"truncated {what}: need {count} bytes, {len(self.data) - self.pos} left")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def expect(self, token: bytes, char: str) -> None:
        start = self.pos
        got = self.take(len(token), f"entry (expected {char!r})")
        if got != token:
            raise self.fail(f"expected {char!r} (bytes {token.hex()})", start)

    def u32(self, what: str) -> int:
        return int(_U32.unpack(self.take(4, what))[0])

    def name(self, what: str) -> str:
        """A UTF-16LE string up to (and consuming) its NUL code unit."""
        start = self.pos
        search = start
        while True:
            nul = self.data.find(_NUL, search)
            if nul < 0:
                raise self.fail(f"unterminated {what} (no UTF-16 NUL before end of file)", start)
            if (nul - start) % 2 == 0:
                break
            search = nul + 1  # a 00 00 pair straddling two code units; keep looking
        raw = self.data[start:nul]
        self.pos = nul + 2
        try:
            return raw.decode("utf-16-le")
        except UnicodeDecodeError as exc:
            raise self.fail(f"invalid UTF-16LE in {what} ({exc.reason})", start + exc.start) from None


def decode(data: bytes) -> list[PolEntry]:
    """Parse a complete Registry.pol file; raise :class:`RegPolError` if it is malformed."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"decode() needs bytes, not {type(data).__name__}")
    reader = _Reader(data)
    signature = reader.take(4, "header")
    if signature != SIGNATURE:
        raise reader.fail(f"bad signature {signature!r}, expected {SIGNATURE!r}", 0)
    version = reader.u32("header")
    if version != VERSION:
        raise reader.fail(f"unsupported version {version}, expected {VERSION}", 4)
    entries: list[PolEntry] = []
    while reader.pos < len(data):
        start = reader.pos
        reader.expect(_OPEN, "[")
        key = reader.name("key name")
        reader.expect(_SEMI, ";")
        value = reader.name("value name")
        reader.expect(_SEMI, ";")
        type_at = reader.pos
        type_ = reader.u32("type field")
        reader.expect(_SEMI, ";")
        size_at = reader.pos
        size = reader.u32("size field")
        reader.expect(_SEMI, ";")
        if size > len(data) - reader.pos:
            raise reader.fail(
                f"size {size} runs past the end of the file ({len(data) - reader.pos} bytes left)", size_at
            )
        payload = reader.take(size, "data")
        reader.expect(_CLOSE, "]")
        if type_ not in RegType._value2member_map_:
            raise reader.fail(f"unsupported registry type {type_}", type_at)
        try:
            entries.append(PolEntry(key, value, RegType(type_), payload))
        except RegPolError as exc:
            raise reader.fail(f"invalid entry ({exc})", start) from None
    return entries
