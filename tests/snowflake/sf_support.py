"""Helpers for the Snowflake adapter tests: fakesnow, credentials in env vars, a project on the snowflake target.

Everything runs offline: `fakesnow.patch()` swaps `snowflake.connector.connect` for an in-process fake backed
by one in-memory DuckDB, so every connection opened inside the patch sees the same databases.
(Named sf_support, not conftest/_support, so it cannot shadow the root conftest or tests/core/_support.)
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from c360_testkit import bronze_rows, copy_project, load_bronze  # noqa: F401 - re-exported to the tests

from c360_compiler.execute.base import EngineAdapter
from c360_compiler.execute.connect import connect
from c360_compiler.pipeline import Compiled, apply_changes, compile_project, plan_changes

DATABASE = "CUSTOMER_ANALYTICS"
SILVER_VIEWS = ("stg_customers", "stg_transactions", "stg_merchant_categories")
STAGED = "__C360_NEXT"
QUIET_FAKESNOW = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")
"""fakesnow 0.12.1 warns about an extra Arrow copy on every query; not ours to fix."""

ENV = {
    "SNOWFLAKE_ACCOUNT": "fake-account",
    "SNOWFLAKE_USER": "c360_tester",
    "SNOWFLAKE_PASSWORD": "s3cret-Password!",
    "SNOWFLAKE_ROLE": "C360_ROLE",
    "SNOWFLAKE_WAREHOUSE": "C360_WH",
}
"""fakesnow ignores credentials; the adapter still insists on them."""

EXTRA_MODELS = """\
models:
  - name: customer_spend
    layer: gold
    kind: table
    description: Approved and declined spend per customer (a table, so apply swaps it in).
    sql: |
      SELECT customer_id, SUM(transaction_amount) AS total_spend, COUNT(*) AS transaction_count
      FROM {{ ref('stg_transactions') }}
      GROUP BY customer_id
  - name: category_names
    layer: gold
    kind: table
    description: Category names (a second, independent table).
    sql: |
      SELECT category_id, UPPER(category_name) AS category_name
      FROM {{ ref('stg_merchant_categories') }}
  - name: big_spenders
    layer: gold
    kind: table
    description: Customers who spent at least 100 (a table over a table).
    sql: |
      SELECT customer_id, total_spend
      FROM {{ ref('customer_spend') }}
      WHERE total_spend >= 100
"""


@pytest.fixture
def sf_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Snowflake credentials in env vars; SNOWFLAKE_HOME points at an empty folder (no connections.toml)."""
    home = tmp_path / "snowflake_home"
    home.mkdir()
    monkeypatch.setenv("SNOWFLAKE_HOME", str(home))
    for key in ("AUTHENTICATOR", "PRIVATE_KEY_FILE", "PRIVATE_KEY_FILE_PWD"):
        monkeypatch.delenv(f"SNOWFLAKE_{key}", raising=False)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    return dict(ENV)


@pytest.fixture
def fake_snowflake() -> Iterator[None]:
    """An offline Snowflake: every `snowflake.connector.connect` inside shares one in-memory fakesnow."""
    import fakesnow

    with fakesnow.patch(create_database_on_connect=True):
        yield


def snowflake_project(
    dest: Path, *, swap_strategy: str = "rename", threads: int = 4, extra: bool = True, all_models: bool = False
) -> Path:
    """A copy of the repo project whose snowflake target uses `swap_strategy` and `threads`.

    `extra` adds three gold tables (EXTRA_MODELS); unless `all_models`, only the repo's silver.yaml is kept
    beside them, so focused tests do not depend on every model in the repo. fakesnow has no
    `ALTER TABLE ... SWAP WITH`, so end-to-end runs use the `rename` strategy.
    """
    root = copy_project(dest)
    if not all_models:
        for path in (root / "specs" / "models").glob("*.yaml"):
            if path.name != "silver.yaml":
                path.unlink()
    project_yaml = root / "specs" / "project.yaml"
    text = project_yaml.read_text(encoding="utf-8")
    old = "    connection_name: c360\n    threads: 4\n"
    assert old in text, "specs/project.yaml snowflake target changed; update sf_support"
    new = f"    connection_name: c360\n    threads: {threads}\n    swap_strategy: {swap_strategy}\n"
    project_yaml.write_text(text.replace(old, new), encoding="utf-8")
    if extra:
        (root / "specs" / "models" / "extra.yaml").write_text(EXTRA_MODELS, encoding="utf-8")
    return root


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old` (which must be there) with `new` in a spec file."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def apply_all(compiled: Compiled, adapter: EngineAdapter) -> list[tuple[str, str]]:
    """Plan and apply against `adapter`; returns (model, action) of what was applied."""
    plan = plan_changes(compiled, adapter)
    if plan.is_empty:
        return []
    report = apply_changes(compiled, adapter, plan)
    return [(r.model, r.action) for r in report.results]


def build(root: Path, target: str, compiled: Compiled | None = None) -> tuple[Compiled, EngineAdapter]:
    """Compile `root` (unless given), connect to `target`, load the bronze fixture rows and apply everything."""
    compiled = compiled or compile_project(root)
    adapter = connect(compiled.project, target)
    load_bronze(compiled.project, adapter)
    apply_all(compiled, adapter)
    return compiled, adapter


def normalise(value: Any) -> Any:
    """Engine-neutral value: Decimals and whole floats compare as numbers, timestamps as naive datetimes."""
    if isinstance(value, decimal.Decimal | float):
        return round(float(value), 6)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def rows_of(adapter: EngineAdapter, schema: str, name: str) -> list[tuple[Any, ...]]:
    """Every row of a relation, normalised and sorted (order-independent comparison)."""
    result = adapter.query(f"SELECT * FROM {adapter.table(schema, name)}")
    return sorted((tuple(normalise(v) for v in row) for row in result.rows), key=repr)


def staged_leftovers(adapter: EngineAdapter) -> list[str]:
    """Names of any build-aside objects (tables or views) left in the database."""
    found = []
    for view in ("TABLES", "VIEWS"):
        result = adapter.query(
            f"SELECT table_schema, table_name FROM {DATABASE}.INFORMATION_SCHEMA.{view} "
            f"WHERE table_name LIKE '%{STAGED}' OR table_name LIKE '%__C360_LOADING'"
        )
        found += [f"{r[0]}.{r[1]}" for r in result.rows]
    return sorted(set(found))
