"""The EndpointSlice controller: a Service's pods as EndpointSlices of at most 100 endpoints.

**Mirrors:** ``pkg/controller/endpointslice/endpointslice_controller.go`` (syncService, the pod and Service
handlers), ``staging/src/k8s.io/endpointslice/reconciler.go`` (reconcileByAddressType,
reconcileByPortMapping: existing slices keep the endpoints that are still wanted, updated in place; new
endpoints fill slices with room before new slices are created; empty slices are deleted, and so are slices
labelled for the Service that it does not own (after an Orphan deletion and a re-create); a Service with no
endpoints keeps one placeholder slice with no ports), ``staging/src/k8s.io/endpointslice/utils.go``
(podToEndpoint: ready/serving/terminating, hostname, nodeName, targetRef; newEndpointSlice: generateName
``<service>-``, the labels ``kubernetes.io/service-name`` and ``endpointslice.kubernetes.io/managed-by``, the
Service's labels, ``service.kubernetes.io/headless``, the controller owner reference to the Service).
**Modelled:** rules EP-1 (Services with a selector, not ExternalName; slices go with their Service through
the garbage collector), EP-2 (terminating pods are kept: includeTerminating is always true here), EP-4
(``serving`` = Ready, ``terminating`` = deletionTimestamp set, ``ready`` = publishNotReadyAddresses or
(serving and not terminating)), EP-5 (ports per pod; pods serving different port sets go to different
slices), EP-8 (at most ``MAX_ENDPOINTS_PER_SLICE`` = 100 endpoints, addressType IPv4, labels).
**Incremental:** as the Endpoints controller, a pod write wakes ``<ns>/<service>|<pod>`` and that sync
touches the one slice holding the pod (at most 100 endpoints), found through the controller's cache
(``state.env["endpointslices"]``: per Service, the slice and port set of each pod, and the endpoint count of
each slice); a Service write wakes a full sync of the Service.
**Not modelled (and why):** topology hints and zones (no zone labels on the model's nodes); the
EndpointSliceMirroring controller (selectorless Services' slices); the slice-tracker's stale-cache
checks (the cache lives in the state and is changed with every write it describes); which of several
slices with room upstream fills first (it sorts by fullness; the model takes the fullest, then by name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import immutables

from ..counters import active as _counters
from ..frozen import EMPTY, FrozenDict, freeze, freeze_dict, with_
from ..podutil import is_pod_ready
from ..state import ClusterState
from . import Controller, create_many, delete, register, update
from .endpoints import (
    HEADLESS_LABEL,
    SEP,
    PortKey,
    caches,
    pod_watch,
    selected_pods,
    selector_namespaces,
    served_ports,
    service_watch,
    set_cache,
    should_be_in_endpoints,
    should_set_hostname,
)

__all__ = ["MANAGED_BY", "MAX_ENDPOINTS_PER_SLICE", "SERVICE_NAME_LABEL"]

NAME = "endpointslice"
CACHE = "endpointslices"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MAX_ENDPOINTS_PER_SLICE = 100
_MAP: Any = immutables.Map()
PLACEHOLDER: Any = None  # the port set of the placeholder slice


@attrs.frozen
class ServiceSlices:
    where: Any = _MAP  # Map[pod name, (slice name, PortKey)]
    sizes: Any = _MAP  # Map[slice name, (PortKey | PLACEHOLDER, endpoint count)]


def _endpoint(pod: FrozenDict, svc: Mapping[str, Any]) -> tuple[PortKey, FrozenDict] | None:
    """podToEndpoint, with the port set the pod serves (None: the pod is not an endpoint); one ``pod_visits``."""
    counters = _counters()
    if counters is not None:
        counters.add(NAME, "pod_visits")
    spec = svc.get("spec") or EMPTY
    if not should_be_in_endpoints(pod, True):
        return None
    wanted = spec.get("ports")
    ports = served_ports(pod, wanted) if wanted else []
    if not ports and wanted:
        return None
    md = pod["metadata"]
    serving = is_pod_ready(pod)
    terminating = bool(md.get("deletionTimestamp"))
    ready = bool(spec.get("publishNotReadyAddresses")) or (serving and not terminating)
    ip = pod["status"].get("podIP") or pod["status"]["podIPs"][0]["ip"]
    ep: dict[str, Any] = {"addresses": [ip],
                          "conditions": {"ready": ready, "serving": serving, "terminating": terminating}}
    if should_set_hostname(pod, svc):
        ep["hostname"] = pod["spec"]["hostname"]
    if pod["spec"].get("nodeName"):
        ep["nodeName"] = pod["spec"]["nodeName"]
    ep["targetRef"] = {"kind": "Pod", "namespace": md["namespace"], "name": md["name"], "uid": md["uid"]}
    return tuple(sorted(ports)), freeze(ep)


def _slice_ports(key: PortKey | None) -> tuple[FrozenDict, ...]:
    out = []
    for name, port, proto, app in key or ():
        p: dict[str, Any] = {"name": name, "port": port, "protocol": proto}
        if app:
            p["appProtocol"] = app
        out.append(freeze(p))
    return tuple(out)


def _labels(svc: FrozenDict) -> FrozenDict:
    labels = dict(svc["metadata"].get("labels") or EMPTY)
    for k in (SERVICE_NAME_LABEL, MANAGED_BY, HEADLESS_LABEL):
        labels.pop(k, None)
    labels[SERVICE_NAME_LABEL] = svc["metadata"]["name"]
    labels[MANAGED_BY] = CONTROLLER_NAME
    if svc["spec"].get("clusterIP") in (None, "", "None"):
        labels[HEADLESS_LABEL] = ""
    return freeze_dict(labels)


def _new_slice(svc: FrozenDict, key: PortKey | None, endpoints: tuple[FrozenDict, ...]) -> FrozenDict:
    md = svc["metadata"]
    return freeze_dict({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"generateName": f"{md['name']}-", "namespace": md["namespace"], "labels": _labels(svc),
                     "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": md["name"], "uid": md["uid"],
                                          "controller": True, "blockOwnerDeletion": True}]},
        "addressType": "IPv4", "endpoints": endpoints, "ports": _slice_ports(key),
    })


def _labelled_slices(state: ClusterState, svc: FrozenDict) -> tuple[list[FrozenDict], list[FrozenDict]]:
    """The slices labelled as this controller's for the Service: (owned by it, owned by nobody or another
    object, which the reconciler deletes). Read on full syncs only (the namespace's slices are scanned)."""
    md = svc["metadata"]
    owned, strays = [], []
    for s in state.iter_kind("EndpointSlice", md["namespace"]):
        labels = s["metadata"].get("labels") or EMPTY
        if labels.get(MANAGED_BY) != CONTROLLER_NAME or labels.get(SERVICE_NAME_LABEL) != md["name"]:
            continue
        refs = s["metadata"].get("ownerReferences") or ()
        if any(r.get("controller") and r.get("uid") == md["uid"] for r in refs):
            owned.append(s)
        elif not s["metadata"].get("deletionTimestamp"):
            strays.append(s)
    key = lambda s: s["metadata"]["name"]  # noqa: E731
    return sorted(owned, key=key), sorted(strays, key=key)


def _key_of(s: FrozenDict) -> PortKey | None:
    if not s.get("ports"):
        return PLACEHOLDER if not s.get("endpoints") else ()
    return tuple(sorted((p.get("name") or "", p["port"], p.get("protocol") or "TCP", p.get("appProtocol") or "")
                        for p in s["ports"]))


def _count_slice_write(n: int) -> None:
    """``endpoints_written``: the endpoints of the slices this controller rewrote (at most 100 a slice)."""
    counters = _counters()
    if counters is not None:
        counters.add(NAME, "endpoints_written", n)


def _pod_of(ep: Mapping[str, Any]) -> str:
    return str((ep.get("targetRef") or EMPTY).get("name", ""))


# ---------------------------------------------------------------------------------------------
# sync
# ---------------------------------------------------------------------------------------------
def sync(state: ClusterState, key: str) -> ClusterState:
    service_key, _, pod_name = key.partition(SEP)
    ns, name = service_key.split("/", 1)
    svc = state.get("Service", ns, name)
    spec = (svc.get("spec") or EMPTY) if svc is not None else EMPTY
    if svc is None or spec.get("type") == "ExternalName" or spec.get("selector") is None:
        # the garbage collector removes the slices of a deleted Service (owner references)
        return set_cache(state, (ns, name), None, CACHE)
    cache = caches(state, CACHE).get((ns, name))
    if pod_name and cache is not None:
        return _sync_pod(state, svc, cache, pod_name)
    return _sync_service(state, svc)


def _sync_pod(state: ClusterState, svc: FrozenDict, cache: ServiceSlices, pod_name: str) -> ClusterState:
    """One pod's endpoint: updated in place in its slice, moved, added to a slice with room, or removed."""
    ns = svc["metadata"]["namespace"]
    pod = state.get("Pod", ns, pod_name)
    selector = svc["spec"]["selector"]
    labels = pod["metadata"].get("labels") or EMPTY if pod is not None else EMPTY
    want = _endpoint(pod, svc) if pod is not None and all(labels.get(k) == v for k, v in selector.items()) else None
    at = cache.where.get(pod_name)
    if at is not None:
        slice_name, key = at
        current = state.get("EndpointSlice", ns, slice_name)
        if current is None:  # the slice went behind the controller's back: rebuild
            return _sync_service(state, svc)
        eps = current.get("endpoints") or ()
        i = next((j for j, e in enumerate(eps) if _pod_of(e) == pod_name), None)
        if i is None:
            return _sync_service(state, svc)
        if want is not None and want[0] == key:
            if eps[i] == want[1]:
                return state
            _count_slice_write(len(eps))
            return update(state, NAME, with_(current, endpoints=(*eps[:i], want[1], *eps[i + 1:])))[0]
        rest = (*eps[:i], *eps[i + 1:])
        where = cache.where.delete(pod_name)
        sizes = cache.sizes
        if rest or len(cache.sizes) > 1 or want is not None:
            if rest:
                state = update(state, NAME, with_(current, endpoints=rest))[0]
                sizes = sizes.set(slice_name, (key, len(rest)))
            else:
                state = delete(state, NAME, "EndpointSlice", ns, slice_name)[0]
                sizes = sizes.delete(slice_name)
            cache = ServiceSlices(where, sizes)
        else:
            # the Service's last endpoint: its slice makes way for the placeholder
            state = delete(state, NAME, "EndpointSlice", ns, slice_name)[0]
            cache = ServiceSlices(where, sizes.delete(slice_name))
    if want is not None:
        state, cache = _add(state, svc, cache, pod_name, want)
    state, cache = _placeholder(state, svc, cache)
    return set_cache(state, (ns, svc["metadata"]["name"]), cache, CACHE)


def _add(state: ClusterState, svc: FrozenDict, cache: ServiceSlices, pod_name: str,
         want: tuple[PortKey, FrozenDict]) -> tuple[ClusterState, ServiceSlices]:
    ns = svc["metadata"]["namespace"]
    key, ep = want
    room = [(-n, s) for s, (k, n) in cache.sizes.items() if k == key and n < MAX_ENDPOINTS_PER_SLICE]
    if room:
        _, slice_name = min(room)
        current = state.get("EndpointSlice", ns, slice_name)
        if current is None:  # gone behind the controller's back: rebuild from the slices that exist
            state = _sync_service(state, svc)
            return state, caches(state, CACHE).get((ns, svc["metadata"]["name"])) or ServiceSlices()
        eps = (*(current.get("endpoints") or ()), ep)
        state = update(state, NAME, with_(current, endpoints=eps))[0]
    else:
        state, r = create_many(state, NAME, [_new_slice(svc, key, (ep,))])
        if not r.items:  # refused (a terminating namespace): nothing placed, the next sync tries again
            return state, cache
        slice_name = r.items[0]["metadata"]["name"]
        eps = (ep,)
    return state, ServiceSlices(cache.where.set(pod_name, (slice_name, key)),
                                cache.sizes.set(slice_name, (key, len(eps))))


def _placeholder(state: ClusterState, svc: FrozenDict, cache: ServiceSlices) -> tuple[ClusterState, ServiceSlices]:
    """Exactly one placeholder slice when the Service has no endpoints; none otherwise."""
    ns = svc["metadata"]["namespace"]
    holders = [s for s, (k, _) in cache.sizes.items() if k is PLACEHOLDER]
    if cache.where:
        for s in holders:
            state = delete(state, NAME, "EndpointSlice", ns, s)[0]
            cache = ServiceSlices(cache.where, cache.sizes.delete(s))
    elif not holders:
        state, r = create_many(state, NAME, [_new_slice(svc, PLACEHOLDER, ())])
        if r.items:  # refused in a terminating namespace
            cache = ServiceSlices(cache.where, cache.sizes.set(r.items[0]["metadata"]["name"], (PLACEHOLDER, 0)))
    return state, cache


def _sync_service(state: ClusterState, svc: FrozenDict) -> ClusterState:
    """reconcileByAddressType: keep wanted endpoints where they are, fill slices with room, then create."""
    md = svc["metadata"]
    ns = md["namespace"]
    wanted: dict[str, tuple[PortKey, FrozenDict]] = {}
    for p in selected_pods(state, svc):
        got = _endpoint(p, svc)
        if got is not None:
            wanted[p["metadata"]["name"]] = got
    where: dict[str, tuple[str, PortKey]] = {}
    sizes: dict[str, tuple[PortKey | None, int]] = {}
    labels = _labels(svc)
    owned, strays = _labelled_slices(state, svc)
    for s in strays:  # reconciler.reconcile: a labelled slice the Service does not own is deleted
        state = delete(state, NAME, "EndpointSlice", ns, s["metadata"]["name"])[0]
    for s in owned:
        key = _key_of(s)
        name = s["metadata"]["name"]
        kept = []
        for e in s.get("endpoints") or ():
            pod_name = _pod_of(e)
            want = wanted.get(pod_name)
            if want is not None and want[0] == key and pod_name not in where:
                kept.append(want[1])
                where[pod_name] = (name, key)
        if not kept and key is not PLACEHOLDER:
            state = delete(state, NAME, "EndpointSlice", ns, name)[0]
            continue
        new = with_(s, endpoints=tuple(kept), metadata=with_(s["metadata"], labels=labels))
        if new != s:
            state = update(state, NAME, new)[0]
        sizes[name] = (key, len(kept))
    cache = ServiceSlices(immutables.Map(where), immutables.Map(sizes))
    for pod_name in sorted(wanted):
        if pod_name not in where:
            state, cache = _add(state, svc, cache, pod_name, wanted[pod_name])
    state, cache = _placeholder(state, svc, cache)
    return set_cache(state, (ns, md["name"]), cache, CACHE)


register(Controller(NAME, sync, {"Service": service_watch, "Pod": pod_watch(NAME)}, gates={"Pod": selector_namespaces}))
