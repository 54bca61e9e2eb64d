"""kubectl: the user verbs, turned into API requests as kubectl turns them (the client side of the door).

**Mirrors:** ``staging/src/k8s.io/kubectl/pkg/cmd/apply`` (client-side apply: GET, then create with the
``kubectl.kubernetes.io/last-applied-configuration`` annotation, or a three-way merge of the last
applied configuration, the live object and the manifest), ``pkg/cmd/scale`` (an update of the scale
subresource), ``pkg/polymorphichelpers/rollback.go`` (``DeploymentRollbacker.Rollback``: refuse a
paused deployment, find the revision with ``deploymentRevision``, skip when the template already
matches, else write the revision's template and annotations), ``pkg/polymorphichelpers/objectpauser.go``
and ``objectresumer.go`` (``kubectl rollout pause|resume``: a patch of ``spec.paused``, refused when
there is nothing to change), ``pkg/drain/cordon.go`` (``kubectl cordon|uncordon``: a patch of
``spec.unschedulable``; "already cordoned" sends nothing) and ``pkg/cmd/delete`` (propagation, grace).
**Modelled:** each verb is a function ``(state, ...) -> (state, Response, changes)`` that sends its
requests through :func:`refmodel.apiserver.handle` as a user; the caller feeds ``changes`` to the watches.
Apply keeps fields others set (a ``kubectl scale``, a controller), removes those the previous apply set
and this one drops, merges keyed lists per element and clears keys of ``retainKeys`` fields the manifest
leaves out (the strategic three-way merge of :mod:`refmodel.patch`).
**Not modelled (and why):** apply sends the merged object as an update with the live resourceVersion
rather than the patch itself (the stored result is the same); ``--server-side``; ``--prune``; undo of DaemonSets
(no DaemonSet controller keeps revisions in the model).
StatefulSets: ``pkg/polymorphichelpers/rollback.go`` (``StatefulSetRollbacker.Rollback``, ``findHistory``,
``statefulsetMatch``): the set's ControllerRevisions, the chosen one's data sent as a strategic patch
(its ``$patch: replace`` replaces the template), "skipped rollback" when it already matches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import patch
from .apiserver import handle, resolve_kind
from .controllers import deployment_util as du
from .errors import Rejection, required
from .frozen import EMPTY, FrozenDict, thaw, with_
from .request import Change, Request, Response
from .state import ClusterState

__all__ = ["LAST_APPLIED", "Result", "apply", "cordon", "delete", "deployment_revision", "rollout_pause",
           "rollout_undo", "rollout_undo_statefulset", "scale", "without_last_applied"]

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: the last-applied text of a manifest: ``json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)``,
#: with the encoder built once (json.dumps builds one per call when given options)
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode

#: what a verb leaves: the new state, kubectl's answer, the writes committed (for the watches)
Result = tuple[ClusterState, Response, tuple[Change, ...]]


def _fail(state: ClusterState, rejection: Rejection) -> Result:
    return state, Response.failure(rejection), ()


def _with_notice(result: Result, notice: str) -> Result:
    state, response, changes = result
    if response.ok:
        response = Response(response.code, response.obj, response.items, None, notice)
    return state, response, changes


# ---------------------------------------------------------------------------------------------
# apply (client-side)
# ---------------------------------------------------------------------------------------------
def apply(state: ClusterState, raw: Mapping[str, Any]) -> Result:
    """``kubectl apply -f``: create when absent, else merge the manifest into the live object."""
    info = resolve_kind(raw)
    if isinstance(info, Rejection):
        return _fail(state, info)
    # an event's manifest is frozen all the way down and is read as it is (the server copies what it keeps);
    # anything else is first made the plain JSON value it stands for
    manifest = raw if type(raw) is FrozenDict else thaw(raw)
    md = manifest.get("metadata")
    if not isinstance(md, dict) or not md.get("name"):
        if isinstance(md, dict) and md.get("generateName"):
            return handle(state, Request("create", info.kind, body=raw))
        return _fail(state, Rejection.from_errors(info.kind, "", [required("metadata.name",
                                                                           "name or generateName is required")]))
    if not isinstance(md["name"], str):
        return handle(state, Request("create", info.kind, body=raw))  # the server says why
    ns = (md.get("namespace") or "default") if info.namespaced else ""
    applied = _ENCODE(without_last_applied(manifest))
    state, got, _ = handle(state, Request("get", info.kind, ns, md["name"]))
    live = got.obj
    if live is None:
        if not (isinstance(md.get("annotations"), dict) or md.get("annotations") is None):
            return handle(state, Request("create", info.kind, ns, body=manifest))  # the server says why
        new = dict(manifest)
        new["metadata"] = {**md, "annotations": {**(md.get("annotations") or {}), LAST_APPLIED: applied + "\n"}}
        return handle(state, Request("create", info.kind, ns, body=new))
    last_text = (live["metadata"].get("annotations") or EMPTY).get(LAST_APPLIED)
    try:
        last = json.loads(last_text) if last_text else {}
    except ValueError:
        last = {}
    try:
        delta = patch.create_three_way_merge_patch(last, without_last_applied(manifest), live, info.kind,
                                                   original_is_modified=last_text == applied + "\n")
    except patch.PatchError as e:
        return _fail(state, e.rejection(info.kind, md["name"]))
    if not delta and last_text == applied + "\n":
        # the manifest is the last applied one and the object holds it: an empty patch, which kubectl does not
        # send (apply/patcher.go patchSimple); the answer is the object as it is
        return state, Response(200, live), ()
    merged = patch.apply_three_way_merge_patch(live, delta, info.kind)
    merged.setdefault("metadata", {}).setdefault("annotations", {})
    if isinstance(merged["metadata"]["annotations"], dict):
        merged["metadata"]["annotations"][LAST_APPLIED] = applied + "\n"
    merged["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    return handle(state, Request("update", info.kind, ns, md["name"], body=merged))


def without_last_applied(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest as kubectl records it in the last-applied annotation: without that annotation."""
    out = dict(manifest)
    md = out.get("metadata")
    if isinstance(md, dict) and isinstance(md.get("annotations"), dict) and LAST_APPLIED in md["annotations"]:
        md = dict(md)
        md["annotations"] = {k: v for k, v in md["annotations"].items() if k != LAST_APPLIED}
        if not md["annotations"]:
            md.pop("annotations")
        out["metadata"] = md
    return out


