"""Reading and writing manifests: YAML or JSON streams in, API-shaped dicts out, and back.

**Mirrors:** what ``kubectl apply -f`` does to a file before any request is sent:
``k8s.io/apimachinery/pkg/util/yaml`` ``YAMLOrJSONDecoder`` (a stream whose first non-blank character is
``{`` is JSON, decoded strictly: a trailing comma, ``NaN`` or a second value glued to the first is an
error; anything else is a stream of YAML documents), ``sigs.k8s.io/yaml`` over ``gopkg.in/yaml.v2``
(``decode.go`` ``unmarshal``/``allowedAliasRatio``: a document whose decoding is mostly alias expansion
fails with ``document contains excessive aliasing``; ``parserc.go``: ``exceeded max depth of 10000``;
duplicate keys fail with ``key "x" already set in map``; ``<<`` merge keys; non-string scalar keys become
their text), ``yaml.JSONToYAML``/``json.Marshal`` (NaN and Infinity have no JSON form: ``json: unsupported
value: NaN``), the API server's request-size limit (``apiserver/pkg/server/config.go``
``MaxRequestBodyBytes`` = 3 MiB: one object, a ``kind: List``'s items each being their own request) and
``resource.Builder`` (empty documents skipped, ``kind: List`` items expanded).
**Modelled:** every limit is checked while the stream is read, before any object reaches the model, and
every error names the document (1-based, as kubectl counts them) and the field path. The alias
ratio is go-yaml's per-document count of decoded nodes (an alias counts the nodes it expands to),
checked at every alias and at the end of the document (between aliases the ratio only falls). An
alias's value is copied, so no two places of a document share a container. Documents are
read one by one: an error stops the stream there, the documents before it stand (``documents_from``
returns both). Scalars resolve as YAML 1.1 (PyYAML's resolver: ``yes``/``on`` are booleans, ``0x1F`` an
int); timestamps stay text. ``load(dump(x)) == x``.
**Not modelled (and why):** YAML tags other than the core ones (``!!binary``, ``!!set``, local tags):
kubectl's conversion to JSON refuses or mangles them, so they are refused with the tag named.
The parser is libyaml through PyYAML's ``CParser`` when available (it is iterative, so nesting costs
no Python recursion); the structure is built here, without recursion, from its events. A stream of plain
block YAML (the shape of most manifests; see "the fast reader" below) is read line by line instead,
about three times faster, with the same result; anything else, and every error, goes through libyaml.
Such a stream can also be cut at its ``---`` lines into pieces read apart (``plain_pieces``,
``read_piece``: ``kubeoracle validate --workers`` reads them in several processes and puts the
documents together in order), and ``documents_from`` reports progress to a callback if given one.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import yaml
from yaml import events as ev

from .errors import Invalid, Rejection
from .frozen import thaw

__all__ = [
    "MAX_DEPTH",
    "MAX_OBJECT_BYTES",
    "PROGRESS_EVERY",
    "Document",
    "documents_from",
    "dump_manifests",
    "field_path",
    "load_manifests",
    "load_yaml",
    "plain_pieces",
    "read_piece",
]

MAX_DEPTH = 10_000  # go-yaml's max_flow_level / max_indents, encoding/json's maxNestingDepth
MAX_OBJECT_BYTES = 3 * 1024 * 1024  # kube-apiserver's MaxRequestBodyBytes
PROGRESS_EVERY = 1000  # documents between two calls of documents_from's progress callback
_ALIAS_LOW, _ALIAS_HIGH = 400_000, 4_000_000  # go-yaml v2 decode.go alias_ratio_range_low/high

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.parser import Parser as _PyParser
    from yaml.reader import Reader as _YReader
    from yaml.scanner import Scanner as _Scanner

    class _Parser(_YReader, _Scanner, _PyParser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            _YReader.__init__(self, stream)
            _Scanner.__init__(self)
            _PyParser.__init__(self)


@attrs.frozen
class Document:
    """One object of a stream: its 1-based document number, its place in a ``kind: List`` (or None)."""

    index: int
    item: int | None
    obj: dict[str, Any]

    @property
    def where(self) -> str:
        return f"document {self.index}" + (f", items[{self.item}]" if self.item is not None else "")


def _bad(message: str) -> Invalid:
    return Invalid(Rejection("BadRequest", message, 400))


def field_path(parts: Iterable[str | int]) -> str:
    """``spec.containers[0].image`` (keys that are not plain words are written ``[key]``)."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif _WORD.fullmatch(p):
            out += f".{p}" if out else p
        else:
            out += f"[{p}]"
    return out or "<document>"


