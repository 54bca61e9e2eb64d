"""Builders the networking tests share (test_endpoints_controller, test_dns_proxy): a pod that serves
``http`` on 8080, and applying objects then converging."""

from __future__ import annotations

from typing import Any

import refmodel as rm


def pod(name: str, labels: dict[str, str] | None = None, ns: str = "default", **spec: Any) -> dict[str, Any]:
    body = {"containers": [{"name": "main", "image": "nginx",
                            "ports": [{"name": "http", "containerPort": 8080}]}], **spec}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": "web"}}, "spec": body}


def apply_all(state: rm.ClusterState, *objs: dict[str, Any]) -> rm.ClusterState:
    for o in objs:
        state = rm.apply_manifest(state, o)
    return rm.converge(state)
