"""Reading an RMM device export (CSV) into device rows: one ``DeviceRow`` per computer.

The RMMs MSPs use export devices with different column names and encodings (NinjaOne, Datto RMM,
ConnectWise Automate/Manage, N-able N-central/N-sight, Intune, Active Directory; Excel "Unicode
text" is UTF-16 and TAB separated, older Excel writes cp1252). Rows that cannot be used are kept
as ``Skipped`` with their line and the reason. Editing the inventory from them is
``fleet.inventory.rmm_import``.
"""


from __future__ import annotations

import csv
import io
import ipaddress
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleet.errors import ImportFileError, Location

if TYPE_CHECKING:
    from fleet.inventory.rmm_import import ImportResult

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


# -- rows that could not be used ---------------------------------------------------------------------


@dataclass(frozen=True)
class Skipped:
    line: int
    reason: str
    kind: str = "invalid"  # "invalid" (bad row) | "conflict" (host exists elsewhere) | "duplicate"
    host: str = ""



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
