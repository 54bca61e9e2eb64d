"""The built-in ``kube`` adapter: any Kubernetes API server (a real cluster, kind, minikube, KWOK, or
``kubeoracle serve``) through a kubeconfig context, with the official Kubernetes Python client.

``--adapter kube:CONTEXT`` (the context must be named: a test never runs against whatever cluster
happens to be current). The kubeconfig is ``$KUBECONFIG`` or ``~/.kube/config``.

**The sandbox.** Every ``reset`` makes fresh namespaces for the run, named
``ko-<run>-<example>-<name>`` and labelled ``kubeoracle.io/sandbox=<run>``; the harness's namespace
``default`` (or ``team-a``) is the sandbox's ``ko-...-default`` (``ko-...-team-a``) in every request,
and every object read back is renamed the other way, so the harness sees the namespaces it asked
for. The adapter writes nothing outside its sandbox: a write of another cluster-scoped object (a
Node, a ClusterRole) is answered ``unknown`` and not sent, deleting a namespace the model keeps for
ever (``default``) is refused as the API server refuses it, and the previous example's namespaces
are deleted on the next ``reset``, on ``close``, at interpreter exit and on SIGTERM.

**The requests.** The same as kubectl sends them (:mod:`refmodel.kubectl` is the client side of the
model's own door): ``apply`` is client-side apply (GET, then POST with the
``last-applied-configuration`` annotation, or a PATCH of the strategic three-way merge patch of the
last applied configuration, the manifest and the live object, as ``kubectl apply`` sends it), ``scale``
a PUT of the scale subresource, ``delete`` a DELETE with ``propagationPolicy``, ``rollout undo`` the
revision's template written back (``DeploymentRollbacker``), ``pause``/``resume`` a strategic patch.

**Capabilities.** ``rollouts``, ``pod-kill`` (a force delete), ``cordon`` (``kubectl cordon``: the
cluster's own nodes, so every node the adapter cordoned is uncordoned when the example ends),
``node-faults`` only where every node carries KWOK's mark ``kwok.x-k8s.io/node: fake`` (KWOK's, or
``kubeoracle serve``'s, nodes: removing the mark stops the node's heartbeat, restoring it starts it
again; every node failed is recovered when the example ends), ``snapshot`` (the observed objects with the cluster's clock, read from
the ``Date`` of its answers, so age checks use the time the cluster acted on) and ``live`` (its
controllers and clock run between requests: the harness brings its model to the cluster's time before
each request, :meth:`conformance.harness.Run._follow_clock`). The other faults need powers a real
cluster does not give a tenant (node failure, container exits, image registries, the clock, single
controller turns), so the rules and invariants that need them are reported not applicable.

**Observing.** Every observation is one consistent cut: the first list (Namespaces) fixes a
resourceVersion and every other kind is listed at exactly that one (``resourceVersionMatch=Exact``, as
``storage/etcd3/store.go`` GetList serves it), so no invariant sees a Deployment from one moment and its
ReplicaSets from another; a 410 for a version the cluster no longer keeps starts the cut over.
``settle`` takes such cuts until the sandbox has not changed for ``quiet`` seconds and nothing in it
still waits for the cluster (:func:`_pending`: an unobserved generation, an object being deleted, a
dependent whose owner is gone, a pod not yet scheduled or Ready unless it is stuck, a minReadySeconds
or a progress deadline still running): the work the harness's model does at its own settle.

**Differences a real cluster may legitimately show** (generated names, node choice, timing) are
removed by the harness's canonical form (:mod:`conformance.canon`); the cluster's nodes must match
the sandbox the harness asks for (their number and size), else ``reset`` says so.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from refmodel import patch as smp
from refmodel.apiserver import IMMORTAL_NAMESPACES
from refmodel.controllers import deployment_util as du
from refmodel.frozen import freeze, thaw
from refmodel.kubectl import LAST_APPLIED, deployment_revision, without_last_applied
from refmodel.quantity import parse_quantity

from . import AdapterError, Outcome, Sandbox

__all__ = ["SANDBOX_LABEL", "KubeAdapter"]

SANDBOX_LABEL = "kubeoracle.io/sandbox"
NAME_LABEL = "kubernetes.io/metadata.name"
_CORDONED = "node.kubernetes.io/unschedulable"  # the taint of a cordon (it follows spec.unschedulable)
SIMULATED = "kwok.x-k8s.io/node"  # KWOK heart-beats a node marked "fake", and stops when the mark is gone
#: what observe lists, in this order, at one resourceVersion: the kinds the suite's machines write or its
#: invariants read, with their API paths (cluster-scoped kinds are listed whole; PersistentVolumes are kept
#: only when bound to a sandbox claim)
_PATHS = {
    "Namespace": ("/api/v1", "namespaces", False),
    "Node": ("/api/v1", "nodes", False),
    "StorageClass": ("/apis/storage.k8s.io/v1", "storageclasses", False),
    "PersistentVolume": ("/api/v1", "persistentvolumes", False),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "ReplicaSet": ("/apis/apps/v1", "replicasets", True),
    "StatefulSet": ("/apis/apps/v1", "statefulsets", True),
    "ControllerRevision": ("/apis/apps/v1", "controllerrevisions", True),
    "Pod": ("/api/v1", "pods", True),
    "Service": ("/api/v1", "services", True),
    "Endpoints": ("/api/v1", "endpoints", True),
    "EndpointSlice": ("/apis/discovery.k8s.io/v1", "endpointslices", True),
    "PersistentVolumeClaim": ("/api/v1", "persistentvolumeclaims", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Secret": ("/api/v1", "secrets", True),
}
_API = {"v1": "/api/v1"}


def _base(api_version: str) -> str:
    return _API.get(api_version) or f"/apis/{api_version}"


def _plural(kind: str) -> str:
    from refmodel.resources import REGISTRY

    info = REGISTRY.get(kind)
    return info.plural if info is not None else kind.lower() + "s"


def _namespaced(kind: str) -> bool:
    from refmodel.resources import REGISTRY

    info = REGISTRY.get(kind)
    return info.namespaced if info is not None else True


class _Answer:
    def __init__(self, code: int, body: Any, date: str = "") -> None:
        self.code = code
        self.body = body
        self.date = date

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300


class KubeAdapter:
    """A Kubernetes API server behind the protocol, inside sandbox namespaces it owns."""

    name = "kube"
    capabilities: frozenset[str] = frozenset({"rollouts", "snapshot", "live", "pod-kill", "cordon"})

    def __init__(self, context: str | None = None, *, quiet: float = 1.0, poll: float = 0.2) -> None:
        if not context:
            raise AdapterError("the kube adapter needs a kubeconfig context named explicitly: "
                               "--adapter kube:CONTEXT (see 'kubectl config get-contexts')")
        try:
            from kubernetes import config
        except ModuleNotFoundError as exc:
            raise AdapterError("the kube adapter needs the Kubernetes Python client: "
                               "pip install 'kubeoracle[kube]'") from exc
        try:
            # $KUBECONFIG as it is now (the client reads it once, when it is imported)
            self.api = config.new_client_from_config(config_file=os.environ.get("KUBECONFIG") or None,
                                                     context=context)
        except Exception as exc:
            raise AdapterError(f"kube:{context}: cannot load the context: {exc}") from exc
        self.context = context
        self.run = secrets.token_hex(3)
        self.example = 0
        self.quiet = quiet
        self.poll = poll
        self.mine: dict[str, str] = {}  # harness namespace -> sandbox namespace, this example
        self.created: set[str] = set()  # sandbox namespaces not yet deleted (every example)
        self.cordoned: set[str] = set()  # the cluster's nodes this adapter cordoned (uncordoned at cleanup)
        self.server_now: int | None = None  # the cluster's clock (the Date of its last answer)
        self.local_at = 0.0
        self.failed: set[str] = set()  # simulated nodes this adapter failed (recovered at cleanup)
        self.nodes, self.cpu, self.memory = self._node_shape()
        atexit.register(self.close)
        try:
            self._old_term = signal.signal(signal.SIGTERM, self._on_term)
        except ValueError:  # not the main thread
            self._old_term = None

    # ---- HTTP ---------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None, query: list[tuple[str, str]] | None = None,
              content_type: str = "application/json", timeout: float = 30) -> _Answer:
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json", "Content-Type": content_type}
        try:
            resp = self.api.call_api(path, method, query_params=query or [], header_params=headers, body=body,
                                     auth_settings=["BearerToken"], _preload_content=False,
                                     _return_http_data_only=True, _request_timeout=timeout)
            code, raw, date = resp.status, resp.data, resp.headers.get("Date", "")
        except ApiException as exc:
            code, raw = exc.status, exc.body
            date = (exc.headers or {}).get("Date", "")
        if date:
            try:
                self.server_now = int(parsedate_to_datetime(date).timestamp())
                self.local_at = time.time()
            except (TypeError, ValueError):
                pass
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw
        return _Answer(code, data, date)

    # ---- names --------------------------------------------------------------------------------
    def _sandbox_name(self, ns: str) -> str:
        return self.mine.get(ns) or f"ko-{self.run}-{self.example}-{ns}"

    def _harness_name(self, ns: str) -> str | None:
        prefix = f"ko-{self.run}-{self.example}-"
        return ns[len(prefix):] if ns.startswith(prefix) else None

    def _to_sandbox(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """The object as sent to the cluster (None: not the adapter's to write)."""
        kind = obj.get("kind")
        md = obj.get("metadata")
        if not isinstance(md, dict):
            return obj
        if kind == "Namespace":
            name = md.get("name")
            if isinstance(name, str) and name:
                md["name"] = self._sandbox_name(name)
                labels = md.get("labels") if isinstance(md.get("labels"), dict) else {}
                md["labels"] = {**(labels or {}), SANDBOX_LABEL: self.run}
            return obj
        if isinstance(kind, str) and not _namespaced(kind):
            return None
        ns = md.get("namespace") or "default"
        if isinstance(ns, str):
            md["namespace"] = self._sandbox_name(ns)
        return obj

    def _from_sandbox(self, obj: Any) -> Any:
        """An object read from the cluster, renamed to the harness's namespaces."""
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            return obj
        md = obj["metadata"]
        if obj.get("kind") == "Node" and SIMULATED in (md.get("annotations") or {}):
            # the simulator's mark (KWOK, kubeoracle serve), not part of the node the model describes
            md["annotations"] = {k: v for k, v in md["annotations"].items() if k != SIMULATED}
            if not md["annotations"]:
                md.pop("annotations")
        if obj.get("kind") == "Namespace":
            name = self._harness_name(md.get("name", ""))
            if name is not None:
                md["name"] = name
                labels = {k: v for k, v in (md.get("labels") or {}).items() if k != SANDBOX_LABEL}
                if NAME_LABEL in labels:
                    labels[NAME_LABEL] = name
                md["labels"] = labels
                if not labels:
                    md.pop("labels")
        elif md.get("namespace"):
            name = self._harness_name(md["namespace"])
            if name is not None:
                md["namespace"] = name
        for key, value in obj.items():
            if key != "metadata":
                self._rename_refs(value)
        if isinstance(md.get("annotations"), dict) and LAST_APPLIED in md["annotations"]:
            try:
                last = json.loads(md["annotations"][LAST_APPLIED])
                back = self._from_sandbox(last)
                md["annotations"][LAST_APPLIED] = json.dumps(back, sort_keys=True, separators=(",", ":")) + "\n"
            except ValueError:
                pass
        return obj

    def _rename_refs(self, value: Any) -> None:
        """References to sandbox namespaces inside an object (a claimRef, an endpoint's targetRef), renamed
        to the harness's namespaces in place."""
        if isinstance(value, dict):
            ns = value.get("namespace")
            if isinstance(ns, str):
                name = self._harness_name(ns)
                if name is not None:
                    value["namespace"] = name
            for v in value.values():
                self._rename_refs(v)
        elif isinstance(value, list):
            for v in value:
                self._rename_refs(v)

    def _path(self, kind: str, api_version: str, ns: str, name: str = "", sub: str = "") -> str:
        path = _base(api_version)
        if _namespaced(kind):
            path += f"/namespaces/{self._sandbox_name(ns or 'default')}"
        path += f"/{_plural(kind)}"
        if name:
            path += f"/{name}"
        if sub:
            path += f"/{sub}"
        return path

    def _outcome(self, answer: _Answer) -> Outcome:
        if answer.ok:
            body = answer.body
            if isinstance(body, dict) and body.get("kind") == "Status":
                return Outcome.ok(None)
            return Outcome.ok(self._from_sandbox(body) if isinstance(body, dict) else None)
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.code >= 500 or body.get("kind") != "Status":
            return Outcome.unknown(f"HTTP {answer.code}: {str(answer.body)[:300]}")
        causes = (body.get("details") or {}).get("causes") or [{}]
        return Outcome.rejected(body.get("reason", ""), causes[0].get("field", ""), body.get("message", ""))

    # ---- the protocol -------------------------------------------------------------------------
    def reset(self, sandbox: Sandbox) -> None:
        self._cleanup()
        self._wait_for_the_cluster_alone()
        self.example += 1
        self.mine = {}
        self._check_nodes(sandbox)
        for ns in sandbox.namespaces:
            if ns in ("kube-system", "kube-public", "kube-node-lease"):
                continue  # the cluster's own: the suite's machines write only in their namespaces
            name = self._sandbox_name(ns)
            self.created.add(name)  # before the POST: a SIGTERM between the server's create and our record leaks it
            answer = self._call("POST", "/api/v1/namespaces", {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": {SANDBOX_LABEL: self.run}}})
            if not answer.ok:
                raise AdapterError(f"kube:{self.context}: cannot create the sandbox namespace {name}: "
                                   f"HTTP {answer.code} {answer.body}")
            self.mine[ns] = name

    def _wait_for_the_cluster_alone(self, timeout: float = 120.0) -> None:
        """Until no sandbox namespace is left, ours being deleted (their pods still hold node capacity the
        next example's model does not know of) or another run's: two runs on one cluster share its nodes,
        so neither's model would know what the scheduler sees (run the kube adapter with one worker)."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self._call("GET", "/api/v1/namespaces", query=[("labelSelector", SANDBOX_LABEL)])
            if not answer.ok:
                raise AdapterError(f"kube:{self.context}: cannot list namespaces: HTTP {answer.code} {answer.body}")
            left = answer.body.get("items") or []
            others = sorted(n["metadata"]["name"] for n in left
                            if (n["metadata"].get("labels") or {}).get(SANDBOX_LABEL) != self.run
                            and not n["metadata"].get("deletionTimestamp"))
            if others:
                raise AdapterError(f"kube:{self.context}: another kubeoracle run's sandbox is on this cluster "
                                   f"({', '.join(others[:3])}): its pods would take node capacity this run's model "
                                   "does not know of; run one at a time (--workers 1), or delete stale ones with "
                                   f"'kubectl delete namespace -l {SANDBOX_LABEL}'")
            if not left:
                return
            if time.monotonic() > deadline:
                raise AdapterError(f"kube:{self.context}: sandbox namespaces still terminating after {timeout:.0f} s: "
                                   + ", ".join(sorted(n["metadata"]["name"] for n in left)[:5]))
            time.sleep(self.poll)

    def _node_shape(self) -> tuple[int, str, str]:
        """The sandbox the cluster's nodes make (their number, and the CPU and memory each can allocate),
        which the harness builds its model from; the default sandbox when the nodes differ (``reset``
        then says how)."""
        try:
            answer = self._call("GET", "/api/v1/nodes", timeout=15)
        except Exception as exc:
            raise AdapterError(f"kube:{self.context}: cannot reach the API server: {exc}") from exc
        if answer.code in (401, 403):
            raise AdapterError(f"kube:{self.context}: the API server refuses to list nodes (HTTP {answer.code}): "
                               "the suite needs to read the nodes its sandbox runs on")
        nodes = (answer.body or {}).get("items") or [] if answer.ok else []
        if not nodes:
            return Sandbox().nodes, Sandbox().cpu, Sandbox().memory
        if all((n["metadata"].get("annotations") or {}).get(SIMULATED) == "fake" for n in nodes):
            self.capabilities = self.capabilities | {"node-faults"}  # KWOK's nodes, or kubeoracle serve's
        alloc = nodes[0]["status"].get("allocatable") or {}
        return len(nodes), str(alloc.get("cpu", "0")), str(alloc.get("memory", "0"))

    def _check_nodes(self, sandbox: Sandbox, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:  # a node recovered or uncordoned at cleanup takes a moment to be Ready and untainted again
            answer = self._call("GET", "/api/v1/nodes")
            if not answer.ok:
                raise AdapterError(f"kube:{self.context}: cannot list nodes: HTTP {answer.code} {answer.body}")
            nodes = answer.body.get("items") or []
            if time.monotonic() > deadline or all(
                    _condition(n, "Ready").get("status") == "True" and not (n.get("spec") or {}).get("taints")
                    for n in nodes):
                break
            time.sleep(self.poll)
        want_cpu, want_mem = parse_quantity(sandbox.cpu), parse_quantity(sandbox.memory)
        sizes = sorted((n["metadata"]["name"], parse_quantity(n["status"]["allocatable"].get("cpu", "0")),
                        parse_quantity(n["status"]["allocatable"].get("memory", "0"))) for n in nodes)
        if len(nodes) != sandbox.nodes or any(c != want_cpu or m != want_mem for _, c, m in sizes):
            seen = ", ".join(f"{n} ({c} CPU, {m} bytes)" for n, c, m in sizes) or "none"
            raise AdapterError(f"kube:{self.context}: the cluster has {len(nodes)} node(s): {seen}; but the "
                               f"sandbox needs {sandbox.nodes} of {sandbox.cpu} CPU and {sandbox.memory} (the "
                               "harness's model must match the cluster it compares with: nodes of one size)")
        tainted = sorted(n["metadata"]["name"] for n in nodes
                         if any(t.get("effect") in ("NoSchedule", "NoExecute") and t.get("key") != _CORDONED
                                for t in (n.get("spec") or {}).get("taints") or ()))
        if tainted:
            raise AdapterError(f"kube:{self.context}: node(s) {', '.join(tainted)} carry NoSchedule or NoExecute "
                               "taints, but the sandbox's nodes have none (the harness's model would place pods "
                               "there): untaint them, or use a cluster whose nodes all take pods")

    def apply(self, obj: dict[str, Any]) -> Outcome:
        obj = json.loads(json.dumps(obj))
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        md = obj.get("metadata")
        if not isinstance(kind, str) or not isinstance(api_version, str) or not isinstance(md, dict) \
                or not isinstance(md.get("name"), str) or not md.get("name"):
            return self._create_as_is(obj)
        sent = self._to_sandbox(obj)
        if sent is None:
            return Outcome.unknown(f"the kube adapter writes only inside its sandbox namespaces, not a {kind}")
        name = md["name"]
        harness_ns = obj.get("metadata", {}).get("namespace") if kind != "Namespace" else ""
        ns = self._harness_name(harness_ns) if harness_ns else ""
        coll = self._path(kind, api_version, ns or "default") if kind != "Namespace" else "/api/v1/namespaces"
        if kind == "Namespace":
            self.mine[self._harness_name(name) or name] = name
            self.created.add(name)
        live = self._call("GET", f"{coll}/{name}")
        manifest = {k: v for k, v in sent.items()}
        applied = json.dumps(without_last_applied(manifest), sort_keys=True, separators=(",", ":"))
        if live.code == 404:
            md = dict(manifest["metadata"])
            annotations = md.get("annotations")
            if annotations is None or isinstance(annotations, dict):
                md["annotations"] = {**(annotations or {}), LAST_APPLIED: applied + "\n"}
            manifest["metadata"] = md
            return self._outcome(self._call("POST", coll, manifest))
        if not live.ok:
            return self._outcome(live)
        current = live.body
        last_text = ((current.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
        try:
            last = json.loads(last_text) if last_text else {}
        except ValueError:
            last = {}
        modified = without_last_applied(manifest)
        md = dict(modified.get("metadata") or {})
        md["annotations"] = {**(md.get("annotations") or {}), LAST_APPLIED: applied + "\n"}
        modified["metadata"] = md
        try:  # kubectl apply: a three-way strategic merge PATCH, no resourceVersion (controllers may write meanwhile)
            body = smp.create_three_way_merge_patch(last, modified, current, kind)
        except smp.PatchError as exc:
            return Outcome.rejected(exc.reason, exc.field, exc.message)
        if not body:
            return Outcome.ok(self._from_sandbox(current))  # "unchanged": kubectl sends nothing
        return self._outcome(self._call("PATCH", f"{coll}/{name}", body,
                                        content_type="application/strategic-merge-patch+json"))

    def _create_as_is(self, obj: dict[str, Any]) -> Outcome:
        """A manifest without a usable kind or name: the server says why (POST to its kind's collection)."""
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if not isinstance(kind, str) or not isinstance(api_version, str):
            return Outcome.unknown("a manifest without kind or apiVersion cannot be routed to an API server")
        sent = self._to_sandbox(obj)
        if sent is None:
            return Outcome.unknown(f"the kube adapter writes only inside its sandbox namespaces, not a {kind}")
        md = sent.get("metadata")
        ns = self._harness_name(md.get("namespace", "")) if isinstance(md, dict) and md.get("namespace") else None
        return self._outcome(self._call("POST", self._path(kind, api_version, ns or "default"), sent))

    def delete(self, kind: str, namespace: str, name: str, propagation: str = "Background") -> Outcome:
        if kind == "Namespace":
            if name in IMMORTAL_NAMESPACES:
                return Outcome.rejected("Forbidden", "", f'namespaces "{name}" is forbidden: this namespace may '
                                        "not be deleted")
            target = f"/api/v1/namespaces/{self._sandbox_name(name)}"
        elif not _namespaced(kind):
            return Outcome.unknown(f"the kube adapter deletes only inside its sandbox namespaces, not a {kind}")
        else:
            target = self._path(kind, _api_version(kind), namespace, name)
        return self._outcome(self._call("DELETE", target, {"kind": "DeleteOptions", "apiVersion": "v1",
                                                           "propagationPolicy": propagation}))

    def scale(self, kind: str, namespace: str, name: str, replicas: int) -> Outcome:
        body = {"apiVersion": "autoscaling/v1", "kind": "Scale",
                "metadata": {"name": name, "namespace": self._sandbox_name(namespace or "default")},
                "spec": {"replicas": replicas}}
        answer = self._call("PUT", self._path(kind, _api_version(kind), namespace, name, "scale"), body)
        return self._outcome(answer)

    def _deployment(self, namespace: str, name: str) -> dict[str, Any] | Outcome:
        got = self._call("GET", self._path("Deployment", "apps/v1", namespace, name))
        if not got.ok:
            return self._outcome(got)
        return got.body  # type: ignore[no-any-return]

    def rollout_undo(self, namespace: str, name: str, to_revision: int = 0) -> Outcome:
        """``DeploymentRollbacker.Rollback`` (``kubectl/pkg/polymorphichelpers/rollback.go``)."""
        if to_revision < 0:
            return Outcome.rejected("NotFound", "", f"unable to find specified revision {to_revision} in history")
        d = self._deployment(namespace, name)
        if isinstance(d, Outcome):
            return d
        sel = ",".join(f"{k}={v}" for k, v in sorted(((d["spec"].get("selector") or {}).get("matchLabels")
                                                      or {}).items()))
        listed = self._call("GET", self._path("ReplicaSet", "apps/v1", namespace), query=[("labelSelector", sel)])
        if not listed.ok:
            return self._outcome(listed)
        uid = d["metadata"]["uid"]
        rss = [freeze(rs) for rs in listed.body.get("items") or ()
               if any(r.get("controller") and r.get("uid") == uid for r in rs["metadata"].get("ownerReferences") or ())]
        target = deployment_revision(rss, to_revision)
        if target is None:
            if to_revision > 0:
                return Outcome.rejected("NotFound", "", f"unable to find specified revision {to_revision} in history")
            return Outcome.rejected("NotFound", "", f'no rollout history found for deployment "{name}"')
        if d["spec"].get("paused"):
            return Outcome.rejected("BadRequest", "", "you cannot rollback a paused deployment")
        frozen = freeze(d)
        template = target["spec"].get("template") or {}
        if du.equal_ignore_hash(template, frozen["spec"].get("template")):
            return Outcome.ok(self._from_sandbox(d))
        new_d = thaw(du.set_from_replica_set_template(frozen, template))
        annotations = {k: v for k, v in du.annotations_of(frozen).items() if du.skip_copy_annotation(k)}
        annotations.update({k: v for k, v in du.annotations_of(target).items() if not du.skip_copy_annotation(k)})
        new_d["metadata"]["annotations"] = annotations
        if not annotations:
            new_d["metadata"].pop("annotations")
        return self._outcome(self._call("PUT", self._path("Deployment", "apps/v1", namespace, name), new_d))

    def inject(self, fault: object) -> Outcome:
        from refmodel import events as ev

        match fault:
            case ev.RolloutPause(namespace=ns, name=name) | ev.RolloutResume(namespace=ns, name=name):
                paused = isinstance(fault, ev.RolloutPause)
                d = self._deployment(ns, name)
                if isinstance(d, Outcome):
                    return d
                if bool(d["spec"].get("paused")) == paused:
                    word = "is already paused" if paused else "is not paused"
                    return Outcome.rejected("BadRequest", "", f'deployments.apps "{name}" {word}')
                answer = self._call("PATCH", self._path("Deployment", "apps/v1", ns, name),
                                    {"spec": {"paused": True if paused else None}},
                                    content_type="application/strategic-merge-patch+json")
                return self._outcome(answer)
            case ev.PodKilled(namespace=ns, name=name):  # a force delete, as kubectl delete --force --grace-period=0
                return self._outcome(self._call("DELETE", self._path("Pod", "v1", ns, name), {
                    "kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0}))
            case ev.Cordon(node=node) | ev.Uncordon(node=node):
                return self._cordon(node, isinstance(fault, ev.Cordon))
            case ev.NodeFailed(node=node) | ev.NodeRecovered(node=node) if "node-faults" in self.capabilities:
                return self._fail(node, isinstance(fault, ev.NodeFailed))
        return Outcome.unknown(f"the kube adapter cannot inject {type(fault).__name__} into a real cluster")

    def _fail(self, node: str, failed: bool) -> Outcome:
        """A simulated node stops (its KWOK mark removed: nothing heart-beats it any more) or starts again
        (the mark back); every node the adapter failed is recovered when the example ends."""
        return self._patch_node(node, {"metadata": {"annotations": {SIMULATED: None if failed else "fake"}}},
                                "application/merge-patch+json", self.failed, failed)

    def _cordon(self, node: str, unschedulable: bool) -> Outcome:
        """``kubectl cordon``/``uncordon``: a strategic patch of ``spec.unschedulable`` (a node already so is
        left alone). The nodes are the cluster's, not the sandbox's: every node the adapter cordoned is
        uncordoned again when the example ends (:meth:`_cleanup`)."""
        got = self._call("GET", f"/api/v1/nodes/{node}")
        if not got.ok:
            return self._outcome(got)
        if bool((got.body.get("spec") or {}).get("unschedulable")) == unschedulable:
            return Outcome.ok(got.body)
        return self._patch_node(node, {"spec": {"unschedulable": True if unschedulable else None}},
                                "application/strategic-merge-patch+json", self.cordoned, unschedulable)

    def _patch_node(self, node: str, body: dict[str, Any], content_type: str, undo: set[str], on: bool) -> Outcome:
        """Patch a node of the cluster; ``undo`` (the nodes cleanup restores) gains it when ``on``, loses it
        otherwise, once the patch is accepted."""
        answer = self._call("PATCH", f"/api/v1/nodes/{node}", body, content_type=content_type)
        if answer.ok:
            (undo.add if on else undo.discard)(node)
        return self._outcome(answer)

    def settle(self, timeout: float = 120.0) -> bool:
        """Until the sandbox is stable: one consistent snapshot after another (:meth:`_snapshot`), and
        the sandbox counts as settled once its objects have not changed for ``quiet`` seconds and none of
        them still waits for a controller, a kubelet or a timer the cluster runs (:func:`_pending`: a
        generation not yet observed, an object on its way out, a dependent whose owner is gone, a pod
        starting or not yet Ready, a minReadySeconds or progress deadline still running)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        since = time.monotonic()
        while time.monotonic() < deadline:
            objs = self._snapshot()
            fingerprint = sorted((o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"],
                                  o["metadata"].get("resourceVersion", "")) for o in objs if o["kind"] != "Node")
            if fingerprint != last:
                last, since = fingerprint, time.monotonic()
            elif time.monotonic() - since >= self.quiet and _pending(objs, frozenset(self.failed)) is None \
                    and not _room(objs):
                return True
            time.sleep(self.poll)
        return False

    def _list(self, kind: str, rv: str = "") -> tuple[list[dict[str, Any]], str]:
        """Every object of ``kind`` at resourceVersion ``rv`` exactly (``resourceVersionMatch=Exact``; the
        newest when ``rv`` is empty), and the list's resourceVersion. A 410 (``rv`` expired) is
        :class:`_Expired`: the caller lists again from the newest."""
        base, plural, _ = _PATHS[kind]
        query = [("resourceVersion", rv), ("resourceVersionMatch", "Exact")] if rv else []
        answer = self._call("GET", f"{base}/{plural}", query=query)
        if answer.code == 410:
            raise _Expired(rv)
        if not answer.ok:
            raise RuntimeError(f"kube:{self.context}: GET {base}/{plural}: HTTP {answer.code} {answer.body}")
        items = answer.body.get("items") or []
        api_version = base[len("/apis/"):] if base.startswith("/apis/") else "v1"
        for o in items:
            o.setdefault("kind", kind)
            o.setdefault("apiVersion", api_version)
        return items, str((answer.body.get("metadata") or {}).get("resourceVersion") or "")

    def _snapshot(self) -> list[dict[str, Any]]:
        """The cluster's nodes and the sandbox's objects as of one resourceVersion: the first list fixes
        it and every other list asks for exactly that one (one consistent cut, not kinds read at
        different moments); a 410 for an expired version starts over from the newest."""
        prefix = f"ko-{self.run}-{self.example}-"
        for _attempt in range(5):
            try:
                rv = ""
                out: list[dict[str, Any]] = []
                for kind, (_, _, namespaced) in _PATHS.items():
                    items, listed = self._list(kind, rv)
                    rv = rv or listed
                    for o in items:
                        if kind == "Node" or kind == "StorageClass":
                            out.append(o)
                        elif kind == "PersistentVolume":
                            if str(((o.get("spec") or {}).get("claimRef") or {}).get("namespace", "")).startswith(prefix):
                                out.append(o)
                        elif (o["metadata"].get("namespace", "") if namespaced else o["metadata"]["name"]).startswith(prefix):
                            out.append(o)
                return out
            except _Expired:
                continue
        raise RuntimeError(f"kube:{self.context}: every list at one resourceVersion expired before the next "
                           "(the cluster changes faster than it can be read)")

    def observe(self) -> list[dict[str, Any]]:
        return [self._from_sandbox(o) for o in self._snapshot()]

    def snapshot(self) -> Any:
        """``observe()`` as a view whose clock is the cluster's (the Date of the list answers), so the
        invariants that judge ages (minReadySeconds, back-offs) read the time the cluster acted on."""
        from ..view import ListView

        objects = self.observe()
        return ListView(objects, self.server_now)

    def close(self) -> None:
        self._cleanup()

    def _cleanup(self) -> None:
        """Undo what the example left, in this order: recover the nodes it failed, uncordon the nodes it
        cordoned, delete its namespaces; each is forgotten once done (or once the server is gone)."""
        for pending, method, path, body, content_type in (
                (self.failed, "PATCH", "/api/v1/nodes/", {"metadata": {"annotations": {SIMULATED: "fake"}}},
                 "application/merge-patch+json"),
                (self.cordoned, "PATCH", "/api/v1/nodes/", {"spec": {"unschedulable": None}},
                 "application/strategic-merge-patch+json"),
                (self.created, "DELETE", "/api/v1/namespaces/",
                 {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}, "application/json")):
            for name in sorted(pending):
                try:
                    answer = self._call(method, path + name, body, content_type=content_type, timeout=10)
                except Exception:  # the server is gone: nothing left to restore
                    answer = _Answer(404, None)
                if answer.ok or answer.code == 404:
                    pending.discard(name)

    def _on_term(self, signum: int, frame: Any) -> None:
        self._cleanup()
        old = self._old_term
        if callable(old):
            old(signum, frame)
        else:
            raise SystemExit(128 + signum)


def _api_version(kind: str) -> str:
    from refmodel.resources import REGISTRY

    info = REGISTRY.get(kind)
    return info.api_versions[0] if info is not None else "v1"


class _Expired(Exception):
    """A list at a resourceVersion the cluster no longer keeps (410 Gone)."""


def _condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    return next((c for c in (obj.get("status") or {}).get("conditions") or () if c.get("type") == kind), {})


_STUCK = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError")


def _stuck(pod: Mapping[str, Any]) -> bool:
    """A pod that waits for something no controller will do by itself: a node it fits on (the scheduler
    said Unschedulable), an image that cannot be pulled, a container that keeps crashing, a missing
    ConfigMap or Secret."""
    if _condition(pod, "PodScheduled").get("reason") == "Unschedulable":
        return True
    status = pod.get("status") or {}
    return any(((c.get("state") or {}).get("waiting") or {}).get("reason") in _STUCK
               for c in (*(status.get("initContainerStatuses") or ()), *(status.get("containerStatuses") or ())))


def _room(objs: list[dict[str, Any]]) -> bool:
    """Whether a pending pod fits on a Ready, schedulable node: the scheduler retries it (upstream on a
    cluster event or its back-off), so the sandbox is not settled yet."""
    from ..invariants import Context
    from ..invariants.scheduling import pending_pods_have_no_room
    from ..view import ListView

    return bool(pending_pods_have_no_room(ListView(objs), Context())[1])


def _evicted(pod: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether the node lifecycle controller will evict ``pod`` from ``node`` (a NoExecute taint it does
    not tolerate for ever: ``taint_eviction.go``)."""
    if pod["metadata"].get("deletionTimestamp"):
        return False
    for taint in (node.get("spec") or {}).get("taints") or ():
        if taint.get("effect") != "NoExecute":
            continue
        forever = any(t.get("effect") in (None, "", "NoExecute") and t.get("tolerationSeconds") is None
                      and (t.get("key") == taint.get("key") or (not t.get("key") and t.get("operator") == "Exists"))
                      for t in (pod.get("spec") or {}).get("tolerations") or ())
        if not forever:
            return True
    return False


def _pending(objs: list[dict[str, Any]], failed: frozenset[str] = frozenset()) -> str | None:
    """What in the sandbox still waits for the cluster to act (None: nothing): the work that happens
    without a request, which the harness's model does at its settle, so the comparison with it waits for
    the cluster to have done it too."""
    uids = {o["metadata"].get("uid") for o in objs}
    down = {o["metadata"]["name"]: o for o in objs if o["kind"] == "Node" and _condition(o, "Ready").get("status") != "True"}
    for name in sorted(failed):
        if name not in down:
            return f"Node/{name} failed, but the node lifecycle controller has not noticed yet"
    stuck = {o["metadata"].get("uid") for o in objs if o["kind"] == "Pod" and (_stuck(o) or o["spec"].get("nodeName") in down)}
    # a pod Terminating on a node that is down holds its namespace's or owner's deletion for as long
    blocked = any(o["kind"] == "Pod" and o["metadata"].get("deletionTimestamp") and o["spec"].get("nodeName") in down
                  for o in objs)
    for o in objs:
        md, kind = o["metadata"], o["kind"]
        spec, status = o.get("spec") or {}, o.get("status") or {}
        where = f"{kind}/{md.get('namespace', '')}/{md['name']}"
        if kind in ("Node", "StorageClass"):
            continue
        if md.get("deletionTimestamp"):
            if kind == "Pod" and spec.get("nodeName") in down:
                continue  # no kubelet confirms it: it stays Terminating, in the model too
            if not blocked:
                return f"{where} is being deleted"
            continue
        if any(r.get("uid") not in uids for r in md.get("ownerReferences") or ()
               if r.get("kind") in _PATHS and r.get("kind") not in ("Node",)):
            return f"{where} has an owner that is gone (the garbage collector has not deleted it yet)"
        if kind in ("Deployment", "ReplicaSet", "StatefulSet") and \
                status.get("observedGeneration", 0) < md.get("generation", 0):
            return f"{where}: generation {md.get('generation')} not observed yet"
        if kind == "Pod" and spec.get("nodeName") in down and _evicted(o, down[spec["nodeName"]]):
            return f"{where} is on a node that is not Ready and will be evicted once its toleration runs out"
        if kind == "Pod" and status.get("phase", "Pending") in ("Pending", "Running") and md.get("uid") not in stuck:
            if not spec.get("nodeName"):
                return f"{where} is not scheduled yet"
            if _condition(o, "Ready").get("status") != "True":
                return f"{where} is starting (not Ready yet)"
        if kind in ("ReplicaSet", "StatefulSet"):
            # an OrderedReady StatefulSet stops at a pod that cannot start, and waits for it for ever
            if status.get("replicas", 0) != spec.get("replicas", 1) and not (kind == "StatefulSet" and stuck):
                return f"{where} has {status.get('replicas', 0)} pods of {spec.get('replicas', 1)}"
            if status.get("availableReplicas", 0) < status.get("readyReplicas", 0):
                return f"{where}: ready pods not yet available (minReadySeconds)"
        if kind == "Deployment" and not spec.get("paused"):
            want = spec.get("replicas", 1)
            complete = status.get("updatedReplicas", 0) == want and status.get("replicas", 0) == want and \
                status.get("availableReplicas", 0) == want
            if not complete and _condition(o, "Progressing").get("status") != "False":
                return f"{where}: its rollout is neither complete nor past its progress deadline"
    return None
