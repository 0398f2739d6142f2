"""The sweep's knobs: fleet.yml's optional ``health:`` section, validated, with defaults.

```yaml
health:
  forks: 64              # hosts collected at once (default: sized to this machine)
  timeout: 60            # seconds one host may take, connect included
  max_output_kb: 1024    # a collector printing more is cut off and its host marked UNKNOWN
  ssh_options: [KexAlgorithms=curve25519-sha256]   # extra `ssh -o` options (replace fleet's defaults)
  posix:                 # Linux/macOS hosts (the lab's stand-in servers)
    homes: [/root, /home/*]
    service_state_file: /var/lib/fleet-lab/services.json   # JSON {service: state}, when there is no systemd
    synchronizer:        # a Synchronizer that is a plain daemon (pidfile + version file)
      install_dir: /opt/fleet-lab/synchronizer/current
      version_file: /opt/fleet-lab/synchronizer/current/VERSION
      pidfile: /opt/fleet-lab/synchronizer/run/synchronizer.pid
      process_match: fleet-synchronizer run
      autostart_file: /opt/fleet-lab/synchronizer/enabled     # exists -> starts at boot
      crash_log: ""      # optional: one line per crash, "<epoch seconds> <text>"
      key_file: /opt/fleet-lab/synchronizer/etc/product.key   # its fingerprint is compared with the vault's
```
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleet.errors import ConfigError, Location
from fleet.health.transport import DEFAULT_SSH_OPTIONS
from fleet.yamlsrc import line_of, load_file

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_OUTPUT = 1024 * 1024
MAX_FORKS = 256


def default_forks() -> int:
    """Hosts at once: the work is waiting on the network, so well above the CPU count, but bounded by
    open files (each host holds 3 pipes while it runs)."""
    try:
        import resource

        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, ValueError, OSError):
        nofile = 1024
    cpus = os.cpu_count() or 2
    return max(4, min(MAX_FORKS, 32 * cpus, (nofile - 64) // 4))


@dataclass(frozen=True)
class PosixSynchronizer:
    """A Synchronizer that runs as a plain daemon (no service manager), found by its files."""

    pidfile: str = ""
    process_match: str = ""  # the pid's command line must contain this (pids are reused)
    version_file: str = ""
    install_dir: str = ""
    autostart_file: str = ""  # exists -> starts at boot
    crash_log: str = ""  # one line per crash: "<epoch seconds> <text>"
    key_file: str = ""  # the installed product key (only its fingerprint leaves the host)

    def wire(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class HealthSettings:
    forks: int = field(default_factory=default_forks)
    timeout: float = DEFAULT_TIMEOUT
    max_output: int = DEFAULT_MAX_OUTPUT
    posix_homes: tuple[str, ...] = ("/root", "/home/*")
    macos_homes: tuple[str, ...] = ("/Users/*",)
    service_state_file: str = ""
    ssh_options: tuple[str, ...] = DEFAULT_SSH_OPTIONS
    posix_synchronizer: PosixSynchronizer = field(default_factory=PosixSynchronizer)


def _positive(raw: Mapping[str, Any], key: str, path: Path, kind: type) -> Any:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"health.{key} must be a positive number", where=Location(str(path), line_of(raw, key)))
    return kind(value)


def parse_settings(raw: Any, path: Path) -> HealthSettings:
    if raw is None:
        return HealthSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError("health: must be a mapping", where=Location(str(path)))
    kw: dict[str, Any] = {}
    if "forks" in raw:
        kw["forks"] = min(MAX_FORKS, _positive(raw, "forks", path, int))
    if "timeout" in raw:
        kw["timeout"] = _positive(raw, "timeout", path, float)
    if "max_output_kb" in raw:
        kw["max_output"] = _positive(raw, "max_output_kb", path, int) * 1024
    if "ssh_options" in raw:
        opts = raw["ssh_options"]
        if not isinstance(opts, list) or not all(isinstance(o, str) and "=" in o for o in opts):
            raise ConfigError("health.ssh_options must be a list of Name=value ssh options",
                              where=Location(str(path), line_of(raw, "ssh_options")))
        kw["ssh_options"] = tuple(opts)
    posix = raw.get("posix") or {}
    if not isinstance(posix, Mapping):
        raise ConfigError("health.posix must be a mapping", where=Location(str(path), line_of(raw, "posix")))
    if "homes" in posix:
        homes = posix["homes"]
        if not isinstance(homes, list) or not all(isinstance(h, str) and h.startswith("/") for h in homes):
            raise ConfigError("health.posix.homes must be a list of absolute paths (globs allowed)",
                              where=Location(str(path), line_of(posix, "homes")))
        kw["posix_homes"] = tuple(homes)
    if posix.get("service_state_file"):
        kw["service_state_file"] = str(posix["service_state_file"])
    sync = posix.get("synchronizer") or {}
    if not isinstance(sync, Mapping):
        raise ConfigError("health.posix.synchronizer must be a mapping",
                          where=Location(str(path), line_of(posix, "synchronizer")))
    known = set(PosixSynchronizer.__dataclass_fields__)
    unknown = set(sync) - known
    if unknown:
        raise ConfigError(f"health.posix.synchronizer: unknown key(s) {', '.join(sorted(map(str, unknown)))}",
                          where=Location(str(path), line_of(sync)), hint="known: " + ", ".join(sorted(known)))
    if sync:
        kw["posix_synchronizer"] = PosixSynchronizer(**{k: str(v) for k, v in sync.items() if v})
    return HealthSettings(**kw)


def load_settings(config_path: Path | None) -> HealthSettings:
    """The ``health:`` section of fleet.yml (fleet.config ignores it; it is health's own)."""
    if config_path is None or not config_path.is_file():
        return HealthSettings()
    raw = load_file(config_path, ConfigError)
    return parse_settings(raw.get("health") if isinstance(raw, Mapping) else None, config_path)
