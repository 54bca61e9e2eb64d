"""Server-side apply through the real kubectl (``kubectl apply --server-side``) against ``kubeoracle serve``:
create-on-apply, managedFields per field manager, conflicts with appliers and with other writers (409 with
upstream's message, which kubectl prints), ``--force-conflicts``, shared ownership and pruning
(:mod:`refmodel.managedfields`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serving import KUBECTL, Server, deployment_yaml, need_serve_deps, start

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (the tests drive the real binary)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need_serve_deps()
    yield from start(tmp_path_factory.mktemp("serve-apply"))


def _write(tmp: Path, replicas: int, labels: str = "") -> str:
    path = tmp / f"ssa-{replicas}-{len(labels)}.yaml"
    path.write_text(deployment_yaml("ssa", replicas, labels=labels))
    return str(path)


def _live(server: Server) -> dict[str, Any]:
    return json.loads(server.kubectl("get", "deployment", "ssa", "-o", "json", "--show-managed-fields").stdout)  # type: ignore[no-any-return]


def _owners(obj: dict[str, Any], *path: str) -> list[str]:
    """The managers (``manager/Operation[/subresource]``) whose FieldsV1 holds ``path`` (``f:`` keys)."""
    out = []
    for entry in obj["metadata"].get("managedFields") or ():
        node = entry["fieldsV1"]
        for key in path:
            node = node.get(f"f:{key}") if isinstance(node, dict) else None
        if node is not None:
            out.append("/".join(filter(None, (entry["manager"], entry["operation"], entry.get("subresource")))))
    return sorted(out)


# TestApplyCRDStructuralSchema-style end to end (test/integration/apiserver/apply/apply_test.go
# TestApplyManagedFields, TestApplyUpdateApplyConflictForced, TestApplyGroupsManySeparateUpdates)
def test_server_side_apply_owns_conflicts_and_forces(server: Server, tmp_path: Path) -> None:
    out = server.kubectl("apply", "--server-side", "-f", _write(tmp_path, 2, ", tier: web"))
    assert out.stdout.strip() == "deployment.apps/ssa serverside-applied", out.stdout
    live = _live(server)
    assert [(e["manager"], e["operation"]) for e in live["metadata"]["managedFields"]] == [("kubectl", "Apply")], live
    assert _owners(live, "spec", "replicas") == ["kubectl/Apply"]
    assert _owners(live, "spec", "progressDeadlineSeconds") == []  # defaulted by the server: nobody applied it
    containers = live["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert list(containers) == ['k:{"name":"app"}'] and "." in containers['k:{"name":"app"}'], containers

    # another writer changes fields the applier owns: the next apply conflicts, names both, changes nothing
    server.kubectl("scale", "deployment", "ssa", "--replicas=3")
    server.kubectl("set", "image", "deployment/ssa", "app=nginx:1.28")
    again = server.kubectl("apply", "--server-side", "-f", _write(tmp_path, 2, ", tier: web"), check=False)
    assert again.returncode == 1, again
    assert "Apply failed with 2 conflicts: conflicts with \"kubectl\" with subresource \"scale\" using apps/v1:\n" \
        "- .spec.replicas\nconflicts with \"kubectl-set\" using apps/v1:\n" \
        "- .spec.template.spec.containers[name=\"app\"].image" in again.stderr, again.stderr
    live = _live(server)
    assert live["spec"]["replicas"] == 3 and live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"

    # --force-conflicts takes the fields: the other writers' entries, left empty, are gone
    server.kubectl("apply", "--server-side", "--force-conflicts", "-f", _write(tmp_path, 2, ", tier: web"))
    live = _live(server)
    assert live["spec"]["replicas"] == 2 and live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert [e["manager"] for e in live["metadata"]["managedFields"]] == ["kubectl"], live["metadata"]["managedFields"]

    # a second applier setting the same value co-owns it; a different value is a conflict with the first
    server.kubectl("apply", "--server-side", "--field-manager=bob", "-f", _write(tmp_path, 2, ", tier: web"))
    assert _owners(_live(server), "spec", "replicas") == ["bob/Apply", "kubectl/Apply"]
    bob = server.kubectl("apply", "--server-side", "--field-manager=bob", "-f", _write(tmp_path, 4, ", tier: web"),
                         check=False)
    assert bob.returncode == 1 and 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' in bob.stderr, \
        bob.stderr

    # an applier that stops applying a field it alone owned removes it (prune); a co-owned one stays
    server.kubectl("apply", "--server-side", "--field-manager=bob", "-f", _write(tmp_path, 2))
    assert _live(server)["metadata"]["labels"] == {"app": "ssa", "tier": "web"}  # kubectl still applies tier
    server.kubectl("apply", "--server-side", "-f", _write(tmp_path, 2))
    assert _live(server)["metadata"]["labels"] == {"app": "ssa"}


def test_apply_needs_a_field_manager_and_a_matching_version(server: Server) -> None:
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: '1'}\n"
    path = "/api/v1/namespaces/default/configmaps/cm"
    code, status = server.call("PATCH", path, raw=body.encode(), content_type="application/apply-patch+yaml")
    assert (code, status["reason"]) == (422, "Invalid") and "fieldManager: Required value" in status["message"], status
    code, status = server.call("PATCH", path + "?fieldManager=me", raw=body.replace("v1", "v2", 1).encode(),
                               content_type="application/apply-patch+yaml")
    assert (code, status["message"]) == (400, "Incorrect version specified in apply patch. Specified patch "
                                               "version: v2, expected: v1"), status
    assert server.call("GET", path)[0] == 404  # a refused apply creates nothing
    code, created = server.call("PATCH", path + "?fieldManager=me", raw=body.encode(),
                                content_type="application/apply-patch+yaml")
    assert code == 201 and created["data"] == {"a": "1"}, created
    assert [(e["manager"], e["operation"]) for e in created["metadata"]["managedFields"]] == [("me", "Apply")]


# ---- refmodel.managedfields, pure (no server) ---------------------------------------------------------
from refmodel import managedfields as mf  # noqa: E402

DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "default"},
          "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}}, "template": {
              "metadata": {"labels": {"a": "b"}},
              "spec": {"containers": [{"name": "c", "image": "i:1", "ports": [{"containerPort": 80}]}]}}}}


def _apply(live: Any, config: Any, who: str, force: bool = False) -> Any:
    out = mf.apply(live, config, "Deployment", who, force=force, now="2026-01-01T00:00:00Z", api_version="apps/v1")
    if isinstance(out, mf.Conflict):
        return out
    obj, entries = out
    obj["metadata"]["managedFields"] = entries
    return obj


def _with(obj: Any, **spec: Any) -> Any:
    out = json.loads(json.dumps(obj))
    out["spec"].update(spec)
    return out


# fieldpath/serialize_test.go TestSerializeV1: "." for a node owned itself, f: before k:, keys as JSON
def test_fields_v1_encoding() -> None:
    obj = _apply(None, DEPLOY, "a")
    fields = obj["metadata"]["managedFields"][0]["fieldsV1"]
    containers = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]
    assert containers == {'k:{"name":"c"}': {".": {}, "f:image": {}, "f:name": {}, "f:ports": {
        'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}}, containers
    assert fields["f:spec"]["f:selector"] == {}  # LabelSelector is an atomic struct: owned whole
    assert "f:metadata" not in fields and "f:apiVersion" not in fields  # stripmeta.go: name, namespace never owned


# conflict_test.go TestNewConflictError; merge/multiple_appliers_test.go (conflicts, force, co-ownership)
def test_conflicts_force_and_shared_ownership() -> None:
    live = _apply(None, DEPLOY, "a")
    assert isinstance(_apply(live, DEPLOY, "b"), dict)  # the same values: no conflict, both own them
    clash = _apply(live, _with(DEPLOY, replicas=3), "b")
    assert isinstance(clash, mf.Conflict), clash
    assert clash.message == 'Apply failed with 1 conflict: conflict with "a": .spec.replicas'
    assert clash.causes() == [{"type": "FieldManagerConflict", "message": 'conflict with "a"', "field": ".spec.replicas"}]
    forced = _apply(live, _with(DEPLOY, replicas=3), "b", force=True)
    assert forced["spec"]["replicas"] == 3
    owners = {e["manager"]: e["fieldsV1"]["f:spec"] for e in forced["metadata"]["managedFields"]}
    assert "f:replicas" in owners["b"] and "f:replicas" not in owners["a"], owners
    two = mf.conflict_message([(mf.Manager("z", "Update", "apps/v1"), (("f", "spec"), ("f", "replicas"))),
                               (mf.Manager("a", "Apply"), (("f", "spec"), ("f", "paused")))])
    assert two == 'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.paused\nconflicts with "z" using ' \
        "apps/v1:\n- .spec.replicas", two


# merge/update.go Updater.Update: an updater takes what it modified; an applier then conflicts with it
def test_an_update_takes_the_fields_it_changes() -> None:
    live = _apply(None, DEPLOY, "a")
    new = _with(live, replicas=5)
    entries = mf.update(live, new, "Deployment", "kubectl-edit", now="t", api_version="apps/v1")
    assert [(e["manager"], e["operation"]) for e in entries] == [("a", "Apply"), ("kubectl-edit", "Update")]
    assert entries[1]["fieldsV1"] == {"f:spec": {"f:replicas": {}}}, entries[1]
    assert "f:replicas" not in entries[0]["fieldsV1"]["f:spec"]  # forced away from the applier
    new["metadata"]["managedFields"] = entries
    clash = _apply(new, DEPLOY, "a")
    assert isinstance(clash, mf.Conflict) and clash.message.endswith('"kubectl-edit" using apps/v1: .spec.replicas')


# merge/update.go prune: an item the applier applied last time and no longer does is removed
def test_prune_removes_what_only_the_applier_stopped_applying() -> None:
    two = json.loads(json.dumps(DEPLOY))
    two["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "s:1"})
    live = _apply(_apply(None, two, "a"), two, "b")  # b co-owns the side container
    kept = _apply(live, DEPLOY, "a")
    assert [c["name"] for c in kept["spec"]["template"]["spec"]["containers"]] == ["c", "side"]
    gone = _apply(_apply(None, two, "a"), DEPLOY, "a")
    assert [c["name"] for c in gone["spec"]["template"]["spec"]["containers"]] == ["c"]


@pytest.mark.parametrize("body", [
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: h}\nspec: [1, 2]\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: h}\nspec: {template: {spec: {containers: [1, {name: 3}]}}}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: h, managedFields: []}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other}\n",
    "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: h}\n",
    "- just\n- a list\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: [h]\n",
])
def test_hostile_apply_bodies_get_4xx(server: Server, body: str) -> None:
    code, status = server.call("PATCH", "/apis/apps/v1/namespaces/default/deployments/h?fieldManager=fuzz",
                               raw=body.encode(), content_type="application/apply-patch+yaml")
    assert 400 <= code < 500 and status["kind"] == "Status", (code, status)
    assert server.call("GET", "/apis/apps/v1/namespaces/default/deployments/h")[0] == 404  # nothing half-made
