"""A content-addressed cache of analysed models, kept under <project>/.c360/cache/.

Analysing a model (qualify, type, render its kind template, transpile to every dialect) is
the bulk of a compile. Its result depends only on inputs the key covers: the rendered body,
the model spec, the columns and types of what it reads, the templates and the tool versions.
A compile reuses the results whose key is unchanged and rewrites the file with exactly the
entries it used, so the cache never grows past the project. Only successful analyses are
stored: every error is found again on the next compile.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

CACHE_FILE = Path(".c360") / "cache" / "analysis.json"
FORMAT = 1
"""Bumped when the layout of a cached entry changes."""


class AnalysisCache:
    """Entries by key; `save()` writes the ones used in this compile."""

    def __init__(self, path: Path | None):
        self.path = path
        self._stored: dict[str, Any] = _read(path) if path else {}
        self._used: dict[str, Any] = {}

    @classmethod
    def for_project(cls, root: Path) -> AnalysisCache:
        return cls(root / CACHE_FILE)

    @classmethod
    def disabled(cls) -> AnalysisCache:
        return cls(None)

    def get(self, key: str) -> Any | None:
        entry = self._used.get(key, self._stored.get(key))
        if entry is not None:
            self._used[key] = entry
        return entry

    def put(self, key: str, entry: Any) -> None:
        self._used[key] = entry

    def save(self) -> None:
        """Write the used entries atomically (nothing when disabled or unchanged; failures are ignored)."""
        if self.path is None or self._used == self._stored:
            return
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".analysis-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"format": FORMAT, "entries": self._used}, out, sort_keys=True)
            os.replace(tmp, self.path)


def _read(path: Path) -> dict[str, Any]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        return {}
    entries = payload.get("entries")
    return entries if isinstance(entries, dict) else {}
