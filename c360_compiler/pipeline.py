"""The compiler pipeline in one place: load -> render -> analyze, plus plan and apply."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from c360_compiler.analysis_cache import AnalysisCache
from c360_compiler.analyze import Analysis, analyze
from c360_compiler.errors import C360RuntimeError, SpecError, SpecErrors, closest
from c360_compiler.execute.apply import ApplyReport, Progress, apply_plan
from c360_compiler.execute.base import EngineAdapter
from c360_compiler.execute.state import StateStore
from c360_compiler.load.project import Project, load_project
from c360_compiler.plan import Plan, make_plan
from c360_compiler.render import Catalog, TemplateEnv, render_models

MISSING = "missing"


@dataclass(frozen=True)
class Compiled:
    """A validated project: specs, relations and analysed models in DAG order."""

    project: Project
    catalog: Catalog
    env: TemplateEnv
    analysis: Analysis


def compile_project(root: Path, *, use_cache: bool = True) -> Compiled:
    """Load, render and analyse; raises SpecErrors with every problem found.

    Models whose inputs did not change since the last compile come from the project's analysis cache.
    """
    project = load_project(root)
    catalog = Catalog(project)
    env = TemplateEnv(project)
    rendered, errors = render_models(project, env, catalog)
    cache = AnalysisCache.for_project(project.root) if use_cache else AnalysisCache.disabled()
    analysis = analyze(project, rendered, catalog, env, cache)
    cache.save()
    errors += analysis.errors
    if errors:
        raise SpecErrors(errors)
    compiled = Compiled(project, catalog, env, analysis)
    from c360_compiler.datatests.build import test_errors  # the tests build on a compiled project

    problems = test_errors(compiled)
    if problems:
        raise SpecErrors(problems)
    return compiled


def select(compiled: Compiled, selectors: list[str] | None) -> set[str] | None:
    """Model names chosen by dbt-style selectors (None = everything)."""
    if not selectors:
        return None
    try:
        return set(compiled.analysis.graph.select(selectors))
    except KeyError as exc:
        name = str(exc.args[0])
        raise SpecErrors(
            [
                SpecError(
                    compiled.project.project_doc.locate(()),
                    f"--select names unknown model '{name}'",
                    expected="a model name, optionally with + before or after",
                    suggestion=closest(name, compiled.analysis.models),
                )
            ]
        ) from None


def plan_changes(
    compiled: Compiled, adapter: EngineAdapter, selectors: list[str] | None = None, full_refresh: bool = False
) -> Plan:
    """What apply would do against this warehouse."""
    store = StateStore(adapter, compiled.project.spec.meta_schema)
    state = store.models()
    existing = {
        name
        for name, m in compiled.analysis.models.items()
        if name in state and adapter.table_exists(m.relation.schema, m.relation.name)
    }
    sources = _source_fingerprints(compiled, adapter, store)
    return make_plan(compiled.analysis, state, sources, existing, select(compiled, selectors), full_refresh)


def apply_changes(
    compiled: Compiled, adapter: EngineAdapter, plan: Plan, progress: Progress | None = None
) -> ApplyReport:
    """Apply `plan` atomically; raises C360RuntimeError naming the failing model."""
    if adapter.read_only:
        raise C360RuntimeError("the warehouse is open read-only")
    _check_sources(compiled, plan)
    return apply_plan(
        plan, compiled.analysis, adapter, StateStore(adapter, compiled.project.spec.meta_schema), progress
    )


def _source_fingerprints(compiled: Compiled, adapter: EngineAdapter, store: StateStore) -> dict[str, str]:
    """Fingerprint per source: what the loader recorded, else the row count, else 'missing'."""
    recorded = store.sources()
    out: dict[str, str] = {}
    for relation in compiled.catalog.sources.values():
        if adapter.table_exists(relation.schema, relation.name):
            rows = adapter.row_count(relation.schema, relation.name)
            out[relation.fqn] = f"{recorded.get(relation.fqn, '')}|rows:{rows}"
        else:
            out[relation.fqn] = MISSING
    return out


def _check_sources(compiled: Compiled, plan: Plan) -> None:
    """Refuse to start when a changed model reads a source table that does not exist."""
    missing = sorted(
        {
            source
            for change in plan.changes
            for source in compiled.analysis.models[change.model].sources
            if plan.sources.get(source) == MISSING
        }
    )
    if missing:
        raise C360RuntimeError(
            f"source table{'s' if len(missing) > 1 else ''} {', '.join(missing)} not found in the warehouse; "
            "load them first (`c360 generate`)"
        )
