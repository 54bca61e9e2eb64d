"""The model's result does not depend on Python's string-hash seed.

The state's indexes (owner -> dependents, node -> pods, kind -> objects) are hash maps, whose order
follows ``PYTHONHASHSEED``. Wherever a controller walks one of them and the order of what it does
matters (which Deployment adopts an orphaned ReplicaSet first, the order of the garbage collector's
writes and so of the resourceVersions and watch events they make), the model must fix an order itself,
as upstream's listers and sorts do. Each script below runs in two child processes with different hash
seeds, and the final states must be equal, object for object; so must every write on the way, in order
(a trace recorded in one process replays in another only then).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A child: runs every scenario of SCENARIOS and prints {scenario: [objects...]} as JSON. ``None`` in a
# script is a settle (converge); between settles the events follow each other with the controllers'
# work left queued, as the conformance machines send them.
CHILD = r'''
import hashlib
import json
import refmodel as rm
from refmodel import apiserver
from refmodel import events as ev
from refmodel.frozen import thaw

WRITES = [hashlib.sha256()]  # every committed write, in order, of the scenario being run
_handle = apiserver.handle


def handle(state, request):
    served = _handle(state, request)
    for ref, _old, new, _status_only in served[2]:
        WRITES[0].update(repr((ref, new)).encode())
    return served


apiserver.handle = handle


def dep(name, app, replicas=3, image="nginx:1.27", ns="default"):
    return ev.Apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
                     "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                              "template": {"metadata": {"labels": {"app": app}},
                                           "spec": {"containers": [{"name": "c", "image": image}]}}}})


def rs(name, app, replicas=2, ns="default"):
    return ev.Apply({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name, "namespace": ns},
                     "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": app}},
                              "template": {"metadata": {"labels": {"app": app}},
                                           "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}})


def svc(name, app, **spec):
    return ev.Apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
                     "spec": {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": 80}], **spec}})


STS = ev.Apply({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "default"},
                "spec": {"serviceName": "db", "replicas": 3, "selector": {"matchLabels": {"app": "db"}},
                         "template": {"metadata": {"labels": {"app": "db"}},
                                      "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}})
NS = ev.Apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
SCENARIOS = {
    # the mixed-machine case: an Orphan delete, then other Deployments of the same selector adopt
    "orphan-then-adopt": [dep("alpha", "web"), None, ev.Delete("Deployment", "default", "alpha", "Orphan"),
                          dep("beta", "web"), dep("gamma", "web", 2), None],
    "orphan-then-adopt-settled": [dep("alpha", "web"), dep("other", "api", 2), None,
                                  ev.Delete("Deployment", "default", "alpha", "Orphan"), None,
                                  dep("gamma", "web", 2), dep("beta", "web"), None],
    "rollout-then-orphan": [dep("alpha", "web", 4), None, dep("alpha", "web", 4, image="nginx:1.28"),
                            ev.Delete("Deployment", "default", "alpha", "Orphan"), dep("beta", "web", 4),
                            dep("delta", "web", 1), None],
    "orphan-pods-two-replicasets": [rs("one", "db", 3), None, ev.Delete("ReplicaSet", "default", "one", "Orphan"),
                                    rs("two", "db", 2), rs("three", "db", 2), None],
    "cascades": [dep("alpha", "web", 3), dep("beta", "api", 3), None, dep("alpha", "web", 3, image="nginx:1.28"),
                 ev.Delete("Deployment", "default", "alpha", "Foreground"),
                 ev.Delete("Deployment", "default", "beta", "Background"), None],
    "namespace": [NS, dep("alpha", "web", 3, ns="team"), rs("one", "db", 2, ns="team"), None,
                  ev.Delete("Namespace", "", "team"), None],
    # Services selecting the same pods: the (Service, pod) work items and the generated slice names
    "services-and-statefulset": [svc("web", "web"), svc("db", "db", clusterIP="None"), svc("np", "web", type="NodePort"),
                                 STS, dep("web", "web", 5), None, ev.NodeFailed("node-0"), ev.ClockAdvanced(400),
                                 None, ev.Scale("StatefulSet", "default", "db", 1),
                                 ev.Delete("Deployment", "default", "web", "Background"), None],
    "node-failure": [dep("alpha", "web", 6), dep("beta", "api", 4), None, ev.NodeFailed("node-0"),
                     ev.ClockAdvanced(400), None, ev.NodeRecovered("node-0"), None],
    # a scale-down that deletes every active pod of a ReplicaSet at once (a rollout's last burst, scale to 0)
    "rollout-then-scale-to-zero": [dep("web", "web", 40), None, dep("web", "web", 40, image="nginx:1.28"), None,
                                   ev.Scale("Deployment", "default", "web", 0), None],
}

out = {}
for name, script in SCENARIOS.items():
    WRITES[0] = hashlib.sha256()
    s = rm.new_cluster(nodes=3)
    for e in script:
        s = rm.converge(s) if e is None else rm.transition(s, e).state
    out[name] = sorted((thaw(o) for kind in sorted(s.objects.keys()) for o in s.iter_kind(kind)),
                       key=lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))
    out[name + " writes"] = WRITES[0].hexdigest()
print(json.dumps(out, sort_keys=True))
'''


def _run(seed: str) -> dict[str, list[dict[str, Any]]]:
    env = {**os.environ, "PYTHONHASHSEED": seed,
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, f"the child with PYTHONHASHSEED={seed} failed:\n{done.stderr[-3000:]}"
    result: dict[str, list[dict[str, Any]]] = json.loads(done.stdout)
    return result


def _first_difference(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> str:
    names = [(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in a]
    other = [(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in b]
    if names != other:
        return f"objects {sorted(set(names) ^ set(other))[:5]} exist under one seed only"
    for x, y in zip(a, b, strict=True):
        if x != y:
            keys = sorted(k for k in {*x["metadata"], *x} if x.get(k, x["metadata"].get(k))
                          != y.get(k, y["metadata"].get(k)))
            return (f"{x['kind']}/{x['metadata']['name']} differs in {keys}: "
                    f"{json.dumps(x, sort_keys=True)[:600]} vs {json.dumps(y, sort_keys=True)[:600]}")
    return "no difference"


@pytest.fixture(scope="module")
def two_seeds() -> tuple[dict[str, Any], dict[str, Any]]:
    return _run("1"), _run("2")


SCENARIOS = ["orphan-then-adopt", "orphan-then-adopt-settled", "rollout-then-orphan", "orphan-pods-two-replicasets",
             "cascades", "namespace", "node-failure", "services-and-statefulset", "rollout-then-scale-to-zero"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_final_state_is_the_same_under_two_hash_seeds(two_seeds: tuple[dict[str, Any], dict[str, Any]],
                                                      scenario: str) -> None:
    one, two = two_seeds
    assert one[scenario] == two[scenario], (
        f"{scenario}: {_first_difference(one[scenario], two[scenario])}, but the model's result must not depend "
        "on PYTHONHASHSEED (1 vs 2)")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_write_is_the_same_under_two_hash_seeds(two_seeds: tuple[dict[str, Any], dict[str, Any]],
                                                      scenario: str) -> None:
    # a deletion burst that takes every active pod went in the pod index's hash order: the final state was
    # the same, the order of the writes (resourceVersions, watch events, what a replay sees) was not
    one, two = two_seeds
    assert one[scenario + " writes"] == two[scenario + " writes"], (
        f"{scenario}: the committed writes differ in content or order between PYTHONHASHSEED 1 and 2 (final "
        f"states: {_first_difference(one[scenario], two[scenario])}), but the model must not depend on the seed")
