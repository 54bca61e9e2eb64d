"""Reading and writing manifests: multi-document YAML in, API-shaped dicts out, and back.

**Mirrors:** ``sigs.k8s.io/yaml`` as kubectl uses it (``staging/src/k8s.io/kubectl/pkg/cmd/util`` ->
``resource.Builder``): YAML 1.1 documents, empty documents skipped, ``kind: List`` expanded, duplicate
keys rejected (``key "x" already set in map``, strict decoding).
**Modelled:** parse errors with line and column; non-string map keys are kept as their text (as
JSON conversion does); ``load(dump(x)) == x`` (strings holding YAML line breaks other than ``\n`` --
``\r``, NEL, LS, PS -- are written double-quoted, so they survive).
**Not modelled:** JSON streams that are not valid YAML (every JSON document is YAML).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from .errors import Invalid, Rejection
from .frozen import thaw

__all__ = ["dump_manifests", "load_manifests"]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and turns non-string keys into strings."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key)
        if key in out:
            mark = key_node.start_mark
            raise Invalid(Rejection(
                "BadRequest",
                f'error converting YAML to JSON: yaml: line {mark.line + 1}: key "{key}" already set in map',
                400,
            ))
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _timestamps_as_text(loader: _StrictLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamps_as_text)


def load_manifests(text: str) -> list[dict[str, Any]]:
    """Parse multi-document YAML into a list of objects; ``kind: List`` items are expanded.

    Raises :class:`~refmodel.errors.Invalid` for YAML errors, duplicate keys, and documents that are
    not mappings.
    """
    try:
        docs = list(yaml.load_all(text, Loader=_StrictLoader))  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        raise Invalid(Rejection("BadRequest", f"error parsing YAML at {where}: {exc.problem}", 400)) from None
    except yaml.YAMLError as exc:
        raise Invalid(Rejection("BadRequest", f"error parsing YAML: {exc}", 400)) from None
    out: list[dict[str, Any]] = []
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise Invalid(Rejection(
                "BadRequest", f"document {i + 1}: an object must be a mapping, got {_yaml_type(doc)}", 400))
        if isinstance(doc.get("kind"), str) and doc["kind"].endswith("List") and "items" in doc:
            items = doc.get("items") or []
            if not isinstance(items, list):
                raise Invalid(Rejection("BadRequest", f"document {i + 1}: items must be a list", 400))
            for item in items:
                if not isinstance(item, dict):
                    raise Invalid(Rejection("BadRequest", f"document {i + 1}: list items must be mappings", 400))
                out.append(item)
            continue
        out.append(doc)
    return out


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    return type(value).__name__


class _Dumper(yaml.SafeDumper):
    pass


_YAML_BREAKS = frozenset("\r\x85\u2028\u2029")


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if any(c in _YAML_BREAKS for c in data):
        # YAML folds these line breaks inside plain, single-quoted and block scalars: escape them
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def dump_manifests(objs: Iterable[Mapping[str, Any]]) -> str:
    """Objects -> multi-document YAML (``---`` between documents); ``load_manifests`` reads it back."""
    parts = [yaml.dump(thaw(o), Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True)
             for o in objs]
    return "---\n".join(parts)
