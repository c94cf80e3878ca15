"""YAML as registries and agencies files are read: safely (no aliases, plain keys only), keeping the line of
every key and item for messages (`FILE:LINE: …`)."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["LineDict", "LineList", "load_yaml_with_lines"]


class LineDict(dict):
    """A YAML mapping that remembers the line (1-based) of each key's value and of itself."""

    line: int = 0

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int]] = []


class LineList(list):
    line: int = 0

    def __init__(self, *a):
        super().__init__(*a)
        self.lines: list[int] = []


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (`*name`): a "billion laughs" file expands an alias into gigabytes,
    and a registry has no use for them. Keys must be scalars (`? [a, b]` is refused, not a TypeError)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted", event.start_mark)
        return super().compose_node(parent, index)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    d = LineDict()
    d.line = node.start_mark.line + 1
    for k_node, v_node in node.value:
        if not isinstance(k_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, "a key must be a plain name, not a list or "
                                                    "a mapping", k_node.start_mark)
        k = loader.construct_object(k_node, deep=True)
        if k in d:
            d.duplicates.append((k, k_node.start_mark.line + 1))
        d[k] = loader.construct_object(v_node, deep=True)
        d.lines[k] = k_node.start_mark.line + 1
    return d


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    lst = LineList(loader.construct_object(n, deep=True) for n in node.value)
    lst.line = node.start_mark.line + 1
    lst.lines = [n.start_mark.line + 1 for n in node.value]
    return lst


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml_with_lines(text: str) -> Any:
    """`yaml.safe_load`, with mappings as LineDict and sequences as LineList (line numbers kept).

    Aliases and non-scalar keys raise yaml.YAMLError (with a mark); so does nesting too deep to read."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise yaml.YAMLError("nested too deeply") from None


def _line(d: Any, key: Any) -> int:
    return getattr(d, "lines", {}).get(key, getattr(d, "line", 0))


def _items(data: dict, key: str, err) -> list[tuple[dict, int]]:
    seq = data.get(key)
    if seq is None:
        return []
    if not isinstance(seq, list):
        err(_line(data, key), f"{key}: expected a list")
        return []
    out = []
    lines = getattr(seq, "lines", [])
    for i, item in enumerate(seq):
        line = lines[i] if i < len(lines) else _line(data, key)
        if not isinstance(item, dict):
            err(line, f"{key}: each entry is a mapping with at least `code` and `name`")
            continue
        out.append((item, line))
    return out
