"""The ``kubeoracle`` command line: ``simulate``, ``validate`` and the dispatch to the suite's commands.

**Mirrors:** ``kubectl apply -f`` (``staging/src/k8s.io/kubectl/pkg/cmd/apply/apply.go``: every document
is applied even when one fails, errors read ``Error from server (Invalid): error when creating
"FILE": ...``, paths that do not exist read ``the path "x" does not exist``, directories contribute their
``.yaml``/``.yml``/``.json`` files in name order, ``-`` is standard input), ``kubectl get -A -o
wide|yaml|json`` for the result (printing in :mod:`conformance.output`), and ``kubectl apply
--dry-run=server`` / kubectl-validate for ``validate`` (every error of every document, with field
paths).
**Modelled:** ``simulate`` applies the manifests to a fresh model cluster, converges, then plays an events
script (a YAML list of ``{event: Name, ...}`` mappings, parsed by ``refmodel.events.event_from_dict``),
converging after each event; ``validate`` dry-run-creates every document into one scratch cluster in
order (namespaces are created for real, so later documents can use them; a namespace defined nowhere
is assumed to exist, with a note); duplicates within one invocation are reported like kubeconform does.
``conformance``, ``replay`` and ``serve`` hand their arguments, untouched, to ``conformance.runner``,
``conformance.replay`` and ``conformance.serve``; ``bench`` runs ``pytest benchmarks --benchmark-only``.
Exit codes: 0 ok, 1 invalid input or a failed check, 2 usage. Bad input never gives a traceback (an
unexpected exception is reported in one line too; ``KUBEORACLE_DEBUG=1`` shows its traceback).
**Not modelled (and why):** ``-R`` (recursive directories), URLs as ``-f`` (no network I/O), kustomize
(``-k``) and server-side apply: the model implements client-side apply, which is kubectl's default.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

import attrs
import yaml

import refmodel as rm
from refmodel import apiserver, kubectl
from refmodel.controllers import notify
from refmodel.events import Event, event_from_dict, event_to_dict
from refmodel.frozen import thaw
from refmodel.quantity import parse_quantity
from refmodel.request import Request
from refmodel.resources import REGISTRY

from . import output

__all__ = ["main"]

PROG = "kubeoracle"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
MAX_NODES = 5000

# Subcommands another part of the project implements: name -> module with ``main(argv) -> int``.
DELEGATED = {
    "conformance": "conformance.runner",
    "replay": "conformance.replay",
    "serve": "conformance.serve",
}


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


# ---------------------------------------------------------------------------------------------
# argument parsing
# ---------------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and an exception, so ``main`` can return 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _node_count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of nodes, got {text!r}") from None
    if not 0 <= n <= MAX_NODES:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_NODES}, got {n}")
    return n


def _quantity(text: str) -> str:
    try:
        q = parse_quantity(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a quantity: {exc}") from None
    if q <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than zero, got {text!r}")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="An executable reference model of Kubernetes v1.32 and a conformance suite.",
        epilog="Exit codes: 0 ok, 1 invalid input or failed check, 2 usage.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {rm.__version__} (Kubernetes v1.32 semantics)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sim = sub.add_parser("simulate", help="apply manifests to a model cluster, play events, print the result",
                         description="Apply manifests to a fresh model cluster (like kubectl apply -f), let it "
                                     "converge, play an events script, and print the cluster like "
                                     "kubectl get -A -o wide.")
    _add_filename(sim)
    sim.add_argument("--nodes", type=_node_count, default=3, metavar="N",
                     help="number of Ready nodes node-0..node-N-1 (default 3)")
    sim.add_argument("--node-cpu", type=_quantity, default="4", metavar="QTY", help="CPU of each node (default 4)")
    sim.add_argument("--node-memory", type=_quantity, default="16Gi", metavar="QTY",
                     help="memory of each node (default 16Gi)")
    sim.add_argument("--events", metavar="SCRIPT",
                     help="YAML list of events ({event: Scale, kind: Deployment, namespace: default, "
                          "name: web, replicas: 5}, ...) to play after the manifests")
    sim.add_argument("-o", "--output", choices=("wide", "yaml", "json"), default="wide",
                     help="wide (tables, the default), yaml or json (a kind: List)")
    sim.add_argument("-A", "--all-namespaces", action="store_true", default=True,
                     help="list objects of every namespace (the default; -n narrows it)")
    sim.add_argument("-n", "--namespace", metavar="NAMESPACE", help="only objects of this namespace")
    sim.add_argument("--show-system", action="store_true",
                     help="also print the cluster's own objects (kube-system, the kubernetes Service, ...) in "
                          "the tables; -o yaml|json always lists every object")
    sim.set_defaults(func=cmd_simulate)

    val = sub.add_parser("validate", help="check manifests the way the API server would (exit 1 if invalid)",
                         description="Dry-run create every document into a scratch model cluster and print "
                                     "every error with its field path.")
    _add_filename(val)
    val.set_defaults(func=cmd_validate)

    for name, module in DELEGATED.items():
        d = sub.add_parser(name, add_help=False, help=f"(see '{PROG} {name} --help'; implemented by {module})")
        d.add_argument("args", nargs=argparse.REMAINDER)
    b = sub.add_parser("bench", help="run the benchmarks (pytest benchmarks --benchmark-only)")
    b.add_argument("--report", metavar="DIR", help="also write DIR/bench.json")
    b.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest")
    return parser


def _add_filename(p: argparse.ArgumentParser) -> None:
    p.add_argument("-f", "--filename", action="extend", nargs="+", required=True, metavar="FILE",
                   help="manifest files, directories of them (*.yaml, *.yml, *.json), or - for stdin; "
                        "-f takes several and may be repeated")


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kubeoracle`` command line; returns the exit code (never raises for bad input)."""
    args = list(sys.argv[1:] if argv is None else argv)
    delegated = bool(args) and args[0] in DELEGATED
    try:
        if delegated:
            return _delegate(args[0], args[1:])
        if args and args[0] == "bench":
            return cmd_bench(args[1:])
        parser = build_parser()
        try:
            ns = parser.parse_args(args)
        except SystemExit as exc:  # --help, --version
            return _exit_code(exc)
        if ns.command is None:
            parser.print_usage(sys.stderr)
            _err(f"error: a command is required (see '{PROG} --help')")
            return 2
        rc: int = ns.func(ns)
        return rc
    except UsageError as exc:
        _err(f"error: {exc}")
        return 2
    except BrokenPipeError:  # `kubeoracle simulate ... | head`: the reader is gone, say nothing
        _silence_stdout()
        return 1
    except (rm.Invalid, rm.NotConverged, OSError, ValueError) as exc:
        _err(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:  # a bug, not bad input: one line, the traceback on request
        if delegated or os.environ.get("KUBEORACLE_DEBUG"):
            raise  # the suite's commands own their failures; their tracebacks are bug reports
        _err(f"error: internal error ({type(exc).__name__}: {exc}); this is a bug in {PROG}, "
             "rerun with KUBEORACLE_DEBUG=1 for the traceback")
        return 1


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    _err(str(code))
    return 1


def _err(text: str) -> None:
    print(text, file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# reading manifests
# ---------------------------------------------------------------------------------------------
@attrs.frozen
class Source:
    label: str  # the name errors use: the path as given, or STDIN
    text: str


def _read_text(path: Path, label: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f'"{label}" is not UTF-8 text') from None
    except OSError as exc:
        raise OSError(f'cannot read "{label}": {exc.strerror or exc}') from None


def _read_stdin(stdin: TextIO) -> str:
    try:
        return stdin.read()
    except UnicodeDecodeError:
        raise ValueError("standard input is not UTF-8 text") from None


def expand(path_arg: str) -> list[Source]:
    """One ``-f`` argument -> its sources: a file, the manifest files of a directory (sorted), or stdin."""
    if path_arg == "-":
        return [Source("STDIN", _read_stdin(sys.stdin))]
    path = Path(path_arg)
    if not path.exists():
        raise OSError(f'the path "{path_arg}" does not exist')
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES)
        if not files:
            raise ValueError(f'no manifests (*.yaml, *.yml, *.json) in the directory "{path_arg}"')
        return [Source(str(p), _read_text(p, str(p))) for p in files]
    return [Source(path_arg, _read_text(path, path_arg))]


# ---------------------------------------------------------------------------------------------
# events scripts
# ---------------------------------------------------------------------------------------------
class _ScriptLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and keeps timestamps as text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f'key "{key}" already set in map', key_node.start_mark)
                seen.add(key)
            except TypeError:
                continue
        return super().construct_mapping(node, deep=deep)


