"""render: ref/source/var resolution, macros, located template errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from _support import (
    col_of,
    compiled,
    fresh_project,
    line_of,
    model_yaml,
    models_file,
    set_project_vars,
    spec_errors,
)

from c360_compiler.load.project import load_project
from c360_compiler.render import Catalog, TemplateEnv, render_body


def _render(root: Path, name: str) -> tuple[str | None, list]:
    project = load_project(root)
    return render_body(project.model(name), TemplateEnv(project), Catalog(project), project.spec.vars)


def test_ref_source_and_var_resolve_to_qualified_names(project_dir: Path) -> None:
    set_project_vars(project_dir, min_age=21)
    sql = (
        "SELECT c.customer_id FROM {{ ref('STG_CUSTOMERS') }} AS c "
        "JOIN {{ source('bronze', 'bronze_transactions') }} AS t ON t.customer_id = c.customer_id "
        "WHERE c.age >= {{ var('min_age') }} AND c.age < {{ var('max_age', 99) }}"
    )
    (project_dir / "specs/models/gold.yaml").write_text(models_file(model_yaml("g", sql)))
    body, errors = _render(project_dir, "g")
    assert errors == []
    assert body == (
        "SELECT c.customer_id FROM CUSTOMER_ANALYTICS.SILVER.STG_CUSTOMERS AS c "
        "JOIN CUSTOMER_ANALYTICS.BRONZE.BRONZE_TRANSACTIONS AS t ON t.customer_id = c.customer_id "
        "WHERE c.age >= 21 AND c.age < 99"
    )


def test_unknown_ref_is_located_at_the_ref_with_a_suggestion(project_dir: Path) -> None:
    gold = project_dir / "specs/models/gold.yaml"
    gold.write_text(models_file(model_yaml("g", "SELECT 1 AS x\nFROM {{ ref('stg_customer') }}")))
    [error] = spec_errors(project_dir).errors
    line, col = col_of(gold, "ref('stg_customer')")
    assert (error.location.file, error.location.line, error.location.col) == ("specs/models/gold.yaml", line, col)
    assert error.message == "ref to unknown model 'stg_customer'"
    assert error.suggestion == "stg_customers"
    assert error.key_path == "models[0].sql"


def test_unknown_ref_in_a_one_line_sql_scalar_has_the_right_column(project_dir: Path) -> None:
    gold = project_dir / "specs/models/gold.yaml"
    gold.write_text(
        "models:\n  - name: g\n    layer: gold\n    kind: table\n    sql: SELECT 1 AS x FROM {{ ref('nope') }}\n"
    )
    [error] = spec_errors(project_dir).errors
    assert (error.location.line, error.location.col) == col_of(gold, "ref('nope')")


def test_unknown_source_and_var_are_located(project_dir: Path) -> None:
    gold = project_dir / "specs/models/gold.yaml"
    sql = "SELECT {{ var('nope') }} AS x\nFROM {{ source('bronze', 'BRONZE_CUSTOMERZ') }}"
    gold.write_text(models_file(model_yaml("g", sql)))
    errors = {e.message: e for e in spec_errors(project_dir).errors}
    assert set(errors) == {"unknown var 'nope'", "unknown source table 'bronze.BRONZE_CUSTOMERZ'"}
    src = errors["unknown source table 'bronze.BRONZE_CUSTOMERZ'"]
    assert (src.location.line, src.location.col) == col_of(gold, "source('bronze'")
    assert src.suggestion == "bronze.BRONZE_CUSTOMERS"
    assert errors["unknown var 'nope'"].location.line == line_of(gold, "var('nope')")


def test_self_reference_is_an_error(project_dir: Path) -> None:
    (project_dir / "specs/models/gold.yaml").write_text(
        models_file(model_yaml("g", "SELECT 1 AS x FROM {{ ref('g') }}"))
    )
    [error] = spec_errors(project_dir).errors
    assert error.message == "model 'g' refers to itself"


def test_macros_render_and_compute_the_documented_values(project_dir: Path) -> None:
    sql = (
        "SELECT {{ clean_email(\"' Alice.Smith@Example.COM '\") }} AS email,\n"
        "  {{ clean_email(\"'   '\") }} AS blank_email,\n"
        "  {{ clean_name(\"' aLICE '\") }} AS first_name,\n"
        "  {{ clean_name(\"''\") }} AS blank_name,\n"
        "  {{ pct('1', '3') }} AS third,\n"
        "  {{ pct('2', '3', 0) }} AS two_thirds,\n"
        "  {{ pct('1', '0') }} AS by_zero"
    )
    (project_dir / "specs/models/gold.yaml").write_text(models_file(model_yaml("g", sql)))
    body, errors = _render(project_dir, "g")
    assert errors == [] and body is not None
    assert "NULLIF(LOWER(TRIM(' Alice.Smith@Example.COM ')), '')" in body
    assert "ROUND(100.0 * 1 / NULLIF(3, 0), 2)" in body
    model = compiled(project_dir).analysis.models["g"]
    row = duckdb.connect().execute(model.query.sql("duckdb")).fetchone()
    assert row == ("alice.smith@example.com", None, "Alice", None, pytest.approx(33.33), pytest.approx(67.0), None)


def test_jinja_syntax_error_is_located_at_its_yaml_line(project_dir: Path) -> None:
    gold = project_dir / "specs/models/gold.yaml"
    gold.write_text(models_file(model_yaml("g", "SELECT\n  1 AS x,\n  {{ ref( }} AS y")))
    [error] = spec_errors(project_dir).errors
    assert error.location.line == line_of(gold, "{{ ref( }}")
    assert error.message.startswith("template error:")


def test_undefined_name_in_a_body_is_a_template_error(project_dir: Path) -> None:
    (project_dir / "specs/models/gold.yaml").write_text(models_file(model_yaml("g", "SELECT {{ nope }} AS x")))
    [error] = spec_errors(project_dir).errors
    assert error.message == "template error: 'nope' is undefined"
    assert error.location.line == 5  # the sql key of the model


def test_project_templates_override_bundled_macros(tmp_path: Path) -> None:
    root = fresh_project(tmp_path / "p", {"gold.yaml": models_file(model_yaml("g", "SELECT {{ shout('1') }} AS x"))})
    (root / "templates/sql/macros/extra.sql.j2").write_text("{% macro shout(v) -%}UPPER({{ v }}){%- endmacro %}\n")
    body, errors = _render(root, "g")
    assert errors == [] and body == "SELECT UPPER(1) AS x"
