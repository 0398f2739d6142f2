"""YAML loading that remembers where things are, so errors can name file and line.

Bounded, since inventories and fleet.yml come from anywhere: a file over ``MAX_BYTES`` is refused,
and so is a document whose aliases would expand it past ``MAX_NODES`` nodes (a 600-byte "billion
laughs" otherwise costs minutes and gigabytes downstream). A float keeps the text it was written
as (``SourceFloat.text``): ``version: 4.10`` is 4.1 to YAML, and fleet can say so.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from fleet.errors import FleetError, Location

MAX_BYTES = 32 * 1024 * 1024  # a 2,000-host inventory is about 0.5 MB
MAX_NODES = 2_000_000  # scalars + collections once aliases are expanded


class SourceFloat(float):
    """A float from YAML that remembers how it was written (``11.60``, ``1e3``)."""

    text: str

    def __new__(cls, value: float, text: str) -> SourceFloat:
        obj = super().__new__(cls, value)
        obj.text = text
        return obj


def scalar_text(value: Any) -> str:
    """A scalar as written in the YAML source where known (floats), else ``str(value)``."""
    return value.text if isinstance(value, SourceFloat) else str(value)


def _represent_source_float(dumper: yaml.SafeDumper, data: SourceFloat) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:float", data.text)  # as written: 11.60 stays 11.60


yaml.SafeDumper.add_representer(SourceFloat, _represent_source_float)


class LineDict(dict[Any, Any]):
    """A dict from YAML that knows the line of itself and of each key (1-based)."""

    line: int | None = None
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int | None:
        return getattr(self, "key_lines", {}).get(key, self.line)


yaml.SafeDumper.add_representer(LineDict, yaml.representer.SafeRepresenter.represent_dict)


# libyaml's parser (when PyYAML has it) with our Python constructor: marks and line numbers are
# the same, parsing is ~5x faster (an inventory of 2,000 hosts: 0.5 s -> 0.1 s).
if TYPE_CHECKING:  # the checker sees the pure-Python loader; both have SafeConstructor's API
    _Base = yaml.SafeLoader
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):
    def construct_document(self, node: yaml.Node) -> Any:
        _bounded(node)
        return super().construct_document(node)


def _bounded(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand it past MAX_NODES (counted without expanding)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        sizes[key] = 1  # a recursive alias counts once (PyYAML builds it as a cycle)
        if isinstance(node, yaml.MappingNode):
            n = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(v) for v in node.value)
        else:
            n = 1
        sizes[key] = n
        if n > MAX_NODES:
            raise yaml.constructor.ConstructorError(
                None, None, f"aliases expand this document past {MAX_NODES:,} values (an alias bomb?)",
                node.start_mark)
        return n

    size(root)


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> float:
    return SourceFloat(loader.construct_yaml_float(node), node.value)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark
            ) from None
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {out.key_lines[key]})", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _vault_tag(loader: _Loader, node: yaml.Node) -> str:
    # Inline `!vault |` values are Ansible's; fleet does not decrypt them here (it uses whole-file
    # vaults) but must not choke on them.
    return "<vault>"


_Loader.add_constructor("!vault", _vault_tag)
def _unsafe_tag(loader: _Loader, node: yaml.ScalarNode) -> str:
    # Ansible's `!unsafe` marks a string Jinja must not template: to fleet it is that string.
    return loader.construct_scalar(node)


_Loader.add_constructor("!unsafe", _unsafe_tag)


def load_text(text: str, source: str, error: type[FleetError] = FleetError) -> Any:
    """Parse YAML text; a syntax error becomes ``error`` naming ``source`` and the line."""
    if len(text) > MAX_BYTES:
        raise error(f"is {len(text):,} characters; fleet reads YAML up to {MAX_BYTES:,}", where=Location(source))
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        hint = ("use fewer nested aliases (*name) there" if "aliases expand" in problem else
                "fix the YAML syntax at that line (indentation, a missing ':' or quote)")
        raise error(f"not valid YAML: {problem}", where=Location(source, line), hint=hint) from None
    except yaml.YAMLError as exc:
        raise error(f"not valid YAML: {exc}", where=Location(source)) from None
    except RecursionError:
        raise error("not valid YAML: nested too deeply", where=Location(source)) from None


def load_file(path: Path, error: type[FleetError] = FleetError) -> Any:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise error(f"is {path.stat().st_size:,} bytes; fleet reads YAML files up to {MAX_BYTES:,}",
                        where=Location(str(path)), hint="split it into several inventory files")
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", where=Location(str(path))) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"not UTF-8 text (byte {exc.start})",
            where=Location(str(path)),
            hint="save the file as UTF-8",
        ) from None
    return load_text(text, str(path), error)


def line_of(obj: Any, key: Any = None) -> int | None:
    if isinstance(obj, LineDict):
        return obj.line_of(key) if key is not None else obj.line
    return None
