"""plan: compare the compiled project with the warehouse's stored state.

Each selected model gets an action: `create` (new), `rebuild` (its SQL changed, an
upstream table was rebuilt, or its source data changed), `incremental` (an
incremental model whose inputs changed), or nothing. Removed models are dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from c360_compiler.analyze import AUTHORING, Analysis, AnalyzedModel
from c360_compiler.execute.state import ModelState


@dataclass(frozen=True)
class Change:
    """What apply will do to one model and why."""

    model: str
    action: str  # create | rebuild | incremental
    reason: str
    category: str = ""  # breaking | non-breaking for SQL changes
    added_columns: tuple[str, ...] = ()
    removed_columns: tuple[str, ...] = ()

    @property
    def mode(self) -> str:
        return "incremental" if self.action == "incremental" else "full"

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "action": self.action,
            "reason": self.reason,
            "category": self.category,
            "added_columns": list(self.added_columns),
            "removed_columns": list(self.removed_columns),
        }


@dataclass(frozen=True)
class Removal:
    model: str
    schema: str
    materialization: str


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    removed: tuple[Removal, ...] = ()
    fingerprints: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.changes and not self.removed

    def to_dict(self) -> dict[str, object]:
        return {
            "changes": [c.to_dict() for c in self.changes],
            "removed": [r.model for r in self.removed],
            "empty": self.is_empty,
        }


def input_fingerprints(analysis: Analysis, sources: dict[str, str]) -> dict[str, str]:
    """Per model, a hash over the data fingerprints of every source it reads (transitively)."""
    out: dict[str, str] = {}
    for name in analysis.graph.order():
        model = analysis.models.get(name)
        if model is None:
            continue
        parts = [f"{s}={sources.get(s, '')}" for s in model.sources]
        parts += [f"{p}={out.get(p, '')}" for p in model.depends_on]
        out[name] = hashlib.sha256("|".join(sorted(parts)).encode()).hexdigest()[:16]
    return out


def make_plan(
    analysis: Analysis,
    state: dict[str, ModelState],
    sources: dict[str, str],
    existing: set[str],
    selected: set[str] | None = None,
    full_refresh: bool = False,
) -> Plan:
    """Decide what apply must do; `existing` names the models whose relation exists in the warehouse."""
    fingerprints = input_fingerprints(analysis, sources)
    changes: list[Change] = []
    rebuilt: set[str] = set()
    for name in analysis.graph.order():
        model = analysis.models.get(name)
        if model is None or (selected is not None and name not in selected):
            continue
        change = _decide(model, state.get(name), fingerprints[name], rebuilt, name in existing, full_refresh)
        if change is not None:
            changes.append(change)
            rebuilt.add(name)
        elif model.kind.materialization == "view" and set(model.depends_on) & rebuilt:
            rebuilt.add(name)  # an unchanged view passes its inputs' changes on to the tables that read it
    removed = tuple(
        Removal(s.model, s.schema_name, s.materialization)
        for s in sorted(state.values(), key=lambda s: s.model)
        if s.model not in analysis.models and selected is None
    )
    return Plan(tuple(changes), removed, fingerprints, dict(sources))


def _decide(
    model: AnalyzedModel, old: ModelState | None, fingerprint: str, rebuilt: set[str], exists: bool, full_refresh: bool
) -> Change | None:
    name = model.name
    incremental = model.kind.incremental
    if old is None or not exists:
        return Change(name, "create", "new model" if old is None else "missing in the warehouse")
    # Kinds that keep history (scd2) never drop their table: every rebuild is an incremental merge.
    rebuild = "incremental" if model.kind.keeps_history else "rebuild"
    if full_refresh:
        return Change(name, rebuild, "full refresh requested")
    if old.sql_hash != model.sql_hash or old.materialization != model.kind.materialization:
        category, added, removed = classify_change(old, model)
        return Change(name, rebuild, "definition changed", category, added, removed)
    upstream = sorted(set(model.depends_on) & rebuilt)
    if model.kind.materialization == "view":
        return None  # views read their inputs live
    if upstream:
        return Change(name, "incremental" if incremental else "rebuild", "upstream rebuilt: " + ", ".join(upstream))
    if old.input_fingerprint != fingerprint:
        return Change(name, "incremental" if incremental else "rebuild", "source data changed")
    return None


def classify_change(old: ModelState, new: AnalyzedModel) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """`non-breaking` when the new query only adds output columns to the old one, else `breaking`."""
    new_columns = [c.name for c in new.columns]
    added = tuple(c for c in new_columns if c not in old.columns)
    removed = tuple(c for c in old.columns if c not in new_columns)
    if removed or not added:
        return "breaking", added, removed
    try:
        old_query = sqlglot.parse_one(old.query_sql, dialect=AUTHORING)
    except ParseError:
        return "breaking", added, removed
    trimmed = new.query.copy()
    if not isinstance(trimmed, exp.Select):
        return "breaking", added, removed
    keep = [p for p in trimmed.expressions if p.alias_or_name.lower() not in added]
    trimmed.set("expressions", keep)
    same = trimmed.sql(AUTHORING) == old_query.sql(AUTHORING)
    return ("non-breaking" if same else "breaking"), added, removed