_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")


# ---------------------------------------------------------------------------------------------
# scalars (YAML 1.1 as PyYAML's SafeLoader resolves them)
# ---------------------------------------------------------------------------------------------
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_CONSTRUCT = yaml.constructor.SafeConstructor()
_INT, _FLOAT, _BOOL, _NULL, _STR = (f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null", "str"))
_TS, _MERGE = "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge"
_BUILDERS = {
    _INT: _CONSTRUCT.construct_yaml_int,
    _FLOAT: _CONSTRUCT.construct_yaml_float,
    _BOOL: _CONSTRUCT.construct_yaml_bool,
    _NULL: _CONSTRUCT.construct_yaml_null,
}
_MERGE_KEY = object()


def _implicit(value: str) -> Any:
    for tag, regexp in _RESOLVERS.get(value[:1], ()):
        if regexp.match(value):
            if tag in _BUILDERS:
                return _BUILDERS[tag](yaml.ScalarNode(tag, value))
            if tag == _MERGE:
                return _MERGE_KEY
            return value  # timestamps (and YAML 1.1's '=' value tag) stay text
    return value


def _explicit(tag: str, value: str) -> Any:
    if tag in ("!", _STR, _TS):
        return value
    build = _BUILDERS.get(tag)
    if build is None:
        raise ValueError(f"unsupported YAML tag {tag.replace('tag:yaml.org,2002:', '!!')}")
    want = _implicit(value)
    if want is _MERGE_KEY or _BUILDERS.get(_tag_of(want)) is not build:
        raise ValueError(f"cannot decode {value!r} as a {tag.replace('tag:yaml.org,2002:', '!!')}")
    return want


def _tag_of(value: Any) -> str:
    return {bool: _BOOL, int: _INT, float: _FLOAT, type(None): _NULL}.get(type(value), _STR)


# ---------------------------------------------------------------------------------------------
# the stream reader
# ---------------------------------------------------------------------------------------------
class _Frame:
    """An open mapping or sequence while its events are read."""

    __slots__ = ("anchor", "container", "key", "merges", "parent_key", "start")

    def __init__(self, container: Any, anchor: str | None, parent_key: Any, start: int) -> None:
        self.container = container
        self.anchor = anchor
        self.parent_key = parent_key  # where this collection goes in its parent
        self.key: Any = _NO_KEY  # for a mapping: the key waiting for its value
        self.merges: list[Any] | None = None
        self.start = start


_NO_KEY = object()


class _Counts:
    def __init__(self) -> None:
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, node count)
        self.open_anchors: set[str] = set()
        self.decoded = 0
        self.aliased = 0
        self.item_sizes: list[int] = []

    def path(self, stack: list[_Frame], last: Any = _NO_KEY) -> str:
        parts: list[str | int] = []
        for f in stack[1:]:
            parts.append(f.parent_key)
        top = stack[-1] if stack else None
        if top is not None and last is not _NO_KEY:
            parts.append(last)
        elif top is not None and isinstance(top.container, dict) and top.key is not _NO_KEY:
            parts.append(top.key)
        elif top is not None and isinstance(top.container, list):
            parts.append(len(top.container))
        return field_path(p if isinstance(p, int) else "<<" if p is _MERGE_KEY else str(p) for p in parts)

    def count(self, nodes: int, aliased: int) -> None:
        self.decoded += nodes
        self.aliased += aliased
        d = self.decoded
        if self.aliased > 100 and d > 1000:
            if d <= _ALIAS_LOW:
                allowed = 0.99
            elif d >= _ALIAS_HIGH:
                allowed = 0.10
            else:
                allowed = 0.99 - 0.89 * (d - _ALIAS_LOW) / (_ALIAS_HIGH - _ALIAS_LOW)
            if self.aliased / d > allowed:
                raise ValueError("document contains excessive aliasing")


