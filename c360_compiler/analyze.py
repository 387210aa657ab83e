"""analyze: parse, qualify, type-check and transpile every rendered model with sqlglot.

Models are analysed in DAG order so each one is qualified against the column
schemas of its upstream models (derived from their SELECT lists) and sources
(declared in specs/sources.yaml). Problems are located SpecErrors.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, OptimizeError, ParseError, UnsupportedError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from c360_compiler import __version__
from c360_compiler.analysis_cache import AnalysisCache
from c360_compiler.dialects import AUTHORING, DIALECTS
from c360_compiler.errors import Location, SpecError, closest
from c360_compiler.graph import CycleError, Graph
from c360_compiler.lineage import column_lineage
from c360_compiler.load.kinds import KindBase
from c360_compiler.load.project import Project
from c360_compiler.render import Catalog, Relation, RenderedModel, TemplateEnv, sql_location
from c360_compiler.sql_checks import cte_names, kind_errors, qualify_error, type_errors

MODES: tuple[str, ...] = ("full", "incremental")
CACHE_FORMAT = 1
"""Bumped when what an analysis produces changes shape or meaning."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str = ""


@dataclass(frozen=True)
class AnalyzedModel:
    """A model ready to plan and execute: typed columns, lineage, statements per dialect and mode."""

    rendered: RenderedModel
    query_sql: str
    """The qualified body in Snowflake SQL (stored in the warehouse state for change classification)."""
    columns: tuple[Column, ...]
    depends_on: tuple[str, ...]
    sources: tuple[str, ...]
    lineage: dict[str, tuple[str, ...]]
    sql: dict[str, dict[str, tuple[str, ...]]]
    """Statement texts per dialect and mode (`full`, `incremental`)."""
    spec_hash: str
    sql_hash: str

    @cached_property
    def query(self) -> exp.Query:
        """The qualified body as a sqlglot AST."""
        return sqlglot.parse_one(self.query_sql, dialect=AUTHORING)  # type: ignore[return-value]

    @cached_property
    def statements(self) -> dict[str, tuple[exp.Expression, ...]]:
        """Statement ASTs in Snowflake SQL per mode (engines without transactional DDL rewrite these)."""
        return {
            mode: tuple(sqlglot.parse_one(text, dialect=AUTHORING) for text in texts)
            for mode, texts in self.sql[AUTHORING].items()
        }

    @property
    def name(self) -> str:
        return self.rendered.name

    @property
    def relation(self) -> Relation:
        return self.rendered.relation

    @property
    def kind(self) -> KindBase:
        return self.rendered.loaded.spec.kind


@dataclass
class Analysis:
    """Result of analysing a project: models in DAG order plus the graph."""

    models: dict[str, AnalyzedModel] = field(default_factory=dict)
    graph: Graph = field(default_factory=Graph)
    errors: list[SpecError] = field(default_factory=list)


@cache
def duckdb_functions() -> frozenset[str]:
    """Names of every function DuckDB knows (scalar, aggregate, macro, table)."""
    import duckdb

    with duckdb.connect(":memory:") as conn:
        rows = conn.execute("SELECT DISTINCT lower(function_name) FROM duckdb_functions()").fetchall()
    return frozenset(r[0] for r in rows)


