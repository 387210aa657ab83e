"""Snowflake adapter on snowflake-connector-python (imported lazily; ruff bans it at module level).

Credentials come from a section of `connections.toml` (under `$SNOWFLAKE_HOME`, else
`~/.snowflake/`, else the connector's platform default) or from `{env_prefix}*`
environment variables; never from the repo. DDL autocommits in Snowflake, so apply
builds aside and swaps in (`SWAP WITH` or drop + rename, per the target's
`swap_strategy`). Data loads go Arrow -> gzipped CSV -> temporary stage -> COPY INTO.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from sqlglot import exp

from c360_compiler.errors import C360RuntimeError
from c360_compiler.execute.base import EngineAdapter, QueryResult
from c360_compiler.sql_values import literal

if TYPE_CHECKING:
    import pyarrow as pa

    from c360_compiler.load.specs import SnowflakeTarget

SwapStrategy = Literal["swap_with", "rename"]
LoadMethod = Literal["copy", "insert"]

REQUIRED_ENV: tuple[str, ...] = ("ACCOUNT", "USER", "ROLE", "WAREHOUSE")
"""Variables (after the target's env_prefix) every env-based login needs."""
AUTH_ENV: tuple[str, ...] = ("PASSWORD", "AUTHENTICATOR", "PRIVATE_KEY_FILE")
"""At least one of these authenticates the user."""
OPTIONAL_ENV: tuple[str, ...] = (*AUTH_ENV, "PRIVATE_KEY_FILE_PWD")
PUBLIC_KEYS: tuple[str, ...] = ("account", "user", "role", "warehouse", "authenticator")
"""Connection parameters `describe()` may show; everything else (password, keys, tokens) stays private."""
LOAD_STAGE = "C360_LOAD"
"""Temporary stage (one per session and schema) that data files are PUT into."""
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
"""Names Snowflake would accept unquoted (and upper-case)."""
CSV_FILE_FORMAT = "FILE_FORMAT=(TYPE=CSV SKIP_HEADER=1 FIELD_OPTIONALLY_ENCLOSED_BY='\"' NULL_IF=(''))"


@dataclass(frozen=True)
class Credentials:
    """Connector keyword arguments and where they came from (for messages; never printed whole)."""

    params: Mapping[str, Any] = field(repr=False)
    source: str

    def public(self) -> dict[str, Any]:
        """The non-secret identity fields, for `describe()`."""
        return {k: self.params[k] for k in PUBLIC_KEYS if self.params.get(k)}


def connections_file() -> Path:
    """Where the connector looks for connections.toml (SNOWFLAKE_HOME, ~/.snowflake, platform default)."""
    home = os.environ.get("SNOWFLAKE_HOME")
    candidate = Path(home or "~/.snowflake").expanduser()
    if candidate.is_dir():
        return candidate / "connections.toml"
    from snowflake.connector.constants import CONNECTIONS_FILE

    return Path(CONNECTIONS_FILE)


def resolve_credentials(connection_name: str | None, env_prefix: str) -> Credentials:
    """Credentials from the named connections.toml section, else from environment variables."""
    tried = []
    if connection_name:
        path = connections_file()
        section = _toml_section(path, connection_name)
        if section is not None:
            return Credentials(section, f"{path} [{connection_name}]")
        tried.append(f"connection '{connection_name}' not found in {path}")
    env = {key: os.environ.get(env_prefix + key, "") for key in (*REQUIRED_ENV, *OPTIONAL_ENV)}
    missing = [env_prefix + key for key in REQUIRED_ENV if not env[key]]
    if not any(env[key] for key in AUTH_ENV):
        missing.append(env_prefix + "PASSWORD (or " + " / ".join(env_prefix + k for k in AUTH_ENV[1:]) + ")")
    if missing:
        tried.append("environment variable(s) " + ", ".join(missing) + " not set")
        raise C360RuntimeError("no Snowflake credentials: " + "; ".join(tried))
    params = {key.lower(): value for key, value in env.items() if value}
    return Credentials(params, f"environment ({env_prefix}*)")


def _toml_section(path: Path, name: str) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise C360RuntimeError(f"cannot read Snowflake connections file {path}", cause=_first_line(str(exc))) from exc
    section = data.get(name)
    return dict(section) if isinstance(section, dict) else None


class SnowflakeAdapter(EngineAdapter):
    """One Snowflake session; `session()` hands each worker thread its own connection.

    SUPPORTS_SWAP says the engine can `SWAP WITH`; the target's `swap_strategy` decides whether `swap_in` uses it.
    """

    dialect: ClassVar[str] = "snowflake"
    SUPPORTS_TRANSACTIONAL_DDL: ClassVar[bool] = False
    SUPPORTS_CLONE: ClassVar[bool] = True
    SUPPORTS_PARALLEL_NODES: ClassVar[bool] = True
    SUPPORTS_SWAP: ClassVar[bool] = True
    INSERT_BATCH_ROWS: ClassVar[int] = 1000
    """Rows per INSERT statement on the `insert` load path (Snowflake caps VALUES at 16,384)."""

    def __init__(
        self,
        database: str,
        credentials: Credentials,
        *,
        threads: int = 4,
        swap_strategy: SwapStrategy = "swap_with",
        load_method: LoadMethod = "copy",
        read_only: bool = False,
    ):
        super().__init__(database, read_only)
        self.credentials = credentials
        self.threads = threads
        self.swap_strategy = swap_strategy
        """`swap_with`: ALTER TABLE ... SWAP WITH; `rename`: drop the live table, rename the staged one."""
        self.load_method = load_method
        """`copy`: CSV -> stage -> COPY INTO (fast); `insert`: batched INSERT ... VALUES (no stage needed)."""
        self._owner = threading.get_ident()
        self._sessions: dict[int, SnowflakeAdapter] = {}
        self._lock = threading.Lock()
        self.conn = self._connect()

    @classmethod
    def from_target(cls, target: SnowflakeTarget, database: str, read_only: bool = False) -> SnowflakeAdapter:
        """An adapter for a `snowflake` target of specs/project.yaml."""
        credentials = resolve_credentials(target.connection_name, target.env_prefix)
        return cls(
            database,
            credentials,
            threads=target.threads,
            swap_strategy=target.swap_strategy,
            read_only=read_only,
        )

    def _connect(self) -> Any:
        import snowflake.connector

        params = {**self.credentials.params, "database": self.database}
        params.pop("schema", None)
        params.setdefault("session_parameters", {"QUERY_TAG": "c360"})
        try:
            return snowflake.connector.connect(**params)
        except Exception as exc:  # noqa: BLE001 - any driver failure becomes a one-line runtime error
            account = self.credentials.params.get("account", "?")
            raise C360RuntimeError(
                f"cannot connect to Snowflake account '{account}' (credentials from {self.credentials.source})",
                cause=_first_line(str(exc)) or type(exc).__name__,
            ) from exc

    # --- hooks -----------------------------------------------------------------

    def _execute(self, sql: str) -> None:
        if self.read_only:
            raise C360RuntimeError("the Snowflake target is open read-only", statement=sql)
        with self.conn.cursor() as cursor:
            cursor.execute(sql)

    def _query(self, sql: str) -> QueryResult:
        with self.conn.cursor() as cursor:
            cursor.execute(sql)
            columns = [d[0].lower() for d in cursor.description or []]
            return QueryResult(columns, [tuple(r) for r in cursor.fetchall()])

    def session(self) -> SnowflakeAdapter:
        """This adapter on its own thread; elsewhere one connection per live worker thread (reused, closed with us)."""
        ident = threading.get_ident()
        if ident == self._owner:
            return self
        with self._lock:
            child = self._sessions.get(ident)
            if child is None:
                alive = {t.ident for t in threading.enumerate()}
                stale = next((k for k in self._sessions if k not in alive), None)
                child = self._sessions.pop(stale) if stale is not None else self._spawn()
                child._owner = ident
                self._sessions[ident] = child
            return child

    def _spawn(self) -> SnowflakeAdapter:
        return SnowflakeAdapter(
            self.database,
            self.credentials,
            threads=self.threads,
            swap_strategy=self.swap_strategy,
            load_method=self.load_method,
            read_only=self.read_only,
        )

    def close(self) -> None:
        with self._lock:
            children, self._sessions = list(self._sessions.values()), {}
        for child in children:
            child.close()
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            **self.credentials.public(),
            "credentials": self.credentials.source,
            "threads": self.threads,
            "swap_strategy": self.swap_strategy,
            "load_method": self.load_method,
        }

    # --- catalog: information_schema is per database in Snowflake ---------------

    def _information_schema(self, view: str) -> exp.Table:
        return exp.table_(view, db="INFORMATION_SCHEMA", catalog=self.database)

    def _where_relation(self, schema: str, name: str) -> exp.Expression:
        # Plain equality on the stored (upper-case, unquoted) names lets Snowflake prune its metadata scan.
        return exp.and_(
            exp.column("table_schema").eq(exp.Literal.string(schema.upper())),
            exp.column("table_name").eq(exp.Literal.string(name.upper())),
        )

    def columns(self, schema: str, name: str) -> list[str]:
        query = (
            exp.select("column_name")
            .from_(self._information_schema("COLUMNS"))
            .where(self._where_relation(schema, name))
            .order_by("ordinal_position")
        )
        return [str(r[0]).lower() for r in self.query(query).rows]

    def relation_kind(self, schema: str, name: str) -> str | None:
        """'table', 'view' or None; VIEWS is read too (Snowflake lists views in both, fakesnow only there)."""
        where = self._where_relation(schema, name)
        tables = exp.select("table_type").from_(self._information_schema("TABLES")).where(where)
        views = exp.select(exp.Literal.string("VIEW")).from_(self._information_schema("VIEWS")).where(where.copy())
        rows = self.query(exp.union(tables, views, distinct=False)).rows
        if not rows:
            return None
        return "view" if "VIEW" in str(rows[0][0]).upper() else "table"

    # --- publishing tables built aside -------------------------------------------

    def swap_in(self, schema: str, live: str, staged: str, kind: str) -> list[str]:
        """`SWAP WITH` (atomic exchange) when configured and the live table exists; else drop + rename."""
        if kind == "table" and self.swap_strategy == "swap_with" and self.relation_kind(schema, live) == "table":
            live_fqn, staged_fqn = self.table(schema, live), self.table(schema, staged)
            return [f"ALTER TABLE {live_fqn} SWAP WITH {staged_fqn}", f"DROP TABLE IF EXISTS {staged_fqn}"]
        return self._rename_swap(schema, live, staged, kind)

    # --- loading ---------------------------------------------------------------------

    def load_arrow(self, schema: str, name: str, data: pa.Table) -> int:
        """Replace `schema.name` with an Arrow table: loaded aside, then swapped in; returns rows loaded."""
        aside = f"{name}__C360_LOADING"
        target = self.table(schema, aside)
        try:
            self.execute(create_table_ddl(target, data.schema))
            if data.num_rows == 0:
                loaded = 0
            elif self.load_method == "insert":
                loaded = self._load_by_insert(target, data)
            else:
                loaded = self._load_by_copy(schema, target, data)
            for statement in self.swap_in(schema, name, aside, "table"):
                self.execute(statement, native=True)
        except C360RuntimeError:
            raise
        except Exception as exc:  # noqa: BLE001 - driver errors become one-line runtime errors
            with contextlib.suppress(Exception):  # best-effort cleanup; the load error matters
                self.execute(f"DROP TABLE IF EXISTS {target}", native=True)
            raise C360RuntimeError(
                f"loading {self.table(schema, name)} failed", cause=_first_line(str(exc)) or type(exc).__name__
            ) from exc
        return loaded

    def _load_by_copy(self, schema: str, target: str, data: pa.Table) -> int:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        with tempfile.TemporaryDirectory(prefix="c360_load_") as folder:
            path = Path(folder) / "data.csv.gz"
            with pa.CompressedOutputStream(str(path), "gzip") as sink:
                pacsv.write_csv(data, sink)
            statements = copy_statements(path, self.table(schema, LOAD_STAGE), uuid.uuid4().hex, target)
            for statement in statements[:-1]:
                self._execute(statement)
            result = self._query(statements[-1])
        if "rows_loaded" not in result.columns:
            return 0
        return sum(int(r["rows_loaded"] or 0) for r in result.records())

    def _load_by_insert(self, target: str, data: pa.Table) -> int:
        columns = [column_identifier(c) for c in data.column_names]
        for batch in data.to_batches(max_chunksize=self.INSERT_BATCH_ROWS):
            values = [exp.tuple_(*[literal(v) for v in row.values()]) for row in batch.to_pylist()]
            self.execute(exp.insert(exp.values(values), target, columns=columns))
        return data.num_rows


