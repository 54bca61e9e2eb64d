"""The API-server model: the one door through which every request, by a user or a controller, goes.

**Mirrors:** ``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go`` (``Store.Create``,
``Store.Update``, ``Store.Delete`` with ``BeforeDelete`` / ``updateForGracefulDeletionAndFinalizers``,
``Store.Get``, ``Store.List``), ``staging/src/k8s.io/apiserver/pkg/registry/rest/create.go``
(``BeforeCreate``: namespace, PrepareForCreate, Validate, metadata validation, generateName, uid,
creationTimestamp) and ``update.go`` (``BeforeUpdate``: PrepareForUpdate, ValidateUpdate, server-owned
metadata, generation), ``rest/delete.go`` (``BeforeDelete``: graceful deletion, generation bump), the
status strategies (``pkg/registry/apps/deployment/strategy.go`` ``deploymentStatusStrategy``: a status
write keeps spec and metadata; a main-resource write keeps status) and the scale subresource
(``pkg/registry/apps/deployment/storage/storage.go`` ``ScaleREST.Update``, ``scaleFromDeployment``;
``pkg/apis/autoscaling/validation`` ``ValidateScale``), the admission plugins ``NamespaceLifecycle``
(``plugin/pkg/admission/namespace/lifecycle``) and those each kind declares (``prepare_create``).
**Modelled:** :func:`handle` for get, list, create, update, patch (merge, JSON and strategic, applied by
:mod:`refmodel.patch`; server-side apply and the managedFields of every write that names a field
manager, by :mod:`refmodel.managedfields`), delete,
the ``status`` and ``scale`` subresources; the checks in one fixed order (resolve the kind, the
namespace, decode strictly, validate metadata, default, prepare, validate, admission, precondition,
commit); uid, monotonically increasing resourceVersion, ``generation`` bumped iff the spec changes,
finalizers, graceful deletion of pods, Foreground/Orphan/Background propagation (the GC finalizers of
every DELETE, a repeated one included, as ``deletionFinalizersForGarbageCollection`` decides them: a
second DELETE may swap ``orphan`` for ``foregroundDeletion`` or drop it, and an object left with no
finalizer goes at once; not while a pod's graceful deletion is pending), namespace termination,
immortal namespaces, dry run (and :func:`check_create`, a dry-run create that stops before storing, for
``kubeoracle validate``), resourceVersion preconditions. A rejected request returns the unchanged
state and a ``Status``-shaped :class:`~refmodel.request.Response`; an accepted one returns the committed
writes (``changes``) for the watches. Controllers come through the same door, named in the request: they
send objects built from validated templates, so only the checks that can fail for them run (names of
objects they name, namespace lifecycle, AlreadyExists, preconditions) unless ``ClusterConfig.strict``,
which validates their writes as a user's. A controller turn's writes may be one batch request
(``Request.items``), committed together; a controller's batch of creates, Bindings or status writes is
served inline item by item for the common item (``_create_each``, ``_bind_each``, ``_status_each``: the
same checks and the same stored objects as the writers', with the indexes moved once per run of items),
any other item by its writer in its turn.
**Not modelled (and why):** optimistic concurrency between controllers beyond resourceVersion
preconditions (each controller writes within its own turn); authentication/authorization; a DELETE that shortens a pending grace period to a non-zero one (only 0, a forced delete,
is modelled); the core/v1 ReplicationController's orphaning default (its controller is not modelled);
status validation (no modelled kind validates
its status); watch requests (``changes`` go to the controllers' watches in :mod:`refmodel.core`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from . import managedfields, patch, resources
from .errors import FieldError, Rejection, forbidden, invalid, required
from .frozen import EMPTY, FrozenDict, freeze, freeze_dict, thaw, with_
from .labels import selector_matches, selector_pairs
from .request import PATCH_TYPES, SUBRESOURCES, Change, Request, Response
from .resources.common import NAME_RULES, validate_labels
from .resources.schema import structural_errors
from .state import ClusterState, Ref

__all__ = ["IMMORTAL_NAMESPACES", "PROPAGATIONS", "SCALABLE", "check_create", "gc_finalizers", "handle", "resolve_kind"]

_dict_update = dict.update  # for building a FrozenDict before anyone sees it
_dict_set = dict.__setitem__
IMMORTAL_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})
PROPAGATIONS = ("Background", "Foreground", "Orphan")
SCALABLE = ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController")
MAX_INT32 = 2**31 - 1
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # utilrand.String's alphabet (no vowels)
_GENERATE_TABLE = bytes(ord(_GENERATE_ALPHABET[b % len(_GENERATE_ALPHABET)]) for b in range(256))  # byte -> letter
_SERVER_META = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                "resourceVersion")


# ---------------------------------------------------------------------------------------------
# the door
# ---------------------------------------------------------------------------------------------
def handle(state: ClusterState, request: Request) -> tuple[ClusterState, Response, tuple[Change, ...]]:
    """Serve one request: the new state, the response, and the writes committed (for the watches).

    A rejected request leaves ``state`` as it was; a batch (``request.items``) keeps the writes before
    its first rejection. A dry run answers as the request would but commits nothing.
    """
    verb = request.verb
    if verb == "get":
        return state, _respond(request, _get(state, request)), ()
    if verb == "list":
        return state, _list(state, request), ()
    sub = request.subresource
    if verb == "create":
        writer = _bind if sub == "binding" else _create
    elif verb == "update":
        writer = _update_status if sub == "status" else _update_scale if sub == "scale" else _update
    elif verb == "patch":
        writer = _patch
    elif verb == "delete":
        writer = _delete
    else:
        return state, Response.failure(Rejection("MethodNotAllowed", f'the server does not allow the verb "{verb}"',
                                                 405, request.kind, request.name)), ()
    if request.subresource not in SUBRESOURCES:
        return state, Response.failure(Rejection(
            "NotFound", f"the server could not find the requested resource ({request.subresource} of "
            f"{request.kind})", 404, request.kind, request.name)), ()
    txn = _Batch(state, request)
    if request.items:
        each = _each if txn.user else _status_each if writer is _update_status else _bind_each if writer is _bind else (
            _create_each if writer is _create and not sub else _each)
        response = each(txn, request, writer)
    else:
        response = _respond(request, writer(txn, request, request.body))
    if not txn.writes or request.dry_run:
        return state, response, ()
    return txn.commit(), response, tuple(txn.writes)


def _respond(request: Request, out: _Out) -> Response:
    if isinstance(out, Rejection):
        return Response(out.code, None, (), out)
    return Response(201 if request.verb == "create" else 200, out)


def _each(txn: _Batch, request: Request, writer: _Writer) -> Response:
    """A batch: ``writer`` for each item in order; stops at the first rejection."""
    objs: list[FrozenDict] = []
    for body in request.items:
        out = writer(txn, request, body)
        if isinstance(out, Rejection):
            return Response(out.code, None, tuple(objs), out)
        if out is not None:
            objs.append(out)
    return Response(201 if request.verb == "create" else 200, None, tuple(objs))


#: the items an inline batch server serves before moving their index entries: the upkeep reads the objects
#: it just wrote while they are still in the processor's caches (a kubelet's flush of every pod's status,
#: indexed after the last one was stored, read each pod from memory again: 18 of the 195 last-level cache
#: misses per pod of a 40,000-pod converge, simulated); the counts the upkeep moves are sums, so where a batch
#: is cut does not change them
_INDEX_RUN = 256

#: what a batch's inline server makes of one item: the write it made (None: the item changed nothing) and the
#: object to answer, why it refused, or None to leave the item to the request's writer
_Served = tuple[Change | None, FrozenDict] | Rejection | None


def _each_inline(txn: _Batch, request: Request, writer: _Writer, inline: Callable[[Any], _Served],
                 index: Callable[[list[Change]], None], code: int) -> Response:
    """:func:`_each` for a controller's batch whose common item ``inline`` serves itself (the writer's own
    steps, without its general checks), with the index upkeep of those writes in one pass (``index``) per
    :data:`_INDEX_RUN` items, and before any other item's write, so that the indexes move in the order of
    the writes."""
    objs: list[FrozenDict] = []
    stored: list[Change] = []  # written, indexes not yet moved
    writes = txn.writes
    items = request.items
    for start in range(0, len(items), _INDEX_RUN):
        for body in items[start:start + _INDEX_RUN]:
            served = inline(body)
            if isinstance(served, tuple):
                change, obj = served
                if change is not None:
                    stored.append(change)
                    writes.append(change)
                objs.append(obj)
                continue
            if stored:
                index(stored)
                stored.clear()
            out = writer(txn, request, body) if served is None else served
            if isinstance(out, Rejection):
                return Response(out.code, None, tuple(objs), out)
            if out is not None:
                objs.append(out)
        if stored:
            index(stored)
            stored.clear()
    return Response(code, None, tuple(objs))


def _status_each(txn: _Batch, request: Request, writer: _Writer) -> Response:
    """A controller's batch of status writes (a kubelet's node flushes: the commonest request of all):
    :func:`_update_status`'s steps inline for the common item (a controller's object of a namespaced kind
    with a status, sent with the stored metadata), the index upkeep in ``_Txn.index_statuses``."""
    store = txn.txn
    registry = resources.REGISTRY
    default_ns = request.namespace or "default"
    kind: Any = None
    info: resources.KindInfo | None = None
    ns: Any = None
    names: Any = None

    def inline(body: Any) -> _Served:
        nonlocal kind, info, ns, names
        if type(body) is not FrozenDict:
            return None
        if body["kind"] is not kind:
            kind = body["kind"]
            info = registry.get(kind)
            if info is not None and not (info.namespaced and info.has_status):
                info = None
            ns = None
        if info is None:
            return None
        md = body["metadata"]
        name = md.get("name")
        if not name:
            return None
        if md.get("namespace") != ns or ns is None:
            ns = md.get("namespace")
            names = store.names_of(info.kind, ns or default_ns)
        old = names.get(name)
        if old is None or md is not old["metadata"]:
            return None  # not found, or a precondition to check: the writer itself
        status = body.get("status")
        if status == old.get("status"):
            return None, old
        txn.rv += 1
        new_md = FrozenDict(md)
        _dict_set(new_md, "resourceVersion", str(txn.rv))
        new = FrozenDict(old)
        _dict_set(new, "status", status if status is not None else EMPTY)
        _dict_set(new, "metadata", new_md)
        names[name] = new
        return ((info.kind, ns or default_ns, name), old, new, True), new

    return _each_inline(txn, request, writer, inline, store.index_statuses, 200)


def _create_each(txn: _Batch, request: Request, writer: _Writer) -> Response:
    """A controller's burst of creates (a ReplicaSet's pods): :func:`_create` and :func:`_insert`'s steps
    inline for the common item (an object of a kind that allocates nothing, with a generated name, built by
    the controller from a validated template; ``strict`` validates each as :func:`_create` does), the index
    upkeep in ``_Txn.index_creates``."""
    store = txn.txn
    registry = resources.REGISTRY
    kind: Any = None
    info: Any = None
    ns: Any = None
    names: Any = None

    def inline(body: Any) -> _Served:
        nonlocal kind, info, ns, names
        if type(body) is not FrozenDict:
            return None
        if body["kind"] is not kind:
            kind = body["kind"]
            info = registry.get(kind)
            if info is not None and info.allocate is not None:
                info = None
            ns = None
        if info is None:
            return None
        md = body["metadata"]
        if md.get("name"):
            return None  # a name the controller chose: the writer itself
        if txn.strict:
            errs = _object_errors(info, thaw(body))
            if errs:
                return Rejection.from_errors(info.kind, str(md.get("generateName") or ""), errs)
        if md.get("namespace", "") != ns:
            ns = md.get("namespace", "")
            names = store.names_of(info.kind, ns)
        name = _generated_name(txn, md["generateName"], info.kind, ns)
        if info.namespaced and ns not in txn.live_ns:
            rejection = _namespace_admits(txn, info, ns, name)
            if rejection is not None:
                return rejection
        prepare = info.prepare_create
        obj = prepare(txn.state, body) if prepare is not None else body
        # _stamp(rv, obj, {name, uid, creationTimestamp[, generation]}), with the copies made directly
        txn.uid_seq += 1
        txn.rv += 1
        new_md = FrozenDict(obj["metadata"])
        _dict_set(new_md, "name", name)
        _dict_set(new_md, "uid", _new_uid(txn.uid_seq))
        _dict_set(new_md, "creationTimestamp", txn.now)
        if info.tracks_generation:
            _dict_set(new_md, "generation", 1)
        _dict_set(new_md, "resourceVersion", str(txn.rv))
        obj = FrozenDict(obj)
        _dict_set(obj, "metadata", new_md)
        names[name] = obj
        return ((info.kind, ns, name), None, obj, False), obj

    return _each_inline(txn, request, writer, inline, store.index_creates, 201)


def _bind_each(txn: _Batch, request: Request, writer: _Writer) -> Response:
    """A scheduler turn's Bindings: :func:`_bind`'s steps inline for the common item (a scheduler's Binding
    of an unbound pod that is not being deleted), the index upkeep in ``_Txn.index_bindings``."""
    store = txn.txn
    info = resources.REGISTRY["Pod"] if request.kind in ("", "Pod") else resources.lookup(request.kind)
    bind = info.bind if info is not None else None
    group: str | None = None
    names: Any = None

    def inline(body: Any) -> _Served:
        nonlocal group, names
        if bind is None or type(body) is not FrozenDict:
            return None
        md = body["metadata"]
        name, ns = md["name"], md["namespace"]
        if ns != group:
            group, names = ns, store.names_of("Pod", ns)
        pod = names.get(name)
        if pod is None or pod["metadata"].get("deletionTimestamp") or pod["spec"].get("nodeName"):
            return None  # not found, being deleted or bound: the writer itself
        txn.rv += 1
        new = bind(txn.state, pod, body["target"]["name"])  # a new object: stamped in place
        new_md = FrozenDict(new["metadata"])
        _dict_set(new_md, "resourceVersion", str(txn.rv))
        _dict_set(new, "metadata", new_md)
        names[name] = new
        return (("Pod", ns, name), pod, new, False), new

    return _each_inline(txn, request, writer, inline, store.index_bindings, 201)


class _Batch:
    """The writes of one request being prepared: reads see the writes before them; nothing is stored
    until :meth:`commit`, which applies them all in one state transaction."""

    __slots__ = ("get", "live_ns", "managed", "now", "request", "rv", "state", "strict", "txn", "uid_seq", "user",
                 "writes")

    def __init__(self, state: ClusterState, request: Request) -> None:
        self.state = state
        self.request = request
        self.user = not request.controller
        self.strict = self.user or state.config.strict  # full validation of what is written
        self.rv = state.rv
        self.uid_seq = state.uid_seq
        self.writes: list[Change] = []
        self.txn = state._transaction()  # writes are applied as they come: reads see them
        # get(kind, namespace, name): the object as the writes before left it (the transaction's own reader)
        self.get: Callable[[str, str, str], FrozenDict | None] = self.txn.get
        self.live_ns: set[str] = set()  # namespaces seen active in this request (NamespaceLifecycle)
        self.now = state.timestamp()
        self.managed: list[dict[str, Any]] | None = None  # a server-side apply's managedFields, once computed

    def put(self, ref: Ref, old: FrozenDict | None, new: FrozenDict | None, status_only: bool = False) -> None:
        """Apply a write stamped with ``self.rv`` (the caller took it with :meth:`next_rv`)."""
        self.txn.put(ref, old, new, status_only)
        self.writes.append((ref, old, new, status_only))

    def next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def commit(self) -> ClusterState:
        extra: dict[str, Any] = {"rv": self.rv, "uid_seq": self.uid_seq}
        log = self.state.unscheduled
        after = log.after(self.writes)  # the scheduler's queue reads the writes of unscheduled pods
        if after is not log:
            extra["unscheduled"] = after
        return self.txn.finish(extra)


#: what a writer answers: the stored object (None: removed, or nothing to show) or why it refused
_Out = FrozenDict | Rejection | None
_Writer = Callable[["_Batch", Request, Any], _Out]


def _not_found(info: resources.KindInfo | None, kind: str, name: str) -> Rejection:
    plural = info.plural if info is not None else kind.lower() + "s"
    return Rejection("NotFound", f'{plural} "{name}" not found', 404, kind, name)


def _namespace_of(info: resources.KindInfo, namespace: str) -> str:
    return (namespace or "default") if info.namespaced else ""


def _kind_of(request: Request, body: Any) -> resources.KindInfo | Rejection:
    """The kind a request is about: the URL's (``request.kind``) or, for a create or an update, the
    body's, checked as the decoder checks it."""
    if body is not None and not (request.subresource == "scale" or request.verb == "patch"):
        if request.controller and type(body) is FrozenDict:
            return resources.REGISTRY[body["kind"]]  # a controller's object: built from a known kind
        return resolve_kind(body)
    info = resources.lookup(request.kind)
    if info is None:
        return Rejection("NotFound", f'the server doesn\'t have a resource type "{request.kind}"', 404,
                         request.kind, request.name)
    return info


