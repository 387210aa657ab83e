"""The calendar the data covers: whole months ending with the end date's month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from c360_compiler.generate.spec import GenerationSpec


@dataclass(frozen=True)
class Timeline:
    """History months as day offsets from the first day of history."""

    start: dt.date
    end: dt.date
    month_start_day: np.ndarray
    """Day offset of each month's first day."""
    month_days: np.ndarray
    """Days of each month inside the history (the last month ends at the end date)."""
    season: np.ndarray
    """Relative spend level of each month (seasonality normalised to a mean of 1 over a year)."""

    @property
    def months(self) -> int:
        return len(self.month_days)

    @property
    def total_days(self) -> int:
        return (self.end - self.start).days + 1

    def day_offset(self, day: dt.date) -> int:
        return (day - self.start).days

    def month_of_day(self, offsets: np.ndarray) -> np.ndarray:
        """Month index of day offsets (clipped to the history)."""
        idx = np.searchsorted(self.month_start_day, offsets, side="right") - 1
        return np.clip(idx, 0, self.months - 1)


def build_timeline(spec: GenerationSpec) -> Timeline:
    end = spec.end_date
    n = spec.transactions.history_months
    starts: list[dt.date] = []
    year, month = end.year, end.month
    for _ in range(n):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    starts.reverse()
    first = starts[0]
    bounds = [*starts[1:], end + dt.timedelta(days=1)]
    weights = spec.transactions.seasonality
    mean = sum(weights.values()) / 12
    return Timeline(
        start=first,
        end=end,
        month_start_day=np.array([(s - first).days for s in starts], dtype=np.int64),
        month_days=np.array([(b - s).days for s, b in zip(starts, bounds, strict=True)], dtype=np.int64),
        season=np.array([weights[s.month] / mean for s in starts], dtype=np.float64),
    )