def analyze(
    project: Project,
    rendered: list[RenderedModel],
    catalog: Catalog,
    env: TemplateEnv,
    cache: AnalysisCache | None = None,
) -> Analysis:
    """Parse all bodies, build the DAG, then qualify and transpile model by model in order.

    Models whose inputs are unchanged since a previous compile come from `cache`.
    """
    cache = cache or AnalysisCache.disabled()
    result = Analysis()
    parsed: dict[str, exp.Query] = {}
    reads: dict[str, list[Relation]] = {}
    by_name = {r.name: r for r in rendered}
    for model in rendered:
        result.graph.add_node(model.name)
        query, problems = _parse_body(model)
        result.errors += problems
        if query is None:
            continue
        parsed[model.name] = query
        deps, problems = _dependencies(model, query, catalog)
        reads[model.name] = deps
        result.errors += problems
        for dep in deps:
            if dep.kind == "model":
                result.graph.add_edge(dep.name, model.name)
    try:
        order = result.graph.order()
    except CycleError as cycle:
        first = by_name[cycle.path[0]].loaded
        result.errors.append(
            SpecError(
                first.locate("sql"),
                f"dependency cycle: {' -> '.join(cycle.path)}",
                key_path=first.key_path("sql"),
                expected="models that form a DAG",
            )
        )
        return result

    schema: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for source in project.sources:
        schema_name = project.schema_of_layer(source.spec.layer)
        for table in source.spec.tables:
            schema.setdefault(project.spec.database, {}).setdefault(schema_name, {})[table.name.upper()] = {
                c.name.upper(): str(c.type) for c in table.columns
            }
    mapping = MappingSchema(schema, dialect=AUTHORING, normalize=False)  # names are upper-cased already
    for name in order:
        if name not in parsed:
            continue
        model = by_name[name]
        if any(dep not in result.models for dep in result.graph.parents(name)):
            continue  # an upstream model failed; its errors are already reported
        key = _cache_key(model, reads[name], mapping, env)
        entry = cache.get(key)
        if entry is None:
            entry, problems = _analyze_model(model, parsed[name], mapping, env)
            if entry is not None:
                cache.put(key, entry)
        else:
            problems = []
        analyzed = _assemble(model, entry, reads[name], result.graph.parents(name)) if entry else None
        result.errors += problems
        if analyzed is not None:
            result.models[name] = analyzed
            columns = {c.name.upper(): c.type for c in analyzed.columns}
            mapping.add_table(exp.to_table(analyzed.relation.fqn), columns, dialect=AUTHORING)
    return result


def _parse_body(model: RenderedModel) -> tuple[exp.Query | None, list[SpecError]]:
    loaded = model.loaded
    try:
        statements = [s for s in sqlglot.parse(model.body, dialect=AUTHORING) if s is not None]
    except ParseError as exc:
        detail = exc.errors[0] if exc.errors else {}
        line = loaded.sql_first_line + int(detail.get("line", 1) or 1) - 1
        message = str(detail.get("description", exc)).strip()
        return None, [
            SpecError(
                Location(loaded.doc.file, line, int(detail.get("col", 1) or 1)),
                f"SQL syntax error: {message}",
                key_path=loaded.key_path("sql"),
                excerpt=str(detail.get("highlight", "")),
            )
        ]
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        return None, [
            SpecError(
                loaded.locate("sql"),
                "the sql of a model must be exactly one SELECT",
                key_path=loaded.key_path("sql"),
                expected="a single SELECT (WITH ... allowed)",
            )
        ]
    return statements[0], []


def _dependencies(model: RenderedModel, query: exp.Query, catalog: Catalog) -> tuple[list[Relation], list[SpecError]]:
    """Relations a body reads; a table that is neither a model, a source nor a CTE is an error."""
    ctes = cte_names(query)
    deps: dict[str, Relation] = {}
    errors: list[SpecError] = []
    for table in query.find_all(exp.Table):
        if not table.name or isinstance(table.this, exp.Func) or table.find_ancestor(exp.Lateral):
            continue
        if not table.db and table.name.upper() in ctes:
            continue
        fqn = ".".join(p for p in (table.catalog, table.db, table.name) if p).upper()
        relation = catalog.by_fqn.get(fqn)
        if relation is None:
            candidates = [r.name for r in catalog.models.values()] + [r.name for r in catalog.sources.values()]
            suggestion = closest(table.name, candidates)
            errors.append(
                SpecError(
                    sql_location(model.loaded, model.loaded.spec.sql, rf"\b{re.escape(table.name)}\b"),
                    f"unknown table '{fqn}'",
                    key_path=model.loaded.key_path("sql"),
                    expected="{{ ref('model') }} or {{ source('source', 'TABLE') }}",
                    suggestion=suggestion,
                )
            )
            continue
        deps[relation.fqn] = relation
    return list(deps.values()), errors


