"""What a container sees: its environment, its mounted files and its volumes' data; and what keeps it from starting.

**Mirrors:** the kubelet's ``pkg/kubelet/kubelet_pods.go`` (makeEnvironmentVariables: ``envFrom`` then ``env``,
configMapKeyRef/secretKeyRef, the optional flags and the errors ``configmap "x" not found`` / ``couldn't find
key k in ConfigMap ns/x`` that become CreateContainerConfigError), ``pkg/volume/configmap`` and
``pkg/volume/secret`` (one file per key, ``items`` projections, optional sources), ``pkg/volume/projected``,
``pkg/kubelet/volumemanager`` (a pod starts only once its volumes are attached and mounted: its claims
Bound, its ConfigMap and Secret volumes present) and the attach/detach controller's Multi-Attach check for
ReadWriteOnce volumes.
**Modelled:** rules CM-1..CM-3, CM-6, CM-7: environment values resolved when the container first starts
and never refreshed; ConfigMap, Secret and projected volumes always show the objects' current content
(the model's kubelet sync is immediate), except ``subPath`` mounts, fixed at start; a non-optional missing
ConfigMap/Secret or key blocks the start (env: CreateContainerConfigError; volumes: ContainerCreating);
a claim that is not Bound, or a ReadWriteOnce volume in use on another node, keeps the pod
ContainerCreating. Volume data: a pod that mounts a claim read-write writes one content token (its name and
uid) to the bound volume when it starts; the volume keeps its tokens for as long as it exists, and a
volume that is deleted or recycled loses them. :func:`container_view` reads all of this back.
File modes (``defaultMode``, per-item ``mode``, 0644 by default).
**Not modelled (and why):** file ownership (``fsGroup``, non-root users: no user ids are simulated);
``$(VAR)`` expansion and ``resourceFieldRef``; re-resolution of the environment on a container restart (a
restarted container keeps its first start's environment); a per-container start when only one container's
reference is missing (the pod waits as a whole); downward API volumes.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import immutables

from .frozen import EMPTY, FrozenDict, freeze, thaw
from .state import ClusterState

__all__ = ["container_view", "drop_data", "forget_pod", "kubelet_gate", "resolve_env", "volume_data", "volume_files",
           "wake_blocked"]

_DATA = "volume_data"  # env: Map[pv name, tuple of tokens]
_STARTED = "container_start"  # env: Map[pod uid, FrozenDict{container: FrozenDict{"env", "subpaths"}}]
_BLOCKED = "volume_blocked"  # env: Map[(namespace, pod), node]
_ATTACHED = "volume_attached"  # env: Map[pv name, Map[pod uid, node]]: the pods that started with it
_POD_VOLUMES = "pod_volumes"  # env: Map[pod uid, tuple of pv names]: the same, by pod

_NEEDS: dict[int, tuple[Any, bool]] = {}


def _needs_gate(spec: Mapping[str, Any]) -> bool:
    """Whether a pod spec refers to anything the kubelet must resolve before starting (memoised by identity)."""
    hit = _NEEDS.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    needs = bool(spec.get("volumes")) or any(
        c.get("envFrom") or any(e.get("valueFrom") for e in c.get("env") or ())
        for c in (*(spec.get("initContainers") or ()), *(spec.get("containers") or ())))
    if len(_NEEDS) > 10_000:
        _NEEDS.clear()
    _NEEDS[id(spec)] = (spec, needs)
    return needs


_NO_MAP: Any = immutables.Map()


def _env_map(state: ClusterState, key: str) -> Any:
    return state.env.get(key) or _NO_MAP


def _set(state: ClusterState, key: str, value: Any) -> ClusterState:
    return state.replace(env=state.env.set(key, value))


# ---------------------------------------------------------------------------------------------
# ConfigMaps and Secrets as values
# ---------------------------------------------------------------------------------------------
def _decode(text: Any) -> str | bytes:
    try:
        raw = base64.b64decode(str(text), validate=True)
    except (ValueError, binascii.Error):
        return b""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _source_data(state: ClusterState, ns: str, kind: str, name: str) -> dict[str, str | bytes] | None:
    """A ConfigMap's or Secret's keys with their values as a process reads them; None when it does not exist."""
    obj = state.get(kind, ns, name)
    if obj is None:
        return None
    if kind == "Secret":
        return {k: _decode(v) for k, v in (obj.get("data") or EMPTY).items()}
    out: dict[str, str | bytes] = {k: str(v) for k, v in (obj.get("data") or EMPTY).items()}
    for k, v in (obj.get("binaryData") or EMPTY).items():
        out[k] = _decode(v)
    return out


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("utf-8", errors="replace")


def _field_ref(pod: Mapping[str, Any], path: str) -> str:
    md, spec, status = pod["metadata"], pod["spec"], pod.get("status") or EMPTY
    values = {"metadata.name": md.get("name"), "metadata.namespace": md.get("namespace"), "metadata.uid": md.get("uid"),
              "spec.nodeName": spec.get("nodeName"), "spec.serviceAccountName": spec.get("serviceAccountName"),
              "status.podIP": status.get("podIP"), "status.hostIP": status.get("hostIP")}
    if path.startswith("metadata.labels['") or path.startswith("metadata.annotations['"):
        field, _, rest = path.partition("['")
        return str(((md.get(field.split(".")[1]) or EMPTY).get(rest.rstrip("']"))) or "")
    return str(values.get(path) or "")


def resolve_env(state: ClusterState, pod: Mapping[str, Any], container: Mapping[str, Any]
                ) -> tuple[dict[str, str], str | None]:
    """makeEnvironmentVariables: the container's environment, or the error that keeps it from starting."""
    ns = pod["metadata"]["namespace"]
    env: dict[str, str] = {}
    for src in container.get("envFrom") or ():
        prefix = str(src.get("prefix") or "")
        for field, kind, label in (("configMapRef", "ConfigMap", "configmap"), ("secretRef", "Secret", "secret")):
            ref = src.get(field)
            if ref is None:
                continue
            data = _source_data(state, ns, kind, str(ref.get("name", "")))
            if data is None:
                if ref.get("optional"):
                    continue
                return env, f'{label} "{ref.get("name", "")}" not found'
            for k, v in sorted(data.items()):
                env[prefix + k] = _text(v)
    for e in container.get("env") or ():
        name = str(e.get("name", ""))
        source = e.get("valueFrom")
        if source is None:
            env[name] = str(e.get("value") or "")
            continue
        if source.get("fieldRef") is not None:
            env[name] = _field_ref(pod, str(source["fieldRef"].get("fieldPath", "")))
            continue
        for field, kind, label in (("configMapKeyRef", "ConfigMap", "configmap"), ("secretKeyRef", "Secret", "secret")):
            ref = source.get(field)
            if ref is None:
                continue
            ref_name, key = str(ref.get("name", "")), str(ref.get("key", ""))
            data = _source_data(state, ns, kind, ref_name)
            if data is None:
                if ref.get("optional"):
                    break
                return env, f'{label} "{ref_name}" not found'
            if key not in data:
                if ref.get("optional"):
                    break
                return env, f"couldn't find key {key} in {kind} {ns}/{ref_name}"
            env[name] = _text(data[key])
    return env, None