# ---------------------------------------------------------------------------------------------
# get, list (Store.Get, Store.List)
# ---------------------------------------------------------------------------------------------
def _get(state: ClusterState, request: Request) -> _Out:
    info = resources.lookup(request.kind)
    if info is None:
        return Rejection("NotFound", f'the server doesn\'t have a resource type "{request.kind}"', 404,
                               request.kind, request.name)
    obj = state.get(info.kind, _namespace_of(info, request.namespace), request.name)
    return _not_found(info, info.kind, request.name) if obj is None else obj


def _list(state: ClusterState, request: Request) -> Response:
    """The objects of a kind (in one namespace when ``request.namespace`` is set), sorted by namespace
    and name; ``request.selector`` is a matchLabels map or a LabelSelector."""
    info = resources.lookup(request.kind)
    if info is None:
        return Response.failure(Rejection("NotFound", f'the server doesn\'t have a resource type '
                                          f'"{request.kind}"', 404, request.kind))
    ns = (request.namespace or None) if info.namespaced else None
    sel = request.selector
    if sel is not None and not ("matchLabels" in sel or "matchExpressions" in sel):
        sel = {"matchLabels": sel}
    pairs = selector_pairs(sel)
    if info.kind == "Pod" and ns is not None and pairs:
        # pods in one namespace with an equality selector come from the label index, not from a scan
        names = state.pods_with_labels(ns, list(pairs))
        candidates: Any = (p for p in (state.get("Pod", ns, n) for n in names) if p is not None)
    else:
        candidates = state.iter_kind(info.kind, ns)
    out = [o for o in candidates if sel is None or selector_matches(sel, o["metadata"].get("labels"))]
    out.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
    return Response(200, None, tuple(out))


