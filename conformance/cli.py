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
Large inputs are read and checked by several forked processes (``--workers``, kubeconform's ``-n``),
with the verdicts of one ordered walk, and show progress on stderr (``--progress``, or on a terminal).
``conformance``, ``replay``, ``serve`` and ``report`` hand their arguments, untouched, to ``conformance.runner``,
``conformance.replay``, ``conformance.serve`` and ``reports.merge``; ``bench`` is ``conformance.bench``.
Exit codes: 0 ok, 1 invalid input or a failed check, 2 usage. Bad input never gives a traceback (an
unexpected exception is reported in one line too; ``KUBEORACLE_DEBUG=1`` shows its traceback).
**Not modelled (and why):** ``-R`` (recursive directories), URLs as ``-f`` (no network I/O), kustomize
(``-k``) and server-side apply: the model implements client-side apply, which is kubectl's default.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import math
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

import attrs

import refmodel as rm
from refmodel import apiserver, kubectl
from refmodel.controllers import notify
from refmodel.core import cyclic_gc_paused
from refmodel.events import Event
from refmodel.frozen import thaw
from refmodel.quantity import parse_quantity
from refmodel.request import Request
from refmodel.resources import REGISTRY
from refmodel.yamlio import MAX_DEPTH, Document, documents_from, plain_pieces, read_piece

from . import output
from .script import ScriptError, describe, read_script

__all__ = ["main"]

PROG = "kubeoracle"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
MAX_NODES = 5000
MAX_FILE_BYTES = 64 * 2**20  # a guard, not an upstream limit: each object is still held to 3 MiB

# Subcommands another part of the project implements: name -> module with ``main(argv) -> int``.
DELEGATED = {
    "conformance": "conformance.runner",
    "replay": "conformance.replay",
    "serve": "conformance.serve",
    "report": "reports.merge",
}
DELEGATED_HELP = {
    "conformance": "run the conformance machines against an adapter (see 'kubeoracle conformance --help')",
    "replay": "replay an event script with every check (see 'kubeoracle replay --help')",
    "serve": "the Kubernetes REST API over the model, for kubectl (see 'kubeoracle serve --help')",
    "report": "merge the reports of a sharded conformance run (see 'kubeoracle report merge --help')",
}
# Commands that are planned but do not exist yet: named, so that trying one says so plainly.
NOT_YET: dict[str, str] = {}


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


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of processes, got {text!r}") from None
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"must be between 1 and 64, got {n}")
    return n


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
                                     "converge, play an events script (the format replay reads: a "
                                     "counterexample script shows the cluster it leads to), and print the "
                                     "cluster like kubectl get -A -o wide. Each event's outcome is printed "
                                     "on stderr as it runs.")
    _add_filename(sim, required=False)
    sim.add_argument("--nodes", type=_node_count, default=3, metavar="N",
                     help="number of Ready nodes node-0..node-N-1 (default 3)")
    sim.add_argument("--node-cpu", type=_quantity, default="4", metavar="QTY", help="CPU of each node (default 4)")
    sim.add_argument("--node-memory", type=_quantity, default="16Gi", metavar="QTY",
                     help="memory of each node (default 16Gi)")
    sim.add_argument("--events", metavar="SCRIPT",
                     help="an events script: a YAML list of events ({event: Scale, kind: Deployment, "
                          "namespace: default, name: web, replicas: 5}, ...) or a counterexample script "
                          "written by kubeoracle conformance; played after the manifests")
    sim.add_argument("-o", "--output", choices=("wide", "yaml", "json"), default="wide",
                     help="wide (tables, the default), yaml or json (a kind: List)")
    sim.add_argument("-A", "--all-namespaces", action="store_true", default=True,
                     help="list objects of every namespace (the default; -n narrows it)")
    sim.add_argument("-n", "--namespace", metavar="NAMESPACE", help="only objects of this namespace")
    sim.add_argument("--show-system", action="store_true",
                     help="also print the cluster's own objects (kube-system, the kubernetes Service, ...) in "
                          "the tables; -o yaml|json always lists every object")
    sim.add_argument("--resolve", metavar="NAME", action="append",
                     help="print what cluster DNS answers a pod for NAME (A, or the record type given as "
                          "NAME/TYPE: SRV, CNAME, PTR) after the cluster settles; may be repeated")
    sim.add_argument("--from", dest="resolve_from", metavar="NAMESPACE", default="default",
                     help="the namespace of the pod asking (its search path), for --resolve (default: default)")
    sim.set_defaults(func=cmd_simulate)

    val = sub.add_parser("validate", help="check manifests the way the API server would (exit 1 if invalid)",
                         description="Dry-run create every document into a scratch model cluster and print "
                                     "every error with its field path.")
    _add_filename(val)
    val.add_argument("-o", "--output", choices=("text", "json", "name"), default="text",
                     help="text (errors on stderr, a summary on stdout; the default), json (every object's "
                          "verdict and the summary, like kubeconform -output json) or name (kind.group/name "
                          "of each valid object, like kubectl -o name)")
    val.add_argument("--strict", action="store_true",
                     help="also fail (exit 1) when objects were skipped because the model does not check "
                          "their kind (kubeconform's -strict; by default they are reported, not failed)")
    val.add_argument("--progress", action="store_true",
                     help="show progress on stderr (the default when stderr is a terminal and there are "
                          "2,000 objects or more)")
    val.add_argument("--workers", type=_workers, default=None, metavar="N",
                     help="processes checking documents when there are 10,000 or more (default: one per CPU, "
                          "at most 4; kubeconform's -n)")
    val.set_defaults(func=cmd_validate)

    for name in DELEGATED:
        d = sub.add_parser(name, add_help=False, help=DELEGATED_HELP[name])
        d.add_argument("args", nargs=argparse.REMAINDER)
    b = sub.add_parser("bench", add_help=False,
                       help="run the benchmarks and write a report (see 'kubeoracle bench --help')")
    b.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _add_filename(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("-f", "--filename", action="extend", nargs="+", required=required, metavar="FILE",
                   help="manifest files, directories of them (*.yaml, *.yml, *.json), or - for stdin; "
                        "-f takes several and may be repeated")


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
# Input may nest 10,000 levels (the loader's limit, kubectl's); every walk over it -- the model's
# copies, kubectl apply's last-applied JSON, -o json|yaml -- recurses once or a few times per level.
# CPython 3.11 runs Python-to-Python calls without growing the C stack, and the C encoders checked
# here (json, repr, ==) stay within an 8 MiB stack at that depth (tests/test_bad_input.py runs them).
RECURSION_LIMIT = 12 * MAX_DEPTH


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kubeoracle`` command line; returns the exit code (never raises for bad input)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, RECURSION_LIMIT))
    try:
        return _main(argv)
    finally:
        sys.setrecursionlimit(old)


