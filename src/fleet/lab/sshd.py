"""What one lab host runs: its sshd_config, and the launch spec the reaper starts it from.

The reaper (fleet.lab.reaper) reads ``launch.json`` and, in a child process: appends output to
``launch.log``, writes ``launch.pid``, unshares the mount and UTS namespaces, makes every mount
private (nothing propagates back to the real system), sets the hostname, bind-mounts the host's
own directories over the system paths (the login user's home last, then the lab directory back
into it if it lives there), and execs ``sshd -D``. The pid never changes, so the
pid recorded is the sshd listener's. Equivalent shell, for reading::

    unshare --mount --uts --propagation private sh -c \\
      'hostname NAME; mount --bind FS/etc/opt/chrome /etc/opt/chrome; ...; exec sshd -D -f CFG -E LOG'
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fleet.lab.layout import HostPaths
from fleet.lab.procs import SSHD

if TYPE_CHECKING:
    from fleet.lab.reaper import LaunchSpec  # the reaper imports nothing from fleet: types only


@functools.cache
def sshd_version() -> tuple[int, int]:
    """OpenSSH version of the sshd binary, e.g. (9, 2); (0, 0) if unknown."""
    try:
        r = subprocess.run([SSHD, "-V"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return (0, 0)
    m = re.search(r"OpenSSH_(\d+)\.(\d+)", r.stderr + r.stdout)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


@dataclass(frozen=True)
class HostRuntime:
    """What a host's sshd needs to know."""

    name: str
    role: str
    port: int
    user: str
    authorized_keys: str
    address: str = "127.0.0.1"


def render_sshd_config(paths: HostPaths, rt: HostRuntime) -> str:
    lines = [
        f"# fleet lab host {rt.name} (generated; rewritten at every start)",
        f"Port {rt.port}",
        f"ListenAddress {rt.address}",
        "AddressFamily inet",
        f"HostKey {paths.host_key}",
        f"PidFile {paths.pid_file}",
        f"AuthorizedKeysFile {rt.authorized_keys}",
        f"AllowUsers {rt.user}",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "StrictModes no",
        "UsePAM no",
        "UseDNS no",
        "PrintMotd no",
        "PrintLastLog no",
        "LoginGraceTime 30",
        # Ansible (forks, ControlMaster) and benchmarks open many connections and sessions at once.
        "MaxStartups 100:30:200",
        "MaxSessions 50",
        "Subsystem sftp internal-sftp",
        f"SetEnv FLEET_LAB_HOST={rt.name} FLEET_LAB_ROLE={rt.role}",
        "LogLevel INFO",
    ]
    if sshd_version() >= (9, 8):
        # Newer sshd penalises sources that connect without authenticating (our probes, tests).
        lines.append("PerSourcePenalties no")
    return "\n".join(lines) + "\n"


def launch_spec(
    paths: HostPaths, name: str, dirs: Sequence[str], files: Sequence[str], keep_visible: Sequence[str] = ()
) -> LaunchSpec:
    """The reaper's instructions for starting this host (see the module docstring).

    ``dirs`` are bind-mounted in order after ``files``, so the home (last in ``dirs``) is
    mounted once every other source path was resolved. ``keep_visible`` lists directories
    (the lab's own, when it lies in the home) that are bound back at their path afterwards:
    sshd reads its config, keys and authorized_keys from there.
    """
    return {
        "name": name,
        "hostname": name,
        "log": str(paths.launch_log),
        "pid_file": str(paths.launch_pid_file),
        "mounts": [[str(paths.fs_path(t)), t] for t in [*files, *dirs]],
        "keep_visible": list(keep_visible),
        "argv": [SSHD, "-D", "-f", str(paths.sshd_config), "-E", str(paths.sshd_log)],
    }
