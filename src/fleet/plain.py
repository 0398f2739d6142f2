"""``dataclasses.asdict`` without its deep copy, for the frozen rows fleet builds per host.

``asdict`` recurses through ``copy.deepcopy`` for every leaf; a collector's facts (~200 values) cost
~0.3 ms of CPU a host that way, a sizeable share of a sweep's own Python per host.
"""

from __future__ import annotations

import dataclasses
from dataclasses import fields
from typing import Any

_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def as_dict(value: Any) -> Any:
    """What ``dataclasses.asdict(value)`` returns (dataclasses -> dicts, lists and tuples kept as such),
    sharing the leaves (str, numbers, None: immutable) instead of copying them."""
    cls = type(value)
    if hasattr(cls, "__dataclass_fields__") and not isinstance(value, type):
        return {n: as_dict(getattr(value, n)) for n in _names(cls)}
    if cls is tuple or cls is list:
        return cls(as_dict(v) for v in value)
    if isinstance(value, dict):
        return {as_dict(k): as_dict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):  # a namedtuple or another subclass: what asdict does with it
        return dataclasses.asdict(_Box(value))["v"]
    return value


@dataclasses.dataclass
class _Box:
    v: Any
