"""kubeoracle's conformance suite: adapters, machines, invariants, runner and the ``kubeoracle`` CLI."""

__all__: list[str] = []