# ---------------------------------------------------------------------------------------------
# create (Store.Create, rest.BeforeCreate)
# ---------------------------------------------------------------------------------------------
def _create(txn: _Batch, request: Request, body: Any) -> _Out:
    if request.subresource:
        return Rejection("MethodNotAllowed", f"create is not supported on the {request.subresource} "
                         "subresource", 405, request.kind, request.name)
    if txn.user or type(body) is not FrozenDict:
        info = _kind_of(request, body)
        if isinstance(info, Rejection):
            return info
        return _create_from_user(txn, request, info, body)
    info = resources.REGISTRY[body["kind"]]
    # a controller's object, built from a validated template
    md = body["metadata"]
    ns = md.get("namespace", "")
    name = md.get("name")
    if txn.strict:
        errs = _object_errors(info, thaw(body))
        if errs:
            return Rejection.from_errors(info.kind, str(name or md.get("generateName") or ""), errs)
    elif name:
        # the one check a template does not cover: a name the controller composed (a ReplicaSet's
        # "<deployment>-<hash>") may be too long or malformed
        rule = NAME_RULES.get(info.name_rule)
        errs = [invalid("metadata.name", name, m) for m in rule(name)] if rule is not None else []
        if errs:
            return Rejection.from_errors(info.kind, name, errs)
    generated = not name
    if generated:  # a generated name is new by construction
        name = _generated_name(txn, md["generateName"], info.kind, ns)
    if info.namespaced and ns not in txn.live_ns:
        rejection = _namespace_admits(txn, info, ns, name)
        if rejection is not None:
            return rejection
    if not generated and txn.get(info.kind, ns, name) is not None:
        return Rejection("AlreadyExists", f'{info.plural} "{name}" already exists', 409, info.kind, name)
    return _insert(txn, info, ns, name, body)


def _create_from_user(txn: _Batch, request: Request, info: resources.KindInfo, body: Any) -> _Out:
    admitted = _admit_create(txn, request, info, body)
    if isinstance(admitted, Rejection):
        return admitted
    obj, ns, name = admitted
    # fields the server sets are not taken from the request; status comes from PrepareForCreate
    md = obj["metadata"]
    for f in (*_SERVER_META, "managedFields", "selfLink"):
        md.pop(f, None)
    if info.has_status:
        obj.pop("status", None)
    return _insert(txn, info, ns, name, freeze(obj))


