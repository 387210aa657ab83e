"""kind: scd2 against histories computed in Python: versions, Type 1, idempotence, rebuilds,
late-arriving changes, hard deletes, surrogate key stability, and the built-in integrity tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from _gold_support import assert_invariants, expected_versions, open_env, scd2_project, without_keys

from c360_compiler.datatests import run_tests

T = dt.datetime


def obs(k: str, day: int, tier: str, amount: int, note: str = "n") -> dict[str, object]:
    return {"k": k, "ts": T(2024, 1, day, 12), "tier": tier, "amount": amount, "note": note}


FEED = [
    obs("A", 1, "Standard", 100, "a1"),
    obs("A", 5, "Standard", 100, "a2"),  # Type 1 only: no new version
    obs("A", 9, "Premium", 100, "a3"),
    obs("A", 20, "Premium", 200, "a4"),
    obs("B", 2, "Standard", 50, "b1"),
    obs("B", 3, "Standard", 50, "b1"),  # identical state: no new version
]


@pytest.fixture
def env(tmp_path: Path):
    e = open_env(scd2_project(tmp_path / "p"))
    yield e
    e.adapter.close()


def test_versions_match_python_reference(env) -> None:
    env.feed(FEED)
    assert env.apply() == [("hist", "create")]
    rows = env.rows()
    assert without_keys(rows) == expected_versions(FEED)
    assert [r["note"] for r in rows if r["k"] == "A"] == ["a4", "a4", "a4"]  # Type 1 on every version
    assert [r["hist_key"] for r in rows] == [1, 2, 3, 4]  # sequence in (key, valid_from) order
    assert_invariants(rows)


def test_reapply_unchanged_adds_nothing_and_keys_are_stable(env) -> None:
    env.feed(FEED)
    env.apply()
    first = env.rows()
    assert env.apply() == []  # nothing changed: the plan is empty
    assert env.apply(full_refresh=True) == [("hist", "incremental")]
    assert env.rows() == first


def test_full_refresh_keeps_history_the_feed_no_longer_has(env) -> None:
    env.feed(FEED)
    env.apply()
    before = env.rows()
    latest_only = [obs("A", 20, "Premium", 200, "a4"), obs("B", 3, "Standard", 50, "b1")]
    env.feed(latest_only)
    env.apply(full_refresh=True)
    after = env.rows()
    assert [r["hist_key"] for r in after] == [r["hist_key"] for r in before]
    assert [(r["k"], r["valid_from"], r["valid_to"]) for r in after] == [
        (r["k"], r["valid_from"], r["valid_to"]) for r in before
    ]
    assert_invariants(after)


def test_new_change_closes_the_current_version(env) -> None:
    env.feed(FEED)
    env.apply()
    keys = {(r["k"], r["valid_from"]): r["hist_key"] for r in env.rows()}
    feed = FEED + [obs("B", 25, "Premium", 50, "b2")]
    env.feed(feed)
    assert env.apply() == [("hist", "incremental")]
    rows = env.rows()
    assert without_keys(rows) == expected_versions(feed)
    for r in rows:  # stored versions keep their keys; the new one gets the next number
        assert r["hist_key"] == keys.get((r["k"], r["valid_from"]), 5)
    assert_invariants(rows)


def test_late_arriving_change_splits_the_covering_version(env) -> None:
    env.feed(FEED)
    env.apply()
    late = obs("A", 12, "Standard", 150, "late")  # between the Premium/100 (day 9) and Premium/200 (day 20)
    feed = FEED + [late]
    env.feed(feed)
    env.apply()
    rows = env.rows()
    assert without_keys(rows) == expected_versions(feed)
    a = [
        (r["tier"], r["amount"], r["valid_from"].day, r["valid_to"] and r["valid_to"].day)
        for r in rows
        if r["k"] == "A"
    ]
    assert a == [
        ("Standard", 100, 1, 9),
        ("Premium", 100, 9, 12),
        ("Standard", 150, 12, 20),
        ("Premium", 200, 20, None),
    ]
    assert all(r["note"] == "a4" for r in rows if r["k"] == "A")  # the late row is not the latest: Type 1 stays
    assert_invariants(rows)


def test_delta_feed_merges_into_stored_history(env) -> None:
    env.feed(FEED)
    env.apply()
    env.feed([obs("A", 25, "Standard", 200, "a5")])  # only the new change arrives
    env.apply()
    rows = env.rows()
    assert without_keys(rows) == expected_versions(FEED + [obs("A", 25, "Standard", 200, "a5")])
    assert_invariants(rows)


def test_hard_deletes_ignored_by_default(env) -> None:
    env.feed(FEED)
    env.apply()
    env.feed([r for r in FEED if r["k"] == "A"])
    env.apply()
    b = [r for r in env.rows() if r["k"] == "B"]
    assert len(b) == 1 and b[0]["is_current"] and b[0]["valid_to"] is None


def test_hard_deletes_invalidate_closes_the_open_version(tmp_path: Path) -> None:
    env = open_env(scd2_project(tmp_path / "p", hard_deletes="invalidate"))
    try:
        env.feed(FEED)
        env.apply()
        env.feed([r for r in FEED if r["k"] == "A"])
        env.apply()
        rows = env.rows()
        b = [r for r in rows if r["k"] == "B"]
        assert len(b) == 1 and not b[0]["is_current"]
        assert b[0]["valid_to"] == max(r["ts"] for r in FEED if r["k"] == "A")  # newest time the feed holds
        assert_invariants(rows, deleted={"B"})
        report = run_tests(env.compiled, env.adapter, None)
        assert report.by_id()["hist.scd2_one_current"].status == "pass"  # at most one current with invalidate
    finally:
        env.adapter.close()


def test_timestamp_strategy_versions_every_newer_update(tmp_path: Path) -> None:
    env = open_env(scd2_project(tmp_path / "p", strategy="timestamp"))
    try:
        env.feed(FEED)
        env.apply()
        rows = env.rows()
        assert without_keys(rows) == expected_versions(FEED, strategy="timestamp")
        assert len([r for r in rows if r["k"] == "B"]) == 2
        assert_invariants(rows)
    finally:
        env.adapter.close()


def test_builtin_integrity_tests_catch_broken_history(env) -> None:
    env.feed(FEED)
    env.apply()
    report = run_tests(env.compiled, env.adapter, None)
    scd2 = {r.kind: r for r in report.results if r.kind.startswith("scd2")}
    assert set(scd2) == {"scd2_no_overlap", "scd2_no_gaps", "scd2_one_current", "scd2_current_flag"}
    assert all(r.status == "pass" for r in scd2.values())
    table = "CUSTOMER_ANALYTICS.GOLD.HIST"
    # overlap: stretch A's first version past the second's start; gap: shorten B... make B two versions
    env.adapter.execute(f"UPDATE {table} SET valid_to = valid_to + INTERVAL 1 DAY WHERE hist_key = 1", native=True)
    env.adapter.execute(f"UPDATE {table} SET valid_to = valid_to - INTERVAL 1 DAY WHERE hist_key = 2", native=True)
    env.adapter.execute(f"UPDATE {table} SET is_current = TRUE WHERE hist_key = 1", native=True)
    report = run_tests(env.compiled, env.adapter, None)
    by = {r.kind: r for r in report.results}
    assert by["scd2_no_overlap"].status == "fail" and by["scd2_no_overlap"].failing_rows == 1
    assert by["scd2_no_overlap"].sample[0]["k"] == "A"
    assert by["scd2_no_gaps"].status == "fail" and by["scd2_no_gaps"].failing_rows == 1
    assert by["scd2_one_current"].failing_rows == 1 and by["scd2_one_current"].sample[0]["current_versions"] == 2
    assert by["scd2_current_flag"].failing_rows == 1
