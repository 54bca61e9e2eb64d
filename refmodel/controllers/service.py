"""The cloud service controller: load balancers for Services of type LoadBalancer, when there is a cloud.

**Mirrors:** ``staging/src/k8s.io/cloud-provider/controllers/service/controller.go`` (syncService,
processServiceCreateOrUpdate, syncLoadBalancerIfNeeded: the ``service.kubernetes.io/load-balancer-cleanup``
finalizer added before the load balancer is made and removed after it is gone; ``status.loadBalancer``
written through the status subresource; wantsLoadBalancer; a ``loadBalancerClass`` Service is left to
its own controller) and ``pkg/registry/core/service/strategy.go`` (a Service that stops being a
LoadBalancer loses its load-balancer status: see :mod:`refmodel.allocator`).
**Modelled:** rule SVC-6: the cluster switch ``ClusterConfig.load_balancer_ips`` (a CIDR the modelled
cloud hands ingress addresses from; empty, the default, means no cloud: LoadBalancer Services stay
``<pending>`` as on a cluster without a cloud-controller-manager); one ingress IP per Service, the lowest
free one of the pool, ``ipMode: VIP``; release on type change and on deletion (the finalizer holds the
Service until then).
**Not modelled (and why):** the cloud's own latency and failures (a load balancer is ready at once);
node-set changes (a cloud load balancer's targets are the nodes; the model's routes use node ports directly).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ..frozen import EMPTY, FrozenDict, freeze, with_
from ..state import ClusterState
from . import Controller, register, update, update_status

__all__ = ["CLEANUP_FINALIZER"]

NAME = "service"
CLEANUP_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"


def _wants(svc: FrozenDict) -> bool:
    spec = svc.get("spec") or EMPTY
    return (spec.get("type") == "LoadBalancer" and not spec.get("loadBalancerClass")
            and not svc["metadata"].get("deletionTimestamp"))


def sync(state: ClusterState, key: str) -> ClusterState:
    pool = state.config.load_balancer_ips
    ns, name = key.split("/", 1)
    svc = state.get("Service", ns, name)
    if svc is None or not pool:
        return state
    finalizers = tuple(svc["metadata"].get("finalizers") or ())
    ingress = ((svc.get("status") or EMPTY).get("loadBalancer") or EMPTY).get("ingress")
    if _wants(svc):
        if CLEANUP_FINALIZER not in finalizers:
            state, r = update(state, NAME, with_(svc, metadata=with_(svc["metadata"],
                                                                     finalizers=(*finalizers, CLEANUP_FINALIZER))))
            if r.obj is None:
                return state
            svc = r.obj
        if not ingress:
            ip = _free_ip(state, pool)
            if ip is not None:
                status = with_(svc.get("status") or EMPTY,
                               loadBalancer=freeze({"ingress": [{"ip": ip, "ipMode": "VIP"}]}))
                state = update_status(state, NAME, with_(svc, status=status))[0]
        return state
    # not (or no longer) a load balancer: release it, then let the Service go
    if ingress:
        state, r = update_status(state, NAME, with_(svc, status=with_(svc.get("status") or EMPTY,
                                                                      loadBalancer=EMPTY)))
        svc = r.obj if r.obj is not None else svc
    if CLEANUP_FINALIZER in finalizers:
        rest = tuple(f for f in finalizers if f != CLEANUP_FINALIZER)
        state = update(state, NAME, with_(svc, metadata=with_(svc["metadata"], finalizers=rest or None)))[0]
    return state


def _free_ip(state: ClusterState, pool: str) -> str | None:
    used = {i.get("ip") for s in state.iter_kind("Service")
            for i in ((s.get("status") or EMPTY).get("loadBalancer") or EMPTY).get("ingress") or ()}
    for ip in ipaddress.ip_network(pool, strict=False).hosts():
        if str(ip) not in used:
            return str(ip)
    return None


def _service_keys(state: ClusterState, old: FrozenDict | None, new: FrozenDict | None) -> Iterable[str]:
    svc = new if new is not None else old
    assert svc is not None
    if new is None or not state.config.load_balancer_ips:
        return ()
    if old is not None and old.get("spec") == new.get("spec") and (
            old["metadata"].get("deletionTimestamp") == new["metadata"].get("deletionTimestamp")):
        return ()
    md = svc["metadata"]
    return (f"{md['namespace']}/{md['name']}",)


register(Controller(NAME, sync, {"Service": _service_keys}, status_blind=frozenset({"Service"})))
