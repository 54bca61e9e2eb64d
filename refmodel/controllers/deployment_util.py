"""Helpers of the Deployment controller: revisions, annotations, fenceposts, proportions, conditions, hashes.

**Mirrors:** ``pkg/controller/deployment/util/deployment_util.go`` (v1.32): the annotation and reason
constants, SetDeploymentRevision, MaxRevision, LastRevision, Revision, SetNewReplicaSetAnnotations,
copyDeploymentAnnotationsToReplicaSet, annotationsToSkip/skipCopyAnnotation, SetDeploymentAnnotationsTo,
getSkippedAnnotations, FindActiveOrLatest, GetDesiredReplicasAnnotation, getMaxReplicasAnnotation,
getIntFromAnnotation, SetReplicasAnnotations, ReplicasAnnotationsNeedUpdate, MaxUnavailable, MinAvailable,
MaxSurge, GetProportion, getReplicaSetFraction, SetFromReplicaSetTemplate, GetReplicaCountForReplicaSets,
GetActualReplicaCountForReplicaSets, GetReadyReplicaCountForReplicaSets,
GetAvailableReplicaCountForReplicaSets, IsRollingUpdate, DeploymentComplete, DeploymentProgressing,
DeploymentTimedOut, NewRSNewReplicas, IsSaturated, ResolveFenceposts, HasProgressDeadline,
HasRevisionHistoryLimit, EqualIgnoreHash, FindNewReplicaSet, FindOldReplicaSets, NewDeploymentCondition,
GetDeploymentCondition, SetDeploymentCondition, RemoveDeploymentCondition,
ReplicaSetToDeploymentCondition, ReplicaSetsByRevision; ``pkg/controller/controller_utils.go``
(ComputeHash, FilterActiveReplicaSets, ReplicaSetsByCreationTimestamp, ReplicaSetsBySizeOlder,
ReplicaSetsBySizeNewer); ``staging/src/k8s.io/apimachinery/pkg/util/rand/rand.go`` (SafeEncodeString);
``pkg/util/labels`` (CloneAndAddLabel, CloneSelectorAndAddLabel); ``pkg/controller/deployment/rollback.go``
(getRollbackTo).
**Modelled:** rules D-3, D-4, D-5, D-6 (hash and names), D-7, D-8, D-15 (proportions, Go ``math.Round``
half away from zero), D-18, D-19; objects are API-shaped frozen dicts, times RFC 3339 strings with
second precision (the controller passes ``now`` explicitly: no clock here).
**Not modelled (and why):**
- ``ComputeHash`` cannot be byte-exact: Go's ``DeepHashObject`` hashes a ``%#v`` dump of the Go struct
  (``spew``), which has no Python equivalent. The model hashes a canonical JSON encoding of the template
  (sorted keys, no spaces) with FNV-32a, adds ``collisionCount`` exactly as upstream does (4 little-endian
  bytes in an 8-byte buffer), and encodes the decimal digest with upstream's SafeEncodeString alphabet,
  so names have the upstream shape (``web-6d4cf56db6``) but not the same characters as a real cluster.
- ``getReplicaSetFraction`` with a ``max-replicas`` annotation of 0 and ``status.replicas`` 0: v1.32 divides
  by zero in floating point and converts ±Inf to int32 (implementation-defined in Go); the model returns 0,
  as later upstream releases do (TestGetReplicaSetFraction).
- Semantic equality (``apiequality.Semantic.DeepEqual``) is modelled as plain equality after dropping
  empty maps/lists (nil and empty compare equal upstream); quantities are compared as written.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..frozen import EMPTY, FrozenDict, with_
from ..intstr import IntOrStringError, get_scaled_value_from_int_or_percent
from ..state import parse_time

__all__ = [
    "DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY",
    "DESIRED_REPLICAS_ANNOTATION",
    "MAX_REPLICAS_ANNOTATION",
    "REVISION_ANNOTATION",
    "REVISION_HISTORY_ANNOTATION",
    "compute_hash",
    "deployment_complete",
    "deployment_progressing",
    "deployment_timed_out",
    "equal_ignore_hash",
    "find_active_or_latest",
    "find_new_replica_set",
    "find_old_replica_sets",
    "get_proportion",
    "get_replica_set_fraction",
    "is_saturated",
    "last_revision",
    "max_revision",
    "max_surge",
    "max_unavailable",
    "min_available",
    "new_rs_new_replicas",
    "resolve_fenceposts",
    "safe_encode_string",
    "set_new_replica_set_annotations",
]

Obj = Mapping[str, Any]

# ---- annotations, labels and reasons (deployment_util.go constants) --------------------------
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
DEPRECATED_ROLLBACK_TO = "deprecated.deployment.rollback.to"  # apps.DeprecatedRollbackTo
LAST_APPLIED_CONFIG_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause"
DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY = "pod-template-hash"

ROLLBACK_REVISION_NOT_FOUND = "DeploymentRollbackRevisionNotFound"
ROLLBACK_TEMPLATE_UNCHANGED = "DeploymentRollbackTemplateUnchanged"
ROLLBACK_DONE = "DeploymentRollback"
REPLICA_SET_UPDATED_REASON = "ReplicaSetUpdated"
FAILED_RS_CREATE_REASON = "ReplicaSetCreateError"
NEW_REPLICA_SET_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
PAUSED_DEPLOY_REASON = "DeploymentPaused"
RESUMED_DEPLOY_REASON = "DeploymentResumed"
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"

DEPLOYMENT_AVAILABLE = "Available"
DEPLOYMENT_PROGRESSING = "Progressing"
DEPLOYMENT_REPLICA_FAILURE = "ReplicaFailure"

MAX_INT32 = 2**31 - 1
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000  # sync.go maxRevHistoryLengthInChars

_ANNOTATIONS_TO_SKIP = frozenset({
    LAST_APPLIED_CONFIG_ANNOTATION,
    REVISION_ANNOTATION,
    REVISION_HISTORY_ANNOTATION,
    DESIRED_REPLICAS_ANNOTATION,
    MAX_REPLICAS_ANNOTATION,
    DEPRECATED_ROLLBACK_TO,
})


class RevisionError(ValueError):
    """strconv.ParseInt failed on a revision annotation."""


# ---------------------------------------------------------------------------------------------
# small accessors
# ---------------------------------------------------------------------------------------------
def spec_replicas(obj: Obj | None) -> int:
    """``*obj.Spec.Replicas`` (apps/v1 defaults it to 1)."""
    if obj is None:
        return 0
    return int((obj.get("spec") or EMPTY).get("replicas", 1))


def _status(obj: Obj | None) -> Mapping[str, Any]:
    if obj is None:
        return EMPTY
    return obj.get("status") or EMPTY


def annotations_of(obj: Obj) -> Mapping[str, str]:
    return (obj.get("metadata") or EMPTY).get("annotations") or EMPTY


def _with_annotations(obj: Obj, annotations: Mapping[str, str]) -> FrozenDict:
    md = obj.get("metadata") or EMPTY
    return with_(obj, metadata=with_(md, annotations=FrozenDict(annotations) if annotations else None))


def _parse_go_int(text: str, bits: int) -> int:
    """strconv.ParseInt(text, 10, bits): optional sign, decimal digits, range-checked."""
    if not isinstance(text, str) or not re.fullmatch(r"[+-]?[0-9]+", text):
        raise RevisionError(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    v = int(text)
    if not -(2 ** (bits - 1)) <= v < 2 ** (bits - 1):
        raise RevisionError(f'strconv.ParseInt: parsing "{text}": value out of range')
    return v


def creation_key(rs: Obj) -> tuple[int, str]:
    """ReplicaSetsByCreationTimestamp: creationTimestamp, then name."""
    md = rs["metadata"]
    ts = md.get("creationTimestamp")
    return (parse_time(ts) if ts else 0, md.get("name", ""))


def sort_by_creation(rss: Iterable[Obj]) -> list[Any]:
    return sorted(rss, key=creation_key)


def sort_by_size_older(rss: Iterable[Obj]) -> list[Any]:
    """ReplicaSetsBySizeOlder: larger first; equal sizes oldest first."""
    return sorted(rss, key=lambda rs: (-spec_replicas(rs), creation_key(rs)))


def sort_by_size_newer(rss: Iterable[Obj]) -> list[Any]:
    """ReplicaSetsBySizeNewer: larger first; equal sizes newest first."""

    def cmp(a: Obj, b: Obj) -> int:
        ra, rb = spec_replicas(a), spec_replicas(b)
        if ra != rb:
            return -1 if ra > rb else 1
        ka, kb = creation_key(a), creation_key(b)
        return -1 if ka > kb else (1 if ka < kb else 0)

    return sorted(rss, key=functools.cmp_to_key(cmp))


def sort_by_revision(rss: Iterable[Obj]) -> list[Any]:
    """ReplicaSetsByRevision: revision ascending; unparsable or equal revisions by creation time."""

    def cmp(a: Obj, b: Obj) -> int:
        try:
            ra, rb = revision(a), revision(b)
        except RevisionError:
            ra = rb = 0
        if ra == rb:
            ka, kb = creation_key(a), creation_key(b)
            return -1 if ka < kb else (1 if ka > kb else 0)
        return -1 if ra < rb else 1

    return sorted(rss, key=functools.cmp_to_key(cmp))


def filter_active_replica_sets(rss: Iterable[Obj | None]) -> list[Any]:
    """FilterActiveReplicaSets: non-nil with spec.replicas > 0."""
    return [rs for rs in rss if rs is not None and spec_replicas(rs) > 0]


# ---------------------------------------------------------------------------------------------
# revisions
# ---------------------------------------------------------------------------------------------
def revision(obj: Obj) -> int:
    """Revision: the revision annotation as int64; 0 when absent; RevisionError when unparsable."""
    v = annotations_of(obj).get(REVISION_ANNOTATION)
    if v is None:
        return 0
    return _parse_go_int(v, 64)


def _revisions(all_rss: Iterable[Obj | None]) -> Iterator[int]:
    """The parsable revisions of ``all_rss``, as MaxRevision and LastRevision read them (nil ReplicaSets and
    unparsable annotations skipped)."""
    for rs in all_rss:
        if rs is None:
            continue
        try:
            v = revision(rs)
        except RevisionError:
            continue
        yield v


def max_revision(all_rss: Iterable[Obj | None]) -> int:
    """MaxRevision: the highest parsable revision (0 when none, or when every one is negative)."""
    return max((0, *_revisions(all_rss)))


def last_revision(all_rss: Iterable[Obj | None]) -> int:
    """LastRevision: the second-highest revision (0 when none)."""
    first = second = 0
    for v in _revisions(all_rss):
        if v >= first:
            second, first = first, v
        elif v > second:
            second = v
    return second


def set_deployment_revision(d: Obj, rev: str) -> tuple[FrozenDict, bool]:
    """SetDeploymentRevision: (deployment with the revision annotation, whether it changed)."""
    ann = annotations_of(d)
    if ann.get(REVISION_ANNOTATION) == rev:
        return FrozenDict(d), False
    return _with_annotations(d, {**ann, REVISION_ANNOTATION: rev}), True


def skip_copy_annotation(key: str) -> bool:
    return key in _ANNOTATIONS_TO_SKIP


def copy_deployment_annotations_to_replica_set(d: Obj, rs: Obj) -> tuple[FrozenDict, bool]:
    """copyDeploymentAnnotationsToReplicaSet: add/overwrite all but the skipped annotations."""
    rs_ann = dict(annotations_of(rs))
    changed = False
    for k, v in annotations_of(d).items():
        if skip_copy_annotation(k) or (k in rs_ann and rs_ann[k] == v):
            continue
        rs_ann[k] = v
        changed = True
    return (_with_annotations(rs, rs_ann) if changed else FrozenDict(rs)), changed


def get_skipped_annotations(annotations: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in annotations.items() if skip_copy_annotation(k)}


def set_deployment_annotations_to(d: Obj, rollback_to_rs: Obj) -> FrozenDict:
    """SetDeploymentAnnotationsTo: keep the deployment's skipped annotations, take the rest from the RS."""
    ann = get_skipped_annotations(annotations_of(d))
    for k, v in annotations_of(rollback_to_rs).items():
        if not skip_copy_annotation(k):
            ann[k] = v
    return _with_annotations(d, ann)