def copy_statements(local_file: Path, stage: str, folder: str, target: str) -> list[str]:
    """The native statements that move a local gzipped CSV into `target` (stage, PUT, COPY INTO)."""
    location = f"@{stage}/{folder}/"
    url = "file://" + local_file.resolve().as_posix().replace("'", "''")
    return [
        f"CREATE TEMPORARY STAGE IF NOT EXISTS {stage}",
        f"PUT '{url}' {location} AUTO_COMPRESS=FALSE SOURCE_COMPRESSION=GZIP OVERWRITE=TRUE",
        f"COPY INTO {target} FROM {location} {CSV_FILE_FORMAT} ON_ERROR=ABORT_STATEMENT PURGE=TRUE",
    ]


def create_table_ddl(fqn: str, schema: pa.Schema) -> exp.Create:
    """`CREATE OR REPLACE TABLE fqn (...)` with column types mapped from an Arrow schema (an AST)."""
    columns = [exp.ColumnDef(this=column_identifier(f.name), kind=arrow_to_sql_type(f.name, f.type)) for f in schema]
    return exp.Create(this=exp.Schema(this=exp.to_table(fqn), expressions=columns), kind="TABLE", replace=True)


def column_identifier(name: str) -> exp.Identifier:
    """A column name as Snowflake resolves it: plain names upper-cased (so reserved words like AT work), quoted."""
    return exp.to_identifier(name.upper() if _PLAIN_NAME.fullmatch(name) else name, quoted=True)


