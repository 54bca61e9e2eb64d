"""Pod (and the PodSpec that workload templates embed): defaulting, create and update validation.

**Mirrors:** ``pkg/apis/core/v1/defaults.go`` (SetDefaults_Pod, SetDefaults_PodSpec, SetDefaults_Container,
SetDefaults_ContainerPort, SetDefaults_Probe, SetDefaults_HTTPGetAction, SetDefaults_Volume,
SetDefaults_SecretVolumeSource, SetDefaults_ConfigMapVolumeSource, SetDefaults_DownwardAPIVolumeSource,
SetDefaults_ProjectedVolumeSource, SetDefaults_ServiceAccountTokenProjection,
SetDefaults_ObjectFieldSelector, defaultHostNetworkPorts) and ``pkg/apis/core/validation/validation.go``
(ValidatePodCreate, validatePodMetadataAndSpec, ValidatePodSpec, ValidateVolumes, validateVolumeSource,
validateContainers, validateInitContainers, validateContainerCommon, validateContainerPorts, ValidateEnv,
ValidateEnvFrom, ValidateVolumeMounts, validatePullPolicy, validateResourceRequirements,
validateContainerResourceName, ValidateResourceQuantityValue, validateProbe, validateHandler,
validateLifecycle, checkHostPortConflicts, validatePodHostNetworkDeps, validateRestartPolicy,
validateDNSPolicy, validatePodDNSConfig, ValidateTolerations, validateAffinity, validatePodSpecSecurityContext,
ValidateSecurityContext, validateTopologySpreadConstraints, validateOS, ValidatePodTemplateSpec,
ValidatePodUpdate with its ``updatablePodSpecFields`` message P-10).
**Modelled:** rules P-2, P-10, P-12, N-1..N-9 for everything a manifest commonly sets: containers
(names unique DNS labels, image required, ports, env, envFrom, mounts, probes, lifecycle, resources with
requests <= limits and quantity rules, pull policy, termination message policy, security context ids),
init containers (sidecars with ``restartPolicy: Always``), volumes (one source each, the common sources'
required fields, key-to-path items, modes), host ports, restart/DNS policies, tolerations, affinity,
topology spread, DNS config, hostname/subdomain, service account and node names, deadline and grace period.
**Not modelled (and why):** Windows/AppArmor/seccomp annotation consistency, sysctl names, resource claims
(DRA), pod-level resources (alpha), ephemeral containers beyond "cannot be set on create", scheduling-gate
mutations and the in-place ``resize`` subresource: none of the manifests in scope use them; the
``serviceAccountToken``-needs-``serviceAccountName`` check is skipped because the ServiceAccount admission
plugin (which sets ``default``) is not modelled; the update diff upstream appends to the P-10 message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..admission import bind_pod, prepare_pod
from ..errors import FieldError, duplicate, forbidden, invalid, not_supported, required
from ..state import POD_INDEXES
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    configmap_key_errors,
    dns1123_subdomain_errors,
    env_var_name_errors,
    http_header_name_errors,
    inclusive_range_error,
    ip_errors,
    label_value_errors,
    meta_finalizer_errors,
    nonnegative,
    not_found,
    parse_go_int,
    port_name_errors,
    port_num_errors,
    qualified_name_errors,
    quantity,
    render_quantity,
    selector_operator_errors,
    user_id_errors,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_label_selector,
    validate_labels,
    validate_qualified_name,
)
from .persistentvolume import validate_pvc_spec

__all__ = [
    "default_pod",
    "default_pod_spec",
    "image_pull_policy_for",
    "validate_pod",
    "validate_pod_spec",
    "validate_pod_template_spec",
    "validate_pod_update",
    "validate_port_num_or_name",
]

Obj = dict[str, Any]

MAX_INT32 = 2**31 - 1
PROTOCOLS = ("SCTP", "TCP", "UDP")
RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
HOST_PATH_TYPES = ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate",
                   "Socket")
FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"
UPDATABLE_POD_SPEC_FIELDS = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)
# Volume sources in validateVolumeSource's order, with the path the error names (upstream quirks kept).
VOLUME_SOURCES = (
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi",
    "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte", "downwardAPI", "fc",
    "flexVolume", "configMap", "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume",
    "azureDisk", "storageos", "projected", "scaleIO", "csi", "ephemeral", "image",
)
# Required string fields of the in-tree sources (their validate*VolumeSource functions).
REQUIRED_SOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    "gitRepo": ("repository",),
    "gcePersistentDisk": ("pdName",),
    "awsElasticBlockStore": ("volumeID",),
    "secret": ("secretName",),
    "nfs": ("server", "path"),
    "iscsi": ("targetPortal", "iqn"),
    "glusterfs": ("endpoints", "path"),
    "persistentVolumeClaim": ("claimName",),
    "rbd": ("monitors", "image"),
    "cinder": ("volumeID",),
    "cephfs": ("monitors",),
    "quobyte": ("registry", "volume"),
    "flexVolume": ("driver",),
    "configMap": ("name",),
    "azureFile": ("secretName", "shareName"),
    "vsphereVolume": ("volumePath",),
    "photonPersistentDisk": ("pdID",),
    "portworxVolume": ("volumeID",),
    "azureDisk": ("diskName", "diskURI"),
    "storageos": ("volumeName",),
    "scaleIO": ("gateway", "system", "volumeName"),
    "csi": ("driver",),
}
STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")


# ---------------------------------------------------------------------------------------------
# defaulting
# ---------------------------------------------------------------------------------------------
def image_pull_policy_for(image: str) -> str:
    """``Always`` for ``:latest`` or untagged images, else ``IfNotPresent`` (SetDefaults_Container)."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def _default_handler(handler: Any) -> None:
    h = as_dict(handler)
    http = h.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    _default_handler(probe)


def _default_container(c: Obj, host_network: bool) -> None:
    if not c.get("imagePullPolicy"):
        image = c.get("image")
        c["imagePullPolicy"] = image_pull_policy_for(image) if isinstance(image, str) and image else "IfNotPresent"
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for p in as_list(c.get("ports")):
        if isinstance(p, dict):
            p.setdefault("protocol", "TCP")
            if host_network and not p.get("hostPort") and isinstance(p.get("containerPort"), int):
                p["hostPort"] = p["containerPort"]
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(c.get(key))
    lifecycle = as_dict(c.get("lifecycle"))
    for key in ("postStart", "preStop"):
        _default_handler(lifecycle.get(key))
    for e in as_list(c.get("env")):
        field_ref = as_dict(as_dict(as_dict(e).get("valueFrom")).get("fieldRef"))
        if field_ref:
            field_ref.setdefault("apiVersion", "v1")


def _default_items_field_refs(items: Any) -> None:
    for item in as_list(items):
        ref = as_dict(as_dict(item).get("fieldRef"))
        if ref:
            ref.setdefault("apiVersion", "v1")


def _default_volume(v: Obj) -> None:
    if not any(k in v for k in VOLUME_SOURCES):
        v["emptyDir"] = {}
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        src = v.get(key)
        if isinstance(src, dict):
            src.setdefault("defaultMode", 0o644)
    _default_items_field_refs(as_dict(v.get("downwardAPI")).get("items"))
    for s in as_list(as_dict(v.get("projected")).get("sources")):
        token = as_dict(s).get("serviceAccountToken")
        if isinstance(token, dict):
            token.setdefault("expirationSeconds", 3600)
        _default_items_field_refs(as_dict(as_dict(s).get("downwardAPI")).get("items"))
    host_path = v.get("hostPath")
    if isinstance(host_path, dict):
        host_path.setdefault("type", "")
    claim_spec = as_dict(as_dict(as_dict(v.get("ephemeral")).get("volumeClaimTemplate")).get("spec"))
    if claim_spec:
        claim_spec.setdefault("volumeMode", "Filesystem")