def _main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    delegated = bool(args) and args[0] in DELEGATED
    if args and args[0] in NOT_YET:
        _err(f"error: '{args[0]}' is not available yet (see {NOT_YET[args[0]]})")
        return 2
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


def report_dir_problem(path: Path) -> str | None:
    """Why a ``--report DIR`` could not be written, found before a run rather than after it (None: it can
    be): DIR, or the nearest part of its path that exists, is a file, or that directory is read-only."""
    p = path
    while not p.exists() and p.parent != p:
        p = p.parent
    if not p.is_dir():
        return f'"{path}" exists and is not a directory' if p == path else f'"{p}" (in "{path}") is a file, not a directory'
    if not os.access(p, os.W_OK | os.X_OK):
        return f'"{p}" is not writable'
    return None


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
        size = path.stat().st_size
    except OSError as exc:
        raise OSError(f'cannot read "{label}": {exc.strerror or exc}') from None
    if size > MAX_FILE_BYTES:
        raise ValueError(f'"{label}" is {size / 2**20:.1f} MiB; {PROG} reads at most {MAX_FILE_BYTES // 2**20} MiB '
                         "per file (split it into several files)")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f'"{label}" is not UTF-8 text') from None
    except OSError as exc:
        raise OSError(f'cannot read "{label}": {exc.strerror or exc}') from None


