"""Property-based tests: random valid model graphs compile cleanly; random corruptions fail cleanly."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import sqlglot
from _support import LOCATED, apply_once, fresh_project, model_yaml, models_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from c360_compiler.analyze import DIALECTS
from c360_compiler.cli import app
from c360_compiler.emit import emit, manifest
from c360_compiler.errors import SpecErrors
from c360_compiler.load.project import load_project
from c360_compiler.pipeline import compile_project

SETTINGS = settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
EXPRESSIONS = (
    "{a}.{c}",
    "CAST({a}.{c} AS VARCHAR)",
    "UPPER(CAST({a}.{c} AS VARCHAR))",
    "COALESCE({a}.{c}, {a}.{c})",
    "CASE WHEN {a}.{c} IS NULL THEN 0 ELSE 1 END",
)


def _sources() -> dict[str, list[str]]:
    """Bronze table -> column names, read from the repo's sources spec."""
    with tempfile.TemporaryDirectory() as tmp:
        project = load_project(fresh_project(Path(tmp) / "p", keep=()))
    return {t.name: [c.name for c in t.columns] for s in project.sources for t in s.spec.tables}


SOURCES = _sources()


@st.composite
def model_graphs(draw: st.DrawFn) -> tuple[str, dict[str, set[str]]]:
    """A models file of 1-8 models over the bronze sources, and each model's expected model parents."""
    outputs: dict[str, list[str]] = {}
    parents: dict[str, set[str]] = {}
    entries: list[str] = []
    for i in range(draw(st.integers(1, 8))):
        name = f"m{i}"
        reads: list[tuple[str, list[str], str | None]] = []  # (jinja relation, columns, model name)
        for alias_index in range(draw(st.integers(1, 2 if i else 1))):
            if outputs and draw(st.booleans()):
                parent = draw(st.sampled_from(sorted(outputs)))
                reads.append((f"{{{{ ref('{parent}') }}}}", outputs[parent], parent))
            else:
                table = draw(st.sampled_from(sorted(SOURCES)))
                reads.append((f"{{{{ source('bronze', '{table}') }}}}", SOURCES[table], None))
            del alias_index
        select: list[str] = []
        names: list[str] = []
        for a, (_, columns, _) in enumerate(reads):
            chosen = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=4, unique=True))
            for column in chosen:
                expression = draw(st.sampled_from(EXPRESSIONS)).format(a=f"t{a}", c=column)
                out = column if draw(st.booleans()) else f"{column}_{draw(st.sampled_from(['x', 'v', 'renamed']))}"
                if out in names:
                    out = f"{out}_{len(names)}"
                names.append(out)
                select.append(f"{expression} AS {out}")
        body = "SELECT\n  " + ",\n  ".join(select) + f"\nFROM {reads[0][0]} AS t0"
        if len(reads) == 2:
            body += f"\nJOIN {reads[1][0]} AS t1 ON 1 = 1"
        if draw(st.booleans()):
            body += f"\nWHERE t0.{reads[0][1][0]} IS NOT NULL"
        kind = draw(st.sampled_from(["view", "table"]))
        entries.append(model_yaml(name, body, kind=kind, layer=draw(st.sampled_from(["silver", "gold"]))))
        outputs[name] = names
        parents[name] = {p for _, _, p in reads if p}
    return models_file(*entries), parents


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@SETTINGS
@given(model_graphs())
def test_random_valid_graphs_compile_parse_order_and_are_deterministic(graph: tuple[str, dict[str, set[str]]]) -> None:
    text, parents = graph
    with tempfile.TemporaryDirectory() as tmp:
        root = fresh_project(Path(tmp) / "p", {"random.yaml": text}, keep=())
        compiled = compile_project(root)
        models = compiled.analysis.models
        assert set(models) == set(parents)
        for name, expected in parents.items():
            assert set(models[name].depends_on) == expected
            for dialect in DIALECTS:
                for statements in models[name].sql[dialect].values():
                    for statement in statements:
                        parsed = sqlglot.parse(statement, read=dialect)
                        assert len(parsed) == 1 and parsed[0] is not None
        order = manifest(compiled)["order"]
        assert sorted(order) == sorted(parents)
        for child, ups in parents.items():
            for parent in ups:
                assert order.index(parent) < order.index(child)
        emit(compiled, Path(tmp) / "a")
        emit(compile_project(root), Path(tmp) / "b")
        assert _tree(Path(tmp) / "a") == _tree(Path(tmp) / "b")