def _projection(state: ClusterState, ns: str, kind: str, name: str, items: Any, optional: bool
                ) -> tuple[dict[str, str | bytes], str | None]:
    data = _source_data(state, ns, kind, name)
    if data is None:
        return {}, None if optional else f'{kind.lower()} "{name}" not found'
    if not items:
        return dict(data), None
    out: dict[str, str | bytes] = {}
    for item in items:
        key = str(item.get("key", ""))
        if key not in data:
            if optional:
                continue
            return {}, f"configmap references non-existent config key: {key}" if kind == "ConfigMap" else \
                f"references non-existent secret key: {key}"
        out[str(item.get("path", key))] = data[key]
    return out, None


def volume_files(state: ClusterState, ns: str, volume: Mapping[str, Any]) -> tuple[dict[str, str | bytes], str | None]:
    """The files of a ConfigMap, Secret or projected volume (path -> content), or why it cannot be mounted."""
    if volume.get("configMap") is not None:
        src = volume["configMap"]
        return _projection(state, ns, "ConfigMap", str(src.get("name", "")), src.get("items"), bool(src.get("optional")))
    if volume.get("secret") is not None:
        src = volume["secret"]
        return _projection(state, ns, "Secret", str(src.get("secretName", "")), src.get("items"),
                           bool(src.get("optional")))
    if volume.get("projected") is not None:
        files: dict[str, str | bytes] = {}
        for source in volume["projected"].get("sources") or ():
            for field, kind, name_key in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "name")):
                src = source.get(field)
                if src is None:
                    continue
                part, err = _projection(state, ns, kind, str(src.get(name_key, "")), src.get("items"),
                                        bool(src.get("optional")))
                if err:
                    return {}, err
                files.update(part)
        return files, None
    return {}, None


