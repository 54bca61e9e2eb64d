"""Every Service of the shared manifest corpus converges with its Endpoints and EndpointSlices (rules EP-2,
EP-3, EP-4, EP-8), its DNS name and its routes; the invalid Services in scope are rejected with the field.

The expectations are the suite's own invariants (``conformance/invariants/networking.py``), which restate
upstream's predicates independently of the model, run on the converged cluster.
"""

from __future__ import annotations

from pathlib import Path

import door
import pytest
from test_corpus import UPSTREAM_REJECTS_VALID, _files, _group_of, _load, _with_namespaces

import refmodel as rm
from conformance.invariants import Context
from conformance.invariants import networking as inv
from conformance.view import StateView

_SERVICE_FILES = [n for n in _files("valid") if n not in UPSTREAM_REJECTS_VALID]


@pytest.fixture(scope="module")
def base() -> rm.ClusterState:
    return rm.new_cluster(nodes=3)


@pytest.mark.parametrize("name", _SERVICE_FILES)
def test_corpus_services_converge_with_endpoints(manifests_dir: Path, base: rm.ClusterState, name: str) -> None:
    own = _load(manifests_dir, "valid", name)
    if not any(o.get("kind") == "Service" for o in own):
        pytest.skip("no Service in this file")
    objs = [o for n in _group_of(name) for o in _load(manifests_dir, "valid", n)]
    state = _with_namespaces(base, objs)
    for o in sorted(objs, key=lambda o: o.get("kind") != "Namespace"):
        state = rm.apply_manifest(state, o)
    state = rm.converge(state)
    view, ctx = StateView(state), Context(capabilities=frozenset({"dataplane"}))
    for check in (inv.endpoints_list_matching_pods, inv.endpoints_and_slices_agree, inv.allocations_unique_and_in_range,
                  inv.dns_agrees, inv.proxy_routes_to_ready_endpoints):
        _n, bad = check(view, ctx)
        assert not bad, f"{name}: {check.__name__}: {bad}"
    for o in own:
        if o.get("kind") != "Service":
            continue
        md = o["metadata"]
        ns = md.get("namespace") or "default"
        svc = rm.get(state, "Service", md["name"], ns)
        assert svc is not None, f"{name}: Service {ns}/{md['name']} is absent after converge"
        managed = (svc["spec"].get("type") != "ExternalName" and svc["spec"].get("selector") is not None)
        if managed:
            assert rm.get(state, "Endpoints", md["name"], ns) is not None, f"{name}: no Endpoints for {md['name']}"
            slices = rm.list_objects(state, "EndpointSlice", ns, selector={"kubernetes.io/service-name": md["name"]})
            assert slices, f"{name}: no EndpointSlice for {md['name']}"
        assert rm.resolve(state, f"{md['name']}.{ns}", "default") or svc["spec"].get("clusterIP") == "None", \
            f"{name}: {md['name']}.{ns} does not resolve"


@pytest.mark.parametrize("name", _files("invalid"))
def test_corpus_invalid_services_hold_no_allocation(manifests_dir: Path, base: rm.ClusterState, name: str) -> None:
    """The invalid corpus's Services are rejected (test_corpus.py names their fields) and hold nothing:
    the cluster's allocations are those of the state before (SVC-2, SVC-5)."""
    try:
        objs = [o for o in _load(manifests_dir, "invalid", name) if isinstance(o, dict) and o.get("kind") == "Service"]
    except rm.Invalid:
        pytest.skip("the file does not load")
    except Exception as exc:  # a file that is invalid YAML on purpose
        pytest.skip(f"the file does not load: {type(exc).__name__}")
    if not objs:
        pytest.skip("no Service in this file")
    state = _with_namespaces(base, objs)
    rejected = 0
    for o in objs:
        sent = door.create(state, o)
        if sent.rejection is not None:
            rejected += 1
            assert sent.state is state and dict(sent.state.allocations.items()) == dict(state.allocations.items())
        else:
            state = sent.state
    if not rejected:
        pytest.skip("its Services are valid: another object of the file is what is invalid")
