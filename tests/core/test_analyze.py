"""analyze: qualification against upstream schemas, type checks, lineage, DAG, dialect checks."""

from __future__ import annotations

from pathlib import Path

from _support import col_of, compiled, line_of, model_yaml, models_file, spec_errors

from c360_compiler.errors import Location


def _gold(root: Path, *entries: str) -> Path:
    path = root / "specs/models/gold.yaml"
    path.write_text(models_file(*entries))
    return path


def test_unknown_column_is_located_at_its_line_with_a_suggestion(project_dir: Path) -> None:
    gold = _gold(project_dir, model_yaml("g", "SELECT customer_id\nFROM {{ ref('stg_customers') }}\nWHERE emial = 'a'"))
    [error] = spec_errors(project_dir).errors
    assert error.location == Location("specs/models/gold.yaml", *col_of(gold, "emial"))
    assert error.message == "unknown column 'emial'"
    assert error.suggestion == "email"


def test_unknown_column_in_the_repo_silver_model(project_dir: Path) -> None:
    silver = project_dir / "specs/models/silver.yaml"
    silver.write_text(silver.read_text().replace("TRIM(city) AS city", "TRIM(citty) AS city"))
    [error] = spec_errors(project_dir).errors
    assert (error.location.line, error.location.col) == col_of(silver, "citty")
    assert error.suggestion == "city"


def test_unknown_table_outside_ref_and_source(project_dir: Path) -> None:
    gold = _gold(project_dir, model_yaml("g", "SELECT 1 AS x\nFROM CUSTOMER_ANALYTICS.GOLD.NOPE"))
    [error] = spec_errors(project_dir).errors
    assert error.message == "unknown table 'CUSTOMER_ANALYTICS.GOLD.NOPE'"
    assert error.location.line == line_of(gold, "GOLD.NOPE")
    assert "ref(" in error.expected


def test_ambiguous_column_names_both_tables(project_dir: Path) -> None:
    sql = (
        "SELECT customer_id\nFROM {{ ref('stg_customers') }} AS c\n"
        "JOIN {{ ref('stg_transactions') }} AS t ON c.customer_id = t.customer_id"
    )
    _gold(project_dir, model_yaml("g", sql))
    [error] = spec_errors(project_dir).errors
    assert error.message == "ambiguous column 'customer_id' (in STG_CUSTOMERS, STG_TRANSACTIONS)"
    assert error.location.line == 6


def test_sum_over_text_is_rejected(project_dir: Path) -> None:
    gold = _gold(project_dir, model_yaml("g", "SELECT SUM(email) AS s\nFROM {{ ref('stg_customers') }}"))
    [error] = spec_errors(project_dir).errors
    assert error.message.startswith("SUM over text expression")
    assert "EMAIL" in error.message
    assert (error.location.line, error.location.col) == col_of(gold, "SUM(")


def test_non_boolean_where_is_rejected(project_dir: Path) -> None:
    _gold(project_dir, model_yaml("g", "SELECT email\nFROM {{ ref('stg_customers') }}\nWHERE email"))
    [error] = spec_errors(project_dir).errors
    assert "not boolean" in error.message


def test_more_than_one_statement_is_rejected(project_dir: Path) -> None:
    _gold(project_dir, model_yaml("g", "SELECT 1 AS x; SELECT 2 AS y"))
    [error] = spec_errors(project_dir).errors
    assert error.message == "the sql of a model must be exactly one SELECT"


def test_select_star_expands_to_upstream_columns(project_dir: Path) -> None:
    _gold(project_dir, model_yaml("g", "SELECT * FROM {{ ref('stg_merchant_categories') }}"))
    model = compiled(project_dir).analysis.models["g"]
    names = [c.name for c in model.columns]
    assert names == ["category_id", "category_name", "category_group", "is_discretionary", "is_travel"]
    assert [c.type for c in model.columns] == ["INT", "VARCHAR", "VARCHAR", "BOOLEAN", "BOOLEAN"]
    assert "*" not in model.query.sql("snowflake").split("FROM")[0]
    assert model.lineage["category_name"] == ("SILVER.STG_MERCHANT_CATEGORIES.CATEGORY_NAME",)


