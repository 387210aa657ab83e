"""Merchant categories and the per-segment pick table that turns a uniform draw into a category and merchant."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from c360_compiler.generate.customers import allocate
from c360_compiler.generate.spec import Category, GenerationSpec


def mean_amount(low: float, high: float) -> float:
    """Mean of the log-triangular amount: exp(ln low + (ln high - ln low) * (u1 + u2) / 2)."""
    span = math.log(high / low)
    if span < 1e-12:
        return low
    half = span / 2
    return low * ((math.exp(half) - 1) / half) ** 2


@dataclass(frozen=True)
class PickRange:
    """Buckets [low, high) of one segment's pick table that land on one category."""

    segment_code: int
    category: Category
    low: int
    high: int


@dataclass(frozen=True)
class Picks:
    """Per segment: bucket ranges per category and the expected base amount of one transaction."""

    buckets: int
    ranges: tuple[PickRange, ...]
    expected_amount: np.ndarray
    """Expected amount (USD, before the segment multiplier) per segment code."""


def build_picks(spec: GenerationSpec) -> Picks:
    """Category weights are shares of spend; a transaction's category is drawn by count, so divide by mean amount."""
    buckets = spec.transactions.pick_buckets
    by_name = {c.name: c for c in spec.categories}
    ranges: list[PickRange] = []
    expected = np.zeros(len(spec.segments))
    for code, seg in enumerate(spec.segments.values()):
        cats = [by_name[n] for n, w in seg.category_weights.items() if w > 0]
        cats.sort(key=lambda c: c.id)
        counts_per_txn = np.array([seg.category_weights[c.name] / mean_amount(*c.amount) for c in cats])
        counts = allocate(buckets, counts_per_txn)
        low = 0
        total = 0.0
        for cat, k in zip(cats, counts, strict=True):
            if k:
                ranges.append(PickRange(code, cat, low, low + int(k)))
                total += k * mean_amount(*cat.amount)
                low += int(k)
        expected[code] = total / buckets
    return Picks(buckets, tuple(ranges), expected)