def default_pod_spec(spec: Obj) -> None:
    """SetDefaults_PodSpec and everything nested in a PodSpec (used for pods and workload templates)."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    host_network = spec.get("hostNetwork") is True
    for key in ("containers", "initContainers"):
        for c in as_list(spec.get(key)):
            if isinstance(c, dict):
                _default_container(c, host_network)
    for v in as_list(spec.get("volumes")):
        if isinstance(v, dict):
            _default_volume(v)


def _default_requests_from_limits(c: Any) -> None:
    res = as_dict(as_dict(c).get("resources"))
    limits = res.get("limits")
    if isinstance(limits, dict) and limits:
        requests = res.setdefault("requests", {})
        if isinstance(requests, dict):
            for k, v in limits.items():
                requests.setdefault(k, v)


def default_pod(obj: Obj) -> None:
    """SetDefaults_Pod: the PodSpec defaults, requests copied from limits, enableServiceLinks."""
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        default_pod_spec(spec)
        for key in ("containers", "initContainers"):
            for c in as_list(spec.get(key)):
                _default_requests_from_limits(c)
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("priority", 0)  # the Priority admission plugin (no PriorityClass named)


# ---------------------------------------------------------------------------------------------
# small validators
# ---------------------------------------------------------------------------------------------
def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _enum(value: Any, field: str, allowed: tuple[str, ...], *, required_if_empty: bool = True) -> list[FieldError]:
    if value in (None, ""):
        return [required(field)] if required_if_empty else []
    if value not in allowed:
        return [not_supported(field, value, allowed)]
    return []


def _file_mode(value: Any, field: str) -> list[FieldError]:
    n = _int(value)
    if n is not None and not 0 <= n <= 0o777:
        return [invalid(field, n, FILE_MODE_ERROR)]
    return []


def _path_no_backsteps(path: str, field: str) -> list[FieldError]:
    if ".." in path.replace("\\", "/").split("/"):
        return [invalid(field, path, "must not contain '..'")]
    return []


def _local_descending_path(path: str, field: str) -> list[FieldError]:
    errs = []
    if path.startswith("/"):
        errs.append(invalid(field, path, "must be a relative path"))
    return errs + _path_no_backsteps(path, field)


def _local_non_reserved_path(path: str, field: str) -> list[FieldError]:
    errs = _local_descending_path(path, field)
    if path.startswith("..") and not path.startswith("../"):
        errs.append(invalid(field, path, "must not start with '..'"))
    return errs


def _key_to_path(item: Any, field: str) -> list[FieldError]:
    kp = as_dict(item)
    errs: list[FieldError] = []
    if not _str(kp.get("key")):
        errs.append(required(f"{field}.key"))
    path = _str(kp.get("path"))
    if not path:
        errs.append(required(f"{field}.path"))
    errs += _local_non_reserved_path(path, f"{field}.path")
    errs += _file_mode(kp.get("mode"), f"{field}.mode")
    return errs


def validate_port_num_or_name(value: Any, field: str) -> list[FieldError]:
    """ValidatePortNumOrName (int-or-string ports of probes and Service targetPorts)."""
    if isinstance(value, str):
        return [invalid(field, value, m) for m in port_name_errors(value)]
    n = _int(value)
    if n is None:
        return [invalid(field, value, "must be an integer or a port name")]
    return [invalid(field, n, m) for m in port_num_errors(n)]


# ---------------------------------------------------------------------------------------------
# volumes
# ---------------------------------------------------------------------------------------------
def _validate_volume_source(v: Obj, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    count = 0
    for key in VOLUME_SOURCES:
        if key not in v:
            continue
        src_path = f"{field}.{key}"
        if count > 0:
            errs.append(forbidden(src_path, "may not specify more than 1 volume type"))
            continue
        count += 1
        src = as_dict(v.get(key))
        for req in REQUIRED_SOURCE_FIELDS.get(key, ()):
            if src.get(req) in (None, "", []):
                errs.append(required(f"{src_path}.{req}"))
        errs += _validate_one_source(key, src, src_path)
    if count == 0:
        errs.append(required(field, "must specify a volume type"))
    return errs


def _validate_one_source(key: str, src: Obj, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if key == "emptyDir":
        q = quantity(src.get("sizeLimit")) if "sizeLimit" in src else None
        if q is not None and q < 0:
            errs.append(forbidden(f"{field}.sizeLimit", "SizeLimit field must be a valid resource quantity"))
    elif key == "hostPath":
        path = _str(src.get("path"))
        if not path:
            errs.append(required(f"{field}.path"))
        else:
            errs += _path_no_backsteps(path, f"{field}.path")
            host_type = src.get("type")
            if host_type is not None and host_type not in HOST_PATH_TYPES:
                errs.append(not_supported(f"{field}.type", host_type, sorted(HOST_PATH_TYPES)))
    elif key in ("secret", "configMap"):
        errs += _file_mode(src.get("defaultMode"), f"{field}.defaultMode")
        for i, item in enumerate(as_list(src.get("items"))):
            errs += _key_to_path(item, f"{field}.items[{i}]")
    elif key == "nfs":
        path = _str(src.get("path"))
        if path and not path.startswith("/"):
            errs.append(invalid(f"{field}.path", path, "must be an absolute path"))
    elif key == "downwardAPI":
        errs += _file_mode(src.get("defaultMode"), f"{field}.defaultMode")
        for item in as_list(src.get("items")):
            errs += _downward_api_file(as_dict(item), field)
    elif key == "projected":
        errs += _file_mode(src.get("defaultMode"), f"{field}.defaultMode")
        errs += _projection_sources(src, field)
    elif key == "ephemeral":
        tmpl = src.get("volumeClaimTemplate")
        if not isinstance(tmpl, dict):
            errs.append(required(f"{field}.volumeClaimTemplate"))
        else:
            t_md = as_dict(tmpl.get("metadata"))
            for k in t_md:
                if k not in ("labels", "annotations"):
                    errs.append(forbidden(f"{field}.volumeClaimTemplate.metadata.{k}", "cannot be set"))
            errs += validate_labels(t_md.get("labels"), f"{field}.volumeClaimTemplate.metadata.labels")
            errs += validate_pvc_spec(as_dict(tmpl.get("spec")), f"{field}.volumeClaimTemplate.spec")
    elif key == "csi":
        driver = _str(src.get("driver"))
        if len(driver) > 63:
            errs.append(FieldError("Too long", f"{field}.driver", "may not be more than 63 bytes"))
        if driver:
            errs += [invalid(f"{field}.driver", driver, m) for m in dns1123_subdomain_errors(driver.lower())]
    elif key in ("gcePersistentDisk", "awsElasticBlockStore"):
        part = _int(src.get("partition"))
        if part is not None and not 0 <= part <= 255:
            errs.append(invalid(f"{field}.partition", part, inclusive_range_error(1, 255)))
    elif key == "storageos":
        name = _str(src.get("volumeName"))
        if name:
            errs += validate_dns1123_label(name, f"{field}.volumeName")
    return errs


_DOWNWARD_VOLUME_FIELDS = ("metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations",
                           "metadata.uid")
_DOWNWARD_ENV_FIELDS = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                        "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
                        "status.podIPs")
_RESOURCE_FIELD_SELECTORS = ("limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu",
                             "requests.memory", "requests.ephemeral-storage")


def _object_field_selector(ref: Obj, allowed: tuple[str, ...], field: str) -> list[FieldError]:
    if not _str(ref.get("apiVersion")):
        return [required(f"{field}.apiVersion")]
    path = _str(ref.get("fieldPath"))
    if not path:
        return [required(f"{field}.fieldPath")]
    if "[" in path and path.endswith("]"):
        base, sub = path[:-1].split("[", 1)
        sub = sub.strip("'\"")
        if base == "metadata.annotations":
            return validate_qualified_name(sub.lower(), field)
        if base == "metadata.labels":
            return validate_qualified_name(sub, field)
        return [invalid(field, base, "does not support subscript")]
    if path not in allowed:
        return [not_supported(f"{field}.fieldPath", path, sorted(allowed))]
    return []


def _resource_field_selector(ref: Obj, field: str, volume: bool) -> list[FieldError]:
    if volume and not _str(ref.get("containerName")):
        return [required(f"{field}.containerName")]
    resource = _str(ref.get("resource"))
    if not resource:
        return [required(f"{field}.resource")]
    if resource not in _RESOURCE_FIELD_SELECTORS and not resource.startswith(
            ("requests.hugepages-", "limits.hugepages-")):
        return [not_supported(f"{field}.resource", resource, sorted(_RESOURCE_FIELD_SELECTORS))]
    return []


def _downward_api_file(item: Obj, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    path = _str(item.get("path"))
    if not path:
        errs.append(required(f"{field}.path"))
    errs += _local_non_reserved_path(path, f"{field}.path")
    if isinstance(item.get("fieldRef"), dict):
        errs += _object_field_selector(item["fieldRef"], _DOWNWARD_VOLUME_FIELDS, f"{field}.fieldRef")
        if item.get("resourceFieldRef") is not None:
            errs.append(invalid(field, "resource", "fieldRef and resourceFieldRef can not be specified "
                                                   "simultaneously"))
    elif isinstance(item.get("resourceFieldRef"), dict):
        errs += _resource_field_selector(item["resourceFieldRef"], f"{field}.resourceFieldRef", True)
    else:
        errs.append(required(field, "one of fieldRef and resourceFieldRef is required"))
    errs += _file_mode(item.get("mode"), f"{field}.mode")
    return errs


def _projection_sources(src: Obj, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    paths: set[str] = set()
    for i, source in enumerate(as_list(src.get("sources"))):
        s = as_dict(source)
        sp = f"{field}.sources[{i}]"
        count = 0
        for key in ("secret", "configMap"):
            if key not in s:
                continue
            count += 1
            ref = as_dict(s.get(key))
            if not _str(ref.get("name")):
                errs.append(required(f"{sp}.{key}.name"))
            for j, item in enumerate(as_list(ref.get("items"))):
                errs += _key_to_path(item, f"{sp}.{key}.items[{j}]")
                p = _str(as_dict(item).get("path"))
                if p:
                    if p in paths:
                        errs.append(invalid(field, ref.get("name"), "conflicting duplicate paths"))
                    paths.add(p)
        if "downwardAPI" in s:
            count += 1
            for item in as_list(as_dict(s.get("downwardAPI")).get("items")):
                errs += _downward_api_file(as_dict(item), f"{sp}.downwardAPI")
                p = _str(as_dict(item).get("path"))
                if p:
                    if p in paths:
                        errs.append(invalid(field, p, "conflicting duplicate paths"))
                    paths.add(p)
        if "serviceAccountToken" in s:
            count += 1
            tok = as_dict(s.get("serviceAccountToken"))
            exp = _int(tok.get("expirationSeconds"))
            if exp is not None and exp < 600:
                errs.append(invalid(f"{sp}.serviceAccountToken.expirationSeconds", exp,
                                    "may not specify a duration less than 10 minutes"))
            if exp is not None and exp > 1 << 32:
                errs.append(invalid(f"{sp}.serviceAccountToken.expirationSeconds", exp,
                                    "may not specify a duration larger than 2^32 seconds"))
            path = _str(tok.get("path"))
            if not path:
                errs.append(required(f"{field}.path"))
            else:
                errs += _local_non_reserved_path(path, f"{field}.path")
        if "clusterTrustBundle" in s:
            count += 1
        if count > 1:
            errs.append(forbidden(sp, "may not specify more than 1 volume type per source"))
    return errs


def validate_volumes(volumes: Any, field: str, pod_name: str | None = None) -> tuple[dict[str, Obj], list[FieldError]]:
    """ValidateVolumes: returns the valid volumes by name (mounts are checked against them)."""
    errs: list[FieldError] = []
    names: set[str] = set()
    valid: dict[str, Obj] = {}
    created_pvcs = {f"{pod_name}-{_str(as_dict(v).get('name'))}" for v in as_list(volumes)
                    if pod_name and "ephemeral" in as_dict(v)}
    for i, vol in enumerate(as_list(volumes)):
        v = as_dict(vol)
        p = f"{field}[{i}]"
        el = _validate_volume_source(v, p)
        name = _str(v.get("name"))
        if not name:
            el.append(required(f"{p}.name"))
        else:
            el += validate_dns1123_label(name, f"{p}.name")
        if name in names:
            el.append(duplicate(f"{p}.name", name))
        if el:
            errs += el
        else:
            names.add(name)
            valid[name] = v
        claim = _str(as_dict(v.get("persistentVolumeClaim")).get("claimName"))
        if claim and claim in created_pvcs:
            errs.append(invalid(f"{p}.persistentVolumeClaim.claimName", claim,
                                "must not reference a PVC that gets created for an ephemeral volume"))
    return valid, errs


# ---------------------------------------------------------------------------------------------
# containers
# ---------------------------------------------------------------------------------------------
def _validate_ports(ports: Any, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, port in enumerate(as_list(ports)):
        p = as_dict(port)
        pp = f"{field}[{i}]"
        name = _str(p.get("name"))
        if name:
            msgs = port_name_errors(name)
            if msgs:
                errs += [invalid(f"{pp}.name", name, m) for m in msgs]
            elif name in names:
                errs.append(duplicate(f"{pp}.name", name))
            else:
                names.add(name)
        cport = _int(p.get("containerPort")) or 0
        if cport == 0:
            errs.append(required(f"{pp}.containerPort"))
        else:
            errs += [invalid(f"{pp}.containerPort", cport, m) for m in port_num_errors(cport)]
        hport = _int(p.get("hostPort")) or 0
        if hport != 0:
            errs += [invalid(f"{pp}.hostPort", hport, m) for m in port_num_errors(hport)]
        errs += _enum(p.get("protocol"), f"{pp}.protocol", PROTOCOLS)
    return errs


def _validate_env(env: Any, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, item in enumerate(as_list(env)):
        e = as_dict(item)
        p = f"{field}[{i}]"
        name = _str(e.get("name"))
        if not name:
            errs.append(required(f"{p}.name"))
        else:
            errs += [invalid(f"{p}.name", name, m) for m in env_var_name_errors(name)]
        vf = e.get("valueFrom")
        if not isinstance(vf, dict):
            continue
        vp = f"{p}.valueFrom"
        sources = 0
        if isinstance(vf.get("fieldRef"), dict):
            sources += 1
            errs += _object_field_selector(vf["fieldRef"], _DOWNWARD_ENV_FIELDS, f"{vp}.fieldRef")
        if isinstance(vf.get("resourceFieldRef"), dict):
            sources += 1
            errs += _resource_field_selector(vf["resourceFieldRef"], f"{vp}.resourceFieldRef", False)
        for key in ("configMapKeyRef", "secretKeyRef"):
            if isinstance(vf.get(key), dict):
                sources += 1
                ref = vf[key]
                ref_name = _str(ref.get("name"))
                if ref_name:
                    errs += validate_dns1123_subdomain(ref_name, f"{vp}.{key}.name")
                else:
                    errs.append(invalid(f"{vp}.{key}.name", "", "a lowercase RFC 1123 subdomain must consist of "
                                        "lower case alphanumeric characters, '-' or '.', and must start and end "
                                        "with an alphanumeric character"))
                k = _str(ref.get("key"))
                if not k:
                    errs.append(required(f"{vp}.{key}.key"))
                else:
                    errs += [invalid(f"{vp}.{key}.key", k, m) for m in configmap_key_errors(k)]
        if sources == 0:
            errs.append(invalid(vp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` "
                                        "or `secretKeyRef`"))
        elif _str(e.get("value")):
            errs.append(invalid(vp, "", "may not be specified when `value` is not empty"))
        elif sources > 1:
            errs.append(invalid(vp, "", "may not have more than one field specified at a time"))
    return errs


def _validate_env_from(env_from: Any, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, item in enumerate(as_list(env_from)):
        e = as_dict(item)
        p = f"{field}[{i}]"
        prefix = _str(e.get("prefix"))
        if prefix:
            errs += [invalid(f"{p}.prefix", prefix, m) for m in env_var_name_errors(prefix)]
        sources = 0
        for key in ("configMapRef", "secretRef"):
            if isinstance(e.get(key), dict):
                sources += 1
                name = _str(e[key].get("name"))
                if not name:
                    errs.append(required(f"{p}.{key}.name"))
                else:
                    # NameIsDNSSubdomain with prefix=true: a trailing '-' is allowed
                    errs += validate_dns1123_subdomain(name.rstrip("-") or name, f"{p}.{key}.name")
        if sources == 0:
            errs.append(invalid(field, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif sources > 1:
            errs.append(invalid(field, "", "may not have more than one field specified at a time"))
    return errs


def _validate_mounts(mounts: Any, devices: Any, volumes: dict[str, Obj], field: str,
                     privileged: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    points: set[str] = set()
    device_map = {_str(as_dict(d).get("name")): _str(as_dict(d).get("devicePath")) for d in as_list(devices)}
    for i, mount in enumerate(as_list(mounts)):
        m = as_dict(mount)
        p = f"{field}[{i}]"
        name = _str(m.get("name"))
        if not name:
            errs.append(required(f"{p}.name"))
        if name not in volumes:
            errs.append(not_found(f"{p}.name", name))
        mount_path = _str(m.get("mountPath"))
        if not mount_path:
            errs.append(required(f"{p}.mountPath"))
        if mount_path in points:
            errs.append(invalid(f"{p}.mountPath", mount_path, "must be unique"))
        points.add(mount_path)
        if name in device_map:
            errs.append(invalid(f"{p}.name", name, "must not already exist in volumeDevices"))
        if mount_path in device_map.values():
            errs.append(invalid(f"{p}.mountPath", mount_path, "must not already exist as a path in volumeDevices"))
        sub_path = _str(m.get("subPath"))
        if sub_path:
            errs += _local_descending_path(sub_path, f"{field}.subPath")
        expr = _str(m.get("subPathExpr"))
        if expr:
            if sub_path:
                errs.append(invalid(f"{p}.subPathExpr", expr, "subPathExpr and subPath are mutually exclusive"))
            errs += _local_descending_path(expr, f"{field}.subPathExpr")
        prop = m.get("mountPropagation")
        if prop is not None:
            allowed = ("Bidirectional", "HostToContainer", "None")
            if prop not in allowed:
                errs.append(not_supported(f"{field}.mountPropagation", prop, allowed))
            elif prop == "Bidirectional" and not privileged:
                errs.append(forbidden(f"{field}.mountPropagation",
                                      "Bidirectional mount propagation is available only to privileged containers"))
    return errs


def _is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _container_resource_name_errors(name: str, field: str) -> list[FieldError]:
    msgs = qualified_name_errors(name)
    if msgs:
        return [invalid(field, name, m) for m in msgs]
    if "/" not in name:
        if name not in STANDARD_CONTAINER_RESOURCES and not _is_hugepages(name):
            return [invalid(field, name, "must be a standard resource for containers")]
    elif not _is_native(name) and (name.startswith("requests.") or qualified_name_errors("requests." + name)):
        return [invalid(field, name, "doesn't follow extended resource name standard")]
    return []


def _overcommit_allowed(name: str) -> bool:
    return _is_native(name) and not _is_hugepages(name)


#: IsIntegerResourceName's standard names (``pkg/apis/core/helper/helpers.go`` integerResources)
INTEGER_RESOURCES = frozenset({"pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
                               "persistentvolumeclaims", "services.nodeports", "services.loadbalancers"})


def is_extended_resource(name: str) -> bool:
    """IsExtendedResourceName: outside the kubernetes.io domain, and ``requests.<name>`` a qualified name."""
    return not _is_native(name) and not name.startswith("requests.") and not qualified_name_errors(f"requests.{name}")


def resource_quantity_value_errors(name: str, value: Any, field: str) -> list[FieldError]:
    """ValidateResourceQuantityValue (``pkg/apis/core/validation/validation.go``): non-negative, and whole for
    the integer resources (object counts and extended resources)."""
    q = quantity(value)
    if q is None:
        return []
    errs: list[FieldError] = []
    if q < 0:
        errs.append(invalid(field, render_quantity(value), "must be greater than or equal to 0"))
    if (name in INTEGER_RESOURCES or is_extended_resource(name)) and q.denominator != 1:
        errs.append(invalid(field, render_quantity(value), "must be an integer"))
    return errs


def validate_resource_requirements(resources: Any, field: str) -> list[FieldError]:
    """validateResourceRequirements with validateContainerResourceName (requests <= limits, names)."""
    res = as_dict(resources)
    limits = as_dict(res.get("limits"))
    requests = as_dict(res.get("requests"))
    errs: list[FieldError] = []
    lim_cpu_mem = req_cpu_mem = lim_huge = req_huge = False
    for name, value in limits.items():
        p = f"{field}.limits[{name}]"
        errs += _container_resource_name_errors(name, p)
        errs += resource_quantity_value_errors(name, value, p)
        lim_huge = lim_huge or _is_hugepages(name)
        lim_cpu_mem = lim_cpu_mem or name in ("cpu", "memory")
    for name, value in requests.items():
        p = f"{field}.requests[{name}]"
        errs += _container_resource_name_errors(name, p)
        errs += resource_quantity_value_errors(name, value, p)
        req = quantity(value)
        if name in limits:
            lim = quantity(limits[name])
            if req is not None and lim is not None:
                if req != lim and not _overcommit_allowed(name):
                    errs.append(invalid(f"{field}.requests", render_quantity(value),
                                        f"must be equal to {name} limit of {render_quantity(limits[name])}"))
                elif req > lim:
                    errs.append(invalid(f"{field}.requests", render_quantity(value),
                                        f"must be less than or equal to {name} limit of "
                                        f"{render_quantity(limits[name])}"))
        elif not _overcommit_allowed(name):
            errs.append(required(f"{field}.limits", "Limit must be set for non overcommitable resources"))
        req_huge = req_huge or _is_hugepages(name)
        req_cpu_mem = req_cpu_mem or name in ("cpu", "memory")
    if not lim_cpu_mem and not req_cpu_mem and (req_huge or lim_huge):
        errs.append(forbidden(field, "HugePages require cpu or memory"))
    return errs


def _validate_handler(handler: Obj, grace: int | None, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    count = 0
    for key in ("exec", "httpGet", "tcpSocket", "grpc", "sleep"):
        if key not in handler:
            continue
        if count > 0:
            errs.append(forbidden(f"{field}.{key}", "may not specify more than 1 handler type"))
            continue
        count += 1
        h = as_dict(handler.get(key))
        hp = f"{field}.{key}"
        if key == "exec":
            if not as_list(h.get("command")):
                errs.append(required(f"{hp}.command"))
        elif key == "httpGet":
            if not _str(h.get("path")):
                errs.append(required(f"{hp}.path"))
            errs += validate_port_num_or_name(h.get("port"), f"{hp}.port")
            if h.get("scheme") not in ("HTTP", "HTTPS"):
                errs.append(not_supported(f"{hp}.scheme", h.get("scheme", ""), ("HTTP", "HTTPS")))
            for header in as_list(h.get("httpHeaders")):
                hname = _str(as_dict(header).get("name"))
                errs += [invalid(f"{hp}.httpHeaders", hname, m) for m in http_header_name_errors(hname)]
        elif key == "tcpSocket":
            errs += validate_port_num_or_name(h.get("port"), f"{hp}.port")
        elif key == "grpc":
            errs += validate_port_num_or_name(_int(h.get("port")) or 0, f"{hp}.port")
        elif key == "sleep":
            seconds = _int(h.get("seconds")) or 0
            if grace is not None and (seconds <= 0 or seconds > grace):
                errs.append(invalid(hp, seconds, "must be greater than 0 and less than terminationGracePeriodSeconds "
                                                 f"({grace}). Enable AllowPodLifecycleSleepActionZeroValue feature "
                                                 "gate for zero sleep."))
    if count == 0:
        errs.append(required(field, "must specify a handler type"))
    return errs


def _validate_probe(probe: Any, grace: int | None, field: str, kind: str) -> list[FieldError]:
    if not isinstance(probe, dict):
        return []
    errs = _validate_handler(probe, grace, field)
    for key in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        errs += nonnegative(probe.get(key), f"{field}.{key}")
    tgp = _int(probe.get("terminationGracePeriodSeconds"))
    if tgp is not None and tgp <= 0:
        errs.append(invalid(f"{field}.terminationGracePeriodSeconds", tgp, "must be greater than 0"))
    if kind in ("liveness", "startup") and probe.get("successThreshold", 1) != 1:
        errs.append(invalid(f"{field}.successThreshold", probe.get("successThreshold"), "must be 1"))
    if kind == "readiness" and "terminationGracePeriodSeconds" in probe:
        errs.append(invalid(f"{field}.terminationGracePeriodSeconds", tgp, "must not be set for readinessProbes"))
    return errs


def _validate_lifecycle(lifecycle: Any, grace: int | None, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for key in ("postStart", "preStop"):
        h = as_dict(lifecycle).get(key)
        if isinstance(h, dict):
            errs += _validate_handler(h, grace, f"{field}.{key}")
    return errs


def _validate_security_context(sc: Any, field: str) -> list[FieldError]:
    s = as_dict(sc)
    errs: list[FieldError] = []
    for key in ("runAsUser", "runAsGroup"):
        n = _int(s.get(key))
        if n is not None:
            errs += [invalid(f"{field}.{key}", n, m) for m in user_id_errors(n)]
    proc = s.get("procMount")
    if proc is not None:
        if proc not in ("Default", "Unmasked"):
            errs.append(not_supported(f"{field}.procMount", proc, ("Default", "Unmasked")))
        elif proc == "Unmasked":
            errs.append(invalid(f"{field}.procMount", proc, "`hostUsers` must be false to use `Unmasked`"))
    if s.get("allowPrivilegeEscalation") is False and s.get("privileged") is True:
        errs.append(invalid(field, s, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
    errs += _seccomp_profile(s.get("seccompProfile"), f"{field}.seccompProfile")
    return errs


def _seccomp_profile(profile: Any, field: str) -> list[FieldError]:
    if not isinstance(profile, dict):
        return []
    ptype = profile.get("type", "")
    errs: list[FieldError] = []
    allowed = ("Localhost", "RuntimeDefault", "Unconfined")
    if not ptype:
        errs.append(required(f"{field}.type", "type is required when seccompProfile is set"))
    elif ptype not in allowed:
        errs.append(not_supported(f"{field}.type", ptype, allowed))
    if ptype == "Localhost":
        if profile.get("localhostProfile") is None:
            errs.append(required(f"{field}.localhostProfile", "must be set when seccomp type is Localhost"))
    elif profile.get("localhostProfile") is not None:
        errs.append(invalid(f"{field}.localhostProfile", profile, "can only be set when seccomp type is Localhost"))
    return errs


def _validate_container_common(c: Obj, volumes: dict[str, Obj], field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = _str(c.get("name"))
    if not name:
        errs.append(required(f"{field}.name"))
    else:
        errs += validate_dns1123_label(name, f"{field}.name")
    if not _str(c.get("image")):
        errs.append(required(f"{field}.image"))
    errs += _enum(c.get("terminationMessagePolicy"), f"{field}.terminationMessagePolicy",
                  TERMINATION_MESSAGE_POLICIES)
    errs += _validate_ports(c.get("ports"), f"{field}.ports")
    errs += _validate_env(c.get("env"), f"{field}.env")
    errs += _validate_env_from(c.get("envFrom"), f"{field}.envFrom")
    privileged = as_dict(c.get("securityContext")).get("privileged") is True
    errs += _validate_mounts(c.get("volumeMounts"), c.get("volumeDevices"), volumes, f"{field}.volumeMounts",
                             privileged)
    errs += _validate_devices(c.get("volumeDevices"), c.get("volumeMounts"), volumes, f"{field}.volumeDevices")
    errs += _enum(c.get("imagePullPolicy"), f"{field}.imagePullPolicy", PULL_POLICIES)
    errs += validate_resource_requirements(c.get("resources"), f"{field}.resources")
    errs += _validate_security_context(c.get("securityContext"), f"{field}.securityContext")
    return errs


def _validate_devices(devices: Any, mounts: Any, volumes: dict[str, Obj], field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    mount_map = {_str(as_dict(m).get("name")): _str(as_dict(m).get("mountPath")) for m in as_list(mounts)}
    names: set[str] = set()
    paths: set[str] = set()
    for i, dev in enumerate(as_list(devices)):
        d = as_dict(dev)
        p = f"{field}[{i}]"
        name = _str(d.get("name"))
        path = _str(d.get("devicePath"))
        if not name:
            errs.append(required(f"{p}.name"))
        if name in names:
            errs.append(invalid(f"{p}.name", name, "must be unique"))
        vol = volumes.get(name)
        if vol is not None and "persistentVolumeClaim" not in vol and "ephemeral" not in vol:
            errs.append(invalid(f"{p}.name", name, "can only use volume source type of PersistentVolumeClaim or "
                                                  "Ephemeral for block mode"))
        if vol is None:
            errs.append(not_found(f"{p}.name", name))
        if not path:
            errs.append(required(f"{p}.devicePath"))
        if path in paths:
            errs.append(invalid(f"{p}.devicePath", path, "must be unique"))
        paths.add(path)
        if name in mount_map:
            errs.append(invalid(f"{p}.name", name, "must not already exist in volumeMounts"))
        if name:
            names.add(name)
    return errs


def _host_port_conflicts(containers: Sequence[Any], field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for ci, c in enumerate(containers):
        for pi, port in enumerate(as_list(as_dict(c).get("ports"))):
            p = as_dict(port)
            hp = _int(p.get("hostPort")) or 0
            if hp == 0:
                continue
            key = f"{_str(p.get('protocol'))}/{_str(p.get('hostIP'))}/{hp}"
            if key in seen:
                errs.append(duplicate(f"{field}[{ci}].ports[{pi}].hostPort", key))
            seen.add(key)
    return errs


def _validate_containers(containers: Any, volumes: dict[str, Obj], grace: int | None,
                         field: str) -> list[FieldError]:
    items = as_list(containers)
    if not items:
        return [required(field)]
    errs: list[FieldError] = []
    names: set[str] = set()
    for i, ctr in enumerate(items):
        c = as_dict(ctr)
        p = f"{field}[{i}]"
        errs += _validate_container_common(c, volumes, p)
        name = _str(c.get("name"))
        if name in names:
            errs.append(duplicate(f"{p}.name", name))
        names.add(name)
        if "lifecycle" in c:
            errs += _validate_lifecycle(c.get("lifecycle"), grace, f"{p}.lifecycle")
        errs += _validate_probe(c.get("livenessProbe"), grace, f"{p}.livenessProbe", "liveness")
        errs += _validate_probe(c.get("readinessProbe"), grace, f"{p}.readinessProbe", "readiness")
        errs += _validate_probe(c.get("startupProbe"), grace, f"{p}.startupProbe", "startup")
        if c.get("restartPolicy") is not None:
            errs.append(forbidden(f"{p}.restartPolicy", "may not be set for non-init containers"))
    errs += _host_port_conflicts(items, field)
    return errs


def _validate_init_containers(containers: Any, regular: Any, volumes: dict[str, Obj], grace: int | None,
                              field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    names = {_str(as_dict(c).get("name")) for c in as_list(regular)}
    for i, ctr in enumerate(as_list(containers)):
        c = as_dict(ctr)
        p = f"{field}[{i}]"
        errs += _validate_container_common(c, volumes, p)
        restart_always = False
        if c.get("restartPolicy") is not None:
            if c["restartPolicy"] != "Always":
                errs.append(not_supported(f"{p}.restartPolicy", c["restartPolicy"], ("Always",)))
            restart_always = c["restartPolicy"] == "Always"
        name = _str(c.get("name"))
        if name in names:
            errs.append(duplicate(f"{p}.name", name))
        elif name:
            names.add(name)
        errs += _host_port_conflicts([c], field)
        if restart_always:
            if "lifecycle" in c:
                errs += _validate_lifecycle(c.get("lifecycle"), grace, f"{p}.lifecycle")
            errs += _validate_probe(c.get("livenessProbe"), grace, f"{p}.livenessProbe", "liveness")
            errs += _validate_probe(c.get("readinessProbe"), grace, f"{p}.readinessProbe", "readiness")
            errs += _validate_probe(c.get("startupProbe"), grace, f"{p}.startupProbe", "startup")
        else:
            for key in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if c.get(key) is not None:
                    errs.append(forbidden(f"{p}.{key}", "may not be set for init containers without "
                                                        "restartPolicy=Always"))
        if c.get("resizePolicy"):
            errs.append(invalid(f"{p}.resizePolicy", c["resizePolicy"], "must not be set for init containers"))
    return errs


# ---------------------------------------------------------------------------------------------
# scheduling-related fields
# ---------------------------------------------------------------------------------------------
def validate_tolerations(tolerations: Any, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, tol in enumerate(as_list(tolerations)):
        t = as_dict(tol)
        p = f"{field}[{i}]"
        key = _str(t.get("key"))
        op = t.get("operator", "")
        if key:
            errs += validate_qualified_name(key, f"{p}.key")
        if not key and op != "Exists":
            errs.append(invalid(f"{p}.operator", op, "operator must be Exists when `key` is empty, which means "
                                                     "\"match all values and all keys\""))
        if t.get("tolerationSeconds") is not None and t.get("effect") != "NoExecute":
            errs.append(invalid(f"{p}.effect", t.get("effect", ""),
                                "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        value = _str(t.get("value"))
        if op in ("Equal", ""):
            msgs = label_value_errors(value)
            if msgs:
                errs.append(invalid(f"{p}.operator", value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                errs.append(invalid(f"{p}.operator", value, "value must be empty when `operator` is 'Exists'"))
        else:
            errs.append(not_supported(f"{p}.operator", op, ("Equal", "Exists")))
        effect = t.get("effect")
        if effect and effect not in TAINT_EFFECTS:
            errs.append(not_supported(f"{p}.effect", effect, TAINT_EFFECTS))
    return errs


def validate_node_selector_term(term: Any, field: str, *, strict_values: bool = True) -> list[FieldError]:
    errs: list[FieldError] = []
    t = as_dict(term)
    for j, req in enumerate(as_list(t.get("matchExpressions"))):
        r = as_dict(req)
        p = f"{field}.matchExpressions[{j}]"
        values = as_list(r.get("values"))
        errs += selector_operator_errors(r.get("operator"), values, p, numeric=True)
        errs += validate_qualified_name(_str(r.get("key")), f"{p}.key")
        if strict_values:
            for k, v in enumerate(values):
                if isinstance(v, str):
                    errs += [invalid(f"{p}.values[{k}]", v, m) for m in label_value_errors(v)]
    for j, req in enumerate(as_list(t.get("matchFields"))):
        r = as_dict(req)
        p = f"{field}.matchFields[{j}]"
        if r.get("operator") in ("In", "NotIn"):
            if len(as_list(r.get("values"))) != 1:
                errs.append(required(f"{p}.values", "must be only one value when `operator` is 'In' or 'NotIn' "
                                                    "for node field selector"))
        else:
            errs.append(invalid(f"{p}.operator", r.get("operator"), "not a valid selector operator"))
        if r.get("key") != "metadata.name":
            errs.append(invalid(f"{p}.key", r.get("key"), "not a valid field selector key"))
    return errs


def validate_node_selector(selector: Any, field: str) -> list[FieldError]:
    terms = as_list(as_dict(selector).get("nodeSelectorTerms"))
    if not terms:
        return [required(f"{field}.nodeSelectorTerms", "must have at least one node selector term")]
    errs: list[FieldError] = []
    for i, term in enumerate(terms):
        errs += validate_node_selector_term(term, f"{field}.nodeSelectorTerms[{i}]")
    return errs


def _pod_affinity_term(term: Any, field: str) -> list[FieldError]:
    t = as_dict(term)
    errs = validate_label_selector(t.get("labelSelector"), f"{field}.labelSelector")
    errs += validate_label_selector(t.get("namespaceSelector"), f"{field}.namespaceSelector")
    for ns in as_list(t.get("namespaces")):
        if isinstance(ns, str):
            errs += validate_dns1123_label(ns, f"{field}.namespace")
    topo = _str(t.get("topologyKey"))
    if not topo:
        errs.append(required(f"{field}.topologyKey", "can not be empty"))
    return errs + validate_qualified_name(topo, f"{field}.topologyKey")


def _validate_affinity(affinity: Any, field: str) -> list[FieldError]:
    a = as_dict(affinity)
    errs: list[FieldError] = []
    na = as_dict(a.get("nodeAffinity"))
    if isinstance(na.get("requiredDuringSchedulingIgnoredDuringExecution"), dict):
        errs += validate_node_selector(na["requiredDuringSchedulingIgnoredDuringExecution"],
                                       f"{field}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution")
    for i, pref in enumerate(as_list(na.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        p = f"{field}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
        weight = _int(as_dict(pref).get("weight")) or 0
        if not 1 <= weight <= 100:
            errs.append(invalid(f"{p}.weight", weight, "must be in the range 1-100"))
        errs += validate_node_selector_term(as_dict(pref).get("preference"), f"{p}.preference", strict_values=False)
    for kind in ("podAffinity", "podAntiAffinity"):
        pa = as_dict(a.get(kind))
        for i, term in enumerate(as_list(pa.get("requiredDuringSchedulingIgnoredDuringExecution"))):
            errs += _pod_affinity_term(term, f"{field}.{kind}.requiredDuringSchedulingIgnoredDuringExecution[{i}]")
        for i, wt in enumerate(as_list(pa.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            p = f"{field}.{kind}.preferredDuringSchedulingIgnoredDuringExecution[{i}]"
            weight = _int(as_dict(wt).get("weight")) or 0
            if not 1 <= weight <= 100:
                errs.append(invalid(f"{p}.weight", weight, "must be in the range 1-100"))
            errs += _pod_affinity_term(as_dict(wt).get("podAffinityTerm"), f"{p}.podAffinityTerm")
    return errs


def _validate_topology_spread(constraints: Any, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    items = [as_dict(c) for c in as_list(constraints)]
    for i, c in enumerate(items):
        p = f"{field}[{i}]"
        skew = _int(c.get("maxSkew")) or 0
        if skew <= 0:
            errs.append(invalid(f"{p}.maxSkew", skew, "must be greater than zero"))
        if not _str(c.get("topologyKey")):
            errs.append(required(f"{p}.topologyKey", "can not be empty"))
        action = c.get("whenUnsatisfiable", "")
        if action not in ("DoNotSchedule", "ScheduleAnyway"):
            errs.append(not_supported(f"{p}.whenUnsatisfiable", action, ("DoNotSchedule", "ScheduleAnyway")))
        for later in items[i + 1:]:
            if later.get("topologyKey") == c.get("topologyKey") and later.get("whenUnsatisfiable") == action:
                errs.append(duplicate(f"{p}.{{topologyKey, whenUnsatisfiable}}",
                                      f"{{{c.get('topologyKey')}, {action}}}"))
                break
        min_domains = c.get("minDomains")
        if min_domains is not None:
            if (_int(min_domains) or 0) <= 0:
                errs.append(invalid(f"{p}.minDomains", min_domains, "must be greater than zero"))
            if action != "DoNotSchedule":
                errs.append(invalid(f"{p}.minDomains", min_domains, "can only use minDomains if "
                                                                    f"whenUnsatisfiable=DoNotSchedule, not {action}"))
        errs += validate_label_selector(c.get("labelSelector"), f"{p}.labelSelector")
    return errs


def _validate_dns_config(config: Any, policy: Any, field: str) -> list[FieldError]:
    if policy == "None":
        if not isinstance(config, dict):
            return [required(field, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not as_list(config.get("nameservers")):
            return [required(f"{field}.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is "
                                                     "None")]
    if not isinstance(config, dict):
        return []
    errs: list[FieldError] = []
    servers = as_list(config.get("nameservers"))
    if len(servers) > 3:
        errs.append(invalid(f"{field}.nameservers", servers, "must not have more than 3 nameservers"))
    for i, ns in enumerate(servers):
        errs += ip_errors(_str(ns), f"{field}.nameservers[{i}]")
    searches = as_list(config.get("searches"))
    if len(searches) > 32:
        errs.append(invalid(f"{field}.searches", searches, "must not have more than 32 search paths"))
    for i, s in enumerate(searches):
        s = _str(s)
        if s != ".":
            errs += validate_dns1123_subdomain(s.removesuffix("."), f"{field}.searches[{i}]")
    for i, opt in enumerate(as_list(config.get("options"))):
        if not _str(as_dict(opt).get("name")):
            errs.append(required(f"{field}.options[{i}]", "must not be empty"))
    return errs


def _validate_pod_security_context(sc: Any, spec: Obj, field: str) -> list[FieldError]:
    s = as_dict(sc)
    errs: list[FieldError] = []
    for key in ("fsGroup", "runAsUser", "runAsGroup"):
        n = _int(s.get(key))
        if n is not None:
            errs += [invalid(f"{field}.{key}", n, m) for m in user_id_errors(n)]
    for i, gid in enumerate(as_list(s.get("supplementalGroups"))):
        n = _int(gid)
        if n is not None:
            errs += [invalid(f"{field}.supplementalGroups[{i}]", n, m) for m in user_id_errors(n)]
    if s.get("shareProcessNamespace") is True and spec.get("hostPID") is True:
        errs.append(invalid(f"{field}.shareProcessNamespace", True,
                            "ShareProcessNamespace and HostPID cannot both be enabled"))
    policy = s.get("fsGroupChangePolicy")
    if policy is not None and policy not in ("Always", "OnRootMismatch"):
        errs.append(not_supported(f"{field}.fsGroupChangePolicy", policy, ("Always", "OnRootMismatch")))
    errs += _seccomp_profile(s.get("seccompProfile"), f"{field}.seccompProfile")
    return errs


# ---------------------------------------------------------------------------------------------
# PodSpec, template and Pod
# ---------------------------------------------------------------------------------------------
def validate_pod_spec(spec: Obj, field: str = "spec", *, is_pod: bool = False,
                      pod_name: str | None = None) -> list[FieldError]:
    """ValidatePodSpec (``is_pod`` selects the checks only pods get, ``opts.ResourceIsPod``)."""
    errs: list[FieldError] = []
    if spec.get("terminationGracePeriodSeconds") is None:
        errs.append(required(f"{field}.terminationGracePeriodSeconds"))
    grace = _int(spec.get("terminationGracePeriodSeconds"))
    volumes, verrs = validate_volumes(spec.get("volumes"), f"{field}.volumes", pod_name)
    errs += verrs
    errs += _validate_containers(spec.get("containers"), volumes, grace, f"{field}.containers")
    errs += _validate_init_containers(spec.get("initContainers"), spec.get("containers"), volumes, grace,
                                      f"{field}.initContainers")
    if spec.get("hostNetwork") is True:
        for i, c in enumerate(as_list(spec.get("containers"))):
            for j, port in enumerate(as_list(as_dict(c).get("ports"))):
                hp = _int(as_dict(port).get("hostPort")) or 0
                cp = _int(as_dict(port).get("containerPort")) or 0
                if (is_pod or hp != 0) and hp != cp:
                    errs.append(invalid(f"{field}.containers[{i}].ports[{j}].hostPort", hp,
                                        "must match `containerPort` when `hostNetwork` is true"))
    errs += _enum(spec.get("restartPolicy"), f"{field}.restartPolicy", RESTART_POLICIES)
    errs += _enum(spec.get("dnsPolicy"), f"{field}.dnsPolicy", DNS_POLICIES)
    errs += validate_labels(spec.get("nodeSelector"), f"{field}.nodeSelector")
    errs += _validate_pod_security_context(spec.get("securityContext"), spec, f"{field}.securityContext")
    for i, ref in enumerate(as_list(spec.get("imagePullSecrets"))):
        if set(as_dict(ref)) - {"name"}:
            errs.append(invalid(f"{field}.imagePullSecrets[{i}]", ref, "only name may be set"))
    errs += _validate_affinity(spec.get("affinity"), f"{field}.affinity")
    errs += _validate_dns_config(spec.get("dnsConfig"), spec.get("dnsPolicy"), f"{field}.dnsConfig")
    for i, gate in enumerate(as_list(spec.get("readinessGates"))):
        errs += validate_qualified_name(_str(as_dict(gate).get("conditionType")),
                                        f"{field}.readinessGates[{i}].conditionType")
    seen_gates: set[str] = set()
    for i, gate in enumerate(as_list(spec.get("schedulingGates"))):
        gname = _str(as_dict(gate).get("name"))
        errs += validate_qualified_name(gname, f"{field}.schedulingGates[{i}]")
        if gname in seen_gates:
            errs.append(duplicate(f"{field}.schedulingGates[{i}]", gname))
        seen_gates.add(gname)
    errs += _validate_topology_spread(spec.get("topologySpreadConstraints"), f"{field}.topologySpreadConstraints")
    for key in ("serviceAccountName", "nodeName", "priorityClassName"):
        value = _str(spec.get(key))
        if value:
            errs += validate_dns1123_subdomain(value, f"{field}.{key}")
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None:
        n = _int(deadline)
        if n is None or not 1 <= n <= MAX_INT32:
            errs.append(invalid(f"{field}.activeDeadlineSeconds", deadline, inclusive_range_error(1, MAX_INT32)))
    for key in ("hostname", "subdomain"):
        value = _str(spec.get(key))
        if value:
            errs += validate_dns1123_label(value, f"{field}.{key}")
    errs += validate_tolerations(spec.get("tolerations"), f"{field}.tolerations")
    for i, alias in enumerate(as_list(spec.get("hostAliases"))):
        a = as_dict(alias)
        errs += ip_errors(_str(a.get("ip")), f"{field}.hostAliases[{i}].ip")
        for j, host in enumerate(as_list(a.get("hostnames"))):
            errs += validate_dns1123_subdomain(_str(host), f"{field}.hostAliases[{i}].hostnames[{j}]")
    runtime_class = spec.get("runtimeClassName")
    if isinstance(runtime_class, str):
        errs += validate_dns1123_subdomain(runtime_class, f"{field}.runtimeClassName")
    preemption = spec.get("preemptionPolicy")
    if preemption is not None:
        errs += _enum(preemption, f"{field}.preemptionPolicy", ("PreemptLowerPriority", "Never"))
    if isinstance(spec.get("overhead"), dict):
        errs += validate_resource_requirements({"limits": spec["overhead"]}, f"{field}.overhead")
    os_spec = spec.get("os")
    if isinstance(os_spec, dict):
        os_name = os_spec.get("name", "")
        if not os_name:
            errs.append(required(f"{field}.os.name", "cannot be empty"))
        elif os_name not in ("linux", "windows"):
            errs.append(not_supported(f"{field}.os", os_name, ("linux", "windows")))
    return errs


def validate_pod_template_spec(template: Any, field: str) -> list[FieldError]:
    """ValidatePodTemplateSpec: template labels/annotations, the PodSpec, no ephemeral containers."""
    if not isinstance(template, dict):
        return [required(field)]
    md = as_dict(template.get("metadata"))
    errs = validate_labels(md.get("labels"), f"{field}.labels")
    errs += validate_annotations(md.get("annotations"), f"{field}.annotations")
    spec = as_dict(template.get("spec"))
    errs += validate_pod_spec(spec, f"{field}.spec")
    if as_list(spec.get("ephemeralContainers")):
        errs.append(forbidden(f"{field}.spec.ephemeralContainers", "ephemeral containers not allowed in pod template"))
    return errs


def validate_annotations(annotations: Any, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for k in as_dict(annotations):
        if isinstance(k, str):
            errs += [invalid(field, k, m) for m in qualified_name_errors(k.lower())]
    return errs


def _pod_specific_annotations(annotations: Any, field: str) -> list[FieldError]:
    cost = as_dict(annotations).get("controller.kubernetes.io/pod-deletion-cost")
    if cost is None:
        return []
    if parse_go_int(cost, 32) is None:  # GetDeletionCostFromPodAnnotations: strconv.ParseInt(v, 10, 32)
        return [invalid(f"{field}[controller.kubernetes.io/pod-deletion-cost]", cost, "must be a 32bit integer")]
    return []


def validate_pod(obj: Obj) -> list[FieldError]:
    """ValidatePodCreate: metadata extras, the PodSpec as a pod's, image whitespace, no ephemeral containers."""
    errs = meta_finalizer_errors(obj)
    md = as_dict(obj.get("metadata"))
    errs += _pod_specific_annotations(md.get("annotations"), "metadata.annotations")
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return [*errs, required("spec.containers")]
    errs += validate_pod_spec(spec, "spec", is_pod=True, pod_name=_str(md.get("name")) or None)
    for key in ("containers", "initContainers"):
        for i, c in enumerate(as_list(spec.get(key))):
            image = _str(as_dict(c).get("image"))
            if image != image.strip():
                errs.append(invalid(f"spec.{key}[{i}].image", image, "must not have leading or trailing whitespace"))
    if as_list(spec.get("ephemeralContainers")):
        errs.append(forbidden("spec.ephemeralContainers", "cannot be set on create"))
    if spec.get("nodeName") and as_list(spec.get("schedulingGates")):
        errs.append(forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared"))
    return errs


def _with_seconds_of(old: Any, new: Any) -> dict[str, Any]:
    clone = {k: v for k, v in as_dict(old).items() if k != "tolerationSeconds"}
    if as_dict(new).get("tolerationSeconds") is not None:
        clone["tolerationSeconds"] = as_dict(new)["tolerationSeconds"]
    return clone


def _tolerations_only_added(new: Sequence[Any], old: Sequence[Any], field: str) -> list[FieldError]:
    """validateOnlyAddedTolerations: existing tolerations stay (their tolerationSeconds may change)."""
    for o in old:
        if not any(_with_seconds_of(o, n) == as_dict(n) for n in new):
            return [forbidden(field, "existing toleration can not be modified except its tolerationSeconds")]
    return []


def validate_pod_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations and a negative grace period
    set to 1 may change in the spec (P-10)."""
    errs: list[FieldError] = []
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    for key in ("containers", "initContainers"):
        nc, oc = as_list(new_spec.get(key)), as_list(old_spec.get(key))
        if len(nc) != len(oc):
            return [forbidden(f"spec.{key}", "pod updates may not add or remove containers")]
        for i, c in enumerate(nc):
            if not _str(as_dict(c).get("image")):
                errs.append(required(f"spec.{key}[{i}].image"))
    new_deadline, old_deadline = new_spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    if new_deadline is not None:
        n = _int(new_deadline)
        if n is None or not 0 <= n <= MAX_INT32:
            return [*errs, invalid("spec.activeDeadlineSeconds", new_deadline, inclusive_range_error(0, MAX_INT32))]
        if old_deadline is not None and isinstance(old_deadline, int) and old_deadline < n:
            return [*errs, invalid("spec.activeDeadlineSeconds", n, "must be less than or equal to previous value")]
    elif old_deadline is not None:
        errs.append(invalid("spec.activeDeadlineSeconds", None, "must not update from a positive integer to nil "
                                                                "value"))
    errs += _tolerations_only_added(as_list(new_spec.get("tolerations")), as_list(old_spec.get("tolerations")),
                                    "spec.tolerations")
    if new_spec == old_spec:
        return errs
    munged = dict(new_spec)
    for key in ("containers", "initContainers"):
        if key in munged:
            munged[key] = [{**as_dict(c), "image": as_dict(oc).get("image")}
                           for c, oc in zip(as_list(new_spec.get(key)), as_list(old_spec.get(key)))]
    for key in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        munged.pop(key, None)
        if key in old_spec:
            munged[key] = old_spec[key]
    old_grace = _int(old_spec.get("terminationGracePeriodSeconds"))
    if old_grace is not None and old_grace < 0 and munged.get("terminationGracePeriodSeconds") == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    if munged != old_spec:
        errs.append(forbidden("spec", "pod updates may not change fields other than "
                                      + ",".join(UPDATABLE_POD_SPEC_FIELDS)))
    return errs


def _validate_pod_full_update(old: Obj, new: Obj) -> list[FieldError]:
    return validate_pod_update(old, new)


REGISTRY["Pod"] = KindInfo(
    "Pod", ("v1",), True, "pods", ("po",), default=default_pod, validate=validate_pod,
    validate_update=_validate_pod_full_update, prepare_create=prepare_pod, bind=bind_pod,
    indexes=frozenset({POD_INDEXES}),
)