def test_column_lineage_of_silver_and_through_a_cte_chain(project_dir: Path) -> None:
    sql = (
        "WITH base AS (\n"
        "  SELECT customer_id, email AS e FROM {{ ref('stg_customers') }}\n"
        "), spend AS (\n"
        "  SELECT customer_id, SUM(transaction_amount) AS total FROM {{ ref('stg_transactions') }} GROUP BY 1\n"
        "), joined AS (\n"
        "  SELECT b.customer_id, UPPER(b.e) AS e2, s.total FROM base AS b LEFT JOIN spend AS s"
        " ON b.customer_id = s.customer_id\n"
        ")\n"
        "SELECT customer_id, e2 AS shout_email, total * 2 AS doubled, 1 AS one FROM joined"
    )
    _gold(project_dir, model_yaml("g", sql))
    analysis = compiled(project_dir).analysis
    assert analysis.models["stg_customers"].lineage["email"] == ("BRONZE.BRONZE_CUSTOMERS.EMAIL",)
    assert analysis.models["stg_transactions"].lineage["transaction_day"] == (
        "BRONZE.BRONZE_TRANSACTIONS.TRANSACTION_DATE",
    )
    lineage = analysis.models["g"].lineage
    assert lineage["shout_email"] == ("SILVER.STG_CUSTOMERS.EMAIL",)
    assert lineage["doubled"] == ("SILVER.STG_TRANSACTIONS.TRANSACTION_AMOUNT",)
    assert lineage["customer_id"] == ("SILVER.STG_CUSTOMERS.CUSTOMER_ID",)
    assert lineage["one"] == ()


def test_dependencies_and_dag_edges(project_dir: Path) -> None:
    _gold(
        project_dir,
        model_yaml("a", "SELECT customer_id FROM {{ ref('stg_customers') }}"),
        model_yaml(
            "b",
            "SELECT a.customer_id, t.transaction_amount FROM {{ ref('a') }} AS a\n"
            "JOIN {{ source('bronze', 'BRONZE_TRANSACTIONS') }} AS t ON a.customer_id = t.customer_id",
        ),
    )
    analysis = compiled(project_dir).analysis
    assert analysis.models["b"].depends_on == ("a",)
    assert analysis.models["b"].sources == ("CUSTOMER_ANALYTICS.BRONZE.BRONZE_TRANSACTIONS",)
    assert analysis.models["a"].depends_on == ("stg_customers",)
    assert ("a", "b") in analysis.graph.edges and ("stg_customers", "a") in analysis.graph.edges
    assert analysis.models["stg_customers"].sources == ("CUSTOMER_ANALYTICS.BRONZE.BRONZE_CUSTOMERS",)
    order = analysis.graph.order()
    assert order.index("stg_customers") < order.index("a") < order.index("b")


def test_cycle_error_names_the_path(project_dir: Path) -> None:
    gold = _gold(
        project_dir,
        model_yaml("a", "SELECT x FROM {{ ref('c') }}"),
        model_yaml("b", "SELECT x FROM {{ ref('a') }}"),
        model_yaml("c", "SELECT x FROM {{ ref('b') }}"),
    )
    [error] = spec_errors(project_dir).errors
    assert error.message.startswith("dependency cycle: ")
    path = error.message.removeprefix("dependency cycle: ").split(" -> ")
    assert path[0] == path[-1] and sorted(path[:-1]) == ["a", "b", "c"]
    # consecutive pairs follow the edges (x reads y means y -> x)
    edges = {("c", "a"), ("a", "b"), ("b", "c")}
    assert all((u, v) in edges for u, v in zip(path, path[1:], strict=False))
    assert error.location.file == "specs/models/gold.yaml"
    assert error.location.line in {line_of(gold, "sql: |", n) for n in (1, 2, 3)}