def set_new_replica_set_annotations(d: Obj, new_rs: Obj, new_revision: str, exists: bool,
                                    rev_history_limit_in_chars: int = MAX_REV_HISTORY_LENGTH_IN_CHARS,
                                    ) -> tuple[FrozenDict, bool]:
    """SetNewReplicaSetAnnotations: copy annotations, raise the revision, keep the revision history."""
    rs, changed = copy_deployment_annotations_to_replica_set(d, new_rs)
    ann = dict(annotations_of(rs))
    old_revision = ann.get(REVISION_ANNOTATION)
    had = old_revision is not None
    try:
        old_int = _parse_go_int(old_revision, 64) if old_revision else 0
    except RevisionError:
        return rs, False
    try:
        new_int = _parse_go_int(new_revision, 64)
    except RevisionError:
        return rs, False
    if old_int < new_int:
        ann[REVISION_ANNOTATION] = new_revision
        changed = True
    if had and old_int < new_int:
        assert old_revision is not None
        history = ann.get(REVISION_HISTORY_ANNOTATION, "")
        old_revisions = history.split(",")
        if not old_revisions[0]:
            ann[REVISION_HISTORY_ANNOTATION] = old_revision
        else:
            total = len(history) + len(old_revision) + 1
            start = 0
            while total > rev_history_limit_in_chars and start < len(old_revisions):
                total -= len(old_revisions[start]) + 1
                start += 1
            if total <= rev_history_limit_in_chars:
                ann[REVISION_HISTORY_ANNOTATION] = ",".join([*old_revisions[start:], old_revision])
    rs = _with_annotations(rs, ann)
    if not exists:
        rs, set_ = set_replicas_annotations(rs, spec_replicas(d), spec_replicas(d) + max_surge(d))
        changed = changed or set_
    return rs, changed