def _cache_key(model: RenderedModel, reads: list[Relation], mapping: MappingSchema, env: TemplateEnv) -> str:
    """Everything an analysis depends on, hashed: change any of it and the model is analysed again."""
    spec = model.loaded.spec
    payload = {
        "format": CACHE_FORMAT,
        "versions": [__version__, sqlglot.__version__, _duckdb_version()],
        "this": model.relation.fqn,
        "body": model.body,
        "spec": spec.model_dump(mode="json"),
        "reads": {r.fqn: mapping.find(exp.to_table(r.fqn)) for r in sorted(reads, key=lambda r: r.fqn)},
        "templates": env.fingerprint,
        "kind_inputs": spec.kind.cache_inputs(env.project),
    }
    return _digest(payload)


@cache
def _duckdb_version() -> str:
    """The installed DuckDB (its function list decides what compiles), read without importing it."""
    return importlib.metadata.version("duckdb")


def _assemble(model: RenderedModel, entry: dict[str, Any], reads: list[Relation], parents: list[str]) -> AnalyzedModel:
    """An AnalyzedModel from an analysis result (fresh or cached)."""
    sql = {d: {m: tuple(t) for m, t in modes.items()} for d, modes in entry["sql"].items()}
    return AnalyzedModel(
        rendered=model,
        query_sql=entry["query_sql"],
        columns=tuple(Column(*c) for c in entry["columns"]),
        depends_on=tuple(parents),
        sources=tuple(sorted(r.fqn for r in reads if r.kind == "source")),
        lineage={k: tuple(v) for k, v in entry["lineage"].items()},
        sql=sql,
        spec_hash=_hash(model.loaded.spec.model_dump(mode="json")),
        sql_hash=_hash({m: list(t) for m, t in sql[AUTHORING].items()}),
    )


def _analyze_model(
    model: RenderedModel,
    query: exp.Query,
    mapping: MappingSchema,
    env: TemplateEnv,
) -> tuple[dict[str, Any] | None, list[SpecError]]:
    """Qualify, type and check one model (its parsed body is qualified in place), then render and transpile
    its statements. Returns a JSON-able result (the cache entry) or the errors found."""
    loaded = model.loaded
    spec = loaded.spec
    try:
        qualified = qualify(
            query,
            schema=mapping,
            dialect=AUTHORING,
            validate_qualify_columns=True,
            identify=False,
            quote_identifiers=False,
        )
    except OptimizeError as exc:
        original = sqlglot.parse_one(model.body, dialect=AUTHORING)  # qualify may have half-rewritten `query`
        return None, [qualify_error(model, original, mapping, str(exc))]
    typed = annotate_types(qualified, schema=mapping, dialect=AUTHORING)

    errors: list[SpecError] = []
    columns: list[Column] = []
    seen: set[str] = set()
    descriptions = {c.name.lower(): c.description for c in spec.columns}
    for projection in typed.selects:
        name = projection.alias_or_name.lower()
        if name in seen:
            errors.append(
                SpecError(
                    sql_location(loaded, spec.sql, rf"\b{re.escape(name)}\b"),
                    f"duplicate output column '{name}'",
                    key_path=loaded.key_path("sql"),
                    expected="unique column names in the SELECT list",
                )
            )
        seen.add(name)
        dtype = projection.type.sql(AUTHORING) if projection.type else "UNKNOWN"
        columns.append(Column(name, dtype, descriptions.get(name, "")))
    body_columns = columns
    errors += kind_errors(model, seen)
    # Kinds may add or rename columns (scd2 validity columns, the segment column).
    columns = [
        Column(n, t, descriptions.get(n, "")) for n, t in spec.kind.output_columns([(c.name, c.type) for c in columns])
    ]
    seen = {c.name for c in columns}
    for i, col in enumerate(spec.columns):
        if col.name.lower() not in seen:
            errors.append(
                SpecError(
                    loaded.locate("columns", i, "name"),
                    f"column '{col.name}' is documented but the SQL does not produce it",
                    key_path=loaded.key_path("columns", i, "name"),
                    expected="one of " + ", ".join(sorted(seen)),
                    suggestion=closest(col.name, seen),
                )
            )
    for key in spec.order_by:
        if key.lower() not in seen:
            errors.append(
                SpecError(
                    loaded.locate("order_by"),
                    f"order_by column '{key}' is not an output column",
                    key_path=loaded.key_path("order_by"),
                    suggestion=closest(key, seen),
                )
            )
    errors += type_errors(model, typed)
    if errors:
        return None, errors

    statements, problems = _statements(model, qualified, body_columns, env)
    if problems:
        return None, problems
    sql: dict[str, dict[str, tuple[str, ...]]] = {}
    for dialect in DIALECTS:
        sql[dialect] = {}
        for mode, stmts in statements.items():
            texts, problems = _transpile(model, stmts, dialect)
            errors += problems
            sql[dialect][mode] = texts
    if errors:
        return None, errors

    return {
        "query_sql": qualified.sql(AUTHORING),
        "columns": [[c.name, c.type, c.description] for c in columns],
        "lineage": column_lineage(qualified),
        "sql": {d: {m: list(t) for m, t in modes.items()} for d, modes in sql.items()},
    }, []