def file_modes(volume: Mapping[str, Any], paths: Any) -> dict[str, int]:
    """The mode of each projected file: an item's ``mode``, else the source's ``defaultMode``, else 0644."""
    sources: list[Mapping[str, Any]] = []
    default = 0o644
    for field in ("configMap", "secret"):
        if volume.get(field) is not None:
            sources = [volume[field]]
            default = int(volume[field].get("defaultMode", 0o644))
    if volume.get("projected") is not None:
        default = int(volume["projected"].get("defaultMode", 0o644))
        sources = [s.get("configMap") or s.get("secret") or EMPTY for s in volume["projected"].get("sources") or ()]
    item_modes = {str(i.get("path")): int(i["mode"]) for s in sources for i in s.get("items") or ()
                  if i.get("mode") is not None}
    return {p: item_modes.get(p, default) for p in paths}


# ---------------------------------------------------------------------------------------------
# the kubelet's gate
# ---------------------------------------------------------------------------------------------
def _claim_volume(state: ClusterState, ns: str, claim_name: str) -> FrozenDict | None:
    claim = state.get("PersistentVolumeClaim", ns, claim_name)
    if claim is None or (claim.get("status") or EMPTY).get("phase") != "Bound":
        return None
    return state.get("PersistentVolume", "", str(claim["spec"].get("volumeName") or ""))


def _multi_attached(state: ClusterState, pod: Mapping[str, Any], pv: Mapping[str, Any]) -> bool:
    """A ReadWriteOnce volume attached to another node, for a pod there that is not finished."""
    modes = set(pv["spec"].get("accessModes") or ())
    if modes != {"ReadWriteOnce"}:
        return False
    node = pod["spec"].get("nodeName")
    for uid, o_node in (_env_map(state, _ATTACHED).get(pv["metadata"]["name"]) or EMPTY).items():
        if o_node == node or uid == pod["metadata"]["uid"]:
            continue
        other = state.by_uid_get(uid)
        if other is not None and (other.get("status") or EMPTY).get("phase") not in ("Succeeded", "Failed"):
            return True
    return False


def _blockers(state: ClusterState, pod: Mapping[str, Any]) -> tuple[str | None, dict[str, str]]:
    """Why the pod's volumes are not ready (None: they are), and the containers' configuration errors."""
    ns = pod["metadata"]["namespace"]
    volume_problem: str | None = None
    for v in pod["spec"].get("volumes") or ():
        pvc = v.get("persistentVolumeClaim")
        if pvc is not None:
            pv = _claim_volume(state, ns, str(pvc.get("claimName", "")))
            if pv is None:
                volume_problem = f"unbound PersistentVolumeClaim {pvc.get('claimName', '')!r}"
            elif _multi_attached(state, pod, pv):
                volume_problem = (f'Multi-Attach error for volume "{pv["metadata"]["name"]}" Volume is already used '
                                  "by pod(s) on another node")
            continue
        _files, err = volume_files(state, ns, v)
        if err:
            volume_problem = f'MountVolume.SetUp failed for volume "{v.get("name", "")}" : {err}'
    config: dict[str, str] = {}
    for c in (*(pod["spec"].get("initContainers") or ()), *(pod["spec"].get("containers") or ())):
        _env, err = resolve_env(state, pod, c)
        if err:
            config[str(c["name"])] = err
    return volume_problem, config