def check_create(state: ClusterState, body: Any) -> Rejection | None:
    """What a dry-run create of ``body`` answers (None: accepted), without building the object it would
    store: every check of :func:`handle`'s create runs (decoding, metadata, defaulting and the kind's
    validation, NamespaceLifecycle, AlreadyExists); only PrepareForCreate, which sets fields and never
    refuses, and the stamping are left out. ``kubeoracle validate`` checks each document this way."""
    info = _kind_of(_DRY_CREATE, body)
    if isinstance(info, Rejection):
        return info
    admitted = _admit_create(_Reads(state), _DRY_CREATE, info, body)
    return admitted if isinstance(admitted, Rejection) else None


_DRY_CREATE = Request("create", dry_run=True)


class _Reads:
    """What :func:`_admit_create` reads of a request in flight, for a check that writes nothing: the state
    as it is (a :class:`_Batch` costs a transaction, a clock reading and a Request per document)."""

    __slots__ = ("get", "live_ns", "uid_seq")
    strict = True  # a user's request: checked in full

    def __init__(self, state: ClusterState) -> None:
        self.get = state.get
        self.live_ns: set[str] = set()
        self.uid_seq = state.uid_seq


def _admit_create(txn: _Batch | _Reads, request: Request, info: resources.KindInfo,
                  body: Any) -> tuple[dict[str, Any], str, str] | Rejection:
    """A user's create up to storing: the decoded, defaulted and validated object (a copy of ``body``),
    its namespace and name, or why the create is refused."""
    obj = thaw(body)
    kind = info.kind
    raw_md = obj.get("metadata")
    name = raw_md.get("name") if isinstance(raw_md, dict) else None
    # a controller's plain object (a StatefulSet's pod or claim) is built by code from stored, checked values,
    # not decoded from a request body: strict decoding has nothing to find (the strict mode checks it anyway)
    errs = _object_errors(info, obj, defaulted=False, decoded=txn.strict)
    if errs:
        return Rejection.from_errors(kind, str(name or ""), errs)
    md = obj["metadata"]
    if info.namespaced:
        if request.namespace and md.get("namespace") and md["namespace"] != request.namespace:
            return Rejection("BadRequest", "the namespace of the provided object does not match the "
                             "namespace sent on the request", 400, kind, str(name or ""))
        md["namespace"] = md.get("namespace") or request.namespace or "default"
    else:
        md.pop("namespace", None)
    if not md.get("name"):
        md["name"] = _generated_name(txn, md["generateName"], kind, md.get("namespace", ""))
    name = md["name"]
    ns = md.get("namespace", "")
    rejection = _namespace_admits(txn, info, ns, name)
    if rejection is not None:
        return rejection
    if info.modelled:
        info.default(obj)
        errs = info.validate(obj)
        if errs:
            return Rejection.from_errors(kind, name, errs)
    if txn.get(kind, ns, name) is not None:
        return Rejection("AlreadyExists", f'{info.plural} "{name}" already exists', 409, kind, name)
    return obj, ns, name


def _object_errors(info: resources.KindInfo, obj: dict[str, Any], defaulted: bool = True,
                   decoded: bool = True) -> list[FieldError]:
    """Strict decoding (of a ``decoded`` body) and metadata validation (and, for an object that needs no
    defaulting, the kind's own validation): what a create checks before the kind's strategy runs."""
    if decoded:
        errs = structural_errors(info.kind, obj["apiVersion"], obj)
        if errs:
            return errs
    errs = _validate_meta(info, obj)
    if errs or not defaulted or not info.modelled:
        return errs
    return info.validate(obj)


def _namespace_admits(txn: _Batch | _Reads, info: resources.KindInfo, ns: str, name: str) -> Rejection | None:
    """The NamespaceLifecycle admission plugin: no new content in a missing or terminating namespace."""
    if not info.namespaced or ns in txn.live_ns:
        return None
    ns_obj = txn.get("Namespace", "", ns)
    if ns_obj is None:
        return Rejection("NotFound", f'namespaces "{ns}" not found', 404, "Namespace", ns,
                         (invalid("metadata.namespace", ns, "namespace not found"),))
    if ns_obj["metadata"].get("deletionTimestamp"):
        return Rejection(
            "Forbidden", f'{info.plural} "{name}" is forbidden: unable to create new content in namespace {ns} '
            "because it is being terminated", 403, info.kind, name,
            (FieldError("NamespaceTerminating", "metadata.namespace", f"namespace {ns} is being terminated"),))
    txn.live_ns.add(ns)
    return None


def _insert(txn: _Batch, info: resources.KindInfo, ns: str, name: str, obj: FrozenDict) -> _Out:
    """Allocation, admission (the kind's PrepareForCreate), uid, creationTimestamp, generation 1,
    resourceVersion."""
    if info.allocate is not None:
        allocated = info.allocate(txn.txn, None, obj)
        if isinstance(allocated, list):
            return Rejection.from_errors(info.kind, name, allocated)
        obj = allocated
    prepare = info.prepare_create
    if prepare is not None:
        obj = prepare(txn.state, obj)
    if txn.user:
        obj = _track(txn, info, None, obj)
    txn.uid_seq += 1
    changes: dict[str, Any] = {"name": name, "uid": _new_uid(txn.uid_seq), "creationTimestamp": txn.now}
    if info.tracks_generation:
        changes["generation"] = 1
    txn.rv += 1
    obj = _stamp(txn.rv, obj, changes)
    ref = (info.kind, ns, name)
    txn.txn.put(ref, None, obj, False)
    txn.writes.append((ref, None, obj, False))
    return obj


def _bind(txn: _Batch, request: Request, body: Any) -> _Out:
    """POST of a Binding to a pod's binding subresource (BindingREST.Create, assignPod): the pod gets the
    target node, once; a pod being deleted or already bound cannot be bound."""
    if type(body) is FrozenDict:  # a scheduler's Binding
        md, node = body["metadata"], body["target"]["name"]
        name, ns = md["name"], md["namespace"]
    else:
        if not isinstance(body, Mapping):
            body = {}
        md = body.get("metadata")
        target = body.get("target")
        name = (md.get("name") if isinstance(md, Mapping) else None) or request.name
        ns = (md.get("namespace") if isinstance(md, Mapping) else None) or request.namespace or "default"
        node = target.get("name") if isinstance(target, Mapping) else None
        if not node or not isinstance(node, str):
            return Rejection.from_errors("Binding", str(name), [required("target.name")])
    info = resources.REGISTRY["Pod"] if request.kind in ("", "Pod") else resources.lookup(request.kind)
    if info is None or info.bind is None:
        return Rejection("NotFound", f"the server could not find the requested resource (binding of "
                         f"{request.kind})", 404, request.kind, name)
    ref = ("Pod", ns, name)
    pod = txn.txn.get("Pod", ns, name)
    if pod is None:
        return _not_found(info, "Pod", name)
    if pod["metadata"].get("deletionTimestamp"):
        return Rejection("Conflict", f"pod {name} is being deleted, cannot be assigned to a host", 409,
                         "Pod", name)
    bound_to = pod["spec"].get("nodeName")
    if bound_to:
        return Rejection("Conflict", f'pod {name} is already assigned to node "{bound_to}"', 409, "Pod", name)
    txn.rv += 1
    new = _stamp(txn.rv, info.bind(txn.state, pod, node), {})
    txn.txn.put(ref, pod, new, False)
    txn.writes.append((ref, pod, new, False))
    return new


