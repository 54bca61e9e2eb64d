"""How a machine chooses its next rule: Hypothesis' swarm choice, at a fraction of its cost.

Hypothesis' own rule strategy (``hypothesis.stateful.RuleStrategy``) draws the rule from a filtered
``sampled_from`` over every rule, and its filter asks the example's swarm feature flags whether a rule
is on; every such question is a new choice in the example's choice sequence (a forced one once
decided). Over the mixed machine's ~50 rules that is about seven questions and ten precondition calls
per step, and it was over half of what Hypothesis spent on the machine (``benchmarks/
bench_machine_steps.py``, the ``floor``).

:class:`RuleChoice` makes the same choice with the same distribution: a swarm of rules switched off
(each with one probability drawn per example, as ``FeatureFlags`` does, shrinking towards all on), then
one rule uniformly among those that are on and whose preconditions hold, then its arguments. The
flags are drawn once per example; a step costs one integer draw, and a second one when the first
lands on a rule that is off or not applicable. A rule's sampled, integer and boolean arguments are one
more integer draw (mixed radix, values in the order Hypothesis shrinks them); others (the manifests)
are drawn from their strategies. Rules are ordered as Hypothesis orders them, so a shrunk program
prefers the simplest rules (``settle`` first) as before. The printed program (every argument by name),
the event script and ``kubeoracle replay`` are unchanged: only the choice sequence differs.

It replaces the machine's ``_rules_strategy`` (a private attribute of Hypothesis' state machines) and
reads the public fields of its ``Rule`` records; with a Hypothesis whose machines lack either,
:func:`install` leaves Hypothesis' own choice in place (slower, same semantics), and
``tests/test_harness_speed.py`` fails to say so.
"""

from __future__ import annotations

import weakref
from typing import Any

from hypothesis.stateful import RuleBasedStateMachine
from hypothesis.strategies import SearchStrategy

__all__ = ["RuleChoice", "install"]

# rule, its preconditions, and how its arguments are drawn: (name, strategy) pairs drawn as Hypothesis would,
# after the rule's small finite arguments packed into as few integer draws as they need (:func:`_packed`)
_Pack = tuple[int, tuple[tuple[str, tuple[Any, ...]], ...]]  # (product of the sizes, (name, values) per argument)
_Entry = tuple[Any, tuple[Any, ...], tuple[_Pack, ...], tuple[tuple[str, SearchStrategy[Any]], ...]]
_TABLES: weakref.WeakKeyDictionary[type, list[_Entry] | None] = weakref.WeakKeyDictionary()  # the runner
# builds a machine class per run (``conformance.machines.build``): a table goes with its class
_MAX_PACK = 1024  # the largest integer range drawn at once (Hypothesis draws larger ranges less evenly)


def _table(cls: type[RuleBasedStateMachine]) -> list[_Entry] | None:
    """The rules of ``cls`` in Hypothesis' order, or None when they lack a field this module relies on."""
    if cls in _TABLES:
        return _TABLES[cls]
    rules = cls.setup_state().rules  # type: ignore[no-untyped-call]
    table: list[_Entry] | None = None
    if all(hasattr(r, "preconditions") and hasattr(r, "arguments") and hasattr(r, "targets")
           and not getattr(r, "bundles", ()) for r in rules):
        from hypothesis.strategies._internal.lazy import unwrap_strategies

        ordered = sorted(rules, key=lambda r: (sorted(r.targets), len(r.arguments), r.function.__name__))
        table = []
        for r in ordered:
            args = [(k, unwrap_strategies(s)) for k, s in r.arguments.items()]
            packs, rest = _packed(args)
            table.append((r, tuple(r.preconditions), packs, rest))
    _TABLES[cls] = table
    return table


