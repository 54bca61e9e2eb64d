"""The shared manifest corpus (``../shared/manifests``): real manifests written by others.

* every file in ``valid/`` loads, every object is accepted (created into a fresh cluster, with the
  namespaces it names but does not define, and with its companion files as SOURCES.md groups them),
  re-applying it is accepted too, and the cluster then converges;
* every file holding storage or configuration kinds converges with what a user adds beside it
  (PREREQUISITES): every claim Bound to a volume that names it (or Pending where upstream keeps it so,
  with its event: STAYS_PENDING), every pod Running and Ready, every StatefulSet fully Ready;
* every file in ``invalid/`` is rejected at the stage and with the field/error text that SOURCES.md's
  reason gives (the expectations below are written from those reasons, decided as upstream v1.32 decides
  with kubectl's default ``--validate=strict`` and ``create`` semantics).

Decoding and validation are the API server's (``k8s.io/apiserver`` strict decoding,
``pkg/apis/*/validation``); kubectl's client-side parts are ``sigs.k8s.io/yaml`` (duplicate keys) and
``kind: List`` unwrapping.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import attrs
import door
import pytest

import refmodel as rm
from refmodel.controllers import statefulset as ssc
from refmodel.errors import Rejection
from refmodel.frozen import freeze
from refmodel.provisioners import PROVISIONERS, InMemoryProvisioner
from refmodel.resources import lookup
from refmodel.resources.schema import structural_errors

Obj = dict[str, Any]

# Files SOURCES.md says belong together (companions are applied into the same cluster).
GROUPS: tuple[tuple[str, ...], ...] = (
    ("k8s-website__mysql-configmap.yaml", "k8s-website__mysql-services.yaml", "k8s-website__mysql-statefulset.yaml",
     "k8s-website__mysql-pv.yaml"),
    ("k8s-website__frontend.yaml", "k8s-website__pod-rs.yaml"),
    ("k8s-examples__azure-pv.yaml", "k8s-examples__azure-pvc.yaml"),
    ("k8s-examples__nfs-pv.yaml", "k8s-examples__nfs-pvc.yaml"),
    ("k8s-examples__pv.yaml", "k8s-examples__pvc.yaml", "k8s-examples__deployment.yaml", "k8s-examples__service.yaml"),
    ("k8s-examples__cassandra-service.yaml", "k8s-examples__cassandra-statefulset.yaml"),
    ("k8s-examples__minio-distributed-headless-service.yaml", "k8s-examples__minio-distributed-service.yaml",
     "k8s-examples__minio-distributed-statefulset.yaml"),
    ("voting-app__db-deployment.yaml", "voting-app__db-service.yaml", "voting-app__redis-deployment.yaml",
     "voting-app__redis-service.yaml", "voting-app__result-deployment.yaml", "voting-app__result-service.yaml",
     "voting-app__vote-deployment.yaml", "voting-app__vote-service.yaml", "voting-app__worker-deployment.yaml"),
    ("nfs-subdir__class.yaml", "nfs-subdir__deployment.yaml", "nfs-subdir__test-claim.yaml",
     "nfs-subdir__test-pod.yaml"),
    ("local-path__local-path-storage.yaml", "local-path__pod-with-security-context.yaml", "local-path__pod.yaml",
     "local-path__pvc-rwop.yaml", "local-path__pvc.yaml", "local-path__sts.yaml"),
)

# Files in valid/ that upstream v1.32 nevertheless rejects: (field, fragment, why).
UPSTREAM_REJECTS_VALID: dict[str, tuple[str, str, str]] = {
    "kubectl-validate__configmap.yaml": (
        "metadata.finalizers[0]", "name is neither a standard finalizer name nor is it fully qualified",
        "kubectl-validate checks only the OpenAPI schema; the API server's ValidateObjectMeta "
        "(pkg/apis/core/validation validateKubeFinalizerName) rejects an unprefixed, non-standard finalizer",
    ),
}


@attrs.frozen
class Expect:
    """One expected rejection: the stage, an error fragment and (for field errors) the field path."""

    fragment: str
    field: str | None = None
    stage: str = "write"  # "load" (kubectl cannot read the file) or "write" (the API server rejects)
    obj: str | None = None  # "Kind/name" of the rejected object when a file has several


# SOURCES.md's reasons, as the expected upstream answer.
INVALID: dict[str, list[Expect]] = {
    "datree__47-fail.yaml": [Expect("`selector` does not match template `labels`", "spec.template.metadata.labels")],
    # strict decoding runs first: the mis-indented keys are unknown fields of spec
    "datree__54-fail-2.yaml": [Expect('unknown field "spec.matchLabels"', "spec.matchLabels")],
    "datree__60-fail.yaml": [Expect("a lowercase RFC 1123 subdomain", "metadata.name")],
    "datree__invalid-kind.yaml": [Expect('no matches for kind "Serviceee" in version "v1"')],
    "datree__invalidK8sSchema.yaml": [Expect("Object 'apiVersion' is missing")],
    "datree__k8s-demo.yaml": [Expect('Invalid value: "--"', "metadata.labels")],
    "k8s-examples__storageclass-managed-hdd.yaml": [
        Expect('no matches for kind "StorageClass" in version "storage.k8s.io/v1beta1"')],
    "k8s-kubernetes__appsv1deployment-no-selectors.yaml": [Expect("Required value", "spec.selector")],
    "k8s-kubernetes__busybox-broken.yaml": [Expect("Object 'Kind' is missing")],
    "k8s-kubernetes__extensionsdeployment.yaml": [
        Expect('no matches for kind "Deployment" in version "extensions/v1beta1"')],
    "k8s-kubernetes__invalid-deployment-unknown-and-duplicate-fields.yaml": [
        Expect('key "replicas" already set in map', stage="load")],
    "k8s-kubernetes__invalid-pod.yaml": [Expect("Required value", "spec.containers[0].name")],
    "k8s-kubernetes__nginx-broken.yaml": [Expect("Object 'Kind' is missing")],
    "k8s-kubernetes__nginx-statefulset.yaml": [
        Expect('no matches for kind "StatefulSet" in version "apps/v1beta1"', obj="StatefulSet/nginx")],
    "k8s-kubernetes__replicaset-frontend.yaml": [
        Expect('no matches for kind "ReplicaSet" in version "extensions/v1beta1"')],
    "k8s-website__dual-stack-ipv6-lb-svc.yaml": [Expect('strict decoding error: unknown field "spec.ipFamily"',
                                                        "spec.ipFamily")],
    "k8s-website__tls-auth-secret.yaml": [Expect("illegal base64 data at input byte 7", "data[tls.crt]")],
    "krane__bad_secret.yaml": [Expect("illegal base64 data at input byte 4", "data[username]")],
    "krane__missing_kind.yaml": [Expect("Object 'Kind' is missing")],
    "krane__yaml-error.yaml": [Expect("mapping values are not allowed", stage="load")],
    # Upstream reports a missing Service port as port 0 outside 1-65535 (the corpus' own checker said "Required")
    "kube-linter__invalid-target-ports.yaml": [
        Expect("must be between 1 and 65535, inclusive", "spec.ports[0].port", obj="Service/invalid-target-ports"),
        Expect("Required value", "spec.ports[0].name", obj="Service/invalid-target-ports"),
        Expect("must be between 1 and 65535, inclusive", "spec.ports[2].targetPort",
               obj="Service/invalid-target-ports"),
        Expect("must be no more than 15 characters", "spec.ports[3].targetPort", obj="Service/invalid-target-ports"),
        Expect("Required value", "spec.ports", obj="Service/empty-ports"),
        Expect("Required value", "spec.selector", obj="Deployment/invalid-target-ports"),
        Expect("Required value", "spec.template.spec.containers[0].image", obj="Deployment/invalid-target-ports"),
        Expect("must be between 1 and 65535, inclusive", "spec.template.spec.containers[0].ports[2].containerPort",
               obj="Deployment/invalid-target-ports"),
        Expect("must be no more than 15 characters", "spec.template.spec.containers[0].ports[1].name",
               obj="Deployment/invalid-target-ports"),
        Expect("Required value", "spec.selector", obj="Deployment/empty-ports"),
        Expect("Required value", "spec.selector", obj="Deployment/no-target-port"),
    ],
    "kube-linter__malformed-invalid.yaml": [Expect("error parsing YAML", stage="load")],
    "kube-linter__mismatching-selector.yaml": [
        Expect("`selector` does not match template `labels`", "spec.template.metadata.labels", obj="Deployment/app1"),
        Expect("Required value", "spec.template.spec.containers[0].image", obj="Deployment/dont-fire"),
        Expect('no matches for kind "DeploymentConfig" in version "apps.openshift.io/v1"',
               obj="DeploymentConfig/app2"),
    ],
    "kubeconform__duplicates-non-namespaced.yaml": [Expect('persistentvolumes "pv0003" already exists')],
    "kubeconform__missing_apiversion.yaml": [Expect("Object 'apiVersion' is missing")],
    "kubeconform__missing_kind.yaml": [Expect("Object 'Kind' is missing")],
    "kubeconform__multi_invalid.yaml": [Expect("must be of type integer", "spec.ports[0].port",
                                               obj="Service/redis-master")],
    "kubectl-validate__error_array_instead_of_map.yaml": [Expect('data in body must be of type object: "array"',
                                                                 "data")],
    "kubectl-validate__error_enum_invalid.yaml": [
        Expect('Unsupported value: "udp": supported values: "SCTP", "TCP", "UDP"',
               "spec.containers[0].ports[0].protocol")],
    "kubectl-validate__error_indentation.yaml": [Expect('unknown field "containers"', "containers")],
    "kubectl-validate__error_invalid_kind.yaml": [Expect('no matches for kind "configmap" in version "v1"')],
    "kubectl-validate__error_invalid_label.yaml": [Expect('Invalid value: "_": a valid label must be an empty string',
                                                          "metadata.labels")],
    "kubectl-validate__error_invalid_name.yaml": [Expect("a lowercase RFC 1123 subdomain", "metadata.name")],
    "kubectl-validate__error_invalid_protocol_type.yaml": [
        Expect('in body must be of type string: "integer"', "spec.containers[0].ports[0].protocol")],
    "kubectl-validate__error_map_instead_of_array.yaml": [Expect("must be of type array", "metadata.finalizers")],
    "kubectl-validate__error_missing_image.yaml": [Expect("Required value", "spec.containers[0].image")],
    "kubectl-validate__error_missing_name.yaml": [Expect("name or generateName is required", "metadata.name")],
    "kubectl-validate__error_misspelled_key.yaml": [Expect('unknown field "spec.contAIN3rz"', "spec.contAIN3rz")],
    "kubectl-validate__error_multiple_fields.yaml": [Expect('key "containers" already set in map', stage="load")],
    "kubectl-validate__error_multiple_resources_one_invalid.yaml": [
        Expect('unknown field "spec.contAIN3rz"', "spec.contAIN3rz", obj="Pod/nginx-pod")],
    "kubectl-validate__error_name_exceeds_max_length.yaml": [Expect("must be no more than 253 characters",
                                                                    "metadata.name")],
    "kubectl-validate__error_quantity.yaml": [Expect('must be of type string: "boolean"',
                                                     "spec.containers[0].resources.requests[cpu]")],
}

# Objects in invalid/ files that SOURCES.md says are valid by themselves ("Kind/name").
ALSO_ACCEPTED: dict[str, set[str]] = {
    "k8s-kubernetes__nginx-statefulset.yaml": {"Service/nginx"},
    "kube-linter__invalid-target-ports.yaml": {"Service/no-target-port"},
    "kubeconform__multi_invalid.yaml": {"Service/redis-slave", "Service/frontend", "ReplicationController/redis-master",
                                        "ReplicationController/redis-slave", "ReplicationController/frontend"},
    "kubectl-validate__error_multiple_resources_one_invalid.yaml": {"Pod/nginx-pod#2"},
    "kubeconform__duplicates-non-namespaced.yaml": {"PersistentVolume/pv0003"},
}

# CONTESTED in SOURCES.md, decided as upstream's plain `kubectl create` does: a duplicate (containerPort,
# protocol) in a Pod is only a warning ("duplicate port definition"); validateContainerPorts checks names.
CONTESTED_ACCEPTED = {"kubectl-validate__error_x_list_map_duplicate_key.yaml"}


def _corpus_dir() -> Path | None:
    """Where the corpus is at collection time (the same places as conftest's ``manifests_dir`` fixture)."""
    env = os.environ.get("KUBEORACLE_MANIFESTS")
    here = Path(__file__).resolve().parents[1]
    for cand in ([Path(env)] if env else []) + [here.parent / "shared" / "manifests"]:
        if cand.is_dir():
            return cand
    return None


def _files(sub: str) -> list[str]:
    d = _corpus_dir()
    return sorted(p.name for p in (d / sub).glob("*.yaml")) if d is not None else []


def _label(obj: Obj) -> str:
    md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return f"{obj.get('kind')}/{md.get('name') or md.get('generateName') or ''}"


def _with_namespaces(state: rm.ClusterState, objs: list[Obj]) -> rm.ClusterState:
    """Create the namespaces the objects name but do not define (SOURCES.md: e.g. ``nginx-ns*``, ``test``)."""
    defined = {o["metadata"]["name"] for o in objs if o.get("kind") == "Namespace"}
    for o in objs:
        md = o.get("metadata")
        ns = md.get("namespace") if isinstance(md, dict) else None
        if ns and ns not in defined and state.get("Namespace", "", ns) is None:
            state = rm.apply_manifest(state, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    return state


@pytest.fixture(scope="module")
def base() -> rm.ClusterState:
    return rm.new_cluster(nodes=3)


def _load(manifests_dir: Path, sub: str, name: str) -> list[Obj]:
    return rm.load_manifests((manifests_dir / sub / name).read_text(encoding="utf-8"))


def _group_of(name: str) -> tuple[str, ...]:
    for group in GROUPS:
        if name in group:
            return group
    return (name,)


def test_corpus_counts(manifests_dir: Path) -> None:
    valid, invalid = _files("valid"), _files("invalid")
    assert len(valid) == 125 and len(invalid) == 43, f"valid={len(valid)}, invalid={len(invalid)}, but SOURCES.md " \
                                                     "lists 125 and 43"
    missing = set(invalid) - set(INVALID) - CONTESTED_ACCEPTED
    assert not missing, f"invalid files without an expectation: {sorted(missing)}"


@pytest.mark.parametrize("name", _files("valid"))
def test_valid_file_is_accepted_and_converges(manifests_dir: Path, base: rm.ClusterState, name: str) -> None:
    group = _group_of(name)
    objs = [o for n in group for o in _load(manifests_dir, "valid", n)]
    own = _load(manifests_dir, "valid", name)
    if any(o.get("kind") == "StorageClass" and base.get("StorageClass", "", o["metadata"]["name"]) is not None
           for o in objs):  # a file defining the default class's name ("standard"): a cluster without it
        base = rm.new_cluster(nodes=3, config=rm.ClusterConfig(default_storage_class=""))
    state = _with_namespaces(base, objs)
    if name in UPSTREAM_REJECTS_VALID:
        field, fragment, _why = UPSTREAM_REJECTS_VALID[name]
        rejections = [door.create(state, copy.deepcopy(o)).rejection for o in own]
        assert any(r is not None and r.field == field and fragment in r.message for r in rejections), \
            f"{name}: got {[str(r) for r in rejections]}, but upstream rejects it: {fragment}"
        return
    for o in own:  # dry-run creates, with the namespaces the files define already there
        if o.get("kind") == "Namespace":
            assert rm.validate_manifest(state, o) is None, f"{name}: {_label(o)} rejected by a dry-run create"
    for o in objs:
        if o.get("kind") == "Namespace":
            state = rm.apply_manifest(state, o)
    for o in own:
        if o.get("kind") == "Namespace":
            continue
        rej = rm.validate_manifest(state, o)
        assert rej is None, f"{name}: {_label(o)} rejected by a dry-run create: {rej}, but should be valid"
    for o in sorted(objs, key=lambda o: o.get("kind") != "Namespace"):
        try:
            state = rm.apply_manifest(state, o)
        except rm.Invalid as exc:
            pytest.fail(f"{name}: applying {_label(o)} failed: {exc}, but it should be accepted")
    state = rm.converge(state)
    for o in objs:  # a second `kubectl apply` of the same files is accepted too (update validation)
        if not o["metadata"].get("generateName"):
            state = rm.apply_manifest(state, o)
    state = rm.converge(state)
    for o in own:
        info = lookup(o["kind"])
        md = o["metadata"]
        if info is None or not md.get("name"):
            continue
        ns = (md.get("namespace") or "default") if info.namespaced else ""
        assert state.get(info.kind, ns, md["name"]) is not None, f"{name}: {_label(o)} is gone after converge"


def _rejections(state: rm.ClusterState, objs: list[Obj]) -> tuple[dict[str, Rejection], set[str]]:
    """``kubectl create -f``: each document in turn; rejected ones are reported, the rest stay created."""
    rejected: dict[str, Rejection] = {}
    accepted: set[str] = set()
    seen: dict[str, int] = {}
    for o in objs:
        label = _label(o)
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label}#{seen[label]}"
        r = door.create(state, copy.deepcopy(o))
        if r.rejection is not None:
            rejected[label] = r.rejection
        else:
            accepted.add(label)
            state = r.state
    return rejected, accepted


@pytest.mark.parametrize("name", _files("invalid"))
def test_invalid_file_is_rejected(manifests_dir: Path, base: rm.ClusterState, name: str) -> None:
    if name in CONTESTED_ACCEPTED:
        objs = _load(manifests_dir, "invalid", name)
        rejected, _ = _rejections(_with_namespaces(base, objs), objs)
        assert not rejected, f"{name}: got {rejected}, but a plain create accepts it (only a warning upstream)"
        return
    expects = INVALID[name]
    if expects[0].stage == "load":
        with pytest.raises(rm.Invalid) as exc:
            _load(manifests_dir, "invalid", name)
        assert expects[0].fragment in str(exc.value), f"{name}: load error {exc.value}, but should say " \
                                                       f"{expects[0].fragment!r}"
        return
    objs = _load(manifests_dir, "invalid", name)
    rejected, accepted = _rejections(_with_namespaces(base, objs), objs)
    for e in expects:
        candidates = [r for label, r in rejected.items() if e.obj is None or label == e.obj]
        assert candidates, f"{name}: {e.obj or 'no object'} was rejected (accepted: {sorted(accepted)}), " \
                           f"but upstream rejects it with {e.fragment!r}"
        ok = [r for r in candidates
              if e.fragment in r.message and (e.field is None or any(c.field == e.field for c in r.causes))]
        assert ok, f"{name}: got {[r.message for r in candidates]}, but should report {e.fragment!r} at {e.field!r}"
    assert ALSO_ACCEPTED.get(name, set()) <= accepted, \
        f"{name}: accepted {sorted(accepted)}, but {sorted(ALSO_ACCEPTED[name])} are valid by themselves"


def test_unknown_and_duplicate_fields_without_the_duplicate(manifests_dir: Path, base: rm.ClusterState) -> None:
    # SOURCES.md: once decoded (last duplicate wins), strict validation names both unknown fields, sorted
    text = (manifests_dir / "invalid" / "k8s-kubernetes__invalid-deployment-unknown-and-duplicate-fields.yaml") \
        .read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("replicas:"))
    objs = rm.load_manifests("".join(lines[:first] + lines[first + 1:]))
    r = door.create(base, objs[0])
    assert r.rejection is not None
    want = 'unknown field "spec.baz"'
    assert r.rejection.message.index(want) < r.rejection.message.index('unknown field "spec.foo"'), \
        f"message={r.rejection.message!r}, but should list spec.baz then spec.foo"


