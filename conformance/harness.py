"""The lockstep harness: one run drives the adapter and the harness's own reference model side by side.

Each example starts with ``reset(sandbox)`` (:class:`conformance.adapters.Sandbox`); the harness builds
its own model, the oracle, from the same sandbox and never takes it, or any answer, from the adapter.
Each request (a :mod:`refmodel.events` value) goes to the adapter through the protocol
(:func:`conformance.adapters.perform`) and, in lockstep, to the model (:func:`refmodel.transition`).
Then:

1. the invariants (:data:`conformance.invariants.ALL`) run over what the *adapter* reports: state
   invariants after every step, transition properties over (before, event, after), and at a
   ``settle`` every intermediate controller turn the harness can see and the convergence properties
   once quiescent, again after an hour of virtual time with no writes (a state check whose kinds are
   unchanged reuses its verdict; a transition check whose kinds had no change is counted without running);
2. the differential checks (:mod:`conformance.invariants.differential`): the adapter's answers, and its
   canonicalised objects after every step (virtual-time adapters: a deterministic adapter that can
   single-step is settled one model turn at a time, so a bug whose trace vanishes at settle is seen
   at the turn it happens) and after ``settle``, against the model's. Such a settle stops the clock
   one second before every deadline the model waits for and wakes that deadline's work early (a
   probe), so a timer that fires early inside the adapter, which the protocol cannot show, acts
   where the checks see it (:meth:`Run._driven_turns`).

When the system under test is the built-in ``model`` adapter it *is* the reference model: no second
model runs beside it and the differential checks are reported not applicable.

Every request is appended to a trace that is written as a YAML event script when a check fails
(:mod:`conformance.script`); ``kubeoracle replay`` runs the same harness over it.
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from operator import is_
from typing import Any

import attrs

import refmodel as rm
from refmodel import events as ev
from strategies.manifests import NAMESPACES

from .adapters import (
    EVENT_CAPS,
    Adapter,
    Bound,
    Outcome,
    adapter_frame,
    bind,
    perform,
    required_capability,
)
from .adapters.model import bounded_converge_steps, outcome_of
from .canon import counterpart
from .invariants import ALL, Context, Invariant, Step, Verdict
from .invariants.differential import (
    ANSWERS,
    SETTLED,
    TOUCHED,
    answers_like_the_model,
    settled_like_the_model,
    touched_like_the_model,
)
from .invariants.differential import INVARIANTS as DIFFERENTIAL
from .script import script_entries
from .view import ListView, StateView, View, WatchView, changed_kinds, view_of

__all__ = ["SETTLE", "AdapterCrash", "Failure", "Run", "Stats", "Violation", "collector_for_runs", "event_label"]

SETTLE: dict[str, Any] = {"event": "Settle"}
SETTLE_TURNS = 2000  # controller turns and clock steps a settle may take before it counts as a livelock
QUIET_SECONDS = 3600  # "and it stays so": virtual time that passes, with no writes, after a settle
_BENIGN = (ev.Reconcile, ev.ClockAdvanced, ev.Cordon, ev.Uncordon, ev.ImagePullFailed, ev.ImagePullRecovered)


FULL_COLLECTION_EVERY = 100  # young collections between two full ones during a machine's run (CPython: 10)


@contextmanager
def collector_for_runs() -> Iterator[None]:
    """Full garbage collections ten times rarer while a machine runs (the thresholds are restored after).

    A run keeps a growing set of long-lived objects (Hypothesis' tree of the choices it made, the model's
    memo caches, the objects of the example's state), and CPython's default schedule walks all of them in a
    full collection after every ten young ones: it was 6% of a 150-example run of the mixed machine (0.5 s in
    7 full collections, measured with ``gc.callbacks``), against 0.4% with this schedule. The model and the
    harness make few reference cycles (a state is freed by reference counting), so what a full collection
    finds waits a little longer; nothing a run computes depends on when it is collected."""
    old = gc.get_threshold()
    gc.set_threshold(old[0], old[1], max(old[2], FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        gc.set_threshold(*old)


@attrs.define
class Stats:
    """Counts for vacuity accounting, summed over every example of a machine (and over workers)."""

    rules: Counter[str] = attrs.field(factory=Counter)  # rule/event name -> times run
    checks: Counter[str] = attrs.field(factory=Counter)  # invariant -> times evaluated
    premises: Counter[str] = attrs.field(factory=Counter)  # invariant -> times its premise held
    violations: Counter[str] = attrs.field(factory=Counter)
    outcomes: Counter[str] = attrs.field(factory=Counter)  # ok / rejected / unknown
    errors: Counter[str] = attrs.field(factory=Counter)  # adapter exceptions behind unknown outcomes
    not_applicable: set[str] = attrs.field(factory=set)  # invariants and rules the adapter cannot do
    steps: int = 0
    intermediate: int = 0
    settles: int = 0
    examples: int = 0

    def merge(self, other: Stats) -> None:
        for name in ("rules", "checks", "premises", "violations", "outcomes", "errors"):
            getattr(self, name).update(getattr(other, name))
        self.not_applicable |= other.not_applicable
        self.steps += other.steps
        self.intermediate += other.intermediate
        self.settles += other.settles
        self.examples += other.examples

    def to_json(self) -> dict[str, Any]:
        return {"rules": dict(self.rules), "checks": dict(self.checks), "premises": dict(self.premises),
                "violations": dict(self.violations), "outcomes": dict(self.outcomes),
                "errors": dict(self.errors.most_common(5)),
                "not_applicable": sorted(self.not_applicable), "steps": self.steps,
                "intermediate": self.intermediate, "settles": self.settles, "examples": self.examples}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Stats:
        s = Stats()
        for name in ("rules", "checks", "premises", "violations", "outcomes", "errors"):
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


class AdapterCrash(Exception):
    """The adapter raised in ``reset``, ``observe``, ``settle`` or a capability's method: the example
    cannot go on, and the report names the adapter's own frame (:func:`adapter_frame`)."""

    def __init__(self, method: str, exc: BaseException) -> None:
        self.method = method
        self.frame = adapter_frame(exc)
        super().__init__(f"the adapter raised in {method}(): {type(exc).__name__}: {exc} (at {self.frame})")


class Run:
    """One example: a fresh sandbox, the harness's own model beside it, the trace, the context, the checks.

    The model (the oracle) is built from the sandbox the harness passes to ``reset`` and stepped with
    :func:`refmodel.transition`; it is never taken from the adapter. When the system under test is the
    built-in ``model`` adapter it *is* that model, so no second copy runs and the differential checks
    are not applicable.
    """

    def __init__(self, adapter: Bound | Adapter, stats: Stats, invariants: Iterable[Invariant] = ALL,
                 *, raise_on_violation: bool = True) -> None:
        self.sut = bind(adapter)
        self.stats = stats
        self.raise_on_violation = raise_on_violation
        self.failures: list[Failure] = []
        caps = self.sut.capabilities | ({"differential"} if self.sut.reference is None else set())
        self.ctx = Context(capabilities=caps)
        for event_name, cap in EVENT_CAPS.items():  # rules whose events the adapter cannot take
            if cap not in caps:
                stats.not_applicable.add(event_name)
        lacking, (self.state_invs, self.transition_invs, self.convergence_invs, self.intermediate_state,
                  self.intermediate_transition) = _classified(tuple(invariants), caps)
        stats.not_applicable |= lacking
        self.differential = "differential" in caps
        self.per_step = self.differential and "virtual-time" in caps
        self.live = "live" in caps  # the model follows the cluster's clock (_follow_clock)
        self._epoch: int | None = None  # a live cluster's time when the model's clock read 0
        self.drive_settle = self.per_step and "single-step" in caps
        self.diverged = False  # an unknown outcome: the model may no longer match; differential off
        self._cache: dict[str, tuple[tuple[object, ...], Verdict]] = {}
        # (versions, invariants, view) of the last state check
        self._last_state: tuple[Mapping[str, object], list[Invariant], View] | None = None
        self.trace: list[ev.Event | None] = []  # the requests so far (None: a settle), as sent
        # trace index -> the field an invalid manifest's rejection must name (ctx.expect_rejection then)
        self.expectations: dict[int, str] = {}
        self._watch: WatchView | None = None
        self.audit_skips = False  # tests: run every skipped transition check and fail unless it is a no-op
        self.audited = 0  # skipped transition checks run anyway under audit_skips
        sandbox = self.sut.sandbox
        self._model: rm.ClusterState | None = sandbox.build() if self.differential else None
        self._mview: StateView | None = None if self._model is None else StateView(self._model)
        self._crash("reset", self.sut.reset, sandbox)
        self.view = self._observe()

    # ---- the two sides ---------------------------------------------------------------------
    @property
    def model(self) -> rm.ClusterState:
        """The reference model's state: the harness's own, or the built-in model adapter's own state
        when that is the system under test (then they are one)."""
        if self._model is not None:
            return self._model
        return self.sut.reference.state  # type: ignore[no-any-return]

    def _model_step(self, event: ev.Event) -> Outcome | None:
        if self._model is None:
            return None
        r = rm.transition(self._model, event)
        self._set_model(r.state)
        return outcome_of(r)

    def _set_model(self, state: rm.ClusterState) -> None:
        if state is not self._model:
            self._model = state
            self._mview = StateView(state)

    def _crash(self, method: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except (Violation, rm.NotConverged):
            raise
        except Exception as exc:
            raise AdapterCrash(method, exc) from exc

    def _now(self) -> int | None:
        if self._model is not None and "virtual-time" in self.ctx.capabilities:
            return self._model.config.start_time + self._model.now
        return None

    def _observe(self) -> View:
        """What the adapter shows now, through the cheapest power it declared."""
        sut = self.sut
        if sut.snapshot is not None:
            return view_of(self._crash("snapshot", sut.snapshot), self._now())
        if sut.changes is not None:
            since = self._watch.version_token if self._watch is not None else ""
            version, relist, upserts, deletes = self._crash("changes", sut.changes, since)
            now = self._now()
            base = self._watch or WatchView({}, 0, "")
            self._watch = base.advance(version, relist or self._watch is None, upserts, deletes,
                                       int(time.time()) if now is None else now)
            return self._watch
        return ListView(self._crash("observe", sut.observe), self._now())

    def snapshot(self) -> View:
        return self._observe()

    def can(self, capability: str) -> bool:
        return capability in self.ctx.capabilities

    @property
    def comparing(self) -> bool:
        return self.differential and not self.diverged

    # ---- steps -------------------------------------------------------------------------------
    def do(self, event: ev.Event) -> Outcome:
        """Send one event to both sides, record it, check every invariant that applies."""
        cap = required_capability(event)
        if cap is not None and cap not in self.ctx.capabilities:
            self.stats.not_applicable.add(event_label(event))
            return Outcome.unknown(f"the adapter lacks {cap}")
        self.trace.append(event)  # written out as a script only when a check fails (trace_script)
        if self.ctx.expect_rejection is not None:
            self.expectations[len(self.trace) - 1] = self.ctx.expect_rejection
        self.stats.rules[event_label(event)] += 1
        self.stats.steps += 1
        if self.live:
            self._follow_clock()
        before, mbefore = self.view, self._mview
        outcome = perform(self.sut, event)
        model_outcome = self._model_step(self._counterpart(event) if self.live else event)
        self.stats.outcomes[outcome.status] += 1
        if outcome.status == "unknown":
            self.diverged = True
            self.stats.errors[outcome.message] += 1
        after = self._observe()
        self._learn(event, outcome, before, after)
        self.view = after
        step = Step(event, outcome, before, after, False, model_outcome)
        self._check_step(self.transition_invs, step)
        if self.comparing and model_outcome is not None:
            self._judge(ANSWERS, answers_like_the_model(outcome, model_outcome, event))
            if self.per_step:
                self._compare_step(before, after, mbefore, event)
        self._check_state(after, self.state_invs)
        return outcome

    def _compare_step(self, before: View, after: View, mbefore: View | None, event: object) -> None:
        assert mbefore is not None and self._mview is not None
        if before is after and mbefore is self._mview:  # neither side wrote: nothing touched, the verdict is (0, [])
            self.stats.checks[TOUCHED.name] += 1
            return
        self._judge(TOUCHED, touched_like_the_model(before, after, mbefore, self._mview, event, NAMESPACES))

    def settle(self, timeout: float = 120.0) -> bool:
        """Let the cluster quiesce, checking every intermediate state the adapter shows; then the
        convergence properties; then an hour with no writes, and the same properties again."""
        self.trace.append(None)
        self.stats.rules["Settle"] += 1
        self.stats.steps += 1
        self.stats.settles += 1
        settled = self._settle_once(timeout, check_steps=True)
        self.ctx.settled = settled
        settled_view = self.view
        later = None
        if settled and self.can("virtual-time"):
            quiet = ev.ClockAdvanced(QUIET_SECONDS)
            if perform(self.sut, quiet).status == "unknown":
                self.diverged = True
            self._model_step(quiet)
            self.view = self._observe()
            settled = self._settle_once(timeout, check_steps=False)
            later = self.view
        self.ctx.later = later
        self._check_all(self.convergence_invs, settled_view)
        if self.comparing and self.ctx.settled and self._mview is not None:
            self._judge(SETTLED, settled_like_the_model(later if later is not None else settled_view,
                                                        self._mview, NAMESPACES))
        self.ctx.later = None
        self._forget_settled()
        return settled

    def _settle_once(self, timeout: float, *, check_steps: bool) -> bool:
        if self.drive_settle and self.comparing:
            settled = self._settle_in_turns(timeout, check_steps=check_steps)
        elif self.sut.settle_steps is not None:
            settled = self._settle_shown(check_steps=check_steps)
            self._converge_model()
        else:
            settled = bool(self._crash("settle", self.sut.settle, timeout))
            self.view = self._observe()
            self._converge_model()
        if not check_steps:
            self._check_state(self.view, self.state_invs)
        return settled

    def _settle_shown(self, *, check_steps: bool) -> bool:
        """A settle through ``settle_steps`` (capability ``intermediate``): every turn's state checked."""
        assert self.sut.settle_steps is not None
        settled = True
        self.ctx.settle_start = prev = self.view
        now = self._now()
        try:
            for event, shown in self._crash("settle_steps", lambda: iter(self.sut.settle_steps())):  # type: ignore[misc]
                view = view_of(shown, now)
                self.stats.intermediate += 1
                if check_steps:
                    self._check_turn(event, prev, view)
                prev = view
        except rm.NotConverged:
            settled = False
        finally:
            self.ctx.settle_start = None
        self.view = prev
        return settled

    def _settle_in_turns(self, timeout: float, *, check_steps: bool) -> bool:
        """A settle driven by the model, for a deterministic adapter (``virtual-time`` and
        ``single-step``): each controller turn and clock step the model takes (:meth:`_driven_turns`,
        with a probe one second before every deadline) goes to the adapter too, and the objects it
        touched are compared on both sides; then the adapter's own ``settle`` finishes whatever else it
        has to do (nothing, when it behaves like the model)."""
        assert self._model is not None
        self.ctx.settle_start = prev = self.view
        try:
            for event in self._driven_turns(SETTLE_TURNS):
                mprev = self._mview
                out = perform(self.sut, event)
                if out.status == "unknown":
                    self.diverged = True
                    self.stats.errors[out.message] += 1
                self._model_step(event)
                view = self._observe()
                self.stats.intermediate += 1
                if check_steps:
                    self._check_turn(event, prev, view)
                if self.comparing:
                    self._compare_step(prev, view, mprev, event)
                prev = view
                if self.diverged:
                    break
        except rm.NotConverged:
            pass
        finally:
            self.ctx.settle_start = None
        settled = bool(self._crash("settle", self.sut.settle, timeout))
        self.view = self._observe()
        if self.comparing:
            self._compare_step(prev, self.view, self._mview, "the adapter's own settle")
        return settled

    def _driven_turns(self, limit: int) -> Iterator[ev.Event]:
        """The events of the model's own settle (:func:`refmodel.converge_steps`: queued work in queue
        order, then a clock jump to the next essential timer), read from the model as the harness steps
        it, with one change: a jump of two seconds or more to a deadline ``t`` stops at ``t - 1``,
        where the work that deadline will wake is reconciled once, early (a *probe*; a controller must
        not act before its deadline however often it is woken, as informer resyncs wake it upstream).

        The adapter's own timers are invisible through the protocol, so a jump straight to the
        model's deadline would let an adapter whose timer fires early (an eviction before
        tolerationSeconds, a progress deadline cut short) act at the same instant the model does; at
        ``t - 1`` it acts a second early (timestamps are whole seconds), where the timing invariants
        and the per-step comparison see it. Raises :class:`refmodel.NotConverged` after ``limit``
        events."""
        probed: set[int] = set()
        n = 0
        while True:
            model = self._model
            assert model is not None
            queued = bool(model.dirty)
            if queued:
                batch = [ev.Reconcile(*item) for _, item in sorted((seq, item) for item, seq in model.dirty.items())]
            else:
                due = _next_deadline(model)
                if due is None:
                    return
                seconds = due - model.now
                if seconds >= 2 and due not in probed:
                    probed.add(due)
                    batch = [ev.ClockAdvanced(seconds - 1),
                             *(ev.Reconcile(*item) for item in sorted(model.timers[due].keys()))]
                else:
                    batch = [ev.ClockAdvanced(max(seconds, 0))]
            for event in batch:
                if queued and (event.controller, event.key) not in self._model.dirty:  # type: ignore[union-attr]
                    continue  # an earlier turn of this batch already took it
                n += 1
                if n > limit:
                    raise rm.NotConverged(f"still busy after {limit} controller turns and clock steps "
                                          f"(last: {event}), but should have settled")
                yield event

    def _check_turn(self, event: object, prev: View, view: View) -> None:
        step = Step(event, None, prev, view, True)
        self._check_step(self.intermediate_transition, step)
        self._check_state(view, self.intermediate_state)

    def _counterpart(self, event: ev.Event) -> ev.Event:
        """The event as the model must take it: a pod the cluster named (a kill, a delete) is the model's
        pod at the same place among those sharing its generateName (the names themselves are random)."""
        if self._mview is None:
            return event
        if isinstance(event, ev.PodKilled) or (isinstance(event, ev.Delete) and event.kind == "Pod"):
            ns = event.namespace or "default"
            name = counterpart(self.view, self._mview, "Pod", ns, event.name)
            return attrs.evolve(event, name=name) if name != event.name else event
        return event

    def _follow_clock(self) -> None:
        """A live cluster's controllers and clock run between requests: before the next request the model
        does what they did, its controllers and its timers up to the cluster's time (the last view's
        ``now``), so that both answer the request from the same state."""
        if self._model is None:
            return
        if self._epoch is None or self.view.now - self._epoch < self._model.now:
            self._epoch = self.view.now - self._model.now  # (re)anchored: the model is never set back
        target = self.view.now - self._epoch
        state = self._model
        try:
            for event, turn in bounded_converge_steps(state, SETTLE_TURNS):
                if isinstance(event, ev.ClockAdvanced) and turn.now > target:
                    break
                state = turn
        except rm.NotConverged:
            pass
        if target > state.now:
            state = rm.transition(state, ev.ClockAdvanced(target - state.now)).state
        self._set_model(state)

    def _converge_model(self) -> None:
        if self._model is None:
            return
        state = self._model
        try:
            for _, turn in bounded_converge_steps(self._model, SETTLE_TURNS):
                state = turn
        except rm.NotConverged:
            pass
        self._set_model(state)

    # ---- what the run knows ------------------------------------------------------------------
    def _learn(self, event: ev.Event, outcome: Outcome, before: View, after: View) -> None:
        ctx = self.ctx
        if not isinstance(event, _BENIGN):
            ctx.orphaned.clear()  # anything else may legitimately delete an orphaned dependent
            ctx.orphan_nodes.clear()
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
                        ctx.orphaned[uid] = deps = _orphanable_dependents(before, obj)
                        for dep_uid in deps:
                            dep = before.by_uid(dep_uid)
                            if dep is not None and dep.get("kind") == "Pod":  # "": not bound yet
                                ctx.orphan_nodes[dep_uid] = dep["spec"].get("nodeName") or ""
            case _:
                pass

    def _forget_settled(self) -> None:
        view = self.view
        for uid in [u for u in self.ctx.deleted if view.by_uid(u) is None]:
            del self.ctx.deleted[uid]
        self.ctx.orphaned.clear()
        self.ctx.orphan_nodes.clear()

    def trace_script(self) -> tuple[dict[str, Any], ...]:
        """The trace as event-script entries (:mod:`conformance.script`); an invalid manifest's entry carries
        the field its rejection must name (``rejectedNaming``), so that a replay judges it as the run did."""
        return script_entries(self.trace, self.expectations)

    # ---- judging -----------------------------------------------------------------------------
    def _check_all(self, invs: list[Invariant], arg: object) -> None:
        """Every invariant of ``invs`` over ``arg`` (a step, or a view for convergence invariants)."""
        ctx, checks = self.ctx, self.stats.checks
        for inv in invs:
            premises, violations = inv.check(arg, ctx)
            checks[inv.name] += 1
            if premises or violations:
                self._tally(inv, premises, violations)

    def _check_step(self, invs: list[Invariant], step: Step) -> None:
        """Every transition invariant of ``invs`` over ``step``; one that declared the kinds whose changes it
        judges (``Invariant.changes``) is counted without running when the step changed no object of them
        (its verdict is then (0, []) and it leaves the context as it was). ``audit_skips`` runs it anyway
        and fails when that is not so (tests/test_harness_speed.py)."""
        before, after = step.before, step.after
        ctx, checks = self.ctx, self.stats.checks
        # the kinds whose map changed, when the views know it (a watch view knows what its batch touched): the
        # checks to run and the names of those skipped are then worked out once per set of kinds
        changed = changed_kinds(before, after)
        if changed is not None and not self.audit_skips:
            to_run, skipped = _split(invs, changed)
            checks.update(skipped)  # counted without running
            for inv in to_run:
                premises, violations = inv.check(step, ctx)
                checks[inv.name] += 1
                if premises or violations:
                    self._tally(inv, premises, violations)
            return
        same: dict[str, bool] = {}  # kind -> no object of it changed in this step (the same map, by identity)
        for inv in invs:
            kinds = inv.changes
            if kinds:
                if changed is not None:
                    unchanged = changed.isdisjoint(kinds)
                else:
                    for kind in kinds:
                        unchanged = same.get(kind)
                        if unchanged is None:
                            unchanged = same[kind] = before.version(kind) is after.version(kind)
                        if not unchanged:
                            break
                if unchanged:
                    checks[inv.name] += 1
                    if self.audit_skips:
                        self._audit_skip(inv, step)
                    continue
            premises, violations = inv.check(step, ctx)
            checks[inv.name] += 1
            if premises or violations:
                self._tally(inv, premises, violations)

    def _audit_skip(self, inv: Invariant, step: Step) -> None:
        self.audited += 1
        ctx = self.ctx
        kept = {f.name: _copied(getattr(ctx, f.name)) for f in attrs.fields(Context)}
        verdict = inv.check(step, ctx)
        changed = sorted(k for k, v in kept.items() if getattr(ctx, k) != v)
        if verdict != (0, []) or changed:
            raise AssertionError(f"{inv.name!r} was skipped in a step that changed no {'/'.join(inv.changes)}, "
                                 f"but run it gives {verdict} and changes the context's {changed}: its declared "
                                 f"kinds are wrong [after {step.event}]")

    def _check_state(self, view: View, invs: list[Invariant]) -> None:
        """Every state invariant of ``invs`` over ``view``; one whose ``reads`` kinds are all the same
        objects (by identity) as when it was last checked reuses that verdict."""
        tokens = view.versions()
        cache, ctx, checks = self._cache, self.ctx, self.stats.checks
        # the same objects as at the last check of these invariants (most controller turns write nothing): every
        # verdict of a check with ``reads`` stands, with no per-check comparison
        last = self._last_state
        same = last is not None and last[0] is tokens and last[1] is invs
        # a watch view one batch on from the last checked one: the checks that read none of the kinds the batch
        # touched keep their verdicts (their kinds are the same maps), with no per-check comparison either
        fresh = _fresh(invs, view.kinds) if (  # type: ignore[attr-defined]
            not same and last is not None and last[1] is invs and isinstance(view, WatchView) and view.prev is last[2]
            and view.kinds is not None) else None
        self._last_state = (tokens, invs, view)
        for i, inv in enumerate(invs):
            reads = inv.reads
            if reads and (same or (fresh is not None and fresh[i])):
                premises, violations = cache[inv.name][1]
            elif reads:
                key = tuple(map(tokens.get, reads))
                hit = cache.get(inv.name)
                if hit is not None and all(map(is_, hit[0], key)):
                    premises, violations = hit[1]
                else:
                    verdict = inv.check(view, ctx)
                    cache[inv.name] = (key, verdict)
                    premises, violations = verdict
            else:
                premises, violations = inv.check(view, ctx)
            checks[inv.name] += 1
            if premises or violations:
                self._tally(inv, premises, violations)

    def _judge(self, inv: Invariant, verdict: Verdict) -> None:
        self.stats.checks[inv.name] += 1
        if verdict[0] or verdict[1]:
            self._tally(inv, *verdict)

    def _tally(self, inv: Invariant, premises: int, violations: list[str]) -> None:
        """Count a checked invariant's premises and violations (its check is counted by the caller)."""
        name = inv.name
        if premises:
            self.stats.premises[name] += premises
        if violations:
            self.stats.violations[name] += 1
            extra = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
            self._fail(inv, violations[0] + extra)

    def _fail(self, inv: Invariant, message: str) -> None:
        failure = Failure(inv.name, inv.rules, message, self.trace_script())
        self.failures.append(failure)
        if self.raise_on_violation:
            raise Violation(failure)


_Classes = tuple[list[Invariant], list[Invariant], list[Invariant], list[Invariant], list[Invariant]]
_CLASSIFIED: dict[tuple[tuple[Invariant, ...], frozenset[str]], tuple[frozenset[str], _Classes]] = {}


def _classified(invs: tuple[Invariant, ...], caps: frozenset[str]) -> tuple[frozenset[str], _Classes]:
    """The names of the invariants not applicable with ``caps`` (differential ones included), and the
    applicable ones of ``invs`` by when they run: state, transition, convergence, state and transition at
    intermediate states (the differential ones are run by hand). The same for every example of a machine:
    worked out once (lists the runs share and never change)."""
    key = (invs, caps)
    hit = _CLASSIFIED.get(key)
    if hit is None:
        differential = set(map(id, DIFFERENTIAL))
        lacking = frozenset(inv.name for inv in (*invs, *(d for d in DIFFERENTIAL if id(d) not in set(map(id, invs))))
                            if not inv.applicable(caps))
        ok = [inv for inv in invs if inv.applicable(caps) and id(inv) not in differential]
        state = [i for i in ok if i.kind == "state"]
        transition = [i for i in ok if i.kind == "transition"]
        classes = (state, transition, [i for i in ok if i.kind == "convergence"],
                   [i for i in state if i.intermediate], [i for i in transition if i.intermediate])
        if len(_CLASSIFIED) > 64:
            _CLASSIFIED.clear()
        hit = _CLASSIFIED[key] = (lacking, classes)
    return hit


_FRESH: dict[tuple[int, frozenset[str]], tuple[list[Invariant], tuple[bool, ...]]] = {}


def _fresh(invs: list[Invariant], changed: frozenset[str]) -> tuple[bool, ...]:
    """For each state check of ``invs``: it reads kinds (``reads``) and none of them is in ``changed`` (worked out
    once per set of kinds, as :func:`_split`)."""
    key = (id(invs), changed)
    hit = _FRESH.get(key)
    if hit is None or hit[0] is not invs:
        if len(_FRESH) > 4096:
            _FRESH.clear()
        hit = _FRESH[key] = (invs, tuple(bool(i.reads) and changed.isdisjoint(i.reads) for i in invs))
    return hit[1]


_SPLITS: dict[tuple[int, frozenset[str]], tuple[list[Invariant], list[Invariant], list[str]]] = {}


def _split(invs: list[Invariant], changed: frozenset[str]) -> tuple[list[Invariant], list[str]]:
    """The transition checks of ``invs`` to run in a step that changed the kinds ``changed``, and the names of
    the others (each declared kinds of which none changed). The same few sets of kinds recur in every run: each
    split is worked out once (``invs`` are the classified lists the runs share)."""
    key = (id(invs), changed)
    hit = _SPLITS.get(key)
    if hit is None or hit[0] is not invs:
        if len(_SPLITS) > 4096:
            _SPLITS.clear()
        hit = _SPLITS[key] = (invs, [i for i in invs if not i.changes or not changed.isdisjoint(i.changes)],
                              [i.name for i in invs if i.changes and changed.isdisjoint(i.changes)])
    return hit[1], hit[2]


def _copied(value: Any) -> Any:
    """A copy of a context field that a check could change in place (its containers, one level deep)."""
    if isinstance(value, dict):
        return {k: v.copy() if isinstance(v, dict | set | list) else v for k, v in value.items()}
    if isinstance(value, set | list):
        return value.copy()
    return value


def _next_deadline(state: rm.ClusterState) -> int | None:
    """The time of the model's next essential timer (the one its settle waits for), or None."""
    return min((t for t, slot in state.timers.items() if any(slot.values())), default=None)


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
