"""Generate ``refmodel/resources/_schema_data.py`` from the official Kubernetes Python client.

Usage (dev-time only; the client is NOT a runtime dependency of ``refmodel``)::

    pip install kubernetes==32.0.1
    python tools/gen_schema.py            # rewrites refmodel/resources/_schema_data.py
    python tools/gen_schema.py --check    # exit 1 if the committed file is stale

The client's generated models carry the v1.32 OpenAPI type tables: ``openapi_types`` (attribute ->
type) and ``attribute_map`` (attribute -> JSON field name). This script walks them from each modelled
kind's root type and emits one compact table ``TYPES: {type name: {json field: type spec}}``.

The client loses some OpenAPI formats, which are restored here from explicit tables (each checked
against the walked types, so a typo or an API change fails the generator loudly):

* ``object`` is either ``IntOrString`` (``x-kubernetes-int-or-string``) or free-form JSON;
* ``str`` / ``dict(str, str)`` may be a ``resource.Quantity`` (string or number) or base64 ``byte``;
* ``int`` is ``int32`` unless listed in ``INT64`` (the Go types use ``int64`` there).

Type specs in the output: ``string``, ``boolean``, ``number``, ``int32``, ``int64``, ``quantity``,
``int-or-string``, ``byte``, ``date-time``, ``object`` (free-form), ``[]T`` (list), ``{}T`` (map with
string keys), or a struct name (a key of ``TYPES``).
"""

from __future__ import annotations

import argparse
import pprint
import re
import sys
from pathlib import Path

ROOTS = {
    "Pod": "V1Pod",
    "Deployment": "V1Deployment",
    "ReplicaSet": "V1ReplicaSet",
    "StatefulSet": "V1StatefulSet",
    "Service": "V1Service",
    "Endpoints": "V1Endpoints",
    "Namespace": "V1Namespace",
    "ConfigMap": "V1ConfigMap",
    "Secret": "V1Secret",
    "PersistentVolume": "V1PersistentVolume",
    "PersistentVolumeClaim": "V1PersistentVolumeClaim",
    "StorageClass": "V1StorageClass",
    "Node": "V1Node",
    "ServiceAccount": "V1ServiceAccount",
    "ReplicationController": "V1ReplicationController",
    "LimitRange": "V1LimitRange",
    "ResourceQuota": "V1ResourceQuota",
    "Event": "CoreV1Event",
    "DaemonSet": "V1DaemonSet",
    "ControllerRevision": "V1ControllerRevision",
    "Job": "V1Job",
    "CronJob": "V1CronJob",
    "Ingress": "V1Ingress",
    "IngressClass": "V1IngressClass",
    "NetworkPolicy": "V1NetworkPolicy",
    "PodDisruptionBudget": "V1PodDisruptionBudget",
    "HorizontalPodAutoscaler": "V2HorizontalPodAutoscaler",
    "autoscaling/v1:HorizontalPodAutoscaler": "V1HorizontalPodAutoscaler",  # a version with its own schema
    "Role": "V1Role",
    "ClusterRole": "V1ClusterRole",
    "RoleBinding": "V1RoleBinding",
    "ClusterRoleBinding": "V1ClusterRoleBinding",
    "PriorityClass": "V1PriorityClass",
    "CustomResourceDefinition": "V1CustomResourceDefinition",
    "CSIDriver": "V1CSIDriver",
    "VolumeAttachment": "V1VolumeAttachment",
    "Lease": "V1Lease",
    "EndpointSlice": "V1EndpointSlice",
}
EXTRA_ROOTS = {"ObjectMeta": "V1ObjectMeta"}  # checked for every kind, opaque ones included

