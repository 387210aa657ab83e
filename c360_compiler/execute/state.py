"""State kept in the warehouse's meta schema: what was applied, run logs, source loads.

Tables (all in the project's meta schema):
- MODEL_STATE: one row per applied model (hashes, columns, query, row count, run id).
- RUN_LOG: one row per model per run (status, rows, seconds, error).
- SOURCE_STATE: one row per loaded source table (fingerprint of its data).
Later stages add their own tables here (test results, model versions).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from c360_compiler.execute.base import EngineAdapter
from c360_compiler.sql_values import insert_rows

TABLES: dict[str, dict[str, str]] = {
    "MODEL_STATE": {
        "model": "VARCHAR",
        "kind": "VARCHAR",
        "materialization": "VARCHAR",
        "schema_name": "VARCHAR",
        "spec_hash": "VARCHAR",
        "sql_hash": "VARCHAR",
        "query_sql": "VARCHAR",
        "columns": "VARCHAR",
        "input_fingerprint": "VARCHAR",
        "applied_at": "TIMESTAMP",
        "row_count": "BIGINT",
        "run_id": "VARCHAR",
    },
    "RUN_LOG": {
        "run_id": "VARCHAR",
        "model": "VARCHAR",
        "action": "VARCHAR",
        "status": "VARCHAR",
        "rows": "BIGINT",
        "seconds": "DOUBLE",
        "error": "VARCHAR",
        "started_at": "TIMESTAMP",
    },
    "SOURCE_STATE": {
        "source_table": "VARCHAR",
        "fingerprint": "VARCHAR",
        "rows": "BIGINT",
        "loaded_at": "TIMESTAMP",
    },
}


@dataclass(frozen=True)
class ModelState:
    model: str
    kind: str
    materialization: str
    schema_name: str
    spec_hash: str
    sql_hash: str
    query_sql: str
    columns: list[str]
    input_fingerprint: str
    applied_at: Any
    row_count: int | None
    run_id: str


@dataclass(frozen=True)
class RunLogEntry:
    run_id: str
    model: str
    action: str
    status: str
    rows: int | None
    seconds: float
    error: str
    started_at: dt.datetime


class StateStore:
    """Reads and writes the meta schema through an adapter."""

    def __init__(self, adapter: EngineAdapter, meta_schema: str):
        self.adapter = adapter
        self.schema = meta_schema

    def table(self, name: str) -> str:
        return self.adapter.table(self.schema, name)

    def ensure(self) -> None:
        """Create the meta schema and its tables if missing."""
        self.adapter.ensure_schema(self.schema)
        for name, columns in TABLES.items():
            cols = ", ".join(f"{c} {t}" for c, t in columns.items())
            self.adapter.execute(f"CREATE TABLE IF NOT EXISTS {self.table(name)} ({cols})")

    def exists(self) -> bool:
        return self.adapter.table_exists(self.schema, "MODEL_STATE")

    def models(self) -> dict[str, ModelState]:
        if not self.exists():
            return {}
        result = self.adapter.query(f"SELECT {', '.join(TABLES['MODEL_STATE'])} FROM {self.table('MODEL_STATE')}")
        out = {}
        for record in result.records():
            record["columns"] = json.loads(record["columns"] or "[]")
            out[record["model"]] = ModelState(**record)
        return out

    def sources(self) -> dict[str, str]:
        """Fingerprint per source table FQN recorded by loaders."""
        if not self.adapter.table_exists(self.schema, "SOURCE_STATE"):
            return {}
        result = self.adapter.query(f"SELECT source_table, fingerprint FROM {self.table('SOURCE_STATE')}")
        return {r[0]: r[1] for r in result.rows}

    def record_source(self, source_fqn: str, fingerprint: str, rows: int) -> None:
        self.ensure()
        self.adapter.execute(exp.delete(self.table("SOURCE_STATE"), where=_eq("source_table", source_fqn)))
        self._insert(
            "SOURCE_STATE",
            {"source_table": source_fqn, "fingerprint": fingerprint, "rows": rows, "loaded_at": utc_now()},
        )

    def record_model(self, state: ModelState) -> None:
        self.adapter.execute(exp.delete(self.table("MODEL_STATE"), where=_eq("model", state.model)))
        values = dict(state.__dict__)
        values["columns"] = json.dumps(state.columns)
        self._insert("MODEL_STATE", values)

    def forget_model(self, model: str) -> None:
        self.adapter.execute(exp.delete(self.table("MODEL_STATE"), where=_eq("model", model)))

    def log(self, entry: RunLogEntry) -> None:
        self._insert("RUN_LOG", dict(entry.__dict__))

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        if not self.adapter.table_exists(self.schema, "RUN_LOG"):
            return []
        query = (
            exp.select(*TABLES["RUN_LOG"])
            .from_(self.table("RUN_LOG"))
            .order_by("started_at DESC", "model")
            .limit(limit)
        )
        return self.adapter.query(query).records()

    def _insert(self, table: str, values: dict[str, Any]) -> None:
        self.adapter.execute(insert_rows(self.table(table), list(TABLES[table]), [values]))


def _eq(column: str, value: str) -> exp.Expression:
    return exp.column(column).eq(exp.Literal.string(value))


def utc_now() -> dt.datetime:
    """Now in UTC, naive and to the second: how every meta-schema timestamp is stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
