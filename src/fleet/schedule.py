"""The nightly job: a systemd service + timer (or a cron entry) running sweep, alerts and reports.

The job runs, in order::

    fleet -w WS --vault-password-file FILE health --no-alert  # the sweep (Nagios exit code)
    fleet -w WS report --format html --out REPORT_DIR/fleet-report.html
    fleet -w WS report --format prometheus --out TEXTFILE_DIR/fleet.prom
    fleet -w WS --vault-password-file FILE health alert       # alerts; fails the job if undelivered

The sweep runs with ``--no-alert`` so alerts go out once, in the last step. The sweep's exit code
is the fleet's state, not the job's success, so it never stops the reports; an alert that could not
be delivered does fail the job, last, after the reports.

The vault password is read from a file at run time; it is never written into a unit, a crontab or
an environment variable. ``root`` points everything at another filesystem root (tests, image
builds); with a root, nothing calls systemctl or crontab.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from fleet.errors import FleetError, Location

METHODS = ("systemd", "cron")
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
USER_UNIT_DIR = Path(".config/systemd/user")  # under $HOME
CRON_D = Path("/etc/cron.d")
USER_CRONTABS = Path("/var/spool/cron/crontabs")  # Debian; only used with a root
DEFAULT_TEXTFILE_DIRS = (Path("/var/lib/prometheus/node-exporter"), Path("/var/lib/node_exporter/textfile_collector"))
MARK = "managed by `fleet schedule`"
# How the installed fleet sends a sweep's alerts: a `health alert` step after the reports, the
# sweep's own `--alert` option, or not at all (then the job only sweeps and reports).


class ScheduleError(FleetError):
    """The nightly job cannot be installed, shown or removed."""


def parse_at(at: str) -> tuple[int, int]:
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", at.strip())
    if not m:
        raise ScheduleError(f"--at {at!r} is not a time of day", hint="use HH:MM, 24-hour clock, e.g. --at 02:00")
    return int(m.group(1)), int(m.group(2))


def job_name(workspace: Path) -> str:
    """``fleet-nightly-<dir>-<hash>``: one job per workspace, stable for show/remove."""
    resolved = workspace.resolve()
    slug = re.sub(r"[^a-z0-9]+", "-", resolved.name.lower()).strip("-")[:24] or "ws"
    return f"fleet-nightly-{slug}-{hashlib.sha256(str(resolved).encode()).hexdigest()[:8]}"


def installed_fleet() -> str:
    """The fleet executable of this installation (the venv's console script), as an absolute path."""
    candidate = Path(sys.executable).parent / "fleet"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate.absolute())
    found = shutil.which("fleet")
    if found:
        return str(Path(found).absolute())
    raise ScheduleError("cannot find the fleet executable of this installation",
                        hint="install fleet with pip (it provides the `fleet` command) and rerun from it")


@dataclass(frozen=True)
class ScheduleSpec:
    workspace: Path
    at: str = "02:00"
    method: str = "systemd"
    user_mode: bool = False
    fleet: str = ""
    password_file: Path | None = None
    report_dir: Path | None = None
    textfile_dir: Path | None = None
    run_as: str = ""
    root: Path | None = None  # alternative filesystem root (tests)

    @property
    def name(self) -> str:
        return job_name(self.workspace)

    @property
    def hour_minute(self) -> tuple[int, int]:
        return parse_at(self.at)

    @property
    def on_calendar(self) -> str:
        h, m = self.hour_minute
        return f"*-*-* {h:02d}:{m:02d}:00"

    @property
    def report_path(self) -> Path:
        return (self.report_dir or self.workspace / "state" / "reports") / "fleet-report.html"

    @property
    def textfile_path(self) -> Path:
        return (self.textfile_dir or self.workspace / "state" / "reports") / "fleet.prom"

    def commands(self) -> list[list[str]]:
        """The job's steps as argv lists: sweep, HTML report, textfile, then alerts."""
        base = [self.fleet, "-w", str(self.workspace)]
        with_pw = [*base, *(["--vault-password-file", str(self.password_file)] if self.password_file else [])]
        return [[*with_pw, "health", "--no-alert"],  # alerts go out once, last, after the reports
                [*base, "report", "--format", "html", "--out", str(self.report_path)],
                [*base, "report", "--format", "prometheus", "--out", str(self.textfile_path)],
                [*with_pw, "health", "alert"]]


@dataclass(frozen=True)
class PlannedFile:
    path: Path  # as seen on the real system (without root)
    content: str
    mode: int = 0o644


def _home(spec: ScheduleSpec) -> Path:
    return Path(os.path.expanduser(f"~{spec.run_as}")) if spec.run_as else Path.home()


def _under(root: Path | None, path: Path) -> Path:
    return root / path.relative_to("/") if root else path


# -- systemd ------------------------------------------------------------------------------------


