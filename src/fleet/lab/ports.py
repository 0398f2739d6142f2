"""Free TCP ports for lab hosts.

Ports are picked below the kernel's ephemeral range (so outgoing connections, e.g. Ansible's
own ssh clients, cannot take them between allocation and sshd's bind), starting at a random
offset so two labs on one machine rarely collide. A port is free if we can bind it with
SO_REUSEADDR, the way sshd will.
"""

from __future__ import annotations

import contextlib
import random
import socket
from collections.abc import Collection

DEFAULT_LOW = 20000


def ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def candidate_range() -> range:
    lo, hi = ephemeral_range()
    if lo - DEFAULT_LOW >= 2000:
        return range(DEFAULT_LOW, lo)
    return range(max(hi + 1, 1024), 65536) if hi < 63000 else range(10000, lo)


def allocate_ports(count: int, avoid: Collection[int] = (), address: str = "127.0.0.1") -> list[int]:
    """``count`` distinct ports currently free on ``address``, none of them in ``avoid``."""
    span = candidate_range()
    start = random.randrange(len(span))
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        for i in range(len(span)):
            if len(ports) == count:
                break
            port = span[(start + i) % len(span)]
            if port in avoid:
                continue
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((address, port))
            except OSError:
                s.close()
                continue
            held.append(s)
            ports.append(port)
    finally:
        for s in held:
            with contextlib.suppress(OSError):
                s.close()
    if len(ports) < count:
        raise OSError(f"only {len(ports)} free ports in {span.start}-{span.stop - 1}, {count} needed")
    return ports
