"""Raw facts: what a collector reports about one host, parsed and validated into dataclasses.

The collectors (``collectors/posix.sh``, ``collectors/windows.ps1``) print one JSON document.
``parse_facts`` turns its bytes into ``HostFacts`` or raises ``FactsError`` with a reason a person
can act on (not JSON, foreign document, wrong type at ``disks[0].free_mb``...). Nothing in here
judges: that is ``fleet.health.evaluate``'s job.

The document (schema 1) is a few singletons and flat tables, the same shape from every collector::

    {"fleet_health": 1, "collector": "posix",
     "host":     {"hostname", "os", "os_version", "time", "boot_time", "user"},
     "managed":  {"kind": domain|entra|mdm|workgroup|not_applicable|unknown, "detail",
                  "join": domain|entra|workgroup|""},               # "" when it could not be read
     "runtime":  {"language_mode", "admin", "ps_version", "ps_host", "budget_s", "elapsed_ms",
                  "skipped"},                                       # Windows: how the collector ran
     "disks":    [{"mount", "total_mb", "free_mb"}],
     "browsers": [{"browser": chrome|chromium|edge, "binary", "version"}],
     "userdata": [{"browser", "user", "version"}],          # user-data dirs found ("Last Version")
     "profiles": [{"browser", "user", "profile"}],
     "extensions": [{"browser", "user", "profile", "extension_id", "version"}],
     "policy_sources": [{"browser", "source", "ok", "error", "has_forcelist"}],
     "forcelist": [{"browser", "source", "entry", "name"}],  # every ExtensionInstallForcelist entry
     "managed_values": [{"browser", "source", "extension_id", "field", "type", "sha16"}],
     "services": [{"name", "kind", "present", "running", "start", "version", "crashes_24h", "probe",
                   "key_fingerprint", "pending_version", "pending_key_fingerprint", "pending_boot",
                   "pending_removal_boot"}],
     "endpoint": {"url", "ok", "http_status", "error", "elapsed_ms", "proxy", "tls"},
     "errors":   [{"where", "error"}]}

Managed policy values are never sent: only ``sha16``, the first 16 hex characters of the SHA-256 of
the value's text (``fleet.secrets.store.fingerprint``). Unknown keys are dropped, so whatever else a
host sends never reaches the store.
"""

from __future__ import annotations

import json
import math
import typing
from dataclasses import MISSING, dataclass, fields
from functools import cache
from typing import Any

from fleet.plain import as_dict

SCHEMA_VERSION = 1
SCHEMA_KEY = "fleet_health"
MAX_ROWS = 2000  # per table; a real host has a few dozen
MAX_STRING = 4096


