"""The declared schema of fleet.yml: one table of keys, types, bounds and descriptions.

``check(raw, path)`` walks the parsed file against ``SCHEMA`` and raises ``ConfigError`` naming the
file, the line and the key: a wrong type, a value out of bounds, an unknown key (with a did-you-mean),
a non-https extension update URL, a version that YAML read as a number and changed (``4.10`` -> 4.1).
It checks the shape only; ``fleet.config``, ``fleet.health.settings`` and ``fleet.remote.node``
then turn the sections they own into typed dataclasses.

To add a key, add a ``Key`` to the table (``docs/workspace-format.md`` lists them from here).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

from fleet.errors import ConfigError, Location
from fleet.yamlsrc import SourceFloat, line_of

# kinds of value
STR, INT, NUMBER, BOOL, VERSION = "str", "int", "number", "bool", "version"
MAP, LIST, DICT_OF = "map", "list", "dict_of"
_TYPE_WORDS = {STR: "a string", INT: "a whole number", NUMBER: "a number", BOOL: "true or false",
               MAP: "a mapping (key: value lines)", LIST: "a list", DICT_OF: "a mapping (name: ... lines)",
               VERSION: "a version string"}


@dataclass(frozen=True)
class Key:
    """One key of fleet.yml: its kind, what it is for, and what values it takes."""

    kind: str
    doc: str
    fields: Mapping[str, Key] = field(default_factory=dict)  # MAP: its keys
    item: Key | None = None  # LIST items, DICT_OF values
    names: str | None = r"[A-Za-z0-9_.-]{1,64}"  # DICT_OF: what its names must match (None: any text)
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    max_len: int = 2000
    choices: tuple[str, ...] = ()
    pattern: str | None = None  # STR: must match (fullmatch)
    pattern_hint: str = ""
    what: str = "valid"  # "'x' is not <what>" when the pattern does not match
    schemes: tuple[str, ...] = ()  # STR: a URL with one of these schemes
    empty_ok: bool = True  # STR: "" allowed (means: not set)
    controls_ok: bool = False  # STR/DICT_OF names: control characters left to the exporters to judge
    check: Callable[[Any], str | None] | None = None  # extra check: an error message or None


def _https(doc: str) -> Key:
    return Key(STR, doc, schemes=("https",), max_len=2000)


def _url(doc: str, schemes: tuple[str, ...] = ("https", "http")) -> Key:
    return Key(STR, doc, schemes=schemes, max_len=2000)


class _Pattern(TypedDict, total=False):
    """Key's pattern settings, shared by several keys (``Key(STR, doc, **_SHA256)``)."""

    pattern: str
    what: str
    pattern_hint: str


_SHA256: _Pattern = {"pattern": r"[0-9a-fA-F]{64}", "what": "a SHA-256 hex digest",
                     "pattern_hint": "64 hex characters, e.g. from `sha256sum installer.msi`"}
_EXT_ID: _Pattern = {"pattern": r"[a-p]{32}", "what": "an extension ID",
                     "pattern_hint": "an extension ID is exactly 32 letters a-p (see chrome://extensions)"}
_NAME: _Pattern = {"pattern": r"[A-Za-z_][A-Za-z0-9_]{0,63}",
                   "pattern_hint": "letters, digits and _ (an MSI property name)"}
_VAR: _Pattern = {"pattern": r"[A-Za-z_][A-Za-z0-9_]{0,63}",
                  "pattern_hint": "an inventory variable name (letters, digits, _)"}

VARIANT = Key(MAP, "one variant (v1..v7) of the vendor's extension", fields={
    "chrome": Key(STR, "its Chrome Web Store ID", required=True, **_EXT_ID),
    "edge": Key(STR, "its Edge ID, when it differs from Chrome's", **_EXT_ID),
    "update_url": _https("its update URL (default: extensions.update_url)"),
    "token_field": Key(STR, "managed-storage field that receives the practice's token", max_len=200,
                       controls_ok=True),
    "extra_fields": Key(DICT_OF, "managed-storage field -> practice variable", names=None, controls_ok=True,
                        item=Key(STR, "a practice variable", **_VAR)),
    "edge_addons": Key(STR, "its ID on the Edge Add-ons site (workgroup Edge needs it)", **_EXT_ID),
    "previous_ids": Key(LIST, "earlier IDs of this variant, removed wherever found",
                        item=Key(STR, "an extension ID", **_EXT_ID)),
})

