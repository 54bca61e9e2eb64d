"""The API-server model: the one place through which every write, by a user or a controller, goes.

**Mirrors:** ``staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go`` (Create, Update,
Delete, the graceful-deletion and finalizer logic in ``BeforeDelete`` / ``updateForGracefulDeletionAndFinalizers``),
``staging/src/k8s.io/apiserver/pkg/registry/rest/create.go`` and ``update.go`` (BeforeCreate,
BeforeUpdate: uid, creationTimestamp, generateName, generation), the admission plugins
``NamespaceLifecycle`` (``plugin/pkg/admission/namespace/lifecycle``) and ``DefaultTolerationSeconds``
(``plugin/pkg/admission/defaulttolerationseconds/admission.go``), and ``kubectl apply``'s client-side
three-way merge (``staging/src/k8s.io/kubectl/pkg/cmd/apply``, last-applied annotation).
**Modelled:** type-meta checks (missing kind, unknown kind, versions no longer served), strict structural
validation, defaulting, per-kind create and update validation, immutable fields, metadata rules
(names per kind, labels, annotations, generateName), uid, monotonically increasing resourceVersion,
``generation`` bumped iff the spec changes, status only through the status subresource, finalizers,
graceful deletion of pods, Foreground/Orphan/Background propagation, namespace termination, immortal
namespaces. A rejected write returns a :class:`~refmodel.errors.Rejection` and the unchanged state.
The writes of one controller turn (a ReplicaSet's creates, a scheduler's bindings, a kubelet's statuses)
may be committed as one batch (``*_many``): the same writes in the same order, one new state, and the
watches run after the last, as informer handlers run after the writes they report.
**Not modelled (and why):** optimistic concurrency between controllers (each controller writes within
its own turn, so there is no stale read to reject); authentication/authorization; server-side apply
managed fields (client-side apply's merge is what ``kubectl apply`` does by default); strategic merge of
lists by key (lists are replaced, as JSON merge patch does).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import attrs

from . import resources
from .errors import FieldError, Rejection, forbidden, invalid, required
from .frozen import EMPTY, FrozenDict, freeze, thaw, with_
from .resources.common import NAME_RULES, validate_labels
from .resources.schema import structural_errors
from .state import ClusterState, Ref

__all__ = [
    "LAST_APPLIED",
    "WriteResult",
    "apply",
    "controller_create",
    "controller_create_many",
    "controller_update",
    "controller_update_many",
    "create",
    "delete",
    "update",
    "update_status",
    "update_status_many",
]

_dict_update = dict.update  # for building a FrozenDict before anyone sees it
_dict_set = dict.__setitem__
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
IMMORTAL_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # utilrand.String's alphabet (no vowels)
_GENERATE_TABLE = bytes(ord(_GENERATE_ALPHABET[b % len(_GENERATE_ALPHABET)]) for b in range(256))  # byte -> letter


@attrs.frozen
class WriteResult:
    """The API server's answer: the new state and the stored object, or a rejection and the old state."""

    state: ClusterState
    obj: FrozenDict | None = None
    rejection: Rejection | None = None
    notice: str = ""

    @property
    def ok(self) -> bool:
        return self.rejection is None


def _reject(state: ClusterState, rejection: Rejection) -> WriteResult:
    return WriteResult(state, None, rejection)


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


def _generated_name(state: ClusterState, prefix: str, kind: str, namespace: str, seq: int | None = None,
                    taken: frozenset[Ref] | set[Ref] = frozenset()) -> str:
    """``prefix`` + 5 characters of utilrand's alphabet; deterministic (from the uid sequence number
    ``seq``, by default the state's), and never an existing name nor one in ``taken``.

    Upstream answers a (rare) collision with AlreadyExists and the client retries; the model retries
    inside the request, which is what the retrying client observes.
    """
    if len(prefix) > 58:
        prefix = prefix[:58]
    seq = state.uid_seq if seq is None else seq
    attempt = 0
    while True:
        digest = hashlib.blake2b(f"{seq}:{attempt}:{prefix}".encode(), digest_size=8).digest()
        name = prefix + digest[:5].translate(_GENERATE_TABLE).decode()
        if state.get(kind, namespace, name) is None and (kind, namespace, name) not in taken:
            return name
        attempt += 1