def _read_stdin(stdin: TextIO) -> str:
    try:
        text = stdin.read(MAX_FILE_BYTES + 1)
    except UnicodeDecodeError:
        raise ValueError("standard input is not UTF-8 text") from None
    if len(text) > MAX_FILE_BYTES:
        raise ValueError(f"standard input holds more than {MAX_FILE_BYTES // 2**20} MiB; {PROG} reads at most that")
    return text


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


def load_events(path_arg: str) -> list[Event | None]:
    """An events script (the format ``replay`` reads; ``None`` is a Settle). Raises ScriptError/OSError."""
    _, events = read_script(path_arg, _read_stdin(sys.stdin) if path_arg == "-" else None)
    return events


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


def _parse_sources(sources: Iterable[Source], progress: _Progress | None = None, workers: int = 1,
                   ) -> Iterator[tuple[Source, Document | None, str | None]]:
    """Every document of every source, then (when a source stops early) its error:
    ``(source, document, None)`` or ``(source, None, error text)``."""
    for src in sources:
        docs, err = _documents(src.text, progress, workers)
        if progress is not None:
            progress.finish(docs[-1].index if docs else 0)
        for d in docs:
            yield src, d, None
        if err is not None:
            more = " (documents after it, if any, were not read)"
            yield src, None, f"{err.rejection.message}{more}"


def cmd_simulate(ns: argparse.Namespace) -> int:
    filenames = ns.filename or []
    if not filenames and not ns.events:
        raise UsageError("simulate needs manifests (-f FILE) or an events script (--events SCRIPT), or both")
    if ns.events == "-" and "-" in filenames:
        raise UsageError("standard input can feed either -f - or --events -, not both")
    sources = [s for f in filenames for s in expand(f)]
    try:
        events = load_events(ns.events) if ns.events else []
    except ScriptError as exc:
        for problem in exc.problems:
            _err(f'error: error parsing events script "{ns.events}": {problem}')
        return 1
    state = rm.new_cluster(nodes=ns.nodes, cpu=ns.node_cpu, memory=ns.node_memory)
    baseline = _all_refs(state)
    touched: set[Ref] = set()
    ok = True
    documents = 0
    for src, doc, error in _parse_sources(sources):
        if doc is None:
            _err(f'error: error parsing "{src.label}": {error}')
            ok = False
            continue
        documents += 1
        state, applied = apply_document(state, doc.obj, src.label)
        ok = ok and applied
        ref = _ref_of(doc.obj)
        if applied and ref is not None:
            touched.add(ref)
    if documents == 0 and not events:
        if ok:  # an unparsable file has said so already
            _err("error: no objects passed to simulate")
        return 1
    state = rm.converge(state)
    for i, event in enumerate(events):
        if event is None:  # Settle: simulate converges after every event anyway
            _err(f"event {i}: Settle -> settled")
            continue
        result = rm.transition(state, event)
        if result.rejection is not None:
            rej = result.rejection
            _err(f"error: event {i}: {describe(event)} -> rejected ({rej.reason}): {rej.message}")
            ok = False
        else:
            _err(f"event {i}: {describe(event)} -> ok")
            if isinstance(event, rm.events.Apply):
                ref = _ref_of(thaw(event.obj))
                if ref is not None:
                    touched.add(ref)
        state = rm.converge(result.state)
    # tables show nodes and user objects; -o yaml|json is machine output and lists every object
    objs = visible_objects(state, baseline=baseline, touched=frozenset(touched), namespace=ns.namespace,
                           show_system=ns.show_system or ns.output != "wide")
    _print_objects(state, objs, ns.output, ns.namespace)
    for query in ns.resolve or ():
        _print_answers(state, query, ns.resolve_from)
    return 0 if ok else 1


