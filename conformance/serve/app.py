"""HTTP to Request: the Kubernetes REST API over :class:`~conformance.serve.cluster.Cluster`, on aiohttp.

**Mirrors:** ``staging/src/k8s.io/apiserver/pkg/endpoints/installer.go`` (the URL layout
``/api/v1/namespaces/{ns}/{resource}/{name}/{subresource}`` and ``/apis/{group}/{version}/...``, the verbs
each answers), ``endpoints/handlers`` (``get.go``: GET, LIST with ``labelSelector``, ``fieldSelector``,
``limit``, ``continue``; ``watch.go``: ``?watch=true`` streams ``metav1.WatchEvent`` lines, bookmarks
with ``allowWatchBookmarks``, ``timeoutSeconds``; ``create.go``, ``update.go``, ``patch.go`` with its
content types ``application/merge-patch+json``, ``application/json-patch+json``,
``application/strategic-merge-patch+json`` and ``application/apply-patch+yaml``; ``delete.go``: a
``DeleteOptions`` body or query with ``propagationPolicy``, ``gracePeriodSeconds`` and
``preconditions``; ``deletecollection``), ``endpoints/handlers/responsewriters/status.go`` (every failure
is a ``metav1.Status``: ``apimachinery/pkg/api/errors/errors.go`` reasons and codes: 400 BadRequest,
401 Unauthorized, 404 NotFound, 405 MethodNotAllowed, 409 AlreadyExists/Conflict, 410 Expired,
413 RequestEntityTooLarge, 415 UnsupportedMediaType, 422 Invalid), ``endpoints/filters/authentication.go``
(a bearer token, else 401), ``server/config.go`` (``MaxRequestBodyBytes`` 3 MiB), the Table negotiation
(``Accept: application/json;as=Table;v=v1;g=meta.k8s.io``, :mod:`conformance.serve.tables`).
**Modelled:** the above; bodies in JSON or YAML, decoded strictly (duplicate fields refused when the
client asks for ``fieldValidation=Strict``, as kubectl does), with the body's namespace and name checked
against the URL's; a watch from ``resourceVersion`` replays the log after it, ``0`` or none starts with
ADDED for every current object, an expired one gets an ERROR event with ``410 Expired``.
Every write names its field manager (``fieldManager``, else the user agent's first word, as
``handlers/rest.go`` ``managerOrUserAgent``), so ``managedFields`` are kept and a server-side apply
(``application/apply-patch+yaml``, ``force=true``) is judged by :mod:`refmodel.managedfields`; ``force`` on
another patch and an apply without ``fieldManager`` are 422 (``ValidatePatchOptions``).
**Not modelled (and why):** ``application/apply-patch+cbor`` bodies (415: kubectl sends YAML); protobuf request bodies beyond the kinds :mod:`.protobuf` decodes (415), and
protobuf or CBOR responses (clients accept JSON); HTTP/2 (ALPN offers
``http/1.1``); ``exec``, ``logs``, ``port-forward`` and ``eviction`` (no processes behind the pods).
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import re
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any
from wsgiref.handlers import format_date_time

from aiohttp import web

from refmodel.errors import Rejection
from refmodel.request import Request, status_of
from refmodel.resources import KindInfo
from refmodel.yamlio import MAX_DEPTH, load_yaml

from . import discovery, protobuf
from .cluster import Cluster, WatchEvent
from .selectors import SelectorError, parse_field_selector, parse_label_selector
from .tables import table

__all__ = ["MAX_BODY", "make_app"]

MAX_BODY = 3 * 1024 * 1024  # MaxRequestBodyBytes
BOOKMARK_SECONDS = 1.0
_PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+cbor": "apply",
}
CLUSTER = web.AppKey("cluster", Cluster)
TOKEN = web.AppKey("token", str)


class ApiError(Exception):
    """A request the server refuses before the model sees it: answered as a ``metav1.Status``."""

    def __init__(self, code: int, reason: str, message: str, kind: str = "", name: str = "") -> None:
        super().__init__(message)
        self.rejection = Rejection(reason, message, code, kind, name)


def _status(rejection: Rejection, plural: str = "") -> web.Response:
    body = status_of(rejection)
    if rejection.kind == "PatchOptions":  # an options object, named by its group (errors.NewInvalid)
        body["details"]["group"] = "meta.k8s.io"
    elif plural and "details" in body and "kind" in body["details"]:
        body["details"]["kind"] = plural
    return _json(body, rejection.code)


def _json(body: Any, code: int = 200) -> web.Response:
    return web.Response(body=json.dumps(body, separators=(",", ":")).encode("utf-8"), status=code,
                        content_type="application/json")


# ---------------------------------------------------------------------------------------------
# the filters: errors become Status, every request is authenticated
# ---------------------------------------------------------------------------------------------
@web.middleware
async def _errors(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ApiError as exc:
        return _status(exc.rejection)
    except web.HTTPRequestEntityTooLarge:
        return _status(Rejection("RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY}", 413))
    except web.HTTPException as exc:
        reason = {404: "NotFound", 405: "MethodNotAllowed", 400: "BadRequest"}.get(exc.status, "BadRequest")
        return _status(Rejection(reason, exc.reason or reason, exc.status))
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    except Exception as exc:  # a bug in the server: a 500 Status, the traceback only in the server's log
        traceback.print_exc(file=sys.stderr)
        return _status(Rejection("InternalError", f"an error on the server ({type(exc).__name__}: {exc}) has "
                                 "prevented the request from succeeding", 500))


def _auth(token: str) -> Any:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def authenticate(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        got = request.headers.get("Authorization", "").encode("utf-8", "replace")
        if not hmac.compare_digest(got, expected):
            return _status(Rejection("Unauthorized", "Unauthorized", 401))
        response: web.StreamResponse = await handler(request)
        return response
    return authenticate


# ---------------------------------------------------------------------------------------------
# decoding
# ---------------------------------------------------------------------------------------------
def _no_constant(name: str) -> Any:
    raise ValueError(f"json: unsupported value: {name}")


_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(text: str) -> bool:
    """Whether JSON text nests past MAX_DEPTH (strings skipped), found without recursion."""
    depth = 0
    for tok in _JSON_TOKENS.finditer(text):
        c = tok.group()
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif c in "]}":
            depth -= 1
    return False


def _pairs(strict: bool) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out and strict:
                raise ValueError(f'json: duplicate field "{k}"')
            out[k] = v
        return out
    return build


async def _body(request: web.Request, yaml_ok: bool = True) -> Any:
    raw = await request.read()
    if not raw:
        raise ApiError(400, "BadRequest", "the request body is empty")
    if request.content_type == "application/vnd.kubernetes.protobuf":
        try:
            return protobuf.decode(raw)
        except protobuf.ProtobufError as exc:
            if exc.unsupported:
                raise ApiError(415, "UnsupportedMediaType", str(exc)) from None
            raise ApiError(400, "BadRequest", f"the protobuf body does not decode: {exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "BadRequest", f"the request body is not valid UTF-8 (byte {exc.start})") from None
    ctype = request.content_type
    strict = request.query.get("fieldValidation", "Strict") == "Strict"
    try:
        if yaml_ok and ctype in ("application/yaml", "application/apply-patch+yaml", "text/yaml"):
            return load_yaml(text)
        if _too_deep(text):
            raise ApiError(400, "BadRequest", f"json: exceeded max depth of {MAX_DEPTH}")
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_pairs(strict))
    except RecursionError:
        raise ApiError(400, "BadRequest", "the request body nests too deeply") from None
    except ValueError as exc:
        prefix = "strict decoding error: " if "duplicate field" in str(exc) else ""
        raise ApiError(400, "BadRequest", f"{prefix}{exc}") from None
    except Exception as exc:  # a YAML document the loader refuses (aliases, depth, syntax)
        raise ApiError(400, "BadRequest", f"the request body is not valid YAML: {exc}") from None


def _object_body(body: Any, info: KindInfo, gv: str, ns: str, name: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", f"the body of the request must be a {info.kind} object, not "
                       f"{type(body).__name__}", info.kind, name)
    md = body.get("metadata")
    if md is None:
        md = body["metadata"] = {}
    if not isinstance(md, dict):
        return body  # the model reports the field path
    if info.namespaced:
        body_ns = md.get("namespace")
        if body_ns not in (None, "", ns):
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace "
                           "sent on the request", info.kind, name)
        md["namespace"] = ns
    if name and md.get("name") not in (None, "", name):
        raise ApiError(400, "BadRequest", f"the name of the object ({md.get('name')}) does not match the name on "
                       f"the URL ({name})", info.kind, name)
    if name and not md.get("name"):
        md["name"] = name
    if body.get("kind") not in (None, info.kind) or body.get("apiVersion") not in (None, gv):
        raise ApiError(400, "BadRequest", f"the API version in the data ({body.get('apiVersion')}) does not match "
                       f"the expected API version ({gv})" if body.get("kind") == info.kind else
                       f"the kind in the data ({body.get('kind')}) does not match the expected kind "
                       f"({info.kind})", info.kind, name)
    body.setdefault("kind", info.kind)
    body.setdefault("apiVersion", gv)
    return body


def _int_param(request: web.Request, key: str) -> int | None:
    raw = request.query.get(key)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "BadRequest", f'{key}: Invalid value: "{raw}": must be an integer') from None


# ---------------------------------------------------------------------------------------------
# routing
# ---------------------------------------------------------------------------------------------
class _Target:
    def __init__(self, gv: str, info: KindInfo, ns: str, name: str, sub: str) -> None:
        self.gv, self.info, self.ns, self.name, self.sub = gv, info, ns, name, sub


def _target(gv: str, parts: list[str]) -> _Target:
    if parts and parts[0] == "namespaces" and len(parts) >= 3 and parts[2] not in ("status", "finalize"):
        ns, rest = parts[1], parts[2:]
    else:
        ns, rest = "", parts
    if not rest or len(rest) > 3 or any(p == "" for p in rest):
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    info = discovery.kinds_at(gv).get(rest[0])
    if info is None:
        raise ApiError(404, "NotFound", f"the server could not find the requested resource ({rest[0]} in {gv})")
    if ns and not info.namespaced:
        raise ApiError(404, "NotFound", f"the server could not find the requested resource ({info.plural} is not "
                       "namespaced)")
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if info.namespaced and name and not ns:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    return _Target(gv, info, ns, name, sub)


def make_app(cluster: Cluster, token: str) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_errors, _auth(token)])
    app[CLUSTER] = cluster
    app[TOKEN] = token
    app.router.add_route("*", "/{tail:.*}", _dispatch)

    async def stamp_date(request: web.Request, response: web.StreamResponse) -> None:
        # the Date a client sees is the cluster's clock (the model's, which --time-scale speeds up), as a
        # real API server's Date is its own clock: clients that judge ages (minReadySeconds) read it
        response.headers["Date"] = format_date_time(_now(cluster))

    app.on_response_prepare.append(stamp_date)
    return app


async def _dispatch(request: web.Request) -> web.StreamResponse:
    cluster = request.app[CLUSTER]
    path = request.path.rstrip("/") or "/"
    parts = [p for p in path.split("/")][1:]
    if request.method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        raise ApiError(405, "MethodNotAllowed", f"the server does not allow this method ({request.method})")
    if path in ("/version", "/healthz", "/livez", "/readyz") or path.startswith(("/healthz/", "/livez/", "/readyz/")):
        if request.method != "GET":
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if path == "/version":
            return _json(discovery.VERSION)
        return web.Response(text="ok", content_type="text/plain")
    if path.startswith("/openapi/"):
        return _openapi(request, path)
    if path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" and request.method == "POST":
        # ``kubectl auth can-i``: the one user holds the token that admits everything (AlwaysAllow)
        await request.read()
        return _json({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {},
                      "spec": {}, "status": {"allowed": True}}, 201)
    if parts[0] == "api":
        if len(parts) == 1:
            return _json(discovery.api_versions(f"{request.host}"))
        gv, rest = parts[1], parts[2:]
    elif parts[0] == "apis":
        if len(parts) == 1:
            return _json(discovery.api_groups())
        if len(parts) == 2:
            group = discovery.api_group(parts[1])
            if group is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return _json(group)
        gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    if not rest:
        resources = discovery.api_resources(gv)
        if resources is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return _json(resources)
    target = _target(gv, rest)
    handler = {"GET": _get, "POST": _post, "PUT": _put, "PATCH": _patch, "DELETE": _delete}[request.method]
    return await handler(request, cluster, target)


def _openapi(request: web.Request, path: str) -> web.Response:
    if path == "/openapi/v2":
        return web.Response(body=discovery.openapi_v2(), content_type="application/json")
    if path == "/openapi/v3":
        return _json(discovery.openapi_v3_index())
    key = path[len("/openapi/v3/"):]
    gv = key[len("api/"):] if key.startswith("api/") else key[len("apis/"):] if key.startswith("apis/") else ""
    doc = discovery.openapi_v3(gv) if gv and (key.startswith("api/") == ("/" not in gv)) else None
    if doc is None:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    return web.Response(body=doc, content_type="application/json")


# ---------------------------------------------------------------------------------------------
# the verbs
# ---------------------------------------------------------------------------------------------
def _wants_table(request: web.Request) -> bool:
    return any("as=Table" in part and "g=meta.k8s.io" in part for part in request.headers.get("Accept", "").split(","))


def _answer(cluster: Cluster, t: _Target, request: Request, ok_code: int | None = None) -> web.Response:
    response = cluster.request(request)
    if response.rejection is not None:
        return _status(response.rejection, t.info.plural)
    code = ok_code or response.code
    if response.obj is None:  # removed at once
        return _json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                      "details": {"name": t.name, "kind": t.info.plural}}, 200)
    obj = response.obj
    if t.sub == "scale":
        obj = _scale_view(cluster.state.get(t.info.kind, t.ns, t.name) or obj) if obj.get("kind") != "Scale" else obj
    return _json(obj, code)


def _scale_view(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``scaleFromDeployment`` (``pkg/registry/apps/deployment/storage/storage.go``): the Scale of an object."""
    md = obj["metadata"]
    spec = obj.get("spec") or {}
    sel = spec.get("selector") or {}
    if isinstance(sel, Mapping) and ("matchLabels" in sel or "matchExpressions" in sel):
        from .tables import _selector

        selector = _selector(sel)
    else:
        selector = ",".join(f"{k}={v}" for k, v in sorted((sel or {}).items()))
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in md},
            "spec": {"replicas": spec.get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": selector}}


def _matchers(request: web.Request, t: _Target) -> tuple[Callable[[Any], bool], Callable[[Any], bool]]:
    try:
        labels = parse_label_selector(request.query.get("labelSelector", ""))
        fields = parse_field_selector(request.query.get("fieldSelector", ""), t.info.kind)
    except SelectorError as exc:
        raise ApiError(400, "BadRequest", str(exc)) from None
    return labels, fields


async def _get(request: web.Request, cluster: Cluster, t: _Target) -> web.StreamResponse:
    if request.query.get("watch") in ("true", "1"):
        return await _watch(request, cluster, t)
    if t.name:
        if t.sub not in ("", "status", "scale"):
            raise ApiError(404, "NotFound", f"the server could not find the requested resource ({t.sub})")
        if t.sub == "scale" and t.info.kind not in ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        response = cluster.request(Request("get", t.info.kind, t.ns, t.name))
        if response.rejection is not None:
            return _status(response.rejection, t.info.plural)
        assert response.obj is not None
        obj: Any = _scale_view(response.obj) if t.sub == "scale" else response.obj
        if _wants_table(request) and t.sub == "":
            return _json(table(t.info.kind, [obj], _now(cluster), request.query.get("includeObject", "Metadata"),
                               str(cluster.state.rv)))
        return _json(obj)
    return _list(request, cluster, t)


def _now(cluster: Cluster) -> int:
    return cluster.state.config.start_time + cluster.state.now


def _exact_state(cluster: Cluster, rv_text: str) -> Any:
    """A list at exactly ``resourceVersion`` (``storage/cacher`` and ``etcd3/store.go`` GetList with
    ``resourceVersionMatch=Exact``): the state as of that revision, 410 Expired once it is too old."""
    try:
        rv = int(rv_text)
    except ValueError:
        raise ApiError(400, "BadRequest", f'resourceVersionMatch: Invalid value: "Exact": resourceVersionMatch '
                       f'"Exact" is forbidden for resourceVersion "{rv_text}"') from None
    if rv > cluster.state.rv:
        raise ApiError(504, "Timeout", f"Too large resource version: {rv}, current: {cluster.state.rv}")
    state = cluster.state_at(rv)
    if state is None:
        raise ApiError(410, "Expired", f"too old resource version: {rv} ({cluster.history[0].rv})")
    return state


def _list(request: web.Request, cluster: Cluster, t: _Target) -> web.Response:
    labels, fields = _matchers(request, t)
    limit = _int_param(request, "limit") or 0
    cont = request.query.get("continue", "")
    start: tuple[str, str] | None = None
    if cont:
        try:
            token = json.loads(base64.urlsafe_b64decode(cont.encode("ascii") + b"=="))
            snap_rv, start = int(token["rv"]), (str(token["start"][0]), str(token["start"][1]))
        except Exception:
            raise ApiError(400, "BadRequest", "continue key is not valid: the token does not decode") from None
        state = cluster.snapshots.get(snap_rv)
        if state is None:
            raise ApiError(410, "Expired", "The provided continue parameter is too old to display a consistent list "
                           "result. You can start a new list without the continue parameter.")
    elif request.query.get("resourceVersionMatch") == "Exact":
        state = _exact_state(cluster, request.query.get("resourceVersion", ""))
    else:
        state = cluster.snapshot() if limit else cluster.state
    ns = t.ns or None
    items = sorted((o for o in state.iter_kind(t.info.kind, ns)
                    if labels(o["metadata"].get("labels") or {}) and fields(o)),
                   key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
    if start is not None:
        items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start]
    next_token = ""
    remaining = 0
    if limit and len(items) > limit:
        remaining = len(items) - limit
        items = items[:limit]
        last = items[-1]["metadata"]
        next_token = base64.urlsafe_b64encode(json.dumps(
            {"rv": state.rv, "start": [last.get("namespace", ""), last["name"]]}).encode()).decode().rstrip("=")
    if _wants_table(request):
        return _json(table(t.info.kind, items, _now(cluster), request.query.get("includeObject", "Metadata"),
                           str(state.rv), next_token, remaining))
    meta: dict[str, Any] = {"resourceVersion": str(state.rv)}
    if next_token:
        meta["continue"] = next_token
        meta["remainingItemCount"] = remaining
    return _json({"kind": f"{t.info.kind}List", "apiVersion": t.gv, "metadata": meta, "items": items})


def _write_options(request: web.Request, apply: bool = False) -> dict[str, Any]:
    dry = request.query.getall("dryRun", [])
    if any(d != "All" for d in dry):
        raise ApiError(400, "BadRequest", f'dryRun: Unsupported value: "{dry[0]}": supported values: "All"')
    manager = request.query.get("fieldManager", "")
    if len(manager) > 128 or any(not c.isprintable() for c in manager):
        raise ApiError(422, "Invalid", f'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: '
                       f'"{manager[:140]}": must be at most 128 printable characters')
    if not manager and not apply:  # handlers/rest.go managerOrUserAgent: an apply must name its manager
        manager = request.headers.get("User-Agent", "").split("/")[0]
    return {"dry_run": bool(dry), "field_manager": manager}


async def _post(request: web.Request, cluster: Cluster, t: _Target) -> web.Response:
    opts = _write_options(request)
    if t.name:
        if t.sub != "binding" or t.info.kind != "Pod":
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        body = await _body(request)
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body of the request must be a Binding object")
        return _answer(cluster, t, Request("create", "Pod", t.ns, t.name, body=body, subresource="binding", **opts))
    if t.info.namespaced and not t.ns:
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource "
                       "(create needs a namespace in the URL)")
    body = _object_body(await _body(request), t.info, t.gv, t.ns, "")
    name = str(((body.get("metadata") or {}) if isinstance(body.get("metadata"), dict) else {}).get("name") or "")
    return _answer(cluster, _Target(t.gv, t.info, t.ns, name, ""), Request("create", t.info.kind, t.ns, name,
                                                                           body=body, **opts))