# ---------------------------------------------------------------------------------------------
# delete, scale, cordon
# ---------------------------------------------------------------------------------------------
def delete(state: ClusterState, kind: str, namespace: str, name: str, propagation: str | None = "Background",
           grace_period_seconds: int | None = None) -> Result:
    """``kubectl delete KIND NAME [--cascade=background|foreground|orphan] [--grace-period=N]``."""
    return handle(state, Request("delete", kind, namespace, name, propagation=propagation,
                                 grace_period_seconds=grace_period_seconds))


def scale(state: ClusterState, kind: str, namespace: str, name: str, replicas: int) -> Result:
    """``kubectl scale KIND/NAME --replicas=N``: an update of the scale subresource."""
    body = {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas}}
    return handle(state, Request("update", kind, namespace or "default", name, body=body, subresource="scale"))


def cordon(state: ClusterState, node: str, unschedulable: bool = True) -> Result:
    """``kubectl cordon NODE`` (``uncordon`` with ``unschedulable=False``): a patch of ``spec.unschedulable``;
    a node already in that state is left alone (kubectl prints "already cordoned")."""
    state, got, _ = handle(state, Request("get", "Node", "", node))
    if got.obj is None:
        return state, got, ()
    if bool((got.obj.get("spec") or EMPTY).get("unschedulable")) == unschedulable:
        word = "cordoned" if unschedulable else "uncordoned"
        return state, Response(200, got.obj, (), None, f"already {word}"), ()
    patch = {"spec": {"unschedulable": True if unschedulable else None}}
    return handle(state, Request("patch", "Node", "", node, body=patch, patch_type="strategic"))


# ---------------------------------------------------------------------------------------------
# rollout undo / pause / resume
# ---------------------------------------------------------------------------------------------
def _deployment(state: ClusterState, namespace: str, name: str) -> FrozenDict | Response:
    state, got, _ = handle(state, Request("get", "Deployment", namespace or "default", name))
    if got.obj is None:
        return Response.failure(Rejection("NotFound", f'deployments.apps "{name}" not found', 404, "Deployment", name))
    return got.obj


def rollout_undo(state: ClusterState, namespace: str, name: str, to_revision: int = 0,
                 kind: str = "Deployment") -> Result:
    """``kubectl rollout undo deployment/NAME [--to-revision=N]`` (DeploymentRollbacker.Rollback).

    Copies the chosen ReplicaSet's template (without ``pod-template-hash``) and its annotations (but the
    skipped ones, which the Deployment keeps) into the Deployment; the controller then reuses that RS.
    """
    if kind == "StatefulSet":
        return rollout_undo_statefulset(state, namespace, name, to_revision)
    if to_revision < 0:
        return _fail(state, _revision_not_found(to_revision, name))
    d = _deployment(state, namespace, name)
    if isinstance(d, Response):
        return state, d, ()
    target = deployment_revision(_replica_sets_of(state, d), to_revision)
    if target is None:
        if to_revision > 0:
            return _fail(state, _revision_not_found(to_revision, name))
        return _fail(state, Rejection("NotFound", f'no rollout history found for deployment "{name}"', 404,
                                      "Deployment", name))
    if d["spec"].get("paused"):
        return _fail(state, Rejection(
            "BadRequest", f"you cannot rollback a paused deployment; resume it first with 'kubectl rollout "
            f"resume deployment/{name}' and try again", 400, "Deployment", name))
    template = target["spec"].get("template") or EMPTY
    if du.equal_ignore_hash(template, d["spec"].get("template")):
        return state, Response(200, d, (), None, f"skipped rollback (current template already matches "
                                                 f"revision {to_revision})"), ()
    new_d = du.set_from_replica_set_template(d, template)
    annotations = {k: v for k, v in du.annotations_of(d).items() if du.skip_copy_annotation(k)}
    annotations.update({k: v for k, v in du.annotations_of(target).items() if not du.skip_copy_annotation(k)})
    new_d = with_(new_d, metadata=with_(new_d["metadata"], annotations=FrozenDict(annotations) or None))
    # upstream sends a JSON patch replacing the template and the annotations, with the live
    # resourceVersion as precondition: an update of the whole object with that resourceVersion
    request = Request("update", "Deployment", d["metadata"]["namespace"], name, body=thaw(new_d),
                      resource_version=d["metadata"]["resourceVersion"])
    return _with_notice(handle(state, request), "rolled back")


