"""Pure pieces of the generator: allocation, amount means, chunking, rendered SQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sqlglot
from gen_support import make_project, run_generation
from test_determinism import checksums

from c360_compiler.generate import transactions
from c360_compiler.generate.categories import build_picks, mean_amount
from c360_compiler.generate.customers import allocate
from c360_compiler.generate.sql import literal


def test_allocate_is_exact_and_proportional() -> None:
    counts = allocate(200, np.array([0.12, 0.45, 0.22, 0.12, 0.09]))
    assert counts.sum() == 200 and counts.tolist() == [24, 90, 44, 24, 18]
    assert allocate(7, np.array([1.0, 1.0, 1.0])).sum() == 7


@pytest.mark.parametrize(("low", "high"), [(4, 110), (88, 1040), (2, 9), (5, 5)])
def test_mean_amount_matches_sampling(low: float, high: float) -> None:
    rng = np.random.default_rng(0)
    u = rng.random((2, 400_000))
    sampled = np.exp(np.log(low) + np.log(high / low) * (u[0] + u[1]) / 2).mean()
    assert mean_amount(low, high) == pytest.approx(sampled, rel=0.01)


def test_picks_follow_spend_shares(small_spec_root: Path) -> None:
    from c360_compiler.generate.run import load_generation_spec
    from c360_compiler.load.project import load_project

    spec = load_generation_spec(load_project(small_spec_root))
    picks = build_picks(spec)
    code = list(spec.segments).index("High-Value Travelers")
    ranges = [r for r in picks.ranges if r.segment_code == code]
    assert ranges[0].low == 0 and ranges[-1].high == picks.buckets
    assert all(a.high == b.low for a, b in zip(ranges, ranges[1:], strict=False))
    spend = {r.category.name: (r.high - r.low) * mean_amount(*r.category.amount) for r in ranges}
    weights = spec.segments["High-Value Travelers"].category_weights
    for name, w in weights.items():
        assert spend[name] / sum(spend.values()) == pytest.approx(w / sum(weights.values()), rel=0.05)


def test_chunk_bounds_cover_every_row() -> None:
    n = np.array([5, 5, 5, 5, 5, 5])
    assert transactions.chunk_bounds(n, 10) == [(0, 2), (2, 4), (4, 6)]
    assert transactions.chunk_bounds(n, 100) == [(0, 6)]


def test_chunking_does_not_change_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = run_generation(make_project(tmp_path / "whole"), "tiny")
    monkeypatch.setattr(transactions, "CHUNK_ROWS", 3_000)
    chunked = run_generation(make_project(tmp_path / "chunked"), "tiny")
    try:
        assert checksums(whole) == checksums(chunked)
    finally:
        whole.adapter.close()
        chunked.adapter.close()


def test_literals_parse_in_snowflake() -> None:
    values = [None, True, 3, 0.25, "Trader Joe's"]
    sql = "SELECT " + ", ".join(literal(v) for v in values)
    assert sqlglot.parse_one(sql, dialect="snowflake").sql("duckdb") == "SELECT NULL, TRUE, 3, 0.25, 'Trader Joe''s'"