# ---------------------------------------------------------------------------------------------
# replica annotations
# ---------------------------------------------------------------------------------------------
def _get_int_from_annotation(rs: Obj, key: str) -> tuple[int, bool]:
    """getIntFromAnnotation: strconv.ParseInt(v, 10, 32); (0, False) when absent or unparsable."""
    v = annotations_of(rs).get(key)
    if v is None:
        return 0, False
    try:
        return _parse_go_int(v, 32), True
    except RevisionError:
        return 0, False


def get_desired_replicas_annotation(rs: Obj) -> tuple[int, bool]:
    return _get_int_from_annotation(rs, DESIRED_REPLICAS_ANNOTATION)


def get_max_replicas_annotation(rs: Obj) -> tuple[int, bool]:
    return _get_int_from_annotation(rs, MAX_REPLICAS_ANNOTATION)


def set_replicas_annotations(rs: Obj, desired: int, max_replicas: int) -> tuple[FrozenDict, bool]:
    """SetReplicasAnnotations: (rs with desired-replicas and max-replicas, whether either changed)."""
    ann = dict(annotations_of(rs))
    changed = False
    for key, value in ((DESIRED_REPLICAS_ANNOTATION, str(desired)), (MAX_REPLICAS_ANNOTATION, str(max_replicas))):
        if ann.get(key) != value:
            ann[key] = value
            changed = True
    return (_with_annotations(rs, ann) if changed else FrozenDict(rs)), changed


