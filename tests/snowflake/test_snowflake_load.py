"""Loading Arrow tables: CSV -> temporary stage -> COPY INTO (fakesnow runs this path), and batched INSERTs.

fakesnow 0.12.1 supports CREATE TEMPORARY STAGE, PUT file://... to an internal stage folder and COPY INTO from
it, so the real `copy` path is exercised here. It does not support `COPY ... FILES=(...)` from an internal stage
("invalid URL prefix found in: '/tmp/fakesnow_bucket_...'"), a quoted stage location in PUT ("does not start
with @") or DROP STAGE (parser error), which is why the adapter loads from a unique stage folder instead.
"""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sf_support import (
    DATABASE,
    QUIET_FAKESNOW,
    SILVER_VIEWS,
    apply_all,
    bronze_rows,
    build,
    load_bronze,
    rows_of,
    snowflake_project,
    staged_leftovers,
)

from c360_compiler.errors import C360RuntimeError
from c360_compiler.execute.connect import connect
from c360_compiler.execute.duckdb_adapter import DuckDBAdapter
from c360_compiler.execute.snowflake_adapter import (
    SnowflakeAdapter,
    arrow_to_sql_type,
    copy_statements,
    create_table_ddl,
)
from c360_compiler.pipeline import compile_project

pytestmark = QUIET_FAKESNOW

TYPES = [
    (pa.int64(), "BIGINT"),
    (pa.int8(), "BIGINT"),
    (pa.float64(), "DOUBLE"),
    (pa.bool_(), "BOOLEAN"),
    (pa.string(), "VARCHAR"),
    (pa.large_string(), "VARCHAR"),
    (pa.date32(), "DATE"),
    (pa.timestamp("us"), "TIMESTAMPNTZ"),
    (pa.timestamp("ns", tz="UTC"), "TIMESTAMPTZ"),
    (pa.decimal128(10, 2), "DECIMAL(10, 2)"),
    (pa.time64("us"), "TIME"),
    (pa.null(), "VARCHAR"),
    (pa.dictionary(pa.int32(), pa.string()), "VARCHAR"),
]


@pytest.mark.parametrize(("arrow_type", "sql"), TYPES, ids=[str(t) for t, _ in TYPES])
def test_arrow_types_map_to_snowflake_types(arrow_type: pa.DataType, sql: str) -> None:
    assert arrow_to_sql_type("c", arrow_type).sql("snowflake") == sql


def test_unmappable_arrow_type_names_the_column() -> None:
    with pytest.raises(C360RuntimeError, match="column blob: Arrow type binary"):
        arrow_to_sql_type("blob", pa.binary())


def test_create_table_ddl_is_an_ast() -> None:
    schema = pa.schema([("id", pa.int64()), ("amount", pa.decimal128(12, 2)), ("Odd Name", pa.string())])
    # plain names are quoted upper-case (same as unquoted, but reserved words such as AT work)
    ddl = create_table_ddl(f"{DATABASE}.BRONZE.T", schema)
    assert ddl.sql("snowflake") == (
        f'CREATE OR REPLACE TABLE {DATABASE}.BRONZE.T ("ID" BIGINT, "AMOUNT" DECIMAL(12, 2), "Odd Name" VARCHAR)'
    )


def test_copy_statements_are_exact(tmp_path: Path) -> None:
    path = tmp_path / "it's" / "data.csv.gz"
    stage = f"{DATABASE}.BRONZE.C360_LOAD"
    escaped = path.resolve().as_posix().replace("'", "''")
    assert copy_statements(path, stage, "f00d", f"{DATABASE}.BRONZE.T") == [
        f"CREATE TEMPORARY STAGE IF NOT EXISTS {stage}",
        f"PUT 'file://{escaped}' @{stage}/f00d/ AUTO_COMPRESS=FALSE SOURCE_COMPRESSION=GZIP OVERWRITE=TRUE",
        f"COPY INTO {DATABASE}.BRONZE.T FROM @{stage}/f00d/ "
        "FILE_FORMAT=(TYPE=CSV SKIP_HEADER=1 FIELD_OPTIONALLY_ENCLOSED_BY='\"' NULL_IF=('')) "
        "ON_ERROR=ABORT_STATEMENT PURGE=TRUE",
    ]


def _sample() -> pa.Table:
    rows: list[dict[str, Any]] = [
        {
            "id": 1,
            "name": 'comma, "quote"',
            "amount": decimal.Decimal("12.50"),
            "ratio": 0.25,
            "flag": True,
            "day": dt.date(2024, 5, 1),
            "at": dt.datetime(2024, 5, 1, 10, 30, 15, 123456),
        },
        {"id": 2, "name": None, "amount": None, "ratio": None, "flag": None, "day": None, "at": None},
        {
            "id": 3,
            "name": "line\nbreak",
            "amount": decimal.Decimal("-3.00"),
            "ratio": 1e6,
            "flag": False,
            "day": dt.date(1999, 12, 31),
            "at": dt.datetime(1999, 12, 31, 23, 59, 59),
        },
    ]
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("name", pa.string()),
            ("amount", pa.decimal128(10, 2)),
            ("ratio", pa.float64()),
            ("flag", pa.bool_()),
            ("day", pa.date32()),
            ("at", pa.timestamp("us")),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def _rows(adapter: SnowflakeAdapter, name: str) -> list[tuple[Any, ...]]:
    return adapter.query(f"SELECT * FROM {adapter.table('BRONZE', name)} ORDER BY id").rows


def _expected() -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in _sample().to_pylist()]


