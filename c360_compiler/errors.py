"""Errors as data: every user-facing problem carries its location first, its text second."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A position in a spec file (1-based line and column)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class SpecError:
    """One problem found in the specs."""

    location: Location
    message: str
    key_path: str = ""
    expected: str = ""
    suggestion: str = ""
    excerpt: str = ""

    def render(self, root: Path | None = None) -> str:
        """One line of text, plus the source line with a caret when `root` holds the file."""
        head = f"{self.location}: "
        if self.key_path:
            head += f"{self.key_path}: "
        text = head + self.message
        if self.expected:
            text += f" (expected {self.expected})"
        if self.suggestion:
            text += f" Did you mean '{self.suggestion}'?"
        excerpt = self.excerpt or (source_excerpt(root / self.location.file, self.location) if root else "")
        if excerpt:
            text += "\n" + "\n".join("    " + line for line in excerpt.splitlines())
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "col": self.location.col,
            "key_path": self.key_path,
            "message": self.message,
            "expected": self.expected,
            "suggestion": self.suggestion,
        }


class SpecErrors(Exception):
    """All spec problems found in one pass; raised once, reported together."""

    def __init__(self, errors: Iterable[SpecError]):
        self.errors = sorted(errors, key=lambda e: (e.location.file, e.location.line, e.location.col, e.message))
        super().__init__(self.render())

    def render(self, root: Path | None = None) -> str:
        n = len(self.errors)
        lines = [f"{n} spec error{'s' if n != 1 else ''}:"]
        lines += [e.render(root) for e in self.errors]
        return "\n".join(lines)


class C360RuntimeError(Exception):
    """A failure while talking to a warehouse or running a node; the warehouse is left unchanged."""

    def __init__(self, message: str, *, model: str = "", statement: str = "", cause: str = ""):
        self.model = model
        self.statement = statement
        self.cause = cause
        text = message
        if model:
            text = f"model {model}: {text}"
        if cause:
            text += f": {cause}"
        if statement:
            text += "\n    " + excerpt_sql(statement)
        super().__init__(text)


@dataclass
class ErrorCollector:
    """Accumulates spec errors from several stages, then raises them together."""

    errors: list[SpecError] = field(default_factory=list)

    def add(self, error: SpecError) -> None:
        self.errors.append(error)

    def extend(self, errors: Iterable[SpecError]) -> None:
        self.errors.extend(errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise SpecErrors(self.errors)


def closest(name: str, candidates: Iterable[str]) -> str:
    """The candidate nearest to a misspelt name, or '' if none is close."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else ""


def excerpt_sql(sql: str, limit: int = 240) -> str:
    """A one-line excerpt of a statement for error messages."""
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def relative(path: Path, root: Path) -> str:
    """A path as the user sees it: relative to the project when possible."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def source_excerpt(path: Path, location: Location) -> str:
    """The spec line at `location` with a caret under the column ('' when unreadable)."""
    if location.line < 1:
        return ""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    if location.line > len(lines):
        return ""
    line = lines[location.line - 1]
    caret = " " * max(location.col - 1, 0) + "^"
    return f"{line}\n{caret}"
