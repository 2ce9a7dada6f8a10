"""The HTML status report: one self-contained page (no scripts, no external files) for a wall screen."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from azsbackup.model import human_size

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 1200, 160, 28


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("azsbackup.monitoring", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["size"] = human_size
    env.filters["age"] = human_age
    return env


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str


def size_chart(backups: list[dict[str, Any]]) -> dict[str, Any]:
    """Points of stored size over time, scaled into the SVG viewport (drawn by the template)."""
    values = [b["stored_size"] for b in backups]
    top = max(values, default=0) or 1
    span = max(len(values) - 1, 1)
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
    points = [
        ChartPoint(
            x=round(CHART_PAD + i * inner_w / span, 1),
            y=round(CHART_HEIGHT - CHART_PAD - v * inner_h / top, 1),
            label=f"{b['id']}: {human_size(v)}",
        )
        for i, (b, v) in enumerate(zip(backups, values, strict=True))
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "pad": CHART_PAD,
        "points": points,
        "polyline": " ".join(f"{p.x},{p.y}" for p in points),
        "top": human_size(top),
    }


def render_report(
    *, config: dict[str, Any], backups: list[dict[str, Any]], alerts: list[dict[str, Any]], generated: str, version: str
) -> str:
    newest_first = list(reversed(backups))
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            config=config,
            backups=newest_first,
            alerts=alerts,
            generated=generated,
            version=version,
            chart=size_chart(backups),
            last=newest_first[0] if newest_first else None,
        )
    )


def human_age(seconds: float | None) -> str:
    """An age for people: 45 s, 12 min, 5.2 h, 3.1 days."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def render_fleet_report(*, rows: list[dict[str, Any]], generated: str, version: str) -> str:
    """One page for many controllers: ``rows`` worst first, each {host, health, status | None, error | None}."""
    counts = {health: sum(1 for r in rows if r["health"] == health) for health in ("Unreachable", "Critical",
              "Warning", "Healthy")}  # fmt: skip
    return (
        _environment()
        .get_template("fleet_report.html.j2")
        .render(rows=rows, counts=counts, generated=generated, version=version)
    )
