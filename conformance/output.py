"""kubectl-style printing of model objects: ``kubectl get -o wide`` tables and ``-o yaml|json`` lists.

**Mirrors:** ``pkg/printers/internalversion/printers.go`` (printDeployment, printReplicaSet, printPod,
printNode with findNodeRoles, printService with getServiceExternalIP and makePortString,
printNamespace, layoutContainerCells, translateTimestampSince),
``staging/src/k8s.io/apimachinery/pkg/util/duration/duration.go`` (HumanDuration),
``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go`` (FormatLabelSelector) and
``staging/src/k8s.io/cli-runtime/pkg/printers/tablewriter.go`` (columns padded by 3 spaces).
**Modelled:** the wide columns of Deployments (NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES
SELECTOR), the columns of ReplicaSets (NAME DESIRED CURRENT READY AGE), Pods (NAME READY STATUS
RESTARTS AGE IP NODE, with printPod's STATUS rules: the phase, overridden by a container's waiting or
terminated reason, init-container progress, ``Terminating`` and ``Unknown`` for deleted pods), Nodes
(NAME STATUS ROLES AGE VERSION), Services (NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE), Namespaces
(NAME STATUS AGE) and NAME AGE for every other kind; several kinds print one table each with
``kind.group/name`` names, as ``kubectl get`` does for more than one resource type; AGE is measured on
the model's virtual clock, not the wall clock.
**Not modelled (and why):** the NOMINATED NODE and READINESS GATES pod columns and the wide extras of
ReplicaSets and Nodes (the brief's column sets are the contract); ``RESTARTS (5m ago)`` suffixes (they
need the wall clock's notion of "ago"; the count alone is printed); column truncation (kubectl does
none either, except for load-balancer addresses).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from refmodel.state import parse_time

__all__ = [
    "KIND_ORDER",
    "as_list",
    "format_label_selector",
    "human_duration",
    "pod_ready",
    "pod_restarts",
    "pod_status",
    "render_json",
    "render_table",
    "render_tables",
    "render_yaml",
    "resource_prefix",
    "row_for",
]

Obj = Mapping[str, Any]

# The order in which kinds are printed; kinds not listed follow in alphabetical order.
KIND_ORDER = ("Node", "Namespace", "Deployment", "StatefulSet", "ReplicaSet", "Pod", "Service", "Endpoints",
              "EndpointSlice")

_NODE_ROLE_PREFIX = "node-role.kubernetes.io/"
_NODE_ROLE_LABEL = "kubernetes.io/role"
_NODE_UNREACHABLE_POD_REASON = "NodeLost"


# ---------------------------------------------------------------------------------------------
# small formatters
# ---------------------------------------------------------------------------------------------
def human_duration(seconds: int) -> str:
    """``duration.HumanDuration``: about 2-3 significant figures (``90s``, ``6m40s``, ``3h5m``, ``2d4h``)."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def age(obj: Obj, now_epoch: int) -> str:
    """``translateTimestampSince(creationTimestamp)`` on the virtual clock."""
    ts = (obj.get("metadata") or {}).get("creationTimestamp")
    if not isinstance(ts, str) or not ts:
        return "<unknown>"
    try:
        created = parse_time(ts)
    except ValueError:
        return "<unknown>"
    return human_duration(now_epoch - created)


def format_label_selector(selector: Obj | None) -> str:
    """``metav1.FormatLabelSelector``: requirements sorted by key, ``k=v``, ``k in (a,b)``, ``!k``."""
    if selector is None:
        return "<none>"
    reqs: list[tuple[str, str]] = []
    for k, v in (selector.get("matchLabels") or {}).items():
        reqs.append((str(k), f"{k}={v}"))
    for expr in selector.get("matchExpressions") or ():
        key = str(expr.get("key", ""))
        op = expr.get("operator")
        values = ",".join(sorted(str(v) for v in expr.get("values") or ()))
        if op == "In":
            reqs.append((key, f"{key} in ({values})"))
        elif op == "NotIn":
            reqs.append((key, f"{key} notin ({values})"))
        elif op == "Exists":
            reqs.append((key, key))
        elif op == "DoesNotExist":
            reqs.append((key, f"!{key}"))
        else:
            return "<invalid>"
    text = ",".join(r for _, r in sorted(reqs, key=lambda kr: kr[0]))
    return text or "<none>"


