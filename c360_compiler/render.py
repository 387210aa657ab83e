"""render: Jinja turns model bodies and kind templates into Snowflake SQL text.

Bodies see `ref('model')`, `source('src', 'TABLE')`, `var('name')` and every macro
under templates/sql/macros/. Kind templates (templates/sql/<kind>.sql.j2) wrap an
analysed body into the statements that materialise it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2

from c360_compiler.errors import Location, SpecError, closest
from c360_compiler.load.project import LoadedModel, Project

TEMPLATES_DIR = "templates"


@dataclass(frozen=True)
class Relation:
    """A table or view the compiler knows: a source table or a model."""

    name: str
    schema: str
    database: str
    kind: str  # "source" or "model"

    @property
    def fqn(self) -> str:
        return f"{self.database}.{self.schema}.{self.name.upper()}"


@dataclass(frozen=True)
class RenderedModel:
    """A model body rendered to plain Snowflake SQL."""

    loaded: LoadedModel
    relation: Relation
    body: str

    @property
    def name(self) -> str:
        return self.loaded.name


class Catalog:
    """Every relation of the project by name: models by model name, sources by (source, table)."""

    def __init__(self, project: Project):
        db = project.spec.database
        self.models = {
            m.name.lower(): Relation(m.name, project.schema_of_layer(m.spec.layer), db, "model") for m in project.models
        }
        self.sources = {
            (s.spec.name.lower(), t.name.lower()): Relation(t.name, project.schema_of_layer(s.spec.layer), db, "source")
            for s in project.sources
            for t in s.spec.tables
        }

    @cached_property
    def by_fqn(self) -> dict[str, Relation]:
        relations = list(self.models.values()) + list(self.sources.values())
        return {r.fqn.upper(): r for r in relations}


class TemplateEnv:
    """The Jinja environment of a project: kind templates plus macros, StrictUndefined."""

    def __init__(self, project: Project):
        self.project = project
        search = [str(project.root / TEMPLATES_DIR)]
        bundled = Path(__file__).resolve().parent.parent / TEMPLATES_DIR
        if bundled.is_dir() and str(bundled) not in search:
            search.append(str(bundled))
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(search),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,
        )
        self.env.globals.update(self._macros())
        as_of = project.spec.as_of_date
        self.context: dict[str, Any] = {
            "project_name": project.spec.name,
            "database": project.spec.database,
            "as_of_date": None if as_of == "latest" else as_of.isoformat(),
        }
        """Values every body sees: `as_of_date` is an ISO date or None for 'latest transaction date'."""

    def _macros(self) -> dict[str, Any]:
        macros: dict[str, Any] = {}
        for name in sorted(self.env.list_templates(filter_func=lambda n: n.startswith("sql/macros/"))):
            module = self.env.get_template(name).module
            macros.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
        return macros

    @cached_property
    def fingerprint(self) -> str:
        """A hash of every SQL template and macro this environment can load."""
        digest = hashlib.sha256()
        loader = self.env.loader
        assert loader is not None
        for name in sorted(self.env.list_templates(filter_func=lambda n: n.startswith("sql/"))):
            source, _filename, _uptodate = loader.get_source(self.env, name)
            digest.update(name.encode() + b"\0" + source.encode() + b"\0")
        digest.update(repr(sorted(self.context.items())).encode())
        return digest.hexdigest()

    def render_kind(self, template: str, **context: Any) -> str:
        """Render `templates/sql/<template>` with `context`."""
        return self.env.get_template(f"sql/{template}").render(**context).strip()

    def from_string(self, text: str) -> jinja2.Template:
        return self.env.from_string(text)


def render_models(project: Project, env: TemplateEnv, catalog: Catalog) -> tuple[list[RenderedModel], list[SpecError]]:
    """Render every model body; unknown refs/sources/vars are located errors."""
    rendered: list[RenderedModel] = []
    errors: list[SpecError] = []
    for model in project.models:
        body, problems = render_body(model, env, catalog, project.spec.vars)
        errors += problems
        if body is not None:
            rendered.append(RenderedModel(model, catalog.models[model.name.lower()], body))
    return rendered, errors


def render_body(
    model: LoadedModel, env: TemplateEnv, catalog: Catalog, variables: dict[str, Any]
) -> tuple[str | None, list[SpecError]]:
    """Render one model body to SQL text."""
    errors: list[SpecError] = []
    sql = model.spec.sql

    def at(pattern: str) -> Location:
        return sql_location(model, sql, pattern)

    def ref(name: str) -> str:
        relation = catalog.models.get(str(name).lower())
        if relation is None:
            errors.append(
                SpecError(
                    at(f"ref\\(\\s*['\"]{re.escape(str(name))}['\"]"),
                    f"ref to unknown model '{name}'",
                    key_path=model.key_path("sql"),
                    expected="a model defined in specs/models",
                    suggestion=closest(str(name), [r.name for r in catalog.models.values()]),
                )
            )
            return f"{catalog_db(catalog)}.UNKNOWN.{name}"
        if relation.name.lower() == model.name.lower():
            errors.append(SpecError(at("ref\\("), f"model '{name}' refers to itself", key_path=model.key_path("sql")))
        return relation.fqn

    def source(source_name: str, table: str) -> str:
        relation = catalog.sources.get((str(source_name).lower(), str(table).lower()))
        if relation is None:
            tables = [f"{s}.{r.name}" for (s, _), r in catalog.sources.items()]
            errors.append(
                SpecError(
                    at(f"source\\(\\s*['\"]{re.escape(str(source_name))}"),
                    f"unknown source table '{source_name}.{table}'",
                    key_path=model.key_path("sql"),
                    expected="a table declared in specs/sources.yaml",
                    suggestion=closest(f"{source_name}.{table}", tables),
                )
            )
            return f"{catalog_db(catalog)}.UNKNOWN.{table}"
        return relation.fqn

    def var(name: str, default: Any = None) -> Any:
        if name in variables:
            return variables[name]
        if default is not None:
            return default
        errors.append(
            SpecError(
                at(f"var\\(\\s*['\"]{re.escape(str(name))}"),
                f"unknown var '{name}'",
                key_path=model.key_path("sql"),
                expected="a key of vars in specs/project.yaml",
                suggestion=closest(str(name), variables),
            )
        )
        return "NULL"

    try:
        text = env.from_string(sql).render(ref=ref, source=source, var=var, **env.context)
    except jinja2.TemplateSyntaxError as exc:
        line = model.sql_first_line + (exc.lineno or 1) - 1
        return None, [
            SpecError(
                Location(model.doc.file, line, 1), f"template error: {exc.message}", key_path=model.key_path("sql")
            )
        ]
    except jinja2.UndefinedError as exc:
        return None, [
            SpecError(
                model.locate("sql"),
                f"template error: {exc.message}",
                key_path=model.key_path("sql"),
                expected="only ref(), source(), var() and macros from templates/sql/macros",
            )
        ]
    except jinja2.TemplateError as exc:
        return None, [SpecError(model.locate("sql"), f"template error: {exc}", key_path=model.key_path("sql"))]
    return (text.strip() if not errors else None), errors


def catalog_db(catalog: Catalog) -> str:
    first = next(iter(catalog.models.values()), None) or next(iter(catalog.sources.values()), None)
    return first.database if first else "DB"


def sql_location(model: LoadedModel, sql: str, pattern: str) -> Location:
    """Location in the YAML file of the first match of `pattern` in the model's SQL body."""
    match = re.search(pattern, sql, flags=re.IGNORECASE)
    if not match:
        return model.locate("sql")
    before = sql[: match.start()]
    line = before.count("\n")
    col = match.start() - (before.rfind("\n") + 1) + 1
    inline = model.doc.inline_cols.get(model.path + ("sql",))
    offset = inline - 1 if inline is not None and line == 0 else _indent(model, line)
    return Location(model.doc.file, model.sql_first_line + line, col + offset)


def _indent(model: LoadedModel, body_line: int) -> int:
    """Indentation of the block scalar holding the SQL (0 for a plain scalar)."""
    lines = model.doc.text.splitlines()
    first = model.sql_first_line - 1
    body = lines[first : first + model.spec.sql.rstrip("\n").count("\n") + 1]
    indents = [len(line) - len(line.lstrip()) for line in body if line.strip()]
    return min(indents) if indents and 0 <= first + body_line < len(lines) else 0
