"""Build-aside atomicity and the two swap strategies on Snowflake (through fakesnow)."""

from __future__ import annotations

from pathlib import Path

import pytest
import snowflake.connector.errors  # noqa: TID253 - tests may import the driver; the package may not
from sf_support import (
    DATABASE,
    QUIET_FAKESNOW,
    apply_all,
    build,
    edit,
    rows_of,
    snowflake_project,
    staged_leftovers,
)

from c360_compiler.errors import C360RuntimeError
from c360_compiler.execute.connect import connect
from c360_compiler.execute.snowflake_adapter import SnowflakeAdapter
from c360_compiler.pipeline import Compiled, apply_changes, compile_project, plan_changes

pytestmark = [pytest.mark.usefixtures("sf_env", "fake_snowflake"), QUIET_FAKESNOW]


def _snapshot(compiled: Compiled, adapter: SnowflakeAdapter) -> dict[str, object]:
    """Rows of every model relation plus the recorded model state."""
    out: dict[str, object] = {
        name: rows_of(adapter, m.relation.schema, m.relation.name) for name, m in compiled.analysis.models.items()
    }
    meta = compiled.project.spec.meta_schema
    out["MODEL_STATE"] = sorted(
        adapter.query(f"SELECT model, sql_hash, run_id FROM {adapter.table(meta, 'MODEL_STATE')}").rows
    )
    return out


def test_failed_apply_leaves_every_relation_unchanged(tmp_path: Path) -> None:
    root = snowflake_project(tmp_path / "proj")
    compiled, snow = build(root, "snowflake")
    assert isinstance(snow, SnowflakeAdapter)
    try:
        before = _snapshot(compiled, snow)
        models = root / "specs" / "models"
        # A view, an independent table that builds fine, and a table whose query fails at run time
        # (fakesnow returns inf for 1/0 instead of failing, so the failure is a bad cast).
        edit(models / "silver.yaml", "AND transaction_amount > 0", "AND transaction_amount > 200")
        edit(models / "extra.yaml", "UPPER(category_name)", "LOWER(category_name)")
        edit(
            models / "extra.yaml",
            "COUNT(*) AS transaction_count",
            "SUM(CAST(customer_id AS INTEGER)) AS transaction_count",
        )
        changed = compile_project(root)
        plan = plan_changes(changed, snow)
        assert {c.model for c in plan.changes} >= {"stg_transactions", "category_names", "customer_spend"}

        with pytest.raises(C360RuntimeError) as failure:
            apply_changes(changed, snow, plan)
        assert failure.value.model == "customer_spend"
        message = str(failure.value)
        assert "CUSTOMER_SPEND__C360_NEXT" in message and "convert" in message.lower()  # built aside, cast failed

        assert _snapshot(compiled, snow) == before, "a failed apply must leave every relation as it was"
        assert staged_leftovers(snow) == []
        meta = compiled.project.spec.meta_schema
        failed = snow.query(f"SELECT model, status FROM {snow.table(meta, 'RUN_LOG')} WHERE status = 'failed'")
        assert failed.rows == [("customer_spend", "failed")]
    finally:
        snow.close()