def _format_labels(labels: Obj | None) -> str:
    """``labels.FormatLabels``: ``k=v`` sorted by key, ``<none>`` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def layout_container_cells(containers: Iterable[Obj] | None) -> tuple[str, str]:
    """``layoutContainerCells``: container names and images, comma-separated."""
    cs = list(containers or ())
    return ",".join(str(c.get("name", "")) for c in cs), ",".join(str(c.get("image", "")) for c in cs)


def resource_prefix(obj: Obj) -> str:
    """The ``kind.group`` kubectl puts before names when it prints several kinds (``deployment.apps``)."""
    kind = str(obj.get("kind", "")).lower()
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return f"{kind}.{group}" if group else kind


# ---------------------------------------------------------------------------------------------
# pods
# ---------------------------------------------------------------------------------------------
def _is_restartable_init(container: Obj | None) -> bool:
    return container is not None and container.get("restartPolicy") == "Always"


def _has_pod_ready_condition(status: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ())


def _initialized(status: Obj) -> bool:
    return any(c.get("type") == "Initialized" and c.get("status") == "True"
               for c in status.get("conditions") or ())


def _pod_summary(pod: Obj) -> tuple[str, int, int, int]:
    """printPod's (reason, ready containers, total containers, restarts)."""
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    md = pod.get("metadata") or {}
    containers = list(spec.get("containers") or ())
    init_specs = {str(c.get("name")): c for c in spec.get("initContainers") or ()}
    total = len(containers) + sum(1 for c in init_specs.values() if _is_restartable_init(c))
    ready = 0
    restarts = 0
    restartable_init_restarts = 0
    phase = str(status.get("phase") or "")
    reason = str(status.get("reason") or phase)
    for cond in status.get("conditions") or ():
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    initializing = False
    init_statuses = list(status.get("initContainerStatuses") or ())
    for i, cs in enumerate(init_statuses):
        restarts += int(cs.get("restartCount") or 0)
        spec_c = init_specs.get(str(cs.get("name")))
        if _is_restartable_init(spec_c):
            restartable_init_restarts += int(cs.get("restartCount") or 0)
        state = cs.get("state") or {}
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if _is_restartable_init(spec_c) and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            if terminated.get("reason"):
                reason = f"Init:{terminated['reason']}"
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode', 0)}"
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _initialized(status):
        restarts = restartable_init_restarts
        has_running = False
        for cs in reversed(list(status.get("containerStatuses") or ())):
            restarts += int(cs.get("restartCount") or 0)
            state = cs.get("state") or {}
            waiting = state.get("waiting")
            terminated = state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif terminated is not None:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode', 0)}"
            elif cs.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_pod_ready_condition(status) else "NotReady"

    if md.get("deletionTimestamp") and status.get("reason") == _NODE_UNREACHABLE_POD_REASON:
        reason = "Unknown"
    elif md.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason, ready, total, restarts


def pod_status(pod: Obj) -> str:
    """The STATUS column of ``kubectl get pods`` (Running, ContainerCreating, CrashLoopBackOff, ...)."""
    return _pod_summary(pod)[0]


def pod_ready(pod: Obj) -> str:
    """The READY column of ``kubectl get pods`` (``ready/total`` containers)."""
    _, ready, total, _ = _pod_summary(pod)
    return f"{ready}/{total}"


def pod_restarts(pod: Obj) -> int:
    return _pod_summary(pod)[3]


# ---------------------------------------------------------------------------------------------
# rows per kind
# ---------------------------------------------------------------------------------------------
_HEADERS: dict[str, tuple[str, ...]] = {
    "Deployment": ("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"),
    "ReplicaSet": ("NAME", "DESIRED", "CURRENT", "READY", "AGE"),
    "Pod": ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"),
    "Node": ("NAME", "STATUS", "ROLES", "AGE", "VERSION"),
    "Service": ("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"),
    "Namespace": ("NAME", "STATUS", "AGE"),
    "Endpoints": ("NAME", "ENDPOINTS", "AGE"),
    "EndpointSlice": ("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"),
}
_GENERIC_HEADERS = ("NAME", "AGE")


