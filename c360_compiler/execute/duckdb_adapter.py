"""DuckDB adapter: the embedded default, one warehouse file attached as the database."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, ClassVar

import duckdb

from c360_compiler.errors import C360RuntimeError
from c360_compiler.execute.base import EngineAdapter, QueryResult


class DuckDBAdapter(EngineAdapter):
    """A DuckDB file attached under the project's database name (so 3-part names match Snowflake)."""

    dialect: ClassVar[str] = "duckdb"
    SUPPORTS_TRANSACTIONAL_DDL: ClassVar[bool] = True
    SUPPORTS_CLONE: ClassVar[bool] = False
    SUPPORTS_PARALLEL_NODES: ClassVar[bool] = False
    SUPPORTS_SWAP: ClassVar[bool] = False

    def __init__(
        self,
        path: Path,
        database: str,
        *,
        threads: int = 2,
        memory_limit: str | None = None,
        read_only: bool = False,
    ):
        super().__init__(database, read_only)
        self.path = path
        self.threads = threads
        self.memory_limit = memory_limit
        self.conn = self._connect()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if not self.read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise C360RuntimeError(
                    f"cannot create the warehouse folder {self.path.parent}", cause=str(exc)
                ) from exc
        elif not self.path.exists():
            raise C360RuntimeError(f"warehouse file {self.path} does not exist; run `c360 apply` first")
        if self.path.is_dir():
            raise C360RuntimeError(f"warehouse path {self.path} is a directory, expected a DuckDB file")
        # Spill next to the warehouse file, not in the current directory (the default for :memory:).
        config: dict[str, Any] = {"threads": self.threads, "temp_directory": f"{self.path}.tmp"}
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        conn = duckdb.connect(":memory:", config=config)
        mode = " (READ_ONLY)" if self.read_only else ""
        try:
            conn.execute(f"ATTACH '{_quote(str(self.path))}' AS {self.database}{mode}")
        except duckdb.Error as exc:
            conn.close()
            message = str(exc)
            if "lock" in message.lower():
                raise C360RuntimeError(
                    f"warehouse file {self.path} is locked by another process (close it and retry)",
                    cause=_first_line(message),
                ) from exc
            raise C360RuntimeError(f"cannot open warehouse file {self.path}", cause=_first_line(message)) from exc
        conn.execute(f"USE {self.database}")
        return conn

    def _execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def _query(self, sql: str) -> QueryResult:
        cursor = self.conn.execute(sql)
        columns = [d[0].lower() for d in cursor.description or []]
        return QueryResult(columns, cursor.fetchall())

    def load_arrow(self, schema: str, name: str, data: Any) -> int:
        view = f"c360_load_{uuid.uuid4().hex[:8]}"
        self.conn.register(view, data)
        try:
            self.conn.execute(f"CREATE OR REPLACE TABLE {self.table(schema, name)} AS SELECT * FROM {view}")
        finally:
            self.conn.unregister(view)
        return data.num_rows

    def _rename_target(self, schema: str, name: str) -> str:
        return name  # DuckDB's RENAME TO takes a bare name

    def close(self) -> None:
        self.conn.close()

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "path": str(self.path),
            "threads": self.threads,
            "memory_limit": self.memory_limit,
        }


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