def _systemd_quote(arg: str) -> str:
    """One argv word for an Exec line: specifiers (%) and variables ($) escaped, quoted when needed."""
    word = arg.replace("%", "%%").replace("$", "$$")
    if word and not re.search(r'[\s"\'\\;]', word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unit_value(text: str) -> str:
    """A plain unit setting (Description=, WorkingDirectory=): no quoting, only specifiers escaped."""
    return text.replace("%", "%%").replace("\n", " ")


def _exec(argv: list[str]) -> str:
    return " ".join(_systemd_quote(a) for a in argv)


def systemd_units(spec: ScheduleSpec) -> list[PlannedFile]:
    d = (_home(spec) / USER_UNIT_DIR) if spec.user_mode else SYSTEM_UNIT_DIR
    sweep, *rest = spec.commands()
    then = "".join(f"ExecStart={_exec(c)}\n" for c in rest)
    user_line = "" if spec.user_mode or not spec.run_as else f"User={spec.run_as}\n"
    service = f"""\
# {MARK}; remove with `fleet -w {shlex.quote(str(spec.workspace))} schedule remove`
[Unit]
Description=fleet nightly health sweep, alerts and reports ({_unit_value(str(spec.workspace))})
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
{user_line}WorkingDirectory={_unit_value(str(spec.workspace))}
# The sweep exits with a Nagios code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN): a fleet state, not a
# failed job, so "-" lets the reports run whatever it found. Alerts that cannot be delivered fail
# the job, last, after the reports. Output: journalctl -u {spec.name}.service
ExecStart=-{_exec(sweep)}
{then}Nice=10
TimeoutStartSec=6h
NoNewPrivileges=yes
PrivateTmp=yes
"""
    timer = f"""\
# {MARK}
[Unit]
Description=fleet nightly health sweep at {spec.at} ({_unit_value(str(spec.workspace))})

[Timer]
OnCalendar={spec.on_calendar}
Persistent=true
Unit={spec.name}.service

[Install]
WantedBy=timers.target
"""
    return [PlannedFile(d / f"{spec.name}.service", service), PlannedFile(d / f"{spec.name}.timer", timer)]


# -- cron ---------------------------------------------------------------------------------------


def _cron_line(spec: ScheduleSpec, with_user: bool) -> str:
    h, m = spec.hour_minute
    sweep, *rest = (shlex.join(c) for c in spec.commands())
    log = shlex.quote(str(spec.workspace / "state" / "nightly.log"))
    # The sweep's Nagios code never stops the reports; cron mails/logs the last step's failure.
    # "%" ends a cron command line unless escaped.
    job = f"{sweep}; {' && '.join(rest)}".replace("%", "\\%")
    who = f" {spec.run_as or getpass.getuser()}" if with_user else ""
    return f"{m} {h} * * *{who} cd {shlex.quote(str(spec.workspace))} && {{ {job}; }} >> {log} 2>&1\n"


def cron_files(spec: ScheduleSpec) -> list[PlannedFile]:
    header = f"# {MARK}: fleet nightly health sweep ({spec.workspace})\n"
    if spec.user_mode:
        user = spec.run_as or getpass.getuser()
        block = (f"# BEGIN {spec.name}\n{header}{_cron_line(spec, with_user=False)}# END {spec.name}\n")
        return [PlannedFile(USER_CRONTABS / user, block, 0o600)]
    body = header + "SHELL=/bin/sh\nPATH=/usr/local/bin:/usr/bin:/bin\n" + _cron_line(spec, with_user=True)
    return [PlannedFile(CRON_D / spec.name, body)]


# -- install / show / remove --------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleResult:
    files: tuple[Path, ...]
    commands: tuple[str, ...] = ()  # what was run (or, with a root, what to run)
    notes: tuple[str, ...] = ()


def plan(spec: ScheduleSpec) -> list[PlannedFile]:
    if spec.method not in METHODS:
        raise ScheduleError(f"unknown schedule method {spec.method!r}", hint="--systemd or --cron")
    parse_at(spec.at)
    return systemd_units(spec) if spec.method == "systemd" else cron_files(spec)


def check_password_file(path: Path | None) -> list[str]:
    """Notes about the vault password file; raises when it is missing."""
    if path is None:
        return ["no vault password file given: the sweep cannot compare tokens/product keys "
                "(pass --vault-password-file FILE)"]
    if not path.is_file():
        raise ScheduleError("vault password file not found", where=Location(str(path)),
                            hint="give the path of a file holding the vault password (never the password itself)")
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return [f"{path} is readable by other users: chmod 600 {shlex.quote(str(path))}"]
    return []


def _user_crontab_edit(name: str, block: str | None, root: Path | None, user: str) -> Path:
    """Replace (or drop, block=None) our BEGIN/END block in a user's crontab."""
    pat = re.compile(rf"^# BEGIN {re.escape(name)}\n.*?^# END {re.escape(name)}\n", re.S | re.M)
    if root is not None:
        path = _under(root, USER_CRONTABS / user)
        current = path.read_text() if path.exists() else ""
    else:
        if not shutil.which("crontab"):
            raise ScheduleError("the crontab command is not installed", hint="install cron, or use --systemd")
        proc = subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=False)
        current = proc.stdout if proc.returncode == 0 else ""
        path = USER_CRONTABS / user
    new = pat.sub("", current)
    if block:
        new = (new.rstrip("\n") + "\n" if new.strip() else "") + block
    if root is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new)
        path.chmod(0o600)
    else:
        proc = subprocess.run(["crontab", "-"], input=new, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ScheduleError(f"crontab refused the new table: {proc.stderr.strip()}")
    return path


def _systemctl(spec: ScheduleSpec, *args: str) -> str:
    cmd = ["systemctl", *(["--user"] if spec.user_mode else []), *args]
    return shlex.join(cmd)


def _run(cmd: str) -> str | None:
    """Run a systemctl command; an error message when it fails (None on success)."""
    if not shutil.which("systemctl"):
        return "systemctl is not available here"
    proc = subprocess.run(shlex.split(cmd), capture_output=True, text=True, check=False)
    return None if proc.returncode == 0 else (proc.stderr.strip() or f"exit {proc.returncode}")


def install(spec: ScheduleSpec) -> ScheduleResult:
    notes = check_password_file(spec.password_file)
    files = plan(spec)
    written: list[Path] = []
    commands: list[str] = []
    if spec.method == "cron" and spec.user_mode:
        user = spec.run_as or getpass.getuser()
        written.append(_user_crontab_edit(spec.name, files[0].content, spec.root, user))
        return ScheduleResult(tuple(written), (), tuple(notes))
    for f in files:
        target = _under(spec.root, f.path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_text(f.content)
            tmp.chmod(f.mode)
            os.replace(tmp, target)
        except OSError as exc:
            raise ScheduleError(f"cannot write {target}: {exc.strerror}",
                                hint="system-wide jobs need root; or use --user") from None
        written.append(target)
    if spec.method == "systemd":
        commands = [_systemctl(spec, "daemon-reload"), _systemctl(spec, "enable", "--now", f"{spec.name}.timer")]
        if spec.root is None:
            for cmd in commands:
                err = _run(cmd)
                if err:
                    notes.append(f"`{cmd}` failed: {err}; run it yourself once systemd is available")
                    break
        if spec.user_mode:
            notes.append(f"user timers run only while you are logged in unless lingering is on: "
                         f"loginctl enable-linger {spec.run_as or getpass.getuser()}")
    return ScheduleResult(tuple(written), tuple(commands), tuple(notes))


def locations(spec: ScheduleSpec) -> list[Path]:
    """Every place a job for this workspace can be (both methods, system and user)."""
    out: list[Path] = []
    for user_mode in (False, True):
        for method in METHODS:
            s = ScheduleSpec(workspace=spec.workspace, method=method, user_mode=user_mode, fleet=spec.fleet or "fleet",
                             root=spec.root)
            out.extend(_under(spec.root, f.path) for f in plan(s))
    return out


def _has_block(path: Path, name: str) -> bool:
    return path.is_file() and f"# BEGIN {name}\n" in path.read_text()


def show(spec: ScheduleSpec) -> list[tuple[Path, str]]:
    """The installed job files for this workspace and their contents."""
    found: list[tuple[Path, str]] = []
    for path in dict.fromkeys(locations(spec)):
        if path.parent.name == "crontabs":
            if spec.root is None:
                continue  # a user crontab is read through `crontab -l` below
            if _has_block(path, spec.name):
                found.append((path, path.read_text()))
        elif path.is_file():
            found.append((path, path.read_text()))
    if spec.root is None and shutil.which("crontab"):
        proc = subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=False)
        if proc.returncode == 0 and f"# BEGIN {spec.name}\n" in proc.stdout:
            found.append((Path("crontab -l"), proc.stdout))
    return found


def remove(spec: ScheduleSpec) -> ScheduleResult:
    removed: list[Path] = []
    commands: list[str] = []
    notes: list[str] = []
    for path in dict.fromkeys(locations(spec)):
        if path.parent.name == "crontabs":
            if spec.root is not None and _has_block(path, spec.name):
                removed.append(_user_crontab_edit(spec.name, None, spec.root, path.name))
            continue
        if path.is_file():
            if path.suffix == ".timer" and spec.root is None:
                user_mode = USER_UNIT_DIR.as_posix() in path.as_posix()
                s = ScheduleSpec(workspace=spec.workspace, user_mode=user_mode)
                cmd = _systemctl(s, "disable", "--now", path.name)
                commands.append(cmd)
                err = _run(cmd)
                if err:
                    notes.append(f"`{cmd}` failed: {err}")
            path.unlink()
            removed.append(path)
    if spec.root is None and shutil.which("crontab"):
        proc = subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=False)
        if proc.returncode == 0 and f"# BEGIN {spec.name}\n" in proc.stdout:
            removed.append(_user_crontab_edit(spec.name, None, None, getpass.getuser()))
    if removed and any(p.suffix in (".service", ".timer") for p in removed) and spec.root is None:
        for user_mode in (False, True):
            _run(_systemctl(ScheduleSpec(workspace=spec.workspace, user_mode=user_mode), "daemon-reload"))
    return ScheduleResult(tuple(removed), tuple(commands), tuple(notes))
