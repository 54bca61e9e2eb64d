"""Model bugs the conformance suite found (``conformance/workarounds.py``), pinned as regressions.

While a bug is open its test here is a strict xfail; once the model is fixed it becomes a plain test
(as now) and guards against the bug coming back.
"""

from __future__ import annotations

from conformance.workarounds import KNOWN


def test_kb2_replicaset_notices_availability_with_an_unready_replica() -> None:
    # replica_set.go updatePod: enqueueRSAfter(rs, minReadySeconds + 1 s) when a pod becomes Ready (RS-4, P-6)
    assert not KNOWN["KB-2"][0](), "status.availableReplicas stayed 0 although one pod is available (KB-2)"


def test_kb3_applying_a_terminating_namespace_keeps_its_finalizers() -> None:
    # pkg/registry/core/namespace/strategy.go PrepareForUpdate keeps spec.finalizers (NS-2)
    assert not KNOWN["KB-3"][0](), "the namespace never went away after an apply while it was terminating (KB-3)"
