"""The activity plan: how many transactions each customer makes in each month, and on which days.

Monthly spend = base spend x seasonality x trend x noise (x the share of the month the account is open);
counts = spend / expected amount, then drawn so the profile's transaction total is met exactly. When a
profile has fewer transactions than the spend implies, amounts are scaled up so monthly spend keeps its level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from c360_compiler.generate.customers import Customers
from c360_compiler.generate.spec import DeclineTrend, GenerationSpec, RampTrend
from c360_compiler.generate.timeline import Timeline


@dataclass(frozen=True)
class ActivityPlan:
    """One row per customer-month with transactions; ids are contiguous per row."""

    customer_id: np.ndarray
    segment: np.ndarray
    first_id: np.ndarray
    n_txn: np.ndarray
    day0: np.ndarray
    span: np.ndarray
    amount_factor: np.ndarray
    decline_p: np.ndarray
    count_scale: float
    """Transactions per natural transaction (1.0 when the profile matches the spend exactly)."""

    @property
    def total(self) -> int:
        return int(self.n_txn.sum())

    @property
    def max_per_row(self) -> int:
        return int(self.n_txn.max()) if len(self.n_txn) else 1

    def to_arrow(self) -> pa.Table:
        return pa.table(
            {
                "customer_id": pa.array(self.customer_id, pa.string()),
                "segment_code": pa.array(self.segment, pa.int32()),
                "first_id": pa.array(self.first_id, pa.int64()),
                "n_txn": pa.array(self.n_txn, pa.int32()),
                "day0": pa.array(self.day0, pa.int32()),
                "span": pa.array(self.span, pa.int32()),
                "amount_factor": pa.array(self.amount_factor, pa.float64()),
                "decline_p": pa.array(self.decline_p, pa.float64()),
            }
        )


def trend_levels(spec: GenerationSpec, customers: Customers, timeline: Timeline) -> np.ndarray:
    """Spend level per customer (rows) and month (columns) from each segment's trend."""
    n, months = len(customers), timeline.months
    level = np.ones((n, months))
    month_idx = np.arange(months)[None, :]
    open_month = timeline.month_of_day(customers.open_day)[:, None]
    for code, seg in enumerate(spec.segments.values()):
        rows = customers.segment == code
        t = seg.trend
        if isinstance(t, RampTrend):
            age = np.maximum(month_idx - open_month[rows], 0)
            level[rows] = np.minimum(1.0, t.start_level * (1 + t.monthly_growth) ** age)
        elif isinstance(t, DeclineTrend):
            start = customers.decline_start[rows][:, None]
            into = np.clip((month_idx - start + 1) / t.ramp_months, 0, 1)
            level[rows] = 1 - customers.decline_drop[rows][:, None] * into
            stop = customers.stop_month[rows][:, None]
            level[rows] = np.where((stop >= 0) & (month_idx >= stop), 0.0, level[rows])
    return level


def build_activity(
    spec: GenerationSpec, customers: Customers, timeline: Timeline, expected_amount: np.ndarray, total: int, seed: int
) -> ActivityPlan:
    """Exactly `total` transactions spread over customer-months in proportion to expected counts."""
    rng = np.random.default_rng([seed, 2])
    segs = list(spec.segments.values())
    starts, days = timeline.month_start_day[None, :], timeline.month_days[None, :]
    first = np.maximum(starts, customers.open_day[:, None])
    span = np.clip(starts + days - first, 0, None)
    noise = 1 + spec.transactions.monthly_noise * rng.uniform(-1, 1, span.shape)
    spend = customers.base_spend[:, None] * timeline.season[None, :] * trend_levels(spec, customers, timeline)
    spend = spend * noise * span / days
    multiplier = np.array([s.amount_multiplier for s in segs])[customers.segment]
    per_txn = (expected_amount[customers.segment] * multiplier)[:, None]
    expected_counts = (spend / per_txn).ravel()
    natural = expected_counts.sum()
    counts = rng.multinomial(total, expected_counts / natural) if natural > 0 else np.zeros_like(expected_counts)
    scale = total / natural if natural > 0 else 1.0

    decline_p = np.repeat(np.array([s.decline_rate for s in segs])[customers.segment][:, None], timeline.months, 1)
    for code, seg in enumerate(segs):
        if isinstance(seg.trend, DeclineTrend):
            rows = customers.segment == code
            started = np.arange(timeline.months)[None, :] >= customers.decline_start[rows][:, None]
            decline_p[rows] = np.where(started, seg.trend.decline_rate, decline_p[rows])

    keep = counts > 0
    cust_idx = np.repeat(np.arange(len(customers)), timeline.months)[keep]
    n_txn = counts[keep].astype(np.int64)
    first_id = np.concatenate([[1], 1 + np.cumsum(n_txn)[:-1]]) if len(n_txn) else n_txn
    return ActivityPlan(
        customer_id=customers.customer_id[cust_idx],
        segment=customers.segment[cust_idx],
        first_id=first_id,
        n_txn=n_txn,
        day0=first.ravel()[keep],
        span=span.ravel()[keep],
        amount_factor=(multiplier[cust_idx] / scale),
        decline_p=decline_p.ravel()[keep],
        count_scale=scale,
    )