async def _put(request: web.Request, cluster: Cluster, t: _Target) -> web.Response:
    if not t.name or t.sub not in ("", "status", "scale"):
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
    opts = _write_options(request)
    raw = await _body(request)
    if t.sub == "scale":
        if not isinstance(raw, dict):
            raise ApiError(400, "BadRequest", "the body of the request must be a Scale object")
        body = raw
    else:
        body = _object_body(raw, t.info, t.gv, t.ns, t.name)
    rv = str(((body.get("metadata") or {}) if isinstance(body.get("metadata"), dict) else {}).get("resourceVersion") or "")
    return _answer(cluster, t, Request("update", t.info.kind, t.ns, t.name, body=body, subresource=t.sub,
                                       resource_version=rv, **opts))


async def _patch(request: web.Request, cluster: Cluster, t: _Target) -> web.Response:
    if not t.name or t.sub not in ("", "status", "scale"):
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
    patch_type = _PATCH_TYPES.get(request.content_type)
    if patch_type is None:
        raise ApiError(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - accepted '
                       f'media types include: {", ".join(_PATCH_TYPES)}')
    if patch_type == "apply" and request.content_type != "application/apply-patch+yaml":
        raise ApiError(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - accepted '
                       f'media types include: {", ".join(t for t in _PATCH_TYPES if t.endswith(("json", "yaml")))}')
    force = request.query.get("force")
    if force is not None and patch_type != "apply":
        raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be '
                       "specified for non-apply patch")
    opts = _write_options(request, apply=patch_type == "apply")
    body = await _body(request)
    if patch_type == "merge" and body is not None and not isinstance(body, dict) and \
            request.query.get("fieldValidation", "Warn") != "Ignore":
        # patch.go applyJSPatch: with Strict or Warn validation the patch is first decoded into a map
        go_type = "array" if isinstance(body, list) else "bool" if isinstance(body, bool) else \
            "string" if isinstance(body, str) else "number"
        raise ApiError(400, "BadRequest", f"error decoding patch: json: cannot unmarshal {go_type} into Go value "
                       "of type map[string]interface {}", t.info.kind, t.name)
    created = patch_type == "apply" and cluster.state.get(t.info.kind, t.ns if t.info.namespaced else "", t.name) is None
    return _answer(cluster, t, Request("patch", t.info.kind, t.ns, t.name, body=body, subresource=t.sub,
                                       patch_type=patch_type, force=force in ("true", "1"), **opts),
                   ok_code=201 if created else None)