class FactsError(Exception):
    """The collector's output cannot be used; ``reason`` says why (no host data in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostInfo:
    hostname: str = ""
    os: str = ""
    os_version: str = ""
    time: float | None = None  # host clock, epoch seconds
    boot_time: float | None = None  # epoch seconds
    user: str = ""


@dataclass(frozen=True)
class Managed:
    kind: str = "unknown"  # domain | entra | mdm | workgroup | not_applicable | unknown
    detail: str = ""
    join: str = ""  # Windows: domain (AD, hybrid too) | entra (Entra ID) | workgroup; "" unknown or not Windows


@dataclass(frozen=True)
class Runtime:
    """How the collector ran (Windows): a non-admin or constrained run explains missing facts."""

    language_mode: str = ""  # FullLanguage | ConstrainedLanguage | ...
    admin: bool | None = None
    ps_version: str = ""
    ps_host: str = ""  # ServerRemoteHost over PSRP/WinRM, ConsoleHost over SSH
    budget_s: float | None = None
    elapsed_ms: int | None = None
    skipped: tuple[str, ...] = ()  # probes not run: the time budget was used up


@dataclass(frozen=True)
class Disk:
    mount: str
    total_mb: int
    free_mb: int


@dataclass(frozen=True)
class Browser:
    browser: str
    binary: str = ""  # "" when no binary was found
    version: str = ""


@dataclass(frozen=True)
class UserData:
    browser: str
    user: str
    version: str = ""


@dataclass(frozen=True)
class Profile:
    browser: str
    user: str
    profile: str


@dataclass(frozen=True)
class InstalledExtension:
    browser: str
    user: str
    profile: str
    extension_id: str
    version: str = ""


@dataclass(frozen=True)
class PolicySource:
    browser: str
    source: str
    ok: bool = True
    error: str = ""
    has_forcelist: bool = False  # the source sets ExtensionInstallForcelist (possibly to an empty list)


@dataclass(frozen=True)
class ForcelistEntry:
    browser: str
    source: str
    entry: str
    name: str = ""  # Windows: the registry value's name ("1", "2"...: the slot); "" in a JSON list


@dataclass(frozen=True)
class ManagedValue:
    browser: str
    source: str
    extension_id: str
    field: str
    type: str = "string"  # string | number | boolean | object | array | null | unreadable
    sha16: str = ""


@dataclass(frozen=True)
class Service:
    name: str
    kind: str = ""  # synchronizer | pms
    present: bool | None = None
    running: bool | None = None
    start: str = "unknown"  # auto | delayed (Windows: delayed automatic start) | manual | disabled | unknown
    version: str = ""
    crashes_24h: int | None = None
    probe: str = ""  # how it was found: scm | systemd | pidfile | statefile | none
    key_fingerprint: str = ""  # the installed product key's fingerprint (fleet's marker / key file), if known
    # Windows, fleet's record of an install/removal whose msiexec asked for a restart (exit code 3010):
    # the version and key fingerprint installed, the boot it happened in (epoch s, as text)
    pending_version: str = ""
    pending_key_fingerprint: str = ""
    pending_boot: str = ""
    pending_removal_boot: str = ""


@dataclass(frozen=True)
class Endpoint:
    url: str = ""
    ok: bool = False
    http_status: int | None = None
    error: str = ""
    elapsed_ms: int | None = None
    proxy: str = ""  # the proxy the request went through ("" direct)
    tls: bool | None = None  # https: the handshake succeeded with a certificate for the URL's host


@dataclass(frozen=True)
class CollectorError:
    where: str = ""
    error: str = ""


@dataclass(frozen=True)
class HostFacts:
    collector: str
    host: HostInfo
    managed: Managed
    runtime: Runtime = Runtime()
    disks: tuple[Disk, ...] = ()
    browsers: tuple[Browser, ...] = ()
    userdata: tuple[UserData, ...] = ()
    profiles: tuple[Profile, ...] = ()
    extensions: tuple[InstalledExtension, ...] = ()
    policy_sources: tuple[PolicySource, ...] = ()
    forcelist: tuple[ForcelistEntry, ...] = ()
    managed_values: tuple[ManagedValue, ...] = ()
    services: tuple[Service, ...] = ()
    endpoint: Endpoint | None = None
    errors: tuple[CollectorError, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = as_dict(self)
        return out


SINGLETONS: dict[str, type] = {"host": HostInfo, "managed": Managed, "runtime": Runtime, "endpoint": Endpoint}
TABLES: dict[str, type] = {
    "disks": Disk, "browsers": Browser, "userdata": UserData, "profiles": Profile,
    "extensions": InstalledExtension, "policy_sources": PolicySource, "forcelist": ForcelistEntry,
    "managed_values": ManagedValue, "services": Service, "errors": CollectorError,
}


# -- parsing ------------------------------------------------------------------------------------


@cache
def _spec(cls: type) -> tuple[tuple[str, Any, bool], ...]:
    """(name, type, required) per field of a row class."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name], f.default is MISSING and f.default_factory is MISSING)
                 for f in fields(cls))


def _convert(value: Any, hint: Any, where: str) -> Any:
    optional = typing.get_origin(hint) in (typing.Union, _UnionType) and type(None) in typing.get_args(hint)
    base = next((a for a in typing.get_args(hint) if a is not type(None)), hint) if optional else hint
    if value is None:
        if optional:
            return None
        raise FactsError(f"{where}: null where a {base.__name__} is expected")
    if typing.get_origin(base) is tuple:  # tuple[str, ...]: a list of short texts
        if isinstance(value, str):  # PowerShell's ConvertTo-Json unwraps one-element arrays
            value = [value]
        if not isinstance(value, list) or len(value) > MAX_ROWS:
            raise FactsError(f"{where}: expected a list of texts, got {_tname(value)}")
        return tuple(_convert(v, str, f"{where}[{i}]") for i, v in enumerate(value))
    if base is str:
        if not isinstance(value, str):
            raise FactsError(f"{where}: expected text, got {_tname(value)}")
        if len(value) > MAX_STRING:
            raise FactsError(f"{where}: text of {len(value)} characters (more than {MAX_STRING})")
        return value
    if base is bool:
        if not isinstance(value, bool):
            raise FactsError(f"{where}: expected true/false, got {_tname(value)}")
        return value
    if base in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FactsError(f"{where}: expected a number, got {_tname(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise FactsError(f"{where}: not a finite number")
        if base is int:
            if isinstance(value, float):
                if not value.is_integer():
                    raise FactsError(f"{where}: expected a whole number, got {value}")
                value = int(value)
            return value
        return float(value)
    raise TypeError(f"unsupported field type {hint!r}")  # a bug in this module, not in the data


_UnionType = type(int | None)


def _tname(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), type(value).__name__)