_GPO_DOMAIN = {
    "domain": Key(STR, "the AD domain's DNS name", max_len=253),
    "domain_guid": Key(STR, "(Get-ADDomain).ObjectGUID", max_len=40),
    "domain_controller": Key(STR, "the DC's DNS name", max_len=253),
}

SCHEMA = Key(MAP, "fleet.yml", fields={
    "example": Key(BOOL, "fleet's example workspace: deploy and health refuse to connect to its hosts"),
    "msp": Key(MAP, "who the MSP is", fields={"name": Key(STR, "shown in reports", max_len=200)}),
    "extensions": Key(MAP, "the vendor's browser extension", fields={
        "update_url": _https("update URL of every variant (default: the Chrome Web Store's)"),
        "variants": Key(DICT_OF, "extension variants by name (v1..v7)", item=VARIANT),
        "variant_for": Key(DICT_OF, "practice system id -> variant, where the guide names none",
                           item=Key(STR, "a variant name (v1..v7); fleet.config checks it")),
    }),
    "gpo": Key(MAP, "the AD domain GPO exports name", fields={
        **_GPO_DOMAIN,
        "clients": Key(DICT_OF, "per client", item=Key(MAP, "one client's domain", fields=_GPO_DOMAIN)),
    }),
    "synchronizer": Key(MAP, "the Synchronizer installer for on-prem servers", fields={
        "version": Key(VERSION, "the version it installs (quote it: \"4.10\")", max_len=64),
        "url": _url("where the Windows installer (MSI) is downloaded from", ("https", "http", "file")),
        "sha256": Key(STR, "SHA-256 of the installer", **_SHA256),
        "silent_args": Key(STR, "installer arguments for a silent install", max_len=500),
        "product_key_property": Key(STR, "MSI property that receives the product key", **_NAME),
        "service_name": Key(STR, "the Windows service it installs", max_len=256),
        "display_name": Key(STR, "its name in Programs and Features (a prefix: every product whose name starts "
                                 "with it is treated as the Synchronizer and uninstalled on a reinstall or removal)",
                            max_len=256),
        "product_id": Key(STR, "MSI product code of this installer, {GUID}", max_len=64),
        "upgrade_code": Key(STR, "MSI upgrade code: finds the installed product of any version, {GUID}", max_len=64),
        "linux_url": _url("the Linux package (the lab's stand-in)", ("https", "http", "file")),
        "linux_sha256": Key(STR, "SHA-256 of the Linux package", **_SHA256),
    }),
    "sync_endpoint": _url("the vendor's sync service, tested by `fleet health`"),
    "store": Key(MAP, "where runs and results are kept", fields={
        "url": Key(STR, "sqlite:///state/fleet.db (default) or postgresql+psycopg://...", max_len=2000,
                   pattern=r"(sqlite|postgresql)(\+\w+)?://.*",
                   pattern_hint="sqlite:///path/fleet.db or postgresql+psycopg://user@host/db"),
    }),
    "alerts": Key(LIST, "where `fleet health` sends alerts", item=Key(MAP, "one alert target", fields={
        "name": Key(STR, "its name in messages", max_len=120),
        "kind": Key(STR, "webhook, slack or teams", choices=("webhook", "slack", "teams")),
        "url": _url("the webhook URL", ("https", "http")),
        "debounce": Key(INT, "failing sweeps in a row before an alert", minimum=1, maximum=1000),
        "min_severity": Key(STR, "WARNING or CRITICAL", choices=("WARNING", "CRITICAL", "warning", "critical")),
    })),
    "health": Key(MAP, "knobs of `fleet health`", fields={
        "forks": Key(INT, "hosts collected at once", minimum=1, maximum=256),
        "timeout": Key(NUMBER, "seconds one host may take", minimum=1, maximum=3600),
        "max_output_kb": Key(INT, "a collector printing more is cut off", minimum=1, maximum=1024 * 1024),
        "ssh_options": Key(LIST, "extra `ssh -o` options", item=Key(STR, "Name=value", pattern=r"[A-Za-z]+=.*",
                                                                       pattern_hint="Name=value")),
        "posix": Key(MAP, "Linux/macOS hosts", fields={
            "homes": Key(LIST, "home directories (globs)", item=Key(STR, "an absolute path", pattern=r"/.*",
                                                                      pattern_hint="an absolute path")),
            "service_state_file": Key(STR, "JSON {service: state} when there is no systemd"),
            "synchronizer": Key(MAP, "a Synchronizer that is a plain daemon", fields={
                k: Key(STR, d) for k, d in (("install_dir", "its directory"), ("version_file", "its VERSION file"),
                                            ("pidfile", "its pid file"), ("process_match", "its command line"),
                                            ("autostart_file", "exists: starts at boot"),
                                            ("crash_log", "one line per crash"),
                                            ("key_file", "its product key (only a fingerprint leaves the host)"))}),
        }),
    }),
    "remote": Key(MAP, "execution nodes (`fleet deploy --via`)", fields={
        "nodes": Key(DICT_OF, "nodes by name", item=Key(MAP, "one node", fields={
            "ssh": Key(STR, "user@host", required=True, max_len=300),
            "port": Key(INT, "ssh port", minimum=1, maximum=65535),
            "ssh_options": Key(LIST, "extra ssh -o options", item=Key(STR, "Name=value")),
            "ssh_config": Key(STR, "an ssh_config file"),
            "runner": Key(STR, "ansible-runner on the node"),
            "forks": Key(INT, "Ansible forks on the node", minimum=1, maximum=1024),
        })),
    }),
})


