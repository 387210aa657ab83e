"""Load a whole project: specs/project.yaml, specs/sources.yaml and specs/models/*.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from c360_compiler.errors import ErrorCollector, Location, SpecError, closest, relative
from c360_compiler.generate.spec import GenerationSpec
from c360_compiler.load.specs import ModelsFile, ModelSpec, ProjectSpec, SourcesFile, SourceSpec
from c360_compiler.load.validation import validate
from c360_compiler.load.yaml_source import KeyPath, YamlDocument, format_path, read_yaml
from c360_compiler.segments import SegmentsFile

SPECS_DIR = "specs"

SPEC_FILES: dict[str, type[BaseModel]] = {
    "project.yaml": ProjectSpec,
    "sources.yaml": SourcesFile,
    "models/*.yaml": ModelsFile,
    "generation.yaml": GenerationSpec,
    "segments.yaml": SegmentsFile,
}
"""Spec file patterns (under specs/) and the model each validates as; `c360 schema` writes one JSON Schema each."""

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Located:
    """A spec object with the document and key path it came from."""

    doc: YamlDocument
    path: KeyPath

    def locate(self, *sub: str | int) -> Location:
        return self.doc.locate(self.path + sub)

    def key_path(self, *sub: str | int) -> str:
        return format_path(self.path + sub)


@dataclass(frozen=True)
class LoadedModel(Located):
    spec: ModelSpec

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def sql_first_line(self) -> int:
        """Line of the YAML file where the SQL body starts."""
        return self.doc.body_line(self.path + ("sql",))


@dataclass(frozen=True)
class LoadedSource(Located):
    spec: SourceSpec


@dataclass(frozen=True)
class Project:
    """Everything the specs declare, validated; the input to render."""

    root: Path
    spec: ProjectSpec
    project_doc: YamlDocument
    sources: tuple[LoadedSource, ...]
    models: tuple[LoadedModel, ...]

    def model(self, name: str) -> LoadedModel:
        return next(m for m in self.models if m.name == name)

    def schema_of_layer(self, layer: str) -> str:
        return getattr(self.spec.layers, layer)

    @property
    def specs_dir(self) -> Path:
        return self.root / SPECS_DIR


def load_spec_file(
    root: Path, name: str, model: type[M], errors: ErrorCollector
) -> tuple[M | None, YamlDocument | None]:
    """Read and validate one spec file under specs/; problems go to `errors`."""
    path = root / SPECS_DIR / name
    doc, problems = read_yaml(path, relative(path, root))
    errors.extend(problems)
    if doc is None:
        return None, None
    if doc.data is None or not isinstance(doc.data, dict):
        errors.add(SpecError(doc.locate(()), "the file must hold a mapping of keys", expected="a YAML mapping"))
        return None, doc
    spec, problems = validate(model, doc)
    errors.extend(problems)
    return spec, doc


def load_project(root: Path) -> Project:
    """Load and validate every spec; raises SpecErrors listing all problems at once."""
    root = root.resolve()
    errors = ErrorCollector()
    if not (root / SPECS_DIR / "project.yaml").is_file():
        errors.add(
            SpecError(
                Location(f"{SPECS_DIR}/project.yaml"), f"no project found under {root}", expected="specs/project.yaml"
            )
        )
        errors.raise_if_any()
    project, project_doc = load_spec_file(root, "project.yaml", ProjectSpec, errors)

    sources: list[LoadedSource] = []
    if (root / SPECS_DIR / "sources.yaml").is_file():
        sources_file, doc = load_spec_file(root, "sources.yaml", SourcesFile, errors)
        if sources_file and doc:
            sources = [LoadedSource(doc, ("sources", i), s) for i, s in enumerate(sources_file.sources)]

    models: list[LoadedModel] = []
    for path in sorted((root / SPECS_DIR / "models").glob("*.yaml")):
        models_file, doc = load_spec_file(root, f"models/{path.name}", ModelsFile, errors)
        if models_file and doc:
            models += [LoadedModel(doc, ("models", i), m) for i, m in enumerate(models_file.models)]

    if project is not None and project_doc is not None:
        errors.extend(_check_project(project, project_doc))
        errors.extend(_cross_check(project, sources, models))
    errors.raise_if_any()
    assert project is not None and project_doc is not None
    return Project(root, project, project_doc, tuple(sources), tuple(models))


def _check_project(project: ProjectSpec, doc: YamlDocument) -> list[SpecError]:
    """Checks inside project.yaml that need more than one key."""
    if project.default_target in project.targets:
        return []
    return [
        SpecError(
            doc.locate(("default_target",)),
            f"unknown default_target '{project.default_target}'",
            key_path="default_target",
            expected="one of " + ", ".join(sorted(project.targets)),
            suggestion=closest(project.default_target, project.targets),
        )
    ]


def _cross_check(project: ProjectSpec, sources: list[LoadedSource], models: list[LoadedModel]) -> list[SpecError]:
    """Checks that span files: unique names, known layers."""
    problems: list[SpecError] = []
    layers = list(type(project.layers).model_fields)
    seen: dict[str, LoadedModel] = {}
    for m in models:
        key = m.name.lower()
        if key in seen:
            first = seen[key]
            problems.append(
                SpecError(
                    m.locate("name"),
                    f"duplicate model name '{m.name}' (first defined at {first.locate('name')})",
                    key_path=m.key_path("name"),
                    expected="a name used once across specs/models",
                )
            )
        else:
            seen[key] = m
        if m.spec.layer not in layers:
            problems.append(
                SpecError(
                    m.locate("layer"),
                    f"unknown layer '{m.spec.layer}'",
                    key_path=m.key_path("layer"),
                    expected="one of " + ", ".join(layers),
                    suggestion=closest(m.spec.layer, layers),
                )
            )
        col_seen: set[str] = set()
        for i, col in enumerate(m.spec.columns):
            if col.name.lower() in col_seen:
                problems.append(
                    SpecError(
                        m.locate("columns", i, "name"),
                        f"duplicate column '{col.name}'",
                        key_path=m.key_path("columns", i, "name"),
                    )
                )
            col_seen.add(col.name.lower())
    source_names: set[str] = set()
    for s in sources:
        if s.spec.name.lower() in source_names:
            problems.append(
                SpecError(s.locate("name"), f"duplicate source name '{s.spec.name}'", key_path=s.key_path("name"))
            )
        source_names.add(s.spec.name.lower())
        if s.spec.layer not in layers:
            problems.append(
                SpecError(
                    s.locate("layer"),
                    f"unknown layer '{s.spec.layer}'",
                    key_path=s.key_path("layer"),
                    expected="one of " + ", ".join(layers),
                    suggestion=closest(s.spec.layer, layers),
                )
            )
    return problems
