"""Read YAML keeping the source position of every key and value."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from c360_compiler.errors import Location, SpecError

KeyPath = tuple[str | int, ...]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when available: same nodes and marks, several times faster."""


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: plain Python data plus a key path -> position index."""

    file: str
    data: Any
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    body_lines: dict[KeyPath, int] = field(default_factory=dict)
    text: str = ""
    inline_cols: dict[KeyPath, int] = field(default_factory=dict)
    """Column where a one-line (non-block) scalar's content starts."""

    def locate(self, path: KeyPath) -> Location:
        """The position of the deepest known prefix of `path`."""
        probe = tuple(path)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        line, col = self.positions.get(probe, (1, 1))
        return Location(self.file, line, col)

    def body_line(self, path: KeyPath) -> int:
        """First line of a scalar's content (the line after `|` for block scalars)."""
        if path in self.body_lines:
            return self.body_lines[path]
        return self.locate(path).line


def format_path(path: KeyPath) -> str:
    """`models[2].columns[0].name` style rendering of a key path."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.positions: dict[KeyPath, tuple[int, int]] = {}
        self.body_lines: dict[KeyPath, int] = {}
        self.errors: list[SpecError] = []
        self.inline_cols: dict[KeyPath, int] = {}
        self._open: set[int] = set()
        self._constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        if id(node) in self._open:
            self.errors.append(
                SpecError(
                    Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1),
                    "recursive YAML alias",
                    key_path=format_path(path),
                    expected="an alias that does not contain itself",
                )
            )
            return None
        self._open.add(id(node))
        try:
            return self._build(node, path)
        finally:
            self._open.discard(id(node))

    def _build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            self._constructor.flatten_mapping(node)  # resolve `<<: *anchor` merge keys
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._constructor.construct_object(key_node, deep=True)
                key = str(key) if not isinstance(key, str) else key
                if key in out:
                    self.errors.append(
                        SpecError(
                            Location(self.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1),
                            f"duplicate key '{key}'",
                            key_path=format_path(path + (key,)),
                            expected="each key once per mapping",
                        )
                    )
                    continue
                child = path + (key,)
                self.positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            self.body_lines[path] = node.start_mark.line + 2
        elif isinstance(node, yaml.ScalarNode):
            self.body_lines[path] = node.start_mark.line + 1
            quoted = 1 if node.style in ('"', "'") else 0
            self.inline_cols[path] = node.start_mark.column + 1 + quoted
        return self._constructor.construct_object(node, deep=True)


def read_yaml(path: Path, display_name: str) -> tuple[YamlDocument | None, list[SpecError]]:
    """Parse one YAML file; returns the document (or None) and any located errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [SpecError(Location(display_name), f"cannot read file: {exc.strerror}")]
    return parse_yaml(text, display_name)


def parse_yaml(text: str, display_name: str) -> tuple[YamlDocument | None, list[SpecError]]:
    """Parse YAML text; syntax errors come back located, never raised."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        return None, [SpecError(Location(display_name, line, col), f"invalid YAML: {problem}")]
    except yaml.YAMLError as exc:
        return None, [SpecError(Location(display_name, 1, 1), f"invalid YAML: {exc}")]
    if node is None:
        return YamlDocument(display_name, {}, text=text), []
    builder = _Builder(display_name)
    try:
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [SpecError(Location(display_name, line, col), f"invalid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return None, [SpecError(Location(display_name, 1, 1), f"invalid YAML: {exc}")]
    return YamlDocument(
        display_name, data, builder.positions, builder.body_lines, text, builder.inline_cols
    ), builder.errors