def test_second_create_of_duplicate_pv_is_already_exists(manifests_dir: Path, base: rm.ClusterState) -> None:
    # kubeconform__duplicates-non-namespaced.yaml: `kubectl create -f` fails on the second copy, apply does not
    objs = _load(manifests_dir, "invalid", "kubeconform__duplicates-non-namespaced.yaml")
    rejected, _ = _rejections(base, objs)
    assert [r.reason for r in rejected.values()] == ["AlreadyExists"], f"got {rejected}"
    state = base
    for o in objs:
        state = rm.apply_manifest(state, o)
    assert rm.get(state, "PersistentVolume", "pv0003") is not None


def _checked(obj: Obj) -> tuple[list[str], Obj | None]:
    """Structural errors, or the decoded and defaulted object (for a kind with modelled validation)."""
    o = copy.deepcopy(obj)
    info = lookup(str(o.get("kind")))
    if info is None or not isinstance(o.get("apiVersion"), str):
        return ["unknown kind"], None
    errs = structural_errors(info.kind, o["apiVersion"], o)
    if errs or not info.modelled:
        return [str(e) for e in errs], None
    info.default(o)
    return [], o


@pytest.mark.parametrize("name", [f"valid/{n}" for n in _files("valid")] + [f"invalid/{n}" for n in _files("invalid")])
def test_frozen_input_validates_like_plain(manifests_dir: Path, name: str) -> None:
    # issue 7: as_list read a frozen list (a tuple) as empty, so a frozen object validated clean
    try:
        objs = rm.load_manifests((manifests_dir / name).read_text(encoding="utf-8"))
    except rm.Invalid:
        return
    compared = 0
    for obj in objs:
        _, decoded = _checked(obj)
        if decoded is None:
            continue
        info = lookup(decoded["kind"])
        assert info is not None
        plain = [str(e) for e in info.validate(copy.deepcopy(decoded))]
        frozen = [str(e) for e in info.validate(freeze(decoded))]
        assert frozen == plain, f"{name}: {_label(obj)}: frozen gives {frozen}, but plain gives {plain}"
        plain_up = [str(e) for e in info.validate_update(copy.deepcopy(decoded), copy.deepcopy(decoded))]
        frozen_up = [str(e) for e in info.validate_update(freeze(decoded), freeze(decoded))]
        assert frozen_up == plain_up, f"{name}: {_label(obj)}: frozen update gives {frozen_up}, plain {plain_up}"
        compared += 1
    if name.startswith("valid/"):
        assert compared or all(lookup(str(o.get("kind"))) is None or not lookup(str(o.get("kind"))).modelled
                               for o in objs), f"{name}: nothing compared"