# ---------------------------------------------------------------------------------------------
# update (Store.Update, rest.BeforeUpdate) and the status and scale subresources
# ---------------------------------------------------------------------------------------------
def _update(txn: _Batch, request: Request, body: Any) -> _Out:
    """An update of the main resource: a controller's object (status and server-owned metadata come from
    the stored one), or a user's (:func:`_update_from_user`)."""
    info = resources.REGISTRY[body["kind"]] if type(body) is FrozenDict and not txn.user else _kind_of(
        request, body)
    if isinstance(info, Rejection):
        return info
    if txn.user:
        return _update_from_user(txn, request, info, thaw(body))
    md = body["metadata"]
    ns = md.get("namespace", "")
    old = txn.get(info.kind, ns, md["name"])
    if old is None:
        return _not_found(info, info.kind, md["name"])
    new = body
    old_md = old["metadata"]
    if md is not old_md:
        rejection = _precondition(info, old, md.get("resourceVersion"), request.resource_version)
        if rejection is not None:
            return rejection
        # server-owned metadata comes from the stored object (rest.BeforeUpdate)
        fixed = {f: old_md.get(f) for f in _SERVER_META if md.get(f) != old_md.get(f)}
        if fixed:
            new = with_(new, metadata=with_(md, **fixed))
    if info.has_status and new.get("status") is not old.get("status"):
        new = with_(new, status=old.get("status"))  # the main resource's strategy keeps status
    if txn.strict and info.modelled and new != old:
        old_t, new_t = thaw(old), thaw(new)
        errs = _object_errors(info, new_t) or info.validate_update(old_t, new_t)
        if errs:
            return Rejection.from_errors(info.kind, md["name"], errs)
    return _write_update(txn, info, old, new)


def _update_from_user(txn: _Batch, request: Request, info: resources.KindInfo, obj: dict[str, Any]) -> _Out:
    """``kubectl replace``: a whole new object; status and server-owned metadata come from the stored one."""
    raw_md = obj.get("metadata")
    md: dict[str, Any] = raw_md if isinstance(raw_md, dict) else {}
    name = md.get("name") or request.name or ""
    ns = _namespace_of(info, md.get("namespace") or request.namespace)
    old = txn.get(info.kind, ns, name)
    if old is None:
        return _not_found(info, info.kind, name)
    errs = _object_errors(info, obj, defaulted=False)
    if errs:
        return Rejection.from_errors(info.kind, name, errs)
    if info.namespaced:
        md["namespace"] = ns
    rejection = _precondition(info, old, md.get("resourceVersion"), request.resource_version)
    if rejection is not None:
        return rejection
    if info.modelled:
        info.default(obj)
        old_thawed = thaw(old)
        info.prepare_update(old_thawed, obj)
        errs = info.validate(obj)
        errs += info.validate_update(old_thawed, obj)
        if errs:
            return Rejection.from_errors(info.kind, name, errs)
        if info.admit_update is not None:
            admitted = info.admit_update(txn.state, old_thawed, obj)
            if admitted is not None:
                return admitted  # type: ignore[no-any-return]
    for f in _SERVER_META:
        if f in old["metadata"]:
            md[f] = thaw(old["metadata"][f])
        else:
            md.pop(f, None)
    if info.has_status:
        if "status" in old:
            obj["status"] = thaw(old["status"])
        else:
            obj.pop("status", None)
    if old["metadata"].get("deletionTimestamp"):
        # ValidateNoNewFinalizers: while an object is being deleted, finalizers may only be removed
        added = sorted(set(md.get("finalizers") or ()) - set(old["metadata"].get("finalizers") or ()))
        if added:
            return Rejection.from_errors(info.kind, name, [forbidden(
                "metadata.finalizers", f"no new finalizers can be added if the object is being deleted, found new "
                f"finalizers {json.dumps(added)}")])
    return _write_update(txn, info, old, freeze(obj))


def _precondition(info: resources.KindInfo, old: FrozenDict, body_rv: Any, asked_rv: str) -> Rejection | None:
    """The optimistic-concurrency check: a resourceVersion in the body or the options must be the stored one."""
    stored = old["metadata"]["resourceVersion"]
    for rv in (body_rv, asked_rv):
        if rv not in (None, "") and str(rv) != stored:
            name = old["metadata"]["name"]
            return Rejection("Conflict", f'Operation cannot be fulfilled on {info.plural} "{name}": the object has '
                             "been modified; please apply your changes to the latest version and try again", 409,
                             info.kind, name)
    return None


def _write_update(txn: _Batch, info: resources.KindInfo, old: FrozenDict, new: FrozenDict) -> _Out:
    """Store ``new`` over ``old``: a no-op when nothing changed; generation bumped iff the spec changed;
    an object being deleted that has lost its last finalizer is removed."""
    new = _track(txn, info, old, new)
    if new == old:
        return old
    if info.allocate is not None and new.get("spec") != old.get("spec"):
        allocated = info.allocate(txn.txn, old, new)
        if isinstance(allocated, list):
            return Rejection.from_errors(info.kind, new["metadata"]["name"], allocated)
        new = allocated
    md = new["metadata"]
    changes: dict[str, Any] = {}
    if info.tracks_generation and new.get("spec") != old.get("spec"):
        changes["generation"] = old["metadata"].get("generation", 1) + 1
    ref = (info.kind, md.get("namespace", ""), md["name"])
    new = _stamp(txn.next_rv(), new, changes)
    if md.get("deletionTimestamp") and not md.get("finalizers") and not _blocks_removal(new):
        txn.put(ref, old, None)
        return None
    txn.put(ref, old, new)
    return new


def _update_status(txn: _Batch, request: Request, body: Any,
                   info: resources.KindInfo | Rejection | None = None) -> _Out:
    """The status subresource: only ``status`` is taken from the request; spec and metadata stay."""
    if info is None:
        info = resources.REGISTRY[body["kind"]] if type(body) is FrozenDict and not txn.user else _kind_of(
            request, body)
        if isinstance(info, Rejection):
            return info
    elif isinstance(info, Rejection):
        return info
    md = body["metadata"]
    name = md.get("name") or request.name
    ns = (md.get("namespace") or request.namespace or "default") if info.namespaced else ""
    ref = (info.kind, ns, name)
    old = txn.txn.get(info.kind, ns, name)
    if old is None:
        return _not_found(info, info.kind, name)
    if not info.has_status:
        return Rejection("NotFound", f"the server could not find the requested resource (status of "
                         f"{info.plural})", 404, info.kind, name)
    if md is not old["metadata"]:
        rejection = _precondition(info, old, md.get("resourceVersion"), request.resource_version)
        if rejection is not None:
            return rejection
    status = body.get("status")
    if txn.user:
        status = freeze(status)
    if status == old.get("status"):
        return old
    txn.rv += 1
    # _stamp(txn.rv, old, {}, status=...), with the copies made directly: one per status write
    md = FrozenDict(old["metadata"])
    _dict_set(md, "resourceVersion", str(txn.rv))
    new = FrozenDict(old)
    _dict_set(new, "status", status if status is not None else EMPTY)
    _dict_set(new, "metadata", md)
    txn.txn.put(ref, old, new, True)
    txn.writes.append((ref, old, new, True))
    return new