def _replica_sets_of(state: ClusterState, d: FrozenDict) -> list[FrozenDict]:
    """deploymentutil.GetAllReplicaSets: the ReplicaSets the deployment controls that match its selector."""
    md = d["metadata"]
    _, listed, _ = handle(state, Request("list", "ReplicaSet", md["namespace"],
                                         selector=d["spec"].get("selector") or EMPTY))
    return [rs for rs in listed.items if any(
        r.get("controller") and r.get("uid") == md["uid"] for r in rs["metadata"].get("ownerReferences") or ())]


def _revision_not_found(to_revision: int, name: str) -> Rejection:
    return Rejection("NotFound", f"unable to find specified revision {to_revision} in history", 404,
                     "Deployment", name)


def deployment_revision(rss: list[FrozenDict], to_revision: int) -> FrozenDict | None:
    """deploymentRevision: the RS with revision N, or for N = 0 the second newest revision."""
    latest: FrozenDict | None = None
    latest_rev = -1
    previous: FrozenDict | None = None
    previous_rev = -1
    for rs in rss:
        try:
            v = du.revision(rs)
        except du.RevisionError:
            continue
        if to_revision == 0:
            if latest_rev < v:
                previous, previous_rev = latest, latest_rev
                latest, latest_rev = rs, v
            elif previous_rev < v:
                previous, previous_rev = rs, v
        elif to_revision == v:
            return rs
    return previous if to_revision == 0 else None


def rollout_pause(state: ClusterState, namespace: str, name: str, paused: bool = True) -> Result:
    """``kubectl rollout pause|resume deployment/NAME``: a patch of ``spec.paused``."""
    d = _deployment(state, namespace, name)
    if isinstance(d, Response):
        return state, d, ()
    if bool(d["spec"].get("paused")) == paused:
        word = "is already paused" if paused else "is not paused"
        return _fail(state, Rejection("BadRequest", f'deployments.apps "{name}" {word}', 400, "Deployment", name))
    patch = {"spec": {"paused": True if paused else None}}
    return handle(state, Request("patch", "Deployment", d["metadata"]["namespace"], name, body=patch,
                                 patch_type="strategic"))


# ---------------------------------------------------------------------------------------------
# rollout undo statefulset/NAME (StatefulSetRollbacker)
# ---------------------------------------------------------------------------------------------
def rollout_undo_statefulset(state: ClusterState, namespace: str, name: str, to_revision: int = 0) -> Result:
    """``kubectl rollout undo statefulset/NAME [--to-revision=N]``: patch the set with a revision's data."""
    from .controllers import statefulset as ssc

    ns = namespace or "default"
    if to_revision < 0:
        return _fail(state, _sts_revision_not_found(to_revision, name))
    state, got, _ = handle(state, Request("get", "StatefulSet", ns, name))
    sts = got.obj
    if sts is None:
        return state, Response.failure(Rejection("NotFound", f'statefulsets.apps "{name}" not found', 404,
                                                 "StatefulSet", name)), ()
    _, listed, _ = handle(state, Request("list", "ControllerRevision", ns,
                                         selector=sts["spec"].get("selector") or EMPTY))
    history = sorted((r for r in listed.items if any(
        ref.get("controller") and ref.get("uid") == sts["metadata"]["uid"]
        for ref in r["metadata"].get("ownerReferences") or ())), key=lambda r: int(r.get("revision", 0)))
    if len(history) <= 1:
        return _fail(state, Rejection("BadRequest", "no last revision to roll back to", 400, "StatefulSet", name))
    if to_revision == 0:
        target = history[-2]
    else:
        found = [r for r in history if r.get("revision") == to_revision]
        if not found:
            return _fail(state, _sts_revision_not_found(to_revision, name))
        target = found[0]
    if ssc.get_patch(sts) == target.get("data"):
        return state, Response(200, sts, (), None, f"skipped rollback (current template already matches "
                                                   f"revision {to_revision})"), ()
    request = Request("patch", "StatefulSet", ns, name, body=thaw(target["data"]), patch_type="strategic")
    return _with_notice(handle(state, request), "rolled back")


def _sts_revision_not_found(to_revision: int, name: str) -> Rejection:
    return Rejection("NotFound", f"unable to find specified revision {to_revision} in history", 404,
                     "StatefulSet", name)
