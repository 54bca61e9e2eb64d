"""The ``Table`` responses ``kubectl get`` asks for (``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``).

**Mirrors:** ``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go`` (``Table``,
``TableColumnDefinition``, ``TableRow``, ``PartialObjectMetadata``; ``IncludeObjectPolicy``:
``None``/``Metadata``/``Object``), ``pkg/printers/internalversion/printers.go`` (the columns and
cells of ``printPod``, ``printDeployment``, ``printReplicaSet``, ``printStatefulSet``, ``printDaemonSet``,
``printService``, ``printNode``, ``printNamespace``, ``printConfigMap``, ``printSecret``, ``printEvent``,
``printEndpoints``, ``printServiceAccount``, ``printJob``), ``staging/src/k8s.io/apiserver/pkg/registry/
rest/table.go`` (``DefaultTableConvertor``: Name and Created At for other kinds) and
``staging/src/k8s.io/apimachinery/pkg/util/duration/duration.go`` (``HumanDuration`` for ages).
**Modelled:** the columns with their priorities (priority 1 shows with ``-o wide``), the cells computed
from the stored object, ages against the model's clock, the embedded object per ``includeObject``.
**Not modelled (and why):** the "(5s ago)" suffix of pod restarts and readiness gates' detail (the cells
stay readable without them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from refmodel.frozen import thaw

from ..output import human_duration

__all__ = ["human_duration", "table"]

Obj = Mapping[str, Any]
Column = tuple[str, str, int, str]  # name, type, priority, description
_DESC = {
    "Name": "Name must be unique within a namespace. More info: "
            "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    "Age": "CreationTimestamp is a timestamp representing the server time when this object was created.",
}


def _parse_time(text: Any) -> int | None:
    import datetime

    if not isinstance(text, str) or not text:
        return None
    try:
        return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


class _Ctx:
    def __init__(self, now: int) -> None:
        self.now = now

    def age(self, ts: Any) -> str:
        t = _parse_time(ts)
        return "<unknown>" if t is None else human_duration(self.now - t)


def _spec(o: Obj) -> Mapping[str, Any]:
    return o.get("spec") or {}


def _status(o: Obj) -> Mapping[str, Any]:
    return o.get("status") or {}


def _selector(sel: Any) -> str:
    """``metav1.FormatLabelSelector``."""
    if not sel:
        return "<none>"
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or ():
        op = e.get("operator", "")
        values = ",".join(e.get("values") or ())
        if op == "In":
            parts.append(f"{e['key']} in ({values})")
        elif op == "NotIn":
            parts.append(f"{e['key']} notin ({values})")
        elif op == "Exists":
            parts.append(e["key"])
        elif op == "DoesNotExist":
            parts.append(f"!{e['key']}")
    return ",".join(parts) or "<none>"


def _map_selector(sel: Any) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((sel or {}).items())) or "<none>"


def _containers(template_spec: Mapping[str, Any]) -> tuple[str, str]:
    cs = template_spec.get("containers") or ()
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def _pod_status(pod: Obj) -> tuple[str, int, int, int]:
    """printPod: (status, ready containers, containers, restarts)."""
    st = _status(pod)
    reason = st.get("reason") or st.get("phase") or "Unknown"
    specs = _spec(pod).get("containers") or ()
    ready = restarts = 0
    initializing = False
    for i, cs in enumerate(st.get("initContainerStatuses") or ()):
        restarts += cs.get("restartCount", 0)
        state = cs.get("state") or {}
        term = state.get("terminated")
        if term and term.get("exitCode") == 0:
            continue
        if term:
            reason = "Init:" + (term.get("reason") or f"ExitCode:{term.get('exitCode')}")
        elif (state.get("waiting") or {}).get("reason") not in (None, "", "PodInitializing"):
            reason = "Init:" + state["waiting"]["reason"]
        else:
            reason = f"Init:{i}/{len(_spec(pod).get('initContainers') or ())}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for cs in reversed(st.get("containerStatuses") or ()):
            restarts += cs.get("restartCount", 0)
            state = cs.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif (state.get("terminated") or {}).get("reason"):
                reason = state["terminated"]["reason"]
            elif state.get("terminated"):
                term = state["terminated"]
                reason = f"Signal:{term['signal']}" if term.get("signal") else f"ExitCode:{term.get('exitCode')}"
            elif "running" in state and cs.get("ready"):
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if any(c.get("type") == "Ready" and c.get("status") == "True"
                                      for c in st.get("conditions") or ()) else "NotReady"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Unknown" if st.get("reason") == "NodeLost" else "Terminating"
    return reason, ready, len(specs), restarts


def _pod(o: Obj, c: _Ctx) -> list[Any]:
    reason, ready, total, restarts = _pod_status(o)
    st = _status(o)
    gates = _spec(o).get("readinessGates") or ()
    return [o["metadata"]["name"], f"{ready}/{total}", reason, restarts, c.age(o["metadata"].get("creationTimestamp")),
            st.get("podIP") or "<none>", _spec(o).get("nodeName") or "<none>",
            st.get("nominatedNodeName") or "<none>", f"{len(gates)}/{len(gates)}" if gates else "<none>"]


def _deployment(o: Obj, c: _Ctx) -> list[Any]:
    s, st = _spec(o), _status(o)
    names, images = _containers((s.get("template") or {}).get("spec") or {})
    return [o["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{s.get('replicas', 1)}",
            st.get("updatedReplicas", 0), st.get("availableReplicas", 0), c.age(o["metadata"].get("creationTimestamp")),
            names, images, _selector(s.get("selector"))]


def _replicaset(o: Obj, c: _Ctx) -> list[Any]:
    s, st = _spec(o), _status(o)
    names, images = _containers((s.get("template") or {}).get("spec") or {})
    sel = s.get("selector")
    return [o["metadata"]["name"], s.get("replicas", 1), st.get("replicas", 0), st.get("readyReplicas", 0),
            c.age(o["metadata"].get("creationTimestamp")), names, images,
            _selector(sel) if o["kind"] == "ReplicaSet" else _map_selector(sel)]


def _statefulset(o: Obj, c: _Ctx) -> list[Any]:
    s, st = _spec(o), _status(o)
    names, images = _containers((s.get("template") or {}).get("spec") or {})
    return [o["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{s.get('replicas', 1)}",
            c.age(o["metadata"].get("creationTimestamp")), names, images]


def _daemonset(o: Obj, c: _Ctx) -> list[Any]:
    s, st = _spec(o), _status(o)
    names, images = _containers((s.get("template") or {}).get("spec") or {})
    node_sel = _map_selector(((s.get("template") or {}).get("spec") or {}).get("nodeSelector"))
    return [o["metadata"]["name"], st.get("desiredNumberScheduled", 0), st.get("currentNumberScheduled", 0),
            st.get("numberReady", 0), st.get("updatedNumberScheduled", 0), st.get("numberAvailable", 0), node_sel,
            c.age(o["metadata"].get("creationTimestamp")), names, images, _selector(s.get("selector"))]


def _service(o: Obj, c: _Ctx) -> list[Any]:
    s, st = _spec(o), _status(o)
    type_ = s.get("type", "ClusterIP")
    ports = []
    for p in s.get("ports") or ():
        text = str(p.get("port"))
        if p.get("nodePort") and type_ in ("NodePort", "LoadBalancer"):
            text += f":{p['nodePort']}"
        ports.append(f"{text}/{p.get('protocol', 'TCP')}")
    ingress = [i.get("ip") or i.get("hostname") for i in (st.get("loadBalancer") or {}).get("ingress") or ()]
    external = list(s.get("externalIPs") or ())
    if type_ == "ExternalName":
        ext = s.get("externalName", "<none>")
    elif type_ == "LoadBalancer":
        ext = ",".join([*ingress, *external]) or "<pending>"
    else:
        ext = ",".join(external) or "<none>"
    return [o["metadata"]["name"], type_, s.get("clusterIP") or "<none>", ext, ",".join(ports) or "<none>",
            c.age(o["metadata"].get("creationTimestamp")), _map_selector(s.get("selector"))]


def _node(o: Obj, c: _Ctx) -> list[Any]:
    s, st = _spec(o), _status(o)
    conds = {x.get("type"): x.get("status") for x in st.get("conditions") or ()}
    status = "Ready" if conds.get("Ready") == "True" else "NotReady" if "Ready" in conds else "Unknown"
    if s.get("unschedulable"):
        status += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in (o["metadata"].get("labels") or {})
                   if k.startswith("node-role.kubernetes.io/"))
    info = st.get("nodeInfo") or {}
    addresses = {a.get("type"): a.get("address") for a in st.get("addresses") or ()}
    return [o["metadata"]["name"], status, ",".join(roles) or "<none>", c.age(o["metadata"].get("creationTimestamp")),
            info.get("kubeletVersion", ""), addresses.get("InternalIP", "<none>"),
            addresses.get("ExternalIP", "<none>"), info.get("osImage", "<unknown>"),
            info.get("kernelVersion", "<unknown>"), info.get("containerRuntimeVersion", "<unknown>")]


def _namespace(o: Obj, c: _Ctx) -> list[Any]:
    return [o["metadata"]["name"], _status(o).get("phase", "Active"), c.age(o["metadata"].get("creationTimestamp"))]


def _configmap(o: Obj, c: _Ctx) -> list[Any]:
    return [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}),
            c.age(o["metadata"].get("creationTimestamp"))]


def _secret(o: Obj, c: _Ctx) -> list[Any]:
    return [o["metadata"]["name"], o.get("type", "Opaque"), len(o.get("data") or {}),
            c.age(o["metadata"].get("creationTimestamp"))]


def _event(o: Obj, c: _Ctx) -> list[Any]:
    inv = o.get("involvedObject") or {}
    last = o.get("lastTimestamp") or o.get("eventTime") or o["metadata"].get("creationTimestamp")
    src = o.get("source") or {}
    return [c.age(last), o.get("type", ""), o.get("reason", ""), f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}",
            inv.get("fieldPath", ""), ", ".join(x for x in (src.get("component"), src.get("host")) if x),
            str(o.get("message", "")).strip(), c.age(o.get("firstTimestamp") or last), o.get("count", 1),
            o["metadata"]["name"]]


def _endpoints(o: Obj, c: _Ctx) -> list[Any]:
    eps = []
    for sub in o.get("subsets") or ():
        for a in sub.get("addresses") or ():
            for p in sub.get("ports") or [{}]:
                eps.append(f"{a.get('ip')}:{p['port']}" if "port" in p else str(a.get("ip")))
    text = ",".join(eps[:3]) + (f" + {len(eps) - 3} more..." if len(eps) > 3 else "")
    return [o["metadata"]["name"], text or "<none>", c.age(o["metadata"].get("creationTimestamp"))]


def _serviceaccount(o: Obj, c: _Ctx) -> list[Any]:
    return [o["metadata"]["name"], len(o.get("secrets") or ()), c.age(o["metadata"].get("creationTimestamp"))]


def _job(o: Obj, c: _Ctx) -> list[Any]:
    s, st = _spec(o), _status(o)
    conds = {x.get("type") for x in st.get("conditions") or () if x.get("status") == "True"}
    status = "Complete" if "Complete" in conds else "Failed" if "Failed" in conds else "Running"
    completions = f"{st.get('succeeded', 0)}/{s.get('completions', 1)}"
    start, end = _parse_time(st.get("startTime")), _parse_time(st.get("completionTime"))
    duration = human_duration((end if end is not None else c.now) - start) if start is not None else ""
    names, images = _containers((s.get("template") or {}).get("spec") or {})
    return [o["metadata"]["name"], status, completions, duration, c.age(o["metadata"].get("creationTimestamp")),
            names, images, _selector(s.get("selector"))]


def _default(o: Obj, c: _Ctx) -> list[Any]:
    return [o["metadata"]["name"], o["metadata"].get("creationTimestamp", "")]


_NAME = ("Name", "string", 0, _DESC["Name"])
_AGE = ("Age", "string", 0, _DESC["Age"])
_WIDE_TEMPLATE = [("Containers", "string", 1, "Names of each container in the template."),
                  ("Images", "string", 1, "Images referenced by each container in the template."),
                  ("Selector", "string", 1, "The label selector of the objects this controls.")]

PRINTERS: dict[str, tuple[list[Column], Callable[[Obj, _Ctx], list[Any]]]] = {
    "Pod": ([_NAME, ("Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."),
             ("Status", "string", 0, "The aggregate status of the containers in this pod."),
             ("Restarts", "string", 0, "The number of times the containers in this pod have been restarted."),
             _AGE, ("IP", "string", 1, "IP address allocated to the pod."),
             ("Node", "string", 1, "Name of the node the pod is assigned to."),
             ("Nominated Node", "string", 1, "Name of the node nominated by the scheduler."),
             ("Readiness Gates", "string", 1, "The readiness gates of the pod.")], _pod),
    "Deployment": ([_NAME, ("Ready", "string", 0, "Number of the pod with ready state"),
                    ("Up-to-date", "string", 0, "Total number of non-terminated pods that have the desired template spec."),
                    ("Available", "string", 0, "Total number of available pods (ready for at least minReadySeconds)."),
                    _AGE, *_WIDE_TEMPLATE], _deployment),
    "ReplicaSet": ([_NAME, ("Desired", "integer", 0, "Number of desired pods."),
                    ("Current", "integer", 0, "The most recently observed number of replicas."),
                    ("Ready", "integer", 0, "The number of ready replicas."), _AGE, *_WIDE_TEMPLATE], _replicaset),
    "StatefulSet": ([_NAME, ("Ready", "string", 0, "Number of the pod with ready state"), _AGE,
                     *_WIDE_TEMPLATE[:2]], _statefulset),
    "DaemonSet": ([_NAME, ("Desired", "integer", 0, "The total number of nodes that should be running the daemon pod."),
                   ("Current", "integer", 0, "The number of nodes running at least one daemon pod."),
                   ("Ready", "integer", 0, "The number of nodes running a ready daemon pod."),
                   ("Up-to-date", "integer", 0, "The number of nodes running the updated daemon pod."),
                   ("Available", "integer", 0, "The number of nodes running an available daemon pod."),
                   ("Node Selector", "string", 0, "The node selector of the daemon pods."), _AGE,
                   *_WIDE_TEMPLATE], _daemonset),
    "Service": ([_NAME, ("Type", "string", 0, "The type of the service."),
                 ("Cluster-IP", "string", 0, "The IP address of the service."),
                 ("External-IP", "string", 0, "External IP addresses of the service."),
                 ("Port(s)", "string", 0, "The ports the service exposes."), _AGE,
                 ("Selector", "string", 1, "Pods the service routes traffic to.")], _service),
    "Node": ([_NAME, ("Status", "string", 0, "The status of the node"), ("Roles", "string", 0, "The roles of the node"),
              _AGE, ("Version", "string", 0, "Kubelet Version reported by the node."),
              ("Internal-IP", "string", 1, "The node's internal IP."), ("External-IP", "string", 1, "The node's external IP."),
              ("OS-Image", "string", 1, "OS Image reported by the node."),
              ("Kernel-Version", "string", 1, "Kernel Version reported by the node."),
              ("Container-Runtime", "string", 1, "Container Runtime Version reported by the node.")], _node),
    "Namespace": ([_NAME, ("Status", "string", 0, "The status of the namespace"), _AGE], _namespace),
    "ConfigMap": ([_NAME, ("Data", "string", 0, "Number of keys in the configmap."), _AGE], _configmap),
    "Secret": ([_NAME, ("Type", "string", 0, "The type of the secret"),
                ("Data", "string", 0, "Number of keys in the secret."), _AGE], _secret),
    "Event": ([("Last Seen", "string", 0, "The time the event was last seen."),
               ("Type", "string", 0, "The type of the event."), ("Reason", "string", 0, "Why the event happened."),
               ("Object", "string", 0, "The object the event is about."),
               ("Subobject", "string", 1, "The field path of the sub-object."),
               ("Source", "string", 1, "The component that reported the event."),
               ("Message", "string", 0, "A human-readable description of the event."),
               ("First Seen", "string", 1, "The time the event was first seen."),
               ("Count", "string", 1, "The number of times the event occurred."),
               ("Name", "string", 1, _DESC["Name"])], _event),
    "Endpoints": ([_NAME, ("Endpoints", "string", 0, "Endpoints of the service."), _AGE], _endpoints),
    "ServiceAccount": ([_NAME, ("Secrets", "string", 0, "Number of secrets."), _AGE], _serviceaccount),
    "Job": ([_NAME, ("Status", "string", 0, "Status of the job."),
             ("Completions", "string", 0, "The completion status of the job."),
             ("Duration", "string", 0, "Time required to complete the job."), _AGE, *_WIDE_TEMPLATE], _job),
}
PRINTERS["ReplicationController"] = PRINTERS["ReplicaSet"]
_DEFAULT: tuple[list[Column], Callable[[Obj, _Ctx], list[Any]]] = (
    [_NAME, ("Created At", "date", 0, _DESC["Age"])], _default)


def table(kind: str, objects: Iterable[Obj], now_epoch: int, include: str = "Metadata",
          resource_version: str = "", cont: str = "", remaining: int | None = None,
          headers: bool = True) -> dict[str, Any]:
    """A ``meta.k8s.io/v1`` Table of ``objects``; ``include`` is the includeObject policy."""
    columns, row_of = PRINTERS.get(kind, _DEFAULT)
    ctx = _Ctx(now_epoch)
    rows = []
    for o in objects:
        row: dict[str, Any] = {"cells": row_of(o, ctx)}
        if include == "Object":
            row["object"] = thaw(o)
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": thaw(o["metadata"])}
        rows.append(row)
    meta: dict[str, Any] = {}
    if resource_version:
        meta["resourceVersion"] = resource_version
    if cont:
        meta["continue"] = cont
    if remaining:
        meta["remainingItemCount"] = remaining
    out: dict[str, Any] = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
    if headers:
        out["columnDefinitions"] = [{"name": n, "type": t, "format": "name" if n == "Name" else "",
                                     "description": d, "priority": p} for n, t, p, d in columns]
    out["rows"] = rows
    return out