def _new_uid(n: int) -> str:
    """The uid of the n-th object created (a version-4 UUID shape, deterministic)."""
    h = hashlib.blake2b(str(n).encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


# ---------------------------------------------------------------------------------------------
# commit and notify
# ---------------------------------------------------------------------------------------------
def _commit(state: ClusterState, ref: Ref, old: FrozenDict | None, new: FrozenDict | None, *,
            status_only: bool = False, **counters: int) -> ClusterState:
    """Store ``new`` (None removes), set ``counters`` (rv, uid_seq), queue the controllers that watch this kind."""
    state = state._store(ref, old, new, status_only=status_only, **counters)
    return notify(state, ref[0], old, new, status_only=status_only)


def _commit_many(state: ClusterState, writes: list[tuple[Ref, FrozenDict | None, FrozenDict | None]], *,
                 status_only: bool = False, **counters: int) -> ClusterState:
    """:func:`_commit` for the writes of one controller turn, in order: one new state for all of them.
    The watches run once the last is stored, as informer handlers run after the writes they report."""
    state = state._store_many(writes, status_only=status_only, **counters)
    return notify_many(state, writes, status_only=status_only)


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


# ---------------------------------------------------------------------------------------------
# create
# ---------------------------------------------------------------------------------------------
def create(state: ClusterState, raw: Mapping[str, Any], *, dry_run: bool = False) -> WriteResult:
    """A user's create (``kubectl create``): full validation, defaulting and admission."""
    info = resolve_kind(raw)
    if isinstance(info, Rejection):
        return _reject(state, info)
    obj = thaw(raw)
    kind = info.kind
    name = (obj.get("metadata") or {}).get("name") if isinstance(obj.get("metadata"), dict) else None
    errs = structural_errors(kind, obj["apiVersion"], obj)
    if errs:
        return _reject(state, Rejection.from_errors(kind, str(name or ""), errs))
    errs = _validate_meta(info, obj)
    if errs:
        return _reject(state, Rejection.from_errors(kind, str(name or ""), errs))
    md = obj["metadata"]
    if info.namespaced:
        md["namespace"] = md.get("namespace") or "default"
    else:
        md.pop("namespace", None)
    if not md.get("name"):
        md["name"] = _generated_name(state, md["generateName"], kind, md.get("namespace", ""))
    name = md["name"]
    ns = md.get("namespace", "")
    if info.namespaced:
        ns_obj = state.get("Namespace", "", ns)
        if ns_obj is None:
            return _reject(state, Rejection("NotFound", f'namespaces "{ns}" not found', 404, "Namespace", ns,
                                            (invalid("metadata.namespace", ns, "namespace not found"),)))
        if ns_obj["metadata"].get("deletionTimestamp"):
            return _reject(state, Rejection(
                "Forbidden",
                f'{kind.lower()}s "{name}" is forbidden: unable to create new content in namespace {ns} '
                "because it is being terminated", 403, kind, name,
                (forbidden("metadata.namespace", f"namespace {ns} is being terminated"),)))
    if info.modelled:
        info.default(obj)
        errs = info.validate(obj)
        if errs:
            return _reject(state, Rejection.from_errors(kind, name, errs))
    if state.get(kind, ns, name) is not None:
        return _reject(state, Rejection("AlreadyExists", f'{info.plural} "{name}" already exists', 409, kind, name))
    if dry_run:
        return WriteResult(state, freeze(obj))
    return _insert(state, info, obj)


def _insert(state: ClusterState, info: resources.KindInfo, obj: dict[str, Any]) -> WriteResult:
    md = obj["metadata"]
    for f in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
              "generation", "managedFields", "selfLink"):
        md.pop(f, None)
    if info.has_status:
        obj.pop("status", None)
    frozen = _initial(state, info, freeze(obj))
    return _insert_frozen(state, info, frozen)


def _initial(state: ClusterState, info: resources.KindInfo, obj: FrozenDict) -> FrozenDict:
    """Kind-specific PrepareForCreate: initial status and admission defaults."""
    return prepare_for_create(state, info.kind, obj)