INT_OR_STRING = {
    ("V1ServicePort", "target_port"),
    ("V1HTTPGetAction", "port"),
    ("V1TCPSocketAction", "port"),
    ("V1RollingUpdateDeployment", "max_surge"),
    ("V1RollingUpdateDeployment", "max_unavailable"),
    ("V1RollingUpdateStatefulSetStrategy", "max_unavailable"),
    ("V1RollingUpdateDaemonSet", "max_surge"),
    ("V1RollingUpdateDaemonSet", "max_unavailable"),
    ("V1NetworkPolicyPort", "port"),
    ("V1PodDisruptionBudgetSpec", "max_unavailable"),
    ("V1PodDisruptionBudgetSpec", "min_available"),
}
FREE_FORM = {
    ("V1ManagedFieldsEntry", "fields_v1"),
    ("V1ControllerRevision", "data"),  # runtime.RawExtension
    ("V1CustomResourceSubresources", "status"),  # an empty struct upstream; any object decodes into it
    # JSONSchemaProps' JSON, JSONSchemaPropsOrBool and JSONSchemaPropsOrArray: custom unmarshallers
    ("V1JSONSchemaProps", "additional_items"),
    ("V1JSONSchemaProps", "additional_properties"),
    ("V1JSONSchemaProps", "default"),
    ("V1JSONSchemaProps", "dependencies"),
    ("V1JSONSchemaProps", "enum"),
    ("V1JSONSchemaProps", "example"),
    ("V1JSONSchemaProps", "items"),
}
QUANTITY = {
    ("V1ResourceRequirements", "limits"),
    ("V1ResourceRequirements", "requests"),
    ("V1VolumeResourceRequirements", "limits"),
    ("V1VolumeResourceRequirements", "requests"),
    ("V1PodSpec", "overhead"),
    ("V1EmptyDirVolumeSource", "size_limit"),
    ("V1ResourceFieldSelector", "divisor"),
    ("V1PersistentVolumeSpec", "capacity"),
    ("V1PersistentVolumeClaimStatus", "capacity"),
    ("V1PersistentVolumeClaimStatus", "allocated_resources"),
    ("V1ContainerStatus", "allocated_resources"),
    ("V1NodeStatus", "capacity"),
    ("V1NodeStatus", "allocatable"),
    ("V1LimitRangeItem", "default"),
    ("V1LimitRangeItem", "default_request"),
    ("V1LimitRangeItem", "max"),
    ("V1LimitRangeItem", "max_limit_request_ratio"),
    ("V1LimitRangeItem", "min"),
    ("V1ResourceQuotaSpec", "hard"),
    ("V1ResourceQuotaStatus", "hard"),
    ("V1ResourceQuotaStatus", "used"),
    ("V2MetricTarget", "average_value"),
    ("V2MetricTarget", "value"),
    ("V2MetricValueStatus", "average_value"),
    ("V2MetricValueStatus", "value"),
}
BYTES = {("V1Secret", "data"), ("V1ConfigMap", "binary_data")}
INT64 = {
    ("V1ObjectMeta", "generation"),
    ("V1ObjectMeta", "deletion_grace_period_seconds"),
    ("V1PodSpec", "active_deadline_seconds"),
    ("V1PodSpec", "termination_grace_period_seconds"),
    ("V1Probe", "termination_grace_period_seconds"),
    ("V1SecurityContext", "run_as_user"),
    ("V1SecurityContext", "run_as_group"),
    ("V1PodSecurityContext", "run_as_user"),
    ("V1PodSecurityContext", "run_as_group"),
    ("V1PodSecurityContext", "fs_group"),
    ("V1PodSecurityContext", "supplemental_groups"),
    ("V1Toleration", "toleration_seconds"),
    ("V1ServiceAccountTokenProjection", "expiration_seconds"),
    ("V1SleepAction", "seconds"),
    ("V1DeploymentStatus", "observed_generation"),
    ("V1ReplicaSetStatus", "observed_generation"),
    ("V1StatefulSetStatus", "observed_generation"),
    ("V1ContainerImage", "size_bytes"),
    ("V1LinuxContainerUser", "uid"),
    ("V1LinuxContainerUser", "gid"),
    ("V1LinuxContainerUser", "supplemental_groups"),
    ("V1Condition", "observed_generation"),
    ("V1ReplicationControllerStatus", "observed_generation"),
    ("V1DaemonSetStatus", "observed_generation"),
    ("V1ControllerRevision", "revision"),
    ("V1JobSpec", "active_deadline_seconds"),
    ("V1CronJobSpec", "starting_deadline_seconds"),
    ("V1PodDisruptionBudgetStatus", "observed_generation"),
    ("V2HorizontalPodAutoscalerStatus", "observed_generation"),
    ("V1HorizontalPodAutoscalerStatus", "observed_generation"),
    ("StorageV1TokenRequest", "expiration_seconds"),
    ("V1JSONSchemaProps", "max_items"),
    ("V1JSONSchemaProps", "max_length"),
    ("V1JSONSchemaProps", "max_properties"),
    ("V1JSONSchemaProps", "min_items"),
    ("V1JSONSchemaProps", "min_length"),
    ("V1JSONSchemaProps", "min_properties"),
}