def _timestamp_as_text(loader: _ScriptLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_ScriptLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)

_FIELD_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "str": (str,), "bool": (bool,)}


def _check_field_types(event: Event) -> None:
    """attrs does not check types; a ``seconds: soon`` must be an input error, not a crash later."""
    for a in attrs.fields(type(event)):
        want = _FIELD_TYPES.get(str(a.type))
        if want is None:
            continue
        value = getattr(event, a.name)
        if not isinstance(value, want) or (want == (int,) and isinstance(value, bool)):
            raise ValueError(f"event {type(event).__name__}: field {a.name} must be {a.type}, got {value!r}")


def load_events(path_arg: str) -> list[Event]:
    """Parse an events script: a YAML list of ``{event: Name, field: value, ...}`` (or ``{events: [...]}``)."""
    label = "STDIN" if path_arg == "-" else path_arg
    if path_arg == "-":
        text = _read_stdin(sys.stdin)
    else:
        path = Path(path_arg)
        if not path.exists():
            raise OSError(f'the events script "{path_arg}" does not exist')
        if path.is_dir():
            raise ValueError(f'the events script "{path_arg}" is a directory, not a file')
        text = _read_text(path, path_arg)
    try:
        data = yaml.load(text, Loader=_ScriptLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        raise ValueError(f"{label}: error parsing YAML at {where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{label}: error parsing YAML: {exc}") from None
    if isinstance(data, dict) and set(data) == {"events"}:
        data = data["events"]
    if data is None:
        return []
    if not isinstance(data, list):
        got = "a mapping" if isinstance(data, dict) else f"the value {data!r}"
        raise ValueError(f"{label}: an events script must be a YAML list of events, got {got}")
    events: list[Event] = []
    for i, item in enumerate(data, 1):
        try:
            event = event_from_dict(item)
            _check_field_types(event)
        except ValueError as exc:
            raise ValueError(f"{label}: event {i}: {exc}") from None
        events.append(event)
    return events


def describe_event(event: Event) -> str:
    """``Scale kind=Deployment namespace=default name=web replicas=5``; ``Apply Deployment/shop``."""
    d = event_to_dict(event)
    name = d.pop("event")
    obj = d.pop("obj", None)
    if isinstance(obj, dict):
        md = _meta(obj)
        d = {"": f"{obj.get('kind', '?')}/{md.get('name', '?')}", **d}
    parts = [str(v) if not k else f"{k}={v}" for k, v in d.items()]
    return " ".join([name, *parts])


# ---------------------------------------------------------------------------------------------
# simulate
# ---------------------------------------------------------------------------------------------
Ref = tuple[str, str, str]


def _meta(obj: Any) -> dict[str, Any]:
    md = obj.get("metadata") if isinstance(obj, dict) else None
    return md if isinstance(md, dict) else {}


def _plural(kind: str) -> str:
    if kind.endswith(("s", "x", "sh", "ch")):
        return kind + "es"
    if kind.endswith("y") and kind[-2:-1].lower() not in "aeiou":
        return kind[:-1] + "ies"
    return kind + "s"


def _ref_of(obj: Any) -> Ref | None:
    """(kind, namespace, name) of a manifest as the API server would store it, or None if it has none."""
    if not isinstance(obj, dict):
        return None
    kind, md = obj.get("kind"), obj.get("metadata")
    if not isinstance(kind, str) or not isinstance(md, dict) or not isinstance(md.get("name"), str):
        return None
    info = REGISTRY.get(kind)
    if info is None:
        return None
    ns = md.get("namespace") or "default"
    return (kind, str(ns) if info.namespaced else "", md["name"])


def _known_kind(obj: dict[str, Any]) -> bool:
    info = REGISTRY.get(str(obj.get("kind")))
    return info is not None and obj.get("apiVersion") in info.api_versions


def apply_document(state: rm.ClusterState, obj: dict[str, Any], label: str) -> tuple[rm.ClusterState, bool]:
    """``kubectl apply`` of one document; prints what kubectl would print on stderr. Returns (state, ok)."""
    ref = _ref_of(obj)
    existed = ref is not None and state.get(*ref) is not None
    state_after, result, changes = kubectl.apply(state, obj)
    rej = result.rejection
    if rej is not None:
        md = _meta(obj)
        if rej.code == 400 and rej.reason == "BadRequest":
            _err(f'error: error validating "{label}": {rej.message}')
        elif rej.reason == "NotFound" and not _known_kind(obj):
            _err(f'error: resource mapping not found for name: "{md.get("name", "")}" namespace: '
                 f'"{md.get("namespace", "") or ""}" from "{label}": {rej.message}')
        else:
            verb = "applying" if existed else "creating"
            _err(f'Error from server ({rej.reason}): error when {verb} "{label}": {rej.message}')
        return state, False
    kind = str(obj.get("kind"))
    if result.notice:
        _err(f"notice: {result.notice}")
    elif not REGISTRY[kind].modelled or not REGISTRY[kind].reconciled:
        name = result.obj["metadata"]["name"] if result.obj is not None else (ref[2] if ref else "?")
        _err(f"notice: {kind}/{name} stored as-is; the model does not reconcile {_plural(kind)}")
    return (notify(state_after, changes) if changes else state_after), True


def _all_refs(state: rm.ClusterState) -> frozenset[Ref]:
    refs = set()
    for kind in state.objects:
        for o in state.iter_kind(kind):
            md = o["metadata"]
            refs.add((kind, md.get("namespace", ""), md["name"]))
    return frozenset(refs)


def visible_objects(state: rm.ClusterState, *, baseline: frozenset[Ref], touched: frozenset[Ref],
                    namespace: str | None, show_system: bool) -> list[dict[str, Any]]:
    """The objects ``simulate`` prints: nodes and user objects, or everything with ``show_system``.

    The cluster's own objects are those of the kube-* namespaces and those a fresh cluster already
    has (initial namespaces, the ``kubernetes`` Service), unless the user applied them.
    """
    out: list[dict[str, Any]] = []
    if namespace in SYSTEM_NAMESPACES:
        show_system = True
    for kind in sorted(state.objects.keys()):
        info = REGISTRY.get(kind)
        namespaced = info.namespaced if info is not None else True
        for o in rm.list_objects(state, kind):
            md = o["metadata"]
            ns = md.get("namespace", "") if namespaced else ""
            if namespace is not None and (not namespaced or ns != namespace):
                continue
            ref = (kind, ns, md["name"])
            system = kind != "Node" and ref not in touched and (
                ref in baseline or ns in SYSTEM_NAMESPACES
                or (kind == "Namespace" and md["name"] in SYSTEM_NAMESPACES))
            if system and not show_system:
                continue
            out.append(o)
    return out


def cmd_simulate(ns: argparse.Namespace) -> int:
    if ns.events == "-" and "-" in ns.filename:
        raise UsageError("standard input can feed either -f - or --events -, not both")
    sources = [s for f in ns.filename for s in expand(f)]
    events = load_events(ns.events) if ns.events else []
    state = rm.new_cluster(nodes=ns.nodes, cpu=ns.node_cpu, memory=ns.node_memory)
    baseline = _all_refs(state)
    touched: set[Ref] = set()
    ok = True
    documents = 0
    for src in sources:
        try:
            objs = rm.load_manifests(src.text)
        except rm.Invalid as exc:
            _err(f'error: error parsing "{src.label}": {exc}')
            ok = False
            continue
        for obj in objs:
            documents += 1
            state, applied = apply_document(state, obj, src.label)
            ok = ok and applied
            ref = _ref_of(obj)
            if applied and ref is not None:
                touched.add(ref)
    if documents == 0 and not events:
        if ok:  # an unparsable file has said so already
            _err("error: no objects passed to simulate")
        return 1
    state = rm.converge(state)
    for i, event in enumerate(events, 1):
        result = rm.transition(state, event)
        if result.rejection is not None:
            _err(f"error: event {i} ({describe_event(event)}): {result.rejection.message}")
            ok = False
        elif isinstance(event, rm.events.Apply):
            ref = _ref_of(thaw(event.obj))
            if ref is not None:
                touched.add(ref)
        state = rm.converge(result.state)
    # tables show nodes and user objects; -o yaml|json is machine output and lists every object
    objs = visible_objects(state, baseline=baseline, touched=frozenset(touched), namespace=ns.namespace,
                           show_system=ns.show_system or ns.output != "wide")
    _print_objects(state, objs, ns.output, ns.namespace)
    return 0 if ok else 1


def _print_objects(state: rm.ClusterState, objs: list[dict[str, Any]], fmt: str, namespace: str | None) -> None:
    objs = [dict(o) for o in output.sort_objects(objs)]
    if fmt == "yaml":
        sys.stdout.write(output.render_yaml(objs))
        return
    if fmt == "json":
        sys.stdout.write(output.render_json(objs))
        return
    if not objs:
        _err(f"No resources found in {namespace} namespace." if namespace else "No resources found")
        return
    namespaced = {k: info.namespaced for k, info in REGISTRY.items()}
    now_epoch = state.config.start_time + state.now
    sys.stdout.write(output.render_tables(objs, now_epoch, show_namespace=namespace is None, namespaced=namespaced))


# ---------------------------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------------------------
@attrs.frozen
class Document:
    label: str
    index: int  # 1-based position in its source
    obj: dict[str, Any]

    @property
    def ident(self) -> str:
        kind = self.obj.get("kind")
        md = _meta(self.obj)
        name = md.get("name") or (f"{md['generateName']}*" if md.get("generateName") else None)
        return f"{kind or '<no kind>'}/{name if name not in (None, '') else '<no name>'}"


def _namespace_of(obj: dict[str, Any]) -> str | None:
    """The namespace a namespaced object lands in (None for cluster-scoped or undecodable objects)."""
    info = REGISTRY.get(str(obj.get("kind")))
    md = obj.get("metadata")
    if info is None or not info.namespaced or not isinstance(md, dict):
        return None
    ns = md.get("namespace") or "default"
    return ns if isinstance(ns, str) else None


def cmd_validate(ns: argparse.Namespace) -> int:
    docs: list[Document] = []
    failed = False
    bad_files = 0
    for path_arg in ns.filename:
        try:
            sources = expand(path_arg)
        except (OSError, ValueError) as exc:
            _err(f"error: {exc}")
            failed = True
            continue
        for src in sources:
            try:
                objs = rm.load_manifests(src.text)
            except rm.Invalid as exc:
                print(f"{src.label}: {exc}")
                bad_files += 1
                continue
            docs.extend(Document(src.label, i, o) for i, o in enumerate(objs, 1))
    valid, invalid = validate_documents(docs)
    invalid += bad_files
    if not docs and not bad_files:
        _err("error: no objects passed to validate")
        return 1
    print(f"{valid} objects valid, {invalid} invalid")
    return 1 if failed or invalid else 0


def validate_documents(docs: Iterable[Document]) -> tuple[int, int]:
    """Validate in order into one scratch cluster; print every error. Returns (valid, invalid)."""
    docs = list(docs)
    scratch = rm.new_cluster(nodes=0)
    defined_ns: dict[str, int] = {}  # namespace name -> index of the first document defining it
    for i, d in enumerate(docs):
        name = _meta(d.obj).get("name")
        if d.obj.get("kind") == "Namespace" and isinstance(name, str):
            defined_ns.setdefault(name, i)
    first_seen: dict[Ref, Document] = {}
    noted_ns: set[str] = set()
    noted_kinds: set[str] = set()
    cross_file: list[tuple[Document, Document]] = []
    valid = invalid = 0
    for i, doc in enumerate(docs):
        errors: list[str] = []
        ref = _ref_of(doc.obj)
        first = first_seen.get(ref) if ref is not None else None
        if first is not None and first.label == doc.label:
            errors.append(f"Duplicate value: {doc.ident} is already defined as document {first.index} of this "
                          "file; kubectl create -f fails with AlreadyExists here, kubectl apply -f overwrites "
                          "the first copy")
        target = scratch
        ns_name = _namespace_of(doc.obj)
        if ns_name is not None and scratch.get("Namespace", "", ns_name) is None:
            if ns_name not in noted_ns:
                noted_ns.add(ns_name)
                if ns_name in defined_ns and defined_ns[ns_name] > i:
                    _err(f'note: {doc.label}: {doc.ident}: namespace "{ns_name}" is defined only after objects that '
                         "use it; kubectl apply -f would fail for them unless the namespace already exists")
                else:
                    _err(f'note: namespace "{ns_name}" is not defined in these files; objects in it '
                         "were validated as if it existed")
            created, response, _ = apiserver.handle(scratch, Request("create", body={
                "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns_name}}))
            if response.ok:
                target = created
        rej = rm.validate_manifest(target, doc.obj)
        if rej is not None and rej.reason != "AlreadyExists":
            if rej.reason == "Invalid" and rej.causes:
                errors.extend(str(c) for c in rej.causes)
            else:
                errors.append(rej.message)
        for e in errors:
            print(f"{doc.label}: {doc.ident}: {e}")
        if errors:
            invalid += 1
            continue
        valid += 1
        if first is not None:
            cross_file.append((doc, first))
        if ref is not None:
            first_seen[ref] = doc
        kind = str(doc.obj.get("kind"))
        info = REGISTRY.get(kind)
        if info is not None and not info.modelled and kind not in noted_kinds:
            noted_kinds.add(kind)
            _err(f"note: {_plural(kind)} are checked for metadata and top-level fields only; "
                 "the model stores them as-is")
        if kind == "Namespace":
            scratch = kubectl.apply(scratch, doc.obj)[0]
    if cross_file:
        doc, first = cross_file[0]
        more = f" and {len(cross_file) - 1} more" if len(cross_file) > 1 else ""
        _err(f"note: {len(cross_file)} object(s) are defined in more than one file ({doc.ident} in {first.label} "
             f"and {doc.label}{more}); kubectl apply -f would keep the last copy of each")
    return valid, invalid


# ---------------------------------------------------------------------------------------------
# delegated commands
# ---------------------------------------------------------------------------------------------
def _delegate(command: str, rest: list[str]) -> int:
    module_name = DELEGATED[command]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        if missing == module_name or module_name.startswith(missing + "."):
            _err(f"{PROG}: '{command}' is not available in this build")
        elif missing.split(".")[0] == "conformance":
            _err(f"{PROG}: '{command}' is not available in this build ({module_name} needs {missing}, "
                 "which is missing)")
        else:
            _err(f"{PROG}: '{command}' needs the Python module '{missing}', which is not installed")
        return 2
    entry = getattr(module, "main", None)
    if not callable(entry):
        _err(f"{PROG}: '{command}' is not available in this build")
        return 2
    try:
        rc = entry(rest)
    except SystemExit as exc:
        return _exit_code(exc)
    return int(rc or 0)


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


def cmd_bench(argv: list[str]) -> int:
    parser = _Parser(prog=f"{PROG} bench", description="Run the pytest-benchmark suites in benchmarks/.")
    parser.add_argument("--report", metavar="DIR", help="also write the results to DIR/bench.json")
    try:
        ns, extra = parser.parse_known_args(argv)
    except SystemExit as exc:
        return _exit_code(exc)
    bench_dir = _repo_root() / "benchmarks"
    if not bench_dir.is_dir() or not any(bench_dir.glob("*.py")):
        _err(f"{PROG}: 'bench' is not available in this build")
        return 2
    if importlib.util.find_spec("pytest_benchmark") is None:
        _err(f"{PROG}: 'bench' needs pytest-benchmark (pip install 'kubeoracle[bench]')")
        return 2
    cmd = [sys.executable, "-m", "pytest", str(bench_dir), "--benchmark-only"]
    if ns.report:
        report = Path(ns.report)
        report.mkdir(parents=True, exist_ok=True)
        cmd += ["--benchmark-json", str(report / "bench.json")]
    rc = subprocess.run([*cmd, *extra], cwd=_repo_root(), check=False).returncode
    return {0: 0, 4: 2}.get(rc, 1)
