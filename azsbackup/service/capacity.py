"""Free space on the external location over time, and how many days it lasts at the current growth.

Every export that reaches the location records what the location reported
(free and total bytes) in the state database. The outlook fits a straight line
through the samples of the last :data:`GROWTH_WINDOW` (least squares over time):
while free space shrinks, the days left are the free bytes divided by the bytes
used per day; while it holds or grows, there is no end in sight (``None``).

Reading the outlook is a plain query: the metrics exporter and ``fleet status``
call it without the controller lock and without touching the location.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from azsbackup.model import iso, parse_iso
from azsbackup.state.db import transaction

SPACE_KEY = "location.space_samples"
"""The ``settings`` row holding the samples: a JSON list of [time, free, total]."""
MAX_SAMPLES = 96
GROWTH_WINDOW = dt.timedelta(days=7)
DAY_S = 86400.0


@dataclass(frozen=True)
class SpaceOutlook:
    free: int
    total: int
    observed: dt.datetime
    used_per_day: float | None
    """Bytes the location loses per day at the current growth; None with fewer than two samples."""

    @property
    def days_left(self) -> float | None:
        if self.used_per_day is None or self.used_per_day <= 0:
            return None
        return self.free / self.used_per_day

    def to_dict(self) -> dict[str, Any]:
        days = self.days_left
        return {
            "free": self.free,
            "total": self.total,
            "observed": iso(self.observed),
            "used_per_day": None if self.used_per_day is None else round(self.used_per_day),
            "days_left": None if days is None else round(days, 1),
        }


def record_space(db: sqlite3.Connection, free: int, total: int, now: dt.datetime) -> None:
    """Add one observation of the location's space (the oldest beyond :data:`MAX_SAMPLES` go)."""
    with transaction(db):
        samples = _samples(db)
        samples.append([iso(now), int(free), int(total)])
        db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (SPACE_KEY, json.dumps(samples[-MAX_SAMPLES:])),
        )


def space_outlook(db: sqlite3.Connection) -> SpaceOutlook | None:
    """The newest observation and the growth over the window before it; None before the first export."""
    samples = [(parse_iso(t), free, total) for t, free, total in _samples(db)]
    points = [(t, free, total) for t, free, total in samples if t is not None]
    if not points:
        return None
    newest, free, total = points[-1]
    window = [(t, f) for t, f, _ in points if newest - t <= GROWTH_WINDOW]
    return SpaceOutlook(free=free, total=total, observed=newest, used_per_day=_used_per_day(window))


def _used_per_day(points: list[tuple[dt.datetime, int]]) -> float | None:
    """Minus the least-squares slope of free bytes over time, in bytes per day."""
    if len(points) < 2:
        return None
    origin = points[0][0]
    xs = [(t - origin).total_seconds() / DAY_S for t, _ in points]
    ys = [float(free) for _, free in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return -slope


def _samples(db: sqlite3.Connection) -> list[list[Any]]:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (SPACE_KEY,)).fetchone()
    return list(json.loads(row["value"])) if row else []
