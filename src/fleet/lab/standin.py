"""The Linux stand-in of the Synchronizer for lab servers (lab servers are Linux).

A small tar.gz, byte-for-byte reproducible so its SHA-256 stays the same across ``lab up``:
``install.sh`` reads the product key on stdin and keeps it in a 0600 file; ``bin/fleet-synchronizer``
is a daemon with a pidfile (start | stop | status | version | run). On a host it lives in
/opt/fleet-lab/synchronizer:

    current -> releases/<version>     the installed release (bin/fleet-synchronizer, VERSION)
    etc/product.key                   the product key, mode 0600, no trailing newline
    enabled                           "start at boot" marker (written by the role)
    run/synchronizer.pid, log/synchronizer.log, downloads/

``fleet-synchronizer status`` prints one JSON object: installed, version, running, pid, enabled,
key_fingerprint (first 16 hex chars of the key's SHA-256, as fleet.secrets.store.fingerprint).
"""


from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path

SYNC_VERSION = "4.2.0"
_EPOCH = 1_700_000_000  # fixed mtime inside the package: same bytes, same SHA-256, every build


# -- the Synchronizer stand-in ----------------------------------------------------------------------

INSTALL_SH = r"""#!/bin/sh
# fleet lab: install this release of the Synchronizer stand-in.
# The product key comes on stdin (never in argv) and is kept in a 0600 file.
set -eu
ROOT=${FLEET_SYNC_ROOT:-/opt/fleet-lab/synchronizer}
HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=$(cat "$HERE/VERSION")
umask 077
KEY=
IFS= read -r KEY || true
if [ -z "$KEY" ]; then
  echo "install.sh: no product key on stdin" >&2
  exit 2
fi
mkdir -p "$ROOT/etc" "$ROOT/releases" "$ROOT/run" "$ROOT/log"
chmod 755 "$ROOT" "$ROOT/releases"
if [ -x "$ROOT/current/bin/fleet-synchronizer" ]; then
  "$ROOT/current/bin/fleet-synchronizer" stop >/dev/null || true
fi
rm -rf "$ROOT/releases/$VERSION.new"
mkdir -p "$ROOT/releases/$VERSION.new/bin"
cp "$HERE/VERSION" "$ROOT/releases/$VERSION.new/VERSION"
cp "$HERE/bin/fleet-synchronizer" "$ROOT/releases/$VERSION.new/bin/fleet-synchronizer"
chmod -R go+rX "$ROOT/releases/$VERSION.new"
chmod 755 "$ROOT/releases/$VERSION.new/bin/fleet-synchronizer"
rm -rf "$ROOT/releases/$VERSION"
mv "$ROOT/releases/$VERSION.new" "$ROOT/releases/$VERSION"
printf '%s' "$KEY" > "$ROOT/etc/product.key.tmp"
chmod 600 "$ROOT/etc/product.key.tmp"
mv "$ROOT/etc/product.key.tmp" "$ROOT/etc/product.key"
ln -sfn "releases/$VERSION" "$ROOT/current.tmp"
mv -T "$ROOT/current.tmp" "$ROOT/current"
for old in "$ROOT"/releases/*; do
  [ "$old" = "$ROOT/releases/$VERSION" ] || rm -rf "$old"
done
echo "installed $VERSION"
"""

SERVICE_SH = r"""#!/bin/sh
# fleet lab: a stand-in of the practice Synchronizer service. Usage: start|stop|status|version|run
ROOT=${FLEET_SYNC_ROOT:-/opt/fleet-lab/synchronizer}
SELF=$(readlink -f "$0")
HERE=$(dirname "$(dirname "$SELF")")
PIDFILE=$ROOT/run/synchronizer.pid
LOG=$ROOT/log/synchronizer.log
KEYFILE=$ROOT/etc/product.key
VERSION=$(cat "$HERE/VERSION")

running_pid() {
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'fleet-synchronizer run' || return 1
  echo "$pid"
}

case "${1:-}" in
  run)
    [ -r "$KEYFILE" ] || { echo "no product key at $KEYFILE" >&2; exit 1; }
    echo $$ >"$PIDFILE"
    echo "$(date -u +%FT%TZ) synchronizer $VERSION started (pid $$)"
    trap 'kill "$SLEEPER" 2>/dev/null; rm -f "$PIDFILE"; echo "$(date -u +%FT%TZ) stopped"; exit 0' TERM INT HUP
    while :; do
      sleep 3600 &
      SLEEPER=$!
      wait "$SLEEPER"
    done
    ;;
  start)
    if running_pid >/dev/null; then echo "running"; exit 0; fi
    [ -r "$KEYFILE" ] || { echo "no product key at $KEYFILE" >&2; exit 1; }
    mkdir -p "$ROOT/run" "$ROOT/log"
    rm -f "$PIDFILE"
    setsid "$SELF" run </dev/null >>"$LOG" 2>&1 &
    i=0
    while [ $i -lt 50 ]; do
      running_pid >/dev/null && { echo "started"; exit 0; }
      sleep 0.1
      i=$((i + 1))
    done
    echo "did not start; see $LOG" >&2
    exit 1
    ;;
  stop)
    pid=$(running_pid) || { rm -f "$PIDFILE"; echo "not running"; exit 0; }
    kill "$pid"
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    rm -f "$PIDFILE"
    echo "stopped"
    ;;
  status)
    pid=$(running_pid) && running=true || { running=false; pid=null; }
    [ -f "$ROOT/enabled" ] && enabled=true || enabled=false
    fp=""
    [ -r "$KEYFILE" ] && fp=$(sha256sum "$KEYFILE" | cut -c1-16)
    printf '{"installed": true, "service": "fleet-synchronizer", "version": "%s", "running": %s, "pid": %s, ' \
      "$VERSION" "$running" "$pid"
    printf '"enabled": %s, "key_fingerprint": "%s"}\n' "$enabled" "$fp"
    ;;
  version)
    echo "$VERSION"
    ;;
  *)
    echo "usage: fleet-synchronizer start|stop|status|version|run" >&2
    exit 2
    ;;
esac
"""


def package_name(version: str) -> str:
    return f"fleet-synchronizer-{version}.tar.gz"


def build_synchronizer_package(out_dir: Path, version: str = SYNC_VERSION) -> tuple[Path, str]:
    """Build the stand-in package into ``out_dir``; return (path, sha256). Reproducible."""
    top = f"fleet-synchronizer-{version}"
    files = [
        (f"{top}/VERSION", version.encode() + b"\n", 0o644),
        (f"{top}/install.sh", INSTALL_SH.encode(), 0o755),
        (f"{top}/bin/fleet-synchronizer", SERVICE_SH.encode(), 0o755),
    ]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for d in (top, f"{top}/bin"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, _EPOCH
            tar.addfile(ti)
        for name, data, mode in files:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(data), mode, _EPOCH
            tar.addfile(ti, io.BytesIO(data))
    gz = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=_EPOCH) as f:
        f.write(raw.getvalue())
    data = gz.getvalue()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / package_name(version)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path, hashlib.sha256(data).hexdigest()
