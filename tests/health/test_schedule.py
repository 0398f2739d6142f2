"""fleet schedule: systemd units / cron entries written under a temporary root, never into the real /etc."""

from __future__ import annotations

import getpass
import os
import re
import shlex
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleet.cli.main import cli
from fleet.schedule import ScheduleSpec, installed_fleet, job_name, systemd_units

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def ws(wsb, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    return wsb.write({})


@pytest.fixture
def pwfile(tmp_path: Path) -> Path:
    p = tmp_path / "secret dir" / "vault-pass"
    p.parent.mkdir()
    p.write_text(PASSWORD + "\n")
    p.chmod(0o600)
    return p


def run(*args: str) -> object:
    res = CliRunner().invoke(cli, list(args))
    return res


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file as systemd reads it: sections of keys with every value (ExecStart repeats)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        m = re.fullmatch(r"\[([A-Za-z]+)\]", line)
        if m:
            current = sections.setdefault(m.group(1), {})
            continue
        assert current is not None and "=" in line, f"not a unit line: {raw!r}"
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def check_steps(execs: list[str], ws: Path, pwfile: Path) -> None:
    argvs = [shlex.split(e.lstrip("-")) for e in execs]
    assert len(execs) == 4
    assert execs[0].startswith("-")  # the sweep's Nagios code must not stop the reports
    assert not any(e.startswith("-") for e in execs[1:])  # a failed report or alert fails the job
    fleet = argvs[0][0]
    assert all(a[0] == fleet for a in argvs) and os.path.isabs(fleet) and os.access(fleet, os.X_OK)
    version = subprocess.run([fleet, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("fleet, version ")
    with_pw = ["-w", str(ws), "--vault-password-file", str(pwfile)]
    # The sweep itself must not alert (reports first, alerts last).
    assert argvs[0][1:] == [*with_pw, "health", "--no-alert"]
    assert argvs[1][1:] == ["-w", str(ws), "report", "--format", "html", "--out",
                            str(ws / "state" / "reports" / "fleet-report.html")]
    assert argvs[2][1:] == ["-w", str(ws), "report", "--format", "prometheus", "--out",
                            str(ws / "state" / "reports" / "fleet.prom")]
    assert argvs[3][1:] == [*with_pw, "health", "alert"]  # last: after the reports are written


def test_the_job_gives_a_valid_unit(ws: Path, pwfile: Path, tmp_path: Path) -> None:
    spec = ScheduleSpec(workspace=ws, fleet=installed_fleet(), password_file=pwfile, run_as=getpass.getuser())
    service, timer = systemd_units(spec)
    check_steps(parse_unit(service.content)["Service"]["ExecStart"], ws, pwfile)
    if SYSTEMD_ANALYZE:
        (tmp_path / "u").mkdir()
        files = []
        for f in (service, timer):
            files.append(tmp_path / "u" / f.path.name)
            files[-1].write_text(f.content)
        proc = subprocess.run([SYSTEMD_ANALYZE, "verify", *map(str, files)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_systemd_units_are_valid_and_run_the_installed_fleet(ws: Path, pwfile: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    res = run("-w", str(ws), "schedule", "install", "--at", "2:30", "--root", str(root),
              "--vault-password-file", str(pwfile))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    name = job_name(ws)
    unit_dir = root / "etc" / "systemd" / "system"
    service, timer = unit_dir / f"{name}.service", unit_dir / f"{name}.timer"
    assert sorted(p.name for p in unit_dir.iterdir()) == sorted([service.name, timer.name])
    svc, tmr = parse_unit(service.read_text()), parse_unit(timer.read_text())
    # the timer: daily at 02:30, catches up after downtime, starts our service
    assert tmr["Timer"]["OnCalendar"] == ["*-*-* 02:30:00"] and tmr["Timer"]["Persistent"] == ["true"]
    assert tmr["Timer"]["Unit"] == [service.name] and tmr["Install"]["WantedBy"] == ["timers.target"]
    # the service: the sweep, the HTML report, the textfile, alerts (as this fleet sends them)
    assert svc["Service"]["Type"] == ["oneshot"]
    check_steps(svc["Service"]["ExecStart"], ws, pwfile)
    assert svc["Service"]["User"] == [getpass.getuser()]
    # the password is referenced by path only
    for f in (service, timer):
        assert PASSWORD not in f.read_text()
    if SYSTEMD_ANALYZE:
        proc = subprocess.run([SYSTEMD_ANALYZE, "verify", str(service), str(timer)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        cal = subprocess.run([SYSTEMD_ANALYZE, "calendar", tmr["Timer"]["OnCalendar"][0]], capture_output=True,
                             text=True, check=True).stdout
        assert "Normalized form: *-*-* 02:30:00" in cal


@pytest.mark.skipif(not SYSTEMD_ANALYZE, reason="systemd-analyze is not installed")
def test_systemd_analyze_rejects_a_broken_unit(tmp_path: Path) -> None:
    """The verify step above can fail: a unit whose ExecStart does not exist is refused."""
    bad = tmp_path / "fleet-broken.service"
    bad.write_text("[Service]\nType=oneshot\nExecStart=/nonexistent/fleet health\n")
    proc = subprocess.run([SYSTEMD_ANALYZE, "verify", str(bad)], capture_output=True, text=True)
    assert proc.returncode != 0 or "nonexistent" in proc.stderr


def test_paths_with_spaces_and_percent_survive_quoting(wsb, tmp_path: Path, pwfile: Path) -> None:  # type: ignore[no-untyped-def]
    wsb.root = tmp_path / "My MSP 100%"
    ws = wsb.write({})
    root = tmp_path / "root"
    res = run("-w", str(ws), "schedule", "install", "--root", str(root), "--vault-password-file", str(pwfile))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    service = root / "etc" / "systemd" / "system" / f"{job_name(ws)}.service"
    execs = parse_unit(service.read_text())["Service"]["ExecStart"]
    # systemd turns %% into % and unquotes; shlex does the same for the quoting
    argv = shlex.split(execs[0].lstrip("-").replace("%%", "%"))
    assert argv[2] == str(ws) and argv[4] == str(pwfile)
    if SYSTEMD_ANALYZE:
        proc = subprocess.run([SYSTEMD_ANALYZE, "verify", str(service)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_user_units_go_to_the_users_systemd_dir(ws: Path, pwfile: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    res = run("-w", str(ws), "schedule", "install", "--user", "--root", str(root),
              "--vault-password-file", str(pwfile))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    home = Path.home()
    unit = root / home.relative_to("/") / ".config" / "systemd" / "user" / f"{job_name(ws)}.service"
    assert unit.is_file()
    assert "User" not in parse_unit(unit.read_text())["Service"]
    assert "enable-linger" in res.output  # type: ignore[attr-defined]


def test_cron_entry(ws: Path, pwfile: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    res = run("-w", str(ws), "schedule", "install", "--cron", "--at", "23:05", "--root", str(root),
              "--vault-password-file", str(pwfile))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    entry = root / "etc" / "cron.d" / job_name(ws)
    assert "." not in entry.name  # cron ignores /etc/cron.d files with dots in their names
    lines = [ln for ln in entry.read_text().splitlines() if ln and not ln.startswith("#")]
    env = [ln for ln in lines if re.match(r"^[A-Z]+=", ln)]
    (job,) = [ln for ln in lines if ln not in env]
    minute, hour, dom, month, dow, user, command = job.split(None, 6)
    assert (minute, hour, dom, month, dow) == ("5", "23", "*", "*", "*") and user == getpass.getuser()
    assert "%" not in command.replace("\\%", "")
    assert "--format html" in command and "--format prometheus" in command
    sweep, rest = command.split("; ", 1)
    assert sweep.endswith(" health --no-alert")
    assert " health alert; }" in rest  # the last step
    assert PASSWORD not in entry.read_text() and shlex.quote(str(pwfile)) in command


def test_user_crontab_keeps_other_entries_and_reinstall_replaces(ws: Path, pwfile: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    tab = root / "var" / "spool" / "cron" / "crontabs" / getpass.getuser()
    tab.parent.mkdir(parents=True)
    tab.write_text("MAILTO=ops@example.invalid\n0 * * * * /usr/local/bin/backup\n")
    for at in ("02:00", "03:15"):
        res = run("-w", str(ws), "schedule", "install", "--cron", "--user", "--at", at, "--root", str(root),
                  "--vault-password-file", str(pwfile))
        assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    text = tab.read_text()
    assert text.count(f"# BEGIN {job_name(ws)}") == 1 and "15 3 * * * cd " in text and "0 2 * * *" not in text
    assert "/usr/local/bin/backup" in text and "MAILTO=" in text
    res = run("-w", str(ws), "schedule", "remove", "--root", str(root))
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert tab.read_text() == "MAILTO=ops@example.invalid\n0 * * * * /usr/local/bin/backup\n"


def test_show_and_remove(ws: Path, pwfile: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    res = run("-w", str(ws), "schedule", "show", "--root", str(root))
    assert res.exit_code == 0 and "no nightly job installed" in res.output  # type: ignore[attr-defined]
    run("-w", str(ws), "schedule", "install", "--root", str(root), "--vault-password-file", str(pwfile))
    res = run("-w", str(ws), "schedule", "show", "--root", str(root))
    assert res.exit_code == 0 and "OnCalendar=*-*-* 02:00:00" in res.output  # type: ignore[attr-defined]
    assert f"{job_name(ws)}.timer" in res.output  # type: ignore[attr-defined]
    res = run("-w", str(ws), "schedule", "remove", "--root", str(root))
    assert res.exit_code == 0 and res.output.count("removed ") == 2  # type: ignore[attr-defined]
    assert not any((root / "etc" / "systemd" / "system").iterdir())
    res = run("-w", str(ws), "schedule", "show", "--root", str(root))
    assert "no nightly job installed" in res.output  # type: ignore[attr-defined]


def test_two_workspaces_get_two_jobs(wsb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = wsb.write({})
    wsb.root = tmp_path / "other" / "ws"
    b = wsb.write({})
    assert job_name(a) != job_name(b) and job_name(a) == job_name(a)


def test_bad_input(ws: Path, pwfile: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    res = run("-w", str(ws), "schedule", "install", "--at", "25:00", "--root", str(root))
    assert res.exit_code == 2 and "HH:MM" in res.output  # type: ignore[attr-defined]
    res = run("-w", str(ws), "schedule", "install", "--root", str(root), "--vault-password-file",
              str(tmp_path / "missing"))
    assert res.exit_code == 1 and "vault password file not found" in res.output  # type: ignore[attr-defined]
    assert "Traceback" not in res.output  # type: ignore[attr-defined]
    assert not root.exists()  # nothing half-written
    loose = tmp_path / "loose-pass"
    loose.write_text(PASSWORD)
    loose.chmod(0o644)
    res = run("-w", str(ws), "schedule", "install", "--root", str(root), "--vault-password-file", str(loose))
    assert res.exit_code == 0 and "chmod 600" in res.output  # type: ignore[attr-defined]


def test_on_calendar_fires_at_the_right_local_time(ws: Path, pwfile: Path, tmp_path: Path) -> None:
    if not SYSTEMD_ANALYZE:
        pytest.skip("systemd-analyze is not installed")
    proc = subprocess.run([SYSTEMD_ANALYZE, "calendar", "--iterations=2", "*-*-* 02:00:00"], capture_output=True,
                          text=True, check=True)
    nexts = re.findall(r"(?:Next elapse|Iter\. #2): \w+ (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)", proc.stdout)
    assert [t for _, t in nexts] == ["02:00:00", "02:00:00"]
    d1, d2 = (datetime.fromisoformat(d) for d, _ in nexts)
    assert (d2 - d1).days == 1  # daily
