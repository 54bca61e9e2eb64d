"""Invariants of storage and configuration (rules PV-4, PV-6, PV-8, PV-9, CM-1, CM-3).

Claims and volumes are read from the objects any adapter reports. Volume data tokens and what a container
sees are not in the API: those two invariants need the ``container-view`` capability (the model adapter
has it, through :func:`refmodel.volumes.container_view` and :func:`refmodel.volumes.volume_data`), and
are not applicable elsewhere. The expected file contents are computed here from the ConfigMap and Secret
objects, independently of the model's projection code.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from ..view import StateView, View
from . import Context, Invariant, Step, Verdict
from ._helpers import memory_bytes, name_of

__all__ = ["INVARIANTS", "held_by_storage", "protected_in_use", "unschedulable_for_volumes"]

PVC = "PersistentVolumeClaim"
PV = "PersistentVolume"
Obj = Mapping[str, Any]


def _request(claim: Obj) -> int | None:
    value = (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
    return None if value is None else memory_bytes(value)


def _capacity(claim: Obj) -> int:
    value = ((claim.get("status") or {}).get("capacity") or {}).get("storage")
    return 0 if value is None else memory_bytes(value)


def _same(before: View, obj: Obj, kind: str) -> Obj | None:
    """``obj``'s previous version in ``before`` (the same uid), or None."""
    md = obj["metadata"]
    old = before.get(kind, md.get("namespace") or "", md["name"])
    if old is None or old["metadata"].get("uid") != md.get("uid"):
        return None
    return old


# ---- claims ------------------------------------------------------------------------------------
def claim_requests_never_shrink(step: Step, ctx: Context) -> Verdict:
    if step.before.version(PVC) is step.after.version(PVC):
        return 0, []
    n, bad = 0, []
    for claim in step.after.objects(PVC):
        old = _same(step.before, claim, PVC)
        if old is None:
            continue
        was, now = _request(old), _request(claim)
        if was is None or now is None:
            continue
        n += 1
        # the one shrink upstream admits (RecoverVolumeExpansionFailure): back towards a size still above
        # what the volume was given, while an expansion is pending
        if now < was and now <= _capacity(old):
            bad.append(f"{name_of(claim)}: spec.resources.requests.storage went from {was} to {now} bytes, but a "
                       f"claim's request never shrinks to its granted capacity ({_capacity(old)}) or below "
                       f"[after {step.event}]")
    return n, bad


def bound_claims_stay_bound(step: Step, ctx: Context) -> Verdict:
    if step.before.version(PVC) is step.after.version(PVC):
        return 0, []
    n, bad = 0, []
    for old in step.before.objects(PVC):
        if (old.get("status") or {}).get("phase") != "Bound":
            continue
        md = old["metadata"]
        claim = step.after.get(PVC, md.get("namespace") or "", md["name"])
        if claim is None or claim["metadata"].get("uid") != md.get("uid"):
            continue
        n += 1
        volume = old["spec"].get("volumeName")
        phase = (claim.get("status") or {}).get("phase")
        if claim["spec"].get("volumeName") != volume:
            bad.append(f"{name_of(claim)}: bound to volume {claim['spec'].get('volumeName')!r}, but was bound to "
                       f"{volume!r} and a bound claim stays bound to its volume [after {step.event}]")
        elif phase != "Bound" and not (phase == "Lost" and step.after.get(PV, "", str(volume)) is None):
            bad.append(f"{name_of(claim)}: phase {phase}, but it was Bound to {volume!r}, which "
                       f"{'still exists' if step.after.get(PV, '', str(volume)) is not None else 'is gone'}: it "
                       f"stays Bound (Lost only when its volume is gone) [after {step.event}]")
    return n, bad


def read_write_once_pod_claims_have_one_pod(view: View, ctx: Context) -> Verdict:
    modes = {}
    for claim in view.objects(PVC):
        if "ReadWriteOncePod" in ((claim.get("spec") or {}).get("accessModes") or ()):
            modes[(claim["metadata"].get("namespace") or "", claim["metadata"]["name"])] = claim
    if not modes:
        return 0, []
    users: dict[tuple[str, str], list[str]] = {}
    for pod in view.objects("Pod"):
        if not pod["spec"].get("nodeName") or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        ns = pod["metadata"].get("namespace") or ""
        for v in pod["spec"].get("volumes") or ():
            key = (ns, ((v.get("persistentVolumeClaim") or {}).get("claimName") or ""))
            if key in modes:
                users.setdefault(key, []).append(pod["metadata"]["name"])
    bad = [f"{name_of(modes[key])} (ReadWriteOncePod) is used by pods {sorted(pods)} bound to nodes, but by at "
           "most one pod" for key, pods in sorted(users.items()) if len(pods) > 1]
    return len(users), bad


