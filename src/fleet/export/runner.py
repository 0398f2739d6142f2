"""Run an export: select practices, read each token once, render the formats, write the files
(0600 when they carry a token) or one zip per client, and describe it all in ``manifest.json``.

One practice's problem never stops the others: it is recorded (status ``failed`` with the reason)
and the caller exits non-zero at the end; what was written stays. Tokens are read from the vault
once per practice and live only inside the policy model; error messages are scrubbed of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fleet import __version__
from fleet.catalog import InstallMethod
from fleet.desired.platforms import DOMAIN, ENTRA, MANAGED
from fleet.desired.policy import PracticePolicy, practice_policy
from fleet.errors import FleetError, SelectionError
from fleet.export.base import Artifact, ExportError, ExportOptions, PracticeContext
from fleet.export.intune import render_intune
from fleet.export.rmm import render_rmm
from fleet.export.unix import render_linux, render_mobileconfig
from fleet.export.windows import render_gpo, render_lgpo, render_reg_file
from fleet.inventory.model import Practice
from fleet.secrets.store import TOKEN_VAR
from fleet.secrets.vault import VaultPassword
from fleet.workspace import Workspace

Renderer = Callable[[PracticeContext], list[Artifact]]

#: format name -> renderers (in order). ``gpo`` = GPMC backup + create-gpo.ps1 + LGPO registry.pol.
FORMATS: dict[str, tuple[Renderer, ...]] = {
    "gpo": (render_gpo, render_lgpo),
    "reg": (render_reg_file,),
    "rmm": (render_rmm,),
    "intune": (render_intune,),
    "mobileconfig": (render_mobileconfig,),
    "linux": (render_linux,),
}

MANIFEST_NAME = "manifest.json"
SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
_MIN_TOKEN_SCAN = 6  # shorter tokens would "appear" in unrelated bytes


@dataclass(frozen=True)
class Selection:
    practices: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    all: bool = False

    @property
    def empty(self) -> bool:
        return not (self.practices or self.clients or self.all)


@dataclass
class PracticeResult:
    practice_id: str
    client_id: str
    status: str  # written | skipped | failed
    reason: str = ""
    files: list[dict[str, Any]] = field(default_factory=list)
    token_fingerprint: str = ""
    notes: list[str] = field(default_factory=list)  # what the artifacts cannot cover, and why

    def row(self) -> dict[str, Any]:
        return {
            "practice": self.practice_id,
            "client": self.client_id,
            "status": self.status,
            "files": len(self.files),
            "token_files": sum(1 for f in self.files if f["contains_token"]),
            "detail": self.reason,
        }


@dataclass
class ExportResult:
    out: Path
    manifest: dict[str, Any]
    practices: list[PracticeResult]

    @property
    def failed(self) -> list[PracticeResult]:
        return [p for p in self.practices if p.status == "failed"]

    @property
    def token_files(self) -> list[str]:
        paths = [f["path"] for f in self.manifest["files"] if f["contains_token"]]
        paths += [z["path"] for z in self.manifest["zips"] if z["contains_token"]]
        return paths


# -- selection ----------------------------------------------------------------------------------

def select(ws: Workspace, selection: Selection) -> tuple[list[tuple[Practice, bool]], list[PracticeResult]]:
    """(practice, named explicitly) in inventory order, and problems with unknown names."""
    if selection.empty:
        raise SelectionError("nothing selected", hint="pass --practice ID, --client ID (repeatable) or --all")
    inv = ws.inventory
    problems: list[PracticeResult] = []
    chosen: dict[str, bool] = {}
    if selection.all:
        chosen.update((pid, False) for pid in inv.practices)
    for cid in selection.clients:
        if cid not in inv.clients:
            problems.append(PracticeResult("", cid, "failed", f"no client {cid!r} in the inventory "
                                           "(`fleet inventory show` lists them)"))
            continue
        for pid in inv.clients[cid].practice_ids:
            chosen.setdefault(pid, False)
    for pid in selection.practices:
        if pid not in inv.practices:
            try:
                inv.practice(pid)
            except SelectionError as exc:
                problems.append(PracticeResult(pid, "", "failed", _reason(exc)))
            continue
        chosen[pid] = True
    order = [p for p in inv.practices.values() if p.id in chosen]
    return [(p, chosen[p.id]) for p in order], problems


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FleetError):
        return exc.message + (f" (fix: {exc.hint})" if exc.hint else "")
    return str(exc)


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "<token>") if secret else text


# -- writing ------------------------------------------------------------------------------------

class _Sink:
    """Where artifacts go: plain files under OUT, or one zip per client."""

    def __init__(self, out: Path, use_zip: bool, created: datetime) -> None:
        self.out = out
        self.use_zip = use_zip
        self.created = created
        self._dirs: set[Path] = set()
        self._zips: dict[str, _OpenZip] = {}

    def _mkdir(self, d: Path) -> None:
        if d not in self._dirs:
            d.mkdir(parents=True, exist_ok=True)
            self._dirs.add(d)

    def write(self, client_id: str, rel: str, data: bytes, secret: bool) -> dict[str, Any]:
        mode = SECRET_MODE if secret else PUBLIC_MODE
        entry: dict[str, Any] = {"path": rel}
        if self.use_zip:
            z = self._zip(client_id)
            info = zipfile.ZipInfo(rel, date_time=self.created.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100000 | mode) << 16
            z.zf.writestr(info, data)
            z.contains_token = z.contains_token or secret
            entry["zip"] = z.final.name
        else:
            path = self.out / rel
            self._mkdir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), mode)
            try:
                os.fchmod(fd, mode)  # an older file of the same name keeps its mode otherwise
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        entry["mode"] = f"{mode:04o}"
        return entry

    def remove(self, rel: str) -> bool:
        """Delete a stale file from an earlier export (folders only: a zip is always written anew)."""
        if self.use_zip:
            return False
        path = self.out / rel
        if path.is_file() or path.is_symlink():
            path.unlink()
            return True
        return False

    def _zip(self, client_id: str) -> _OpenZip:
        if client_id not in self._zips:
            self._mkdir(self.out)
            tmp = self.out / f".{client_id}.zip.tmp{os.getpid()}"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, SECRET_MODE)  # 0600 until known
            self._zips[client_id] = _OpenZip(zipfile.ZipFile(os.fdopen(fd, "wb"), "w"),
                                             self.out / f"{client_id}.zip", tmp)
        return self._zips[client_id]

    def close(self) -> list[dict[str, Any]]:
        out = []
        for cid, z in self._zips.items():
            z.close()
            mode = SECRET_MODE if z.contains_token else PUBLIC_MODE
            os.chmod(z.tmp, mode)
            os.replace(z.tmp, z.final)
            data = z.final.read_bytes()
            out.append({"path": z.final.name, "client": cid, "sha256": hashlib.sha256(data).hexdigest(),
                        "bytes": len(data), "contains_token": z.contains_token, "mode": f"{mode:04o}"})
        self._zips.clear()
        return out

    def abort(self) -> None:
        for z in self._zips.values():
            try:
                z.close()
            finally:
                z.tmp.unlink(missing_ok=True)
        self._zips.clear()


@dataclass
class _OpenZip:
    zf: zipfile.ZipFile
    final: Path
    tmp: Path
    contains_token: bool = False

    def close(self) -> None:
        fp = self.zf.fp
        self.zf.close()
        if fp is not None:
            fp.close()


# -- the export ---------------------------------------------------------------------------------

def _check_no_token(artifact: Artifact, token: str) -> None:
    """Safety net: an artifact declared token-free must not contain the token in any encoding."""
    if artifact.contains_token or len(token) < _MIN_TOKEN_SCAN:
        return
    for enc in ("utf-8", "utf-16-le"):
        if token.encode(enc) in artifact.data:
            raise ExportError(f"internal: {artifact.path} would carry the token but is not marked so; "
                              "nothing was written for it (please report this bug)")


def export_practice(ws: Workspace, practice: Practice, formats: Sequence[str], options: ExportOptions,
                    password: VaultPassword, created: datetime) -> tuple[PracticeContext, list[Artifact]]:
    """Render every requested format for one cloud practice (nothing is written here)."""
    token = ws.secrets.read(practice.id, password).get(TOKEN_VAR, "")
    policy = practice_policy(practice, token, ws.catalog, ws.config)
    if not policy.extensions:
        raise ExportError(f"practice {practice.id} lists no supported browser in fleet_browsers "
                          f"({', '.join(practice.browsers)})", hint="use chrome and/or edge")

    def factory(join: str | None) -> PracticePolicy:
        # Only Edge's build depends on the join state, and joined / managed machines take the same
        # build as the base policy: compute again only where it can differ (2x faster rmm/gpo).
        if "edge" not in practice.browsers or join in (None, DOMAIN, ENTRA, MANAGED):
            return policy
        return practice_policy(practice, token, ws.catalog, ws.config, join=join, strict=False)

    ctx = PracticeContext(practice, policy, options, msp_name=ws.config.msp_name,
                          created=created.strftime("%Y-%m-%dT%H:%M:%S"), policy_factory=factory,
                          gpo_domain=ws.config.gpo_domain_for(practice.client_id).merged(options.gpo_domain))
    artifacts: list[Artifact] = []
    try:
        for fmt in formats:
            for renderer in FORMATS[fmt]:
                artifacts.extend(renderer(ctx))
        for a in artifacts:
            _check_no_token(a, token)
    except FleetError as exc:
        exc.message = _scrub(exc.message, token)
        raise
    except ValueError as exc:  # codecs and plistlib refuse data they cannot represent
        raise ExportError(_scrub(f"{type(exc).__name__}: {exc}", token)) from None
    return ctx, artifacts


def run_export(ws: Workspace, selection: Selection, formats: Iterable[str], out: Path,
               options: ExportOptions | None = None,
               progress: Callable[[PracticeResult], None] | None = None) -> ExportResult:
    formats = list(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ExportError(f"unknown export format(s) {', '.join(unknown) or '(none)'}; "
                          f"known: {', '.join(FORMATS)}")
    options = options or ExportOptions()
    selected, results = select(ws, selection)
    if not selected and results:  # nothing the selection names exists: write nothing, not even a manifest
        raise SelectionError("nothing to export: " + "; ".join(r.reason for r in results),
                             hint="`fleet inventory show` lists the practices and clients")
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out} exists and is not a directory")
    created = datetime.now(UTC).replace(microsecond=0)

    cloud: list[tuple[Practice, bool]] = []
    for practice, named in selected:
        system = ws.catalog.find(practice.pms)
        method, why = system.resolve(practice.vars) if system else (None, "")
        if method is InstallMethod.CHROME_EXTENSION:
            cloud.append((practice, named))
            continue
        label = (f"{system.name} is installed by {method.value.replace('_', ' ')}" if system and method
                 else f"unknown practice system {practice.pms!r}")
        reason = (f"not a browser-extension (cloud) practice: {label}" + (f" ({why})" if why else "")
                  + "; browser policy exists only for cloud practices")
        res = PracticeResult(practice.id, practice.client_id, "failed" if named else "skipped", reason)
        results.append(res)
        if progress:
            progress(res)
    if cloud:
        ws.password()  # asked for (or refused) here, before anything is written; the workspace keeps it

    sink = _Sink(out, options.zip, created)
    files: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    try:
        for practice, _named in cloud:
            res = PracticeResult(practice.id, practice.client_id, "written")
            try:
                ctx, artifacts = export_practice(ws, practice, formats, options, ws.password(), created)
                res.token_fingerprint = ctx.policy.token_fingerprint
                res.notes = ctx.notes
                base = f"{practice.client_id}/{practice.id}"
                for a in artifacts:
                    if a.remove:
                        if sink.remove(f"{base}/{a.path}"):
                            removed.append({"path": f"{base}/{a.path}", "practice": practice.id,
                                            "client": practice.client_id, "format": a.format})
                        continue
                    entry = sink.write(practice.client_id, f"{base}/{a.path}", a.data, a.contains_token)
                    entry.update(format=a.format, practice=practice.id, client=practice.client_id,
                                 sha256=hashlib.sha256(a.data).hexdigest(), bytes=len(a.data),
                                 contains_token=a.contains_token)
                    res.files.append(entry)
            except (FleetError, OSError, ValueError) as exc:
                res.status, res.reason = "failed", _reason(exc)
            files.extend(res.files)
            results.append(res)
            if progress:
                progress(res)
        zips = sink.close()
    except BaseException:
        sink.abort()
        raise

    order = {p.id: i for i, p in enumerate(ws.inventory.practices.values())}
    results.sort(key=lambda r: order.get(r.practice_id, -1))
    manifest = {
        "fleet_version": __version__,
        "created": created.isoformat().replace("+00:00", "Z"),
        "workspace": str(ws.root),
        "formats": formats,
        "options": {"forcelist_slot": options.forcelist_slot, "embed_token": options.embed_token,
                    "zip": options.zip,
                    "gpo_domain": asdict(options.gpo_domain) if options.gpo_domain else None},
        "practices": [
            {"practice": r.practice_id, "client": r.client_id, "status": r.status, "reason": r.reason,
             "token_fingerprint": r.token_fingerprint, "files": len(r.files), "notes": r.notes}
            for r in results
        ],
        "files": files,
        "removed": removed,
        "zips": zips,
        "note": "No secrets here. Files with contains_token=true hold a practice's token (mode 0600).",
    }
    out.mkdir(parents=True, exist_ok=True)
    mpath = out / MANIFEST_NAME
    fd = os.open(mpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PUBLIC_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), PUBLIC_MODE)
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    return ExportResult(out, manifest, results)
