"""execute on DuckDB: atomic apply, incremental kinds with values, unusable warehouse files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _support import fresh_project, load_bronze, model_yaml, models_file
from typer.testing import CliRunner

from c360_compiler.cli import app
from c360_compiler.errors import C360RuntimeError
from c360_compiler.execute.base import EngineAdapter
from c360_compiler.execute.connect import connect
from c360_compiler.pipeline import Compiled, apply_changes, compile_project, plan_changes

WAREHOUSE = "warehouse/customer_analytics.duckdb"


def _apply(root: Path, setup: Any = None) -> tuple[Compiled, Any]:
    """Compile, optionally run `setup(compiled, adapter)`, plan and apply; returns (compiled, report)."""
    compiled = compile_project(root)
    adapter = connect(compiled.project)
    try:
        if setup:
            setup(compiled, adapter)
        return compiled, apply_changes(compiled, adapter, plan_changes(compiled, adapter))
    finally:
        adapter.close()


def _rows(adapter: EngineAdapter, sql: str) -> list[tuple[Any, ...]]:
    return adapter.query(sql, native=True).rows


def _query(root: Path, sql: str) -> list[tuple[Any, ...]]:
    compiled = compile_project(root)
    adapter = connect(compiled.project)
    try:
        return _rows(adapter, sql)
    finally:
        adapter.close()


def _bronze(compiled: Compiled, adapter: EngineAdapter) -> None:
    load_bronze(compiled.project, adapter)


# --- atomic apply -------------------------------------------------------------------

GOLD = models_file(
    model_yaml("t_cust", "SELECT customer_id, email FROM {{ ref('stg_customers') }}"),
    model_yaml("t_count", "SELECT COUNT(*) AS n FROM {{ ref('t_cust') }}"),
)


def test_failed_apply_changes_nothing(tmp_path: Path) -> None:
    root = fresh_project(tmp_path / "p", {"gold.yaml": GOLD})
    _apply(root, _bronze)
    snapshot_sql = {
        "t_cust": "SELECT customer_id, email FROM GOLD.T_CUST ORDER BY 1",
        "t_count": "SELECT n FROM GOLD.T_COUNT",
        "state": "SELECT * FROM C360_META.MODEL_STATE ORDER BY model",
        "views": "SELECT table_name FROM information_schema.tables ORDER BY 1",
    }
    before = {k: _query(root, q) for k, q in snapshot_sql.items()}
    assert before["t_cust"][0] == ("CUST00000001", "alice.smith@example.com")

    # change t_cust (a table rebuilt first), then a new table downstream of it fails at runtime
    (root / "specs/models/gold.yaml").write_text(
        models_file(
            model_yaml("t_cust", "SELECT customer_id, UPPER(email) AS email FROM {{ ref('stg_customers') }}"),
            model_yaml("t_count", "SELECT COUNT(*) AS n FROM {{ ref('t_cust') }}"),
            model_yaml("t_bad", "SELECT customer_id, CAST('x' AS INTEGER) AS n FROM {{ ref('t_cust') }}"),
        )
    )
    with pytest.raises(C360RuntimeError) as failure:
        _apply(root)
    error = failure.value
    assert error.model == "t_bad"
    text = str(error)
    assert text.startswith("model t_bad: statement failed: ")
    assert "Conversion Error" in text
    assert "CREATE OR REPLACE TABLE CUSTOMER_ANALYTICS.GOLD.T_BAD" in text  # statement excerpt
    assert "CAST('x' AS INT" in text

    after = {k: _query(root, q) for k, q in snapshot_sql.items()}
    assert after == before
    log = _query(root, "SELECT model, action, status, error FROM C360_META.RUN_LOG WHERE status = 'failed'")
    assert len(log) == 1
    model, action, status, message = log[0]
    assert (model, action, status) == ("t_bad", "apply", "failed")
    assert "Conversion Error" in message


def test_failed_apply_through_the_cli_exits_1_without_traceback(tmp_path: Path) -> None:
    root = fresh_project(tmp_path / "p", {"gold.yaml": GOLD})
    _apply(root, _bronze)
    (root / "specs/models/gold.yaml").write_text(
        GOLD + model_yaml("t_bad", "SELECT CAST('x' AS INTEGER) AS n FROM {{ ref('t_cust') }}")
    )
    result = CliRunner().invoke(app, ["apply", "--project-dir", str(root)])
    assert result.exit_code == 1
    assert "model t_bad: statement failed" in result.output
    assert "Traceback" not in result.output
    assert _query(root, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'T_BAD'") == [(0,)]


# --- incremental kinds ------------------------------------------------------------------

INCREMENTAL = models_file(
    model_yaml(
        "txn_upsert",
        "SELECT transaction_id, customer_id, transaction_amount FROM {{ ref('stg_transactions') }}",
        kind="{name: incremental_by_unique_key, unique_key: transaction_id}",
    ),
    model_yaml(
        "txn_time",
        "SELECT transaction_id, transaction_date, transaction_amount FROM {{ ref('stg_transactions') }}",
        kind="{name: incremental_by_time, time_column: transaction_date, lookback_days: 1}",
    ),
)


def _insert_txn(adapter: EngineAdapter, txn_id: int, when: str, amount: float, customer: str = "CUST00000001") -> None:
    adapter.execute(
        "INSERT INTO CUSTOMER_ANALYTICS.BRONZE.BRONZE_TRANSACTIONS "
        "(transaction_id, customer_id, transaction_date, transaction_amount, status) "
        f"VALUES ({txn_id}, '{customer}', CAST('{when}' AS TIMESTAMP), {amount}, 'approved')",
        native=True,
    )


def test_incremental_kinds_upsert_and_append_with_lookback(tmp_path: Path) -> None:
    root = fresh_project(tmp_path / "p", {"inc.yaml": INCREMENTAL})
    _, first = _apply(root, _bronze)
    assert {r.model: (r.action, r.rows) for r in first.results if r.rows is not None} == {
        "txn_upsert": ("create", 3),
        "txn_time": ("create", 3),
    }
    before = _query(root, "SELECT transaction_id, transaction_amount FROM GOLD.TXN_TIME ORDER BY 1")
    assert [(i, float(a)) for i, a in before] == [(1, 120.5), (2, 480.0), (4, 35.0)]

    def arrive(compiled: Compiled, adapter: EngineAdapter) -> None:
        bronze = "CUSTOMER_ANALYTICS.BRONZE.BRONZE_TRANSACTIONS"
        adapter.execute(f"UPDATE {bronze} SET transaction_amount = 500 WHERE transaction_id = 2", native=True)
        adapter.execute(f"UPDATE {bronze} SET transaction_amount = 36 WHERE transaction_id = 4", native=True)
        _insert_txn(adapter, 6, "2024-05-05 09:00:00", 60)  # newer than everything
        _insert_txn(adapter, 7, "2024-05-03 20:00:00", 70)  # late, inside the 1-day lookback of 05-04 13:00
        _insert_txn(adapter, 8, "2024-05-01 12:00:00", 80)  # late, outside the lookback window

    _, second = _apply(root, arrive)
    assert {r.model: r.action for r in second.results} == {"txn_upsert": "incremental", "txn_time": "incremental"}

    upsert = _query(root, "SELECT transaction_id, transaction_amount FROM GOLD.TXN_UPSERT ORDER BY 1")
    assert [(i, float(a)) for i, a in upsert] == [(1, 120.5), (2, 500.0), (4, 36.0), (6, 60.0), (7, 70.0), (8, 80.0)]
    assert _query(root, "SELECT COUNT(*) - COUNT(DISTINCT transaction_id) FROM GOLD.TXN_UPSERT") == [(0,)]

    by_time = _query(root, "SELECT transaction_id, transaction_amount FROM GOLD.TXN_TIME ORDER BY 1")
    # 4 is re-processed (inside the window), 6 and 7 are appended, 2 keeps its old amount, 8 is too late
    assert [(i, float(a)) for i, a in by_time] == [(1, 120.5), (2, 480.0), (4, 36.0), (6, 60.0), (7, 70.0)]

    _, third = _apply(root)
    assert third.results == []  # nothing new: no-op


def test_full_refresh_rebuilds_incremental_tables_from_scratch(tmp_path: Path) -> None:
    root = fresh_project(tmp_path / "p", {"inc.yaml": INCREMENTAL})
    _apply(root, _bronze)
    compiled = compile_project(root)
    adapter = connect(compiled.project)
    try:
        _insert_txn(adapter, 8, "2024-05-01 12:00:00", 80)
        plan = plan_changes(compiled, adapter, ["txn_time"], full_refresh=True)
        assert [(c.model, c.action, c.mode) for c in plan.changes] == [("txn_time", "rebuild", "full")]
        apply_changes(compiled, adapter, plan)
        assert [r[0] for r in _rows(adapter, "SELECT transaction_id FROM GOLD.TXN_TIME ORDER BY 1")] == [1, 2, 4, 8]
    finally:
        adapter.close()


# --- unusable warehouse files -----------------------------------------------------------

HOLD_LOCK = (
    "import sys, time, duckdb\n"
    "conn = duckdb.connect(sys.argv[1])\n"
    "conn.execute('CREATE TABLE IF NOT EXISTS holder (i INTEGER)')\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def test_locked_warehouse_exits_1_with_a_clear_message(tmp_path: Path) -> None:
    root = fresh_project(tmp_path / "p")
    warehouse = root / WAREHOUSE
    warehouse.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(warehouse)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        for command in (["apply"], ["plan"]):
            result = CliRunner().invoke(app, [*command, "--project-dir", str(root)])
            assert result.exit_code == 1, result.output
            assert "is locked by another process" in result.output
            assert str(warehouse) in result.output
            assert "Traceback" not in result.output
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_warehouse_path_that_is_a_directory_exits_1(tmp_path: Path) -> None:
    root = fresh_project(tmp_path / "p")
    (root / WAREHOUSE).mkdir(parents=True)
    for command in (["apply"], ["plan"]):
        result = CliRunner().invoke(app, [*command, "--project-dir", str(root)])
        assert result.exit_code == 1, result.output
        assert "is a directory, expected a DuckDB file" in result.output
        assert "Traceback" not in result.output
