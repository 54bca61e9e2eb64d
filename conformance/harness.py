"""The lockstep harness: one run drives the adapter and the reference model side by side and checks.

Each request (a :mod:`refmodel.events` value) goes to the adapter (:func:`conformance.adapters.perform`)
and, in lockstep, to the reference model (:func:`refmodel.transition`), which is the oracle. Then:

1. the invariants (:data:`conformance.invariants.ALL`) run over what the *adapter* reports: state
   invariants after every step, transition properties over (before, event, after), and at a
   ``settle`` every intermediate controller turn (when the adapter can show them) and the
   convergence properties once quiescent, again after an hour of virtual time with no writes;
2. the adapter's answers and, after ``settle``, its canonicalised state are compared with the model's.

Every request is appended to a trace that is written as a YAML event script when a check fails
(:mod:`conformance.script`); ``kubeoracle replay`` runs the same harness over it.

When the adapter *is* the reference model and starts from the very same immutable state, the
oracle's step is taken from the adapter instead of computed twice: ``transition`` is a pure function,
so equal inputs give equal outputs (the comparison is still made, and is trivially equal).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

import refmodel as rm
from refmodel import events as ev

from .adapters import Adapter, Outcome, perform, required_capability
from .adapters.model import outcome_of
from .invariants import ALL, Context, Invariant, Step, Verdict
from .view import ListView, StateView, View

__all__ = ["SETTLE", "Failure", "Run", "Stats", "Violation", "event_label"]

SETTLE: dict[str, Any] = {"event": "Settle"}
QUIET_SECONDS = 3600  # "and it stays so": virtual time that passes, with no writes, after a settle
_BENIGN = (ev.Reconcile, ev.ClockAdvanced, ev.Cordon, ev.Uncordon, ev.ImagePullFailed, ev.ImagePullRecovered)


@attrs.define
class Stats:
    """Counts for vacuity accounting, summed over every example of a machine (and over workers)."""

    rules: Counter[str] = attrs.field(factory=Counter)  # rule/event name -> times run
    checks: Counter[str] = attrs.field(factory=Counter)  # invariant -> times evaluated
    premises: Counter[str] = attrs.field(factory=Counter)  # invariant -> times its premise held
    violations: Counter[str] = attrs.field(factory=Counter)
    outcomes: Counter[str] = attrs.field(factory=Counter)  # ok / rejected / unknown
    not_applicable: set[str] = attrs.field(factory=set)  # invariants and rules the adapter cannot do
    steps: int = 0
    intermediate: int = 0
    settles: int = 0
    examples: int = 0

    def merge(self, other: Stats) -> None:
        for name in ("rules", "checks", "premises", "violations", "outcomes"):
            getattr(self, name).update(getattr(other, name))
        self.not_applicable |= other.not_applicable
        self.steps += other.steps
        self.intermediate += other.intermediate
        self.settles += other.settles
        self.examples += other.examples

    def to_json(self) -> dict[str, Any]:
        return {"rules": dict(self.rules), "checks": dict(self.checks), "premises": dict(self.premises),
                "violations": dict(self.violations), "outcomes": dict(self.outcomes),
                "not_applicable": sorted(self.not_applicable), "steps": self.steps,
                "intermediate": self.intermediate, "settles": self.settles, "examples": self.examples}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Stats:
        s = Stats()
        for name in ("rules", "checks", "premises", "violations", "outcomes"):
            getattr(s, name).update(data.get(name) or {})
        s.not_applicable = set(data.get("not_applicable") or ())
        for name in ("steps", "intermediate", "settles", "examples"):
            setattr(s, name, int(data.get(name) or 0))
        return s


@attrs.frozen
class Failure:
    """A violated invariant with the event script that reproduces it."""

    invariant: str
    rules: tuple[str, ...]
    message: str
    events: tuple[dict[str, Any], ...]


class Violation(AssertionError):
    """Raised inside a machine when an invariant fails (Hypothesis then shrinks the run)."""

    def __init__(self, failure: Failure) -> None:
        more = ""
        super().__init__(f"{failure.invariant} [{', '.join(failure.rules)}]: {failure.message}{more}")
        self.failure = failure


def event_label(event: object) -> str:
    """The name a run counts an event under (rule names of the machines are these, snake_cased)."""
    return type(event).__name__


class Run:
    """One example: a fresh sandbox, the oracle model beside it, the trace, the context, the checks."""

    def __init__(self, adapter: Adapter, stats: Stats, invariants: Iterable[Invariant] = ALL,
                 *, raise_on_violation: bool = True) -> None:
        self.adapter = adapter
        self.stats = stats
        self.raise_on_violation = raise_on_violation
        self.failures: list[Failure] = []
        caps = frozenset(adapter.capabilities)
        self.ctx = Context(capabilities=caps)
        from .adapters import _EVENT_CAPS

        for event_name, cap in _EVENT_CAPS.items():  # rules whose events the adapter cannot take
            if cap not in caps:
                stats.not_applicable.add(event_name)
        invs = tuple(invariants)
        for inv in invs:
            if not inv.applicable(caps):
                stats.not_applicable.add(inv.name)
        ok = [inv for inv in invs if inv.applicable(caps)]
        self.state_invs = [i for i in ok if i.kind == "state"]
        self.transition_invs = [i for i in ok if i.kind == "transition"]
        self.convergence_invs = [i for i in ok if i.kind == "convergence"]
        self.intermediate_state = [i for i in self.state_invs if i.intermediate]
        self.intermediate_transition = [i for i in self.transition_invs if i.intermediate]
        self._cache: dict[str, tuple[tuple[object, ...], Verdict]] = {}
        self.trace: list[dict[str, Any]] = []
        adapter.reset()
        self.model = self._initial_model()
        self.view = self.snapshot()

    # ---- the two sides ---------------------------------------------------------------------
    def _initial_model(self) -> rm.ClusterState:
        state = getattr(self.adapter, "state", None)
        if isinstance(state, rm.ClusterState):
            return state
        from .adapters.model import ModelAdapter

        return ModelAdapter().state

    def _shared(self) -> bool:
        return getattr(self.adapter, "state", None) is self.model

    def snapshot(self) -> View:
        snap = getattr(self.adapter, "snapshot", None)
        if snap is not None and "snapshot" in self.ctx.capabilities:
            return snap()  # type: ignore[no-any-return]
        return ListView(self.adapter.observe())

    def can(self, capability: str) -> bool:
        return capability in self.ctx.capabilities

    # ---- steps -------------------------------------------------------------------------------
    def do(self, event: ev.Event) -> Outcome:
        """Send one event to both sides, record it, check every invariant that applies."""
        cap = required_capability(event)
        if cap is not None and cap not in self.ctx.capabilities:
            self.stats.not_applicable.add(event_label(event))
            return Outcome.unknown(f"the adapter lacks {cap}")
        self.trace.append(ev.event_to_dict(event))
        self.stats.rules[event_label(event)] += 1
        self.stats.steps += 1
        before = self.view
        shared = self._shared()
        outcome = perform(self.adapter, event)
        if shared and outcome.status != "unknown":
            self.model = self.adapter.state  # type: ignore[attr-defined]
            model_outcome = outcome_of(self.adapter.last)  # type: ignore[attr-defined]
        else:
            r = rm.transition(self.model, event)
            self.model, model_outcome = r.state, outcome_of(r)
        self.stats.outcomes[outcome.status] += 1
        if outcome.status == "unknown":
            self.ctx.differential = "unknown"
        after = self.snapshot()
        self._learn(event, outcome, before, after)
        self.view = after
        step = Step(event, outcome, before, after, False, model_outcome)
        for inv in self.transition_invs:
            self._judge(inv, inv.check(step, self.ctx))
        self._check_state(after, self.state_invs)
        return outcome

    def settle(self, timeout: float = 120.0) -> bool:
        """Let the cluster quiesce, checking every intermediate state the adapter shows; then the
        convergence properties; then an hour with no writes, and the same properties again."""
        self.trace.append(dict(SETTLE))
        self.stats.rules["Settle"] += 1
        self.stats.steps += 1
        self.stats.settles += 1
        settled = self._settle_once(timeout, check_steps=True)
        self.ctx.settled = settled
        settled_view = self.view
        later = None
        if settled and self.can("virtual-time"):
            quiet = ev.ClockAdvanced(QUIET_SECONDS)
            shared = self._shared()
            perform(self.adapter, quiet)
            if shared:
                self.model = self.adapter.state  # type: ignore[attr-defined]
            else:
                self.model = rm.transition(self.model, quiet).state
            self.view = self.snapshot()
            settled = self._settle_once(timeout, check_steps=False)
            later = self.view
        self.ctx.model_view = StateView(self.model)
        self.ctx.later = later
        for inv in self.convergence_invs:
            self._judge(inv, inv.check(settled_view, self.ctx))
        self.ctx.model_view = None
        self.ctx.later = None
        self._forget_settled()
        return settled

    def _settle_once(self, timeout: float, *, check_steps: bool) -> bool:
        shared = self._shared()
        steps = getattr(self.adapter, "settle_steps", None)
        settled = True
        if steps is not None and self.can("intermediate"):
            self.ctx.settle_start = self.view
            prev = self.view
            try:
                for event, view in steps():
                    self.stats.intermediate += 1
                    if check_steps:
                        step = Step(event, None, prev, view, True)
                        for inv in self.intermediate_transition:
                            self._judge(inv, inv.check(step, self.ctx))
                        self._check_state(view, self.intermediate_state)
                    prev = view
            except rm.NotConverged:
                settled = False
            finally:
                self.ctx.settle_start = None
            self.view = prev
        else:
            settled = bool(self.adapter.settle(timeout))
            self.view = self.snapshot()
        if shared:
            self.model = self.adapter.state  # type: ignore[attr-defined]
        else:
            from .adapters.model import bounded_converge_steps

            try:
                for _, state in bounded_converge_steps(self.model, 2000):
                    self.model = state
            except rm.NotConverged:
                pass
        if not check_steps:
            self._check_state(self.view, self.state_invs)
        return settled

    # ---- what the run knows ------------------------------------------------------------------
    def _learn(self, event: ev.Event, outcome: Outcome, before: View, after: View) -> None:
        ctx = self.ctx
        if not isinstance(event, _BENIGN):
            ctx.orphaned.clear()  # anything else may legitimately delete an orphaned dependent
        match event:
            case ev.NodeFailed(node=node) if outcome.status == "ok":
                ctx.down_nodes.add(node)
            case ev.NodeRecovered(node=node) if outcome.status == "ok":
                ctx.down_nodes.discard(node)
            case ev.ImagePullFailed(image=image):
                ctx.bad_images.add(image)
            case ev.ImagePullRecovered(image=image):
                ctx.bad_images.discard(image)
            case ev.ReadinessChanged(namespace=ns, pod=pod, ready=ready) if outcome.status == "ok":
                if ready:
                    ctx.unready_pods.discard((ns, pod))
                else:
                    ctx.unready_pods.add((ns, pod))
            case ev.Delete(kind=kind, namespace=ns, name=name, propagation=policy) if outcome.status == "ok":
                obj = before.get(kind, "" if kind in ("Namespace", "Node") else (ns or "default"), name)
                if obj is not None:
                    uid = obj["metadata"]["uid"]
                    ctx.deleted[uid] = (kind, ns, name, policy)
                    if policy == "Orphan":
                        ctx.orphaned[uid] = _orphanable_dependents(before, obj)
            case _:
                pass

    def _forget_settled(self) -> None:
        view = self.view
        for uid in [u for u in self.ctx.deleted if view.by_uid(u) is None]:
            del self.ctx.deleted[uid]
        self.ctx.orphaned.clear()

    # ---- judging -----------------------------------------------------------------------------
    def _check_state(self, view: View, invs: list[Invariant]) -> None:
        for inv in invs:
            if inv.reads and isinstance(view, StateView):
                key = tuple(view.version(k) for k in inv.reads)
                hit = self._cache.get(inv.name)
                if hit is not None and len(hit[0]) == len(key) and all(a is b for a, b in zip(hit[0], key)):
                    self._judge(inv, hit[1])
                    continue
                verdict = inv.check(view, self.ctx)
                self._cache[inv.name] = (key, verdict)
                self._judge(inv, verdict)
            else:
                self._judge(inv, inv.check(view, self.ctx))

    def _judge(self, inv: Invariant, verdict: Verdict) -> None:
        premises, violations = verdict
        name = inv.name
        self.stats.checks[name] += 1
        if premises:
            self.stats.premises[name] += premises
        if violations:
            self.stats.violations[name] += 1
            extra = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
            self._fail(inv, violations[0] + extra)

    def _fail(self, inv: Invariant, message: str) -> None:
        failure = Failure(inv.name, inv.rules, message, tuple(self.trace))
        self.failures.append(failure)
        if self.raise_on_violation:
            raise Violation(failure)


def _orphanable_dependents(view: View, owner: Mapping[str, Any]) -> tuple[str, ...]:
    """Dependents of ``owner`` that no other live controller could adopt and delete once orphaned."""
    from .invariants._helpers import selector_matches

    uid = owner["metadata"]["uid"]
    out = []
    for kind in ("Pod", "ReplicaSet"):
        for dep in view.objects(kind):
            if not any(r.get("uid") == uid for r in dep["metadata"].get("ownerReferences") or ()):
                continue
            if dep["metadata"].get("deletionTimestamp"):
                continue
            ns = dep["metadata"].get("namespace")
            labels = dep["metadata"].get("labels")
            rivals = [c for ck in ("ReplicaSet", "Deployment") for c in view.objects(ck, ns)
                      if c["metadata"].get("uid") != uid and not c["metadata"].get("deletionTimestamp")
                      and selector_matches(c["spec"].get("selector"), labels)]
            if not rivals:
                out.append(dep["metadata"]["uid"])
    return tuple(out)