def _update_scale(txn: _Batch, request: Request, body: Any) -> _Out:
    """The scale subresource (ScaleREST.Update): validate the Scale (ValidateScale: replicas a
    non-negative int32), set ``spec.replicas`` and store the object through its own strategy. The rest
    of the object was valid and is unchanged, so its validation is not repeated."""
    kind, name = request.kind, request.name
    info = resources.lookup(kind)
    if info is None or kind not in SCALABLE:
        return Rejection("NotFound", f"the server could not find the requested resource (scale of {kind})",
                               404, kind, name)
    ns = _namespace_of(info, request.namespace)
    old = txn.get(kind, ns, name)
    if old is None:
        return Rejection("NotFound", f'{kind.lower()}s "{name}" not found', 404, kind, name)
    spec = body.get("spec") if isinstance(body, Mapping) else None
    replicas = spec.get("replicas") if isinstance(spec, Mapping) else None
    errs: list[FieldError] = []
    if isinstance(replicas, bool) or not isinstance(replicas, int):
        errs.append(invalid("spec.replicas", replicas, "must be an integer"))
    elif replicas < 0:
        errs.append(invalid("spec.replicas", replicas, "must be greater than or equal to 0"))
    elif replicas > MAX_INT32:
        errs.append(invalid("spec.replicas", replicas, f"must be less than or equal to {MAX_INT32} (an int32)"))
    if errs:
        return Rejection.from_errors("Scale", name, errs)
    body_md = body.get("metadata") if isinstance(body.get("metadata"), Mapping) else EMPTY
    rejection = _precondition(info, old, body_md.get("resourceVersion"), request.resource_version)
    if rejection is not None:
        return rejection
    out = _write_update(txn, info, old, with_(old, spec=with_(old.get("spec") or EMPTY, replicas=replicas)))
    if isinstance(out, Rejection):
        return out
    return _scale_of(out or old)


def _scale_of(obj: FrozenDict) -> FrozenDict:
    """scaleFromDeployment: the autoscaling/v1 Scale view of a scalable object."""
    md = obj["metadata"]
    return freeze_dict({
        "apiVersion": "autoscaling/v1", "kind": "Scale",
        "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in md},
        "spec": {"replicas": (obj.get("spec") or EMPTY).get("replicas", 1)},
        "status": {"replicas": (obj.get("status") or EMPTY).get("replicas", 0)},
    })


# ---------------------------------------------------------------------------------------------
# patch (Store.Update after the patch is applied to the stored object)
# ---------------------------------------------------------------------------------------------
def _patch(txn: _Batch, request: Request, body: Any) -> _Out:
    """PATCH (``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go``): the patch applied to the
    stored object by :mod:`refmodel.patch` (merge: RFC 7386 as json-patch v4 applies it; json: RFC 6902;
    strategic: by the kind's merge keys and strategies), then an update of the result."""
    info = _kind_of(request, None)
    if isinstance(info, Rejection):
        return info
    if request.patch_type == "apply" and not request.subresource:
        return _server_side_apply(txn, request, info, body)
    if request.patch_type not in PATCH_TYPES or request.patch_type == "apply":
        return Rejection("UnsupportedMediaType", f'the patch type "{request.patch_type}" is not supported '
                         "by the model here (supported: merge, json, strategic; apply on the main resource)", 415,
                         info.kind, request.name)
    ns = _namespace_of(info, request.namespace)
    old = txn.get(info.kind, ns, request.name)
    if old is None:
        return _not_found(info, info.kind, request.name)
    kind = "Scale" if request.subresource == "scale" else info.kind
    try:
        patched = _apply_patch(request.patch_type, thaw(_scale_of(old) if kind == "Scale" else old), thaw(body),
                               kind)
    except patch.PatchError as e:
        return e.rejection(info.kind, request.name)
    if not isinstance(patched, dict):
        return Rejection("BadRequest", "a patch must leave an object", 400, info.kind, request.name)
    if kind == "Scale":
        return _update_scale(txn, request, patched)
    if not isinstance(patched.get("metadata"), dict) or patched["metadata"].get("name") != request.name:
        return Rejection("BadRequest", "a patch may not change metadata.name", 400, info.kind, request.name)
    if request.subresource == "status":
        return _update_status(txn, request, freeze(patched), info)
    if txn.user:
        return _update_from_user(txn, request, info, patched)
    return _update(txn, request, freeze(patched))


def _server_side_apply(txn: _Batch, request: Request, info: resources.KindInfo, body: Any) -> _Out:
    """A server-side apply (``handlers/patch.go`` applyPatcher, :mod:`refmodel.managedfields`): the applied
    configuration merged into the stored object, or the object it creates; 409 with every conflicting
    field and its manager unless ``force``."""
    name = request.name
    if not request.field_manager:
        return Rejection("Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                         "required for apply patch", 422, "PatchOptions", "",
                         (required("fieldManager", "is required for apply patch"),))
    if not isinstance(body, Mapping):
        return Rejection("BadRequest", "the body of an apply patch must be an object (the applied configuration)",
                         400, info.kind, name)
    config = thaw(body)
    expected = info.api_versions[0]
    if config.get("apiVersion") != expected:
        return Rejection("BadRequest", "Incorrect version specified in apply patch. Specified patch version: "
                         f"{config.get('apiVersion') or ''}, expected: {expected}", 400, info.kind, name)
    if config.get("kind") != info.kind:
        return Rejection("BadRequest", f"the kind in the apply patch ({config.get('kind') or ''}) does not match "
                         f"the resource's ({info.kind})", 400, info.kind, name)
    md = config.get("metadata")
    if not isinstance(md, dict):
        md = config["metadata"] = {}
    if md.get("managedFields") is not None:
        return Rejection("BadRequest", "metadata.managedFields must be nil", 400, info.kind, name)
    if md.get("name", name) != name:
        return Rejection("BadRequest", f"the name of the object ({md.get('name')}) does not match the name on "
                         f"the URL ({name})", 400, info.kind, name)
    md["name"] = name
    ns = _namespace_of(info, request.namespace)
    if info.namespaced:
        md.setdefault("namespace", ns)
    old = txn.get(info.kind, ns, name)
    applied = managedfields.apply(old, config, info.kind, request.field_manager, force=request.force,
                                  now=txn.now, api_version=expected)
    if isinstance(applied, managedfields.Conflict):
        return Rejection("Conflict", applied.message, 409, "", "", tuple(
            FieldError("FieldManagerConflict", c["field"], c["message"]) for c in applied.causes()))
    merged, entries = applied
    txn.managed = entries
    if old is None:
        return _create_from_user(txn, request, info, merged)
    merged.setdefault("metadata", {})["resourceVersion"] = old["metadata"]["resourceVersion"]
    return _update_from_user(txn, request, info, merged)


