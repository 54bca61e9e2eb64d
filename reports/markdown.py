"""``python -m reports.markdown RESULTS_JSON``: print a conformance ``results.json`` as Markdown.

:func:`render` is the Markdown half of the one renderer (:mod:`reports.document`); the content is
:func:`reports.conformance.conformance_document`'s.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .conformance import conformance_document

__all__ = ["main", "render"]


def render(summary: dict[str, Any]) -> str:
    return conformance_document(summary).markdown()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m reports.markdown RESULTS_JSON", file=sys.stderr)
        return 2
    print(render(json.loads(Path(args[0]).read_text())), end="")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
