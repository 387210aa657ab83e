"""Turn pydantic validation errors into located SpecErrors with "did you mean"."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from c360_compiler.errors import SpecError, closest
from c360_compiler.load.yaml_source import KeyPath, YamlDocument, format_path

T = typing.TypeVar("T", bound=BaseModel)


def validate(
    model: type[T], doc: YamlDocument, data: Any = None, base: KeyPath = ()
) -> tuple[T | None, list[SpecError]]:
    """Validate `data` (default: the whole document) as `model`; errors are located in `doc`."""
    payload = doc.data if data is None else data
    try:
        return model.model_validate(payload), []
    except ValidationError as exc:
        return None, [to_spec_error(err, model, doc, base, payload) for err in exc.errors()]


def data_path(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """Keep only the parts of a pydantic `loc` that exist in the YAML data (drops union tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if (
            isinstance(node, dict)
            and part in node
            or isinstance(node, list)
            and isinstance(part, int)
            and 0 <= part < len(node)
        ):
            node = node[part]
            path.append(part)
    return tuple(path)


def to_spec_error(err: Any, model: type[BaseModel], doc: YamlDocument, base: KeyPath, data: Any) -> SpecError:
    loc = tuple(err["loc"])
    path = base + data_path(loc, data)
    kind = err["type"]
    ctx = err.get("ctx") or {}
    message = err["msg"]
    expected = ""
    suggestion = ""
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = fields_at(model, loc[:-1])
        message = f"unknown key '{key}'"
        expected = "one of " + ", ".join(sorted(allowed)) if allowed else ""
        suggestion = closest(key, allowed)
    elif kind == "missing":
        message = f"missing required key '{loc[-1]}'"
        path = path + (loc[-1],) if path and path[-1] != loc[-1] else path
    elif kind == "union_tag_invalid":
        tag = str(ctx.get("tag", ""))
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]
        noun = str(path[-1]) if path and isinstance(path[-1], str) else str(ctx.get("discriminator", "")).strip("'")
        message = f"unknown {noun} '{tag}'"
        expected = "one of " + ", ".join(tags)
        suggestion = closest(tag, tags)
    elif kind == "literal_error":
        options = [o.strip(" '") for o in str(ctx.get("expected", "")).replace(" or ", ",").split(",") if o.strip()]
        message = f"invalid value {err.get('input')!r}"
        expected = "one of " + ", ".join(options)
        suggestion = closest(str(err.get("input")), options)
    elif kind == "value_error":
        message = str(ctx.get("error", message))
    elif kind == "string_pattern_mismatch":
        message = f"invalid name {err.get('input')!r}"
        expected = "a SQL identifier (letters, digits, underscores)"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"wrong type: {err['msg']}"
        expected = kind.removesuffix("_type").removesuffix("_parsing").replace("_", " ")
    return SpecError(
        doc.locate(path),
        message,
        key_path=format_path(path),
        expected=expected,
        suggestion=suggestion,
    )


def fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the pydantic model reached by following `loc` from `model`."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    current = _unwrap(current, None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: Any, tag: Any) -> Any:
    """Strip Annotated/Optional; pick the union member named by `tag` when given."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
            if tag is not None:
                for m in models:
                    for f in m.model_fields.values():
                        if typing.get_origin(f.annotation) is typing.Literal and tag in typing.get_args(f.annotation):
                            return m
            if len(models) == 1:
                return models[0]
            if len(members) == 1:
                tp = members[0]
                continue
            return tp
        else:
            return tp


def _step(tp: Any, part: Any) -> Any:
    tp = _unwrap(tp, part)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if part in tp.model_fields:
            return tp.model_fields[part].annotation
        return tp  # a union tag or a validator name: stay on this model
    origin = typing.get_origin(tp)
    if origin in (list, tuple, set) and isinstance(part, int):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    if origin in (typing.Union, types.UnionType):
        for member in typing.get_args(tp):
            if typing.get_origin(member) in (list, dict) or (
                isinstance(member, type) and issubclass(member, BaseModel)
            ):
                return _step(member, part)
    return None