def test_frozen_invalid_objects_still_rejected() -> None:
    # the seeded bug of issue 7: with tuples read as empty, these frozen objects validated clean
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "x", "ports": [{"containerPort": 0}]}]}}
    _, decoded = _checked(pod)
    assert decoded is not None
    info = lookup("Pod")
    assert info is not None
    errs = info.validate(freeze(decoded))
    assert any(e.field == "spec.containers[0].ports[0].containerPort" for e in errs), \
        f"got {[str(e) for e in errs]}, but a frozen pod with containerPort 0 is invalid"


# ---------------------------------------------------------------------------------------------
# storage and configuration: the corpus's claims bind and its pods become Ready (issue 11)
# ---------------------------------------------------------------------------------------------
# What a user applies beside a file that names objects no corpus file defines: written here, for a
# development cluster (minikube's provisioner serves a cloud's class name; the tutorial's generated
# Secret). Upstream leaves a claim of a missing class Pending ("storageclass ... not found") and a
# container whose Secret is missing waiting (CreateContainerConfigError), as the model does without these.
PREREQUISITES: dict[str, list[Obj]] = {
    "k8s-examples__simple-statefulset.yaml": [  # its claims ask for vSphere's "thin-disk" class
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "thin-disk"},
         "provisioner": "k8s.io/minikube-hostpath"}],
    "k8s-website__wordpress-deployment.yaml": [  # the tutorial's kustomization generates it
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "mysql-pass"},
         "stringData": {"password": "corpus-test-only"}}],
}
PREREQUISITES["k8s-website__wordpress-mysql-deployment.yaml"] = PREREQUISITES["k8s-website__wordpress-deployment.yaml"]