def _statements(
    model: RenderedModel, qualified: exp.Query, body_columns: list[Column], env: TemplateEnv
) -> tuple[dict[str, tuple[exp.Expression, ...]], list[SpecError]]:
    """Render the kind template for each mode and parse the resulting statements."""
    spec = model.loaded.spec
    kind = spec.kind
    columns = [c.name for c in body_columns]
    modes = MODES if kind.incremental else ("full",)
    out: dict[str, tuple[exp.Expression, ...]] = {}
    extra, problems = kind.template_context(env.project, [(c.name, c.type) for c in body_columns])
    if problems:
        return {}, problems
    for mode in modes:
        text = env.render_kind(
            f"{kind.name}.sql.j2",
            this=model.relation.fqn,
            body=qualified.sql(AUTHORING),
            columns=[c.upper() for c in columns],
            kind=kind,
            order_by=[c.upper() for c in spec.order_by],
            mode=mode,
            **extra,
        )
        try:
            parsed = [s for s in sqlglot.parse(text, dialect=AUTHORING) if s is not None]
        except ParseError as exc:
            return {}, [
                SpecError(
                    model.loaded.locate("kind"),
                    f"kind template {kind.name} produced invalid SQL: {exc}",
                    key_path=model.loaded.key_path("kind"),
                )
            ]
        out[mode] = tuple(parsed)
    return out, []


def _transpile(
    model: RenderedModel, statements: tuple[exp.Expression, ...], dialect: str
) -> tuple[tuple[str, ...], list[SpecError]]:
    loaded = model.loaded
    texts: list[str] = []
    errors: list[SpecError] = []
    for statement in statements:
        try:
            texts.append(statement.sql(dialect=dialect, pretty=True, unsupported_level=ErrorLevel.RAISE))
        except UnsupportedError as exc:
            errors.append(
                SpecError(
                    loaded.locate("sql"),
                    f"cannot translate to {dialect}: {exc}",
                    key_path=loaded.key_path("sql"),
                    expected=f"SQL that {dialect} supports",
                )
            )
            continue
        if dialect == "duckdb":
            known = duckdb_functions()
            for func in statement.find_all(exp.Anonymous):
                if str(func.this).lower() not in known:
                    errors.append(
                        SpecError(
                            sql_location(loaded, loaded.spec.sql, rf"\b{re.escape(str(func.this))}\s*\("),
                            f"function {str(func.this).upper()} has no DuckDB translation",
                            key_path=loaded.key_path("sql"),
                            expected="a function sqlglot translates (see the DuckDB function list)",
                        )
                    )
    return tuple(texts), errors


def _digest(payload: Any) -> str:
    """SHA-256 of a JSON-able payload with sorted keys."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _hash(payload: Any) -> str:
    """The short hash shown in the manifest and stored as model state."""
    return _digest(payload)[:16]
