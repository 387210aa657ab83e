"""The whole project end to end on the snowflake target (fakesnow), checked against the DuckDB target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sf_support import (
    QUIET_FAKESNOW,
    SILVER_VIEWS,
    apply_all,
    build,
    edit,
    load_bronze,
    rows_of,
    snowflake_project,
    staged_leftovers,
)
from typer.testing import CliRunner

from c360_compiler.cli import app
from c360_compiler.execute.connect import connect
from c360_compiler.execute.snowflake_adapter import SnowflakeAdapter
from c360_compiler.pipeline import compile_project, plan_changes

pytestmark = [pytest.mark.usefixtures("sf_env", "fake_snowflake"), QUIET_FAKESNOW]

GOLD_TABLES = ("customer_spend", "category_names", "big_spenders")


def test_whole_project_matches_duckdb_and_records_state(tmp_path: Path) -> None:
    """Every model of the repo project (plus three gold tables) on both targets: same columns, same rows."""
    root = snowflake_project(tmp_path / "proj", all_models=True)
    compiled, duck = build(root, "local")
    _, snow = build(root, "snowflake", compiled)
    try:
        assert isinstance(snow, SnowflakeAdapter)
        models = compiled.analysis.models
        assert set(SILVER_VIEWS) | set(GOLD_TABLES) <= set(models)
        for name, model in models.items():
            rel = model.relation
            assert snow.relation_kind(rel.schema, rel.name) == model.kind.materialization, name
            assert snow.columns(rel.schema, rel.name) == duck.columns(rel.schema, rel.name), name
            assert rows_of(snow, rel.schema, rel.name) == rows_of(duck, rel.schema, rel.name), name
        assert rows_of(snow, "GOLD", "customer_spend") == [("CUST00000001", 600.5, 2), ("CUST00000002", 35.0, 1)]

        meta = compiled.project.spec.meta_schema
        state = snow.query(f"SELECT model, materialization FROM {snow.table(meta, 'MODEL_STATE')}")
        assert sorted(state.rows) == sorted((n, m.kind.materialization) for n, m in models.items())
        counts = dict(snow.query(f"SELECT model, row_count FROM {snow.table(meta, 'MODEL_STATE')}").rows)
        assert counts["customer_spend"] == 2 and counts["stg_customers"] is None
        runs = snow.query(f"SELECT model, action, status FROM {snow.table(meta, 'RUN_LOG')}")
        assert sorted(runs.rows) == sorted((n, "create", "success") for n in models)
        assert staged_leftovers(snow) == []

        assert plan_changes(compiled, snow).is_empty, "a second apply must be a no-op"
        assert apply_all(compiled, snow) == []
    finally:
        snow.close()
        duck.close()


def test_changed_table_rebuilds_it_and_downstream(tmp_path: Path) -> None:
    root = snowflake_project(tmp_path / "proj")
    _, snow = build(root, "snowflake")
    try:
        before_categories = rows_of(snow, "GOLD", "category_names")
        assert rows_of(snow, "GOLD", "big_spenders") == [("CUST00000001", 600.5)]
        edit(
            root / "specs" / "models" / "extra.yaml",
            "SUM(transaction_amount) AS total_spend",
            "MAX(transaction_amount) AS total_spend",
        )
        compiled = compile_project(root)
        plan = plan_changes(compiled, snow)
        assert {(c.model, c.action) for c in plan.changes} == {
            ("customer_spend", "rebuild"),
            ("big_spenders", "rebuild"),
        }
        assert dict(apply_all(compiled, snow)) == {"customer_spend": "rebuild", "big_spenders": "rebuild"}

        assert rows_of(snow, "GOLD", "customer_spend") == [("CUST00000001", 480.0, 2), ("CUST00000002", 35.0, 1)]
        assert rows_of(snow, "GOLD", "big_spenders") == [("CUST00000001", 480.0)]
        assert rows_of(snow, "GOLD", "category_names") == before_categories
        assert staged_leftovers(snow) == []
        assert plan_changes(compiled, snow).is_empty
    finally:
        snow.close()


def test_changed_view_rebuilds_downstream_tables(tmp_path: Path) -> None:
    root = snowflake_project(tmp_path / "proj")
    _, snow = build(root, "snowflake")
    try:
        edit(root / "specs" / "models" / "silver.yaml", "AND transaction_amount > 0", "AND transaction_amount > 200")
        compiled = compile_project(root)
        applied = dict(apply_all(compiled, snow))
        ids = snow.query(f"SELECT transaction_id FROM {snow.table('SILVER', 'stg_transactions')} ORDER BY 1")
        assert [int(r[0]) for r in ids.rows] == [2]
        assert set(applied) == {"stg_transactions", "customer_spend", "big_spenders"}
        assert rows_of(snow, "GOLD", "customer_spend") == [("CUST00000001", 480.0, 1)]
    finally:
        snow.close()


def test_cli_apply_and_plan_on_snowflake_target(tmp_path: Path) -> None:
    root = snowflake_project(tmp_path / "proj")
    compiled = compile_project(root)
    adapter = connect(compiled.project, "snowflake")
    load_bronze(compiled.project, adapter)
    adapter.close()

    runner = CliRunner()
    applied = runner.invoke(app, ["apply", "--project-dir", str(root), "--target", "snowflake", "--json"])
    assert applied.exit_code == 0, applied.output
    payload = json.loads(applied.stdout)
    assert payload["ok"] and payload["changed"] == len(compiled.analysis.models) == 6

    planned = runner.invoke(app, ["plan", "--project-dir", str(root), "--target", "snowflake", "--json"])
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout)["changes"] == []

    again = runner.invoke(app, ["apply", "--project-dir", str(root), "--target", "snowflake", "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout) == {"ok": True, "changed": 0, "models": []}