def test_snowflake_function_without_duckdb_translation_is_a_compile_error(project_dir: Path) -> None:
    gold = _gold(
        project_dir, model_yaml("g", "SELECT\n  TO_TIMESTAMP_NTZ(email) AS t\nFROM {{ ref('stg_customers') }}")
    )
    [error] = spec_errors(project_dir).errors
    assert error.message == "function TO_TIMESTAMP_NTZ has no DuckDB translation"
    assert (error.location.line, error.location.col) == col_of(gold, "TO_TIMESTAMP_NTZ")


def test_documented_column_not_produced(project_dir: Path) -> None:
    gold = _gold(project_dir, model_yaml("g", "SELECT 1 AS id", extra="    columns: [{name: idd}]\n"))
    [error] = spec_errors(project_dir).errors
    assert error.message == "column 'idd' is documented but the SQL does not produce it"
    assert error.key_path == "models[0].columns[0].name"
    assert error.location.line == line_of(gold, "columns: [{name: idd}]")
    assert error.suggestion == "id"


def test_unique_key_and_time_column_must_be_output_columns(project_dir: Path) -> None:
    gold = _gold(
        project_dir,
        model_yaml("u", "SELECT 1 AS id", kind="{name: incremental_by_unique_key, unique_key: idd}"),
        model_yaml("t", "SELECT CURRENT_TIMESTAMP() AS ts", kind="{name: incremental_by_time, time_column: tss}"),
    )
    errors = {e.key_path: e for e in spec_errors(project_dir).errors}
    assert set(errors) == {"models[0].kind.unique_key", "models[1].kind.time_column"}
    assert errors["models[0].kind.unique_key"].message == "unique_key 'idd' is not an output column"
    assert errors["models[0].kind.unique_key"].suggestion == "id"
    assert errors["models[1].kind.time_column"].suggestion == "ts"
    assert errors["models[1].kind.time_column"].location.line == line_of(gold, "time_column: tss")


def test_errors_in_independent_models_are_all_reported(project_dir: Path) -> None:
    _gold(
        project_dir,
        model_yaml("a", "SELECT emial FROM {{ ref('stg_customers') }}"),
        model_yaml("b", "SELECT SUM(email) AS s FROM {{ ref('stg_customers') }}"),
        model_yaml("c", "SELECT 1 AS x FROM {{ ref('nope') }}"),
    )
    errors = spec_errors(project_dir).errors
    assert sorted(e.message.split(" ")[0] for e in errors) == ["SUM", "ref", "unknown"]


def test_downstream_of_a_failed_model_is_not_reported_twice(project_dir: Path) -> None:
    _gold(
        project_dir,
        model_yaml("a", "SELECT emial FROM {{ ref('stg_customers') }}"),
        model_yaml("b", "SELECT emial FROM {{ ref('a') }}"),
    )
    [error] = spec_errors(project_dir).errors
    assert error.key_path == "models[0].sql"


def test_lineage_through_a_union_cte(project_dir: Path) -> None:
    sql = (
        "WITH ids AS (\n"
        "  SELECT customer_id FROM {{ ref('stg_customers') }}\n"
        "  UNION ALL\n"
        "  SELECT customer_id FROM {{ ref('stg_transactions') }}\n"
        ")\n"
        "SELECT customer_id FROM ids"
    )
    _gold(project_dir, model_yaml("g", sql))
    lineage = compiled(project_dir).analysis.models["g"].lineage
    assert lineage["customer_id"] == ("SILVER.STG_CUSTOMERS.CUSTOMER_ID", "SILVER.STG_TRANSACTIONS.CUSTOMER_ID")


def test_lineage_of_a_top_level_union(project_dir: Path) -> None:
    sql = (
        "SELECT customer_id FROM {{ ref('stg_customers') }}\n"
        "UNION ALL\n"
        "SELECT customer_id FROM {{ ref('stg_transactions') }}"
    )
    _gold(project_dir, model_yaml("g", sql))
    model = compiled(project_dir).analysis.models["g"]
    assert [c.name for c in model.columns] == ["customer_id"]
    assert model.lineage["customer_id"] == ("SILVER.STG_CUSTOMERS.CUSTOMER_ID", "SILVER.STG_TRANSACTIONS.CUSTOMER_ID")