def held_by_storage(view: View, pod: Obj) -> bool:
    """Whether the pod's volumes or configuration keep it from starting (PV-9, CM-6), as the objects show: a
    claim missing or not Bound, a ReadWriteOnce volume in use on another node, a non-optional ConfigMap,
    Secret or key that does not exist."""
    ns = pod["metadata"].get("namespace") or ""
    node = pod["spec"].get("nodeName")
    for v in pod["spec"].get("volumes") or ():
        ref = v.get("persistentVolumeClaim")
        if ref is not None:
            claim = view.get(PVC, ns, ref.get("claimName") or "")
            if claim is None or (claim.get("status") or {}).get("phase") != "Bound":
                return True
            pv = view.get(PV, "", claim["spec"].get("volumeName") or "")
            if pv is None:
                return True
            if set((pv.get("spec") or {}).get("accessModes") or ()) == {"ReadWriteOnce"} and any(
                    o["spec"].get("nodeName") not in (None, "", node) and o["metadata"].get("uid") != pod["metadata"].get("uid")
                    and (o.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                    and any((w.get("persistentVolumeClaim") or {}).get("claimName") == ref.get("claimName")
                            for w in o["spec"].get("volumes") or ())
                    for o in view.objects("Pod", ns)):
                return True
        for field, kind, name_key in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "secretName")):
            src = v.get(field)
            if src is not None and not src.get("optional") and view.get(kind, ns, src.get(name_key) or "") is None:
                return True
    for c in (*(pod["spec"].get("initContainers") or ()), *(pod["spec"].get("containers") or ())):
        for e in c.get("env") or ():
            source = e.get("valueFrom") or {}
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                ref = source.get(field)
                if ref is None or ref.get("optional"):
                    continue
                obj = view.get(kind, ns, ref.get("name") or "")
                keys = set() if obj is None else {*(obj.get("data") or {}), *(obj.get("binaryData") or {})}
                if ref.get("key") not in keys:
                    return True
        for e in c.get("envFrom") or ():
            for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                ref = e.get(field)
                if ref is not None and not ref.get("optional") and view.get(kind, ns, ref.get("name") or "") is None:
                    return True
    return False


