"""What the server says about itself: ``/version``, discovery and the OpenAPI documents, all generated
from the model's own kind registry (:data:`refmodel.resources.REGISTRY`) and type tables
(``refmodel/resources/_schema_data.py``, with the patch tags of :data:`refmodel.patch.PATCH_META`).

**Mirrors:** ``staging/src/k8s.io/apimachinery/pkg/version/types.go`` (``Info``),
``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/types.go`` (``APIVersions``, ``APIGroupList``,
``APIGroup``, ``APIResourceList``, ``APIResource`` with verbs, short names, categories and the
subresources ``deployments/scale`` (group ``autoscaling``, version ``v1``, kind ``Scale``) and
``*/status``), ``staging/src/k8s.io/apiserver/pkg/endpoints/installer.go`` (the paths and verbs a
resource gets, the ``x-kubernetes-group-version-kind`` and ``x-kubernetes-action`` extensions on each
operation and the query parameters of PATCH: ``dryRun``, ``fieldManager``, ``fieldValidation``,
``force``), ``k8s.io/kube-openapi`` (``/openapi/v2``: Swagger 2.0; ``/openapi/v3``: the index of one
OpenAPI 3.0 document per group-version at ``serverRelativeURL``) and the schema extensions
``x-kubernetes-patch-merge-key``, ``x-kubernetes-patch-strategy``, ``x-kubernetes-int-or-string``,
``x-kubernetes-preserve-unknown-fields``. ``kubectl apply`` reads the v3 document of a kind's
group-version to learn that the server validates fields itself
(``staging/src/k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go`` ``supportsQueryParamV3``).
**Modelled:** every served kind at every served version; the schema of every struct the type tables know.
**Not modelled (and why):** aggregated discovery (``apidiscovery.k8s.io/v2``: clients fall back to these
documents when the answer is plain ``application/json``), the protobuf encodings, descriptions of fields
(the type tables carry none).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from refmodel.apiserver import SCALABLE
from refmodel.patch import PATCH_META
from refmodel.resources import REGISTRY, KindInfo
from refmodel.resources._schema_data import ROOTS, TYPES

__all__ = ["VERSION", "api_groups", "api_resources", "api_versions", "group_versions", "kinds_at",
           "openapi_v2", "openapi_v3", "openapi_v3_index"]

VERSION = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.0-kubeoracle", "gitCommit": "0" * 40,
    "gitTreeState": "clean", "buildDate": "2024-12-11T00:00:00Z", "goVersion": "go1.23.4",
    "compiler": "gc", "platform": "linux/amd64",
}
ALL_CATEGORY = frozenset({"Pod", "Service", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job",
                          "CronJob", "ReplicationController", "HorizontalPodAutoscaler"})
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


def _split(gv: str) -> tuple[str, str]:
    return (gv.split("/", 1)[0], gv.split("/", 1)[1]) if "/" in gv else ("", gv)


@cache
def group_versions() -> dict[str, list[KindInfo]]:
    """groupVersion -> the kinds served there, in registry order."""
    out: dict[str, list[KindInfo]] = {}
    for info in REGISTRY.values():
        for gv in info.api_versions:
            out.setdefault(gv, []).append(info)
    return out


def kinds_at(gv: str) -> dict[str, KindInfo]:
    """plural -> kind at this group-version."""
    return {info.plural: info for info in group_versions().get(gv, [])}


def api_versions(server_address: str) -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def api_groups() -> dict[str, Any]:
    groups: dict[str, list[str]] = {}
    for gv in group_versions():
        group, version = _split(gv)
        if group:
            groups.setdefault(group, [])
            if version not in groups[group]:
                groups[group].append(version)
    preferred = {}
    for info in REGISTRY.values():  # a kind's first version is its preferred one
        group, version = _split(info.api_versions[0])
        preferred.setdefault(group, version)
    out = []
    for group, versions in groups.items():
        pref = preferred.get(group, versions[0])
        ordered = [pref, *[v for v in versions if v != pref]]
        out.append({"name": group,
                    "versions": [{"groupVersion": f"{group}/{v}", "version": v} for v in ordered],
                    "preferredVersion": {"groupVersion": f"{group}/{pref}", "version": pref}})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": out}


def api_group(group: str) -> dict[str, Any] | None:
    for g in api_groups()["groups"]:
        if g["name"] == group:
            return {"kind": "APIGroup", "apiVersion": "v1", **g}
    return None


def api_resources(gv: str) -> dict[str, Any] | None:
    kinds = group_versions().get(gv)
    if kinds is None:
        return None
    resources: list[dict[str, Any]] = []
    for info in kinds:
        r: dict[str, Any] = {"name": info.plural, "singularName": info.kind.lower(), "namespaced": info.namespaced,
                             "kind": info.kind, "verbs": VERBS}
        if info.short_names:
            r["shortNames"] = list(info.short_names)
        if info.kind in ALL_CATEGORY:
            r["categories"] = ["all"]
        resources.append(r)
        if info.has_status:
            resources.append({"name": f"{info.plural}/status", "singularName": "", "namespaced": info.namespaced,
                              "kind": info.kind, "verbs": ["get", "patch", "update"]})
        if info.kind in SCALABLE:
            resources.append({"name": f"{info.plural}/scale", "singularName": "", "namespaced": info.namespaced,
                              "group": "autoscaling", "version": "v1", "kind": "Scale",
                              "verbs": ["get", "patch", "update"]})
        if info.kind == "Pod":
            resources.append({"name": "pods/binding", "singularName": "", "namespaced": True, "kind": "Binding",
                              "verbs": ["create"]})
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


# ---------------------------------------------------------------------------------------------
# OpenAPI
# ---------------------------------------------------------------------------------------------
_SCALARS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "number": {"type": "number", "format": "double"},
    "int32": {"type": "integer", "format": "int32"},
    "int64": {"type": "integer", "format": "int64"},
    "quantity": {"type": "string", "format": "quantity", "x-kubernetes-int-or-string": True},
    "int-or-string": {"type": "string", "format": "int-or-string", "x-kubernetes-int-or-string": True},
    "byte": {"type": "string", "format": "byte"},
    "date-time": {"type": "string", "format": "date-time"},
    "object": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
}


def _schema_of(spec: str, ref: str) -> dict[str, Any]:
    if spec.startswith("[]"):
        return {"type": "array", "items": _schema_of(spec[2:], ref)}
    if spec.startswith("{}"):
        return {"type": "object", "additionalProperties": _schema_of(spec[2:], ref)}
    if spec in _SCALARS:
        return dict(_SCALARS[spec])
    if spec in TYPES:
        return {"$ref": ref + spec} if ref.startswith("#/definitions") else {"allOf": [{"$ref": ref + spec}]}
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _gvk_of(info: KindInfo, gv: str) -> dict[str, str]:
    group, version = _split(gv)
    return {"group": group, "version": version, "kind": info.kind}


def _root_name(info: KindInfo, gv: str) -> str:
    return ROOTS.get(f"{gv}:{info.kind}") or ROOTS.get(info.kind) or ""


def _schemas(ref: str) -> dict[str, Any]:
    gvks: dict[str, list[dict[str, str]]] = {}
    for gv, kinds in group_versions().items():
        for info in kinds:
            root = _root_name(info, gv)
            if root:
                gvks.setdefault(root, []).append(_gvk_of(info, gv))
    out: dict[str, Any] = {}
    for name, fields in TYPES.items():
        props: dict[str, Any] = {}
        for field, spec in fields.items():
            prop = _schema_of(spec, ref)
            meta = PATCH_META.get((name, field))
            if meta is not None:
                strategy = ",".join(s for s in (meta.strategy, "retainKeys" if meta.retain_keys else "") if s)
                if strategy:
                    prop["x-kubernetes-patch-strategy"] = strategy
                if meta.merge_key:
                    prop["x-kubernetes-patch-merge-key"] = meta.merge_key
            props[field] = prop
        schema: dict[str, Any] = {"type": "object", "properties": props}
        if name in gvks:
            schema["x-kubernetes-group-version-kind"] = gvks[name]
        out[name] = schema
    return out


_QUERY = {
    "dryRun": "When present, indicates that modifications should not be persisted.",
    "fieldManager": "fieldManager is a name associated with the actor or entity that is making these changes.",
    "fieldValidation": "fieldValidation instructs the server on how to handle objects in the request "
                       "containing unknown or duplicate fields (Ignore, Warn, Strict).",
    "force": "Force is going to \"force\" Apply requests.",
}


def _param(name: str, v3: bool) -> dict[str, Any]:
    p: dict[str, Any] = {"name": name, "in": "query", "description": _QUERY.get(name, name), "uniqueItems": True}
    kind = "boolean" if name == "force" else "string"
    if v3:
        p["schema"] = {"type": kind}
    else:
        p["type"] = kind
    return p


def _op(info: KindInfo, gv: str, action: str, params: tuple[str, ...], v3: bool, body_ref: str | None,
        ref: str) -> dict[str, Any]:
    group, version = _split(gv)
    op: dict[str, Any] = {
        "operationId": f"{action}{info.kind}",
        "tags": [f"{group or 'core'}_{version}"],
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk_of(info, gv),
        "parameters": [_param(p, v3) for p in params],
        "responses": {"200": {"description": "OK"}, "401": {"description": "Unauthorized"}},
    }
    root = _root_name(info, gv)
    if root and body_ref:
        if v3:
            op["responses"]["200"]["content"] = {"application/json": {"schema": {"$ref": ref + root}}}
            if action in ("post", "put", "patch"):
                media = ("application/json-patch+json", "application/merge-patch+json",
                         "application/strategic-merge-patch+json") if action == "patch" else ("*/*",)
                op["requestBody"] = {"content": {m: {"schema": {"$ref": ref + root} if action != "patch" else
                                                     {"type": "object"}} for m in media}, "required": True}
        else:
            op["responses"]["200"]["schema"] = {"$ref": ref + root}
    return op


def _paths(gv: str, v3: bool, ref: str) -> dict[str, Any]:
    base = f"/api/{gv}" if "/" not in gv else f"/apis/{gv}"
    paths: dict[str, Any] = {}
    for info in group_versions().get(gv, []):
        coll = f"{base}/namespaces/{{namespace}}/{info.plural}" if info.namespaced else f"{base}/{info.plural}"
        item = coll + "/{name}"
        write = ("dryRun", "fieldManager", "fieldValidation")
        paths[coll] = {"get": _op(info, gv, "list", (), v3, "x", ref),
                       "post": _op(info, gv, "post", write, v3, "x", ref),
                       "delete": _op(info, gv, "deletecollection", ("dryRun",), v3, None, ref)}
        paths[item] = {"get": _op(info, gv, "get", (), v3, "x", ref),
                       "put": _op(info, gv, "put", write, v3, "x", ref),
                       "patch": _op(info, gv, "patch", (*write, "force"), v3, "x", ref),
                       "delete": _op(info, gv, "delete", ("dryRun",), v3, None, ref)}
        if info.has_status:
            paths[item + "/status"] = {"get": _op(info, gv, "get", (), v3, "x", ref),
                                       "put": _op(info, gv, "put", write, v3, "x", ref),
                                       "patch": _op(info, gv, "patch", (*write, "force"), v3, "x", ref)}
        if info.kind in SCALABLE:
            paths[item + "/scale"] = {"get": _op(info, gv, "get", (), v3, None, ref),
                                      "put": _op(info, gv, "put", write, v3, None, ref),
                                      "patch": _op(info, gv, "patch", (*write, "force"), v3, None, ref)}
    return paths


@cache
def openapi_v3(gv: str) -> bytes | None:
    """The OpenAPI 3.0 document of one group-version (JSON bytes), or None if it is not served."""
    if gv not in group_versions():
        return None
    ref = "#/components/schemas/"
    doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
           "paths": _paths(gv, True, ref), "components": {"schemas": _schemas(ref)}}
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")


@cache
def openapi_v3_index() -> dict[str, Any]:
    paths = {}
    for gv in group_versions():
        key = f"api/{gv}" if "/" not in gv else f"apis/{gv}"
        doc = openapi_v3(gv)
        assert doc is not None
        digest = hashlib.sha512(doc).hexdigest()[:128].upper()
        paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
    return {"paths": paths}


@cache
def openapi_v2() -> bytes:
    ref = "#/definitions/"
    paths: dict[str, Any] = {}
    for gv in group_versions():
        paths.update(_paths(gv, False, ref))
    doc = {"swagger": "2.0", "info": {"title": "Kubernetes", "version": VERSION["gitVersion"]},
           "paths": paths, "definitions": _schemas(ref),
           "securityDefinitions": {"BearerToken": {"type": "apiKey", "name": "authorization", "in": "header"}},
           "security": [{"BearerToken": []}]}
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")
