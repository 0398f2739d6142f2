"""Import an RMM device export (CSV) into the inventory: clients, practices (sites) and hosts.

The RMMs MSPs use export devices with different column names and encodings (NinjaOne, Datto RMM,
ConnectWise Automate/Manage, N-able N-central/N-sight; Excel "Unicode text" is UTF-16 and TAB
separated, older Excel writes cp1252). This module reads any of them into device rows, then adds
what is new and updates what moved, editing the client files with ruamel.yaml in round-trip mode
so comments, key order and quoting of hand-edited files survive.

Rules:
- client ``Bright Smiles`` -> group ``client_bright_smiles`` (or the existing client whose id or
  ``fleet_client_name`` gives the same slug); site -> practice ``<client_id>_<site_slug>`` (or the
  existing practice of that client with that id or ``fleet_site``); no site -> ``<client_id>_main``.
- A host already in the inventory (names compare case-insensitively) is updated in place: only its
  ``ansible_host``, only when the export gives a different address. If the export puts it under
  another client or site, that is reported as a conflict; the host is not moved.
- Nothing is deleted. Files are written atomically; a dry run writes nothing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import ipaddress
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError as RuamelYAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from fleet.errors import FleetError, ImportFileError, InventoryError, Location
from fleet.inventory.model import CLIENT_PREFIX, PRACTICE_PREFIX, inventory_files, load_inventory

# -- columns ----------------------------------------------------------------------------------------

# Each field and the column names real exports use for it, most specific first. Headers are
# compared after lowercasing and removing spaces, underscores, hyphens, dots and brackets.
COLUMN_VARIANTS: dict[str, tuple[str, ...]] = {
    "hostname": (
        "Hostname", "Host Name", "System Name", "Computer Name", "Device Name", "Machine Name",
        "DNS Name", "Display Name", "Name",
    ),
    "client": (
        "Client", "Client Name", "Organization", "Organisation", "Organization Name", "Customer",
        "Customer Name", "Company", "Company Name",
        "Site Name",  # Datto RMM: a "site" is the MSP's customer
    ),
    "site": ("Site", "Location", "Location Name", "Site Name", "Office", "Branch"),
    "address": (
        "IP Address", "IP Addresses", "Int IP Address", "Internal IP", "Internal IP Address",
        "Local IP Address", "Local IP", "LAN IP", "Private IP", "Network Address", "IPv4 Address",
        "IPv4", "IP", "Address", "WiFi IPv4 Address", "Ethernet IPv4 Address",  # Intune: WiFiIPv4Address
        "Public IP", "Ext IP Address", "External IP", "External IP Address",
        "DNS Host Name",  # Active Directory's DNSHostName: a name Ansible can connect to
    ),
    "os": ("OS", "OS Name", "Operating System", "Operating System Name", "OS Type", "Platform"),
    "role": ("Role", "Node Class", "Node Role", "Device Type", "Device Class", "Class", "Type", "Category"),
}
REQUIRED_FIELDS = ("hostname", "client")
MAX_NAME = 100  # characters of a client or site name (ids, file and group names are made from them)
DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def normalize_header(name: str) -> str:
    return re.sub(r"[\s_\-./()#:]+", "", name.replace("\ufeff", "").strip().strip('"').lower())


def map_columns(headers: list[str]) -> dict[str, int]:
    """field -> column index, choosing for each field the most specific variant present."""
    norm = [normalize_header(h) for h in headers]
    taken: set[int] = set()
    found: dict[str, int] = {}
    for fld, variants in COLUMN_VARIANTS.items():
        for variant in variants:
            v = normalize_header(variant)
            idx = next((i for i, n in enumerate(norm) if n == v and i not in taken), None)
            if idx is not None:
                found[fld] = idx
                taken.add(idx)
                break
    return found


# -- results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    action: str  # "add client" | "add practice" | "add host" | "update host"
    host: str
    practice: str
    detail: str
    path: Path | None = None


@dataclass(frozen=True)
class Skipped:
    line: int
    reason: str
    kind: str = "invalid"  # "invalid" (bad row) | "conflict" (host exists elsewhere) | "duplicate"
    host: str = ""


@dataclass
class ImportResult:
    source: Path
    changes: list[Change] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    unchanged: int = 0  # rows naming a host that is already as the export says
    encoding: str = ""
    delimiter: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # field -> header as written in the file
    dry_run: bool = False

    @property
    def conflicts(self) -> list[Skipped]:
        return [s for s in self.skipped if s.kind == "conflict"]

    def summary(self) -> str:
        counts = Counter(c.action for c in self.changes)
        parts = []
        for action, noun in (("add client", "client"), ("add practice", "practice"), ("add host", "host")):
            if counts[action]:
                parts.append(f"{_plural(counts[action], noun)} added")
        if counts["update host"]:
            parts.append(f"{_plural(counts['update host'], 'host')} updated")
        if self.unchanged:
            parts.append(f"{self.unchanged} unchanged")
        if self.conflicts:
            parts.append(_plural(len(self.conflicts), "conflict"))
        other = len(self.skipped) - len(self.conflicts)
        if other:
            parts.append(f"{_plural(other, 'row')} skipped")
        head = f"{_plural(self.rows, 'device row')} from {self.source.name}"
        return f"{head}: " + (", ".join(parts) if parts else "nothing to change")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# -- reading the CSV --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceRow:
    line: int
    client: str
    site: str
    hostname: str
    address: str
    platform: str
    role: str


class _RowProblem(Exception):
    pass


def decode_bytes(data: bytes, source: str) -> tuple[str, str]:
    """(text, encoding): UTF-8 with/without BOM, UTF-16/32 with BOM, BOM-less UTF-16, else cp1252/latin-1."""
    boms = (
        (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
    )
    for bom, enc in boms:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc.replace("-sig", "")), enc
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    f"starts with a {enc} byte-order mark but is not valid {enc} (byte {exc.start + len(bom)})",
                    where=Location(source),
                    hint="re-export the file, or save it from Excel as \"CSV UTF-8\"",
                ) from None
    head = data[:400]
    if len(head) >= 4 and head.count(0) >= len(head) // 4:
        # UTF-16 without a BOM: every other byte of ASCII text is NUL.
        enc = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _reader(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number of the row, fields); quoted fields may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _RowProblem(f"line {reader.line_num}: {exc}") from None
        yield line, row
        line = reader.line_num + 1


def _find_header(text: str, source: str, required: tuple[str, ...] = REQUIRED_FIELDS,
                 ) -> tuple[str, int, list[str], dict[str, int]]:
    """(delimiter, header line, headers, field -> index) of the most plausible header row."""
    forced = None
    first = text.split("\n", 1)[0].strip().strip('"')
    if re.fullmatch(r"(?i)sep=.", first):  # Excel's "sep=;" hint line
        forced = first[4]
    best: tuple[int, int, str, int, list[str], dict[str, int]] | None = None
    widest: tuple[int, str, int, list[str]] | None = None
    for delim in (forced,) if forced else DELIMITERS:
        try:
            for n, (line, row) in enumerate(_reader(text, delim)):
                if n >= 12:
                    break
                cells = [c.strip() for c in row]
                if not any(cells) or (forced and n == 0):
                    continue
                cols = map_columns(cells)
                if widest is None or len(cells) > widest[0]:
                    widest = (len(cells), delim, line, cells)
                if all(f in cols for f in required):
                    score = (len(cols), len(cells))
                    if best is None or score > best[:2]:
                        best = (*score, delim, line, cells, cols)
                    break
        except _RowProblem:
            continue
    if best is not None:
        return best[2], best[3], best[4], best[5]
    if widest is None:
        raise ImportFileError("the file has no rows", where=Location(source), hint="export the device list again")
    _, delim, line, cells = widest
    cols = map_columns(cells)
    missing = [f for f in required if f not in cols]
    accepted = "; ".join(f"{f}: {', '.join(COLUMN_VARIANTS[f])}" for f in missing)
    if "client" in missing:
        accepted += " (or say whose devices they are: --client NAME [--practice NAME], e.g. for AD or Intune exports)"
    raise ImportFileError(
        f"no {' or '.join(missing)} column. Columns found ({_DELIMITER_NAMES.get(delim, delim)}-separated, "
        f"line {line}): {', '.join(repr(c) for c in cells if c) or 'none'}",
        where=Location(source, line),
        hint=f"accepted column names (any case, spaces/underscores ignored) - {accepted}",
    )


_WINDOWS_RE = re.compile(r"windows|\bwin ?(7|8|10|11|xp|20\d\d)\b|\bwin(32|64)\b|microsoft", re.I)
_MAC_RE = re.compile(r"mac ?os|\bos ?x\b|\bmac\b|darwin|sonoma|ventura|monterey|sequoia|big sur|catalina", re.I)
_LINUX_RE = re.compile(
    r"linux|ubuntu|debian|cent ?os|red ?hat|rhel|fedora|suse|rocky|alma|mint\b|arch\b|raspbian", re.I)
_NON_COMPUTER_RE = re.compile(
    r"printer|switch|router|firewall|access ?point|\bnms\b|nms_|snmp|network|esxi|vmware_vm_host|vm_?host"
    r"|\bups\b|\bnas\b|storage|android|\bios\b|iphone|ipad|chrome ?os|mobile|phone|tablet|camera|cloud_monitor",
    re.I,
)
_SERVER_RE = re.compile(r"server|domain ?controller", re.I)
_HOSTNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")


def platform_of(os_text: str, role_text: str) -> str:
    """windows | macos | linux from the OS column, else from the role/class column."""
    for text in (os_text, role_text):
        if not text:
            continue
        # NinjaOne's node classes: WINDOWS_SERVER, MAC, LINUX_WORKSTATION ...; "win" inside words counts.
        t = text.replace("_", " ")
        if _WINDOWS_RE.search(t):
            return "windows"
        if _MAC_RE.search(t):
            return "macos"
        if _LINUX_RE.search(t):
            return "linux"
    both = " / ".join(t for t in (os_text, role_text) if t)
    if both and _NON_COMPUTER_RE.search(both):
        raise _RowProblem(f"not a Windows/macOS/Linux computer ({both})")
    if not both:
        raise _RowProblem("no OS and no role/device class: cannot tell the platform")
    raise _RowProblem(f"cannot tell the platform from {both!r}")


def role_of(os_text: str, role_text: str) -> str:
    return "server" if _SERVER_RE.search(f"{role_text} {os_text}".replace("_", " ")) else "workstation"


def pick_address(text: str) -> str:
    """The best address from a cell that may list several (NinjaOne: "10.0.0.5, fe80::1")."""
    text = text.strip()
    if not text:
        return ""
    tokens = [t.strip("[]()\"'") for t in re.split(r"[,;\s|]+", text) if t.strip("[]()\"'")]
    v4: list[str] = []
    v6: list[str] = []
    for tok in tokens:
        try:
            ip = ipaddress.ip_address(tok.split("%", 1)[0].split("/", 1)[0])
        except ValueError:
            continue
        if ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
            continue
        (v4 if ip.version == 4 else v6).append(str(ip))
    if v4 or v6:
        return (v4 or v6)[0]
    if len(tokens) == 1 and _HOSTNAME_RE.match(tokens[0]) and re.search(r"[A-Za-z]", tokens[0]):
        return tokens[0].lower()  # a DNS name
    if all(_looks_unusable_ip(t) for t in tokens):
        return ""  # only loopback/link-local/APIPA addresses: the RMM did not see a usable one
    raise _RowProblem(f"address {text!r} is not an IP address or host name")


def _looks_unusable_ip(tok: str) -> bool:
    try:
        ip = ipaddress.ip_address(tok.split("%", 1)[0].split("/", 1)[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast


def read_devices(csv_path: Path, result: ImportResult, client: str | None = None,
                 site: str | None = None) -> list[DeviceRow]:
    """Read the export; rows with problems go to ``result.skipped`` with their line. ``client`` /
    ``site`` (``inventory import --client/--practice``) say whose devices they are, for exports
    with no such column (AD, Intune) and over what the file says."""
    source = str(csv_path)
    try:
        data = csv_path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read: {exc.strerror}", where=Location(source)) from None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "this is an Excel workbook, not CSV", where=Location(source),
            hint="in Excel: File > Save As > \"CSV UTF-8 (Comma delimited)\", or export CSV from the RMM",
        )
    if not data.strip():
        raise ImportFileError("the file is empty", where=Location(source), hint="export the device list again")
    text, result.encoding = decode_bytes(data, source)
    required = ("hostname",) if client else REQUIRED_FIELDS
    delim, header_line, headers, cols = _find_header(text, source, required)
    result.delimiter = delim
    result.columns = {f: headers[i] for f, i in cols.items()}
    devices: list[DeviceRow] = []
    try:
        for line, row in _reader(text, delim):
            if line <= header_line:
                continue
            cells = [c.strip() for c in row]
            if not any(cells):
                continue
            result.rows += 1
            if len(cells) > len(headers) and any(cells[len(headers):]):
                result.skipped.append(Skipped(line, f"{len(cells)} fields but the header has {len(headers)} "
                                                    "(a value with an unquoted separator?)"))
                continue
            cells += [""] * (len(headers) - len(cells))

            def get(fld: str, cells: list[str] = cells) -> str:
                if fld == "client" and client:
                    return client
                if fld == "site" and site:
                    return site
                return cells[cols[fld]] if fld in cols else ""

            try:
                devices.append(_device(line, get))
            except _RowProblem as exc:
                result.skipped.append(Skipped(line, str(exc), host=get("hostname")))
    except _RowProblem as exc:
        raise ImportFileError(f"not readable as CSV: {exc}", where=Location(source),
                              hint="check the quotes on that line, or re-export the file") from None
    return devices


def _device(line: int, get: Any) -> DeviceRow:
    hostname = get("hostname")
    if not hostname:
        raise _RowProblem("no host name")
    if not _HOSTNAME_RE.match(hostname):
        raise _RowProblem(f"host name {hostname!r} is not a valid computer name (letters, digits, '-', '.')")
    client = get("client")
    if not client:
        raise _RowProblem(f"{hostname}: no client (say whose devices these are with --client NAME)")
    for what, text in (("client", client), ("site", get("site"))):
        if len(text) > MAX_NAME:
            raise _RowProblem(f"{hostname}: the {what} name is {len(text):,} characters long; at most {MAX_NAME}")
        if any((ord(c) < 32 and c not in "\t\r\n") or ord(c) == 127 for c in text):
            raise _RowProblem(f"{hostname}: the {what} name contains control characters")
    if not slug(client):
        raise _RowProblem(f"{hostname}: client {client!r} has no letters or digits to make an id from")
    site = get("site")
    if site and not slug(site):
        raise _RowProblem(f"{hostname}: site {site!r} has no letters or digits to make an id from")
    try:
        platform = platform_of(get("os"), get("role"))
        address = pick_address(get("address"))
    except _RowProblem as exc:
        raise _RowProblem(f"{hostname}: {exc}") from None
    return DeviceRow(line, client, site, hostname, address, platform, role_of(get("os"), get("role")))


def slug(text: str) -> str:
    """An id: lowercase ASCII letters, digits and single underscores ("Clínica Sur" -> clinica_sur)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