def unschedulable_for_volumes(view: View, pod: Obj) -> bool:
    """Whether the pod's claims keep the scheduler from placing it (PV-2, PV-9): a claim missing, being
    deleted or not Bound, a bound volume with node affinity (it limits the nodes), or a ReadWriteOncePod claim
    another bound pod uses."""
    ns = pod["metadata"].get("namespace") or ""
    for v in pod["spec"].get("volumes") or ():
        ref = v.get("persistentVolumeClaim")
        if ref is None:
            continue
        name = ref.get("claimName") or ""
        claim = view.get(PVC, ns, name)
        if claim is None or claim["metadata"].get("deletionTimestamp") or (
                (claim.get("status") or {}).get("phase") != "Bound"):
            return True
        pv = view.get(PV, "", claim["spec"].get("volumeName") or "")
        if pv is None or (pv.get("spec") or {}).get("nodeAffinity"):
            return True
        if "ReadWriteOncePod" in ((claim.get("spec") or {}).get("accessModes") or ()) and any(
                o["spec"].get("nodeName") and (o.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                and any((w.get("persistentVolumeClaim") or {}).get("claimName") == name
                        for w in o["spec"].get("volumes") or ())
                for o in view.objects("Pod", ns)):
            return True
    return False


def protected_in_use(view: View, obj: Obj) -> bool:
    """A deleted claim a pod still uses, or a deleted volume still Bound, waits for its protection finalizer
    (PV-9)."""
    finalizers = obj["metadata"].get("finalizers") or ()
    if obj.get("kind") == PVC and "kubernetes.io/pvc-protection" in finalizers:
        ns, name = obj["metadata"].get("namespace") or "", obj["metadata"]["name"]
        return any((p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
                   and any((v.get("persistentVolumeClaim") or {}).get("claimName") == name
                           for v in p["spec"].get("volumes") or ())
                   for p in view.objects("Pod", ns))
    if obj.get("kind") == PV and "kubernetes.io/pv-protection" in finalizers:
        return (obj.get("status") or {}).get("phase") == "Bound"
    return False


# ---- model-only: volume data and container views -------------------------------------------------
def _state(view: View) -> Any:
    return view.state if isinstance(view, StateView) else None


def volume_data_is_kept(step: Step, ctx: Context) -> Verdict:
    from refmodel import volumes

    before, after = _state(step.before), _state(step.after)
    if before is None or after is None:
        return 0, []
    n, bad = 0, []
    for pv in step.before.objects(PV):
        old_tokens = volumes.volume_data(before, pv["metadata"]["name"])
        if not old_tokens:
            continue
        now = step.after.get(PV, "", pv["metadata"]["name"])
        if now is None or now["metadata"].get("uid") != pv["metadata"].get("uid"):
            continue
        if (now.get("status") or {}).get("phase") == "Available" and (pv.get("spec") or {}).get("claimRef") and not (
                (now.get("spec") or {}).get("claimRef")):
            continue  # Recycle scrubs a released volume (PV-6): its data goes with the scrub
        n += 1
        kept = set(volumes.volume_data(after, pv["metadata"]["name"]))
        lost = [t for t in old_tokens if t not in kept]
        if lost:
            bad.append(f"{name_of(pv)}: data tokens {lost} are gone, but a volume keeps its data while it exists "
                       f"[after {step.event}]")
    return n, bad


def _decoded(value: Any) -> Any:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (ValueError, binascii.Error):
        return b""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _expected_files(view: View, ns: str, volume: Obj) -> dict[str, Any] | None:
    """CM-2 restated: the files a ConfigMap or Secret volume shows now (None: a kind this check ignores)."""
    if volume.get("configMap") is not None:
        src, kind = volume["configMap"], "ConfigMap"
        obj = view.get(kind, ns, src.get("name") or "")
        data = {} if obj is None else {**{k: str(v) for k, v in (obj.get("data") or {}).items()},
                                       **{k: _decoded(v) for k, v in (obj.get("binaryData") or {}).items()}}
    elif volume.get("secret") is not None:
        src, kind = volume["secret"], "Secret"
        obj = view.get(kind, ns, src.get("secretName") or "")
        data = {} if obj is None else {k: _decoded(v) for k, v in (obj.get("data") or {}).items()}
    else:
        return None
    if not src.get("items"):
        return data
    return {str(i.get("path")): data[i.get("key")] for i in src["items"] if i.get("key") in data}


def _config_sources(pod: Obj) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for c in pod["spec"].get("containers") or ():
        for e in c.get("env") or ():
            ref = (e.get("valueFrom") or {})
            if ref.get("configMapKeyRef"):
                out.add(("ConfigMap", ref["configMapKeyRef"].get("name") or ""))
            if ref.get("secretKeyRef"):
                out.add(("Secret", ref["secretKeyRef"].get("name") or ""))
        for e in c.get("envFrom") or ():
            if e.get("configMapRef"):
                out.add(("ConfigMap", e["configMapRef"].get("name") or ""))
            if e.get("secretRef"):
                out.add(("Secret", e["secretRef"].get("name") or ""))
    for v in pod["spec"].get("volumes") or ():
        if v.get("configMap"):
            out.add(("ConfigMap", v["configMap"].get("name") or ""))
        if v.get("secret"):
            out.add(("Secret", v["secret"].get("secretName") or ""))
    return out


def config_updates_reach_volumes_not_env(step: Step, ctx: Context) -> Verdict:
    from refmodel import volumes

    before, after = _state(step.before), _state(step.after)
    if before is None or after is None:
        return 0, []
    if step.before.version("ConfigMap") is step.after.version("ConfigMap") and (
            step.before.version("Secret") is step.after.version("Secret")):
        return 0, []
    n, bad = 0, []
    for pod in step.after.objects("Pod"):
        old = _same(step.before, pod, "Pod")
        if old is None:
            continue
        ns = pod["metadata"].get("namespace") or ""
        changed = [src for src in sorted(_config_sources(pod))
                   if step.before.get(src[0], ns, src[1]) != step.after.get(src[0], ns, src[1])]
        if not changed:
            continue
        volumes_by_name = {v.get("name"): v for v in pod["spec"].get("volumes") or ()}
        for c in pod["spec"].get("containers") or ():
            was = volumes.container_view(before, ns, pod["metadata"]["name"], c["name"])
            now = volumes.container_view(after, ns, pod["metadata"]["name"], c["name"])
            if was is None or now is None:
                continue
            n += 1
            where = f"{name_of(pod)} container {c['name']} [after {step.event}, which changed {changed}]"
            if now["env"] != was["env"]:
                bad.append(f"{where}: environment became {now['env']}, but it was {was['env']} and stays as it "
                           "was at container start")
            for m in c.get("volumeMounts") or ():
                if m.get("subPath"):
                    continue
                want = _expected_files(step.after, ns, volumes_by_name.get(m.get("name")) or {})
                if want is None:
                    continue
                base = str(m.get("mountPath") or "").rstrip("/")
                got = {p[len(base) + 1:]: v for p, v in now["files"].items() if p.startswith(base + "/")}
                if got != want:
                    bad.append(f"{where}: files under {base} are {got}, but should be the current {want}")
    return n, bad


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("a claim's requested size never shrinks", ("PV-8",), "transition", claim_requests_never_shrink,
              intermediate=True, changes=(PVC,)),
    Invariant("a bound claim stays bound to the same volume", ("PV-4",), "transition", bound_claims_stay_bound,
              intermediate=True, changes=(PVC,)),
    Invariant("one ReadWriteOncePod claim is used by at most one pod", ("PV-9",), "state",
              read_write_once_pod_claims_have_one_pod, intermediate=True, reads=(PVC, "Pod")),
    Invariant("no data token is lost while its volume exists", ("PV-6",), "transition", volume_data_is_kept,
              needs=frozenset({"container-view"}), intermediate=True),
    Invariant("a ConfigMap update reaches volume views and never env views", ("CM-1", "CM-3"), "transition",
              config_updates_reach_volumes_not_env, needs=frozenset({"container-view"}), intermediate=True),
)