def _row(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise FactsError(f"{where}: expected an object, got {_tname(raw)}")
    kwargs = {}
    for name, hint, required in _spec(cls):
        if name in raw:
            kwargs[name] = _convert(raw[name], hint, f"{where}.{name}")
        elif required:
            raise FactsError(f"{where}: missing {name!r}")
    return cls(**kwargs)


def facts_from_document(doc: Any) -> HostFacts:
    """Validate a decoded collector document into ``HostFacts``."""
    if not isinstance(doc, dict):
        raise FactsError(f"expected a JSON object, got {_tname(doc)}")
    if SCHEMA_KEY not in doc:
        raise FactsError(f"not a fleet health document (no {SCHEMA_KEY!r} key)")
    version = doc[SCHEMA_KEY]
    if version != SCHEMA_VERSION:
        raise FactsError(f"facts schema {version!r} is not {SCHEMA_VERSION}; the collector and fleet disagree")
    collector = doc.get("collector", "")
    if not isinstance(collector, str):
        raise FactsError(f"collector: expected text, got {_tname(collector)}")
    kwargs: dict[str, Any] = {"collector": collector[:40]}
    for key, cls in SINGLETONS.items():
        raw = doc.get(key)
        if raw is None:
            kwargs[key] = None if key == "endpoint" else cls()
        else:
            kwargs[key] = _row(cls, raw, key)
    for key, cls in TABLES.items():
        raw = doc.get(key)
        if raw is None:
            continue
        if isinstance(raw, dict):  # PowerShell's ConvertTo-Json unwraps one-element arrays
            raw = [raw]
        if not isinstance(raw, list):
            raise FactsError(f"{key}: expected a list, got {_tname(raw)}")
        if len(raw) > MAX_ROWS:
            raise FactsError(f"{key}: {len(raw)} rows (more than {MAX_ROWS})")
        kwargs[key] = tuple(_row(cls, r, f"{key}[{i}]") for i, r in enumerate(raw))
    return HostFacts(**kwargs)


def parse_facts(data: bytes, max_bytes: int) -> HostFacts:
    """Parse a collector's stdout. Raises ``FactsError`` (reason only, never the data itself)."""
    if len(data) > max_bytes:
        raise FactsError(f"output of {len(data)} bytes is over the {max_bytes}-byte limit")
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        raise FactsError("no output")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        found = _answer_among_other_output(text)
        if found is None:
            raise FactsError(f"output is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}; "
                             f"{len(data)} bytes)") from None
        doc, others = found
        errors = doc.get("errors")
        doc["errors"] = [*(errors if isinstance(errors, list) else []), {"where": "login output", "error": (
            f"{others} line(s) of other output came with the answer and were ignored (a login script, "
            "~/.bashrc or a PowerShell profile writes to stdout)")}]
    except RecursionError:
        raise FactsError("output is JSON nested too deeply") from None
    return facts_from_document(doc)


def _answer_among_other_output(text: str) -> tuple[dict[str, Any], int] | None:
    """The collector's one-line answer among lines a login shell printed around it (Debian's bash runs
    ~/.bashrc for an ssh command, OpenSSH's PowerShell DefaultShell the user's profile), as Ansible
    finds a module's JSON among other output: the last line that is a JSON object with our schema key.
    Returns it and how many other non-empty lines there were (their text is never kept)."""
    lines = [line.strip() for line in text.splitlines()]
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        if not (line.startswith("{") and line.endswith("}") and f'"{SCHEMA_KEY}"' in line):
            continue
        try:
            doc = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        if isinstance(doc, dict) and SCHEMA_KEY in doc:
            return doc, sum(1 for j, other in enumerate(lines) if other and j != i)
    return None