# -- the inventory files, round-trip ----------------------------------------------------------------


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation as ruamel.yaml's ``indent()`` wants them."""
    maps: Counter[int] = Counter()
    seqs: Counter[tuple[int, int]] = Counter()
    prev_indent, prev_opens_block = 0, False
    for raw in text.splitlines():
        s = raw.lstrip(" ")
        if not s or s.startswith("#"):
            continue
        ind = len(raw) - len(s)
        if prev_opens_block:
            if s.startswith("- ") and ind >= prev_indent:
                content = 1 + len(s[1:]) - len(s[1:].lstrip(" "))
                seqs[(ind - prev_indent + content, ind - prev_indent)] += 1
            elif ind > prev_indent:
                maps[ind - prev_indent] += 1
        code = re.sub(r"\s+#.*$", "", s)
        prev_opens_block = code.endswith(":") and not code.startswith("- ")
        prev_indent = ind
    mapping = maps.most_common(1)[0][0] if maps else 2
    sequence, offset = seqs.most_common(1)[0][0] if seqs else (mapping, 0)
    return mapping, max(sequence, offset + 2), offset


def _split_preamble(text: str) -> tuple[str, str]:
    """Comments/directives up to an explicit ``---`` (which ruamel.yaml would drop), and the rest."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or s.startswith("#") or s.startswith("%"):
            continue
        if re.fullmatch(r"---(\s+#.*)?", s):
            return "".join(lines[: i + 1]), "".join(lines[i + 1:])
        break
    return "", text


def _pyyaml_str_safe(value: str) -> Any:
    """``value`` as a YAML scalar Ansible (PyYAML, YAML 1.1) reads back as the same string."""
    try:
        back = yaml.safe_load(value)
    except yaml.YAMLError:
        back = None
    if back == value and isinstance(back, str) and not value.startswith((" ", "'", '"')) and value == value.strip():
        return value
    return SingleQuotedScalarString(value)


@dataclass
class _Doc:
    path: Path
    raw: bytes | None  # the bytes read (None: a new file)
    data: Any
    yaml: YAML
    preamble: str = ""
    epilogue: str = ""
    bom: bool = False
    crlf: bool = False
    dirty: bool = False

    @property
    def line_offset(self) -> int:
        """Lines before the part ruamel.yaml parsed (the kept preamble), for file line numbers."""
        return self.preamble.count("\n") if self.raw is not None else 0

    def render(self) -> bytes:
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        text = self.preamble + out.getvalue() + self.epilogue
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8")


def _new_yaml(mapping: int = 2, sequence: int = 2, offset: int = 0) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long values
    y.allow_unicode = True
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def _load_doc(path: Path) -> _Doc:
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    crlf = "\r\n" in text
    text = text.replace("\r\n", "\n")
    preamble, body = _split_preamble(text)
    epilogue = ""
    m = re.search(r"\n\.\.\.[ \t]*\n?\Z", body)
    if m:
        body, epilogue = body[: m.start() + 1], body[m.start() + 1:]
    y = _new_yaml(*_guess_indent(body))
    try:
        data = y.load(body)
    except RuamelYAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + preamble.count("\n") if mark else None
        problem = getattr(exc, "problem", None) or exc
        raise InventoryError(f"not valid YAML: {problem}", where=Location(str(path), line)) from None
    if data is None:  # only comments: keep them all, add below
        preamble = text if text.endswith("\n") or not text else text + "\n"
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise InventoryError("the top level must be a mapping (all: children: ...)", where=Location(str(path), 1))
    return _Doc(path, raw, data, y, preamble, epilogue, bom, crlf)


def _line(doc: _Doc, mapping: Any, key: Any) -> int | None:
    with contextlib.suppress(Exception):
        return int(mapping.lc.key(key)[0]) + 1 + doc.line_offset
    return None


@dataclass
class _Client:
    id: str
    name: str
    doc: _Doc
    body: dict[Any, Any]  # its group's mapping in the file (a ruamel CommentedMap: comments kept)
    new: bool = False


@dataclass
class _Practice:
    id: str
    client_id: str
    site: str
    doc: _Doc
    body: dict[Any, Any]  # its group's mapping in the file (a ruamel CommentedMap: comments kept)
    new: bool = False


@dataclass
class _HostRef:
    name: str
    doc: _Doc
    groups: tuple[str, ...]  # group chain from the top, e.g. (all, client_x, practice_x_y)
    hosts: dict[Any, Any]  # the ``hosts:`` mapping holding it (a ruamel CommentedMap)
    line: int | None

    @property
    def practice_id(self) -> str | None:
        if len(self.groups) == 3 and self.groups[0] == "all" and self.groups[1].startswith(CLIENT_PREFIX) \
                and self.groups[2].startswith(PRACTICE_PREFIX):
            return self.groups[2][len(PRACTICE_PREFIX):]
        return None

    @property
    def client_id(self) -> str | None:
        if len(self.groups) >= 2 and self.groups[0] == "all" and self.groups[1].startswith(CLIENT_PREFIX):
            return self.groups[1][len(CLIENT_PREFIX):]
        return None

    def where(self, root: Path) -> str:
        return str(Location(_rel(self.doc.path, root), self.line))

    @property
    def vars(self) -> Any:
        return self.hosts.get(self.name)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


class _Inventory:
    """The inventory files loaded round-trip, with an index of clients, practices and hosts."""

    def __init__(self, inventory_dir: Path) -> None:
        self.dir = inventory_dir
        self.docs: dict[Path, _Doc] = {}
        self.clients: dict[str, _Client] = {}
        self.practices: dict[str, _Practice] = {}
        self.hosts: dict[str, list[_HostRef]] = {}  # lowercased name -> occurrences
        for path in inventory_files(inventory_dir):
            doc = _load_doc(path)
            self.docs[path] = doc
            for group, body in doc.data.items():
                self._walk(doc, (str(group),), body)

    def _walk(self, doc: _Doc, chain: tuple[str, ...], body: Any) -> None:
        if not isinstance(body, dict):
            return
        if len(chain) == 2 and chain[0] == "all" and chain[1].startswith(CLIENT_PREFIX):
            cid = chain[1][len(CLIENT_PREFIX):]
            if cid not in self.clients:
                cvars = body.get("vars")
                cvars = cvars if isinstance(cvars, dict) else {}
                self.clients[cid] = _Client(cid, str(cvars.get("fleet_client_name") or cid), doc, body)
        if len(chain) == 3 and chain[0] == "all" and chain[1].startswith(CLIENT_PREFIX) \
                and chain[2].startswith(PRACTICE_PREFIX):
            pid = chain[2][len(PRACTICE_PREFIX):]
            if pid not in self.practices:
                pvars = body.get("vars")
                pvars = pvars if isinstance(pvars, dict) else {}
                self.practices[pid] = _Practice(pid, chain[1][len(CLIENT_PREFIX):], str(pvars.get("fleet_site") or ""),
                                                doc, body)
        hosts = body.get("hosts")
        if isinstance(hosts, dict):
            for name in hosts:
                ref = _HostRef(str(name), doc, chain, hosts, _line(doc, hosts, name))
                self.hosts.setdefault(str(name).lower(), []).append(ref)
        children = body.get("children")
        if isinstance(children, dict):
            for group, child in children.items():
                self._walk(doc, (*chain, str(group)), child)

    # -- resolving an export row ------------------------------------------------------------------
    def find_client(self, name: str) -> list[_Client]:
        s = slug(name)
        if s in self.clients:
            return [self.clients[s]]
        return [c for c in self.clients.values() if slug(c.name) == s]

    def practices_for(self, client: _Client, site: str) -> list[_Practice]:
        pid = f"{client.id}_{slug(site) or 'main'}"
        found = [p for p in self.practices.values() if p.client_id == client.id
                 and (p.id in (pid, slug(site)) or (site and slug(p.site) == slug(site)))]
        return found

    # -- editing ----------------------------------------------------------------------------------
    def client_file(self, client_id: str) -> _Doc:
        for suffix in (".yml", ".yaml"):
            path = self.dir / f"{client_id}{suffix}"
            if path in self.docs:
                return self.docs[path]
        path = self.dir / f"{client_id}.yml"
        doc = _Doc(path, None, CommentedMap(), _new_yaml(),
                   preamble=f"# Client {client_id}: Ansible YAML inventory (created by `fleet inventory import`;\n"
                            "# edit freely: imports keep comments and hand-added vars)\n")
        self.docs[path] = doc
        return doc

    def add_client(self, cid: str, name: str) -> _Client:
        doc = self.client_file(cid)
        top = doc.data
        if not isinstance(top.get("all"), dict):
            top["all"] = CommentedMap()
        if not isinstance(top["all"].get("children"), dict):
            top["all"]["children"] = CommentedMap()
        body = CommentedMap([("vars", CommentedMap([("fleet_client_name", _pyyaml_str_safe(name))])),
                             ("children", CommentedMap())])
        top["all"]["children"][f"{CLIENT_PREFIX}{cid}"] = body
        client = _Client(cid, name, doc, body, new=True)
        self.clients[cid] = client
        doc.dirty = True
        return client

    def add_practice(self, client: _Client, pid: str, name: str, site: str) -> _Practice:
        if not isinstance(client.body.get("children"), dict):
            client.body["children"] = CommentedMap()
        pvars = CommentedMap([("fleet_practice_name", _pyyaml_str_safe(name))])
        if site:
            pvars["fleet_site"] = _pyyaml_str_safe(site)
        body = CommentedMap([("vars", pvars), ("hosts", CommentedMap())])
        client.body["children"][f"{PRACTICE_PREFIX}{pid}"] = body
        practice = _Practice(pid, client.id, site, client.doc, body, new=True)
        self.practices[pid] = practice
        client.doc.dirty = True
        return practice

    def add_host(self, practice: _Practice, dev: DeviceRow) -> str:
        if not isinstance(practice.body.get("hosts"), dict):
            practice.body["hosts"] = CommentedMap()
        name = dev.hostname.lower()
        hvars = CommentedMap()
        if dev.address:
            hvars["ansible_host"] = _pyyaml_str_safe(dev.address)
        hvars["fleet_role"] = dev.role
        hvars["fleet_platform"] = dev.platform
        practice.body["hosts"][_pyyaml_str_safe(name)] = hvars
        groups = ("all", f"{CLIENT_PREFIX}{practice.client_id}", f"{PRACTICE_PREFIX}{practice.id}")
        self.hosts[name] = [_HostRef(name, practice.doc, groups, practice.body["hosts"], None)]
        practice.doc.dirty = True
        return name

    def set_address(self, ref: _HostRef, address: str) -> None:
        hvars = ref.hosts.get(ref.name)
        if not isinstance(hvars, dict):
            hvars = CommentedMap()
            ref.hosts[ref.name] = hvars
        old = hvars.get("ansible_host")
        if isinstance(old, SingleQuotedScalarString | DoubleQuotedScalarString):
            hvars["ansible_host"] = type(old)(address)  # keep the file's quoting
        else:
            hvars["ansible_host"] = _pyyaml_str_safe(address)
        ref.doc.dirty = True


# -- the import -------------------------------------------------------------------------------------


def import_csv(inventory_dir: Path, csv_path: Path, dry_run: bool = False, client: str | None = None,
               practice: str | None = None) -> ImportResult:
    """Add/update the inventory from an RMM device export. See the module docstring for the rules.
    ``client`` (a client's name or id) and ``practice`` (an existing practice id of that client, or a
    site name) put every device of the file there."""
    inventory_dir = Path(inventory_dir)
    csv_path = Path(csv_path)
    result = ImportResult(source=csv_path, dry_run=dry_run)
    if practice and not client:
        raise ImportFileError("--practice needs --client (whose practice it is)")
    for what, text in (("--client", client), ("--practice", practice)):
        if text is not None and (not slug(text) or len(text) > MAX_NAME or any(ord(c) < 32 for c in text)):
            raise ImportFileError(f"{what} {text[:60]!r} is not a usable name",
                                  hint=f"letters and digits, at most {MAX_NAME} characters")
    devices = read_devices(csv_path, result, client, practice)
    load_inventory(inventory_dir)  # malformed inventory YAML: a clear InventoryError (file, line) first
    inv = _Inventory(inventory_dir)
    before = {path: _flatten(_pyyaml(doc.raw, path)) for path, doc in inv.docs.items() if doc.raw is not None}
    updated: dict[Path, set[tuple[str, ...]]] = {}
    seen: dict[str, DeviceRow] = {}
    root = inventory_dir
    for dev in devices:
        key = dev.hostname.lower()
        if key in seen:
            first = seen[key]
            same = (slug(first.client), slug(first.site), first.address) == (slug(dev.client), slug(dev.site),
                                                                             dev.address)
            if not same:
                result.skipped.append(Skipped(dev.line, f"{dev.hostname} is also on line {first.line} with a different "
                                              "client/site/address; the first row was used", "duplicate",
                                              dev.hostname))
            continue
        seen[key] = dev
        clients = inv.find_client(dev.client)
        if len(clients) > 1:
            result.skipped.append(Skipped(dev.line, f"{dev.hostname}: client {dev.client!r} matches "
                                          f"{', '.join(CLIENT_PREFIX + c.id for c in clients)}; rename one "
                                          "(fleet_client_name)", host=dev.hostname))
            continue
        owner = clients[0] if clients else None
        refs = inv.hosts.get(key, [])
        if refs:
            _update_existing(inv, dev, owner, refs, result, updated, root)
            continue
        # a new host
        if owner is None:
            cid = slug(dev.client)
            owner = inv.add_client(cid, dev.client)
            result.changes.append(Change("add client", "", "", f"{CLIENT_PREFIX}{cid} ({dev.client}) in "
                                         f"{_rel(owner.doc.path, root)}", owner.doc.path))
        practices = inv.practices_for(owner, dev.site)
        if len(practices) > 1:
            result.skipped.append(Skipped(dev.line, f"{dev.hostname}: site {dev.site!r} matches practices "
                                          f"{', '.join(p.id for p in practices)}; add the host by hand",
                                          host=dev.hostname))
            continue
        if practices:
            home = practices[0]
        else:
            pid = f"{owner.id}_{slug(dev.site) or 'main'}"
            if pid in inv.practices:
                other = inv.practices[pid]
                result.skipped.append(Skipped(dev.line, f"{dev.hostname}: practice id {pid} is already used by "
                                              f"client {other.client_id}; add the host by hand", host=dev.hostname))
                continue
            home = inv.add_practice(owner, pid, dev.site or owner.name, dev.site)
            result.changes.append(Change("add practice", "", pid, (f"site {dev.site!r}" if dev.site else "no site")
                                         + f" under {CLIENT_PREFIX}{owner.id}; set fleet_pms (see `fleet catalog "
                                         "list`) before deploying", home.doc.path))
        name = inv.add_host(home, dev)
        result.changes.append(Change("add host", name, home.id, f"{dev.platform} {dev.role}, "
                                     + (f"ansible_host {dev.address}" if dev.address else "no address in the export"),
                                     home.doc.path))
    changed = [doc for doc in inv.docs.values() if doc.dirty]
    rendered = {doc.path: doc.render() for doc in changed}
    for doc in changed:
        _verify(doc, rendered[doc.path], before.get(doc.path, {}), updated.get(doc.path, set()))
    result.files = sorted(rendered)
    result.skipped.sort(key=lambda s: s.line)
    if not dry_run:
        _write_all(inv, rendered)
    return result


def _update_existing(inv: _Inventory, dev: DeviceRow, client: _Client | None, refs: list[_HostRef],
                     result: ImportResult, updated: dict[Path, set[tuple[str, ...]]], root: Path) -> None:
    in_practices = [r for r in refs if r.practice_id]
    said = f"client {dev.client!r}" + (f", site {dev.site!r}" if dev.site else "")
    if len(in_practices) != 1:
        places = ", ".join(f"{'/'.join(r.groups[1:])} ({r.where(root)})" for r in refs)
        why = "is in no practice" if not in_practices else "is listed in several practices"
        result.skipped.append(Skipped(dev.line, f"{dev.hostname} {why}: {places}; the export says {said}. "
                                      "Not changed: fix the inventory by hand", "conflict", dev.hostname))
        return
    ref = in_practices[0]
    here = f"{PRACTICE_PREFIX}{ref.practice_id} ({ref.where(root)})"
    if client is None or ref.client_id != client.id:
        result.skipped.append(Skipped(
            dev.line, f"{dev.hostname} is already in {CLIENT_PREFIX}{ref.client_id} / {here} but the export says "
            f"{said}; not moved. If they are different machines, rename one; if it moved, move it by hand",
            "conflict", dev.hostname))
        return
    if dev.site and ref.practice_id not in {p.id for p in inv.practices_for(client, dev.site)}:
        result.skipped.append(Skipped(
            dev.line, f"{dev.hostname} is already in {here} but the export says {said}; not moved. If that "
            f"practice is the site {dev.site!r}, set fleet_site: {dev.site} on it", "conflict", dev.hostname))
        return
    hvars = ref.vars if isinstance(ref.vars, dict) else {}
    old = hvars.get("ansible_host")
    if not dev.address or (old is not None and str(old) == dev.address):
        result.unchanged += 1
        return
    inv.set_address(ref, dev.address)
    updated.setdefault(ref.doc.path, set()).add((*ref.groups, ref.name))
    result.changes.append(Change("update host", ref.name, ref.practice_id or "",
                                 f"ansible_host {old if old is not None else '(unset)'} -> {dev.address}",
                                 ref.doc.path))


# -- safety: verify, then write atomically -----------------------------------------------------------


def _pyyaml(raw: bytes | None, path: Path) -> Any:
    if raw is None:
        return None
    from fleet.yamlsrc import load_text

    return load_text(raw.decode("utf-8-sig"), str(path), InventoryError)


def _flatten(data: Any) -> dict[tuple[str, ...], Any]:
    """Every group's vars and every host's vars, keyed by group chain (+ host), as Ansible reads them."""
    out: dict[tuple[str, ...], Any] = {}

    def walk(chain: tuple[str, ...], body: Any) -> None:
        if not isinstance(body, dict):
            out[(*chain, "=")] = body
            return
        for k, v in body.items():
            if k == "hosts" and isinstance(v, dict | None):
                for h, hv in (v or {}).items():
                    out[(*chain, str(h))] = hv
            elif k == "children" and isinstance(v, dict | None):
                for g, gv in (v or {}).items():
                    walk((*chain, str(g)), gv)
            else:
                out[(*chain, f"{k}=")] = v

    if isinstance(data, dict):
        for g, body in data.items():
            walk((str(g),), body)
    elif data is not None:
        out[("=",)] = data
    return out


def _verify(doc: _Doc, new: bytes, before: dict[tuple[str, ...], Any], updated: set[tuple[str, ...]],
            changed_var: str = "ansible_host") -> None:
    """What Ansible reads from the new text keeps every old group var and host var (except the
    ``changed_var`` we meant to change on the ``updated`` hosts). Anything else is a bug here: refuse
    to write."""
    after = _flatten(_pyyaml(new, doc.path))
    for key, old in before.items():
        if key not in after:
            raise FleetError(f"internal error: the import would drop {'/'.join(key)}; nothing was written",
                             where=Location(str(doc.path)), hint="please report this with the file")
        new_val = after[key]
        if key in updated:
            old = {k: v for k, v in (old or {}).items() if k != changed_var}
            new_val = {k: v for k, v in (new_val or {}).items() if k != changed_var}
        if old != new_val:
            raise FleetError(f"internal error: the import would change {'/'.join(key)}; nothing was written",
                             where=Location(str(doc.path)), hint="please report this with the file")


def _write_all(inv: _Inventory, rendered: dict[Path, bytes]) -> None:
    for path in rendered:  # first check that nobody edited a file while we worked
        doc = inv.docs[path]
        current = path.read_bytes() if path.exists() else None
        if current != doc.raw:
            raise ImportFileError("changed on disk during the import; nothing was written",
                                  where=Location(str(path)), hint="run the import again")
    for path, data in rendered.items():
        atomic_write(path, data)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once (temp file in the same directory + os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    tmp = path.with_name(f".{path.name}.import-{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        raise ImportFileError(f"cannot write: {exc.strerror}", where=Location(str(path))) from None
    finally:
        if tmp.exists():
            tmp.unlink()
