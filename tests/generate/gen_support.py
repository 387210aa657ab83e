"""Helpers for the generation tests: temp projects (a copy of the repo's specs) with a DuckDB warehouse."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from c360_compiler.execute.base import EngineAdapter
from c360_compiler.execute.connect import connect
from c360_compiler.generate.run import GenerationReport, generate, load_generation_spec
from c360_compiler.generate.spec import GenerationSpec
from c360_compiler.load.project import Project, load_project

REPO = Path(__file__).resolve().parents[2]


def make_project(dest: Path) -> Path:
    """A project root holding a copy of the repo's specs and templates; the warehouse lands under it."""
    shutil.copytree(REPO / "specs", dest / "specs")
    shutil.copytree(REPO / "templates", dest / "templates")
    return dest


@dataclass
class Generated:
    project: Project
    adapter: EngineAdapter
    spec: GenerationSpec
    report: GenerationReport

    def rows(self, sql: str) -> list[tuple]:
        return self.adapter.query(sql, native=True).rows

    def scalar(self, sql: str) -> object:
        return self.adapter.query(sql, native=True).scalar()


def run_generation(root: Path, profile: str, seed: int | None = None) -> Generated:
    project = load_project(root)
    adapter = connect(project)
    report = generate(project, adapter, profile, seed)
    return Generated(project, adapter, load_generation_spec(project), report)