def _track(txn: _Batch, info: resources.KindInfo, old: FrozenDict | None, new: FrozenDict) -> FrozenDict:
    """``new`` with the managedFields a user's write leaves (``fieldmanager.UpdateNoErrors``; an apply's
    were computed by :func:`_server_side_apply`); a write that names no field manager (the model's own
    controllers) leaves them as they were."""
    request = txn.request
    if not txn.user or not request.field_manager:  # what was recorded stays as it was
        kept = None if old is None else old["metadata"].get("managedFields")
        if new["metadata"].get("managedFields") == kept:
            return new
        md = freeze({k: v for k, v in new["metadata"].items() if k != "managedFields"})
        return with_(new, metadata=md if kept is None else with_(md, managedFields=kept))
    entries = txn.managed
    if entries is None:
        entries = managedfields.update(old, new, info.kind, request.field_manager, now=txn.now,
                                       api_version=info.api_versions[0], subresource=request.subresource)
    frozen = freeze(entries)
    md = new["metadata"]
    if not entries:
        return with_(new, metadata=freeze({k: v for k, v in md.items() if k != "managedFields"})) \
            if "managedFields" in md else new
    return new if md.get("managedFields") == frozen else with_(new, metadata=with_(md, managedFields=frozen))


def _apply_patch(patch_type: str, doc: dict[str, Any], body: Any, kind: str) -> Any:
    if patch_type == "json":
        return patch.json_patch(doc, body)
    if patch_type == "strategic":
        return patch.strategic_merge_patch(doc, body, kind)
    return patch.json_merge_patch(doc, body)


# ---------------------------------------------------------------------------------------------
# delete (Store.Delete, rest.BeforeDelete, graceful deletion and finalizers)
# ---------------------------------------------------------------------------------------------
def _delete(txn: _Batch, request: Request, body: Any) -> _Out:
    """DELETE: graceful for pods on a node, finalizers for Foreground/Orphan, immediate otherwise."""
    if body is not None:  # a batch item: the object to delete, with the batch's options but a precondition
        md = body["metadata"]
        kind, namespace, name, precondition = body["kind"], md.get("namespace", ""), md["name"], ""
    else:
        kind, namespace, name, precondition = request.kind, request.namespace, request.name, request.resource_version
    propagation = request.propagation
    info = resources.lookup(kind)
    if info is None:
        return Rejection("NotFound", f'the server doesn\'t have a resource type "{kind}"', 404, kind, name)
    ns = _namespace_of(info, namespace)
    obj = txn.get(kind, ns, name)
    if obj is None:
        return _not_found(info, kind, name)
    if propagation is not None and propagation not in PROPAGATIONS:
        return Rejection(
            "BadRequest", f'propagationPolicy: Unsupported value: "{propagation}": supported values: '
            '"Background", "Foreground", "Orphan"', 400, kind, name)
    grace_seconds = request.grace_period_seconds
    if grace_seconds is not None and (isinstance(grace_seconds, bool) or not isinstance(grace_seconds, int)
                                      or grace_seconds < 0):
        return Rejection("BadRequest", f"gracePeriodSeconds: Invalid value: {grace_seconds!r}: must be a "
                         "non-negative integer", 400, kind, name)
    if kind == "Namespace" and name in IMMORTAL_NAMESPACES:
        return Rejection("Forbidden", f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                               403, kind, name)
    rejection = _precondition(info, obj, None, precondition)
    if rejection is not None:
        return rejection
    ref = (kind, ns, name)
    md = obj["metadata"]
    finalizers = list(md.get("finalizers") or ())
    pending_grace = md.get("deletionGracePeriodSeconds") or 0
    if not (md.get("deletionTimestamp") and pending_grace > 0
            and (grace_seconds is None or grace_seconds >= pending_grace)):
        # rest.BeforeDelete: while a graceful deletion is pending (and this one does not shorten it), the
        # finalizers cannot be changed by a DELETE; otherwise they follow this request's policy
        finalizers = gc_finalizers(finalizers, propagation)
    graceful = kind == "Pod" and _awaits_kubelet(obj)
    grace = 0
    if graceful:
        grace = grace_seconds if grace_seconds is not None else obj["spec"].get("terminationGracePeriodSeconds", 30)
        if grace == 0 and not finalizers:
            return _remove(txn, ref, obj)
    if kind == "Namespace":
        if md.get("deletionTimestamp"):
            return obj
        new_md = with_(md, deletionTimestamp=txn.state.timestamp(), finalizers=tuple(finalizers) or None)
        new = with_(obj, metadata=new_md, status=with_(obj.get("status") or EMPTY, phase="Terminating"))
        new = _stamp(txn.next_rv(), new, {})
        txn.put(ref, obj, new)
        return new
    if finalizers or graceful:
        if md.get("deletionTimestamp"):
            if tuple(finalizers) == tuple(md.get("finalizers") or ()):
                return obj
            new_md = with_(md, finalizers=tuple(finalizers) or None)
        else:
            # graceful: the deadline by which the kubelet must have stopped it; otherwise now
            changes: dict[str, Any] = {"deletionTimestamp": txn.state.timestamp(grace),
                                       "finalizers": tuple(finalizers) or None}
            if md.get("generation"):
                # rest.BeforeDelete: marking an object as deleting bumps its generation
                changes["generation"] = md["generation"] + 1
            changes["deletionGracePeriodSeconds"] = grace
            new_md = with_(md, **changes)
        new = _stamp(txn.next_rv(), with_(obj, metadata=new_md), {})
        txn.put(ref, obj, new)
        return new
    return _remove(txn, ref, obj)


def gc_finalizers(finalizers: list[str], propagation: str | None) -> list[str]:
    """The finalizers an object keeps after a DELETE with ``propagation`` (None: no policy given), as
    registry/store.go ``deletionFinalizersForGarbageCollection`` computes them: ``orphan`` and
    ``foregroundDeletion`` are removed, then the one the policy asks for is added. An explicit policy
    decides (``shouldOrphanDependents``/``shouldDeleteDependents``); without one, the first of the two
    already on the object decides, else the kind's default, which is to delete the dependents in the
    background for every modelled kind. A set-equal result keeps the old list (and order)."""
    if not finalizers and propagation in (None, "Background"):
        return finalizers  # the common DELETE: nothing to remove, nothing to add
    gc = ("orphan", "foregroundDeletion")
    if propagation is None:
        policy = next((f for f in finalizers if f in gc), None)
    else:
        policy = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}.get(propagation)
    out = [f for f in finalizers if f not in gc] + ([policy] if policy is not None else [])
    return finalizers if set(out) == set(finalizers) else out


def _remove(txn: _Batch, ref: Ref, old: FrozenDict) -> _Out:
    txn.next_rv()
    txn.put(ref, old, None)
    return None


def _blocks_removal(obj: FrozenDict) -> bool:
    """Besides finalizers: a pod waits for its kubelet, a namespace for its spec finalizers."""
    if obj["kind"] == "Namespace":
        return bool((obj.get("spec") or EMPTY).get("finalizers"))
    return _awaits_kubelet(obj)


def _awaits_kubelet(obj: FrozenDict) -> bool:
    """A pod bound to a node is removed only when its kubelet confirms termination (P-8)."""
    return obj["kind"] == "Pod" and bool(obj["spec"].get("nodeName")) and obj["status"].get("phase") not in (
        "Succeeded", "Failed")