# --- corruptions -------------------------------------------------------------------------

BASE = models_file(
    model_yaml("t_cust", "SELECT customer_id, email FROM {{ ref('stg_customers') }}"),
    model_yaml("t_count", "SELECT COUNT(*) AS n FROM {{ ref('t_cust') }}", kind="view"),
)
MISSPELT_KEYS = ("descripton", "colums", "kindd", "ordr_by", "tagz", "nam")
BAD_KINDS = ("tabel", "viewz", "incremental", "scd", "TABLE")
BROKEN_YAML = ("  - name: [unclosed\n", "\tname: tab\n", "models: {a: 1\n", "  - name: x\n   layer: odd\n", ": :\n")


@st.composite
def corruptions(draw: st.DrawFn) -> tuple[str, str]:
    """(kind of corruption, corrupted gold.yaml text)."""
    kind = draw(
        st.sampled_from(
            [
                "wrong_type",
                "unknown_key",
                "missing_ref",
                "cycle",
                "unknown_column",
                "duplicate",
                "invalid_yaml",
                "unknown_kind",
                "unknown_layer",
            ]
        )
    )
    suffix = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=6))
    text = BASE
    if kind == "wrong_type":
        old, new = draw(
            st.sampled_from(
                [("layer: gold", "layer: [gold]"), ("kind: table", "kind: 5"), ("name: t_cust", "name: {a: 1}")]
            )
        )
        text = text.replace(old, new, 1)
    elif kind == "unknown_key":
        text = text.replace("    layer: gold\n", f"    layer: gold\n    {draw(st.sampled_from(MISSPELT_KEYS))}: x\n", 1)
    elif kind == "missing_ref":
        text = text.replace("ref('t_cust')", f"ref('t_cust_{suffix}')")
    elif kind == "cycle":
        text = text.replace("ref('stg_customers')", "ref('t_count')").replace("COUNT(*) AS n", "customer_id, email")
    elif kind == "unknown_column":
        text = text.replace("customer_id, email", f"customer_id, zz{suffix}")
    elif kind == "duplicate":
        text = text.replace("name: t_count", draw(st.sampled_from(["name: t_cust", "name: stg_customers"])))
    elif kind == "invalid_yaml":
        text += draw(st.sampled_from(BROKEN_YAML))
    elif kind == "unknown_kind":
        text = text.replace("kind: table", f"kind: {draw(st.sampled_from(BAD_KINDS))}", 1)
    else:
        text = text.replace("layer: gold", f"layer: gold_{suffix}", 1)
    return kind, text


@pytest.fixture(scope="module")
def warehouse_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a warehouse file after one successful apply of the base project."""
    root = fresh_project(tmp_path_factory.mktemp("base") / "p", {"gold.yaml": BASE})
    apply_once(root)
    return (root / "warehouse/customer_analytics.duckdb").read_bytes()


@SETTINGS
@given(corruptions(), st.booleans(), st.sampled_from(["compile", "plan", "apply"]))
def test_corruptions_fail_located_with_exit_2_and_execute_nothing(
    warehouse_bytes: bytes, corruption: tuple[str, str], existing_warehouse: bool, command: str
) -> None:
    kind, text = corruption
    with tempfile.TemporaryDirectory() as tmp:
        root = fresh_project(Path(tmp) / "p", {"gold.yaml": text})
        warehouse = root / "warehouse/customer_analytics.duckdb"
        if existing_warehouse:
            warehouse.parent.mkdir(parents=True)
            warehouse.write_bytes(warehouse_bytes)
        with pytest.raises(SpecErrors) as raised:
            compile_project(root)
        for error in raised.value.errors:
            assert error.location.file.startswith("specs/"), (kind, error.render())
            assert error.location.line >= 1 and error.location.col >= 1, (kind, error.render())

        result = CliRunner().invoke(app, [command, "--project-dir", str(root)])
        assert result.exit_code == 2, (kind, result.output)
        assert "Traceback" not in result.output
        found = LOCATED.search(result.output)
        assert found is not None and int(found.group(1)) >= 1, (kind, result.output)
        if existing_warehouse:
            assert warehouse.read_bytes() == warehouse_bytes
            assert sorted(p.name for p in warehouse.parent.iterdir()) == [warehouse.name]
        else:
            assert not warehouse.parent.exists()
        assert not (root / "generated").exists()
        shutil.rmtree(root)
