"""``kubeoracle validate`` on many small manifests: 6,000 / 20,000 / 60,000 ConfigMaps in one stream.

The 60,000-document stream is about 5 MB, the size issue 8 sets a target for (under 2 s for the whole
command on a quiet machine; the import of the model and the process start are on top of what is timed
here). The timed call is what ``validate`` does after reading the file: parse the stream
(``documents_from``) and check every document (``validate_items``, a dry-run create of each into one
scratch cluster), with the cyclic collector paused as the command has it. Compare the means across sizes: the cost per document should not grow with the size.

    pytest benchmarks/bench_calibration.py benchmarks/bench_validate.py --benchmark-only
"""

from __future__ import annotations

import pytest

from conformance.cli import Item, Verdicts, validate_items
from refmodel.core import cyclic_gc_paused
from refmodel.yamlio import documents_from

from .conftest import sizes


def configmaps(n: int) -> str:
    """``n`` ConfigMaps as one YAML stream, about 86 bytes each."""
    return "".join(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-{i:06d}\ndata:\n  key: value\n---\n"
                   for i in range(n))


def _validate(text: str) -> Verdicts:
    with cyclic_gc_paused():  # as the command runs it
        docs, error = documents_from(text)
        assert error is None, error
        verdicts = Verdicts()
        validate_items([Item("bench.yaml", d) for d in docs], verdicts)
    return verdicts


@pytest.mark.parametrize("documents", sizes(6_000, 20_000, 60_000))
def test_validate_configmaps(benchmark: pytest.FixtureRequest, documents: int) -> None:
    text = configmaps(documents)
    rounds = 1 if documents >= 60_000 else 3
    verdicts = benchmark.pedantic(_validate, args=(text,), rounds=rounds, iterations=1)  # type: ignore[attr-defined]
    assert (verdicts.valid, verdicts.invalid, verdicts.skipped) == (documents, 0, 0), (
        f"{verdicts.valid} valid, {verdicts.invalid} invalid, {verdicts.skipped} skipped, but all {documents} "
        "ConfigMaps are valid")
    benchmark.extra_info.update({"documents": documents, "bytes": len(text)})  # type: ignore[attr-defined]