def replicas_annotations_need_update(rs: Obj, desired: int, max_replicas: int) -> bool:
    ann = annotations_of(rs)
    return ann.get(DESIRED_REPLICAS_ANNOTATION) != str(desired) or ann.get(MAX_REPLICAS_ANNOTATION) != str(
        max_replicas)


# ---------------------------------------------------------------------------------------------
# fenceposts
# ---------------------------------------------------------------------------------------------
def _strategy(d: Obj) -> Mapping[str, Any]:
    return (d.get("spec") or EMPTY).get("strategy") or EMPTY


def is_rolling_update(d: Obj) -> bool:
    return _strategy(d).get("type") == "RollingUpdate"


def resolve_fenceposts(max_surge_v: int | str | None, max_unavailable_v: int | str | None,
                       desired: int) -> tuple[int, int]:
    """ResolveFenceposts: surge rounds up, unavailable down (nil = 0); both 0 -> unavailable 1.

    Raises IntOrStringError for a string that is not a percentage (upstream returns 0, 0, err).
    """
    surge = get_scaled_value_from_int_or_percent(0 if max_surge_v is None else max_surge_v, desired, True)
    unavailable = get_scaled_value_from_int_or_percent(
        0 if max_unavailable_v is None else max_unavailable_v, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def _fenceposts(d: Obj) -> tuple[int, int]:
    ru = _strategy(d).get("rollingUpdate") or EMPTY
    try:
        return resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), spec_replicas(d))
    except IntOrStringError:
        return 0, 0  # "Error caught by validation"