async def _delete_options(request: web.Request) -> tuple[str | None, int | None, str, str]:
    propagation = request.query.get("propagationPolicy") or None
    grace = _int_param(request, "gracePeriodSeconds")
    uid = rv = ""
    if request.can_read_body:
        raw = await request.read()
        if raw.strip():
            body = await _body(request)
            if not isinstance(body, dict) or body.get("kind") not in (None, "DeleteOptions"):
                got = body.get("kind") if isinstance(body, dict) else type(body).__name__
                raise ApiError(400, "BadRequest", f"the body of a DELETE must be a DeleteOptions object, not {got}")
            propagation = body.get("propagationPolicy", propagation)
            grace = body.get("gracePeriodSeconds", grace)
            if body.get("orphanDependents") is True and propagation is None:
                propagation = "Orphan"
            pre = body.get("preconditions") or {}
            if not isinstance(pre, dict):
                raise ApiError(400, "BadRequest", "preconditions must be an object")
            uid, rv = str(pre.get("uid") or ""), str(pre.get("resourceVersion") or "")
    if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
        raise ApiError(400, "BadRequest", f"gracePeriodSeconds: Invalid value: {grace!r}: must be an integer")
    if propagation is not None and not isinstance(propagation, str):
        raise ApiError(400, "BadRequest", f"propagationPolicy: Invalid value: {propagation!r}: must be a string")
    if propagation is not None and propagation not in ("Background", "Foreground", "Orphan"):
        raise ApiError(422, "Invalid", f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported '
                       f'value: "{propagation}": supported values: "Foreground", "Background", "Orphan"')
    return propagation, grace, uid, rv