# Files one tutorial or fixture directory applies together that SOURCES.md does not group (beside GROUPS).
TUTORIALS: tuple[tuple[str, ...], ...] = (
    ("krane__pvc.yaml", "krane__wait_for_first_consumer_storage_class.yaml"),  # krane's test/fixtures/pvc/
    ("k8s-website__pv-volume.yaml", "k8s-website__pv-claim.yaml", "k8s-website__pv-pod.yaml"),
    ("k8s-website__wordpress-mysql-deployment.yaml", "k8s-website__wordpress-deployment.yaml"),
)

# Claims upstream v1.32 leaves Pending whatever the user adds, with the event that says why.
STAYS_PENDING: dict[str, tuple[str, str]] = {
    # WaitForFirstConsumer classes bind a claim only once a pod using it is scheduled; none does
    "default/with-storage-class": ("WaitForFirstConsumer", "waiting for first consumer to be created before binding"),
    "default/local-rwop-volume-pvc": ("WaitForFirstConsumer",
                                      "waiting for first consumer to be created before binding"),
    # DefaultStorageClass admission gives the claim the default class ("standard"); its pre-bound volume has
    # none, and checkVolumeSatisfyClaim refuses the pair (on a cluster without a default class it binds:
    # test_prebound_claim_without_a_class_binds_where_no_class_is_default)
    "default/my-model-pvc": ("VolumeMismatch", 'Cannot bind to requested volume "my-model-pv": storageClassName '
                                               "does not match"),
}