def headers_for(kind: str) -> tuple[str, ...]:
    return _HEADERS.get(kind, _GENERIC_HEADERS)


def _node_roles(node: Obj) -> str:
    roles: set[str] = set()
    for k, v in ((node.get("metadata") or {}).get("labels") or {}).items():
        if k.startswith(_NODE_ROLE_PREFIX) and k[len(_NODE_ROLE_PREFIX):]:
            roles.add(k[len(_NODE_ROLE_PREFIX):])
        elif k == _NODE_ROLE_LABEL and v:
            roles.add(str(v))
    return ",".join(sorted(roles)) or "<none>"


def _node_status(node: Obj) -> str:
    parts: list[str] = []
    for cond in (node.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            parts = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not parts:
        parts = ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        parts.append("SchedulingDisabled")
    return ",".join(parts)


def _service_external_ip(svc: Obj) -> str:
    spec = svc.get("spec") or {}
    external = [str(ip) for ip in spec.get("externalIPs") or ()]
    svc_type = spec.get("type") or "ClusterIP"
    if svc_type in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if svc_type == "LoadBalancer":
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
        lb = sorted({str(i.get("ip") or i.get("hostname")) for i in ingress if i.get("ip") or i.get("hostname")})
        if external:
            return ",".join(lb + external)
        return ",".join(lb) or "<pending>"
    if svc_type == "ExternalName":
        return str(spec.get("externalName") or "")
    return "<unknown>"


def _service_ports(svc: Obj) -> str:
    pieces = []
    for p in (svc.get("spec") or {}).get("ports") or ():
        proto = p.get("protocol") or "TCP"
        if p.get("nodePort"):
            pieces.append(f"{p.get('port')}:{p['nodePort']}/{proto}")
        else:
            pieces.append(f"{p.get('port')}/{proto}")
    return ",".join(pieces) or "<none>"


def _first_three(items: list[str]) -> str:
    """kubectl's formatEndpoints/formatEndpointSlice: three entries, then `` + N more...``."""
    if not items:
        return "<none>"
    shown = ",".join(items[:3])
    return shown + (f" + {len(items) - 3} more..." if len(items) > 3 else "")


def _endpoints_cell(ep: Obj) -> str:
    """printEndpoints' ENDPOINTS column: ``ip:port`` of the ready addresses, each port of each subset."""
    items: list[str] = []
    for subset in ep.get("subsets") or ():
        ports = subset.get("ports") or ()
        for a in subset.get("addresses") or ():
            if ports:
                items.extend(f"{a.get('ip')}:{p.get('port')}" for p in ports)
            else:
                items.append(str(a.get("ip")))
    return _first_three(items)


def _slice_cells(es: Obj) -> tuple[str, str]:
    ports = [str(p.get("port")) for p in es.get("ports") or ()]
    addrs = [str(a) for e in es.get("endpoints") or () for a in e.get("addresses") or ()]
    return (",".join(ports) if ports else "<unset>"), _first_three(addrs)


def row_for(obj: Obj, now_epoch: int, name: str | None = None) -> tuple[str, ...]:
    """One table row for ``obj``, in the columns of :func:`headers_for` its kind."""
    kind = str(obj.get("kind", ""))
    md = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    shown = name if name is not None else str(md.get("name", ""))
    created = age(obj, now_epoch)
    if kind == "Deployment":
        containers, images = layout_container_cells(((spec.get("template") or {}).get("spec") or {}).get("containers"))
        return (shown, f"{int(status.get('readyReplicas') or 0)}/{int(spec.get('replicas', 1) or 0)}",
                str(int(status.get("updatedReplicas") or 0)), str(int(status.get("availableReplicas") or 0)),
                created, containers, images, format_label_selector(spec.get("selector")))
    if kind == "ReplicaSet":
        return (shown, str(int(spec.get("replicas", 1) or 0)), str(int(status.get("replicas") or 0)),
                str(int(status.get("readyReplicas") or 0)), created)
    if kind == "Pod":
        reason, ready, total, restarts = _pod_summary(obj)
        ips = status.get("podIPs") or ()
        ip = str(ips[0].get("ip")) if ips and ips[0].get("ip") else str(status.get("podIP") or "<none>")
        return (shown, f"{ready}/{total}", reason, str(restarts), created, ip, str(spec.get("nodeName") or "<none>"))
    if kind == "Node":
        version = str(((status.get("nodeInfo") or {}).get("kubeletVersion")) or "")
        return (shown, _node_status(obj), _node_roles(obj), created, version)
    if kind == "Service":
        cluster_ips = spec.get("clusterIPs") or ()
        cluster_ip = str(cluster_ips[0]) if cluster_ips else str(spec.get("clusterIP") or "<none>")
        return (shown, str(spec.get("type") or "ClusterIP"), cluster_ip, _service_external_ip(obj),
                _service_ports(obj), created)
    if kind == "Namespace":
        phase = str(status.get("phase") or ("Terminating" if md.get("deletionTimestamp") else "Active"))
        return (shown, phase, created)
    if kind == "Endpoints":
        return (shown, _endpoints_cell(obj), created)
    if kind == "EndpointSlice":
        ports, addrs = _slice_cells(obj)
        return (shown, str(obj.get("addressType") or ""), ports, addrs, created)
    return (shown, created)


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------
def render_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Left-aligned columns separated by at least 3 spaces, no trailing blanks (kubectl's tabwriter)."""
    table = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    lines = []
    for r in table:
        cells = [c.ljust(widths[i]) for i, c in enumerate(r)]
        lines.append("   ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _kind_rank(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind), "") if kind in KIND_ORDER else (len(KIND_ORDER), kind)


def sort_objects(objs: Iterable[Obj]) -> list[Obj]:
    """Kinds in :data:`KIND_ORDER`, then by namespace and name."""
    return sorted(objs, key=lambda o: (_kind_rank(str(o.get("kind", ""))),
                                       str((o.get("metadata") or {}).get("namespace") or ""),
                                       str((o.get("metadata") or {}).get("name") or "")))


def render_tables(objs: Iterable[Obj], now_epoch: int, *, show_namespace: bool = True,
                  namespaced: Mapping[str, bool] | None = None) -> str:
    """One table per kind, separated by blank lines, names prefixed ``kind.group/`` as kubectl does.

    ``show_namespace`` adds kubectl's ``-A`` NAMESPACE column to the tables of namespaced kinds
    (``namespaced`` says which kinds are; by default a kind is namespaced when its objects carry a
    namespace).
    """
    groups: dict[str, list[Obj]] = {}
    for o in sort_objects(objs):
        groups.setdefault(str(o.get("kind", "")), []).append(o)
    out = []
    for kind, members in groups.items():
        is_namespaced = (namespaced or {}).get(
            kind, any((m.get("metadata") or {}).get("namespace") for m in members))
        headers = headers_for(kind)
        rows = []
        for m in members:
            md = m.get("metadata") or {}
            row = row_for(m, now_epoch, f"{resource_prefix(m)}/{md.get('name', '')}")
            if show_namespace and is_namespaced:
                row = (str(md.get("namespace") or ""), *row)
            rows.append(row)
        if show_namespace and is_namespaced:
            headers = ("NAMESPACE", *headers)
        out.append(render_table(headers, rows))
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# -o yaml | json
# ---------------------------------------------------------------------------------------------
def as_list(objs: Iterable[Obj]) -> dict[str, Any]:
    """The ``kind: List`` kubectl prints for ``get -o yaml|json`` of several objects."""
    return {"apiVersion": "v1", "items": [dict(o) for o in objs], "kind": "List",
            "metadata": {"resourceVersion": ""}}


def render_yaml(objs: Iterable[Obj]) -> str:
    from refmodel import dump_manifests

    return dump_manifests([as_list(objs)])


def render_json(objs: Iterable[Obj]) -> str:
    """``kubectl get -o json``: indented by 4. A list nested deeper than :data:`INDENT_DEPTH` is printed
    compact instead: the indenting encoder is pure Python, and quadratic in the depth."""
    doc = as_list(objs)
    if _depth_over(doc, INDENT_DEPTH):
        return json.dumps(doc) + "\n"
    return json.dumps(doc, indent=4) + "\n"


INDENT_DEPTH = 200


def _depth_over(value: Any, limit: int) -> bool:
    stack = [(value, 0)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            return True
        if isinstance(v, Mapping):
            stack.extend((c, d + 1) for c in v.values() if isinstance(c, Mapping | list | tuple))
        elif isinstance(v, list | tuple):
            stack.extend((c, d + 1) for c in v if isinstance(c, Mapping | list | tuple))
    return False


# ---------------------------------------------------------------------------------------------
# failure reports: the whole difference between the adapter's state and the model's
# ---------------------------------------------------------------------------------------------
def _short(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _field_diffs(adapter: Any, model: Any, path: str, out: list[str]) -> None:
    """Every differing leaf of two canonical bodies, in sorted order (an iterative walk)."""
    stack: list[tuple[Any, Any, str]] = [(adapter, model, path)]
    while stack:
        a, m, p = stack.pop()
        if isinstance(a, Mapping) and isinstance(m, Mapping):
            keys = sorted(set(a) | set(m), key=str)
            for k in reversed(keys):
                q = f"{p}.{k}" if p else str(k)
                if k not in m:
                    out.append(f"{q}: the adapter has {_short(a[k])}, the model has no such field")
                elif k not in a:
                    out.append(f"{q}: the model has {_short(m[k])}, the adapter has no such field")
                else:
                    stack.append((a[k], m[k], q))
        elif isinstance(a, list) and isinstance(m, list) and len(a) == len(m):
            for i in reversed(range(len(a))):
                stack.append((a[i], m[i], f"{p}[{i}]"))
        elif a != m:
            if isinstance(a, list) and isinstance(m, list):
                out.append(f"{p}: the adapter has {len(a)} items, the model {len(m)}: {_short(a)} != {_short(m)}")
            else:
                out.append(f"{p}: the adapter has {_short(a)}, the model {_short(m)}")


_SECTIONS = {"spec": 0, "metadata": 1, "status": 2}


def _field_rank(line: str) -> tuple[int, str]:
    """spec first (what the user asked for), then metadata, then status (what follows from them)."""
    path = line.split(":", 1)[0]
    return (_SECTIONS.get(path.split(".", 1)[0].split("[", 1)[0], 3), path)


def state_diff_lines(adapter: Mapping[str, Any], model: Mapping[str, Any]) -> list[str]:
    """Every difference between two canonical states (``{"Kind/ns/name": body}``), objects in sorted
    order: an object on one side only is named as such, a shared one lists every differing field."""
    lines: list[str] = []
    for ref in sorted(set(adapter) | set(model)):
        if ref not in model:
            lines.append(f"the adapter has {ref} that the model does not")
        elif ref not in adapter:
            lines.append(f"the model has {ref} that the adapter does not")
        else:
            fields: list[str] = []
            _field_diffs(adapter[ref], model[ref], "", fields)
            fields.sort(key=_field_rank)
            lines.extend(f"{ref}: {f}" for f in fields)
    return lines


def render_state_diff(adapter: Mapping[str, Any], model: Mapping[str, Any], limit: int = 40) -> str | None:
    """A pytest-like report of the difference, the first divergence marked ``>``; None when equal."""
    lines = state_diff_lines(adapter, model)
    if not lines:
        return None
    shown = [f"> {lines[0]}", *(f"  {ln}" for ln in lines[1:limit])]
    if len(lines) > limit:
        shown.append(f"  ... and {len(lines) - limit} more differences")
    return (f"the adapter's state differs from the model's in {len(lines)} place(s), first: {lines[0]}\n"
            + "\n".join(shown))
