"""specs/segments.yaml: ordered segment rules over declared metrics, validated at compile time.

A `segments` model (kind `segments`) selects one row per customer with the metric columns;
the rules file names the metrics the rules may read and the rules themselves. Each rule is a
boolean SQL expression (Snowflake syntax) over those metrics; the first rule that holds names
the segment, rows matching none get the default. Every problem is a located error in the rules
file: unknown keys, a rule reading an undeclared metric (with "did you mean"), a declared metric
the model does not produce, SQL that does not parse, an expression that is not boolean.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlglot
from pydantic import Field, model_validator
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.optimizer.annotate_types import annotate_types

from c360_compiler.errors import ErrorCollector, Location, SpecError, closest
from c360_compiler.load.base import StrictModel

if TYPE_CHECKING:
    from c360_compiler.load.project import Project
    from c360_compiler.load.yaml_source import YamlDocument

AUTHORING = "snowflake"
METRICS_TABLE = "metrics"


class Share(StrictModel):
    """Expected share of customers in a segment (0..1); the distribution data test checks it."""

    min: float = Field(default=0.0, ge=0, le=1)
    max: float = Field(default=1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Share:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class Metric(StrictModel):
    """A column of the segments model that rules may read."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    description: str = ""


class SegmentRule(StrictModel):
    """A named segment and the boolean condition that puts a customer in it."""

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    when: str = Field(min_length=1, description="Boolean SQL over the declared metrics.")
    expected_share: Share | None = None


class DefaultSegment(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    expected_share: Share | None = None


class SegmentsFile(StrictModel):
    """specs/segments.yaml."""

    metrics: list[Metric] = Field(min_length=1, description="Model columns the rules may read.")
    segments: list[SegmentRule] = Field(min_length=1, description="Rules in priority order: first match wins.")
    default: DefaultSegment = Field(description="Segment of customers no rule matches.")


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its condition as validated Snowflake SQL."""

    name: str
    condition: str
    expected_share: Share | None


@dataclass(frozen=True)
class Segmentation:
    """Validated rules, ready for the segments kind template and the distribution test."""

    rules: tuple[CompiledRule, ...]
    default: str
    default_share: Share | None

    def shares(self) -> dict[str, Share]:
        """Expected share per segment name (only the declared ones)."""
        out = {r.name: r.expected_share for r in self.rules if r.expected_share is not None}
        if self.default_share is not None:
            out[self.default] = self.default_share
        return out


def load_segmentation(
    project: Project, rules_file: str, columns: list[tuple[str, str]]
) -> tuple[Segmentation | None, list[SpecError]]:
    """Read and validate `specs/<rules_file>` against the model's output (name, type) columns."""
    from c360_compiler.load.project import load_spec_file

    errors = ErrorCollector()
    spec, doc = load_spec_file(Path(project.root), rules_file, SegmentsFile, errors)
    if spec is None or doc is None:
        return None, list(errors.errors)
    problems = _check(spec, doc, columns)
    if problems:
        return None, problems
    rules = tuple(
        CompiledRule(r.name, _parse(r.when).sql(AUTHORING), r.expected_share)  # type: ignore[union-attr]
        for r in spec.segments
    )
    return Segmentation(rules, spec.default.name, spec.default.expected_share), []


def _parse(text: str) -> exp.Expression | None:
    try:
        return sqlglot.parse_one(text, dialect=AUTHORING, into=exp.Condition)
    except ParseError:
        try:
            return sqlglot.parse_one(text, dialect=AUTHORING)
        except ParseError:
            return None


def _check(spec: SegmentsFile, doc: YamlDocument, columns: list[tuple[str, str]]) -> list[SpecError]:
    problems: list[SpecError] = []
    types = {name.lower(): dtype for name, dtype in columns}
    declared: dict[str, str] = {}
    for i, metric in enumerate(spec.metrics):
        name = metric.name.lower()
        if name not in types:
            problems.append(
                SpecError(
                    doc.locate(("metrics", i, "name")),
                    f"metric '{metric.name}' is not a column of the segments model",
                    key_path=f"metrics[{i}].name",
                    expected="one of " + ", ".join(sorted(types)),
                    suggestion=closest(name, types),
                )
            )
            continue
        declared[name] = types[name]
    seen: set[str] = set()
    for i, rule in enumerate(spec.segments):
        where = doc.locate(("segments", i, "when"))
        key_path = f"segments[{i}].when"
        if rule.name in seen or rule.name == spec.default.name:
            problems.append(
                SpecError(
                    doc.locate(("segments", i, "name")),
                    f"segment '{rule.name}' is declared twice",
                    key_path=f"segments[{i}].name",
                    expected="unique segment names (the default included)",
                )
            )
        seen.add(rule.name)
        problems += _check_rule(rule.when, declared, where, key_path)
    return problems


def _check_rule(text: str, metrics: dict[str, str], where: Location, key_path: str) -> list[SpecError]:
    condition = _parse(text)
    if condition is None or isinstance(condition, exp.Query) or condition.find(exp.Query):
        return [
            SpecError(
                where,
                f"'{text}' is not a SQL expression",
                key_path=key_path,
                expected="a boolean SQL expression over the metrics, e.g. tenure_months < 6",
            )
        ]
    problems: list[SpecError] = []
    for column in condition.find_all(exp.Column):
        name = column.name.lower()
        if column.table or name not in metrics:
            problems.append(
                SpecError(
                    where,
                    f"unknown metric '{column.sql(AUTHORING)}' in rule '{text}'",
                    key_path=key_path,
                    expected="one of the declared metrics: " + ", ".join(sorted(metrics)),
                    suggestion=closest(name, metrics),
                )
            )
    if problems:
        return problems
    select = exp.select(exp.alias_(condition.copy(), "rule_value")).from_(METRICS_TABLE)
    typed = annotate_types(select, schema={METRICS_TABLE: metrics}, dialect=AUTHORING)
    value = typed.selects[0].this
    dtype = value.type
    if dtype is None or not dtype.is_type(exp.DataType.Type.BOOLEAN):
        shown = dtype.sql(AUTHORING) if dtype is not None else "of unknown type"
        return [
            SpecError(
                where,
                f"rule '{text}' is {shown}, not boolean",
                key_path=key_path,
                expected="a condition (comparison, AND/OR/NOT, IS NULL, IN, BETWEEN) over the metrics",
            )
        ]
    return []
