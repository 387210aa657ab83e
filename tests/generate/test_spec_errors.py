"""A bad generation spec gives located errors and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from c360_compiler.errors import SpecError, SpecErrors
from c360_compiler.execute.connect import connect
from c360_compiler.generate.run import generate, load_generation_spec
from c360_compiler.load.project import load_project

SPEC = Path("specs") / "generation.yaml"


def edit(root: Path, old: str, new: str, file: Path = SPEC) -> int:
    """Replace the first `old` in a spec file; returns its 1-based line."""
    path = root / file
    text = path.read_text()
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1))
    return line


def errors_of(root: Path, profile: str = "tiny") -> list[SpecError]:
    """Run generate; it must fail with SpecErrors and leave the warehouse without bronze tables."""
    project = load_project(root)
    adapter = connect(project)
    try:
        with pytest.raises(SpecErrors) as caught:
            generate(project, adapter, profile)
        tables = adapter.query("SELECT table_name FROM information_schema.tables", native=True).rows
        assert tables == []
    finally:
        adapter.close()
    return caught.value.errors


def test_the_repo_spec_is_valid() -> None:
    spec = load_generation_spec(load_project(Path(__file__).resolve().parents[2]))
    assert set(spec.profiles) == {"tiny", "small", "full"}
    assert spec.profiles["full"].customers == 50_000 and spec.profiles["full"].transactions == 60_000_000
    assert len(spec.states) == 50


def test_segment_shares_must_sum_to_one(project_root: Path) -> None:
    edit(project_root, "    share: 0.45\n", "    share: 0.55\n")
    line = (project_root / SPEC).read_text().splitlines().index("segments:") + 1
    [error] = errors_of(project_root)
    assert error.location.file == "specs/generation.yaml"
    assert error.location.line == line
    assert error.key_path == "segments"
    assert "sum to 1.1" in error.message and error.expected == "shares that sum to 1"


def test_unknown_category_in_weights_is_located_with_a_suggestion(project_root: Path) -> None:
    line = edit(project_root, "      Airlines: 16\n", "      Airlnes: 16\n")
    [error] = errors_of(project_root)
    assert (error.location.file, error.location.line, error.location.col) == ("specs/generation.yaml", line, 7)
    assert error.key_path == "segments.High-Value Travelers.category_weights.Airlnes"
    assert error.message == "unknown category 'Airlnes'"
    assert error.suggestion == "Airlines"


def test_unknown_profile_suggests_the_closest(project_root: Path) -> None:
    line = (project_root / SPEC).read_text().splitlines().index("profiles:") + 1
    [error] = errors_of(project_root, profile="ful")
    assert (error.location.file, error.location.line) == ("specs/generation.yaml", line)
    assert error.key_path == "profiles"
    assert error.suggestion == "full"
    assert "unknown profile 'ful'" in error.render()


def test_misspelt_key_and_bad_range_are_reported_together(project_root: Path) -> None:
    spend_line = edit(project_root, "    monthly_spend: [1600, 2900]", "    monthly_spnd: [1600, 2900]")
    age_line = edit(project_root, "    age: [22, 45]", "    age: [45, 22]")
    errors = errors_of(project_root)
    by_path = {e.key_path: e for e in errors}
    spnd = by_path["segments.Stable Mid-Spenders.monthly_spnd"]
    assert spnd.location.line == spend_line and spnd.suggestion == "monthly_spend"
    assert by_path["segments.Budget-Conscious.age"].location.line == age_line
    assert "low end above its high end" in by_path["segments.Budget-Conscious.age"].message


def test_unknown_employment_status_in_a_decline_type(project_root: Path) -> None:
    line = edit(project_root, "employment_status: Unemployed,", "employment_status: Unemploye,")
    [error] = errors_of(project_root)
    assert error.location.line == line
    assert error.key_path == "segments.Declining.decline_types.job_loss.employment_status"
    assert error.suggestion == "Unemployed"


def test_bronze_contract_mismatch_points_at_sources_yaml(project_root: Path) -> None:
    sources = Path("specs") / "sources.yaml"
    edit(project_root, "- {name: is_travel,", "- {name: is_trvel,", file=sources)
    errors = errors_of(project_root)
    assert [e.location.file for e in errors] == ["specs/sources.yaml"]
    assert "BRONZE_MERCHANT_CATEGORIES" in errors[0].message and "is_travel" in errors[0].message