def max_unavailable(d: Obj) -> int:
    """MaxUnavailable: 0 unless RollingUpdate with replicas > 0; clamped to replicas."""
    replicas = spec_replicas(d)
    if not is_rolling_update(d) or replicas == 0:
        return 0
    return min(_fenceposts(d)[1], replicas)


def min_available(d: Obj) -> int:
    if not is_rolling_update(d):
        return 0
    return spec_replicas(d) - max_unavailable(d)


def max_surge(d: Obj) -> int:
    """MaxSurge: 0 unless RollingUpdate; not clamped."""
    if not is_rolling_update(d):
        return 0
    return _fenceposts(d)[0]


# ---------------------------------------------------------------------------------------------
# counts
# ---------------------------------------------------------------------------------------------
def get_replica_count_for_replica_sets(rss: Iterable[Obj | None]) -> int:
    """Σ spec.replicas."""
    return sum(spec_replicas(rs) for rs in rss if rs is not None)


def get_actual_replica_count_for_replica_sets(rss: Iterable[Obj | None]) -> int:
    """Σ status.replicas."""
    return sum(int(_status(rs).get("replicas", 0)) for rs in rss if rs is not None)


def get_ready_replica_count_for_replica_sets(rss: Iterable[Obj | None]) -> int:
    return sum(int(_status(rs).get("readyReplicas", 0)) for rs in rss if rs is not None)


def get_available_replica_count_for_replica_sets(rss: Iterable[Obj | None]) -> int:
    return sum(int(_status(rs).get("availableReplicas", 0)) for rs in rss if rs is not None)


# ---------------------------------------------------------------------------------------------
# proportional scaling
# ---------------------------------------------------------------------------------------------
def go_round(x: float) -> int:
    """math.Round: half away from zero (Python's round() is half to even)."""
    t = math.trunc(x)
    if abs(x - t) >= 0.5:
        return t + (1 if x > 0 else -1)
    return t


def get_replica_set_fraction(rs: Obj, d: Obj) -> int:
    """getReplicaSetFraction: round(rs.replicas * (d.replicas + MaxSurge) / max-replicas) - rs.replicas."""
    d_replicas = spec_replicas(d)
    rs_replicas = spec_replicas(rs)
    if d_replicas == 0:
        return -rs_replicas
    deployment_max = d_replicas + max_surge(d)
    before, ok = get_max_replicas_annotation(rs)
    if not ok or before == 0:
        before = int(_status(d).get("replicas", 0))
        if before == 0:
            return 0
    return go_round(rs_replicas * deployment_max / before) - rs_replicas


