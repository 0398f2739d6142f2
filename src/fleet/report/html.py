"""The HTML report: one self-contained file (inline CSS, JS and SVG; no external URL of any kind).

The page is rendered from ``templates/report/report.html.j2``; the trend chart is an inline SVG
drawn here. It must open offline, in a mail attachment, and print cleanly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from html import escape

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from fleet import __version__
from fleet.report.model import (
    RANK,
    STATES,
    CheckLine,
    FleetReport,
    HostLine,
    PracticeLine,
    TrendPoint,
    coverage_state,
    percent,
)

STATE_LABEL = {"OK": "OK", "WARNING": "Warning", "CRITICAL": "Critical", "UNKNOWN": "Unknown"}
CHANGE_ORDER = {"failing": 0, "worse": 1, "resolved": 2, "better": 3}
MAX_CHANGES = 200  # rows in the "what changed" table; CSV/JSON carry them all
CHANGE_LABEL = {"failing": "Newly failing", "resolved": "Resolved", "worse": "Got worse", "better": "Improved"}


@cache
def _env() -> Environment:
    from fleet.resources import data_dir

    env = Environment(loader=FileSystemLoader(str(data_dir("templates") / "report")),
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = _when
    env.filters["ago"] = _ago
    env.filters["pct"] = percent
    env.filters["covstate"] = coverage_state
    env.filters["plural"] = _plural
    env.globals.update(STATES=STATES, STATE_LABEL=STATE_LABEL, CHANGE_LABEL=CHANGE_LABEL)
    return env


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _ago(value: datetime | None, ref: datetime) -> str:
    """How long before the sweep (``ref``) a host was last seen."""
    if value is None:
        return "never"
    seconds = max(0, (ref - value).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min before this sweep"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h before this sweep"
    return f"{int(seconds // 86400)} days before this sweep"


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def render_html(report: FleetReport) -> str:
    env = _env()
    practices = report.practices
    attention = sorted((p for p in practices if p.worst != "OK" or _low(p)),
                       key=lambda p: (-RANK[p.worst], p.coverage.ratio if p.coverage.ratio is not None else 2,
                                      p.name.lower()))
    unreachable = sorted(((c, p, h) for c in report.clients for p in c.practices for h in p.hosts if not h.reachable),
                         key=lambda cph: (cph[2].last_seen.timestamp() if cph[2].last_seen else 0, cph[2].name))
    names = {p.id: p.name for p in practices}
    changes = sorted(report.changes, key=lambda c: (CHANGE_ORDER.get(c.kind, 9), c.client_id, c.practice_id, c.host,
                                                    c.check_id))
    client_names = {c.id: c.name for c in report.clients}
    return env.get_template("report.html.j2").render(
        r=report,
        changes=changes,
        attention=attention,
        unreachable=unreachable,
        practice_names=names,
        client_names=client_names,
        chart=trend_svg(report.trend),
        check_bar=state_bar(report.counts),
        fleet_version=__version__,
        max_changes=MAX_CHANGES,
        problems=_problems,
        style=_asset(env, "report.css"),
        script=_asset(env, "report.js"),
    )


def _asset(env: Environment, name: str) -> Markup:
    """A static file beside the templates (style sheet, script), inlined into the page."""
    if env.loader is None:  # _env() always gives its FileSystemLoader
        raise RuntimeError("the report's template environment has no loader")
    return Markup(env.loader.get_source(env, name)[0])


def _low(p: PracticeLine) -> bool:
    return p.coverage.ratio is not None and p.coverage.ratio < 1


def _problems(h: HostLine) -> list[CheckLine]:
    return sorted(h.problems, key=lambda c: (-RANK[c.state], c.check_id))


def state_bar(counts: Mapping[str, int], width: int = 240, height: int = 10) -> Markup:
    """A stacked bar of check states (inline SVG)."""
    values = [(s, int(counts.get(s, 0))) for s in ("OK", "WARNING", "CRITICAL", "UNKNOWN")]
    total = sum(v for _, v in values)
    if not total:
        return Markup("")
    x = 0.0
    parts = []
    for state, v in values:
        if not v:
            continue
        w = width * v / total
        parts.append(f'<rect class="fill-{state}" x="{x:.2f}" y="0" width="{w:.2f}" height="{height}">'
                     f"<title>{v} {STATE_LABEL[state]}</title></rect>")
        x += w
    return Markup(f'<svg class="statebar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
                  f'role="img" aria-label="check states" preserveAspectRatio="none">{"".join(parts)}</svg>')


def trend_svg(points: Sequence[TrendPoint], width: int = 1080, height: int = 240) -> Markup:
    """Workstation coverage over past sweeps as an inline SVG line chart (0-100 %)."""
    pts = [p for p in points if p.coverage.ratio is not None]
    if not pts:
        return Markup('<p class="muted">No workstation coverage recorded yet.</p>')
    left, right, top, bottom = 46, 16, 14, 36
    pw, ph = width - left - right, height - top - bottom

    def x_of(i: int) -> float:
        return left + (pw / 2 if len(pts) == 1 else pw * i / (len(pts) - 1))

    def y_of(ratio: float) -> float:
        return top + ph * (1 - ratio)

    out = [f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="Workstation coverage over the last {len(pts)} sweeps">']
    for pct in (0, 25, 50, 75, 100):
        y = y_of(pct / 100)
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="axis" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{pct}%</text>')
    coords = [(x_of(i), y_of(p.coverage.ratio or 0.0)) for i, p in enumerate(pts)]
    if len(coords) > 1:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        area = f"{coords[0][0]:.1f},{y_of(0):.1f} {line} {coords[-1][0]:.1f},{y_of(0):.1f}"
        out.append(f'<polygon class="area" points="{area}"/>')
        out.append(f'<polyline class="line" points="{line}"/>')
    step = max(1, (len(pts) + 7) // 8)  # at most ~8 date labels
    span = pts[-1].at - pts[0].at
    fmt = ("%H:%M:%S" if span.total_seconds() < 3600 else "%H:%M") if pts[0].at.date() == pts[-1].at.date() else (
        "%b %d %H:%M" if len({p.at.date() for p in pts}) < len(pts) else "%b %d")
    for i, (p, (x, y)) in enumerate(zip(pts, coords, strict=True)):
        failing = p.practices.get("WARNING", 0) + p.practices.get("CRITICAL", 0)
        tip = (f"{p.at:%Y-%m-%d %H:%M} UTC: {percent(p.coverage)} "
               f"({p.coverage.covered} of {p.coverage.total} workstations), "
               f"{failing} practice{'s' if failing != 1 else ''} with problems")
        last = i == len(pts) - 1
        out.append(f'<circle class="dot{" last" if last else ""}" cx="{x:.1f}" cy="{y:.1f}" r="{4.5 if last else 3}">'
                   f"<title>{escape(tip)}</title></circle>")
        if last or (i % step == 0 and len(pts) - 1 - i >= step / 2):  # no label crowding the last one
            anchor = "end" if last and len(pts) > 1 else ("start" if i == 0 and len(pts) > 1 else "middle")
            out.append(f'<text class="axis" x="{x:.1f}" y="{height - bottom + 18}" text-anchor="{anchor}">'
                       f"{p.at.strftime(fmt)}</text>")
    lx, ly = coords[-1]
    out.append(f'<text class="value" x="{min(lx, width - right - 4):.1f}" y="{max(ly - 10, top + 10):.1f}" '
               f'text-anchor="end">{percent(pts[-1].coverage)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