def test_swap_with_is_emitted_by_default_and_fakesnow_rejects_it(tmp_path: Path) -> None:
    """Documents a fakesnow gap: `ALTER TABLE ... SWAP WITH` is Snowflake's atomic exchange; fakesnow 0.12.1
    cannot parse it ("Parser Error: syntax error at or near SWAP"), so end-to-end tests use swap_strategy=rename.
    """
    root = snowflake_project(tmp_path / "proj", swap_strategy="swap_with", extra=False)
    adapter = connect(compile_project(root).project, "snowflake")
    assert isinstance(adapter, SnowflakeAdapter) and adapter.swap_strategy == "swap_with"
    try:
        adapter.ensure_schema("GOLD")
        live, staged = adapter.table("GOLD", "T"), adapter.table("GOLD", "T__C360_NEXT")
        # No live table yet: swap falls back to rename, with the fully qualified target Snowflake needs.
        assert adapter.swap_in("GOLD", "T", "T__C360_NEXT", "table") == [
            f"ALTER TABLE {staged} RENAME TO {live}",
        ]
        adapter.execute(f"CREATE TABLE {live} (v INTEGER)")
        adapter.execute(f"CREATE TABLE {staged} (v INTEGER)")
        statements = adapter.swap_in("GOLD", "T", "T__C360_NEXT", "table")
        assert statements == [
            f"ALTER TABLE {DATABASE}.GOLD.T SWAP WITH {DATABASE}.GOLD.T__C360_NEXT",
            f"DROP TABLE IF EXISTS {DATABASE}.GOLD.T__C360_NEXT",
        ]
        with pytest.raises(snowflake.connector.errors.ProgrammingError, match=r'syntax error at or near "SWAP"'):
            adapter.execute(statements[0], native=True)
        # Views never swap: drop the live view, rename the staged one.
        adapter.execute(f"CREATE VIEW {adapter.table('GOLD', 'V')} AS SELECT 1 AS v")
        adapter.execute(f"CREATE VIEW {adapter.table('GOLD', 'V__C360_NEXT')} AS SELECT 2 AS v")
        assert adapter.swap_in("GOLD", "V", "V__C360_NEXT", "view") == [
            f"DROP VIEW IF EXISTS {DATABASE}.GOLD.V",
            f"ALTER VIEW {DATABASE}.GOLD.V__C360_NEXT RENAME TO {DATABASE}.GOLD.V",
        ]
    finally:
        adapter.close()


def test_rename_strategy_replaces_the_live_table(tmp_path: Path) -> None:
    root = snowflake_project(tmp_path / "proj", swap_strategy="rename", extra=False)
    adapter = connect(compile_project(root).project, "snowflake")
    assert isinstance(adapter, SnowflakeAdapter)
    try:
        adapter.ensure_schema("GOLD")
        adapter.execute(f"CREATE TABLE {adapter.table('GOLD', 'T')} AS SELECT 1 AS v")
        adapter.execute(f"CREATE TABLE {adapter.table('GOLD', 'T__C360_NEXT')} AS SELECT 2 AS v")
        statements = adapter.swap_in("GOLD", "T", "T__C360_NEXT", "table")
        assert statements == [
            f"DROP TABLE IF EXISTS {DATABASE}.GOLD.T",
            f"ALTER TABLE {DATABASE}.GOLD.T__C360_NEXT RENAME TO {DATABASE}.GOLD.T",
        ]
        for statement in statements:
            adapter.execute(statement, native=True)
        assert rows_of(adapter, "GOLD", "T") == [(2,)]
        assert adapter.relation_kind("GOLD", "T__C360_NEXT") is None
    finally:
        adapter.close()


def test_swap_with_strategy_first_apply_renames_then_rebuild_hits_the_fakesnow_gap(tmp_path: Path) -> None:
    """Under the default strategy the first apply works (nothing live to swap with); a rebuild emits SWAP WITH,
    which fakesnow cannot run. On real Snowflake this is the atomic path."""
    root = snowflake_project(tmp_path / "proj", swap_strategy="swap_with")
    compiled, snow = build(root, "snowflake")
    try:
        assert rows_of(snow, "GOLD", "customer_spend") == [("CUST00000001", 600.5, 2), ("CUST00000002", 35.0, 1)]
        edit(root / "specs" / "models" / "extra.yaml", "UPPER(category_name)", "LOWER(category_name)")
        with pytest.raises(C360RuntimeError, match=r'category_names.*syntax error at or near "SWAP"'):
            apply_all(compile_project(root), snow)
    finally:
        snow.close()


def test_failed_publish_leaves_no_staged_objects(tmp_path: Path) -> None:
    root = snowflake_project(tmp_path / "proj", swap_strategy="swap_with")
    _, snow = build(root, "snowflake")
    try:
        edit(root / "specs" / "models" / "extra.yaml", "UPPER(category_name)", "LOWER(category_name)")
        with pytest.raises(C360RuntimeError):
            apply_all(compile_project(root), snow)  # SWAP WITH fails in fakesnow: a publish-time failure
        assert staged_leftovers(snow) == []
    finally:
        snow.close()