def get_proportion(rs: Obj | None, d: Obj, to_add: int, added: int) -> int:
    """GetProportion: the RS's share of ``to_add``, capped by what is still allowed."""
    if rs is None or spec_replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = get_replica_set_fraction(rs, d)
    allowed = to_add - added
    if to_add > 0:
        return min(fraction, allowed)
    return max(fraction, allowed)


def find_active_or_latest(new_rs: Obj | None, old_rss: Sequence[Obj]) -> Any:
    """FindActiveOrLatest: the only active RS; with none active the new RS, else the newest old one."""
    if new_rs is None and not old_rss:
        return None
    newest_first = sorted(old_rss, key=creation_key, reverse=True)
    active = filter_active_replica_sets([*newest_first, new_rs])
    if len(active) == 0:
        return new_rs if new_rs is not None else newest_first[0]
    if len(active) == 1:
        return active[0]
    return None


def is_saturated(d: Obj, rs: Obj | None) -> bool:
    """IsSaturated: the new RS runs d.replicas, was sized for d.replicas and all of them are available."""
    if rs is None:
        return False
    desired_s = annotations_of(rs).get(DESIRED_REPLICAS_ANNOTATION, "")
    try:
        desired = _parse_go_int(desired_s, 64)  # strconv.Atoi
    except RevisionError:
        return False
    replicas = spec_replicas(d)
    return spec_replicas(rs) == replicas and desired == replicas and int(
        _status(rs).get("availableReplicas", 0)) == replicas


def new_rs_new_replicas(d: Obj, all_rss: Iterable[Obj | None], new_rs: Obj) -> int:
    """NewRSNewReplicas: how far the new RS may grow within replicas + maxSurge (Recreate: all at once)."""
    strategy = _strategy(d).get("type")
    replicas = spec_replicas(d)
    if strategy == "RollingUpdate":
        ru = _strategy(d).get("rollingUpdate") or EMPTY
        surge = get_scaled_value_from_int_or_percent(ru.get("maxSurge"), replicas, True)
        current = get_replica_count_for_replica_sets(all_rss)
        max_total = replicas + surge
        if current >= max_total:
            return spec_replicas(new_rs)
        scale_up = min(max_total - current, replicas - spec_replicas(new_rs))
        return spec_replicas(new_rs) + scale_up
    if strategy == "Recreate":
        return replicas
    raise ValueError(f"deployment type {strategy} isn't supported")


# ---------------------------------------------------------------------------------------------
# new and old replica sets
# ---------------------------------------------------------------------------------------------
def _semantic(value: Any) -> Any:
    """Drop empty maps and lists (Semantic.DeepEqual treats nil and empty alike)."""
    if isinstance(value, Mapping):
        return {k: _semantic(v) for k, v in value.items() if not (isinstance(v, Mapping | tuple | list) and not v)}
    if isinstance(value, tuple | list):
        return [_semantic(v) for v in value]
    return value


def _without_hash_label(template: Obj) -> Any:
    md = template.get("metadata") or EMPTY
    labels = md.get("labels") or EMPTY
    if DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY not in labels:
        return template
    labels = {k: v for k, v in labels.items() if k != DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY}
    return with_(template, metadata=with_(md, labels=FrozenDict(labels) if labels else None))


def equal_ignore_hash(t1: Obj | None, t2: Obj | None) -> bool:
    """EqualIgnoreHash: templates equal once the pod-template-hash label is removed from both."""
    a = _without_hash_label(t1 or EMPTY)
    b = _without_hash_label(t2 or EMPTY)
    if a == b:
        return True
    return bool(_semantic(a) == _semantic(b))


def _template(obj: Obj) -> Any:
    return (obj.get("spec") or EMPTY).get("template")


