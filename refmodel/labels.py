"""Label selectors.

**Mirrors:** ``staging/src/k8s.io/apimachinery/pkg/labels/selector.go`` (Requirement.Matches,
NewRequirement) and ``staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go``
(LabelSelectorAsSelector).
**Modelled:** ``matchLabels`` AND ``matchExpressions`` with In, NotIn, Exists, DoesNotExist (NotIn matches
an absent key, rule L-3); an empty selector matches everything, a missing (None) selector nothing
(rule L-4); Service-style plain maps.
**Not modelled:** the string selector grammar (``a in (x,y)``) beyond ``k=v,k2!=v2``, used only by the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["map_matches", "parse_selector_string", "selector_matches", "selector_pairs"]


def map_matches(selector: Mapping[str, str] | None, labels: Mapping[str, str] | None) -> bool:
    """Equality-based selector (Service ``spec.selector``, ``matchLabels``)."""
    if not selector:
        return True
    if not labels:
        return False
    return all(labels.get(k) == v for k, v in selector.items())


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """A ``metav1.LabelSelector``: None matches nothing, ``{}`` matches everything."""
    if selector is None:
        return False
    labels = labels or {}
    ml = selector.get("matchLabels")
    if ml and not map_matches(ml, labels):
        return False
    for req in selector.get("matchExpressions") or ():
        key = req.get("key")
        op = req.get("operator")
        values = req.get("values") or ()
        present = key in labels
        if op == "In":
            if not present or labels[key] not in values:
                return False
        elif op == "NotIn":
            if present and labels[key] in values:
                return False
        elif op == "Exists":
            if not present:
                return False
        elif op == "DoesNotExist":
            if present:
                return False
        else:
            return False
    return True


def selector_pairs(selector: Mapping[str, Any] | None) -> tuple[tuple[str, str], ...]:
    """The equality pairs a selector requires (used to pick the smallest index posting list)."""
    if not selector:
        return ()
    pairs = list((selector.get("matchLabels") or {}).items())
    for req in selector.get("matchExpressions") or ():
        if req.get("operator") == "In" and len(req.get("values") or ()) == 1:
            pairs.append((req["key"], req["values"][0]))
    return tuple(pairs)


def parse_selector_string(text: str) -> dict[str, Any]:
    """``"app=web,tier!=db,env"`` -> a LabelSelector dict (for the CLI ``-l``)."""
    ml: dict[str, str] = {}
    exprs: list[dict[str, Any]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "!=" in part:
            k, v = part.split("!=", 1)
            exprs.append({"key": k.strip(), "operator": "NotIn", "values": [v.strip()]})
        elif "==" in part:
            k, v = part.split("==", 1)
            ml[k.strip()] = v.strip()
        elif "=" in part:
            k, v = part.split("=", 1)
            ml[k.strip()] = v.strip()
        elif part.startswith("!"):
            exprs.append({"key": part[1:].strip(), "operator": "DoesNotExist"})
        else:
            exprs.append({"key": part, "operator": "Exists"})
    out: dict[str, Any] = {}
    if ml:
        out["matchLabels"] = ml
    if exprs:
        out["matchExpressions"] = exprs
    return out