def _print_answers(state: rm.ClusterState, query: str, namespace: str) -> None:
    """``dig +noall +answer``'s shape: one line per record; NXDOMAIN (or no data) said as nslookup says it."""
    name, _, rtype = query.partition("/")
    rtype = (rtype or "A").upper()
    if rtype not in rm.dns.TYPES:
        raise UsageError(f"--resolve {query}: record type {rtype} is not served (use one of "
                         f"{', '.join(rm.dns.TYPES)})")
    records = rm.resolve(state, name, namespace, rtype)
    if not records:
        sys.stdout.write(f"** server can't find {name} ({rtype}, from namespace {namespace}): NXDOMAIN\n")
        return
    for r in records:
        sys.stdout.write(f"{r.name}.\t30\tIN\t{r.type}\t{r.data}{'.' if r.type in ('CNAME', 'PTR', 'SRV') else ''}\n")


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
class Item:
    """One document to validate: its source and its place there."""

    label: str
    doc: Document

    @property
    def obj(self) -> dict[str, Any]:
        return self.doc.obj

    @property
    def ident(self) -> str:
        kind = self.obj.get("kind")
        md = _meta(self.obj)
        name = md.get("name") or (f"{md['generateName']}*" if md.get("generateName") else None)
        kind_text = kind if isinstance(kind, str) and kind else "<no kind>"
        return f"{kind_text}/{name if isinstance(name, str) and name else '<no name>'}"


@attrs.define
class Verdicts:
    """What ``validate`` found: ``(label, where, item, status, errors)`` per document: ``where`` is None
    for a document (its Item says where it is), and item is None for the unreadable rest of a file;
    the JSON entries are built only when asked for."""

    results: list[tuple[str, str | None, Item | None, str, list[str]]] = attrs.field(factory=list)
    valid: int = 0
    invalid: int = 0
    skipped: int = 0

    def add(self, label: str, where: str, item: Item | None, status: str, errors: list[str]) -> None:
        setattr(self, status, getattr(self, status) + 1)
        self.results.append((label, where, item, status, errors))

    def entries(self) -> list[dict[str, Any]]:
        """kubeconform's ``-output json`` resources: file, document, object, status, errors (and -o name)."""
        out = []
        for label, where, item, status, errors in self.results:
            entry: dict[str, Any] = {"filename": label, "document": item.doc.where if item is not None else where,
                                     "object": item.ident if item is not None else None, "status": status,
                                     "errors": errors}
            if item is not None and status != "invalid":
                entry["name"] = _name_of(item.obj)
            out.append(entry)
        return out


def _name_of(obj: dict[str, Any]) -> str:
    """kubectl's ``-o name``: ``deployment.apps/web``."""
    return f"{output.resource_prefix(obj)}/{_meta(obj).get('name', '')}"


def cmd_validate(ns: argparse.Namespace) -> int:
    # the documents read and checked are trees of plain values: the cyclic collector's full collections
    # walk the growing heap and free nothing (about 10% of validating 60,000 ConfigMaps)
    with cyclic_gc_paused():
        return _validate(ns)


