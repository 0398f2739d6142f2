"""An execution node: a machine at a site (behind NAT) that runs Ansible for fleet, reached over SSH.

The controller never needs to reach the site's hosts; it needs one SSH connection to the node, on
which it runs ``ansible-runner worker`` (the receptor-less version of what AWX's mesh does)::

    controller: ansible-runner transmit  |  ssh NODE 'ansible-runner worker'  |  ansible-runner process

Nodes are named in fleet.yml (optional; ``--via`` also takes a plain ssh destination)::

    remote:
      nodes:
        lakeside:
          ssh: msp@10.20.0.5                  # ssh destination (user@host, or a Host of your ssh_config)
          port: 22
          ssh_options: [IdentityFile=~/.ssh/lakeside, ProxyJump=bastion.example.net]
          runner: /opt/fleet/bin/ansible-runner   # on the node (default: ansible-runner on its PATH)
          forks: 25                           # Ansible forks on the node (default: fleet's sizing)

The node needs fleet installed next to ansible-runner (the deploy playbook's filter imports it: the
same requirement as an AWX execution environment), and SSH access to the site's hosts as the
inventory describes them (``ansible_host``, keys...: those paths are the node's).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleet.errors import ConfigError, FleetError, Location

DEFAULT_RUNNER = "ansible-runner"
# Options that keep a stuck node from hanging a run forever; a node's own ssh_options come first
# (ssh keeps the first value it sees for an option).
BASE_SSH_OPTIONS = ("BatchMode=yes", "ServerAliveInterval=15", "ServerAliveCountMax=4", "ConnectTimeout=20")
_DEST = re.compile(r"^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9._:\[\]-]+$")


class RemoteError(FleetError):
    """The execution node cannot be used (unreachable, no ansible-runner, broken stream)."""


@dataclass(frozen=True)
class ExecutionNode:
    """Where and how to start ``ansible-runner worker``."""

    name: str
    destination: str
    port: int | None = None
    ssh_options: tuple[str, ...] = ()
    ssh_config: str | None = None
    runner: str = DEFAULT_RUNNER
    forks: int | None = None
    ssh_executable: str = "ssh"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def ssh_argv(self, remote_command: str) -> list[str]:
        argv = [self.ssh_executable, "-T"]
        if self.ssh_config:
            argv += ["-F", self.ssh_config]
        if self.port:
            argv += ["-p", str(self.port)]
        for opt in (*self.ssh_options, *BASE_SSH_OPTIONS):
            argv += ["-o", opt]
        return [*argv, "--", self.destination, remote_command]

    def worker_command(self, keepalive: int = 0) -> str:
        """The shell command run on the node: a private scratch directory that is removed however the
        worker ends (normal end, error, or the connection dropping), holding the job's private data
        dir, Ansible's local temp files and its ssh control sockets (the masters are closed first);
        ansible-runner's own directory on PATH so the worker finds the ansible-playbook beside it."""
        runner = self.runner
        bin_dir = posixpath.dirname(runner)
        path = f'PATH={shlex.quote(bin_dir)}:"$PATH"; export PATH; ' if bin_dir else ""
        keep = f" --keepalive-seconds {int(keepalive)}" if keepalive else ""
        return (
            "umask 077; "
            f"{path}"
            'd=$(mktemp -d "${TMPDIR:-/tmp}/fleet-worker.XXXXXXXX") || exit 90; '
            # at the end: close this job's ssh masters (ControlPersist would keep them a minute), delete all
            "trap 'for s in \"$d\"/cp/*; do [ -S \"$s\" ] && ssh -o ControlPath=\"$s\" -O exit fleet "
            ">/dev/null 2>&1; done; rm -rf \"$d\"' EXIT; trap 'exit 129' HUP; trap 'exit 143' TERM; "
            "trap 'exit 130' INT; "
            'ANSIBLE_LOCAL_TEMP="$d/ansible-tmp"; ANSIBLE_SSH_CONTROL_PATH_DIR="$d/cp"; '
            "export ANSIBLE_LOCAL_TEMP ANSIBLE_SSH_CONTROL_PATH_DIR; "
            f'{shlex.quote(runner)} worker --private-data-dir "$d/job" --delete{keep}'
        )

    def info_command(self) -> str:
        runner = shlex.quote(self.runner)
        bin_dir = posixpath.dirname(self.runner)
        py = f"{shlex.quote(posixpath.join(bin_dir, 'python3'))}" if bin_dir else "python3"
        return (f"{runner} worker --worker-info && "
                f"{py} -c 'import fleet, ansible; print(\"fleet: \" + fleet.__version__ + "
                f"\"\\nansible_core: \" + ansible.__version__)'")


