"""plan: new/changed/removed models, breaking classification, rebuild propagation, source data changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support import apply_once, fresh_project, model_yaml, models_file

from c360_compiler.execute.connect import connect
from c360_compiler.execute.duckdb_adapter import DuckDBAdapter
from c360_compiler.execute.state import StateStore
from c360_compiler.pipeline import apply_changes, compile_project, plan_changes
from c360_compiler.plan import Plan

T_CUST = "SELECT customer_id, email FROM {{ ref('stg_customers') }}"
T_SPEND = (
    "SELECT c.customer_id, SUM(t.transaction_amount) AS spend\n"
    "FROM {{ ref('t_cust') }} AS c JOIN {{ ref('stg_transactions') }} AS t ON t.customer_id = c.customer_id\n"
    "GROUP BY c.customer_id"
)
V_TOP = "SELECT customer_id FROM {{ ref('t_spend') }} WHERE spend > 100"


def _write(root: Path, t_cust: str = T_CUST, extra: str = "") -> None:
    (root / "specs/models/gold.yaml").write_text(
        models_file(
            model_yaml("t_cust", t_cust),
            model_yaml("t_spend", T_SPEND),
            model_yaml("v_top", V_TOP, kind="view"),
        )
        + extra
    )


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    """A project with gold tables applied once on fixture bronze data."""
    root = fresh_project(tmp_path / "p")
    _write(root)
    apply_once(root)
    return root


def _plan(root: Path, **kwargs: object) -> Plan:
    compiled = compile_project(root)
    adapter = connect(compiled.project)
    try:
        return plan_changes(compiled, adapter, **kwargs)  # type: ignore[arg-type]
    finally:
        adapter.close()


def _actions(plan: Plan) -> dict[str, tuple[str, str, str]]:
    return {c.model: (c.action, c.reason, c.category) for c in plan.changes}


def test_first_plan_creates_everything_in_dag_order(tmp_path: Path) -> None:
    root = fresh_project(tmp_path / "p")
    _write(root)
    plan = _plan(root)
    names = [c.model for c in plan.changes]
    assert set(names) == {"stg_customers", "stg_merchant_categories", "stg_transactions", "t_cust", "t_spend", "v_top"}
    assert all(c.action == "create" and c.reason == "new model" for c in plan.changes)
    assert names.index("stg_customers") < names.index("t_cust") < names.index("t_spend") < names.index("v_top")


def test_no_op_after_apply(applied: Path) -> None:
    plan = _plan(applied)
    assert plan.is_empty
    assert plan.to_dict() == {"changes": [], "removed": [], "empty": True}


def test_adding_a_column_is_non_breaking(applied: Path) -> None:
    _write(applied, t_cust="SELECT customer_id, email, age FROM {{ ref('stg_customers') }}")
    plan = _plan(applied)
    change = next(c for c in plan.changes if c.model == "t_cust")
    assert (change.action, change.reason, change.category) == ("rebuild", "definition changed", "non-breaking")
    assert change.added_columns == ("age",) and change.removed_columns == ()


def test_changing_an_expression_is_breaking(applied: Path) -> None:
    _write(applied, t_cust="SELECT customer_id, UPPER(email) AS email FROM {{ ref('stg_customers') }}")
    change = next(c for c in _plan(applied).changes if c.model == "t_cust")
    assert (change.category, change.added_columns, change.removed_columns) == ("breaking", (), ())


def test_adding_a_column_and_changing_another_is_breaking(applied: Path) -> None:
    _write(applied, t_cust="SELECT customer_id, UPPER(email) AS email, age FROM {{ ref('stg_customers') }}")
    change = next(c for c in _plan(applied).changes if c.model == "t_cust")
    assert (change.category, change.added_columns) == ("breaking", ("age",))


def test_removing_a_column_is_breaking(applied: Path) -> None:
    _write(applied, t_cust="SELECT customer_id FROM {{ ref('stg_customers') }}")
    change = next(c for c in _plan(applied).changes if c.model == "t_cust")
    assert (change.category, change.removed_columns) == ("breaking", ("email",))


def test_upstream_table_change_rebuilds_downstream_tables_not_views(applied: Path) -> None:
    _write(applied, t_cust="SELECT customer_id, UPPER(email) AS email FROM {{ ref('stg_customers') }}")
    assert _actions(_plan(applied)) == {
        "t_cust": ("rebuild", "definition changed", "breaking"),
        "t_spend": ("rebuild", "upstream rebuilt: t_cust", ""),
    }


def test_removed_model_is_dropped(applied: Path) -> None:
    (applied / "specs/models/gold.yaml").write_text(models_file(model_yaml("t_cust", T_CUST)))
    plan = _plan(applied)
    assert plan.changes == ()
    assert sorted((r.model, r.materialization) for r in plan.removed) == [("t_spend", "table"), ("v_top", "view")]
    compiled = compile_project(applied)
    adapter = connect(compiled.project)
    try:
        report = apply_changes(compiled, adapter, plan)
        assert sorted(report.dropped) == ["t_spend", "v_top"]
        assert not adapter.table_exists("GOLD", "T_SPEND") and not adapter.table_exists("GOLD", "V_TOP")
        assert "t_spend" not in StateStore(adapter, "C360_META").models()
    finally:
        adapter.close()


def test_source_row_count_change_rebuilds_tables_reading_it(applied: Path) -> None:
    compiled = compile_project(applied)
    adapter = connect(compiled.project)
    try:
        adapter.execute(
            "INSERT INTO CUSTOMER_ANALYTICS.BRONZE.BRONZE_TRANSACTIONS (transaction_id, customer_id, "
            "transaction_date, transaction_amount, status) VALUES (99, 'CUST00000003', "
            "CAST('2024-05-09 10:00:00' AS TIMESTAMP), 42, 'approved')",
        )
        plan = plan_changes(compiled, adapter)
    finally:
        adapter.close()
    # t_spend reads BRONZE_TRANSACTIONS through the stg_transactions view; t_cust does not read it
    assert _actions(plan) == {"t_spend": ("rebuild", "source data changed", "")}


def test_recorded_source_fingerprint_change_rebuilds(applied: Path) -> None:
    compiled = compile_project(applied)
    adapter = connect(compiled.project)
    try:
        StateStore(adapter, "C360_META").record_source("CUSTOMER_ANALYTICS.BRONZE.BRONZE_CUSTOMERS", "load-2", 3)
        plan = plan_changes(compiled, adapter)
    finally:
        adapter.close()
    assert _actions(plan) == {
        "t_cust": ("rebuild", "source data changed", ""),
        "t_spend": ("rebuild", "upstream rebuilt: t_cust", ""),
    }


def test_full_refresh_rebuilds_selected_models(applied: Path) -> None:
    plan = _plan(applied, full_refresh=True, selectors=["t_cust+"])
    assert _actions(plan) == {
        "t_cust": ("rebuild", "full refresh requested", ""),
        "t_spend": ("rebuild", "full refresh requested", ""),
        "v_top": ("rebuild", "full refresh requested", ""),
    }


def test_selection_limits_the_plan_and_never_drops(applied: Path) -> None:
    _write(applied, t_cust="SELECT customer_id, UPPER(email) AS email FROM {{ ref('stg_customers') }}")
    (applied / "specs/models/extra.yaml").write_text(models_file(model_yaml("new_one", "SELECT 1 AS x")))
    assert _actions(_plan(applied, selectors=["new_one"])) == {"new_one": ("create", "new model", "")}
    assert set(_actions(_plan(applied, selectors=["+t_spend"]))) == {"t_cust", "t_spend"}


def test_missing_relation_is_recreated(applied: Path) -> None:
    adapter = DuckDBAdapter(applied / "warehouse/customer_analytics.duckdb", "CUSTOMER_ANALYTICS")
    try:
        adapter.execute("DROP TABLE CUSTOMER_ANALYTICS.GOLD.T_SPEND", native=True)
    finally:
        adapter.close()
    assert _actions(_plan(applied)) == {"t_spend": ("create", "missing in the warehouse", "")}