def kubelet_gate(state: ClusterState, pod: FrozenDict, status: FrozenDict) -> tuple[ClusterState, FrozenDict | None]:
    """Called by the kubelet for an admitted pod before it starts containers: None when they may start (the
    environment and ``subPath`` files are fixed and volume tokens written, once per pod), else the status
    the pod waits with (``status`` itself when nothing changes)."""
    spec = pod["spec"]
    if not _needs_gate(spec):
        return state, None
    md = pod["metadata"]
    started = _env_map(state, _STARTED)
    if md["uid"] in started:
        return state, None
    volume_problem, config = _blockers(state, pod)
    key = (md["namespace"], md["name"])
    blocked = _env_map(state, _BLOCKED)
    if volume_problem is not None or config:
        if blocked.get(key) != spec.get("nodeName"):
            state = _set(state, _BLOCKED, blocked.set(key, spec.get("nodeName")))
        return state, _waiting_status(pod, status, volume_problem, config)
    if key in blocked:
        state = _set(state, _BLOCKED, blocked.delete(key))
    return _start(state, pod), None


def _waiting_status(pod: FrozenDict, status: FrozenDict, volume_problem: str | None,
                    config: Mapping[str, str]) -> FrozenDict:
    statuses = []
    for c in pod["spec"].get("containers") or ():
        name = c["name"]
        waiting: dict[str, Any] = {"reason": "ContainerCreating"}
        if volume_problem is None and name in config:
            waiting = {"reason": "CreateContainerConfigError", "message": config[name]}
        statuses.append({"name": name, "image": c.get("image", ""), "imageID": "", "ready": False, "restartCount": 0,
                         "started": False, "state": {"waiting": waiting}})
    new = freeze(statuses)
    if status.get("containerStatuses") == new and status.get("phase") == "Pending":
        return status
    out = dict(status)
    out["containerStatuses"] = new
    out["phase"] = "Pending"
    return FrozenDict(out)


def _start(state: ClusterState, pod: FrozenDict) -> ClusterState:
    """The containers start: their environment and ``subPath`` files are fixed; the pod writes its token to
    every claim it mounts read-write."""
    md, spec = pod["metadata"], pod["spec"]
    ns = md["namespace"]
    volumes = {v.get("name"): v for v in spec.get("volumes") or ()}
    per_container: dict[str, Any] = {}
    written: set[str] = set()
    for c in (*(spec.get("initContainers") or ()), *(spec.get("containers") or ())):
        env, _ = resolve_env(state, pod, c)
        subpaths: dict[str, Any] = {}
        for m in c.get("volumeMounts") or ():
            v = volumes.get(m.get("name")) or EMPTY
            pvc = v.get("persistentVolumeClaim")
            if pvc is not None:
                if not m.get("readOnly") and not pvc.get("readOnly"):
                    written.add(str(pvc.get("claimName", "")))
                continue
            if m.get("subPath"):
                files, _ = volume_files(state, ns, v)
                if m["subPath"] in files:
                    subpaths[str(m["mountPath"])] = files[m["subPath"]]
        per_container[str(c["name"])] = {"env": env, "subpaths": subpaths}
    state = _set(state, _STARTED, _env_map(state, _STARTED).set(md["uid"], freeze(per_container)))
    attached = _env_map(state, _ATTACHED)
    names = []
    for v in spec.get("volumes") or ():
        pvc = v.get("persistentVolumeClaim")
        pv = None if pvc is None else _claim_volume(state, ns, str(pvc.get("claimName", "")))
        if pv is not None:
            name = pv["metadata"]["name"]
            names.append(name)
            attached = attached.set(name, (attached.get(name) or _NO_MAP).set(md["uid"], spec.get("nodeName")))
    if names:
        state = _set(_set(state, _ATTACHED, attached), _POD_VOLUMES, _env_map(state, _POD_VOLUMES).set(md["uid"], tuple(names)))
    data = _env_map(state, _DATA)
    token = f"{ns}/{md['name']}@{md['uid']}"
    for claim in sorted(written):
        pv = _claim_volume(state, ns, claim)
        if pv is not None:
            name = pv["metadata"]["name"]
            data = data.set(name, (*(data.get(name) or ()), token))
    return _set(state, _DATA, data)


def wake_blocked(state: ClusterState, namespace: str) -> ClusterState:
    """Something pods of ``namespace`` may wait for changed: their kubelets look again."""
    blocked = _env_map(state, _BLOCKED)
    if not blocked:
        return state
    return state.enqueue_many([("kubelet", f"{ns}/{pod}") for (ns, pod), node in sorted(blocked.items())
                               if ns == namespace and node])


