"""`c360 generate` on Snowflake, offline through fakesnow: Python-made tables go CSV -> stage -> COPY INTO,
transactions are generated in the engine from the same compiled spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from sf_support import (
    QUIET_FAKESNOW,
    normalise,
    rows_of,
    snowflake_project,
)

from c360_compiler.execute.connect import connect
from c360_compiler.generate.run import generate
from c360_compiler.load.project import load_project

pytestmark = [QUIET_FAKESNOW, pytest.mark.usefixtures("sf_env", "fake_snowflake")]

PYTHON_MADE = ("BRONZE_CUSTOMERS", "BRONZE_CUSTOMER_UPDATES", "BRONZE_MERCHANT_CATEGORIES")


def _ordered(adapter, table: str) -> list[tuple]:
    return sorted(tuple(normalise(v) for v in row) for row in rows_of(adapter, "BRONZE", table))


def test_generate_tiny_on_snowflake_matches_duckdb_where_python_makes_the_rows(tmp_path: Path) -> None:
    root = snowflake_project(tmp_path / "proj", extra=False)
    project = load_project(root)
    sf = connect(project, "snowflake")
    local = connect(project, "local")
    try:
        sf_report = generate(project, sf, "tiny")
        local_report = generate(project, local, "tiny")
        sf_rows = {t.name: t.rows for t in sf_report.tables}
        assert sf_rows == {t.name: t.rows for t in local_report.tables}
        assert sf_rows["BRONZE_TRANSACTIONS"] > 0
        for table in PYTHON_MADE:  # made in numpy from the seed: identical on both engines
            assert _ordered(sf, table) == _ordered(local, table), table
        # Transactions come from engine HASH(), which differs between engines; the shape must not.
        query = (
            "SELECT COUNT(*), COUNT(DISTINCT customer_id), MIN(transaction_amount) > 0, "
            "SUM(CASE WHEN status IN ('approved', 'declined') THEN 1 ELSE 0 END) "
            "FROM CUSTOMER_ANALYTICS.BRONZE.BRONZE_TRANSACTIONS"
        )
        n, customers, positive, valid_status = sf.query(query).rows[0]
        assert n == sf_rows["BRONZE_TRANSACTIONS"] == valid_status
        assert positive and customers == local.query(query).rows[0][1]
        # idempotent: a second run replaces the tables
        generate(project, sf, "tiny")
        assert sf.row_count("BRONZE", "BRONZE_TRANSACTIONS") == n
    finally:
        sf.close()
        local.close()