def _str_list(raw: Mapping[str, Any], key: str, where: Location) -> tuple[str, ...]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"remote node option {key} must be a list of strings", where=where)
    return tuple(value)


def parse_nodes(raw: Any, path: Path | None = None) -> dict[str, ExecutionNode]:
    """fleet.yml's ``remote.nodes`` -> {name: ExecutionNode}."""
    where = Location(str(path)) if path else None
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not isinstance(raw.get("nodes", {}), Mapping):
        raise ConfigError("remote: must be a mapping with a 'nodes' mapping", where=where)
    out = {}
    for name, spec in (raw.get("nodes") or {}).items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("ssh"), str):
            raise ConfigError(f"remote.nodes.{name} needs 'ssh: user@host'", where=where)
        port = spec.get("port")
        if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
            raise ConfigError(f"remote.nodes.{name}.port must be a TCP port number", where=where)
        forks = spec.get("forks")
        if forks is not None and (not isinstance(forks, int) or forks < 1):
            raise ConfigError(f"remote.nodes.{name}.forks must be a positive number", where=where)
        known = {"ssh", "port", "ssh_options", "ssh_config", "runner", "forks"}
        unknown = set(spec) - known
        if unknown:
            raise ConfigError(f"remote.nodes.{name}: unknown key(s) {', '.join(sorted(map(str, unknown)))}",
                              where=where, hint="known: " + ", ".join(sorted(known)))
        out[str(name)] = ExecutionNode(
            name=str(name), destination=spec["ssh"], port=port,
            ssh_options=_str_list(spec, "ssh_options", where or Location("fleet.yml")),
            ssh_config=str(spec["ssh_config"]) if spec.get("ssh_config") else None,
            runner=str(spec.get("runner") or DEFAULT_RUNNER), forks=forks)
    return out


def load_nodes(config_path: Path | None) -> dict[str, ExecutionNode]:
    """The ``remote:`` section of fleet.yml (fleet.config ignores it; it is this package's own)."""
    if config_path is None or not config_path.is_file():
        return {}
    from fleet.yamlsrc import load_file

    raw = load_file(config_path, ConfigError)
    return parse_nodes(raw.get("remote") if isinstance(raw, Mapping) else None, config_path)


def resolve_node(via: str, config_path: Path | None = None, *, runner: str | None = None,
                 ssh_config: str | None = None, ssh_options: Sequence[str] = ()) -> ExecutionNode:
    """``--via``: a node named in fleet.yml, else an ssh destination (``[user@]host``); command-line
    settings override the named node's."""
    nodes = load_nodes(config_path)
    if via in nodes:
        node = nodes[via]
    elif _DEST.match(via) and not via.startswith("-"):
        node = ExecutionNode(name=via, destination=via)
    else:
        raise RemoteError(f"--via {via!r} is neither a node in fleet.yml (remote.nodes) nor an ssh destination",
                          hint="give user@host, a Host from your ssh config, or one of: "
                               + (", ".join(sorted(nodes)) or "(no nodes configured)"))
    changes: dict[str, Any] = {}
    if runner:
        changes["runner"] = runner
    if ssh_config:
        changes["ssh_config"] = ssh_config
    if ssh_options:
        changes["ssh_options"] = (*ssh_options, *node.ssh_options)
    if changes:
        from dataclasses import replace

        node = replace(node, **changes)
    return node
