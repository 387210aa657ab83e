"""Open an adapter for a project target; drivers are imported only when used."""

from __future__ import annotations

from c360_compiler.errors import C360RuntimeError, SpecError, SpecErrors, closest
from c360_compiler.execute.base import EngineAdapter
from c360_compiler.load.project import Project
from c360_compiler.load.specs import DuckDBTarget, SnowflakeTarget, Target


def resolve_target(project: Project, name: str | None) -> tuple[str, Target]:
    """The target called `name` (default: the project's default target)."""
    chosen = name or project.spec.default_target
    targets = project.spec.targets
    if chosen not in targets:
        raise SpecErrors(
            [
                SpecError(
                    project.project_doc.locate(("targets",)),
                    f"unknown target '{chosen}'",
                    key_path="targets",
                    expected="one of " + ", ".join(sorted(targets)),
                    suggestion=closest(chosen, targets),
                )
            ]
        )
    return chosen, targets[chosen]


def connect(project: Project, target_name: str | None = None, *, read_only: bool = False) -> EngineAdapter:
    """An adapter connected to the target's warehouse."""
    _, target = resolve_target(project, target_name)
    if isinstance(target, DuckDBTarget):
        from c360_compiler.execute.duckdb_adapter import DuckDBAdapter

        return DuckDBAdapter(
            project.root / target.path,
            project.spec.database,
            threads=target.threads,
            memory_limit=target.memory_limit,
            read_only=read_only,
        )
    if isinstance(target, SnowflakeTarget):
        from c360_compiler.execute.snowflake_adapter import SnowflakeAdapter

        return SnowflakeAdapter.from_target(target, project.spec.database, read_only=read_only)
    raise C360RuntimeError(f"no adapter for target type {type(target).__name__}")
