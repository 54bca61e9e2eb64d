"""The Endpoints controller: one Endpoints object per Service with a selector, listing its pods.

**Mirrors:** ``pkg/controller/endpoint/endpoints_controller.go`` (syncService, addEndpointSubset,
truncateEndpoints, maxCapacity = 1000, the ``endpoints.kubernetes.io/over-capacity: truncated``
annotation, the Service's labels plus ``service.kubernetes.io/headless``), ``staging/src/k8s.io/
endpointslice/util/controller_utils.go`` (ShouldPodBeInEndpoints, ShouldSetHostname,
GetPodServiceMemberships, podEndpointsChanged), ``pkg/api/v1/pod/util.go`` (FindPort) and
``pkg/api/v1/endpoints/util.go`` (RepackSubsets: addresses grouped by the set of ports they serve,
sorted by IP and uid).
**Modelled:** rules EP-1 (only Services with a selector; ExternalName Services get none; the Endpoints
of a deleted Service are deleted, a selectorless Service's hand-written ones are left alone), EP-2 (terminal
pods and pods without an IP excluded whatever their restartPolicy; terminating pods only with
``publishNotReadyAddresses``), EP-3 (ready pods, or every included pod with ``publishNotReadyAddresses``, in
``addresses``; the others in ``notReadyAddresses``; phase does not matter), EP-5 (numeric and named
targetPorts per pod; a pod with no matching named port is left out of that port; a headless Service
without ports lists addresses without ports), EP-6 (hostname), EP-7 (the 1,000 cap: ready addresses kept
first, the cut spread over subsets in proportion, the annotation set and removed), EP-9 (labels, repacked
subsets, no write when nothing changed).
**Incremental:** a pod write wakes ``<ns>/<service>|<pod>`` for each Service selecting the pod before or
after (and only when something an endpoint shows changed); that sync recomputes the one pod's address and
moves it in the controller's cache (``state.env["endpoints"]``: per Service, each pod's entry and, per
(port set, readiness), the addresses sorted by IP and uid), then renders the object by slicing those
sorted tuples: the Python-level work of a readiness flip does not grow with the pods behind the Service
(copying the sorted tuples is a memmove). A Service write wakes ``<ns>/<service>``, a full sync that
rebuilds its cache from the pod label index.
**Not modelled (and why):** the ``endpoints.kubernetes.io/last-change-trigger-time`` annotation (a
wall-clock measurement); the Endpoints of the ``kubernetes`` Service (written by the API server's own
reconciler, not by this controller); dual-stack address families (one family, IPv4).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import attrs
import immutables

from ..counters import active as _counters
from ..frozen import EMPTY, FrozenDict, freeze, with_
from ..podutil import is_pod_ready
from ..state import ClusterState
from . import Controller, create_many, delete, register, update

__all__ = [
    "HEADLESS_LABEL",
    "MAX_CAPACITY",
    "OVER_CAPACITY",
    "caches",
    "pod_key",
    "selected_pods",
    "selector_namespaces",
    "served_ports",
    "services_selecting",
    "set_cache",
    "should_be_in_endpoints",
    "should_set_hostname",
]

NAME = "endpoints"
CACHE = "endpoints"  # state.env key of the controller's per-Service cache
MAX_CAPACITY = 1000
OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity"
HEADLESS_LABEL = "service.kubernetes.io/headless"
_MAP: Any = immutables.Map()
SEP = "|"  # between the Service key and the pod name of a one-pod work item (never in a name)

PortKey = tuple[tuple[str, int, str, str], ...]  # ((name, port, protocol, appProtocol), ...) sorted


# ---------------------------------------------------------------------------------------------
# predicates shared with the EndpointSlice controller
# ---------------------------------------------------------------------------------------------
def should_be_in_endpoints(pod: Mapping[str, Any], include_terminating: bool) -> bool:
    """ShouldPodBeInEndpoints (EP-2)."""
    status = pod.get("status") or EMPTY
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    if not status.get("podIP") and not status.get("podIPs"):
        return False
    return include_terminating or not pod["metadata"].get("deletionTimestamp")


def should_set_hostname(pod: Mapping[str, Any], svc: Mapping[str, Any]) -> bool:
    """ShouldSetHostname (EP-6)."""
    spec = pod["spec"]
    return bool(spec.get("hostname")) and spec.get("subdomain") == svc["metadata"]["name"] and (
        pod["metadata"].get("namespace") == svc["metadata"].get("namespace"))


def served_ports(pod: Mapping[str, Any], ports: Iterable[Mapping[str, Any]]) -> list[tuple[str, int, str, str]]:
    """(name, number, protocol, appProtocol) of each of a Service's ``ports`` the pod serves, in order: FindPort
    per port, a numeric targetPort as it is, a named one from the pod's containers (name and protocol); a
    port whose name no container has is left out. One call per pod visit, the ports looped inside."""
    out: list[tuple[str, int, str, str]] = []
    for p in ports:
        proto = p.get("protocol") or "TCP"
        n = p.get("targetPort", p.get("port"))
        if not isinstance(n, int):  # a named targetPort: the first container port of that name and protocol
            named, n = n, None
            for c in pod["spec"].get("containers") or ():
                for cp in c.get("ports") or ():
                    if cp.get("name") == named and (cp.get("protocol") or "TCP") == proto:
                        n = int(cp["containerPort"])
                        break
                if n is not None:
                    break
            if n is None:
                continue  # no container has it: the pod does not serve this port
        out.append((p.get("name") or "", n, proto, p.get("appProtocol") or ""))
    return out


def _selects(selector: Mapping[str, Any] | None, labels: Mapping[str, Any] | None) -> bool:
    if selector is None:
        return False
    labels = labels or EMPTY
    return all(labels.get(k) == v for k, v in selector.items())


def services_selecting(state: ClusterState, ns: str, labels: Mapping[str, Any] | None) -> list[str]:
    """GetPodServiceMemberships: the Services of ``ns`` whose selector matches ``labels``, in name order
    (hash-seed free). Only the Services with a selector are tried (:func:`_selector_services`): the
    ``kubernetes`` Service of ``default`` has none, and every pod write of that namespace asks."""
    labels = labels or EMPTY
    return [name for name, selector in _selector_services(state, ns)
            if all(labels.get(k) == v for k, v in selector)]


_SELECTORS: dict[int, tuple[Any, tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]]] = {}


def _selector_services(state: ClusterState, ns: str) -> tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]:
    """(name, selector items) of the Services of ``ns`` that have a selector, sorted by name; memoised by
    identity of the namespace's Service map (Services change rarely, pods often; the cache holds the map,
    so its id stays valid)."""
    names = (state.objects.get("Service") or _MAP).get(ns)
    if names is None:
        return ()
    hit = _SELECTORS.get(id(names))
    if hit is not None and hit[0] is names:
        return hit[1]
    out = []
    for name, svc in names.items():
        selector = (svc.get("spec") or EMPTY).get("selector")
        if selector is not None:
            out.append((name, tuple(selector.items())))
    got = tuple(sorted(out))
    if len(_SELECTORS) > 1024:
        _SELECTORS.clear()
    _SELECTORS[id(names)] = (names, got)
    return got


def selector_namespaces(state: ClusterState) -> frozenset[str]:
    """The namespaces with a Service that has a selector: the gate of the pod watch (:func:`pod_watch`
    returns no key for a pod elsewhere). Memoised by identity of the Services' namespace map."""
    by_ns = state.objects.get("Service")
    if by_ns is None:
        return frozenset()
    if _GATE and _GATE[0][0] is by_ns:
        return _GATE[0][1]
    found = frozenset(ns for ns in by_ns if _selector_services(state, ns))
    _GATE[:] = [(by_ns, found)]
    return found


