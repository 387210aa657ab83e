"""Customers at account opening, plus the hidden traits that drive their behaviour over time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from c360_compiler.generate.names import emails, name_pools
from c360_compiler.generate.spec import DeclineTrend, GenerationSpec
from c360_compiler.generate.timeline import Timeline

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Customers:
    """Column arrays of BRONZE_CUSTOMERS (opening state) and hidden per-customer traits."""

    customer_id: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    email: np.ndarray
    age: np.ndarray
    state: np.ndarray
    city: np.ndarray
    employment_status: np.ndarray
    card_type: np.ndarray
    credit_limit: np.ndarray
    open_day: np.ndarray
    """Account open date as a day offset from the first day of history (negative = before it)."""
    segment: np.ndarray
    """Index into the spec's segments (declaration order)."""
    decline_type: np.ndarray
    base_spend: np.ndarray
    """Steady monthly spend in USD."""
    decline_start: np.ndarray
    """Month index the decline starts (-1: no decline)."""
    decline_drop: np.ndarray
    stop_month: np.ndarray
    """Month index from which the customer stops transacting (-1: never)."""

    def __len__(self) -> int:
        return len(self.customer_id)

    def to_arrow(self, spec: GenerationSpec, timeline: Timeline) -> pa.Table:
        """BRONZE_CUSTOMERS columns (untyped; the contract casts them)."""
        names = list(spec.segments)
        open_dates = np.datetime64(timeline.start, "D") + self.open_day.astype("timedelta64[D]")
        ingested = dt.datetime.combine(timeline.end + dt.timedelta(days=1), dt.time(2, 0))
        return pa.table(
            {
                "customer_id": pa.array(self.customer_id, pa.string()),
                "first_name": pa.array(self.first_name, pa.string()),
                "last_name": pa.array(self.last_name, pa.string()),
                "email": pa.array(self.email, pa.string()),
                "age": pa.array(self.age, pa.int32()),
                "state": pa.array(self.state, pa.string()),
                "city": pa.array(self.city, pa.string()),
                "employment_status": pa.array(self.employment_status, pa.string()),
                "card_type": pa.array(self.card_type, pa.string()),
                "credit_limit": pa.array(self.credit_limit, pa.int64()),
                "account_open_date": pa.array(open_dates, pa.date32()),
                "customer_segment": pa.array([names[s] for s in self.segment], pa.string()),
                "decline_type": pa.array(self.decline_type, pa.string()),
                "ingested_at": pa.array([ingested] * len(self), pa.timestamp("us")),
            }
        )


def allocate(total: int, shares: np.ndarray) -> np.ndarray:
    """Integer counts summing to `total`, proportional to `shares` (largest remainder)."""
    raw = total * shares / shares.sum()
    counts = np.floor(raw).astype(np.int64)
    rest = total - counts.sum()
    counts[np.argsort(-(raw - counts), kind="stable")[:rest]] += 1
    return counts


def _pick(rng: np.random.Generator, options: list[str], weights: list[float], n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=np.float64)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p / p.sum())]


def build_customers(spec: GenerationSpec, timeline: Timeline, n: int, seed: int) -> Customers:
    """`n` customers with exact segment counts; deterministic for `seed`."""
    rng = np.random.default_rng([seed, 1])
    cust = spec.customers
    segments = list(spec.segments.values())
    segment = rng.permutation(np.repeat(np.arange(len(segments)), allocate(n, np.array([s.share for s in segments]))))

    firsts, lasts = name_pools(cust.faker_locale, seed, cust.name_pool_size)
    first = firsts[rng.integers(0, len(firsts), n)]
    last = lasts[rng.integers(0, len(lasts), n)]
    domains = _pick(rng, list(cust.email_domains), list(cust.email_domains.values()), n)
    mail = emails(first, last, domains, rng)
    quirk = rng.random(n)
    q = cust.email_quirks
    for i in np.flatnonzero(quirk < q.mixed_case_share + q.padded_share):
        mail[i] = mail[i].title() if quirk[i] < q.mixed_case_share else f"  {mail[i]} "

    codes = list(spec.states)
    state_idx = rng.choice(len(codes), size=n, p=_norm([spec.states[c].weight for c in codes]))
    state = np.asarray(codes, dtype=object)[state_idx]
    city = np.array(
        [spec.states[codes[s]].cities[rng.integers(len(spec.states[codes[s]].cities))] for s in state_idx], dtype=object
    )

    out = {k: np.empty(n, dtype=object) for k in ("employment", "card", "decline_type")}
    age = np.zeros(n, np.int64)
    limit = np.zeros(n, np.int64)
    open_day = np.zeros(n, np.int64)
    base_spend = np.zeros(n)
    decline_start = np.full(n, -1, np.int64)
    drop = np.zeros(n)
    stop = np.full(n, -1, np.int64)
    end_offset = timeline.day_offset(timeline.end)
    step = cust.credit_limit.step
    for k, seg in enumerate(segments):
        idx = np.flatnonzero(segment == k)
        m = len(idx)
        if not m:
            continue
        age[idx] = rng.integers(seg.age[0], seg.age[1] + 1, m)
        out["card"][idx] = np.where(rng.random(m) < seg.premium_share, "Premium", "Standard")
        lo, hi = seg.credit_limit or (cust.credit_limit.min, cust.credit_limit.max)
        limit[idx] = rng.integers(-(-lo // step), hi // step + 1, m) * step
        years = seg.account_age_years or cust.account_age_years
        open_day[idx] = end_offset - np.round(rng.uniform(years[0], years[1], m) * DAYS_PER_YEAR).astype(np.int64)
        base_spend[idx] = np.exp(rng.uniform(np.log(seg.monthly_spend[0]), np.log(seg.monthly_spend[1]), m))
        out["employment"][idx] = _pick(rng, list(seg.employment), list(seg.employment.values()), m)
        if seg.decline_types:
            kinds = list(seg.decline_types)
            dt_names = _pick(rng, kinds, [seg.decline_types[d].share for d in kinds], m)
            out["decline_type"][idx] = dt_names
            for name, dtype in seg.decline_types.items():
                allowed = [s for s in dtype.employed_before if seg.employment.get(s, 0) > 0]
                sub = idx[dt_names == name]
                if allowed and len(sub):
                    out["employment"][sub] = _pick(rng, allowed, [seg.employment[s] for s in allowed], len(sub))
        if isinstance(seg.trend, DeclineTrend):
            t = seg.trend
            final = timeline.months - 1
            lo_m, hi_m = t.start_months_before_end
            decline_start[idx] = final + 1 - rng.integers(lo_m, hi_m + 1, m)
            drop[idx] = rng.uniform(t.drop[0], t.drop[1], m)
            stops = rng.random(m) < t.stop_share
            when = decline_start[idx] + rng.integers(t.stop_after_months[0], t.stop_after_months[1] + 1, m)
            stop[idx] = np.where(stops, np.minimum(when, final), -1)

    width = cust.id_digits
    ids = np.array([f"{cust.id_prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
    return Customers(
        ids,
        first,
        last,
        mail,
        age,
        state,
        city,
        out["employment"],
        out["card"],
        limit,
        open_day,
        segment,
        out["decline_type"],
        base_spend,
        decline_start,
        drop,
        stop,
    )


def _norm(weights: list[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=np.float64)
    return p / p.sum()
