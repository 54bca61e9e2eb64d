"""``python -m conformance``: the same as the ``kubeoracle`` console script."""

from conformance.cli import main

raise SystemExit(main())