OUT = Path(__file__).resolve().parents[1] / "refmodel" / "resources" / "_schema_data.py"


def _short(cls_name: str) -> str:
    for prefix in ("CoreV1", "V1"):
        if cls_name.startswith(prefix):
            return cls_name[len(prefix):]
    return cls_name


def generate() -> str:
    from kubernetes import __version__ as client_version
    from kubernetes.client import models

    used: dict[str, set[tuple[str, str]]] = {"int_or_string": set(), "free_form": set(), "quantity": set(),
                                              "bytes": set(), "int64": set()}
    types: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}  # short name -> class name (collision check)

    def spec_of(owner: str, attr: str, t: str) -> str:
        t = t.strip()
        m = re.fullmatch(r"list\[(.*)\]", t)
        if m:
            return "[]" + spec_of(owner, attr, m.group(1))
        m = re.fullmatch(r"dict\(str, (.*)\)", t)
        if m:
            return "{}" + spec_of(owner, attr, m.group(1))
        key = (owner, attr)
        if t == "object":
            if key in INT_OR_STRING:
                used["int_or_string"].add(key)
                return "int-or-string"
            if key in FREE_FORM:
                used["free_form"].add(key)
                return "object"
            raise SystemExit(f"unclassified 'object' field {owner}.{attr}: add it to INT_OR_STRING or FREE_FORM")
        if t == "str":
            if key in QUANTITY:
                used["quantity"].add(key)
                return "quantity"
            if key in BYTES:
                used["bytes"].add(key)
                return "byte"
            return "string"
        if t == "int":
            if key in INT64:
                used["int64"].add(key)
                return "int64"
            return "int32"
        if t == "bool":
            return "boolean"
        if t == "float":
            return "number"
        if t == "datetime":
            return "date-time"
        cls = getattr(models, t, None)
        if cls is None:
            raise SystemExit(f"unknown type {t!r} at {owner}.{attr}")
        walk(t)
        return _short(t)

    def walk(cls_name: str) -> None:
        short = _short(cls_name)
        if short in types:
            if names[short] != cls_name:
                raise SystemExit(f"type name collision: {cls_name} and {names[short]} both map to {short}")
            return
        names[short] = cls_name
        types[short] = {}
        cls = getattr(models, cls_name)
        fields: dict[str, str] = {}
        for attr, t in cls.openapi_types.items():
            fields[cls.attribute_map[attr]] = spec_of(cls_name, attr, t)
        types[short] = dict(sorted(fields.items()))

    roots = {}
    for kind, cls_name in {**ROOTS, **EXTRA_ROOTS}.items():
        walk(cls_name)
        roots[kind] = _short(cls_name)

    for table, declared in (("int_or_string", INT_OR_STRING), ("free_form", FREE_FORM), ("quantity", QUANTITY),
                            ("bytes", BYTES), ("int64", INT64)):
        missing = declared - used[table]
        if missing:
            raise SystemExit(f"{table}: declared but not found in the walked types: {sorted(missing)}")

    body = pprint.pformat(dict(sorted(types.items())), width=110, sort_dicts=False)
    return (
        '"""GENERATED by tools/gen_schema.py from the Kubernetes Python client '
        f"{client_version} (OpenAPI of v1.32). Do not edit.\n\n"
        "Regenerate with ``pip install kubernetes==32.0.1 && python tools/gen_schema.py``.\n"
        "``TYPES[name][json field]`` is a type spec (see tools/gen_schema.py); ``ROOTS[kind]`` names the\n"
        "root struct of each modelled kind.\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        '__all__ = ["ROOTS", "TYPES"]\n\n'
        f"ROOTS: dict[str, str] = {pprint.pformat(roots, width=110)}\n\n"
        f"TYPES: dict[str, dict[str, str]] = {body}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the generated file is stale")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run python tools/gen_schema.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
