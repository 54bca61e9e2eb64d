"""Renderers of kubeoracle results (``results.json`` -> Markdown). Generated output is never committed."""

from __future__ import annotations

__all__: list[str] = []
