"""Where a lab keeps its files, and which system paths each simulated host gets its own copy of.

A lab directory looks like this::

    LAB_DIR/
      lab.json              state: topology, and per host its port, pid, status (fleet.lab.state)
      .lock                 flock taken while up/down/start/stop change things
      keys/id_ed25519       the lab's login key (clients use it); keys/authorized_keys for sshd
      ssh_known_hosts       "[127.0.0.1]:PORT ssh-ed25519 ..." for every host
      ssh_config            "ssh -F LAB_DIR/ssh_config HOSTNAME" works
      hosts/NAME/
        sshd_config, ssh_host_ed25519_key(.pub), launch.json (how the reaper starts it)
        sshd.log, launch.log, sshd.pid, launch.pid
        fs/<system path>    bind-mounted over <system path> inside the host's mount namespace

Only directories listed here are private to a host; everything else (/usr, /tmp, ...) is the real
machine's, shared by every host.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

from fleet.lab.errors import LabError

# System directories every host sees its own (initially empty or seeded) copy of.
HOST_DIRS: tuple[str, ...] = (
    "/etc/opt/chrome",  # Google Chrome policy: policies/managed/*.json
    "/etc/chromium",  # Chromium policy (Debian/Ubuntu packages)
    "/etc/opt/edge",  # Microsoft Edge on Linux: /etc/opt/edge/policies/managed
    "/opt/fleet-lab",  # where the fake Synchronizer service is installed
    "/var/lib/fleet-lab",  # host-local facts: boot time, browsers, services
)
# Files given a per-host copy when they exist on the real machine (never created on it).
HOST_FILES: tuple[str, ...] = ("/etc/machine-id",)
# Besides these, each host has its own home for the login user (browser profiles in ~/.config,
# its own dotfiles, Ansible's ~/.ansible/tmp): the whole home directory is replaced.

STATE_FILE_NAME = "lab.json"


def login_user() -> tuple[str, Path]:
    """The user lab hosts accept logins for (the current user, root in practice) and its home."""
    entry = pwd.getpwuid(os.getuid())
    return entry.pw_name, Path(entry.pw_dir)


def private_paths() -> list[str]:
    """Every system directory a host gets its own copy of; the login user's home comes last."""
    _, home = login_user()
    return [*HOST_DIRS, str(home)]


def private_files() -> list[str]:
    """System files a host gets its own copy of: only those present on the real machine."""
    return [f for f in HOST_FILES if os.path.isfile(f)]


def _inside(path: str | os.PathLike[str], parent: str | os.PathLike[str]) -> bool:
    p, q = Path(os.path.realpath(path)), Path(os.path.realpath(parent))
    return p == q or q in p.parents


@dataclass(frozen=True)
class HostPaths:
    """Files of one simulated host, under ``LAB_DIR/hosts/NAME``."""

    root: Path

    @property
    def fs(self) -> Path:
        return self.root / "fs"

    def fs_path(self, system_path: str | os.PathLike[str]) -> Path:
        """The host's own copy of a system path (what the host sees at ``system_path``)."""
        return self.fs / str(system_path).lstrip("/")

    @property
    def sshd_config(self) -> Path:
        return self.root / "sshd_config"

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"

    @property
    def pid_file(self) -> Path:
        return self.root / "sshd.pid"

    @property
    def launch_pid_file(self) -> Path:
        return self.root / "launch.pid"

    @property
    def sshd_log(self) -> Path:
        return self.root / "sshd.log"

    @property
    def launch_log(self) -> Path:
        return self.root / "launch.log"

    @property
    def launch_spec(self) -> Path:
        return self.root / "launch.json"

    @property
    def seeded_marker(self) -> Path:
        return self.root / ".seeded"


@dataclass(frozen=True)
class LabPaths:
    """Files of a whole lab."""

    root: Path

    @classmethod
    def at(cls, lab_dir: str | os.PathLike[str]) -> LabPaths:
        return cls(Path(os.path.abspath(lab_dir)))

    @property
    def state_file(self) -> Path:
        return self.root / STATE_FILE_NAME

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def private_key(self) -> Path:
        return self.keys_dir / "id_ed25519"

    @property
    def authorized_keys(self) -> Path:
        return self.keys_dir / "authorized_keys"

    @property
    def known_hosts(self) -> Path:
        return self.root / "ssh_known_hosts"

    @property
    def ssh_config(self) -> Path:
        return self.root / "ssh_config"

    @property
    def hosts_dir(self) -> Path:
        return self.root / "hosts"

    def host(self, name: str) -> HostPaths:
        return HostPaths(self.hosts_dir / name)


def check_lab_dir(lab_dir: Path) -> None:
    """Refuse a lab directory the hosts' bind mounts would hide or that would contain them.

    A lab inside the login user's home is fine: each host re-exposes the lab directory inside
    its own home copy (see fleet.lab.sshd.launch_spec).
    """
    _, home = login_user()
    if Path(os.path.realpath(home)) == Path("/"):
        raise LabError(f"the login user's home is {home}; lab hosts replace the home, so it cannot be /")
    for target in HOST_DIRS:
        if _inside(lab_dir, target):
            raise LabError(
                f"lab directory {lab_dir} lies inside {target}, which every lab host replaces with its own copy",
                hint="put the lab somewhere else (e.g. WORKSPACE/state/lab or /tmp/fleet-lab)",
            )
    for target in private_paths():
        if _inside(target, lab_dir):
            raise LabError(f"lab directory {lab_dir} contains {target}; choose a dedicated directory")


def lab_hidden_by_home(lab_dir: Path) -> bool:
    """True if a host's own home would hide the lab directory (so the host must re-expose it)."""
    _, home = login_user()
    return _inside(lab_dir, home)


def ensure_mount_points() -> list[str]:
    """Create the missing system mount points (empty directories); return the ones created.

    Existing directories and their contents are left exactly as they are: hosts only ever
    bind-mount over them inside their own namespaces. A path that exists but is not a
    directory is an error, never replaced.
    """
    created: list[str] = []
    for target in private_paths():
        if os.path.isdir(target):
            continue
        if os.path.lexists(target):
            raise LabError(
                f"{target} exists but is not a directory; lab hosts need a directory there",
                hint="move it away or run the lab on another machine",
            )
        os.makedirs(target, mode=0o755, exist_ok=True)
        created.append(target)
    return created
