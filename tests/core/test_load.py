"""load: YAML positions, validation into located errors, cross-file checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support import fresh_project, line_of, model_yaml, models_file, replace_in, spec_errors

from c360_compiler.errors import Location, SpecError, SpecErrors
from c360_compiler.load.project import load_project
from c360_compiler.load.yaml_source import format_path, parse_yaml

# --- yaml_source -----------------------------------------------------------------


def test_positions_are_one_based_line_and_column_per_key_path() -> None:
    text = "name: x\nmodels:\n  - name: a\n    sql: |\n      SELECT 1\n      FROM t\n"
    doc, errors = parse_yaml(text, "specs/models/m.yaml")
    assert errors == []
    assert doc is not None
    assert doc.positions[("name",)] == (1, 1)
    assert doc.positions[("models",)] == (2, 1)
    assert doc.positions[("models", 0)] == (3, 5)
    assert doc.positions[("models", 0, "name")] == (3, 5)
    assert doc.positions[("models", 0, "sql")] == (4, 5)
    assert doc.body_line(("models", 0, "sql")) == 5  # block scalar content starts on the next line
    assert str(doc.locate(("models", 0, "sql"))) == "specs/models/m.yaml:4:5"
    # an unknown deeper path falls back to its deepest known prefix
    assert doc.locate(("models", 0, "columns", 3, "name")) == Location("specs/models/m.yaml", 3, 5)


def test_format_path_renders_keys_and_indexes() -> None:
    assert format_path(("models", 2, "columns", 0, "name")) == "models[2].columns[0].name"
    assert format_path(()) == ""


def test_duplicate_key_is_located_at_the_second_occurrence() -> None:
    doc, errors = parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\n", "f.yaml")
    assert doc is not None
    assert [(e.location.line, e.location.col, e.key_path, e.message) for e in errors] == [
        (4, 3, "b.c", "duplicate key 'c'")
    ]
    assert doc.data == {"a": 1, "b": {"c": 1}}  # the first value wins


def test_invalid_yaml_is_located_not_raised() -> None:
    doc, errors = parse_yaml("models:\n  - name: a\n    sql: [unclosed\n  other: 1\n", "f.yaml")
    assert doc is None
    assert len(errors) == 1
    assert errors[0].message.startswith("invalid YAML:")
    assert errors[0].location.line in (3, 4)
    assert errors[0].location.col >= 1


def test_empty_yaml_is_an_empty_mapping() -> None:
    doc, errors = parse_yaml("# only a comment\n", "f.yaml")
    assert errors == [] and doc is not None and doc.data == {}


def test_recursive_alias_is_a_located_error() -> None:
    _, errors = parse_yaml("models: &x\n  - *x\n", "f.yaml")
    assert errors and errors[0].location.line in (1, 2)


def test_yaml_merge_keys_are_supported() -> None:
    doc, errors = parse_yaml("base: &b\n  layer: gold\nm:\n  <<: *b\n  name: a\n", "f.yaml")
    assert errors == []
    assert doc is not None and doc.data["m"] == {"layer": "gold", "name": "a"}


# --- validation --------------------------------------------------------------------


def test_unknown_key_suggests_the_closest_field(project_dir: Path) -> None:
    silver = project_dir / "specs/models/silver.yaml"
    replace_in(silver, "    description: Customers as", "    descripton: Customers as")
    [error] = spec_errors(project_dir).errors
    assert error.location == Location("specs/models/silver.yaml", line_of(silver, "descripton:"), 5)
    assert error.key_path == "models[0].descripton"
    assert error.message == "unknown key 'descripton'"
    assert error.suggestion == "description"
    assert "description" in error.expected and "sql" in error.expected


def test_unknown_kind_suggests_table(project_dir: Path) -> None:
    silver = project_dir / "specs/models/silver.yaml"
    replace_in(silver, "kind: view", "kind: tabel")
    [error] = spec_errors(project_dir).errors
    assert error.location.line == line_of(silver, "kind: tabel")
    assert error.key_path == "models[0].kind"
    assert "'tabel'" in error.message
    assert error.suggestion == "table"
    for kind in ("view", "table", "incremental_by_unique_key", "incremental_by_time"):
        assert kind in error.expected


def test_unknown_key_inside_a_kind_mapping(project_dir: Path) -> None:
    extra = models_file(model_yaml("g", "SELECT 1 AS x", kind="{name: incremental_by_time, time_colum: x}"))
    (project_dir / "specs/models/gold.yaml").write_text(extra)
    errors = {e.key_path: e for e in spec_errors(project_dir).errors}
    assert set(errors) == {"models[0].kind.time_colum", "models[0].kind.time_column"}
    unknown = errors["models[0].kind.time_colum"]
    assert unknown.suggestion == "time_column"
    assert unknown.location.line == 4
    assert unknown.location.col == len("    kind: {name: incremental_by_time, ") + 1
    assert errors["models[0].kind.time_column"].message == "missing required key 'time_column'"


@pytest.mark.parametrize(
    ("old", "new", "key_path", "expected"),
    [
        ("    tests: [not_null, unique]", "    tests: 5", "models[0].columns[0].tests", "list"),
        ("    kind: view", "    kind: 5", "models[0].kind", "model attributes"),
        ("    layer: silver", "    layer: [silver]", "models[0].layer", "string"),
    ],
)
def test_wrong_types_name_what_was_expected(
    project_dir: Path, old: str, new: str, key_path: str, expected: str
) -> None:
    silver = project_dir / "specs/models/silver.yaml"
    replace_in(silver, old, new)
    [error] = spec_errors(project_dir).errors
    assert error.key_path == key_path
    assert error.message.startswith("wrong type:")
    assert error.expected == expected
    assert error.location.line == line_of(silver, new.strip())


def test_wrong_type_in_project_target(project_dir: Path) -> None:
    project = project_dir / "specs/project.yaml"
    replace_in(project, "threads: 2", "threads: many")
    [error] = spec_errors(project_dir).errors
    assert error.location == Location("specs/project.yaml", line_of(project, "threads: many"), 5)
    assert error.key_path == "targets.local.threads"
    assert error.expected == "int"


def test_invalid_identifier_and_bad_column_type(project_dir: Path) -> None:
    gold = project_dir / "specs/models/gold.yaml"
    gold.write_text(
        models_file(
            model_yaml("1abc", "SELECT 1 AS x"),
            model_yaml("ok", "SELECT 1 AS x", extra="    columns: [{name: x, type: VARCHR}]\n"),
        )
    )
    errors = spec_errors(project_dir).errors
    by_path = {e.key_path: e for e in errors}
    assert set(by_path) == {"models[0].name", "models[1].columns[0].type"}
    assert by_path["models[0].name"].message == "invalid name '1abc'"
    assert "'VARCHR' is not a Snowflake data type" in by_path["models[1].columns[0].type"].message
    assert by_path["models[1].columns[0].type"].location.line == line_of(gold, "VARCHR")


def test_duplicate_model_name_across_files_names_both_places(project_dir: Path) -> None:
    gold = project_dir / "specs/models/gold.yaml"
    gold.write_text(models_file(model_yaml("stg_customers", "SELECT 1 AS x")))
    [error] = spec_errors(project_dir).errors
    # files load in name order: gold.yaml first, so silver.yaml holds the duplicate
    assert error.location == Location("specs/models/silver.yaml", 4, 5)
    assert "duplicate model name 'stg_customers'" in error.message
    assert "specs/models/gold.yaml:2:5" in error.message


def test_unknown_layer_suggests_closest(project_dir: Path) -> None:
    silver = project_dir / "specs/models/silver.yaml"
    replace_in(silver, "layer: silver", "layer: silvr")
    [error] = spec_errors(project_dir).errors
    assert error.location.line == line_of(silver, "layer: silvr")
    assert error.message == "unknown layer 'silvr'"
    assert error.suggestion == "silver"
    assert error.expected == "one of bronze, silver, gold"


def test_errors_from_several_files_are_collected_in_one_run(project_dir: Path) -> None:
    silver = project_dir / "specs/models/silver.yaml"
    replace_in(silver, "    description: Customers as", "    descripton: Customers as")
    (project_dir / "specs/models/gold.yaml").write_text(
        models_file(model_yaml("g1", "SELECT 1 AS x", layer="gld"), model_yaml("g2", "SELECT 2 AS y", layer="gld"))
    )
    replace_in(project_dir / "specs/sources.yaml", "type: INTEGER", "type: [INTEGER]")
    (project_dir / "specs/models/broken.yaml").write_text("models:\n  - name: [x\n")
    errors = spec_errors(project_dir).errors
    files = sorted({e.location.file for e in errors})
    assert files == [
        "specs/models/broken.yaml",
        "specs/models/gold.yaml",
        "specs/models/silver.yaml",
        "specs/sources.yaml",
    ]
    messages = [e.message for e in errors]
    assert "unknown key 'descripton'" in messages
    assert any(m.startswith("invalid YAML") for m in messages)
    assert any(m.startswith("wrong type") for m in messages)
    assert messages.count("unknown layer 'gld'") == 2
    # sorted by file, line, col
    keys = [(e.location.file, e.location.line, e.location.col) for e in errors]
    assert keys == sorted(keys)


def test_not_a_mapping_and_missing_project(tmp_path: Path) -> None:
    with pytest.raises(SpecErrors) as missing:
        load_project(tmp_path)
    assert "no project found" in missing.value.errors[0].message
    root = fresh_project(tmp_path / "p")
    (root / "specs/models/list.yaml").write_text("- a\n- b\n")
    [error] = spec_errors(root).errors
    assert error.location == Location("specs/models/list.yaml", 1, 1)
    assert error.expected == "a YAML mapping"


def test_unknown_default_target_is_located_at_its_key(project_dir: Path) -> None:
    project = project_dir / "specs/project.yaml"
    replace_in(project, "default_target: local", "default_target: lokal")
    [error] = spec_errors(project_dir).errors
    assert error.location.line == line_of(project, "default_target: lokal")
    assert error.key_path == "default_target"
    assert error.suggestion == "local"


# --- SpecErrors text --------------------------------------------------------------------


def test_spec_errors_render_text() -> None:
    errors = SpecErrors(
        [
            SpecError(
                Location("specs/b.yaml", 3, 7),
                "unknown key 'descripton'",
                "models[0].descripton",
                "one of description, name",
                "description",
            ),
            SpecError(
                Location("specs/a.yaml", 9, 1),
                "SQL syntax error: Expecting )",
                "models[1].sql",
                excerpt="SELECT (\n  1",
            ),
        ]
    )
    assert errors.render() == (
        "2 spec errors:\n"
        "specs/a.yaml:9:1: models[1].sql: SQL syntax error: Expecting )\n"
        "    SELECT (\n"
        "      1\n"
        "specs/b.yaml:3:7: models[0].descripton: unknown key 'descripton' "
        "(expected one of description, name) Did you mean 'description'?"
    )
    assert str(errors) == errors.render()
    assert SpecErrors([SpecError(Location("f.yaml"), "x")]).render() == "1 spec error:\nf.yaml: x"
    assert errors.errors[0].to_dict() == {
        "file": "specs/a.yaml",
        "line": 9,
        "col": 1,
        "key_path": "models[1].sql",
        "message": "SQL syntax error: Expecting )",
        "expected": "",
        "suggestion": "",
    }
