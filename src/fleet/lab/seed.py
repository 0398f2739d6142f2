"""A fresh host's footprint: the files health checks look at, before anything is deployed.

Seeded once, when a host is created (``HostPaths.seeded_marker``); later starts only rewrite
the boot time, as a reboot would. The browser policy directories stay empty: deploying writes
them.

Inside a host:
  /var/lib/fleet-lab/host.json       who the host is (name, role, practice, client, browsers)
  /var/lib/fleet-lab/boot_time       fake boot time, epoch seconds (set at every start)
  /var/lib/fleet-lab/services.json   servers: the practice system's services and their state
  ~ (the login user's home)          its own: /etc/skel dotfiles, and browser user-data dirs
  ~/.config/google-chrome, chromium  "Local State", "Last Version", profiles with Preferences
  ~/.config/microsoft-edge           (Edge only where fleet manages it)
  /etc/machine-id                    a per-host id (if the real machine has the file)
  /opt/fleet-lab/boot.d/             (not created) executables put here run with "start" at every host start
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from fleet.desired.platforms import FLAVORS
from fleet.lab.layout import HostPaths, login_user, private_files, private_paths
from fleet.lab.topology import BROWSER_VERSIONS, LabHost, LabPractice

# Windows services the practice system's server runs (names as the catalog checks them).
SERVER_SERVICES: dict[str, dict[str, str]] = {
    "eaglesoft": {"SQLANYs_PattersonDBServer": "running"},
    "open_dental": {"MySQL80": "running", "OpenDentalService": "running"},
    "dentrix": {"DentrixAPIService": "running"},
    "dentrix_enterprise": {"DentrixEnterpriseServer": "running"},
    "dolphin": {"DolphinServer": "running"},
}
BROWSER_DIRS = {f.name: f.data for f in FLAVORS["linux"]}
PROFILE_NAMES = ("Front Desk", "Hygiene", "Dr. Office", "Billing")


def _digest(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def installed_browsers(host: LabHost, managed: tuple[str, ...]) -> list[str]:
    """Every Linux host has Chrome and Chromium; Edge where the practice manages it."""
    return ["chrome", "chromium", *(["edge"] if "edge" in managed else [])]


def seed_host(paths: HostPaths, host: LabHost, practice: LabPractice, managed_browsers: tuple[str, ...]) -> None:
    """Create the host's private directories and, the first time only, its footprint."""
    for d in private_paths():
        paths.fs_path(d).mkdir(parents=True, exist_ok=True)
        shutil.copymode(d, paths.fs_path(d))  # e.g. a home stays 0700
    for f in private_files():
        copy = paths.fs_path(f)
        if not copy.exists():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(hashlib.md5(host.name.encode()).hexdigest() + "\n")
    if paths.seeded_marker.exists():
        return
    h = _digest(host.name)
    _, home = login_user()
    browsers = installed_browsers(host, managed_browsers)
    var = paths.fs_path("/var/lib/fleet-lab")
    _write_json(
        var / "host.json",
        {
            "name": host.name,
            "role": host.role,
            "practice": host.practice_id,
            "client": host.client_id,
            "pms": practice.pms,
            "platform": "linux",
            "browsers": {
                b: {"version": BROWSER_VERSIONS[b], "user_data_dir": str(home / BROWSER_DIRS[b])} for b in browsers
            },
        },
    )
    # First boot: workstations came up this morning, servers weeks ago.
    hours = 1 + h % 48 if host.role == "workstation" else 24 * (3 + h % 40)
    write_boot_time(paths, time.time() - 3600 * hours)
    if host.role == "server":
        _write_json(var / "services.json", SERVER_SERVICES.get(practice.pms, {}))
    _seed_home(paths.fs_path(home))
    n_profiles = 2 if h % 3 == 0 and host.role == "workstation" else 1
    for b in browsers:
        _seed_user_data_dir(paths.fs_path(home / BROWSER_DIRS[b]), b, n_profiles, h)
    paths.seeded_marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%S%z") + "\n")


def _seed_home(home_copy: Path) -> None:
    """A plain home: the distribution's skeleton dotfiles (not the real user's, e.g. pyenv init)."""
    skel = Path("/etc/skel")
    if skel.is_dir():
        for f in skel.iterdir():
            if f.is_file() and not (home_copy / f.name).exists():
                shutil.copyfile(f, home_copy / f.name)


def _seed_user_data_dir(root: Path, browser: str, n_profiles: int, h: int) -> None:
    profiles = ["Default", *(f"Profile {i}" for i in range(1, n_profiles))]
    names = [PROFILE_NAMES[(h + i) % len(PROFILE_NAMES)] for i in range(n_profiles)]
    _write_json(
        root / "Local State",
        {
            "browser": {"enabled_labs_experiments": []},
            "profile": {
                "info_cache": {
                    p: {"name": n, "is_using_default_name": False} for p, n in zip(profiles, names, strict=True)
                },
                "last_used": "Default",
                "profiles_order": profiles,
            },
        },
    )
    (root / "Last Version").write_text(BROWSER_VERSIONS[browser])
    for p, n in zip(profiles, names, strict=True):
        _write_json(
            root / p / "Preferences",
            {"profile": {"name": n}, "extensions": {"settings": {}}, "browser": {"has_seen_welcome_page": True}},
        )


def write_boot_time(paths: HostPaths, when: float) -> None:
    """Set the host's fake boot time (epoch seconds)."""
    f = paths.fs_path("/var/lib/fleet-lab/boot_time")
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(f"{int(when)}\n")