def drop_data(state: ClusterState, volume: str) -> ClusterState:
    """The volume was deleted or scrubbed: its data is gone."""
    data = _env_map(state, _DATA)
    return _set(state, _DATA, data.delete(volume)) if volume in data else state


def volume_data(state: ClusterState, volume: str) -> tuple[str, ...]:
    """The content tokens a PersistentVolume holds (pods that mounted it read-write wrote them)."""
    return tuple(_env_map(state, _DATA).get(volume) or ())


# ---------------------------------------------------------------------------------------------
# the view
# ---------------------------------------------------------------------------------------------
def container_view(state: ClusterState, namespace: str, pod: str, container: str) -> dict[str, Any] | None:
    """What a process in ``container`` of ``pod`` sees: ``env`` (fixed at start), ``files`` (mount path ->
    content: ConfigMap/Secret/projected volumes as they are now, ``subPath`` files as they were at start), their
    ``modes`` and ``data`` (mount path -> the content tokens of the claimed volume). None while the container has not
    started (or the pod or container does not exist)."""
    obj = state.get("Pod", namespace, pod)
    if obj is None:
        return None
    started = _env_map(state, _STARTED).get(obj["metadata"]["uid"])
    spec = obj["spec"]
    containers = (*(spec.get("initContainers") or ()), *(spec.get("containers") or ()))
    c = next((x for x in containers if x.get("name") == container), None)
    if c is None:
        return None
    if started is None:
        if _needs_gate(spec) or not _running(obj, container):
            return None
        env, _ = resolve_env(state, obj, c)
        snapshot: Any = freeze({"env": env, "subpaths": {}})
    else:
        snapshot = started.get(container)
        if snapshot is None:
            return None
    volumes = {v.get("name"): v for v in spec.get("volumes") or ()}
    files: dict[str, str | bytes] = {}
    modes: dict[str, int] = {}
    data: dict[str, tuple[str, ...]] = {}
    for m in c.get("volumeMounts") or ():
        v = volumes.get(m.get("name")) or EMPTY
        path = str(m.get("mountPath", "")).rstrip("/")
        pvc = v.get("persistentVolumeClaim")
        if pvc is not None:
            pv = _claim_volume(state, namespace, str(pvc.get("claimName", "")))
            data[path] = volume_data(state, pv["metadata"]["name"]) if pv is not None else ()
            continue
        if m.get("subPath"):
            if path in snapshot["subpaths"]:
                files[path] = snapshot["subpaths"][path]
                modes[path] = file_modes(v, (m["subPath"],))[m["subPath"]]
            continue
        current, _ = volume_files(state, namespace, v)
        for rel, mode in file_modes(v, current).items():
            files[f"{path}/{rel}"] = current[rel]
            modes[f"{path}/{rel}"] = mode
    return {"env": thaw(snapshot["env"]), "files": dict(sorted(files.items())), "modes": dict(sorted(modes.items())),
            "data": dict(sorted(data.items()))}


def _running(pod: Mapping[str, Any], container: str) -> bool:
    for cs in (pod.get("status") or EMPTY).get("containerStatuses") or ():
        if cs.get("name") == container:
            return "running" in (cs.get("state") or EMPTY)
    return False


def forget_pod(state: ClusterState, uid: str) -> ClusterState:
    """A pod is gone: its start record goes (its tokens stay with the volumes), and so do its ReadWriteOnce
    attachments, so the pods that waited for one of its volumes on another node look again."""
    started = _env_map(state, _STARTED)
    if uid not in started:
        return state
    state = _set(state, _STARTED, started.delete(uid))
    volumes = _env_map(state, _POD_VOLUMES).get(uid)
    if not volumes:
        return state
    attached = _env_map(state, _ATTACHED)
    for name in volumes:
        pods = attached.get(name)
        if pods is not None and uid in pods:
            rest = pods.delete(uid)
            attached = attached.set(name, rest) if len(rest) else attached.delete(name)
    state = _set(_set(state, _ATTACHED, attached), _POD_VOLUMES, _env_map(state, _POD_VOLUMES).delete(uid))
    blocked = _env_map(state, _BLOCKED)
    return state.enqueue_many([("kubelet", f"{ns}/{pod}") for (ns, pod), node in sorted(blocked.items()) if node])