# ---------------------------------------------------------------------------------------------
# type meta
# ---------------------------------------------------------------------------------------------
def resolve_kind(raw: Mapping[str, Any]) -> resources.KindInfo | Rejection:
    """Check apiVersion and kind; return the kind's info or why the object cannot be decoded."""
    if not isinstance(raw, Mapping):
        return Rejection("BadRequest", f"an object must be a mapping, got {type(raw).__name__}", 400)
    kind = raw.get("kind")
    api_version = raw.get("apiVersion")
    if kind in (None, ""):
        return Rejection("BadRequest", "Object 'Kind' is missing in " + _short_json(raw), 400,
                         causes=(required("kind"),))
    if api_version in (None, ""):
        return Rejection("BadRequest", "Object 'apiVersion' is missing in " + _short_json(raw), 400,
                         str(kind), causes=(required("apiVersion"),))
    if not isinstance(kind, str) or not isinstance(api_version, str):
        return Rejection("BadRequest", "apiVersion and kind must be strings", 400,
                         causes=(invalid("kind", kind, "must be a string"),))
    info = resources.lookup(kind)
    replacement = resources.REMOVED_VERSIONS.get((api_version, kind))
    if replacement is not None:
        return Rejection(
            "NotFound",
            f'no matches for kind "{kind}" in version "{api_version}": {api_version} is no longer '
            f"served (removed before v1.32); use {replacement}",
            404, kind, causes=(invalid("apiVersion", api_version, f"no longer served; use {replacement}"),),
        )
    if info is None or api_version not in info.api_versions:
        hint = ""
        if info is None:
            for other in resources.REGISTRY.values():
                if other.kind.lower() == kind.lower():
                    hint = f' (kinds are case-sensitive: did you mean "{other.kind}"?)'
        elif api_version not in info.api_versions:
            hint = f" ({kind} is served as {', '.join(info.api_versions)})"
        return Rejection("NotFound", f'no matches for kind "{kind}" in version "{api_version}"{hint}', 404,
                         kind, causes=(invalid("kind", kind, "unknown kind"),))
    return info


def _short_json(raw: Any) -> str:
    try:
        text = json.dumps(thaw(raw), sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(raw)
    return text if len(text) < 200 else text[:197] + "..."


# ---------------------------------------------------------------------------------------------
# metadata
# ---------------------------------------------------------------------------------------------
_META_FIELDS = frozenset({
    "name", "generateName", "namespace", "labels", "annotations", "uid", "resourceVersion",
    "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
    "ownerReferences", "finalizers", "managedFields", "selfLink",
})


def _validate_meta(info: resources.KindInfo, obj: dict[str, Any]) -> list[FieldError]:
    errs: list[FieldError] = []
    md = obj.get("metadata")
    if not isinstance(md, dict):
        return [required("metadata.name", "name or generateName is required")]
    name = md.get("name")
    if name in (None, "") and not md.get("generateName"):
        errs.append(required("metadata.name", "name or generateName is required"))
    elif name not in (None, ""):
        if not isinstance(name, str):
            errs.append(invalid("metadata.name", name, "must be a string"))
        else:
            rule = NAME_RULES.get(info.name_rule)
            if rule is not None:
                errs.extend(invalid("metadata.name", name, m) for m in rule(name))
            elif name in (".", "..") or "/" in name or "%" in name:
                errs.append(invalid("metadata.name", name, "may not contain '/' or '%' or be '.' or '..'"))
    errs.extend(validate_labels(md.get("labels"), "metadata.labels"))
    ann = md.get("annotations")
    if ann is not None:
        if not isinstance(ann, dict):
            errs.append(invalid("metadata.annotations", ann, "must be a map of string keys to string values"))
        else:
            from .resources.common import qualified_name_errors

            for k, v in ann.items():
                if not isinstance(k, str):
                    errs.append(invalid("metadata.annotations", k, "keys must be strings"))
                    continue
                errs.extend(invalid("metadata.annotations", k, m) for m in qualified_name_errors(k.lower()))
                if not isinstance(v, str):
                    errs.append(invalid(f"metadata.annotations[{k}]", v, "must be a string"))
    fins = md.get("finalizers")
    if fins is not None and (not isinstance(fins, list) or not all(isinstance(f, str) for f in fins)):
        errs.append(invalid("metadata.finalizers", fins, "must be a list of strings"))
    elif fins and not info.modelled:
        # modelled kinds check their finalizer names in their own validation
        from .resources.common import validate_finalizers

        errs.extend(validate_finalizers(fins, "metadata.finalizers"))
    refs = md.get("ownerReferences")
    if refs is not None:
        if not isinstance(refs, list):
            errs.append(invalid("metadata.ownerReferences", refs, "must be a list"))
        else:
            controllers = 0
            for i, r in enumerate(refs):
                p = f"metadata.ownerReferences[{i}]"
                if not isinstance(r, dict):
                    errs.append(invalid(p, r, "must be an object"))
                    continue
                for f in ("apiVersion", "kind", "name", "uid"):
                    if not r.get(f):
                        errs.append(required(f"{p}.{f}"))
                if r.get("controller"):
                    controllers += 1
            if controllers > 1:
                errs.append(invalid("metadata.ownerReferences", refs,
                                    "Only one reference can have Controller set to true"))
    if not info.namespaced and md.get("namespace") not in (None, ""):
        errs.append(forbidden("metadata.namespace", "not allowed on this type"))
    if info.namespaced and md.get("namespace") not in (None, ""):
        ns = md["namespace"]
        if not isinstance(ns, str):
            errs.append(invalid("metadata.namespace", ns, "must be a string"))
        else:
            errs.extend(invalid("metadata.namespace", ns, m) for m in NAME_RULES["label"](ns))
    return errs


def _generated_name(txn: _Batch | _Reads, prefix: str, kind: str, namespace: str) -> str:
    """``prefix`` + 5 characters of utilrand's alphabet; deterministic (from the next uid sequence
    number), and never an existing name nor one written earlier in the batch.

    Upstream answers a (rare) collision with AlreadyExists and the client retries; the model retries
    inside the request, which is what the retrying client observes.
    """
    if len(prefix) > 58:
        prefix = prefix[:58]
    attempt = 0
    while True:
        digest = hashlib.blake2b(f"{txn.uid_seq}:{attempt}:{prefix}".encode(), digest_size=8).digest()
        name = prefix + digest[:5].translate(_GENERATE_TABLE).decode()
        if txn.get(kind, namespace, name) is None:
            return name
        attempt += 1


def _new_uid(n: int) -> str:
    """The uid of the n-th object created (a version-4 UUID shape, deterministic)."""
    h = hashlib.blake2b(str(n).encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"



def _stamp(rv: int, obj: FrozenDict, md_changes: dict[str, Any], **changes: Any) -> FrozenDict:
    """``obj`` carrying resourceVersion ``rv``, with ``md_changes`` to its metadata and top-level ``changes``
    (values set as given: nothing is removed). Every write passes here, so it copies with dict calls."""
    md_changes["resourceVersion"] = str(rv)
    md = FrozenDict(obj["metadata"])
    _dict_update(md, md_changes)
    new = FrozenDict(obj)
    _dict_update(new, changes)
    _dict_set(new, "metadata", md)
    return new
