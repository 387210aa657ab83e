"""Generation fixtures: the small profile once per session, and a fresh project per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gen_support import Generated, make_project, run_generation


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    """The `small` profile, generated once per test session."""
    generated = run_generation(make_project(tmp_path_factory.mktemp("small")), "small")
    yield generated
    generated.adapter.close()


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


@pytest.fixture(scope="session")
def small_spec_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy for tests that only read specs."""
    return make_project(tmp_path_factory.mktemp("specs"))
