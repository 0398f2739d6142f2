"""Report writers for machines: JSON, CSV, JUnit XML and the Prometheus textfile format.

Each ``render_*`` takes a ``FleetReport`` and returns text; ``write_report`` renders any format
(HTML included) and writes it atomically (a temporary file in the target directory, then
``os.replace``), so a reader such as node_exporter's textfile collector never sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fleet.csvsafe import safe_cell
from fleet.errors import FleetError, Location
from fleet.report.model import NAGIOS_CODE, STATES, FleetReport, HostLine, percent, report_dict

FORMATS = ("html", "json", "csv", "junit", "prometheus")


def render(report: FleetReport, fmt: str) -> str:
    if fmt == "html":
        from fleet.report.html import render_html

        return render_html(report)
    renderers = {"json": render_json, "csv": render_csv, "junit": render_junit, "prometheus": render_prometheus}
    if fmt not in renderers:
        raise FleetError(f"unknown report format {fmt!r}", hint="one of " + ", ".join(FORMATS))
    return renderers[fmt](report)


def write_report(report: FleetReport, fmt: str, out: str | Path | None) -> str:
    """Render and write (``None`` or ``-``: stdout). Returns the rendered text."""
    text = render(report, fmt)
    if out is None or str(out) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write(Path(out), text)
    return text


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and ``os.replace``."""
    path = path.expanduser()
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)  # the nightly job's report folder, a new --out folder
        # Not *.prom while being written: the textfile collector only reads *.prom.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(directory) else ""
        raise FleetError(f"cannot write the report in {directory}: {exc.strerror}{where}", where=Location(str(path)),
                         hint="choose a directory you can write to (--out)") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; readers like node_exporter run as another user
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise FleetError(f"cannot write the report: {exc.strerror}", where=Location(str(path))) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- JSON ---------------------------------------------------------------------------------------


def render_json(report: FleetReport) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"


# -- CSV ----------------------------------------------------------------------------------------

CSV_COLUMNS = ("run_id", "sweep_at", "client_id", "client", "practice_id", "practice", "host", "role", "platform",
               "host_status", "last_seen", "check", "state", "previous_state", "change", "message", "value")


def _cell(value: object) -> str:
    """Text as a spreadsheet shows it, never as a formula: messages come from remote hosts."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return safe_cell(str(value))


def render_csv(report: FleetReport) -> str:
    """One row per host per check (a host the sweep could not check gets one row without a check)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for c in report.clients:
        for p in c.practices:
            for h in p.hosts:
                base = [report.run.id, report.sweep_time, c.id, c.name, p.id, p.name, h.name, h.role, h.platform,
                        h.status, h.last_seen]
                if not h.checks:
                    w.writerow([_cell(v) for v in [*base, "", "", "", "", h.message, ""]])
                for k in h.checks:
                    w.writerow([_cell(v) for v in [*base, k.check_id, k.state, k.previous, k.change, k.message,
                                                   k.value]])
    return buf.getvalue()


# -- JUnit XML ----------------------------------------------------------------------------------


def _xml_text(text: str) -> str:
    # XML 1.0 cannot carry most control characters, whatever the escaping.
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)