def arrow_to_sql_type(column: str, dtype: pa.DataType) -> exp.DataType:
    """The Snowflake column type for an Arrow type; unsupported types raise C360RuntimeError."""
    import pyarrow as pa

    t = exp.DataType.Type
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if pa.types.is_decimal(dtype):
        params = [exp.DataTypeParam(this=exp.Literal.number(n)) for n in (dtype.precision, dtype.scale)]
        return exp.DataType(this=t.DECIMAL, expressions=params)
    if pa.types.is_timestamp(dtype):
        return exp.DataType(this=t.TIMESTAMPTZ if dtype.tz else t.TIMESTAMPNTZ)
    checks = (
        (pa.types.is_boolean, t.BOOLEAN),
        (pa.types.is_integer, t.BIGINT),
        (pa.types.is_floating, t.DOUBLE),
        (pa.types.is_string, t.VARCHAR),
        (pa.types.is_large_string, t.VARCHAR),
        (pa.types.is_date, t.DATE),
        (pa.types.is_time, t.TIME),
        (pa.types.is_null, t.VARCHAR),
    )
    for check, sql_type in checks:
        if check(dtype):
            return exp.DataType(this=sql_type)
    raise C360RuntimeError(f"column {column}: Arrow type {dtype} has no Snowflake mapping for loading")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
