"""Property tests: random change feeds, applied in two arrivals (the second with late changes),
always give the versions the Python reference computes, with the SCD2 invariants."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from _gold_support import assert_invariants, expected_versions, open_env, scd2_project, without_keys
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE = dt.datetime(2024, 1, 1)

observation = st.fixed_dictionaries(
    {
        "k": st.sampled_from(["A", "B", "C"]),
        "ts": st.integers(0, 40).map(lambda d: BASE + dt.timedelta(days=d)),
        "tier": st.sampled_from(["Standard", "Premium"]),
        "amount": st.sampled_from([100, 200]),
        "note": st.sampled_from(["x", "y"]),
    }
)


def _distinct_times(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    seen: set[tuple[object, object]] = set()
    out = []
    for r in rows:
        if (r["k"], r["ts"]) not in seen:
            seen.add((r["k"], r["ts"]))
            out.append(r)
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.lists(observation, min_size=1, max_size=12), later=st.lists(observation, max_size=8))
def test_random_feeds_keep_scd2_invariants(tmp_path_factory, first, later) -> None:
    first = _distinct_times(first)
    both = _distinct_times(first + later)
    env = open_env(scd2_project(Path(tmp_path_factory.mktemp("prop"))))
    try:
        env.feed(first)
        env.apply()
        keys_before = {(r["k"], r["valid_from"]): r["hist_key"] for r in env.rows()}
        env.feed(both)  # full feed again, with new and late changes
        env.apply()
        rows = env.rows()
        assert without_keys(rows) == expected_versions(both)
        assert_invariants(rows)
        # versions == number of distinct consecutive states per key
        for key in {r["k"] for r in both}:
            states = [
                (r["tier"], r["amount"]) for r in sorted((r for r in both if r["k"] == key), key=lambda r: r["ts"])
            ]
            changes = 1 + sum(a != b for a, b in zip(states, states[1:], strict=False))
            assert len([r for r in rows if r["k"] == key]) == changes
        for r in rows:  # a version already stored keeps its surrogate key
            if (r["k"], r["valid_from"]) in keys_before:
                assert r["hist_key"] == keys_before[(r["k"], r["valid_from"])]
        env.apply(full_refresh=True)
        assert env.rows() == rows  # a rebuild changes nothing
    finally:
        env.adapter.close()