def _insert_frozen(state: ClusterState, info: resources.KindInfo, obj: FrozenDict) -> WriteResult:
    md = obj["metadata"]
    uid_seq = state.uid_seq + 1
    rv = state.rv + 1
    changes: dict[str, Any] = {"uid": _new_uid(uid_seq), "creationTimestamp": state.timestamp()}
    if info.tracks_generation:
        changes["generation"] = 1
    obj = _stamp(rv, obj, changes)
    ref = (info.kind, md.get("namespace", ""), md["name"])
    return WriteResult(_commit(state, ref, None, obj, rv=rv, uid_seq=uid_seq), obj)


def controller_create(state: ClusterState, obj: FrozenDict) -> WriteResult:
    """A controller's create of an object built from an already-validated template (no re-validation)."""
    state, created, rejection = controller_create_many(state, [obj])
    return WriteResult(state, created[0] if created else None, rejection)


def controller_create_many(state: ClusterState, objs: list[FrozenDict]
                           ) -> tuple[ClusterState, list[FrozenDict], Rejection | None]:
    """:func:`controller_create` for several objects in order (one controller turn's creates), committed
    together. Stops at the first rejection: the state holds the objects created before it."""
    writes: list[tuple[Ref, FrozenDict | None, FrozenDict | None]] = []
    created: list[FrozenDict] = []
    taken: set[Ref] = set()
    rv, uid_seq = state.rv, state.uid_seq
    now = state.timestamp()
    live_ns: set[str] = set()
    rejection = None
    for obj in objs:
        info = resources.REGISTRY[obj["kind"]]
        md = obj["metadata"]
        ns = md.get("namespace", "")
        name = md.get("name")
        generated = not name
        if generated:  # a generated name is new by construction
            name = _generated_name(state, md["generateName"], info.kind, ns, uid_seq, taken)
        if info.namespaced and ns not in live_ns:
            ns_obj = state.get("Namespace", "", ns)
            if ns_obj is None:
                rejection = Rejection("NotFound", f'namespaces "{ns}" not found', 404, info.kind, name)
                break
            if ns_obj["metadata"].get("deletionTimestamp"):
                rejection = Rejection("NamespaceTerminating", f"unable to create new content in namespace {ns} "
                                      "because it is being terminated", 403, info.kind, name)
                break
            live_ns.add(ns)
        ref = (info.kind, ns, name)
        if not generated and (state.get(info.kind, ns, name) is not None or ref in taken):
            rejection = Rejection("AlreadyExists", f'{info.plural} "{name}" already exists', 409, info.kind, name)
            break
        obj = _initial(state, info, obj)
        uid_seq += 1
        rv += 1
        changes: dict[str, Any] = {"name": name, "uid": _new_uid(uid_seq), "creationTimestamp": now}
        if info.tracks_generation:
            changes["generation"] = 1
        obj = _stamp(rv, obj, changes)
        writes.append((ref, None, obj))
        created.append(obj)
        taken.add(ref)
    if writes:
        state = _commit_many(state, writes, rv=rv, uid_seq=uid_seq)
    return state, created, rejection


