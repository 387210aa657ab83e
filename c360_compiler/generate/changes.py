"""The customer change feed: card, limit, address and employment changes, each row the full state after it.

Events are drawn per segment at the spec's yearly rates between account opening and the end date, then
applied in time order to the opening state; an event that would not change anything (an upgrade of a
Premium card) is dropped. Declining customers get the event their decline type names at the decline start.
"""

from __future__ import annotations

import math
from typing import get_args

import numpy as np
import pyarrow as pa

from c360_compiler.generate.customers import Customers
from c360_compiler.generate.spec import ChangeType, GenerationSpec
from c360_compiler.generate.timeline import Timeline

CHANGE_TYPES: tuple[str, ...] = get_args(ChangeType)
SECONDS_PER_DAY = 86_400


def build_changes(spec: GenerationSpec, customers: Customers, timeline: Timeline, seed: int) -> pa.Table:
    """BRONZE_CUSTOMER_UPDATES rows (untyped; the contract casts them), numbered in time order."""
    rng = np.random.default_rng([seed, 3])
    segs = list(spec.segments.values())
    end_day = timeline.day_offset(timeline.end)
    first_day = customers.open_day + 1
    years = np.clip(end_day - first_day + 1, 0, None) / 365.25

    cust_parts, type_parts, day_parts, forced_parts = [], [], [], []
    for t, change in enumerate(CHANGE_TYPES):
        rate = np.array([s.changes_per_year.get(change, 0.0) for s in segs])[customers.segment]  # type: ignore[call-overload]
        counts = rng.poisson(rate * years)
        who = np.repeat(np.arange(len(customers)), counts)
        cust_parts.append(who)
        type_parts.append(np.full(len(who), t))
        day_parts.append(rng.integers(first_day[who], end_day + 1))
        forced_parts.append(np.full(len(who), -1))
    for code, seg in enumerate(segs):
        for name, dtype in seg.decline_types.items():
            if dtype.event is None:
                continue
            who = np.flatnonzero((customers.segment == code) & (customers.decline_type == name))
            month = customers.decline_start[who]
            day = timeline.month_start_day[month] + rng.integers(0, timeline.month_days[month])
            day = np.clip(np.maximum(day, first_day[who]), None, end_day)
            cust_parts.append(who)
            type_parts.append(np.full(len(who), CHANGE_TYPES.index(dtype.event)))
            day_parts.append(day)
            forced_parts.append(np.full(len(who), 1))

    who = np.concatenate(cust_parts)
    kind = np.concatenate(type_parts)
    day = np.concatenate(day_parts)
    forced = np.concatenate(forced_parts) > 0
    hours = spec.transactions.hours
    second = rng.integers(hours[0] * 3600, hours[1] * 3600, len(who))
    u1, u2 = rng.random(len(who)), rng.random(len(who))
    order = np.lexsort((~forced, second, day, who))
    rows = _apply(spec, customers, who[order], kind[order], forced[order], u1[order], u2[order])

    keep = np.array([r is not None for r in rows], dtype=bool)
    states = [r for r in rows if r is not None]
    idx = order[keep]
    at_seconds = day[idx] * SECONDS_PER_DAY + second[idx]
    by_time = np.lexsort((customers.customer_id[who[idx]].astype(str), at_seconds))
    effective = np.datetime64(timeline.start, "s") + at_seconds[by_time].astype("timedelta64[s]")
    ordered = [states[i] for i in by_time]
    return pa.table(
        {
            "update_id": pa.array(np.arange(1, len(ordered) + 1), pa.int64()),
            "customer_id": pa.array(customers.customer_id[who[idx][by_time]], pa.string()),
            "change_type": pa.array([CHANGE_TYPES[kind[i]] for i in idx[by_time]], pa.string()),
            "effective_at": pa.array(effective, pa.timestamp("us")),
            "card_type": pa.array([s[0] for s in ordered], pa.string()),
            "credit_limit": pa.array([s[1] for s in ordered], pa.int64()),
            "state": pa.array([s[2] for s in ordered], pa.string()),
            "city": pa.array([s[3] for s in ordered], pa.string()),
            "employment_status": pa.array([s[4] for s in ordered], pa.string()),
        }
    )


def _apply(
    spec: GenerationSpec,
    customers: Customers,
    who: np.ndarray,
    kind: np.ndarray,
    forced: np.ndarray,
    u1: np.ndarray,
    u2: np.ndarray,
) -> list[tuple | None]:
    """Walk events in (customer, time) order; the state after each kept event, or None when dropped."""
    segs = list(spec.segments.values())
    lim = spec.customers.credit_limit
    lo, hi = spec.changes.credit_limit_delta
    deltas = [k * lim.step for k in range(math.ceil(lo / lim.step), math.floor(hi / lim.step) + 1) if k]
    codes = list(spec.states)
    state_cdf = np.cumsum([spec.states[c].weight for c in codes])
    state_cdf /= state_cdf[-1]
    out: list[tuple | None] = []
    current = -1
    state: list = []
    after_forced = False
    for j in range(len(who)):
        c = who[j]
        if c != current:
            current = c
            state = [
                customers.card_type[c],
                int(customers.credit_limit[c]),
                customers.state[c],
                customers.city[c],
                customers.employment_status[c],
            ]
            after_forced = False
        seg = segs[customers.segment[c]]
        change = CHANGE_TYPES[kind[j]]
        dtype = seg.decline_types.get(customers.decline_type[c]) if customers.decline_type[c] else None
        new = list(state)
        if change == "card_upgrade":
            new[0] = "Premium"
        elif change == "card_downgrade":
            new[0] = "Standard"
        elif change == "credit_limit_change":
            new[1] = int(min(max(state[1] + deltas[int(u1[j] * len(deltas))], lim.min), lim.max))
        elif change == "move":
            new[2], new[3] = _new_address(spec, codes, state_cdf, state[2], state[3], u1[j], u2[j])
        elif forced[j] and dtype is not None and dtype.employment_status:
            new[4] = dtype.employment_status
        elif not after_forced:
            options = dict(seg.employment)
            if dtype is not None and dtype.employed_before:
                options = {k: v for k, v in options.items() if k in dtype.employed_before}
            options.pop(state[4], None)
            names = [k for k, v in options.items() if v > 0]
            if names:
                cdf = np.cumsum([options[k] for k in names]) / sum(options[k] for k in names)
                new[4] = names[int(np.searchsorted(cdf, u1[j], side="right").clip(0, len(names) - 1))]
        if forced[j] and change == "employment_change":
            after_forced = True
        if new == state:
            out.append(None)
            continue
        state = new
        out.append(tuple(new))
    return out


def _new_address(
    spec: GenerationSpec, codes: list[str], cdf: np.ndarray, state: str, city: str, u1: float, u2: float
) -> tuple[str, str]:
    """A state drawn by weight and a city in it, never the current address."""
    s = int(np.searchsorted(cdf, u1, side="right").clip(0, len(codes) - 1))
    cities = spec.states[codes[s]].cities
    k = int(u2 * len(cities))
    if (codes[s], cities[k]) == (state, city):
        if len(cities) > 1:
            k = (k + 1) % len(cities)
        else:
            s = (s + 1) % len(codes)
            cities = spec.states[codes[s]].cities
            k = 0
    return codes[s], spec.states[codes[s]].cities[k]