def find_new_replica_set(d: Obj, rs_list: Iterable[Obj]) -> Any:
    """FindNewReplicaSet: the oldest RS whose template equals the deployment's (ignoring the hash label)."""
    tmpl = _template(d)
    for rs in sort_by_creation(rs_list):
        if equal_ignore_hash(_template(rs), tmpl):
            return rs
    return None


def find_old_replica_sets(d: Obj, rs_list: Sequence[Obj]) -> tuple[list[Any], list[Any]]:
    """FindOldReplicaSets: (old RSs with replicas, all old RSs)."""
    new_rs = find_new_replica_set(d, rs_list)
    new_uid = new_rs["metadata"].get("uid") if new_rs is not None else None
    required: list[Any] = []
    all_old: list[Any] = []
    for rs in rs_list:
        if new_rs is not None and (rs is new_rs or rs["metadata"].get("uid") == new_uid):
            continue
        all_old.append(rs)
        if spec_replicas(rs) != 0:
            required.append(rs)
    return required, all_old


def set_from_replica_set_template(d: Obj, template: Obj) -> FrozenDict:
    """SetFromReplicaSetTemplate: the RS template without the pod-template-hash label."""
    return with_(d, spec=with_(d["spec"], template=_without_hash_label(template)))


def get_rollback_to(d: Obj) -> int | None:
    """getRollbackTo: the deprecated rollbackTo revision round-tripped in an annotation (None if unset/invalid)."""
    v = annotations_of(d).get(DEPRECATED_ROLLBACK_TO, "")
    if v == "":
        return None
    try:
        return _parse_go_int(v, 64)
    except RevisionError:
        return None


# ---------------------------------------------------------------------------------------------
# progress
# ---------------------------------------------------------------------------------------------
def has_progress_deadline(d: Obj) -> bool:
    pds = (d.get("spec") or EMPTY).get("progressDeadlineSeconds")
    return pds is not None and pds != MAX_INT32


def has_revision_history_limit(d: Obj) -> bool:
    limit = (d.get("spec") or EMPTY).get("revisionHistoryLimit")
    return limit is not None and limit != MAX_INT32


def deployment_complete(d: Obj, new_status: Mapping[str, Any]) -> bool:
    """DeploymentComplete: every replica updated and available, no old ones, generation observed."""
    replicas = spec_replicas(d)
    return (int(new_status.get("updatedReplicas", 0)) == replicas
            and int(new_status.get("replicas", 0)) == replicas
            and int(new_status.get("availableReplicas", 0)) == replicas
            and int(new_status.get("observedGeneration", 0)) >= int(d["metadata"].get("generation", 0)))


def deployment_progressing(d: Obj, new_status: Mapping[str, Any]) -> bool:
    """DeploymentProgressing: more updated, fewer old, more ready or more available than before."""
    old = _status(d)

    def g(s: Mapping[str, Any], k: str) -> int:
        return int(s.get(k, 0))

    old_old = g(old, "replicas") - g(old, "updatedReplicas")
    new_old = g(new_status, "replicas") - g(new_status, "updatedReplicas")
    return (g(new_status, "updatedReplicas") > g(old, "updatedReplicas") or new_old < old_old
            or g(new_status, "readyReplicas") > g(old, "readyReplicas")
            or g(new_status, "availableReplicas") > g(old, "availableReplicas"))


def deployment_timed_out(d: Obj, new_status: Mapping[str, Any], now_epoch: int) -> bool:
    """DeploymentTimedOut: lastUpdateTime + progressDeadlineSeconds < now (strict), never after completion."""
    if not has_progress_deadline(d):
        return False
    cond = get_deployment_condition(new_status, DEPLOYMENT_PROGRESSING)
    if cond is None:
        return False
    if cond.get("reason") == NEW_RS_AVAILABLE_REASON:
        return False
    if cond.get("reason") == TIMED_OUT_REASON:
        return True
    last = cond.get("lastUpdateTime")
    frm = parse_time(last) if last else 0
    return bool(frm + int(d["spec"]["progressDeadlineSeconds"]) < now_epoch)