# ---------------------------------------------------------------------------------------------
# update
# ---------------------------------------------------------------------------------------------
def update(state: ClusterState, raw: Mapping[str, Any]) -> WriteResult:
    """A user's update of the main resource (``kubectl replace``): status is kept from the live object."""
    info = resolve_kind(raw)
    if isinstance(info, Rejection):
        return _reject(state, info)
    obj = thaw(raw)
    md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = md.get("name") or ""
    ns = (md.get("namespace") or "default") if info.namespaced else ""
    old = state.get(info.kind, ns, name)
    if old is None:
        return _reject(state, Rejection("NotFound", f'{info.plural} "{name}" not found', 404, info.kind, name))
    errs = structural_errors(info.kind, obj["apiVersion"], obj)
    if errs:
        return _reject(state, Rejection.from_errors(info.kind, name, errs))
    errs = _validate_meta(info, obj)
    if errs:
        return _reject(state, Rejection.from_errors(info.kind, name, errs))
    if info.namespaced:
        md["namespace"] = ns
    rv = md.get("resourceVersion")
    if rv not in (None, "") and str(rv) != old["metadata"]["resourceVersion"]:
        return _reject(state, Rejection(
            "Conflict", f'Operation cannot be fulfilled on {info.plural} "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again", 409, info.kind, name))
    if info.modelled:
        info.default(obj)
        old_thawed = thaw(old)
        info.prepare_update(old_thawed, obj)
        errs = info.validate(obj)
        errs += info.validate_update(old_thawed, obj)
        if errs:
            return _reject(state, Rejection.from_errors(info.kind, name, errs))
    # server-owned metadata comes from the live object
    for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
              "resourceVersion"):
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
            return _reject(state, Rejection.from_errors(info.kind, name, [forbidden(
                "metadata.finalizers", f"no new finalizers can be added if the object is being deleted, found new "
                f"finalizers {json.dumps(added)}")]))
    return controller_update(state, freeze(obj), old=old)


def controller_update(state: ClusterState, new: FrozenDict, *, old: FrozenDict | None = None) -> WriteResult:
    """Store a new version of an existing object (main resource). A write that changes nothing is a no-op."""
    md = new["metadata"]
    kind = new["kind"]
    ns = md.get("namespace", "")
    if old is None:
        old = state.get(kind, ns, md["name"])
        if old is None:
            return _reject(state, Rejection("NotFound", f'{kind} "{md["name"]}" not found', 404, kind, md["name"]))
    if new == old:
        return WriteResult(state, old)
    rv = state.rv + 1
    new = _stamp_update(rv, old, new)
    ref = (kind, ns, md["name"])
    # an object that is being deleted and has lost its last finalizer is gone
    if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers") and not _blocks_removal(new):
        return WriteResult(_remove(state, ref, old), None)
    return WriteResult(_commit(state, ref, old, new, rv=rv), new)


def controller_update_many(state: ClusterState, updates: list[tuple[FrozenDict, FrozenDict]]) -> ClusterState:
    """:func:`controller_update` for several objects in order, given as (stored object, new version): a
    scheduler turn's bindings, committed together. Each object must be the stored version and appear once;
    one being deleted is written on its own, as its write may remove it."""
    writes: list[tuple[Ref, FrozenDict | None, FrozenDict | None]] = []
    rv = state.rv
    for old, new in updates:
        md = new["metadata"]
        if md.get("deletionTimestamp"):
            if writes:
                state = _commit_many(state, writes, rv=rv)
                writes = []
            state = controller_update(state, new, old=old).state
            rv = state.rv
            continue
        if new == old:
            continue
        rv += 1
        writes.append(((new["kind"], md.get("namespace", ""), md["name"]), old, _stamp_update(rv, old, new)))
    return _commit_many(state, writes, rv=rv) if writes else state


def _stamp_update(rv: int, old: FrozenDict, new: FrozenDict) -> FrozenDict:
    """``new`` as an update of ``old`` stores it: resourceVersion ``rv``, generation bumped iff the spec
    changed (for the kinds that track it)."""
    changes: dict[str, Any] = {}
    if resources.REGISTRY[new["kind"]].tracks_generation and new.get("spec") != old.get("spec"):
        changes["generation"] = old["metadata"].get("generation", 1) + 1
    return _stamp(rv, new, changes)


def update_status(state: ClusterState, new: FrozenDict) -> WriteResult:
    """Write only ``status`` (the status subresource): spec and metadata come from the live object."""
    md = new["metadata"]
    kind = new["kind"]
    ns = md.get("namespace", "")
    old = state.get(kind, ns, md["name"])
    if old is None:
        return _reject(state, Rejection("NotFound", f'{kind} "{md["name"]}" not found', 404, kind, md["name"]))
    status = new.get("status")
    if status == old.get("status"):
        return WriteResult(state, old)
    rv = state.rv + 1
    merged = _stamp(rv, old, {}, status=status if status is not None else EMPTY)
    ref = (kind, ns, md["name"])
    return WriteResult(_commit(state, ref, old, merged, status_only=True, rv=rv), merged)


def update_status_many(state: ClusterState, updates: list[tuple[FrozenDict, FrozenDict]]) -> ClusterState:
    """:func:`update_status` for several objects in order, given as (stored object, new status): one
    controller turn's status writes, committed together. Each object must be the stored version (the
    controller read it this turn), and appear once."""
    writes: list[tuple[Ref, FrozenDict | None, FrozenDict | None]] = []
    rv = state.rv
    for old, status in updates:
        if status == old.get("status"):
            continue
        md = old["metadata"]
        rv += 1
        writes.append(((old["kind"], md.get("namespace", ""), md["name"]), old, _stamp(rv, old, {}, status=status)))
    if not writes:
        return state
    return _commit_many(state, writes, status_only=True, rv=rv)


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
# apply (kubectl's client-side three-way merge)
# ---------------------------------------------------------------------------------------------
def apply(state: ClusterState, raw: Mapping[str, Any]) -> WriteResult:
    """``kubectl apply``: create when absent, else merge the manifest into the live object.

    Fields in the manifest are set; fields that the previous apply set but this manifest drops are
    removed; fields set by others (a ``kubectl scale``, a controller) are kept.
    """
    info = resolve_kind(raw)
    if isinstance(info, Rejection):
        return _reject(state, info)
    manifest = thaw(raw)
    md = manifest.get("metadata")
    if not isinstance(md, dict) or not md.get("name"):
        if isinstance(md, dict) and md.get("generateName"):
            return create(state, raw)
        errs = _validate_meta(info, manifest) or [required("metadata.name", "name or generateName is required")]
        return _reject(state, Rejection.from_errors(info.kind, "", errs))
    ns = (md.get("namespace") or "default") if info.namespaced else ""
    applied = json.dumps(_without_last_applied(manifest), sort_keys=True, separators=(",", ":"), default=str)
    live = state.get(info.kind, ns, md["name"]) if isinstance(md.get("name"), str) else None
    if live is None:
        new = dict(manifest)
        new["metadata"] = dict(md)
        new["metadata"]["annotations"] = {**(md.get("annotations") or {}), LAST_APPLIED: applied + "\n"}
        if isinstance(md.get("annotations"), dict) or md.get("annotations") is None:
            return create(state, new)
        return create(state, manifest)
    last_text = (live["metadata"].get("annotations") or {}).get(LAST_APPLIED)
    try:
        last = json.loads(last_text) if last_text else {}
    except ValueError:
        last = {}
    merged = _three_way(thaw(live), last, _without_last_applied(manifest), RETAIN_KEYS.get(info.kind, frozenset()))
    merged.setdefault("metadata", {}).setdefault("annotations", {})
    if isinstance(merged["metadata"]["annotations"], dict):
        merged["metadata"]["annotations"][LAST_APPLIED] = applied + "\n"
    merged["metadata"].pop("resourceVersion", None)
    return update(state, merged)


def _without_last_applied(manifest: dict[str, Any]) -> dict[str, Any]:
    out = dict(manifest)
    md = out.get("metadata")
    if isinstance(md, dict) and isinstance(md.get("annotations"), dict) and LAST_APPLIED in md["annotations"]:
        md = dict(md)
        md["annotations"] = {k: v for k, v in md["annotations"].items() if k != LAST_APPLIED}
        if not md["annotations"]:
            md.pop("annotations")
        out["metadata"] = md
    return out


# fields whose Go type carries ``patchStrategy:"retainKeys"`` (staging/src/k8s.io/api/apps/v1/types.go): when
# the manifest sets them, keys it leaves out are cleared, server defaults included, so switching a Deployment
# to Recreate drops the defaulted rollingUpdate instead of failing validation
RETAIN_KEYS = {"Deployment": frozenset({("spec", "strategy")})}


def _three_way(live: Any, last: Any, new: Any, retain: frozenset[tuple[str, ...]] = frozenset(),
               path: tuple[str, ...] = ()) -> Any:
    if isinstance(new, dict) and isinstance(live, dict):
        out = {k: v for k, v in live.items() if k in new} if path in retain else dict(live)
        last_d = last if isinstance(last, dict) else {}
        for k in last_d:
            if k not in new:
                out.pop(k, None)
        for k, v in new.items():
            out[k] = _three_way(live.get(k), last_d.get(k), v, retain, (*path, k))
        return out
    return new


# ---------------------------------------------------------------------------------------------
# delete
# ---------------------------------------------------------------------------------------------
PROPAGATIONS = ("Background", "Foreground", "Orphan")


def delete(state: ClusterState, kind: str, namespace: str, name: str, propagation: str | None = None,
           grace_seconds: int | None = None) -> WriteResult:
    """DELETE: graceful for pods on a node, finalizers for Foreground/Orphan, immediate otherwise."""
    info = resources.lookup(kind)
    if info is None:
        return _reject(state, Rejection("NotFound", f'the server doesn\'t have a resource type "{kind}"', 404, kind, name))
    ns = (namespace or "default") if info.namespaced else ""
    obj = state.get(kind, ns, name)
    if obj is None:
        return _reject(state, Rejection("NotFound", f'{info.plural} "{name}" not found', 404, kind, name))
    if propagation is not None and propagation not in PROPAGATIONS:
        return _reject(state, Rejection(
            "BadRequest", f'propagationPolicy: Unsupported value: "{propagation}": supported values: '
            '"Background", "Foreground", "Orphan"', 400, kind, name))
    if kind == "Namespace" and name in IMMORTAL_NAMESPACES:
        return _reject(state, Rejection("Forbidden", f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                                        403, kind, name))
    md = obj["metadata"]
    finalizers = list(md.get("finalizers") or ())
    if propagation == "Foreground" and "foregroundDeletion" not in finalizers:
        finalizers.append("foregroundDeletion")
    if propagation == "Orphan" and "orphan" not in finalizers:
        finalizers.append("orphan")
    if propagation in (None, "Background"):
        finalizers = [f for f in finalizers if f not in ("foregroundDeletion", "orphan")] if not md.get(
            "deletionTimestamp") else finalizers
    graceful = kind == "Pod" and _awaits_kubelet(obj)
    if graceful:
        grace = grace_seconds if grace_seconds is not None else obj["spec"].get("terminationGracePeriodSeconds", 30)
        if grace == 0 and not finalizers:
            return WriteResult(_remove(state, (kind, ns, name), obj), None)
    if kind == "Namespace":
        finalizers_now = tuple(finalizers)
        if md.get("deletionTimestamp"):
            return WriteResult(state, obj)
        new_md = with_(md, deletionTimestamp=state.timestamp(), finalizers=finalizers_now or None)
        new = with_(obj, metadata=new_md, status=with_(obj.get("status") or EMPTY, phase="Terminating"))
        rv = state.rv + 1
        new = _stamp(rv, new, {})
        return WriteResult(_commit(state, (kind, ns, name), obj, new, rv=rv), new)
    if finalizers or graceful:
        if md.get("deletionTimestamp"):
            if tuple(finalizers) == tuple(md.get("finalizers") or ()):
                return WriteResult(state, obj)
            new_md = with_(md, finalizers=tuple(finalizers) or None)
        else:
            changes: dict[str, Any] = {"deletionTimestamp": state.timestamp(), "finalizers": tuple(finalizers) or None}
            if md.get("generation"):
                # rest.BeforeDelete: marking an object as deleting bumps its generation
                changes["generation"] = md["generation"] + 1
            if graceful:
                grace = grace_seconds if grace_seconds is not None else obj["spec"].get("terminationGracePeriodSeconds", 30)
                changes["deletionGracePeriodSeconds"] = grace
                changes["deletionTimestamp"] = state.timestamp(grace)
            else:
                changes["deletionGracePeriodSeconds"] = 0
            new_md = with_(md, **changes)
        new = with_(obj, metadata=new_md)
        rv = state.rv + 1
        new = _stamp(rv, new, {})
        return WriteResult(_commit(state, (kind, ns, name), obj, new, rv=rv), new)
    return WriteResult(_remove(state, (kind, ns, name), obj), None)


def _remove(state: ClusterState, ref: Ref, old: FrozenDict) -> ClusterState:
    return _commit(state, ref, old, None, rv=state.rv + 1)


def remove_now(state: ClusterState, kind: str, namespace: str, name: str) -> ClusterState:
    """Remove an object at once (kubelet confirmation, force delete); its dependents go to the GC."""
    obj = state.get(kind, namespace, name)
    if obj is None:
        return state
    return _remove(state, (kind, namespace, name), obj)


# imported last: the controllers write through this module
from .controllers import notify, notify_many, prepare_for_create  # noqa: E402