def _loopback(host: str | None) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _fail(path: Path, line: int | None, dotted: str, message: str, hint: str | None = None) -> ConfigError:
    return ConfigError(f"{dotted}: {message}" if dotted else message, where=Location(str(path), line), hint=hint)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


def check(raw: Any, path: Path) -> None:
    """Raise ConfigError for the first thing in ``raw`` (parsed fleet.yml) the schema does not allow."""
    if raw is None:
        raise _fail(path, None, "", "fleet.yml is empty", hint="run `fleet init --force` to write a fresh one")
    _check(SCHEMA, raw, path, "", None)


def _check(key: Key, value: Any, path: Path, dotted: str, line: int | None) -> None:
    if value is None and key.kind in (MAP, LIST, DICT_OF):
        return  # an empty section (`alerts:`) means none
    if key.kind == MAP:
        _check_map(key, value, path, dotted, line)
    elif key.kind == DICT_OF:
        if not isinstance(value, Mapping):
            raise _fail(path, line, dotted, f"must be {_TYPE_WORDS[DICT_OF]}, not {_type_name(value)}")
        assert key.item is not None
        for name, v in value.items():
            if not isinstance(name, str) or (key.names and not re.fullmatch(key.names, name)) or \
                    len(name) > 200 or (not key.controls_ok and any(ord(c) < 32 for c in name)):
                raise _fail(path, line_of(value, name), dotted, f"{name!r} is not a valid name",
                            hint="letters, digits, '_', '-' or '.', at most 64")
            _check(key.item, v, path, f"{dotted}.{name}", line_of(value, name))
    elif key.kind == LIST:
        if not isinstance(value, list):
            raise _fail(path, line, dotted, f"must be {_TYPE_WORDS[LIST]}, not {_type_name(value)}")
        assert key.item is not None
        for i, v in enumerate(value):
            _check(key.item, v, path, f"{dotted}[{i}]", line_of(v) or line)
    else:
        _check_scalar(key, value, path, dotted, line)


