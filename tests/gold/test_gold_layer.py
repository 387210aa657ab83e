"""The gold layer of the repo project on generated (tiny) and hand-made data: point-in-time fact
keys, dim_date, marts, segment rules against a Python re-computation, and rules edited in YAML."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

import pytest
from _gold_support import bronze_rows, copy_project, load_bronze

from c360_compiler.datatests import run_tests
from c360_compiler.errors import SpecErrors
from c360_compiler.execute.duckdb_adapter import DuckDBAdapter
from c360_compiler.generate.run import generate
from c360_compiler.pipeline import apply_changes, compile_project, plan_changes

GOLD = "CUSTOMER_ANALYTICS.GOLD"


def _apply(root: Path, adapter: DuckDBAdapter | None = None) -> DuckDBAdapter:
    compiled = compile_project(root)
    adapter = adapter or DuckDBAdapter(root / "warehouse" / "w.duckdb", compiled.project.spec.database)
    apply_changes(compiled, adapter, plan_changes(compiled, adapter))
    return adapter


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = copy_project(tmp_path_factory.mktemp("tiny") / "proj")
    compiled = compile_project(root)
    adapter = DuckDBAdapter(root / "warehouse" / "w.duckdb", compiled.project.spec.database)
    generate(compiled.project, adapter, "tiny")
    _apply(root, adapter)
    yield root, adapter
    adapter.close()


def _records(adapter: DuckDBAdapter, sql: str) -> list[dict]:
    return adapter.query(sql, native=True).records()


# --- point in time ------------------------------------------------------------------


def test_fact_keys_are_point_in_time_on_hand_made_history(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "p")
    compiled = compile_project(root)
    adapter = DuckDBAdapter(root / "warehouse" / "w.duckdb", compiled.project.spec.database)
    rows = bronze_rows()
    base = dict(merchant_name="M", merchant_category_id=1, channel="Online", status="approved")
    # CUST00000003 upgrades Standard -> Premium on 2024-05-01 09:00
    rows["BRONZE_TRANSACTIONS"] += [
        dict(
            base,
            transaction_id=10,
            customer_id="CUST00000003",
            transaction_date=dt.datetime(2024, 4, 30, 12),
            transaction_amount=10,
        ),
        dict(
            base,
            transaction_id=11,
            customer_id="CUST00000003",
            transaction_date=dt.datetime(2024, 5, 1, 8, 59),
            transaction_amount=11,
        ),
        dict(
            base,
            transaction_id=12,
            customer_id="CUST00000003",
            transaction_date=dt.datetime(2024, 5, 1, 9),
            transaction_amount=12,
        ),
        dict(
            base,
            transaction_id=13,
            customer_id="CUST00000003",
            transaction_date=dt.datetime(2024, 6, 2, 9),
            transaction_amount=13,
        ),
    ]
    load_bronze(compiled.project, adapter, rows)
    _apply(root, adapter)
    try:
        dim = _records(
            adapter,
            f"SELECT customer_key, card_type, valid_from, valid_to FROM {GOLD}.DIM_CUSTOMER "
            "WHERE customer_id = 'CUST00000003' ORDER BY valid_from",
        )
        assert [(d["card_type"], d["valid_from"], d["valid_to"]) for d in dim] == [
            ("Standard", dt.datetime(2024, 3, 1), dt.datetime(2024, 5, 1, 9)),
            ("Premium", dt.datetime(2024, 5, 1, 9), None),
        ]
        old, new = dim[0]["customer_key"], dim[1]["customer_key"]
        fact = _records(
            adapter,
            f"SELECT transaction_id, customer_key, date_key FROM {GOLD}.FCT_TRANSACTIONS "
            "WHERE customer_id = 'CUST00000003' ORDER BY transaction_id",
        )
        assert [(f["transaction_id"], f["customer_key"]) for f in fact] == [(10, old), (11, old), (12, new), (13, new)]
        assert [f["date_key"] for f in fact] == [20240430, 20240501, 20240501, 20240602]
        types = dict(
            adapter.query(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'FCT_TRANSACTIONS'",
                native=True,
            ).rows
        )
        assert {k.lower(): v for k, v in types.items()}["transaction_id"] == "BIGINT"
        profile = _records(
            adapter,
            f"SELECT customer_id, card_type, churn_risk_score FROM {GOLD}.CUSTOMER_360_PROFILE ORDER BY customer_id",
        )
        assert [(p["customer_id"], p["card_type"]) for p in profile][2] == ("CUST00000003", "Premium")
        assert all(p["churn_risk_score"] is None for p in profile)
    finally:
        adapter.close()


def test_fact_keys_match_the_change_feed_on_generated_data(tiny) -> None:
    _root, adapter = tiny
    # expected card/limit at each transaction, from the raw feed in Python
    history: dict[str, list[tuple[dt.datetime, str, float]]] = defaultdict(list)
    for c in _records(
        adapter,
        "SELECT customer_id, account_open_date, card_type, credit_limit "
        "FROM CUSTOMER_ANALYTICS.BRONZE.BRONZE_CUSTOMERS",
    ):
        history[c["customer_id"]].append(
            (dt.datetime.combine(c["account_open_date"], dt.time()), c["card_type"], float(c["credit_limit"]))
        )
    for u in _records(
        adapter,
        "SELECT customer_id, effective_at, card_type, credit_limit "
        "FROM CUSTOMER_ANALYTICS.BRONZE.BRONZE_CUSTOMER_UPDATES",
    ):
        history[u["customer_id"]].append((u["effective_at"], u["card_type"], float(u["credit_limit"])))
    for states in history.values():
        states.sort()
    fact = _records(
        adapter,
        f"SELECT f.customer_id, f.transaction_date, d.card_type, d.credit_limit "
        f"FROM {GOLD}.FCT_TRANSACTIONS f JOIN {GOLD}.DIM_CUSTOMER d USING (customer_key)",
    )
    assert len(fact) == adapter.row_count("GOLD", "FCT_TRANSACTIONS") > 0
    for row in fact:
        states = history[row["customer_id"]]
        valid = [s for s in states if s[0] <= row["transaction_date"]] or states[:1]
        assert (row["card_type"], float(row["credit_limit"])) == valid[-1][1:], row
    versions = adapter.query(f"SELECT COUNT(*) FROM {GOLD}.DIM_CUSTOMER", native=True).scalar()
    assert (
        versions > adapter.query(f"SELECT COUNT(DISTINCT customer_id) FROM {GOLD}.DIM_CUSTOMER", native=True).scalar()
    )


def test_all_declared_tests_pass_on_generated_data(tiny) -> None:
    root, adapter = tiny
    report = run_tests(compile_project(root), adapter, None)
    failed = [(r.test_id, r.status, r.message, r.sample[:1]) for r in report.results if r.status != "pass"]
    # tiny keeps small's transaction density per customer, so even the segment mix holds
    assert failed == []
    assert len(report.results) > 60
    stored = adapter.query(
        f"SELECT COUNT(*) FROM CUSTOMER_ANALYTICS.C360_META.TEST_RESULTS WHERE run_id = '{report.run_id}'", native=True
    ).scalar()
    assert stored == len(report.results)


def test_dim_date_calendar(tiny) -> None:
    _root, adapter = tiny
    days = {d["date_day"]: d for d in _records(adapter, f"SELECT * FROM {GOLD}.DIM_DATE")}
    assert len(days) >= 580
    last = max(days)
    max_txn = adapter.query(
        f"SELECT CAST(MAX(transaction_date) AS DATE) FROM {GOLD}.FCT_TRANSACTIONS", native=True
    ).scalar()
    assert last == max_txn and sorted(days) == [last - dt.timedelta(days=i) for i in range(len(days))][::-1]
    holidays = {d: r["holiday_name"] for d, r in days.items() if r["is_holiday"]}
    assert holidays[dt.date(2024, 11, 28)] == "Thanksgiving Day"
    assert holidays[dt.date(2024, 5, 27)] == "Memorial Day"
    assert holidays[dt.date(2025, 1, 20)] == "Martin Luther King Jr. Day"
    assert holidays[dt.date(2024, 7, 4)] == "Independence Day"
    assert len([d for d in holidays if d.year == 2024]) == 11
    for d, r in days.items():
        assert r["date_key"] == d.year * 10000 + d.month * 100 + d.day
        assert r["day_of_week"] == d.isoweekday() and r["is_weekend"] == (d.isoweekday() >= 6)
        assert r["week_of_year"] == d.isocalendar()[1] and r["quarter"] == (d.month - 1) // 3 + 1
        assert r["fiscal_year"] == d.year + (d.month >= 10)  # fiscal year starts in October
        assert r["fiscal_quarter"] == ((d.month - 10) % 12) // 3 + 1
        assert r["month_name"] == d.strftime("%B") and r["day_name"] == d.strftime("%A")


# --- segments -----------------------------------------------------------------------


def _python_segment(m: dict, declining_pct: float = -40) -> str:
    """specs/segments.yaml re-implemented in Python (SQL NULL comparisons are false)."""

    def le(a, b):
        return a is not None and a <= b

    def ge(a, b):
        return a is not None and a >= b

    if m["tenure_months"] < 6 and (ge(m["spend_change_pct"], 50) or m["spend_prior_90_days"] == 0):
        return "New & Growing"
    if le(m["spend_change_pct"], declining_pct) or (m["days_since_last_transaction"] or 0) > 60:
        return "Declining"
    if m["monthly_spend_90d"] >= 5000 and m["travel_spend_pct"] >= 25:
        return "High-Value Travelers"
    if m["monthly_spend_90d"] < 1500 and m["necessities_spend_pct"] >= 60:
        return "Budget-Conscious"
    return "Stable Mid-Spenders"


def test_segments_match_python_rules_and_metrics(tiny) -> None:
    _root, adapter = tiny
    segs = _records(adapter, f"SELECT * FROM {GOLD}.CUSTOMER_SEGMENTS")
    assert len(segs) == 200
    for m in segs:
        m = {
            k: (float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, bool | int) else v)
            for k, v in m.items()
        }
        assert m["customer_segment"] == _python_segment(m), m
    assert len({m["customer_segment"] for m in segs}) == 5
    # the 90-day spend metric from the raw transactions, in Python
    as_of = adapter.query(
        "SELECT CAST(MAX(transaction_date) AS DATE) FROM CUSTOMER_ANALYTICS.BRONZE.BRONZE_TRANSACTIONS", native=True
    ).scalar()
    start = dt.datetime.combine(as_of - dt.timedelta(days=89), dt.time())
    spend: dict[str, float] = defaultdict(float)
    for t in _records(
        adapter,
        "SELECT customer_id, transaction_date, transaction_amount, status "
        "FROM CUSTOMER_ANALYTICS.BRONZE.BRONZE_TRANSACTIONS",
    ):
        if t["status"].lower() == "approved" and t["transaction_amount"] > 0 and t["transaction_date"] >= start:
            spend[t["customer_id"]] += float(t["transaction_amount"])
    for m in segs:
        assert float(m["spend_last_90_days"]) == pytest.approx(spend[m["customer_id"]], abs=0.01)
        assert m["segment_assigned_date"] == as_of


def test_changing_a_threshold_in_yaml_changes_assignments(tmp_path: Path, tiny) -> None:
    src_root, src_adapter = tiny
    before = {
        r["customer_id"]: r["customer_segment"]
        for r in _records(src_adapter, f"SELECT customer_id, customer_segment FROM {GOLD}.CUSTOMER_SEGMENTS")
    }
    root = copy_project(tmp_path / "p")
    rules = root / "specs" / "segments.yaml"
    rules.write_text(rules.read_text().replace("spend_change_pct <= -40", "spend_change_pct <= -10"))
    compiled = compile_project(root)
    adapter = DuckDBAdapter(root / "warehouse" / "w.duckdb", compiled.project.spec.database)
    try:
        generate(compiled.project, adapter, "tiny")
        _apply(root, adapter)
        after = _records(adapter, f"SELECT * FROM {GOLD}.CUSTOMER_SEGMENTS")
        changed = [r["customer_id"] for r in after if r["customer_segment"] != before[r["customer_id"]]]
        assert changed, "a looser Declining threshold moves customers"
        for r in after:
            r = {
                k: (float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, bool | int) else v)
                for k, v in r.items()
            }
            assert r["customer_segment"] == _python_segment(r, declining_pct=-10)
        assert all(r["customer_segment"] == "Declining" for r in after if r["customer_id"] in changed)
    finally:
        adapter.close()


def _errors(root: Path) -> SpecErrors:
    with pytest.raises(SpecErrors) as info:
        compile_project(root)
    return info.value


def test_typo_in_a_rule_is_a_located_error_with_suggestion(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "p")
    rules = root / "specs" / "segments.yaml"
    text = rules.read_text()
    rules.write_text(text.replace("travel_spend_pct >= 25", "travel_spend_pc >= 25"))
    line = next(i for i, ln in enumerate(rules.read_text().splitlines(), 1) if "travel_spend_pc >=" in ln)
    errors = _errors(root).errors
    assert len(errors) == 1
    err = errors[0]
    assert err.location.file == "specs/segments.yaml" and err.location.line == line
    assert "unknown metric 'travel_spend_pc'" in err.message and err.suggestion == "travel_spend_pct"
    assert re.search(r"segments\[2\]\.when", err.key_path)


def test_non_boolean_rule_and_unknown_metric_declaration_are_errors(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "p")
    rules = root / "specs" / "segments.yaml"
    text = rules.read_text()
    text = text.replace("monthly_spend_90d < 1500 AND necessities_spend_pct >= 60", "monthly_spend_90d * 2")
    text = text.replace("- {name: avg_monthly_spend,", "- {name: avg_monthly_spendd,")
    rules.write_text(text)
    messages = {e.message: e for e in _errors(root).errors}
    assert any("is DOUBLE, not boolean" in m or "not boolean" in m for m in messages)
    declared = next(e for m, e in messages.items() if "avg_monthly_spendd" in m)
    assert declared.suggestion == "avg_monthly_spend" and declared.location.file == "specs/segments.yaml"