def _validate(ns: argparse.Namespace) -> int:
    workers = ns.workers or default_workers()
    items: list[Item] = []
    verdicts = Verdicts()
    failed = False
    for path_arg in ns.filename:
        try:
            sources = expand(path_arg)
        except (OSError, ValueError) as exc:
            _err(f"error: {exc}")
            failed = True
            continue
        for src in sources:
            reading = None
            if ns.progress or (sys.stderr.isatty() and len(src.text) >= PROGRESS_BYTES):
                # about the number of documents: the "---" lines between them (a List counts as one)
                reading = _Progress(f"reading {src.label}:", src.text.count("\n---") + 1, "documents")
            for _, doc, error in _parse_sources([src], reading, workers):
                if doc is None:
                    where, _, message = str(error).partition(": ")
                    verdicts.add(src.label, where, None, "invalid", [message])
                else:
                    items.append(Item(src.label, doc))
    if not items and not verdicts.results:
        if not failed:
            _err("error: no objects passed to validate")
        return 1
    progress = None
    if ns.progress or (sys.stderr.isatty() and len(items) >= PROGRESS_OBJECTS):
        progress = _Progress("validated", len(items), "objects")
    validate_items(items, verdicts, progress, workers)
    _report(verdicts, ns.output)
    if failed or verdicts.invalid or (ns.strict and verdicts.skipped):
        return 1
    return 0


# progress on stderr (never stdout): asked for with --progress, or on a terminal for inputs this large
PROGRESS_BYTES = 2**20  # a file of 1 MiB or more is read with progress (about 12,000 small objects)
PROGRESS_OBJECTS = 2000  # this many objects are checked with progress


class _Progress:
    """``reading big.yaml: 12000/600000 documents`` or ``validated 12000/60000 objects`` on stderr:
    rewritten in place on a terminal (4 times a second), a line every 2 seconds otherwise; ``done``
    never goes back (a re-read after the fast reader declines restarts its count) and the last call
    (``finish``) ends the line."""

    def __init__(self, what: str, total: int, unit: str) -> None:
        self.what, self.total, self.unit = what, total, unit
        self.done = 0
        self.last = -math.inf  # the first call shows
        self.tty = sys.stderr.isatty()
        self.finished = False

    def __call__(self, done: int) -> None:
        self.done = max(self.done, done)
        if self.done >= self.total:
            self.finish(self.done)
            return
        now = time.monotonic()
        if now - self.last < (0.25 if self.tty else 2.0):
            return
        self.last = now
        self._write(f"{self.what} {self.done}/{self.total} {self.unit}", "" if self.tty else "\n")

    def finish(self, done: int) -> None:
        """The end (once): ``done`` of them, the total now known."""
        if not self.finished:
            self.finished = True
            self._write(f"{self.what} {done}/{done} {self.unit}", "\n")

    def _write(self, text: str, end: str) -> None:
        sys.stderr.write(("\r\x1b[K" if self.tty else "") + text + end)
        sys.stderr.flush()