# ---------------------------------------------------------------------------------------------
# conditions
# ---------------------------------------------------------------------------------------------
def new_deployment_condition(ctype: str, status: str, reason: str, message: str, now: str) -> FrozenDict:
    return FrozenDict({"type": ctype, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
                       "reason": reason, "message": message})


def get_deployment_condition(status: Mapping[str, Any], ctype: str) -> Any:
    for c in status.get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def set_deployment_condition(status: Mapping[str, Any], cond: Mapping[str, Any]) -> FrozenDict:
    """SetDeploymentCondition: same status and reason -> unchanged; same status keeps lastTransitionTime;
    the new condition goes last."""
    current = get_deployment_condition(status, cond["type"])
    if current is not None and current.get("status") == cond["status"] and current.get("reason") == cond.get(
            "reason"):
        return FrozenDict(status)
    if current is not None and current.get("status") == cond["status"]:
        cond = with_(cond, lastTransitionTime=current.get("lastTransitionTime"))
    others = tuple(c for c in status.get("conditions") or () if c.get("type") != cond["type"])
    return with_(status, conditions=(*others, FrozenDict(cond)))


def remove_deployment_condition(status: Mapping[str, Any], ctype: str) -> FrozenDict:
    others = tuple(c for c in status.get("conditions") or () if c.get("type") != ctype)
    return with_(status, conditions=others or None)


def replica_set_to_deployment_condition(cond: Mapping[str, Any]) -> FrozenDict:
    """ReplicaSetToDeploymentCondition: lastUpdateTime is the RS condition's lastTransitionTime."""
    return FrozenDict({"type": cond.get("type"), "status": cond.get("status"),
                       "lastUpdateTime": cond.get("lastTransitionTime"),
                       "lastTransitionTime": cond.get("lastTransitionTime"),
                       "reason": cond.get("reason", ""), "message": cond.get("message", "")})


# ---------------------------------------------------------------------------------------------
# hashing and labels
# ---------------------------------------------------------------------------------------------
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
_FNV32_OFFSET = 0x811C9DC5
_FNV32_PRIME = 0x01000193


def fnv32a(data: bytes, h: int = _FNV32_OFFSET) -> int:
    for b in data:
        h = ((h ^ b) * _FNV32_PRIME) & 0xFFFFFFFF
    return h


def safe_encode_string(s: str) -> str:
    """rand.SafeEncodeString: each character mapped into the no-vowel alphabet by its code point."""
    return "".join(_ALPHANUMS[ord(ch) % len(_ALPHANUMS)] for ch in s)


_HASH_CACHE: dict[tuple[int, int | None], tuple[Any, str]] = {}


def compute_hash(template: Obj, collision_count: int | None) -> str:
    """ComputeHash (see the header: canonical JSON instead of Go's DeepHashObject dump)."""
    hit = _HASH_CACHE.get((id(template), collision_count))
    if hit is not None and hit[0] is template:
        return hit[1]
    data = json.dumps(template, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    h = fnv32a(data)
    if collision_count is not None:
        h = fnv32a((collision_count & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4), h)
    out = safe_encode_string(str(h))
    if len(_HASH_CACHE) > 1000:
        _HASH_CACHE.clear()
    _HASH_CACHE[(id(template), collision_count)] = (template, out)
    return out


def clone_and_add_label(labels: Mapping[str, str] | None, key: str, value: str) -> FrozenDict:
    return FrozenDict({**(labels or EMPTY), key: value})


def clone_selector_and_add_label(selector: Mapping[str, Any] | None, key: str, value: str) -> FrozenDict:
    """CloneSelectorAndAddLabel: matchLabels gains key=value; matchExpressions are kept."""
    sel = selector or EMPTY
    return with_(sel, matchLabels=clone_and_add_label(sel.get("matchLabels"), key, value))