@pytest.fixture
def adapter(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    request.getfixturevalue("sf_env")
    request.getfixturevalue("fake_snowflake")
    root = snowflake_project(tmp_path / "proj", extra=False)
    snow = connect(compile_project(root).project, "snowflake")
    assert isinstance(snow, SnowflakeAdapter)
    snow.ensure_schema("BRONZE")
    yield snow
    snow.close()


def test_copy_path_round_trips_values(adapter: SnowflakeAdapter, monkeypatch: pytest.MonkeyPatch) -> None:
    statements: list[str] = []
    for hook in ("_execute", "_query"):
        original = getattr(SnowflakeAdapter, hook)

        def spy(self: SnowflakeAdapter, sql: str, _original: Any = original) -> Any:
            statements.append(sql)
            return _original(self, sql)

        monkeypatch.setattr(SnowflakeAdapter, hook, spy)
    assert adapter.load_arrow("BRONZE", "SAMPLE_DATA", _sample()) == 3
    monkeypatch.undo()

    assert _rows(adapter, "SAMPLE_DATA") == _expected()
    stage = f"{DATABASE}.BRONZE.C360_LOAD"
    writes = [s.split("\n")[0].split(" (")[0] for s in statements if not s.startswith("SELECT")]
    assert writes[0] == f"CREATE OR REPLACE TABLE {DATABASE}.BRONZE.SAMPLE_DATA__C360_LOADING"
    assert writes[1] == f"CREATE TEMPORARY STAGE IF NOT EXISTS {stage}"
    assert writes[2].startswith("PUT 'file://") and f"@{stage}/" in writes[2]
    assert writes[3].startswith(f"COPY INTO {DATABASE}.BRONZE.SAMPLE_DATA__C360_LOADING FROM @{stage}/")
    assert writes[4:] == [
        f"ALTER TABLE {DATABASE}.BRONZE.SAMPLE_DATA__C360_LOADING RENAME TO {DATABASE}.BRONZE.SAMPLE_DATA"
    ]
    assert staged_leftovers(adapter) == []


def test_insert_path_gives_the_same_rows_in_batches(adapter: SnowflakeAdapter, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter.load_method = "insert"
    monkeypatch.setattr(SnowflakeAdapter, "INSERT_BATCH_ROWS", 2)
    inserts: list[str] = []
    original = SnowflakeAdapter._execute

    def spy(self: SnowflakeAdapter, sql: str) -> None:
        inserts.extend([sql] if sql.startswith("INSERT") else [])
        assert not sql.startswith(("PUT", "COPY", "CREATE TEMPORARY STAGE"))
        original(self, sql)

    monkeypatch.setattr(SnowflakeAdapter, "_execute", spy)
    assert adapter.load_arrow("BRONZE", "SAMPLE_DATA", _sample()) == 3
    assert len(inserts) == 2
    assert _rows(adapter, "SAMPLE_DATA") == _expected()


def test_reload_replaces_rows_and_empty_tables_keep_columns(adapter: SnowflakeAdapter) -> None:
    adapter.load_arrow("BRONZE", "SAMPLE_DATA", _sample())
    assert adapter.load_arrow("BRONZE", "SAMPLE_DATA", _sample().slice(2)) == 1
    assert [r[0] for r in _rows(adapter, "SAMPLE_DATA")] == [3]
    assert adapter.load_arrow("BRONZE", "SAMPLE_DATA", _sample().slice(0, 0)) == 0
    assert adapter.row_count("BRONZE", "SAMPLE_DATA") == 0
    assert adapter.columns("BRONZE", "SAMPLE_DATA") == ["id", "name", "amount", "ratio", "flag", "day", "at"]


def test_failed_load_keeps_the_old_table(adapter: SnowflakeAdapter, monkeypatch: pytest.MonkeyPatch) -> None:
    adapter.load_arrow("BRONZE", "SAMPLE_DATA", _sample())
    original = SnowflakeAdapter._query

    def broken_copy(self: SnowflakeAdapter, sql: str) -> Any:
        if sql.startswith("COPY INTO"):
            raise RuntimeError("Numeric value 'abc' is not recognized\n  File 'data.csv.gz', line 2")
        return original(self, sql)

    monkeypatch.setattr(SnowflakeAdapter, "_query", broken_copy)
    with pytest.raises(C360RuntimeError, match=r"loading .*BRONZE.SAMPLE_DATA failed: Numeric value 'abc'"):
        adapter.load_arrow("BRONZE", "SAMPLE_DATA", _sample().slice(2))
    monkeypatch.undo()
    assert _rows(adapter, "SAMPLE_DATA") == _expected()
    assert staged_leftovers(adapter) == []


@pytest.mark.usefixtures("sf_env", "fake_snowflake")
def test_bronze_loaded_by_copy_gives_duckdb_silver(tmp_path: Path) -> None:
    """Bronze tables exported from the DuckDB target as Arrow, loaded through COPY INTO, same silver rows."""
    root = snowflake_project(tmp_path / "proj")
    compiled, duck = build(root, "local")
    snow = connect(compiled.project, "snowflake")
    try:
        assert isinstance(duck, DuckDBAdapter) and isinstance(snow, SnowflakeAdapter)
        load_bronze(compiled.project, snow, {})  # empty tables with the declared types ...
        for name, rows in bronze_rows().items():
            data = duck.conn.execute(f"SELECT * FROM {duck.table('BRONZE', name)}").to_arrow_table()
            assert snow.load_arrow("BRONZE", name, data) == len(rows)  # ... replaced by the loaded ones
        apply_all(compiled, snow)
        for name in SILVER_VIEWS:
            assert rows_of(snow, "SILVER", name) == rows_of(duck, "SILVER", name), name
        assert rows_of(snow, "GOLD", "customer_spend") == rows_of(duck, "GOLD", "customer_spend")
    finally:
        snow.close()
        duck.close()