_GATE: list[tuple[Any, frozenset[str]]] = []  # at most one: (the Services' namespace map, its gate)


def selected_pods(state: ClusterState, svc: Mapping[str, Any]) -> list[FrozenDict]:
    """The pods of the Service's namespace its selector matches, from the pod label index."""
    ns = svc["metadata"]["namespace"]
    selector = (svc.get("spec") or EMPTY).get("selector")
    if selector is None:
        return []
    if not selector:
        return sorted(state.iter_kind("Pod", ns), key=lambda p: p["metadata"]["name"])
    names = state.pods_with_labels(ns, list(selector.items()))
    return [p for p in (state.get("Pod", ns, n) for n in sorted(names)) if p is not None]


def pod_key(pod: FrozenDict | None) -> Any:
    """What an endpoint can show of a pod (podEndpointsChanged): a pod write that leaves it equal wakes
    no Service."""
    if pod is None:
        return None
    md, spec, status = pod["metadata"], pod["spec"], pod.get("status") or EMPTY
    conds = status.get("conditions")
    return (status.get("podIP"), status.get("phase") in ("Succeeded", "Failed"), bool(md.get("deletionTimestamp")),
            is_pod_ready(pod) if conds else False, spec.get("nodeName"), spec.get("hostname"), spec.get("subdomain"),
            md.get("uid"), id(spec.get("containers")))


