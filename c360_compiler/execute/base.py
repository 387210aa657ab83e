"""The engine adapter interface every warehouse implements.

Public methods normalise input and call a protected hook; engine differences are
class attributes (capability flags) or small overrides, never `if dialect == ...`.
Statements are handed over in Snowflake SQL (the authoring dialect) or as sqlglot
expressions and transpiled here, so callers never build engine-specific strings.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from c360_compiler.dialects import AUTHORING


@dataclass(frozen=True)
class QueryResult:
    """Rows of a query with lower-cased column names."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


class EngineAdapter(abc.ABC):
    """Shared behaviour of warehouse adapters."""

    dialect: ClassVar[str] = AUTHORING
    """sqlglot dialect name statements are transpiled to."""
    SUPPORTS_TRANSACTIONAL_DDL: ClassVar[bool] = False
    """True when CREATE/DROP roll back with the transaction (whole apply in one transaction)."""
    SUPPORTS_CLONE: ClassVar[bool] = False
    """True when `CREATE TABLE x CLONE y` is a cheap zero-copy copy."""
    SUPPORTS_PARALLEL_NODES: ClassVar[bool] = False
    """True when independent models may be built concurrently on separate sessions."""
    SUPPORTS_SWAP: ClassVar[bool] = False
    """True when `ALTER TABLE a SWAP WITH b` exchanges two tables atomically."""

    def __init__(self, database: str, read_only: bool = False):
        self.database = database
        self.read_only = read_only

    # --- SQL in the target dialect ---------------------------------------------

    def transpile(self, sql: str | exp.Expression) -> str:
        """Snowflake SQL (text or AST) -> this engine's SQL; unsupported constructs raise."""
        expression = sqlglot.parse_one(sql, dialect=AUTHORING) if isinstance(sql, str) else sql
        return expression.sql(dialect=self.dialect, unsupported_level=ErrorLevel.RAISE, pretty=True)

    def table(self, schema: str, name: str) -> str:
        """Fully qualified table name as both dialects read it."""
        return f"{self.database}.{schema}.{name}"

    # --- public operations ---------------------------------------------------------

    def execute(self, sql: str | exp.Expression, *, native: bool = False) -> None:
        """Run one statement; `native=True` means it is already in this engine's dialect."""
        text = sql if native and isinstance(sql, str) else self.transpile(sql)
        self._execute(text)

    def query(self, sql: str | exp.Expression, *, native: bool = False) -> QueryResult:
        """Run a query and fetch all rows."""
        text = sql if native and isinstance(sql, str) else self.transpile(sql)
        return self._query(text)

    def ensure_schema(self, schema: str) -> None:
        self._execute(f"CREATE SCHEMA IF NOT EXISTS {self.database}.{schema}")

    def table_exists(self, schema: str, name: str) -> bool:
        return self.relation_kind(schema, name) is not None

    def columns(self, schema: str, name: str) -> list[str]:
        """Lower-cased column names of an existing table or view."""
        result = self._query(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_schema = '{schema.upper()}' AND UPPER(table_name) = '{name.upper()}' "
            + self._catalog_filter()
            + " ORDER BY ordinal_position"
        )
        return [r[0].lower() for r in result.rows]

    def relation_kind(self, schema: str, name: str) -> str | None:
        """'table', 'view' or None."""
        result = self._query(
            "SELECT table_type FROM information_schema.tables "
            f"WHERE UPPER(table_schema) = '{schema.upper()}' AND UPPER(table_name) = '{name.upper()}' "
            + self._catalog_filter()
        )
        if not result.rows:
            return None
        return "view" if "VIEW" in str(result.rows[0][0]).upper() else "table"

    def row_count(self, schema: str, name: str) -> int:
        return int(self._query(f"SELECT COUNT(*) FROM {self.table(schema, name)}").scalar() or 0)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; rolled back on any exception."""
        self._execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self._execute("ROLLBACK")
            raise
        self._execute("COMMIT")

    def swap_in(self, schema: str, live: str, staged: str, kind: str) -> list[str]:
        """Statements that replace `live` with the `staged` relation built aside."""
        live_fqn, staged_fqn = self.table(schema, live), self.table(schema, staged)
        if kind == "table" and self.SUPPORTS_SWAP and self.table_exists(schema, live):
            return [f"ALTER TABLE {live_fqn} SWAP WITH {staged_fqn}", f"DROP TABLE IF EXISTS {staged_fqn}"]
        return self._rename_swap(schema, live, staged, kind)

    def _rename_swap(self, schema: str, live: str, staged: str, kind: str) -> list[str]:
        noun = "VIEW" if kind == "view" else "TABLE"
        live_fqn, staged_fqn = self.table(schema, live), self.table(schema, staged)
        statements = []
        current = self.relation_kind(schema, live)
        if current is not None:
            statements.append(f"DROP {'VIEW' if current == 'view' else 'TABLE'} IF EXISTS {live_fqn}")
        statements.append(f"ALTER {noun} {staged_fqn} RENAME TO {self._rename_target(schema, live)}")
        return statements

    def _rename_target(self, schema: str, name: str) -> str:
        return self.table(schema, name)

    def clone_statement(self, schema: str, source: str, target: str) -> str:
        """A statement copying table `source` to `target` (zero-copy where the engine can)."""
        if self.SUPPORTS_CLONE:
            return f"CREATE OR REPLACE TABLE {self.table(schema, target)} CLONE {self.table(schema, source)}"
        return f"CREATE OR REPLACE TABLE {self.table(schema, target)} AS SELECT * FROM {self.table(schema, source)}"

    @abc.abstractmethod
    def load_arrow(self, schema: str, name: str, data: Any) -> int:
        """Replace table `schema.name` with the rows of a pyarrow Table; returns rows loaded."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def describe(self) -> dict[str, Any]:
        return {"dialect": self.dialect, "database": self.database}

    # --- hooks -------------------------------------------------------------------

    def _catalog_filter(self) -> str:
        return f" AND UPPER(table_catalog) = '{self.database.upper()}'"

    @abc.abstractmethod
    def _execute(self, sql: str) -> None:
        """Run one native statement."""

    @abc.abstractmethod
    def _query(self, sql: str) -> QueryResult:
        """Run one native query and fetch all rows."""

    def session(self) -> EngineAdapter:
        """An adapter on a separate session for concurrent work (engines with parallel nodes)."""
        return self
