"""Revisions of a Deployment's ReplicaSets when it adopts another Deployment's (random-seed conformance
failures, pinned as explicit scripts).

Upstream (pkg/controller/deployment/sync.go ``getNewReplicaSet``, deployment_util.go
``SetNewReplicaSetAnnotations``/``MaxRevision``): only the new ReplicaSet is (re)numbered, to
MaxRevision(old) + 1 and never downwards; an adopted ReplicaSet keeps the revision its first Deployment
gave it. So two old ReplicaSets of one Deployment may both carry revision 1, and the invariant that
said "no two ReplicaSets of a Deployment carry the same revision" was wrong; the new ReplicaSet's
revision is still above every old one's.
"""

from __future__ import annotations

from typing import Any

import refmodel as rm
from conformance.invariants import Context
from conformance.invariants.deployments import new_revision_is_the_highest
from conformance.view import StateView
from refmodel import events as ev

REVISION = "deployment.kubernetes.io/revision"


def _deployment(name: str, labels: dict[str, str], image: str, replicas: int = 2) -> ev.Apply:
    return ev.Apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "default"},
                     "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                              "template": {"metadata": {"labels": labels},
                                           "spec": {"containers": [{"name": "main", "image": image}]}}}})


def _run(script: list[Any]) -> rm.ClusterState:
    s = rm.new_cluster(nodes=3)
    for e in script:
        s = rm.converge(s) if e is None else rm.transition(s, e).state
    return s


def _revisions(s: rm.ClusterState, deployment: str) -> dict[str, int]:
    d = s.get("Deployment", "default", deployment)
    assert d is not None
    uid = d["metadata"]["uid"]
    return {rs["metadata"]["name"]: int(rs["metadata"]["annotations"][REVISION]) for rs in s.iter_kind("ReplicaSet")
            if any(r.get("uid") == uid and r.get("controller") for r in rs["metadata"].get("ownerReferences") or ())}


# conformance --machines deployment --seed 18 (shrunk by hand): "ReplicaSet/team-a/web-65f57cc46 and
# ReplicaSet/team-a/cache-5568cf666c both carry revision 1"
SCRIPT = [
    _deployment("cache", {"app": "web", "track": "stable"}, "busybox:1.36", 1),
    _deployment("web", {"app": "web"}, "nginx:1.26", 3),
    None,
    ev.Delete("Deployment", "default", "cache", "Orphan"),  # cache's ReplicaSet is orphaned ...
    _deployment("web", {"app": "web"}, "nginx:1.25", 3),  # ... and web, rolling out, adopts it as an old one
    None,
]


def test_an_adopted_replicaset_keeps_its_revision() -> None:
    s = _run(SCRIPT)
    revs = _revisions(s, "web")
    assert sorted(revs.values()) == [1, 1, 2], (
        f"web's ReplicaSets carry {revs}, but the adopted one keeps its revision 1, web's first keeps 1 and the "
        "new one gets MaxRevision(old) + 1 = 2")
    d = s.get("Deployment", "default", "web")
    assert d is not None and d["metadata"]["annotations"][REVISION] == "2", d and d["metadata"].get("annotations")


def test_the_new_replicaset_outranks_adopted_ones() -> None:
    s = _run(SCRIPT)
    n, bad = new_revision_is_the_highest(StateView(s), Context())
    assert n >= 1 and not bad, f"{n} checked, violations {bad}, but the model numbers as upstream does"


def test_the_revision_invariant_catches_a_reused_number() -> None:
    # the seeded shape: the new ReplicaSet carries an old one's number
    s = _run(SCRIPT)
    d = s.get("Deployment", "default", "web")
    assert d is not None
    new = next(rs for rs in s.iter_kind("ReplicaSet", "default")
               if rs["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25")
    from refmodel.frozen import with_

    md = new["metadata"]
    broken = with_(new, metadata=with_(md, annotations=with_(md["annotations"], **{REVISION: "1"})))
    s2 = s._transaction()
    s2.put(("ReplicaSet", "default", md["name"]), new, broken, False)
    n, bad = new_revision_is_the_highest(StateView(s2.finish({})), Context())
    assert n == 1, n
    assert bad, "a new ReplicaSet at an old revision passed, but the invariant must reject it"