async def _delete(request: web.Request, cluster: Cluster, t: _Target) -> web.Response:
    if t.sub:
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
    opts = _write_options(request)
    propagation, grace, uid, rv = await _delete_options(request)
    if not t.name:  # deletecollection
        labels, fields = _matchers(request, t)
        victims = [o for o in cluster.state.iter_kind(t.info.kind, t.ns or None)
                   if labels(o["metadata"].get("labels") or {}) and fields(o)]
        for o in victims:
            cluster.request(Request("delete", t.info.kind, o["metadata"].get("namespace", ""), o["metadata"]["name"],
                                    propagation=propagation, grace_period_seconds=grace, **opts))
        return _json({"kind": f"{t.info.kind}List", "apiVersion": t.gv,
                      "metadata": {"resourceVersion": str(cluster.state.rv)}, "items": victims})
    if uid:
        live = cluster.state.get(t.info.kind, t.ns, t.name)
        if live is not None and live["metadata"].get("uid") != uid:
            raise ApiError(409, "Conflict", f"Operation cannot be fulfilled on {t.info.plural} \"{t.name}\": "
                           f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                           f"{live['metadata'].get('uid')}", t.info.plural, t.name)
    return _answer(cluster, t, Request("delete", t.info.kind, t.ns, t.name, propagation=propagation,
                                       grace_period_seconds=grace, resource_version=rv, **opts))


