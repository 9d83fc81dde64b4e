"""GraphQL types made from msgspec contract structs, so a report the REST API answers (the
data-quality report) is one contract in both: each struct becomes a strawberry type with its
fields (camelCased), and a value converts into it field by field."""

import types
from datetime import datetime
from functools import cache
from typing import Any, Union, get_args, get_origin

import msgspec
import strawberry
from strawberry.scalars import JSON

SCALARS = (int, float, str, bool, datetime)


@cache
def graph_type(struct: type[msgspec.Struct]) -> type:
    """The strawberry type of a struct (made once per struct)."""
    fields = msgspec.structs.fields(struct)
    annotations = {f.name: _annotation(f.type) for f in fields}
    cls = type(struct.__name__, (), {"__annotations__": annotations})
    return strawberry.type(cls, description=(struct.__doc__ or "").strip() or None)


def _annotation(t: Any) -> Any:
    origin = get_origin(t)
    if t in SCALARS:
        return t
    if origin in (Union, types.UnionType):
        (inner,) = [a for a in get_args(t) if a is not type(None)]
        return _annotation(inner) | None
    if origin is list:
        return list[_annotation(get_args(t)[0])]  # type: ignore[misc]
    if origin is dict:
        return JSON
    if isinstance(t, type) and issubclass(t, msgspec.Struct):
        return graph_type(t)
    raise TypeError(f"no GraphQL type for {t!r}")


def to_graph(value: Any) -> Any:
    """A struct (and the structs in it) as instances of their strawberry types."""
    if isinstance(value, msgspec.Struct):
        cls = graph_type(type(value))
        return cls(**{f: to_graph(getattr(value, f)) for f in value.__struct_fields__})
    if isinstance(value, list):
        return [to_graph(v) for v in value]
    return value