def pod_watch(controller: str) -> Any:
    """The pod event handler both controllers share: one work item per (Service, pod) whose endpoint
    may have changed, for every Service selecting the pod before or after the write."""

    def keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
        pod = new if new is not None else old
        assert pod is not None
        md = pod["metadata"]
        ns = md.get("namespace", "")
        if not _selector_services(state, ns):
            return ()
        old_labels = old["metadata"].get("labels") if old is not None else None
        new_labels = new["metadata"].get("labels") if new is not None else None
        if old_labels is new_labels or old_labels == new_labels:
            names = services_selecting(state, ns, new_labels)  # first: most pods are behind no Service
            if not names or pod_key(old) == pod_key(new):
                return ()
        else:
            names = sorted(set(services_selecting(state, ns, old_labels)) | set(
                services_selecting(state, ns, new_labels)))
        return [f"{ns}/{s}{SEP}{md['name']}" for s in names]

    return keys


def service_watch(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    svc = new if new is not None else old
    assert svc is not None
    if old is not None and new is not None and old.get("spec") == new.get("spec") and (
            old["metadata"].get("labels") == new["metadata"].get("labels")):
        return ()
    md = svc["metadata"]
    return (f"{md['namespace']}/{md['name']}",)


# ---------------------------------------------------------------------------------------------
# the cache: per Service, each pod's entry and the sorted addresses of each (port set, readiness)
# ---------------------------------------------------------------------------------------------
Entry = tuple[PortKey, bool, tuple[str, str], FrozenDict]  # (ports, ready, (ip, uid), address)


@attrs.frozen
class ServiceEndpoints:
    entries: Any = _MAP  # Map[pod name, Entry]
    groups: Any = _MAP  # Map[(PortKey, ready), (sorted keys, addresses in the same order)]

    def put(self, pod: str, entry: Entry | None) -> ServiceEndpoints:
        old = self.entries.get(pod)
        if old == entry:
            return self
        groups = self.groups
        if old is not None:
            g = (old[0], old[1])
            keys, addrs = groups[g]
            i = bisect_left(keys, old[2])
            keys, addrs = keys[:i] + keys[i + 1:], addrs[:i] + addrs[i + 1:]
            groups = groups.set(g, (keys, addrs)) if keys else groups.delete(g)
        if entry is not None:
            g = (entry[0], entry[1])
            keys, addrs = groups.get(g) or ((), ())
            i = bisect_left(keys, entry[2])
            groups = groups.set(g, ((*keys[:i], entry[2], *keys[i:]), (*addrs[:i], entry[3], *addrs[i:])))
        entries = self.entries.set(pod, entry) if entry is not None else self.entries.delete(pod)
        return ServiceEndpoints(entries, groups)


def _entry(pod: FrozenDict, svc: Mapping[str, Any]) -> Entry | None:
    """The pod's address in the Service's Endpoints (None: not listed). Counted as a ``pod_visits`` work
    unit (refmodel/counters.py): a readiness flip costs one, whatever the pods behind the Service."""
    counters = _counters()
    if counters is not None:
        counters.add(NAME, "pod_visits")
    spec = svc.get("spec") or EMPTY
    publish = bool(spec.get("publishNotReadyAddresses"))
    if not should_be_in_endpoints(pod, publish):
        return None
    wanted = spec.get("ports")
    ports = served_ports(pod, wanted) if wanted else []
    if not ports and (wanted or spec.get("clusterIP") != "None"):
        return None
    md = pod["metadata"]
    ip = pod["status"].get("podIP") or pod["status"]["podIPs"][0]["ip"]
    addr: dict[str, Any] = {"ip": ip}
    if should_set_hostname(pod, svc):
        addr["hostname"] = pod["spec"]["hostname"]
    if pod["spec"].get("nodeName"):
        addr["nodeName"] = pod["spec"]["nodeName"]
    addr["targetRef"] = {"kind": "Pod", "namespace": md["namespace"], "name": md["name"], "uid": md["uid"]}
    return tuple(sorted(ports)), publish or is_pod_ready(pod), (ip, md["uid"]), freeze(addr)


@lru_cache(maxsize=4096)
def _ports(key: PortKey) -> tuple[FrozenDict, ...]:
    out = []
    for name, port, proto, app in key:
        p: dict[str, Any] = {"port": port, "protocol": proto}
        if name:
            p["name"] = name
        if app:
            p["appProtocol"] = app
        out.append(freeze(p))
    return tuple(out)


def render(cache: ServiceEndpoints) -> tuple[tuple[FrozenDict, ...], bool]:
    """The subsets (RepackSubsets order: by port set) and whether they were truncated (truncateEndpoints)."""
    groups = cache.groups
    keys = sorted({g for g, _ in groups})
    ready = [groups.get((k, True), ((), ()))[1] for k in keys]
    not_ready = [groups.get((k, False), ((), ()))[1] for k in keys]
    total_ready = sum(map(len, ready))
    total_not_ready = sum(map(len, not_ready))
    truncated = total_ready + total_not_ready > MAX_CAPACITY
    if truncated:
        truncate_ready = total_ready > MAX_CAPACITY
        limit, total = (MAX_CAPACITY, total_ready) if truncate_ready else (MAX_CAPACITY - total_ready, total_not_ready)
        room = limit
        for i in range(len(keys)):
            part = ready[i] if truncate_ready else not_ready[i]
            take = min(math.ceil(len(part) / total * limit), room) if total else 0
            if truncate_ready:
                ready[i], not_ready[i] = part[:take], ()
            else:
                not_ready[i] = part[:take]
            room -= take
    subsets = []
    for i, k in enumerate(keys):
        if not ready[i] and not not_ready[i]:
            continue
        subset: dict[str, Any] = {}
        if ready[i]:
            subset["addresses"] = ready[i]
        if not_ready[i]:
            subset["notReadyAddresses"] = not_ready[i]
        if k:
            subset["ports"] = _ports(k)
        subsets.append(FrozenDict(subset))
    return tuple(subsets), truncated


# ---------------------------------------------------------------------------------------------
# sync
# ---------------------------------------------------------------------------------------------
def caches(state: ClusterState, name: str = CACHE) -> Any:
    """A controller's per-Service cache (``state.env[name]``: (namespace, Service) -> its last sync's view)."""
    return state.env.get(name) or _MAP


def set_cache(state: ClusterState, ref: tuple[str, str], cache: Any, name: str = CACHE) -> ClusterState:
    """``state`` with ``ref``'s entry of the ``name`` cache replaced (None: removed)."""
    table = caches(state, name)
    if cache is None:
        if ref not in table:
            return state
        table = table.delete(ref)
    else:
        table = table.set(ref, cache)
    return state.replace(env=state.env.set(name, table))


def _managed(svc: FrozenDict | None) -> bool:
    if svc is None:
        return False
    spec = svc.get("spec") or EMPTY
    return spec.get("type") != "ExternalName" and spec.get("selector") is not None


def sync(state: ClusterState, key: str) -> ClusterState:
    service_key, _, pod_name = key.partition(SEP)
    ns, name = service_key.split("/", 1)
    svc = state.get("Service", ns, name)
    if svc is None:
        state = set_cache(state, (ns, name), None)
        if state.get("Endpoints", ns, name) is not None:
            state = delete(state, NAME, "Endpoints", ns, name)[0]
        return state
    if not _managed(svc):
        return set_cache(state, (ns, name), None)
    cache = caches(state).get((ns, name))
    if pod_name and cache is not None:
        pod = state.get("Pod", ns, pod_name)
        entry = _entry(pod, svc) if pod is not None and _selects(svc["spec"]["selector"],
                                                                 pod["metadata"].get("labels")) else None
        new_cache = cache.put(pod_name, entry)
        if new_cache is cache and state.get("Endpoints", ns, name) is not None:
            return state
    else:
        new_cache = ServiceEndpoints()
        for pod in selected_pods(state, svc):
            new_cache = new_cache.put(pod["metadata"]["name"], _entry(pod, svc))
    state = set_cache(state, (ns, name), new_cache)
    return _write(state, svc, new_cache)


def _write(state: ClusterState, svc: FrozenDict, cache: ServiceEndpoints) -> ClusterState:
    md = svc["metadata"]
    ns, name = md["namespace"], md["name"]
    subsets, truncated = render(cache)
    labels = dict(md.get("labels") or EMPTY)
    spec = svc["spec"]
    if spec.get("clusterIP") in (None, "", "None"):
        labels[HEADLESS_LABEL] = ""
    else:
        labels.pop(HEADLESS_LABEL, None)
    current = state.get("Endpoints", ns, name)
    if current is None:
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "Endpoints",
                                "metadata": {"name": name, "namespace": ns, "labels": labels}}
        if truncated:
            body["metadata"]["annotations"] = {OVER_CAPACITY: "truncated"}
        obj = freeze(body)
        if subsets:
            obj = with_(obj, subsets=subsets)
        return create_many(state, NAME, [obj])[0]
    cur_md = current["metadata"]
    annotations = dict(cur_md.get("annotations") or EMPTY)
    if truncated:
        annotations[OVER_CAPACITY] = "truncated"
    else:
        annotations.pop(OVER_CAPACITY, None)
    new_md = with_(cur_md, labels=freeze(labels) or None, annotations=freeze(annotations) or None)
    new = FrozenDict({k: v for k, v in current.items() if k != "subsets"})
    new = with_(new, metadata=new_md)
    if subsets:
        new = with_(new, subsets=subsets)
    if new == current:
        return state
    return update(state, NAME, new)[0]


register(Controller(NAME, sync, {"Service": service_watch, "Pod": pod_watch(NAME)}, gates={"Pod": selector_namespaces}))