NFS_PROVISIONER = "k8s-sigs.io/nfs-subdir-external-provisioner"
_STORAGE_KINDS = {"StatefulSet", "PersistentVolume", "PersistentVolumeClaim", "StorageClass", "ConfigMap", "Secret"}


def _storage_files() -> list[str]:
    base = _corpus_dir()
    if base is None:
        return []
    return [n for n in _files("valid") if n not in UPSTREAM_REJECTS_VALID
            and {o.get("kind") for o in rm.load_manifests((base / "valid" / n).read_text(encoding="utf-8"))}
            & _STORAGE_KINDS]


def _applied_with(name: str) -> tuple[str, ...]:
    for group in (*GROUPS, *TUTORIALS):
        if name in group:
            return tuple(dict.fromkeys(n for g in (*GROUPS, *TUTORIALS) if set(g) & set(group) for n in g))
    return (name,)


def _warnings(state: rm.ClusterState, kind: str, ns: str, name: str) -> list[tuple[str, str]]:
    return [(e.get("reason", ""), e.get("message", "")) for e in rm.list_objects(state, "Event", namespace=ns)
            if (e.get("involvedObject") or {}).get("kind") == kind and (e.get("involvedObject") or {}).get("name") == name]


@pytest.mark.parametrize("name", _storage_files())
def test_storage_file_converges_claims_bound_pods_ready(manifests_dir: Path, name: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    files = _applied_with(name)
    objs = [o for n in files for o in _load(manifests_dir, "valid", n)]
    objs += [copy.deepcopy(o) for n in files for o in PREREQUISITES.get(n, [])]
    if any(o.get("kind") == "StorageClass" and o.get("provisioner") == NFS_PROVISIONER for o in objs):
        # the file's Deployment runs this provisioner (against an NFS server): the model's stands in for it
        monkeypatch.setitem(PROVISIONERS, NFS_PROVISIONER, InMemoryProvisioner(NFS_PROVISIONER))
    base = rm.new_cluster(nodes=3)
    if any(o.get("kind") == "StorageClass" and base.get("StorageClass", "", o["metadata"]["name"]) is not None
           for o in objs):  # a file defining the default class's name ("standard"): a cluster without it
        base = rm.new_cluster(nodes=3, config=rm.ClusterConfig(default_storage_class=""))
    state = _with_namespaces(base, objs)
    for o in sorted(objs, key=lambda o: o.get("kind") != "Namespace"):
        state = rm.apply_manifest(state, o)
    state = rm.converge(state)
    for claim in rm.list_objects(state, "PersistentVolumeClaim"):
        md = claim["metadata"]
        key, phase = f"{md['namespace']}/{md['name']}", claim["status"].get("phase")
        events = _warnings(state, "PersistentVolumeClaim", md["namespace"], md["name"])
        if key in STAYS_PENDING:
            assert phase == "Pending" and STAYS_PENDING[key] in events, (
                f"{name}: claim {key} is {phase} with events {events}, but upstream leaves it Pending with "
                f"{STAYS_PENDING[key]}")
            continue
        assert phase == "Bound", f"{name}: claim {key} is {phase} with events {events}, but should be Bound"
        pv = rm.get(state, "PersistentVolume", claim["spec"]["volumeName"])
        assert pv is not None and pv["status"].get("phase") == "Bound", f"{name}: {key}'s volume is {pv}"
        ref = pv["spec"].get("claimRef") or {}
        assert (ref.get("namespace"), ref.get("name"), ref.get("uid")) == (md["namespace"], md["name"], md["uid"]), (
            f"{name}: volume {pv['metadata']['name']} has claimRef {ref}, but should name {key}")
    for pod in rm.list_objects(state, "Pod"):
        md = pod["metadata"]
        if md["namespace"] == "kube-system":
            continue
        uses = [v["persistentVolumeClaim"]["claimName"] for v in pod["spec"].get("volumes") or ()
                if v.get("persistentVolumeClaim")]
        if any(f"{md['namespace']}/{c}" in STAYS_PENDING for c in uses):
            continue
        done = pod["spec"].get("restartPolicy") == "Never" and pod["status"].get("phase") == "Succeeded"
        assert done or ssc.is_running_and_ready(pod), (
            f"{name}: pod {md['name']} is {pod['status'].get('phase')} ({pod['status'].get('conditions')}), "
            "but should be Running and Ready")
    for sts in rm.list_objects(state, "StatefulSet"):
        st = sts.get("status") or {}
        assert st.get("readyReplicas") == st.get("replicas") == sts["spec"]["replicas"], (
            f"{name}: StatefulSet {sts['metadata']['name']} has status {st}, but all {sts['spec']['replicas']} "
            "replicas should be Ready")


def test_prebound_claim_without_a_class_binds_where_no_class_is_default(manifests_dir: Path) -> None:
    # the pair STAYS_PENDING keeps Pending on a cluster with a default class binds on one without
    state = rm.new_cluster(nodes=3, config=rm.ClusterConfig(default_storage_class=""))
    for n in ("k8s-examples__pv.yaml", "k8s-examples__pvc.yaml"):
        for o in _load(manifests_dir, "valid", n):
            state = rm.apply_manifest(state, o)
    claim = rm.get(rm.converge(state), "PersistentVolumeClaim", "my-model-pvc")
    assert claim is not None and claim["status"].get("phase") == "Bound" and \
        claim["spec"]["volumeName"] == "my-model-pv", f"my-model-pvc is {claim}, but should be Bound to my-model-pv"