def render_junit(report: FleetReport) -> str:
    """A testsuite per practice, a testcase per host and check: WARNING/CRITICAL are failures, UNKNOWN
    is an error on a host the sweep reached, skipped on one it could not reach."""
    stamp = report.sweep_time.replace(microsecond=0, tzinfo=None).isoformat()
    root = ET.Element("testsuites", name=_xml_text(report.title))
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for i, (c, p) in enumerate((cl, pr) for cl in report.clients for pr in cl.practices):
        suite = ET.SubElement(root, "testsuite", name=_xml_text(f"{c.name} / {p.name}"), id=str(i),
                              package=_xml_text(f"{c.id}.{p.id}"), timestamp=stamp, hostname="fleet")
        props = ET.SubElement(suite, "properties")
        for name, value in (("client", c.id), ("practice", p.id), ("coverage", percent(p.coverage)),
                            ("workstations_covered", str(p.coverage.covered)),
                            ("workstations", str(p.coverage.total)), ("run_id", report.run.id)):
            ET.SubElement(props, "property", name=name, value=_xml_text(value))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for h in p.hosts:
            cases: list[tuple[str, str, str, str]] = [(k.check_id, k.state, k.message, k.value) for k in h.checks]
            if not cases:
                cases = [("reachable", "UNKNOWN", h.message or f"host {h.status or 'not checked'}", "")]
            for check_id, state, message, value in cases:
                case = ET.SubElement(suite, "testcase", name=_xml_text(check_id),
                                     classname=_xml_text(f"{c.id}.{p.id}.{h.name}"), time="0")
                counts["tests"] += 1
                detail = _xml_text(f"{h.name}: {check_id} is {state}" + (f" ({value})" if value else "")
                                   + (f"\n{message}" if message else ""))
                if state in ("WARNING", "CRITICAL"):
                    el = ET.SubElement(case, "failure", message=_xml_text(message or state), type=state)
                    el.text = detail
                    counts["failures"] += 1
                elif state != "OK" and not h.reachable:
                    ET.SubElement(case, "skipped", message=_xml_text(_unreachable_note(h)))
                    counts["skipped"] += 1
                elif state != "OK":
                    el = ET.SubElement(case, "error", message=_xml_text(message or state), type=state)
                    el.text = detail
                    counts["errors"] += 1
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", "0")
    for k in ("tests", "failures", "errors", "skipped"):
        root.set(k, str(totals[k]))
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _unreachable_note(h: HostLine) -> str:
    seen = h.last_seen.strftime("%Y-%m-%d %H:%M UTC") if h.last_seen else "never"
    return f"host unreachable (last seen {seen})"


# -- Prometheus textfile ------------------------------------------------------------------------


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**kw: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in kw.items()) + "}"


def _num(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def render_prometheus(report: FleetReport) -> str:
    """node_exporter textfile collector format (text exposition 0.0.4), one sample per line."""
    out: list[str] = []

    def family(name: str, help_text: str, samples: Sequence[tuple[str, float]], kind: str = "gauge") -> None:
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(f"{name}{labels} {_num(value)}" for labels, value in samples)

    checks, up, seen, pcov, pcovered, ptotal, pworst = [], [], [], [], [], [], []
    for c in report.clients:
        for p in c.practices:
            pl = {"client": c.id, "practice": p.id}
            if p.coverage.ratio is not None:
                pcov.append((_labels(**pl), round(p.coverage.ratio, 6)))
            pcovered.append((_labels(**pl), p.coverage.covered))
            ptotal.append((_labels(**pl), p.coverage.total))
            pworst.append((_labels(**pl), NAGIOS_CODE[p.worst]))
            for h in p.hosts:
                hl = {**pl, "host": h.name}
                up.append((_labels(**hl), 1 if h.reachable else 0))
                if h.last_seen:
                    seen.append((_labels(**hl), round(h.last_seen.timestamp(), 3)))
                for k in h.checks:
                    checks.append((_labels(**hl, check=k.check_id), NAGIOS_CODE.get(k.state, 3)))
    family("fleet_check_state", "State of one health check on one host (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).",
           checks)
    family("fleet_host_up", "Whether the last sweep reached the host (1) or not (0).", up)
    family("fleet_host_last_seen_timestamp_seconds", "When the host last answered a sweep (Unix time).", seen)
    family("fleet_practice_coverage_ratio",
           "Share of the practice's workstations with the extension in place (0-1).", pcov)
    family("fleet_practice_workstations_covered", "Workstations of the practice with the extension in place.",
           pcovered)
    family("fleet_practice_workstations", "Workstations of the practice.", ptotal)
    family("fleet_practice_state", "Worst check state in the practice (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).",
           pworst)
    ccov = [(_labels(client=c.id), round(c.coverage.ratio, 6)) for c in report.clients if c.coverage.ratio is not None]
    family("fleet_client_coverage_ratio", "Share of the client's workstations with the extension in place (0-1).",
           ccov)
    counts = report.counts
    family("fleet_checks", "Checks in the last sweep by state.", [(_labels(state=s), counts.get(s, 0)) for s in STATES])
    run = report.run
    family("fleet_last_sweep_timestamp_seconds", "When the reported sweep finished (Unix time).",
           [("", round(report.sweep_time.timestamp(), 3))])
    if run.finished_at:
        family("fleet_last_sweep_duration_seconds", "How long the reported sweep took.",
               [("", round((run.finished_at - run.started_at).total_seconds(), 3))])
    family("fleet_report_generated_timestamp_seconds", "When this file was written (Unix time).",
           [("", round(report.generated_at.timestamp(), 3))])
    return "\n".join(out) + "\n"
