"""Shared test helpers: a temp copy of the project and a small bronze fixture loader.

Import as `from c360_testkit import ...` (tests/ is on sys.path once tests/conftest.py loads).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlglot import exp

from c360_compiler.execute.base import EngineAdapter
from c360_compiler.load.project import Project
from c360_compiler.sql_values import insert_rows

REPO = Path(__file__).resolve().parent.parent


def copy_project(dest: Path) -> Path:
    """A copy of the repo's specs and templates under `dest` (a project root)."""
    shutil.copytree(REPO / "specs", dest / "specs")
    shutil.copytree(REPO / "templates", dest / "templates")
    return dest


def bronze_rows() -> dict[str, list[dict[str, Any]]]:
    """A handful of hand-written bronze rows that exercise the silver cleaning rules."""
    d = dt.date
    ts = dt.datetime
    customers = [
        dict(
            customer_id="CUST00000001",
            first_name=" alice ",
            last_name="SMITH",
            email=" Alice.Smith@Example.COM ",
            age=34,
            state="ca",
            city="San Diego",
            employment_status="Full-Time",
            card_type="Premium",
            credit_limit=25000,
            account_open_date=d(2023, 1, 15),
            customer_segment="High-Value Travelers",
            decline_type=None,
            ingested_at=ts(2024, 6, 1),
        ),
        dict(
            customer_id="CUST00000002",
            first_name="bob",
            last_name="jones",
            email="bob@example.com",
            age=52,
            state="TX",
            city="Austin",
            employment_status="Part-Time",
            card_type="Standard",
            credit_limit=8000,
            account_open_date=d(2022, 7, 1),
            customer_segment="Declining",
            decline_type="job_loss",
            ingested_at=ts(2024, 6, 1),
        ),
        dict(
            customer_id="CUST00000003",
            first_name="Carol",
            last_name="Diaz",
            email="carol@example.com",
            age=27,
            state="NY",
            city="Buffalo",
            employment_status="Full-Time",
            card_type="Standard",
            credit_limit=5000,
            account_open_date=d(2024, 3, 1),
            customer_segment="New & Growing",
            decline_type="",
            ingested_at=ts(2024, 6, 1),
        ),
    ]
    updates = [
        dict(
            update_id=1,
            customer_id="CUST00000003",
            change_type="card_upgrade",
            effective_at=ts(2024, 5, 1, 9),
            card_type="Premium",
            credit_limit=5000,
            state="NY",
            city="Buffalo",
            employment_status="Full-Time",
        ),
    ]
    categories = [
        dict(
            category_id=1,
            category_name=" Grocery",
            category_group="Necessities",
            is_discretionary=False,
            is_travel=False,
        ),
        dict(category_id=2, category_name="Airlines", category_group="Leisure", is_discretionary=True, is_travel=True),
        dict(category_id=3, category_name="Dining", category_group="Leisure", is_discretionary=None, is_travel=False),
    ]
    transactions = [
        dict(
            transaction_id=1,
            customer_id="CUST00000001",
            transaction_date=ts(2024, 5, 1, 10),
            transaction_amount=120.5,
            merchant_name="FreshMart",
            merchant_category_id=1,
            channel="In-Store",
            status="APPROVED",
        ),
        dict(
            transaction_id=2,
            customer_id="CUST00000001",
            transaction_date=ts(2024, 5, 2, 11),
            transaction_amount=480,
            merchant_name="SkyJet",
            merchant_category_id=2,
            channel="Online",
            status="approved",
        ),
        dict(
            transaction_id=3,
            customer_id="CUST00000002",
            transaction_date=ts(2024, 5, 3, 12),
            transaction_amount=-5,
            merchant_name="Bad Amount",
            merchant_category_id=3,
            channel="Mobile",
            status="approved",
        ),
        dict(
            transaction_id=4,
            customer_id="CUST00000002",
            transaction_date=ts(2024, 5, 4, 13),
            transaction_amount=35,
            merchant_name=" ",
            merchant_category_id=3,
            channel=None,
            status="declined",
        ),
        dict(
            transaction_id=5,
            customer_id="CUST00000003",
            transaction_date=None,
            transaction_amount=10,
            merchant_name="No Date",
            merchant_category_id=1,
            channel="Online",
            status="approved",
        ),
    ]
    return {
        "BRONZE_CUSTOMERS": customers,
        "BRONZE_CUSTOMER_UPDATES": updates,
        "BRONZE_MERCHANT_CATEGORIES": categories,
        "BRONZE_TRANSACTIONS": transactions,
    }


def load_bronze(project: Project, adapter: EngineAdapter, rows: dict[str, list[dict[str, Any]]] | None = None) -> None:
    """Create every declared source table (types from specs/sources.yaml) and insert fixture rows."""
    rows = bronze_rows() if rows is None else rows
    for source in project.sources:
        schema = project.schema_of_layer(source.spec.layer)
        adapter.ensure_schema(schema)
        for table in source.spec.tables:
            fqn = adapter.table(schema, table.name)
            columns = [
                exp.ColumnDef(this=exp.to_identifier(c.name), kind=exp.DataType.build(c.type, dialect="snowflake"))
                for c in table.columns
            ]
            adapter.execute(
                exp.Create(this=exp.Schema(this=exp.to_table(fqn), expressions=columns), kind="TABLE", replace=True)
            )
            data = rows.get(table.name, [])
            if data:
                adapter.execute(insert_rows(fqn, [c.name for c in table.columns], data))


def arrow_of(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows)