def _size(value: Any) -> int:
    """The nodes a value decodes to, as go-yaml counts them (one per key, scalar, mapping and sequence),
    without recursion."""
    n = 0
    stack = [value]
    while stack:
        v = stack.pop()
        n += 1
        if isinstance(v, dict):
            n += len(v)
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return n


def _copy(value: Any) -> Any:
    """An alias's value, copied so that no two places of a document share a container."""
    return thaw(value) if isinstance(value, dict | list) else value


_OnDocument = Callable[[Any, int, int, list[int]], None]
Progress = Callable[[int], None]  # called with the number of documents read so far


def _read_documents(text: str, on_document: _OnDocument) -> None:
    """Read a YAML stream event by event, without recursion; ``on_document(root, index, size, item_sizes)``
    takes each document. Raises Invalid (naming the document and the field) at the first error."""
    parser = _Parser(text)
    get_event: Callable[[], Any] = parser.get_event
    index = 0
    stack: list[_Frame] = []
    reader = _Counts()
    cache: dict[str, Any] = {}
    doc_start = 0
    decoded = 0  # go-yaml's decodeCount for the current document (kept in a local: this loop is hot)
    root: Any = None
    scalar_t, map_t, seq_t = ev.ScalarEvent, ev.MappingStartEvent, ev.SequenceStartEvent
    map_end, seq_end, alias_t = ev.MappingEndEvent, ev.SequenceEndEvent, ev.AliasEvent
    doc_t, doc_end, stream_end = ev.DocumentStartEvent, ev.DocumentEndEvent, ev.StreamEndEvent

    line = [0]  # the line of the key being placed, for the duplicate-key message

    def place(value: Any, start: int, end: int) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        top = stack[-1]
        c = top.container
        if type(c) is list:
            if len(stack) == 2 and stack[0].key == "items":
                reader.item_sizes.append(end - start)
            c.append(value)
        elif top.key is _NO_KEY:
            if value is _MERGE_KEY:
                top.key = _MERGE_KEY
            elif isinstance(value, dict | list):
                raise ValueError(f"{reader.path(stack)}: invalid map key: a {'mapping' if isinstance(value, dict) else 'list'} "
                                 "(keys must be strings)")
            else:
                key = value if isinstance(value, str) else _key_text(value)
                if key in c:
                    raise ValueError(f'{reader.path(stack, key)}: yaml: line {line[0]}: key "{key}" already set in map')
                top.key = key
        else:
            if top.key is _MERGE_KEY:
                sources = value if isinstance(value, list) else [value]
                if not all(isinstance(s, dict) for s in sources):
                    raise ValueError(f"{reader.path(stack, '<<')}: map merge requires map or sequence of maps as the value")
                top.merges = (top.merges or []) + sources
            else:
                c[top.key] = value
            top.key = _NO_KEY

    try:
        while True:
            e = get_event()
            t = type(e)
            if t is scalar_t:
                v = e.value
                if e.tag is not None and e.tag != "!":
                    v = _explicit(e.tag, v)
                elif e.implicit[0]:
                    got = cache.get(v, _NO_KEY)
                    if got is _NO_KEY:
                        got = cache[v] = _implicit(v)
                    v = got
                    if type(v) is float and not math.isfinite(v):
                        raise ValueError(f"{reader.path(stack)}: {e.value}: json: unsupported value: "
                                         f"{'NaN' if v != v else '+Inf' if v > 0 else '-Inf'} (JSON has no "
                                         "NaN or Infinity)")
                if e.anchor is not None:
                    reader.anchors[e.anchor] = (v, 1)
                decoded += 1
                if stack:  # the common cases inline: a mapping's value, a new key, a list item
                    top = stack[-1]
                    c = top.container
                    if type(c) is dict:
                        k = top.key
                        if k is not _NO_KEY and k is not _MERGE_KEY:
                            c[k] = v
                            top.key = _NO_KEY
                            continue
                        if k is _NO_KEY and type(v) is str and v not in c:
                            top.key = v
                            continue
                    elif len(stack) != 2:
                        c.append(v)
                        continue
                line[0] = e.start_mark.line + 1
                place(v, 0, 0)
            elif t is map_t or t is seq_t:
                if len(stack) >= MAX_DEPTH:
                    raise ValueError(f"exceeded max depth of {MAX_DEPTH}")
                if e.tag is not None and e.tag not in ("!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                    raise ValueError(f"{reader.path(stack)}: unsupported YAML tag {e.tag}")
                parent_key: Any = None
                if stack:
                    top = stack[-1]
                    parent_key = len(top.container) if type(top.container) is list else top.key
                if e.anchor is not None:
                    reader.open_anchors.add(e.anchor)
                decoded += 1
                stack.append(_Frame({} if t is map_t else [], e.anchor, parent_key, e.start_mark.index))
            elif t is map_end or t is seq_end:
                f = stack.pop()
                value = f.container
                if f.merges:
                    merged: dict[str, Any] = {}
                    for src in reversed(f.merges):
                        merged.update(src)
                    merged.update(value)
                    value = merged
                if f.anchor is not None:  # its node count, aliases inside already expanded (copied)
                    reader.open_anchors.discard(f.anchor)
                    reader.anchors[f.anchor] = (value, _size(value))
                place(value, f.start, e.end_mark.index)
            elif t is alias_t:
                name = e.anchor
                if name in reader.open_anchors:
                    raise ValueError(f"{reader.path(stack)}: anchor '{name}' value contains itself")
                if name not in reader.anchors:
                    raise ValueError(f"{reader.path(stack)}: unknown anchor '{name}' referenced")
                value, nodes = reader.anchors[name]
                reader.decoded = decoded
                reader.count(nodes + 1, nodes)
                decoded = reader.decoded
                place(_copy(value), 0, 0)
            elif t is doc_t:
                index += 1
                doc_start = e.start_mark.index
                root = None
                reader = _Counts()
                decoded = 0
            elif t is doc_end:
                reader.decoded = decoded
                reader.count(0, 0)  # the ratio only grows at aliases; checked there and once more here
                on_document(root, index, e.end_mark.index - doc_start, reader.item_sizes)
            elif t is stream_end:
                return
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        raise _bad(f"document {max(index, 1)}: error parsing YAML at {where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise _bad(f"document {max(index, 1)}: error parsing YAML: {exc}") from None
    except ValueError as exc:
        raise _bad(f"document {index}: {exc}") from None


def _key_text(value: Any) -> str:
    """The JSON key sigs.k8s.io/yaml writes for a non-string scalar key."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _finish(root: Any, index: int, size: int, item_sizes: list[int], out: list[Document]) -> None:
    if root is None:
        return  # an empty document (or only comments): skipped, as kubectl does
    if not isinstance(root, dict):
        raise ValueError(f"an object must be a mapping, got {_yaml_type(root)}")
    kind = root.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in root:
        items = root["items"]
        if items is None:
            return
        if not isinstance(items, list):
            raise ValueError(f"items: must be a list of objects, got {_yaml_type(items)}")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ValueError(f"items[{i}]: an object must be a mapping, got {_yaml_type(item)}")
            if i < len(item_sizes) and item_sizes[i] > MAX_OBJECT_BYTES:
                raise ValueError(f"items[{i}]: the object is {item_sizes[i]} bytes; the API server accepts at most "
                                 f"{MAX_OBJECT_BYTES} bytes (3 MiB) per request")
            out.append(Document(index, i, item))
        return
    if size > MAX_OBJECT_BYTES:
        raise ValueError(f"the object is {size} bytes; the API server accepts at most {MAX_OBJECT_BYTES} bytes "
                         "(3 MiB) per request")
    out.append(Document(index, None, root))


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if value is None:
        return "null"
    return f"{type(value).__name__} {value!r}"[:60]


# ---------------------------------------------------------------------------------------------
# the fast reader: plain block YAML, the shape most manifests have
# ---------------------------------------------------------------------------------------------
# libyaml hands Python one event object per scalar, key and collection (about 1.2 s for a 5 MB file
# of small ConfigMaps). Most manifests are plain block YAML: ASCII, one key or list item per line,
# plain or simply quoted scalars, no anchors, tags, flow collections or block scalars. Such a stream
# is read here line by line (a line seen before is not matched again). Anything outside that shape,
# and anything that would be an error (duplicate keys, NaN, a bad indentation, a non-mapping
# document, an oversized one), makes the fast reader decline the whole stream, which then goes
# through libyaml above: the fast reader never produces an error of its own, and what it produces is
# what libyaml's path produces (tests/test_yamlio.py checks both paths on generated streams).
_F_SAFE = re.compile(r"[^\x20-\x7e\n]")  # tabs, CR, BOM, control and non-ASCII characters: decline
_W = r"(?:[^\s#:]|:(?=\S))"  # a character inside a plain scalar (no ': ', no ' #', no ':' at the end)
_F_PLAIN = rf"(?:[A-Za-z0-9_./]|-(?=[0-9.])){_W}*(?: +[^\s#:]{_W}*)*"
_F_SCALAR = rf"{_F_PLAIN}|\"[^\"\\]*\"|'[^']*'|\{{\}}|\[\]"
# a ``key: value`` line in two pieces, split at its first ": " (a key holds no ": "): the head (indent,
# dash, key), read once per distinct head, and the rest (the value, a comment); together they are
# exactly _F_LINE's key-and-value lines, with the same groups
_F_HEAD = re.compile(rf"( *)(- )?([A-Za-z0-9_./]{_W}*)")
_F_REST = re.compile(rf" *({_F_SCALAR})(?: +#.*)? *")
_F_LINE = re.compile(
    rf"(?P<ind> *)(?P<dash>- )?(?:(?P<key>[A-Za-z0-9_./]{_W}*):(?: +(?P<val>{_F_SCALAR}))?|(?P<item>{_F_SCALAR}))"
    r"(?: +#.*)? *")
_F_BLANK = re.compile(r" *(?:#.*)?")
_F_DOC_BYTES = 2**20  # a larger document is left to libyaml, which checks the 3 MiB limit
_F_DEPTH = 64  # deeper nesting is left to libyaml, which checks the 10,000-level limit
_F_CACHE = 2**16  # distinct lines, heads and scalars remembered (the common ones come early; most others are names)
_F_LINE_CHARS = 4096  # a longer line (a big value) is left to libyaml: matching it here would cost as much
_EMPTY_MAP, _EMPTY_SEQ, _NO_VALUE = object(), object(), object()
_F_BLANK_LINE = (-2, False, None, None)  # a blank or comment line (compared by identity)
_F_DOC_LINE = (-3, False, None, None)  # a line "---"


class _Decline(Exception):
    """The stream is not plain block YAML (or holds an error): libyaml's path reads it."""


def _f_scalar(text: str, cache: dict[str, Any]) -> Any:
    got = cache.get(text, _NO_KEY)
    if got is not _NO_KEY:
        return got
    c = text[0]
    if c == '"' or c == "'":
        value: Any = text[1:-1]
    elif text == "{}":
        value = _EMPTY_MAP
    elif text == "[]":
        value = _EMPTY_SEQ
    else:
        value = _implicit(text)
        if value is _MERGE_KEY or (type(value) is float and not math.isfinite(value)):
            raise _Decline
    if len(cache) < _F_CACHE:
        cache[text] = value
    return value


def _f_line(line: str, cache: dict[str, Any],
            heads: dict[str, tuple[int, bool, str] | None]) -> tuple[int, bool, str | None, Any]:
    """``(indent, dash, key or None, value)`` of a line (_F_BLANK_LINE for a blank or comment line);
    value is _NO_VALUE after ``key:``. ``heads`` keeps what each ``key: value`` line's head says."""
    if len(line) > _F_LINE_CHARS:
        raise _Decline
    head, sep, rest = line.partition(": ")
    if sep:  # most new lines are a known head and a new value: the head is not matched again
        if head in heads:
            h = heads[head]
        else:
            hm = _F_HEAD.fullmatch(head)
            k = _f_scalar(hm.group(3), cache) if hm is not None else None
            h = (len(hm[1]), hm[2] is not None, k) if hm is not None and type(k) is str else None
            if len(heads) < _F_CACHE:
                heads[head] = h
        if h is not None:
            m = _F_REST.fullmatch(rest)
            if m is not None:
                return h[0], h[1], h[2], _f_scalar(m.group(1), cache)
    if _F_BLANK.fullmatch(line) is not None:
        return _F_BLANK_LINE
    m = _F_LINE.fullmatch(line)
    if m is None:
        raise _Decline
    key = m.group("key")
    if key is not None:
        k = _f_scalar(key, cache)
        if type(k) is not str:  # a key that resolves to a number, bool or null: libyaml's path words it
            raise _Decline
        val = m.group("val")
        value = _NO_VALUE if val is None else _f_scalar(val, cache)
    else:
        if m.group("dash") is None:
            raise _Decline  # a bare scalar line (a document that is a scalar, or a folded continuation)
        k, value = None, _f_scalar(m.group("item"), cache)
    return len(m.group("ind")), m.group("dash") is not None, k, value


def _read_plain(text: str, progress: Progress | None = None) -> list[Document] | None:
    """The documents of a plain block-YAML stream, or None when the stream is not one (see above)."""
    got = _read_plain_counted(text, progress)
    return None if got is None else got[0]


def _read_plain_counted(text: str, progress: Progress | None = None) -> tuple[list[Document], int] | None:
    """_read_plain, and how many documents the stream began (empty ones too: the next one's number - 1)."""
    if _F_SAFE.search(text) is not None:
        return None
    if len(text) > _F_DOC_BYTES and any(len(d) > _F_DOC_BYTES for d in text.split("\n---\n")):
        return None  # (a document's text lies within one piece)
    out: list[Document] = []
    lines: dict[str, tuple[int, bool, str | None, Any]] = {"---": _F_DOC_LINE}  # a line -> what it says
    scalars: dict[str, Any] = {}
    heads: dict[str, tuple[int, bool, str] | None] = {}
    index = 0
    # per document: the frames [indent, container, is_sequence] and the key waiting for a nested block
    root: dict[str, Any] | None = None
    frames: list[list[Any]] = []
    pending: tuple[dict[str, Any], str, int] | None = None
    # the mapping the next line most likely adds a key to (frames[-1] when it is a mapping and no key
    # waits for a nested block), and its indent (-1: none; the general path below decides)
    cur: dict[str, Any] = {}
    cur_ind = -1
    try:
        for line in text.split("\n"):
            parsed = lines.get(line)
            if parsed is None:
                parsed = _f_line(line, scalars, heads)
                if len(lines) < _F_CACHE:
                    lines[line] = parsed
            ind, dash, key, value = parsed
            if ind == cur_ind and not dash:  # the next key of the current mapping (most lines)
                if key in cur:
                    raise _Decline
                if value is _NO_VALUE:
                    pending = (cur, key, ind)  # type: ignore[assignment]  # (a key: a line without a dash has one)
                    cur[key] = None  # type: ignore[index]
                    cur_ind = -1
                else:
                    cur[key] = {} if value is _EMPTY_MAP else [] if value is _EMPTY_SEQ else value  # type: ignore[index]
                continue
            if parsed is _F_BLANK_LINE:
                continue
            if parsed is _F_DOC_LINE:
                if pending is not None:
                    pending[0][pending[1]] = None
                if index:
                    _finish(root, index, 0, [], out)
                    if progress is not None and not index % PROGRESS_EVERY:
                        progress(index)
                index += 1
                root, frames, pending, cur_ind = None, [], None, -1
                continue
            if root is None:
                if ind or dash:
                    raise _Decline
                if not index:
                    index = 1
                root = {}
                frames = [[0, root, False]]
            if pending is not None:
                p_map, p_key, p_ind = pending
                pending = None
                if ind > p_ind or (ind == p_ind and dash):
                    if len(frames) >= _F_DEPTH:
                        raise _Decline
                    new: Any = [] if dash else {}
                    p_map[p_key] = new
                    frames.append([ind, new, dash])
                else:
                    p_map[p_key] = None
            top = frames[-1]
            while top[0] > ind or (top[0] == ind and top[2] and not dash):
                frames.pop()
                if not frames:
                    raise _Decline
                top = frames[-1]
            if top[0] != ind:
                raise _Decline
            c = top[1]
            if top[2]:  # a list item: a scalar, or the first key of a mapping at indent + 2
                if key is None:
                    c.append({} if value is _EMPTY_MAP else [] if value is _EMPTY_SEQ else value)
                    cur_ind = -1
                    continue
                if len(frames) >= _F_DEPTH:
                    raise _Decline
                c = {}
                top[1].append(c)
                ind += 2
                frames.append([ind, c, False])
            elif dash or key is None:  # (a line without a dash always has a key)
                raise _Decline
            if key in c:
                raise _Decline
            if value is _NO_VALUE:
                pending = (c, key, ind)
                c[key] = None
                cur_ind = -1
            else:
                c[key] = {} if value is _EMPTY_MAP else [] if value is _EMPTY_SEQ else value
                cur, cur_ind = c, ind
        if pending is not None:
            pending[0][pending[1]] = None
        if index:
            _finish(root, index, 0, [], out)
    except (_Decline, ValueError):
        return None
    return out, index


def plain_pieces(text: str, pieces: int) -> list[str]:
    """``text`` cut into about ``pieces`` pieces of similar size at document starts (lines ``---``; every
    piece after the first begins with one), for :func:`read_piece`: pieces of one stream can be read
    apart (by several processes) and their documents put together in order."""
    cuts = [0]
    for k in range(1, pieces):
        at = text.find("\n---\n", max(cuts[-1], len(text) * k // pieces))
        if at < 0:
            break
        cuts.append(at + 1)
    cuts.append(len(text))
    return [text[a:b] for a, b in itertools.pairwise(cuts) if b > a] or [text]


def read_piece(text: str, progress: Progress | None = None) -> tuple[list[Document], int] | None:
    """The documents of one piece of a plain block-YAML stream (see :func:`plain_pieces`), numbered from 1,
    and how many documents the piece began (the numbers of the next piece's documents start after it);
    None when the fast reader declines the piece (the whole stream is then read by
    :func:`documents_from`, which words any error)."""
    return _read_plain_counted(text, progress)


# ---------------------------------------------------------------------------------------------
# JSON streams
# ---------------------------------------------------------------------------------------------
def _no_constant(name: str) -> Any:
    raise ValueError(f"json: unsupported value: {name} (JSON has no NaN or Infinity)")


_JSON = json.JSONDecoder(parse_constant=_no_constant)
_WS = re.compile(r"[ \t\n\r]*")


def _json_depth(text: str) -> int:
    """The deepest nesting of a JSON text (strings skipped), without recursion."""
    depth = best = 0
    for tok in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        c = tok.group()
        if c in "[{":
            depth += 1
            best = max(best, depth)
        elif c in "]}":
            depth -= 1
    return best


def _read_json(text: str, out: list[Document], progress: Progress | None = None) -> None:
    pos = _WS.match(text, 0).end()  # type: ignore[union-attr]
    index = 0
    while pos < len(text):
        index += 1
        try:
            try:
                value, end = _JSON.raw_decode(text, pos)
            except RecursionError:
                # deeper than Python's recursion limit lets the C decoder go (the CLI raises it): JSON is
                # YAML, so the rest of the stream is read by the iterative YAML reader, with its limits
                if _json_depth(text[pos:]) > MAX_DEPTH:
                    raise ValueError(f"exceeded max depth of {MAX_DEPTH}") from None
                _read_rest_as_yaml(text[pos:], index, out)
                return
            if _json_depth_over(value):
                raise ValueError(f"exceeded max depth of {MAX_DEPTH}")
            _finish(value, index, end - pos, [], out)
            if progress is not None and not index % PROGRESS_EVERY:
                progress(index)
        except json.JSONDecodeError as exc:
            raise _bad(f"document {index}: error parsing JSON at line {exc.lineno}, column {exc.colno}: "
                       f"{exc.msg}") from None
        except ValueError as exc:
            raise _bad(f"document {index}: {exc}") from None
        pos = _WS.match(text, end).end()  # type: ignore[union-attr]


def _read_rest_as_yaml(text: str, first_index: int, out: list[Document]) -> None:
    rest: list[Document] = []
    _read_documents(text, lambda root, i, size, items: _finish(root, i, size, items, rest))
    out.extend(Document(d.index + first_index - 1, d.item, d.obj) for d in rest)


def _json_depth_over(value: Any) -> bool:
    """True when a decoded JSON value nests deeper than MAX_DEPTH (iterative)."""
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if d > MAX_DEPTH:
            return True
        if isinstance(v, dict):
            stack.extend((c, d + 1) for c in v.values() if isinstance(c, dict | list))
        elif isinstance(v, list):
            stack.extend((c, d + 1) for c in v if isinstance(c, dict | list))
    return False


# ---------------------------------------------------------------------------------------------
# the public doors
# ---------------------------------------------------------------------------------------------
def documents_from(text: str, progress: Progress | None = None) -> tuple[list[Document], Invalid | None]:
    """Every object of a stream, in order, and the error that stopped it (None if it was read to the end).

    A stream whose first non-blank character is ``{`` is read as JSON, anything else as YAML.
    ``progress``, if given, is called with the number of documents read so far every PROGRESS_EVERY
    documents (a stream the fast reader declines is read again from its start: the count restarts).
    """
    out: list[Document] = []

    def take(root: Any, index: int, size: int, item_sizes: list[int]) -> None:
        _finish(root, index, size, item_sizes, out)
        if progress is not None and not index % PROGRESS_EVERY:
            progress(index)

    try:
        if text.lstrip(" \t\r\n\ufeff")[:1] == "{":
            _read_json(text, out, progress)
        else:
            plain = _read_plain(text, progress)
            if plain is not None:
                return plain, None
            _read_documents(text, take)
    except Invalid as exc:
        return out, exc
    return out, None


def load_manifests(text: str) -> list[dict[str, Any]]:
    """Parse a YAML or JSON stream into a list of objects; ``kind: List`` items are expanded.

    Raises :class:`~refmodel.errors.Invalid` for the first error: YAML or JSON syntax, duplicate keys,
    excessive aliasing, nesting past 10,000 levels, NaN or Infinity, an object past 3 MiB, a document
    that is not a mapping.
    """
    docs, err = documents_from(text)
    if err is not None:
        raise err
    return [d.obj for d in docs]


def load_yaml(text: str) -> Any:
    """One YAML (or JSON) document of any shape, with the same limits (for event scripts); None if empty."""
    roots: list[Any] = []

    def keep(root: Any, index: int, size: int, item_sizes: list[int]) -> None:
        if index > 1:
            raise ValueError("expected one YAML document, found a second one (a line '---')")
        roots.append(root)

    _read_documents(text, keep)
    return roots[0] if roots else None


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
