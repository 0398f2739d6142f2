"""SSH keys of a lab: the login key clients use, per-host host keys, and the known_hosts file."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from fleet.lab.errors import LabError

SSH_KEYGEN = "ssh-keygen"


def generate_key(path: Path, comment: str) -> None:
    """Create an ed25519 key pair at ``path`` (and ``path.pub``) unless it already exists."""
    if path.exists() and path.with_name(path.name + ".pub").exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, path.with_name(path.name + ".pub")):
        p.unlink(missing_ok=True)
    r = subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise LabError(f"ssh-keygen failed for {path}: {r.stderr.strip()}")
    os.chmod(path, 0o600)


def public_key(path: Path) -> str:
    """The public key line of a key pair (``path`` is the private key)."""
    return path.with_name(path.name + ".pub").read_text().strip()


def known_hosts_lines(entries: Iterable[tuple[str, int, str]]) -> list[str]:
    """known_hosts lines ``[address]:port keytype key`` for (address, port, public key line)."""
    lines = []
    for address, port, pub in entries:
        keytype, key = pub.split()[:2]
        lines.append(f"[{address}]:{port} {keytype} {key}")
    return lines


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