def _values(strategy: SearchStrategy[Any]) -> tuple[Any, ...] | None:
    """Every value of a small finite strategy, simplest first (as Hypothesis shrinks it), or None."""
    name = type(strategy).__name__
    if name == "SampledFromStrategy" and not getattr(strategy, "_transformations", True):
        return tuple(strategy.elements)  # type: ignore[attr-defined]
    if name == "IntegersStrategy":
        lo, hi = getattr(strategy, "start", None), getattr(strategy, "end", None)
        if isinstance(lo, int) and isinstance(hi, int) and hi - lo < _MAX_PACK:
            return tuple(sorted(range(lo, hi + 1), key=lambda v: (abs(v), v < 0)))  # towards 0, as Hypothesis
    if name == "BooleansStrategy":
        return (False, True)
    return None


def _packed(args: list[tuple[str, SearchStrategy[Any]]]
            ) -> tuple[tuple[_Pack, ...], tuple[tuple[str, SearchStrategy[Any]], ...]]:
    """A rule's sampled, integer and boolean arguments as mixed-radix integer draws of at most ``_MAX_PACK``
    values each (as :func:`strategies.manifests._pick` draws a manifest), and the other arguments."""
    packs: list[_Pack] = []
    group: list[tuple[str, tuple[Any, ...]]] = []
    size = 1
    rest = []
    for name, strategy in args:
        values = _values(strategy)
        if values is None:
            rest.append((name, strategy))
            continue
        if group and size * len(values) > _MAX_PACK:
            packs.append((size, tuple(group)))
            group, size = [], 1
        group.append((name, values))
        size *= len(values)
    if group:
        packs.append((size, tuple(group)))
    return tuple(packs), tuple(rest)


class RuleChoice(SearchStrategy[tuple[Any, dict[str, Any]]]):
    """The next ``(rule, arguments)`` of ``machine``: swarm flags once per example, then one uniform choice
    among the rules that are on and applicable."""

    def __init__(self, machine: RuleBasedStateMachine, table: list[_Entry]) -> None:
        super().__init__()
        self.machine = machine
        self.table = table
        self.on: list[bool] | None = None  # the example's swarm: which rules may be chosen

    def do_draw(self, data: Any) -> tuple[Any, dict[str, Any]]:
        table, machine = self.table, self.machine
        on = self.on
        if on is None:
            p_off = data.draw_integer(0, 254) / 255
            on = self.on = [not data.draw_boolean(p_off) for _ in table]
            if not any(on):
                on[:] = [True] * len(table)
        i = data.draw_integer(0, len(table) - 1)
        entry = table[i]
        if not (on[i] and all(pred(machine) for pred in entry[1])):
            holds: dict[Any, bool] = {}  # rules share preconditions ("has Deployments"): each asked once

            def applicable(e: _Entry) -> bool:
                for pred in e[1]:
                    hit = holds.get(pred)
                    if hit is None:
                        hit = holds[pred] = bool(pred(machine))
                    if not hit:
                        return False
                return True

            ok = [e for e, flag in zip(table, on) if flag and applicable(e)] or [e for e in table if applicable(e)]
            if not ok:
                raise RuntimeError(f"{type(machine).__name__}: no rule has a true precondition")
            entry = ok[data.draw_integer(0, len(ok) - 1)] if len(ok) > 1 else ok[0]
        arguments: dict[str, Any] = {}
        for size, group in entry[2]:
            n = data.draw_integer(0, size - 1) if size > 1 else 0
            for name, values in group:
                n, r = divmod(n, len(values))
                arguments[name] = values[r]
        for name, strategy in entry[3]:
            arguments[name] = data.draw(strategy)
        return entry[0], arguments


def install(machine: RuleBasedStateMachine) -> bool:
    """Make ``machine`` choose its rules with :class:`RuleChoice`; False (and Hypothesis' own choice kept)
    when this Hypothesis does not have the attribute or rule fields it relies on."""
    table = _table(type(machine))
    if table is None or not hasattr(machine, "_rules_strategy"):
        return False
    machine._rules_strategy = RuleChoice(machine, table)
    return True