def _one_line(text: str) -> str:
    """``text`` with its line breaks and other control characters escaped (``\\n``), as Go's %q shows them."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _report(v: Verdicts, fmt: str) -> None:
    for label, where, item, status, errors in v.results:
        if status == "invalid":
            what = f"{item.doc.where}: {item.ident}" if item is not None else where
            verb = "validating" if item is not None else "parsing"
            for e in errors:  # one line each, whatever the input's names and keys hold
                _err(_one_line(f'error: error {verb} "{label}": {what}: {e}'))
    summary = {"valid": v.valid, "invalid": v.invalid, "skipped": v.skipped, "total": len(v.results)}
    if fmt == "json":
        sys.stdout.write(json.dumps({"resources": v.entries(), "summary": summary}, indent=2) + "\n")
        return
    if fmt == "name":
        sys.stdout.write("".join(f"{_name_of(item.obj)}\n" for _, _, item, status, _ in v.results
                                 if status == "valid" and item is not None))
        return
    skipped = sorted({str(item.obj.get("kind")) for _, _, item, status, _ in v.results
                      if status == "skipped" and item is not None})
    print(f"{len(v.results)} objects: {v.valid} valid, {v.invalid} invalid, {v.skipped} skipped"
          + (f" (not checked by the model: {', '.join(skipped)})" if skipped else ""))


def _facts(obj: dict[str, Any]) -> tuple[Any, Any, Ref | None, str | None]:
    """``(kind, KindInfo or None, ref, namespace)`` of a document: its (kind, namespace, name) as the API
    server would store it (None without a name) and the namespace it lands in (None for cluster-scoped
    or undecodable objects)."""
    kind = obj.get("kind")
    info = REGISTRY.get(kind) if isinstance(kind, str) else None
    md = obj.get("metadata")
    if info is None or not isinstance(md, dict):
        return kind, info, None, None
    kind = info.kind
    ns = md.get("namespace") or "default"
    name = md.get("name")
    ref: Ref | None = (kind, str(ns) if info.namespaced else "", name) if isinstance(name, str) else None
    if not info.namespaced:
        return kind, info, ref, None
    ns_name: str | None = ref[1] if ref is not None else ns if isinstance(ns, str) else None
    return kind, info, ref, ns_name


# validate reads a stream in several processes when it is this large (and plain block YAML)
PARALLEL_BYTES = 2 * 2**20


def _documents(text: str, progress: _Progress | None, workers: int) -> tuple[list[Document], rm.Invalid | None]:
    """``documents_from(text)``; a large stream of plain block YAML is read in ``workers`` pieces at once
    (the first here, the others in forked processes), the documents put together in order and
    renumbered. Anything else -- a piece the fast reader declines (so any error), a child that fails --
    and the whole stream is read here, as before."""
    if (workers < 2 or len(text) < PARALLEL_BYTES or not hasattr(os, "fork")
            or text.lstrip(" \t\r\n\ufeff")[:1] == "{"):
        return documents_from(text, progress)
    pieces = plain_pieces(text, workers)
    children = [_fork(lambda piece=piece: _piece_tuples(piece)) for piece in pieces[1:]]  # type: ignore[misc]
    scale = len(pieces)  # the others go about as fast: progress is shown for all of them
    with _abandoned_on_error(children):
        first = read_piece(pieces[0], None if progress is None else lambda n: progress(n * scale))
    if first is None:  # not plain: the children's work is of no use
        _abandon(children)
    answers = [_join(child) for child in children]
    if first is None or any(a is None for a in answers):
        return documents_from(text, progress)
    docs, offset = first
    for found, count in answers:
        docs.extend(Document(index + offset, item, obj) for index, item, obj in found)
        offset += count
    return docs, None


def _piece_tuples(piece: str) -> tuple[list[tuple[int, int | None, dict[str, Any]]], int] | None:
    """``read_piece`` as plain tuples (what a child sends back)."""
    got = read_piece(piece)
    return None if got is None else ([(d.index, d.item, d.obj) for d in got[0]], got[1])


def _check_errors(state: rm.ClusterState, obj: dict[str, Any]) -> list[str] | None:
    """What a dry-run create of ``obj`` into ``state`` objects to (None: nothing; AlreadyExists is no error
    here: only namespaces are ever created in the scratch cluster)."""
    rej = apiserver.check_create(state, obj)  # rm.validate_manifest
    if rej is None or rej.reason == "AlreadyExists":
        return None
    if rej.reason == "Invalid" and rej.causes:
        return [str(c) for c in rej.causes]
    return [rej.message]


# validate checks documents in several processes (like kubeconform's -n workers) when there are this
# many: below it, starting one costs more than it saves
PARALLEL_MIN = 10_000


def default_workers() -> int:
    """One process per CPU this process may run on, at most 4 (kubeconform's default -n)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def _check_all(jobs: list[tuple[rm.ClusterState, dict[str, Any]]], workers: int,
               progress: Callable[[int], None] | None) -> list[list[str] | None]:
    """``_check_errors`` of every job, in order: the first share here, the others in forked processes that
    send their answers back through a pipe (a process that fails has its share checked here instead)."""
    if workers < 2 or len(jobs) < PARALLEL_MIN or not hasattr(os, "fork"):
        workers = 1
    size = max(1, -(-len(jobs) // workers))
    shares = [(k, min(k + size, len(jobs))) for k in range(0, len(jobs), size)] or [(0, 0)]
    children = [_fork(lambda lo=lo, hi=hi: [_check_errors(*jobs[i]) for i in range(lo, hi)])  # type: ignore[misc]
                for lo, hi in shares[1:]]
    out: list[list[str] | None] = []
    lo, hi = shares[0]
    scale = len(jobs) / max(1, hi - lo)  # the others go about as fast: progress is shown for all of them
    with _abandoned_on_error(children):
        for i in range(lo, hi):
            if progress is not None and not i % 500:
                progress(int(i * scale))
            out.append(_check_errors(*jobs[i]))
    for (lo, hi), child in zip(shares[1:], children, strict=True):
        answers = _join(child)
        if not isinstance(answers, list) or len(answers) != hi - lo:  # the child failed: its share is done here
            answers = [_check_errors(*jobs[i]) for i in range(lo, hi)]
        out.extend(answers)
    return out


def _fork(work: Callable[[], Any]) -> tuple[int, int] | None:
    """A child process computing ``work()`` and sending it back pickled: (pid, read end of its pipe), or
    None if none could start."""
    try:
        read, write = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid:
        os.close(write)
        return pid, read
    code = 1
    try:  # the child: answer, then leave at once (no cleanup of the parent's state, no buffered output)
        os.close(read)
        with os.fdopen(write, "wb") as pipe:
            pickle.dump(work(), pipe, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:
        os._exit(code)


def _abandon(children: list[tuple[int, int] | None]) -> None:
    """Stop children of :func:`_fork` whose answers are not wanted (their _join gives None)."""
    for child in children:
        if child is not None:
            with contextlib.suppress(OSError):
                os.kill(child[0], signal.SIGKILL)


@contextlib.contextmanager
def _abandoned_on_error(children: list[tuple[int, int] | None]) -> Iterator[None]:
    """Children stopped and collected if the work beside them fails (Ctrl-C included)."""
    try:
        yield
    except BaseException:
        _abandon(children)
        for child in children:
            _join(child)
        raise


def _join(child: tuple[int, int] | None) -> Any:
    """What a child of :func:`_fork` computed (None if it failed or none started)."""
    if child is None:
        return None
    pid, read = child
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        return pickle.loads(data)
    except (pickle.UnpicklingError, EOFError, ValueError):
        return None


def validate_items(items: list[Item], verdicts: Verdicts, progress: Callable[[int], None] | None = None,
                   workers: int = 1) -> None:
    """Validate in order into one scratch cluster; every error goes into ``verdicts``.

    An object of a kind the model does not check (REGISTRY's ``modelled`` is False) is *skipped*, never
    valid: only its metadata and top-level fields were checked (kubeconform's missing-schema manners).
    Three passes, the answer of one ordered walk: (1) the cluster each document is checked against
    (namespaces are the only objects validate creates: the Namespace documents are checked and applied
    here, in order, and a namespace defined nowhere is assumed); (2) every other document's check,
    in ``workers`` processes when there are many; (3) duplicates and verdicts, in order.
    """
    scratch = rm.new_cluster(nodes=0)
    defined_ns: dict[str, int] = {}  # namespace name -> index of the first document defining it
    for i, d in enumerate(items):
        if d.doc.obj.get("kind") == "Namespace":
            name = _meta(d.doc.obj).get("name")
            if isinstance(name, str):
                defined_ns.setdefault(name, i)
    noted_ns: set[str] = set()
    known_ns = {ns for ns in ("default", *SYSTEM_NAMESPACES) if scratch.get("Namespace", "", ns) is not None}
    # (1) the target of each check; Namespace documents checked at once (their duplicates are among
    # Namespace documents alone, so this is the verdict pass 3 gives them)
    jobs: list[tuple[rm.ClusterState, dict[str, Any]]] = []
    facts: list[tuple[Any, Any, Ref | None, str | None]] = []
    ns_errors: dict[int, list[str] | None] = {}
    ns_seen: dict[Ref, str] = {}  # a valid Namespace document's ref -> its file
    for i, item in enumerate(items):
        obj = item.doc.obj
        fact = _facts(obj)
        facts.append(fact)
        kind, _, ref, ns_name = fact
        target = scratch
        if ns_name is not None and ns_name not in known_ns and scratch.get("Namespace", "", ns_name) is None:
            if ns_name not in noted_ns:
                noted_ns.add(ns_name)
                if ns_name in defined_ns and defined_ns[ns_name] > i:
                    _err(f'note: {item.label}: {item.ident}: namespace "{ns_name}" is defined only after objects '
                         "that use it; kubectl apply -f would fail for them unless the namespace already exists")
                else:
                    _err(f'note: namespace "{ns_name}" is not defined in these files; objects in it '
                         "were validated as if it existed")
            created, response, _ = apiserver.handle(scratch, Request("create", body={
                "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns_name}}))
            if response.ok:
                target = created
                if ns_name not in defined_ns:  # assumed to exist from now on
                    scratch = target
                    known_ns.add(ns_name)
        if kind != "Namespace":
            jobs.append((target, obj))
            continue
        found = ns_errors[i] = _check_errors(target, obj)
        if found is None and ref is not None and ns_seen.get(ref) == item.label:
            found = ns_errors[i] = []  # a duplicate within its file (pass 3 says so): not applied
        if found is None:
            if ref is not None:
                ns_seen[ref] = item.label
            scratch = kubectl.apply(scratch, obj)[0]
    # (2) the checks
    answers = iter(_check_all(jobs, workers, progress))
    # (3) in order: duplicates, verdicts
    first_seen: dict[Ref, Item] = {}
    cross_file: list[tuple[Item, Item]] = []
    results = verdicts.results
    counts = {"valid": 0, "invalid": 0, "skipped": 0}
    for i, item in enumerate(items):
        kind, info, ref, _ = facts[i]
        checked = ns_errors[i] if kind == "Namespace" else next(answers)
        errors: list[str] = []
        first = first_seen.get(ref) if ref is not None else None
        if first is not None and first.label == item.label:
            errors.append(f"Duplicate value: {item.ident} is already defined as {first.doc.where} of this "
                          "file; kubectl create -f fails with AlreadyExists here, kubectl apply -f overwrites "
                          "the first copy")
        if checked:
            errors.extend(checked)
        if errors:
            counts["invalid"] += 1
            results.append((item.label, None, item, "invalid", errors))
            continue
        status = "valid" if info is not None and info.modelled else "skipped"
        counts[status] += 1
        results.append((item.label, None, item, status, []))
        if first is not None:
            cross_file.append((item, first))
        if ref is not None:
            first_seen[ref] = item
    verdicts.valid += counts["valid"]
    verdicts.invalid += counts["invalid"]
    verdicts.skipped += counts["skipped"]
    if progress is not None:
        progress(len(items))
    if cross_file:
        item, first = cross_file[0]
        more = f" and {len(cross_file) - 1} more" if len(cross_file) > 1 else ""
        _err(f"note: {len(cross_file)} object(s) are defined in more than one file ({item.ident} in {first.label} "
             f"and {item.label}{more}); kubectl apply -f would keep the last copy of each")


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
            _err(f"error: '{command}' is not available in this build")
        elif missing.split(".")[0] == "conformance":
            _err(f"error: '{command}' is not available in this build ({module_name} needs {missing}, "
                 "which is missing)")
        else:
            _err(f"error: '{command}' needs the Python module '{missing}', which is not installed")
        return 2
    entry = getattr(module, "main", None)
    if not callable(entry):
        _err(f"error: '{command}' is not available in this build")
        return 2
    try:
        rc = entry(rest)
    except SystemExit as exc:
        return _exit_code(exc)
    return int(rc or 0)


def cmd_bench(argv: list[str]) -> int:
    from .bench import main as bench_main

    return bench_main(argv)