def _check_map(key: Key, value: Any, path: Path, dotted: str, line: int | None) -> None:
    if not isinstance(value, Mapping):
        raise _fail(path, line, dotted or "fleet.yml", f"must be {_TYPE_WORDS[MAP]}, not {_type_name(value)}")
    for name in value:
        if name not in key.fields:
            close = difflib.get_close_matches(str(name), list(key.fields), n=1, cutoff=0.6)
            where = f"{dotted}." if dotted else ""
            hint = (f"did you mean {where}{close[0]}?" if close else
                    f"known keys{' of ' + dotted if dotted else ''}: {', '.join(key.fields)}")
            raise _fail(path, line_of(value, name) or line, f"{where}{name}", "unknown key", hint=hint)
    for name, sub in key.fields.items():
        child = f"{dotted}.{name}" if dotted else name
        if name not in value or value[name] is None or value[name] == "":
            if sub.required:
                raise _fail(path, line_of(value) or line, child, "is required", hint=f"set {child}: {sub.doc}")
            continue
        _check(sub, value[name], path, child, line_of(value, name) or line)


def _check_scalar(key: Key, value: Any, path: Path, dotted: str, line: int | None) -> None:
    words = _TYPE_WORDS[key.kind]
    if key.kind == VERSION:
        if isinstance(value, SourceFloat) and str(float(value)) != value.text:
            raise _fail(path, line, dotted, f"YAML reads {value.text} as the number {float(value)}",
                        hint=f"quote it: \"{value.text}\"")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _fail(path, line, dotted, f"must be {words}, not {_type_name(value)}", hint="e.g. \"4.2.0\"")
        text = value.text if isinstance(value, SourceFloat) else str(value)
        if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}", text):
            raise _fail(path, line, dotted, f"{text!r} is not a version", hint="e.g. \"4.2.0\"")
        return
    if key.kind == BOOL:
        if not isinstance(value, bool):
            raise _fail(path, line, dotted, f"must be {words}, not {_type_name(value)}")
        return
    if key.kind in (INT, NUMBER):
        ok = isinstance(value, int) if key.kind == INT else isinstance(value, int | float)
        if isinstance(value, bool) or not ok:
            raise _fail(path, line, dotted, f"must be {words}, not {_type_name(value)}")
        if value != value or (key.minimum is not None and value < key.minimum) or \
                (key.maximum is not None and value > key.maximum):
            raise _fail(path, line, dotted, f"{value} is out of range",
                        hint=f"between {key.minimum:g} and {key.maximum:g}")
        return
    # STR
    if not isinstance(value, str):
        raise _fail(path, line, dotted, f"must be {words}, not {_type_name(value)}",
                    hint="quote it if it is meant as text")
    if value == "" and key.empty_ok:
        return
    if len(value) > key.max_len:
        raise _fail(path, line, dotted, f"is {len(value)} characters long (at most {key.max_len})")
    if not key.controls_ok and any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise _fail(path, line, dotted, "contains control characters (line breaks, tabs, escapes)")
    if key.choices and value not in key.choices:
        allowed = ", ".join(dict.fromkeys(c.lower() for c in key.choices))
        raise _fail(path, line, dotted, f"{value!r} is not one of {allowed}")
    if key.pattern and not re.fullmatch(key.pattern, value):
        raise _fail(path, line, dotted, f"{value!r} is not {key.what}", hint=key.pattern_hint or None)
    if key.schemes:
        parts = urlsplit(value)
        scheme = parts.scheme.lower()
        if scheme == "http" and "https" in key.schemes and _loopback(parts.hostname):
            scheme = "https"  # a local test server (127.0.0.0/8, localhost) may serve plain http
        if scheme not in key.schemes or not (parts.netloc or scheme == "file"):
            only = " or ".join(f"{s}://" for s in key.schemes)
            raise _fail(path, line, dotted, f"{value!r} is not an {only} URL",
                        hint="browsers only fetch extensions over https" if key.schemes == ("https",) else None)
    if key.check is not None:
        problem = key.check(value)
        if problem:
            raise _fail(path, line, dotted, problem)