# ---------------------------------------------------------------------------------------------
# watch
# ---------------------------------------------------------------------------------------------
async def _watch(request: web.Request, cluster: Cluster, t: _Target) -> web.StreamResponse:
    labels, fields = _matchers(request, t)
    if t.name:
        name_match = fields

        def fields(o: Any, _m: Any = name_match) -> bool:
            return bool(o["metadata"]["name"] == t.name and _m(o))
    timeout = _int_param(request, "timeoutSeconds") or 1800
    bookmarks = request.query.get("allowWatchBookmarks") in ("true", "1")
    as_table = _wants_table(request)
    include = request.query.get("includeObject", "Metadata")
    rv_param = request.query.get("resourceVersion", "")
    queue: asyncio.Queue[list[WatchEvent]] = asyncio.Queue()
    listener = queue.put_nowait
    cluster.listeners.append(listener)
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)

    def matches(o: Any) -> bool:
        return bool((not t.ns or o["metadata"].get("namespace") == t.ns)
                    and labels(o["metadata"].get("labels") or {}) and fields(o))

    def encode(type_: str, obj: Any) -> bytes:
        if as_table and type_ != "ERROR" and type_ != "BOOKMARK":
            obj = table(t.info.kind, [obj], _now(cluster), include, headers=True)
        return (json.dumps({"type": type_, "object": obj}, separators=(",", ":")) + "\n").encode("utf-8")

    floor = -1  # events at or before this resourceVersion were sent (or were in the initial list)

    async def send(events: list[WatchEvent]) -> None:
        nonlocal floor
        out = []
        for e in events:
            if e.kind != t.info.kind or e.rv <= floor:
                continue
            now_in = matches(e.obj)
            was_in = e.old is not None and e.type != "ADDED" and matches(e.old)
            if e.type == "DELETED":
                if was_in:
                    out.append(encode("DELETED", e.obj))
            elif now_in and was_in:
                out.append(encode("MODIFIED", e.obj))
            elif now_in:
                out.append(encode("ADDED", e.obj))
            elif was_in:
                out.append(encode("DELETED", e.obj))
        if events:
            floor = max(floor, max(e.rv for e in events))
        if out:
            await response.write(b"".join(out))

    try:
        if rv_param in ("", "0"):
            state = cluster.state
            floor = state.rv
            initial = sorted((o for o in state.iter_kind(t.info.kind, t.ns or None) if matches(o)),
                             key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
            if initial:
                await response.write(b"".join(encode("ADDED", o) for o in initial))
        else:
            try:
                since = int(rv_param)
            except ValueError:
                since = -1
            backlog = cluster.events_since(since) if since >= 0 else None
            if backlog is None:
                gone = status_of(Rejection("Expired", f"too old resource version: {rv_param} ({cluster.first_rv})", 410))
                await response.write(encode("ERROR", gone))
                return response
            floor = since
            await send(backlog)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            try:
                events = await asyncio.wait_for(queue.get(), timeout=min(left, BOOKMARK_SECONDS))
            except TimeoutError:
                if bookmarks:
                    mark = {"kind": t.info.kind, "apiVersion": t.gv,
                            "metadata": {"resourceVersion": str(cluster.state.rv)}}
                    await response.write(encode("BOOKMARK", mark))
                continue
            await send(events)
    except (ConnectionResetError, ConnectionError):
        pass
    finally:
        if listener in cluster.listeners:
            cluster.listeners.remove(listener)
    return response
