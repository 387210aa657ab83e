"""Faker name pools: draw ~1,000 names once, then pick per customer with numpy (fast, deterministic)."""

from __future__ import annotations

import re

import numpy as np

_NOT_LETTERS = re.compile(r"[^a-z]")


def name_pools(locale: str, seed: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique first and last names from Faker (at most `size` each), in draw order."""
    from faker import Faker  # heavy; imported only when generating

    fake = Faker(locale)
    fake.seed_instance(seed)
    return _unique(fake.first_name, size), _unique(fake.last_name, size)


def _unique(draw: object, size: int) -> np.ndarray:
    seen: dict[str, None] = {}
    for _ in range(size * 4):
        seen.setdefault(draw(), None)  # type: ignore[operator]
        if len(seen) >= size:
            break
    return np.array(list(seen), dtype=object)


def emails(first: np.ndarray, last: np.ndarray, domains: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lower-case emails, unique by construction: each carries a distinct number."""
    n = len(first)
    numbers = rng.permutation(max(10 * n, 1000))[:n] + 1
    styles = rng.integers(0, 4, n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        f, ln, k = _NOT_LETTERS.sub("", first[i].lower()), _NOT_LETTERS.sub("", last[i].lower()), numbers[i]
        local = (f"{f}.{ln}{k}", f"{f[:1]}{ln}{k}", f"{f}_{ln}{k}", f"{ln}.{f}{k}")[styles[i]]
        out[i] = f"{local}@{domains[i]}"
    return out
