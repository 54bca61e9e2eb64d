"""Job and CronJob (batch/v1): defaulting and validation.

**Mirrors:** ``pkg/apis/batch/v1/defaults.go`` (SetDefaults_Job, SetDefaults_CronJob),
``pkg/apis/batch/validation/validation.go`` (ValidateJob, validateGeneratedSelector, ValidateJobSpec,
validateJobSpec, validatePodFailurePolicy, validatePodFailurePolicyRule, validatePodFailurePolicyRuleOnExitCodes,
validatePodFailurePolicyRuleOnPodConditions, validateSuccessPolicy, validateSuccessPolicyRule,
validateIndexesFormat, validatePodReplacementPolicy, ValidateJobUpdate, ValidateJobSpecUpdate,
validateCompletions, validatePodTemplateUpdate, ValidateCronJobCreate, ValidateCronJobUpdate,
validateCronJobSpec, validateScheduleFormat, validateTimeZone, validateConcurrencyPolicy,
ValidateJobTemplateSpec), ``pkg/apis/core/validation`` (ValidateHasLabel) and
``pkg/registry/batch/job/strategy.go`` (PrepareForCreate: generateSelector; status through its subresource;
generation).
**Modelled:** every rule above with upstream's messages: counts >= 0 (parallelism, completions, backoffLimit,
activeDeadlineSeconds, ttlSecondsAfterFinished ...); completionMode and the Indexed-only fields with their
limits; podFailurePolicy and successPolicy; podReplacementPolicy; the Pod template validated in full as
pods are (:func:`refmodel.resources.pod.validate_pod_template_spec`) with restartPolicy OnFailure or Never
(an unset one is defaulted to Always and so "Required"); the generated selector and the ``controller-uid``
and ``job-name`` template labels (legacy and ``batch.kubernetes.io/``) that generateSelector adds, checked as
validateGeneratedSelector checks them (a user label or selector that contradicts them is refused; a Job name
longer than 63 characters fails as a label value); the Indexed pod hostname check on the name; updates:
selector, completionMode, podFailurePolicy, backoffLimitPerIndex, managedBy, successPolicy immutable,
completions only in tandem with parallelism for Indexed Jobs, the template immutable except the scheduling
directives of a suspended Job. CronJob: the schedule as ``robfig/cron`` parses it (:mod:`.cron`), no TZ in
the schedule, timeZone an IANA name, concurrencyPolicy, history limits, the job template (no selector, no
manualSelector), the 52-character name limit. CronJob updates are validated as creates (the spec may change).
**Not modelled (and why):** the Job and CronJob controllers (a Job is checked and stored; its pods are not
created); the generated selector and labels are checked but not stored, because this model assigns the uid
after validation (the stored Job has the user's selector and labels); status validation (written by the
controllers only); ``AllowInvalidLabelValueInSelector`` and the other ratchets for objects stored by older
versions (the relaxations of ValidateCronJobUpdate among them): no object here was stored by one.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from ..errors import FieldError, duplicate, invalid, not_supported, required
from ..frozen import thaw
from ..labels import selector_matches
from . import REGISTRY, KindInfo
from .common import (
    as_dict,
    as_list,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    immutable,
    meta_finalizer_errors,
    nonnegative,
    parse_go_int,
    validate_label_selector,
    validate_qualified_name,
)
from .cron import parse_standard, time_zone_error
from .pod import default_pod_spec, validate_pod_template_spec
from .replicaset import selector_convertible

__all__ = [
    "default_cron_job",
    "default_job",
    "validate_cron_job",
    "validate_job",
    "validate_job_update",
]

Obj = dict[str, Any]

MAX_INT32 = 2**31 - 1
MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000
MAX_FAILED_INDEXES_FOR_INDEXED_JOB = 100_000
COMPLETIONS_SOFT_LIMIT = 100_000
PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS = 10_000
MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS = 10_000
MAX_POD_FAILURE_POLICY_RULES = 20
MAX_ON_EXIT_CODES_VALUES = 255
MAX_ON_POD_CONDITIONS_PATTERNS = 20
MAX_MANAGED_BY_LENGTH = 63
MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024
MAX_SUCCESS_POLICY_RULES = 20

POD_FAILURE_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
EXIT_CODE_OPERATORS = ("In", "NotIn")
CONDITION_STATUSES = ("False", "True", "Unknown")
REPLACEMENT_POLICIES = ("Failed", "TerminatingOrFailed")
COMPLETION_MODES = ("NonIndexed", "Indexed")
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")

LEGACY_CONTROLLER_UID = "controller-uid"
LEGACY_JOB_NAME = "job-name"
CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
JOB_NAME = "batch.kubernetes.io/job-name"
# The uid the API server assigns is unknown when the model validates (it assigns it after): a user's
# controller-uid label or selector value can only contradict it.
_UNASSIGNED_UID = "uid-assigned-at-creation"  # a valid label value, as a real uid is


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _go_list(values: tuple[str, ...]) -> str:
    """Go's ``%q`` of a string slice: ``["a" "b"]``."""
    return "[" + " ".join(f'"{v}"' for v in values) + "]"


# ---------------------------------------------------------------------------------------------
# defaults
# ---------------------------------------------------------------------------------------------
def _default_template(spec: Obj) -> None:
    tspec = as_dict(spec.get("template")).get("spec")
    if isinstance(tspec, dict):
        default_pod_spec(tspec)


def default_job(obj: Obj) -> None:
    """SetDefaults_Job (PodReplacementPolicy is on in v1.32)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    spec.setdefault("parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None else 6
    template = as_dict(spec.get("template"))
    labels = as_dict(template.get("metadata")).get("labels")
    md = obj.get("metadata")
    if isinstance(labels, dict) and labels and isinstance(md, dict) and not md.get("labels"):
        md["labels"] = dict(labels)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    policy = spec.get("podFailurePolicy")
    for rule in as_list(as_dict(policy).get("rules")):
        for pattern in as_list(as_dict(rule).get("onPodConditions")):
            if isinstance(pattern, dict) and not pattern.get("status"):
                pattern["status"] = "True"
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = "Failed" if policy is not None else "TerminatingOrFailed"
    _default_template(spec)


def default_cron_job(obj: Obj) -> None:
    """SetDefaults_CronJob (the job template's JobSpec is not defaulted; its pod template is)."""
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    if not spec.get("concurrencyPolicy"):
        spec["concurrencyPolicy"] = "Allow"
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    job_spec = as_dict(spec.get("jobTemplate")).get("spec")
    if isinstance(job_spec, dict):
        _default_template(job_spec)


# ---------------------------------------------------------------------------------------------
# JobSpec
# ---------------------------------------------------------------------------------------------
def _on_exit_codes(req: Obj, field: str, containers: set[str]) -> list[FieldError]:
    """validatePodFailurePolicyRuleOnExitCodes."""
    errs: list[FieldError] = []
    op = req.get("operator") or ""
    if not op:
        errs.append(required(f"{field}.operator", f"valid values: {_go_list(EXIT_CODE_OPERATORS)}"))
    elif op not in EXIT_CODE_OPERATORS:
        errs.append(not_supported(f"{field}.operator", op, EXIT_CODE_OPERATORS))
    name = req.get("containerName")
    if name is not None and name not in containers:
        errs.append(invalid(f"{field}.containerName", name,
                            "must be one of the container or initContainer names in the pod template"))
    values = [v for v in as_list(req.get("values")) if _int(v) is not None]
    if not values:
        errs.append(invalid(f"{field}.values", values, "at least one value is required"))
    elif len(values) > MAX_ON_EXIT_CODES_VALUES:
        errs.append(FieldError("Too many", f"{field}.values",
                               f"must have at most {MAX_ON_EXIT_CODES_VALUES} items", len(values), True))
    seen: set[int] = set()
    for j, v in enumerate(values):
        if op == "In" and v == 0:
            errs.append(invalid(f"{field}.values[{j}]", v, "must not be 0 for the In operator"))
        if v in seen:
            errs.append(duplicate(f"{field}.values[{j}]", v))
        seen.add(v)
    if any(a > b for a, b in pairwise(values)):
        errs.append(invalid(f"{field}.values", values, "must be ordered"))
    return errs


def _on_pod_conditions(patterns: list[Any], field: str) -> list[FieldError]:
    """validatePodFailurePolicyRuleOnPodConditions."""
    errs: list[FieldError] = []
    if len(patterns) > MAX_ON_POD_CONDITIONS_PATTERNS:
        errs.append(FieldError("Too many", field, f"must have at most {MAX_ON_POD_CONDITIONS_PATTERNS} items",
                               len(patterns), True))
    for j, pattern in enumerate(patterns):
        p = as_dict(pattern)
        errs += validate_qualified_name(str(p.get("type") or ""), f"{field}[{j}].type")
        status = p.get("status") or ""
        if not status:
            errs.append(required(f"{field}[{j}].status", f"valid values: {_go_list(CONDITION_STATUSES)}"))
        elif status not in CONDITION_STATUSES:
            errs.append(not_supported(f"{field}[{j}].status", status, CONDITION_STATUSES))
    return errs


def _pod_failure_policy(spec: Obj, field: str) -> list[FieldError]:
    """validatePodFailurePolicy / validatePodFailurePolicyRule."""
    errs: list[FieldError] = []
    rules = as_list(as_dict(spec.get("podFailurePolicy")).get("rules"))
    if len(rules) > MAX_POD_FAILURE_POLICY_RULES:
        errs.append(FieldError("Too many", f"{field}.rules", f"must have at most {MAX_POD_FAILURE_POLICY_RULES} items",
                               len(rules), True))
    tspec = as_dict(as_dict(spec.get("template")).get("spec"))
    containers = {as_dict(c).get("name") for key in ("containers", "initContainers") for c in as_list(tspec.get(key))}
    names = {n for n in containers if isinstance(n, str)}
    for i, rule in enumerate(rules):
        r = as_dict(rule)
        path = f"{field}.rules[{i}]"
        action = r.get("action") or ""
        if not action:
            errs.append(required(f"{path}.action", f"valid values: {_go_list(POD_FAILURE_ACTIONS)}"))
        elif action == "FailIndex":
            if spec.get("backoffLimitPerIndex") is None:
                errs.append(invalid(f"{path}.action", action, "requires the backoffLimitPerIndex to be set"))
        elif action not in POD_FAILURE_ACTIONS:
            errs.append(not_supported(f"{path}.action", action, POD_FAILURE_ACTIONS))
        on_exit = r.get("onExitCodes")
        on_conditions = as_list(r.get("onPodConditions"))
        if isinstance(on_exit, dict):
            errs += _on_exit_codes(on_exit, f"{path}.onExitCodes", names)
        if on_conditions:
            errs += _on_pod_conditions(list(on_conditions), f"{path}.onPodConditions")
        if isinstance(on_exit, dict) and on_conditions:
            errs.append(FieldError("Invalid value", path, "specifying both OnExitCodes and OnPodConditions is not "
                                   "supported"))
        if not isinstance(on_exit, dict) and not on_conditions:
            errs.append(FieldError("Invalid value", path, "specifying one of OnExitCodes and OnPodConditions is "
                                   "required"))
    return errs


def _indexes_format(text: str, completions: int) -> tuple[int, str | None]:
    """validateIndexesFormat: the number of indexes in ``1,3-5,7``, or the parse error."""
    if not text:
        return 0, None
    last: int | None = None
    total = 0
    for interval in text.split(","):
        limits = interval.split("-")
        if len(limits) > 2:
            return 0, (f'the fragment "{interval}" violates the requirement that an index interval can have at most '
                       "two parts separated by '-'")
        x = parse_go_int(limits[0], 32)
        if x is None:
            return 0, f'cannot convert string to integer for index: "{limits[0]}"'
        if x >= completions:
            return 0, f'too large index: "{limits[0]}"'
        if last is not None and last >= x:
            return 0, f"non-increasing order, previous: {last}, current: {x}"
        total += 1
        last = x
        if len(limits) > 1:
            y = parse_go_int(limits[1], 32)
            if y is None:
                return 0, f'cannot convert string to integer for index: "{limits[1]}"'
            if y >= completions:
                return 0, f'too large index: "{limits[1]}"'
            if last >= y:
                return 0, f"non-increasing order, previous: {last}, current: {y}"
            total += y - x
            last = y
    return total, None


def _success_policy(spec: Obj, field: str) -> list[FieldError]:
    """validateSuccessPolicy / validateSuccessPolicyRule (the spec is Indexed, so completions is set)."""
    errs: list[FieldError] = []
    rules = as_list(as_dict(spec.get("successPolicy")).get("rules"))
    if not rules:
        errs.append(required(f"{field}.rules", "at least one rules must be specified when the successPolicy is "
                                               "specified"))
    if len(rules) > MAX_SUCCESS_POLICY_RULES:
        errs.append(FieldError("Too many", f"{field}.rules", f"must have at most {MAX_SUCCESS_POLICY_RULES} items",
                               len(rules), True))
    completions = _int(spec.get("completions")) or 0
    for i, rule in enumerate(rules):
        r = as_dict(rule)
        path = f"{field}.rules[{i}]"
        count, indexes = _int(r.get("succeededCount")), r.get("succeededIndexes")
        if count is None and indexes is None:
            errs.append(required(path, "at least one of succeededCount or succeededIndexes must be specified"))
        total = 0
        if isinstance(indexes, str):
            if len(indexes) > MAX_SUCCEEDED_INDEXES_LENGTH:
                errs.append(FieldError("Too long", f"{path}.succeededIndexes",
                                       f"may not be more than {MAX_SUCCEEDED_INDEXES_LENGTH} bytes", indexes, False))
            total, err = _indexes_format(indexes, completions)
            if err is not None:
                errs.append(invalid(f"{path}.succeededIndexes", indexes, f"error parsing succeededIndexes: {err}"))
        if count is not None:
            errs += nonnegative(count, f"{path}.succeededCount")
            if count > completions:
                errs.append(invalid(f"{path}.succeededCount", count, f"must be less than or equal to {completions} "
                                                                      "(the number of specified completions)"))
            if indexes is not None and count > total:
                errs.append(invalid(f"{path}.succeededCount", count, f"must be less than or equal to {total} (the "
                                                                      "number of indexes in the specified "
                                                                      "succeededIndexes field)"))
    return errs


def _indexed_errors(spec: Obj, field: str) -> list[FieldError]:
    errs: list[FieldError] = []
    completions, parallelism = _int(spec.get("completions")), _int(spec.get("parallelism"))
    max_failed, per_index = _int(spec.get("maxFailedIndexes")), spec.get("backoffLimitPerIndex")
    if spec.get("completions") is None:
        errs.append(required(f"{field}.completions", "when completion mode is Indexed"))
    if parallelism is not None and parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB:
        errs.append(invalid(f"{field}.parallelism", parallelism, f"must be less than or equal to "
                                                                  f"{MAX_PARALLELISM_FOR_INDEXED_JOB} when completion "
                                                                  "mode is Indexed"))
    if completions is not None and max_failed is not None and max_failed > completions:
        errs.append(invalid(f"{field}.maxFailedIndexes", max_failed, "must be less than or equal to completions"))
    if max_failed is not None and max_failed > MAX_FAILED_INDEXES_FOR_INDEXED_JOB:
        errs.append(invalid(f"{field}.maxFailedIndexes", max_failed,
                            f"must be less than or equal to {MAX_FAILED_INDEXES_FOR_INDEXED_JOB}"))
    if completions is not None and completions > COMPLETIONS_SOFT_LIMIT and per_index is not None:
        high = f"when completions are above {COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index"
        if spec.get("maxFailedIndexes") is None:
            errs.append(required(f"{field}.maxFailedIndexes",
                                 f"must be specified when completions is above {COMPLETIONS_SOFT_LIMIT}"))
        if parallelism is not None and parallelism > PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS:
            errs.append(invalid(f"{field}.parallelism", parallelism,
                                f"must be less than or equal to {PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS} {high}"))
        if max_failed is not None and max_failed > MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS:
            errs.append(invalid(f"{field}.maxFailedIndexes", max_failed,
                                f"must be less than or equal to {MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS} {high}"))
    return errs


_HTTP_PATH = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+"


def _managed_by(value: str, field: str) -> list[FieldError]:
    """IsDomainPrefixedPath and the length limit."""
    if not value:
        return [required(field)]
    errs: list[FieldError] = []
    parts = value.split("/", 1)
    if len(parts) != 2 or not parts[0] or not parts[1]:
        errs.append(invalid(field, value, 'must be a domain-prefixed path (such as "acme.io/foo")'))
    else:
        errs += [invalid(field, parts[0], m) for m in dns1123_subdomain_errors(parts[0])]
        if not re.fullmatch(_HTTP_PATH, parts[1]):
            errs.append(invalid(field, parts[1], f"Invalid path (regex used for validation is '{_HTTP_PATH}')"))
    if len(value) > MAX_MANAGED_BY_LENGTH:
        errs.append(FieldError("Too long", field, f"may not be longer than {MAX_MANAGED_BY_LENGTH}", value, False))
    return errs


def _job_spec_errors(spec: Obj, field: str) -> list[FieldError]:
    """validateJobSpec (shared by Jobs and CronJob job templates)."""
    errs: list[FieldError] = []
    for key in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
                "backoffLimitPerIndex", "maxFailedIndexes"):
        errs += nonnegative(spec.get(key), f"{field}.{key}")
    per_index = spec.get("backoffLimitPerIndex")
    if spec.get("maxFailedIndexes") is not None and per_index is None:
        errs.append(required(f"{field}.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    managed_by = spec.get("managedBy")
    if isinstance(managed_by, str):
        errs += _managed_by(managed_by, f"{field}.managedBy")
    mode = spec.get("completionMode")
    if mode is not None:
        if mode not in COMPLETION_MODES:
            errs.append(not_supported(f"{field}.completionMode", mode, COMPLETION_MODES))
        if mode == "Indexed":
            errs += _indexed_errors(spec, field)
    if mode is None or mode == "NonIndexed":
        for key in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(key) is not None:
                errs.append(invalid(f"{field}.{key}", spec[key], "requires indexed completion mode"))
    policy = spec.get("podFailurePolicy")
    if policy is not None:
        errs += _pod_failure_policy(spec, f"{field}.podFailurePolicy")
    if spec.get("successPolicy") is not None:
        if mode != "Indexed":
            errs.append(invalid(f"{field}.successPolicy", spec["successPolicy"], "requires indexed completion mode"))
        else:
            errs += _success_policy(spec, f"{field}.successPolicy")
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        if policy is not None:
            if replacement != "Failed":
                errs.append(not_supported(f"{field}.podReplacementPolicy", replacement, ("Failed",)))
        elif replacement not in REPLACEMENT_POLICIES:
            errs.append(not_supported(f"{field}.podReplacementPolicy", replacement, REPLACEMENT_POLICIES))
    template = spec.get("template")
    errs += validate_pod_template_spec(template if isinstance(template, dict) else {}, f"{field}.template")
    restart = as_dict(as_dict(template).get("spec")).get("restartPolicy") or ""
    rp = f"{field}.template.spec.restartPolicy"
    if restart in ("Always", ""):
        errs.append(required(rp, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        errs.append(not_supported(rp, restart, ("OnFailure", "Never")))
    elif policy is not None and restart != "Never":
        errs.append(invalid(rp, restart, 'only "Never" is supported when podFailurePolicy is specified'))
    return errs


def _template_labels(spec: Obj) -> dict[str, Any]:
    return as_dict(as_dict(as_dict(spec.get("template")).get("metadata")).get("labels"))


def _selector_matches(selector: Any, labels: dict[str, Any]) -> bool:
    """``LabelSelectorAsSelector(selector).Matches(labels)``: nil matches nothing, empty everything."""
    if not isinstance(selector, dict):
        return False
    if not as_dict(selector.get("matchLabels")) and not as_list(selector.get("matchExpressions")):
        return True
    return selector_matches(selector, labels)


def _public_job_spec_errors(spec: Obj) -> list[FieldError]:
    """ValidateJobSpec: validateJobSpec plus the selector."""
    errs = _job_spec_errors(spec, "spec")
    selector = spec.get("selector")
    if selector is None:
        errs.append(required("spec.selector"))
    else:
        errs += validate_label_selector(selector, "spec.selector")
    if selector is None or selector_convertible(as_dict(selector)):
        labels = _template_labels(spec)
        if not _selector_matches(selector, labels):
            errs.append(invalid("spec.template.metadata.labels", dict(labels),
                                "`selector` does not match template `labels`"))
    return errs


def _generate_selector(job: Obj, uid: str) -> None:
    """generateSelector (the registry's PrepareForCreate unless manualSelector is true)."""
    name = as_dict(job.get("metadata")).get("name") or ""
    spec = job.setdefault("spec", {})
    template = spec.get("template")
    if not isinstance(template, dict):
        template = spec["template"] = {}
    md = template.get("metadata")
    if not isinstance(md, dict):
        md = template["metadata"] = {}
    labels = md.get("labels")
    if not isinstance(labels, dict):
        labels = md["labels"] = {}
    for key in (LEGACY_JOB_NAME, JOB_NAME):
        labels.setdefault(key, name)
    for key in (LEGACY_CONTROLLER_UID, CONTROLLER_UID):
        labels.setdefault(key, uid)
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        selector = spec["selector"] = {}
    match = selector.get("matchLabels")
    if not isinstance(match, dict):
        match = selector["matchLabels"] = {}
    match.setdefault(CONTROLLER_UID, uid)


def _has_label(labels: dict[str, Any], key: str, want: str) -> list[FieldError]:
    """ValidateHasLabel."""
    path = f"spec.template.metadata.labels[{key}]"
    if key not in labels:
        return [required(path, want)]
    if labels[key] != want:
        return [invalid(path, dict(labels), f"must be '{want}'")]
    return []


def _generated_selector_errors(job: Obj, uid: str) -> list[FieldError]:
    """validateGeneratedSelector (with the batch.kubernetes.io labels required, as for every new Job)."""
    spec = as_dict(job.get("spec"))
    if spec.get("manualSelector") is True or spec.get("selector") is None:
        return []
    name = str(as_dict(job.get("metadata")).get("name") or "")
    labels = _template_labels(spec)
    errs: list[FieldError] = []
    for key, want in ((LEGACY_CONTROLLER_UID, uid), (LEGACY_JOB_NAME, name), (CONTROLLER_UID, uid),
                      (JOB_NAME, name)):
        errs += _has_label(labels, key, want)
    expected = {LEGACY_CONTROLLER_UID: uid, LEGACY_JOB_NAME: name, CONTROLLER_UID: uid, JOB_NAME: name}
    selector = spec["selector"]
    if selector_convertible(as_dict(selector)) and not _selector_matches(selector, expected):
        errs.append(invalid("spec.selector", thaw(selector), "`selector` not auto-generated"))
    return errs


def validate_job(obj: Obj) -> list[FieldError]:
    """ValidateJob, on the Job as PrepareForCreate leaves it (selector generated unless manualSelector)."""
    job = thaw(obj)
    uid = str(as_dict(job.get("metadata")).get("uid") or _UNASSIGNED_UID)
    if as_dict(job.get("spec")).get("manualSelector") is not True:
        _generate_selector(job, uid)
    errs = meta_finalizer_errors(job) + _generated_selector_errors(job, uid)
    spec = as_dict(job.get("spec"))
    errs += _public_job_spec_errors(spec)
    completions = _int(spec.get("completions"))
    if spec.get("completionMode") == "Indexed" and completions is not None and completions > 0:
        name = str(as_dict(job.get("metadata")).get("name") or "")
        hostname = f"{name}-{completions - 1}"
        if dns1123_label_errors(hostname):
            errs.append(invalid("metadata.name", name,
                                f"will not able to create pod with invalid DNS label: {hostname}"))
    return errs


_SCHEDULING_DIRECTIVES = ("nodeSelector", "tolerations", "schedulingGates")


def _template_for_comparison(new_spec: Obj, old_spec: Obj, mutable_scheduling: bool) -> tuple[Any, Any]:
    """validatePodTemplateUpdate: with AllowMutableSchedulingDirectives, node affinity, nodeSelector,
    tolerations, schedulingGates, labels and annotations of the template may change."""
    new_t, old_t = thaw(new_spec.get("template")), thaw(old_spec.get("template"))
    if not mutable_scheduling or not isinstance(new_t, dict) or not isinstance(old_t, dict):
        return new_t, old_t
    new_ps, old_ps = as_dict(new_t.get("spec")), as_dict(old_t.get("spec"))
    new_aff, old_aff = new_ps.get("affinity"), old_ps.get("affinity")
    if new_aff is None and isinstance(old_aff, dict):
        old_aff.pop("nodeAffinity", None)
        if not old_aff:
            old_ps.pop("affinity", None)
    elif isinstance(new_aff, dict) and old_aff is None:
        old_ps["affinity"] = {"nodeAffinity": new_aff["nodeAffinity"]} if "nodeAffinity" in new_aff else {}
    elif isinstance(new_aff, dict) and isinstance(old_aff, dict):
        if "nodeAffinity" in new_aff:
            old_aff["nodeAffinity"] = new_aff["nodeAffinity"]
        else:
            old_aff.pop("nodeAffinity", None)
    for key in _SCHEDULING_DIRECTIVES:
        if key in new_ps:
            old_ps[key] = new_ps[key]
        else:
            old_ps.pop(key, None)
    new_md, old_md = as_dict(new_t.get("metadata")), old_t.setdefault("metadata", {})
    for key in ("labels", "annotations"):
        if key in new_md:
            old_md[key] = new_md[key]
        else:
            old_md.pop(key, None)
    return new_t, old_t


def validate_job_update(old: Obj, new: Obj) -> list[FieldError]:
    """ValidateJobSpecUpdate (ValidateJobSpec itself runs in :func:`validate_job`)."""
    spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    errs: list[FieldError] = []
    completions, old_completions = spec.get("completions"), old_spec.get("completions")
    if spec.get("completionMode") != "Indexed":
        errs += immutable(completions, old_completions, "spec.completions")
    elif completions != old_completions and completions is not None and completions != spec.get("parallelism"):
        errs.append(invalid("spec.completions", completions, "can only be modified in tandem with spec.parallelism"))
    errs += immutable(spec.get("selector"), old_spec.get("selector"), "spec.selector")
    mutable_scheduling = old_spec.get("suspend") is True and as_dict(old.get("status")).get("startTime") is None
    new_t, old_t = _template_for_comparison(spec, old_spec, mutable_scheduling)
    errs += immutable(new_t, old_t, "spec.template")
    for key in ("completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"):
        errs += immutable(spec.get(key), old_spec.get(key), f"spec.{key}")
    return errs


# ---------------------------------------------------------------------------------------------
# CronJob
# ---------------------------------------------------------------------------------------------
_TZ_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


def _time_zone(value: Any, field: str) -> list[FieldError]:
    """validateTimeZone."""
    if value is None:
        return []
    tz = str(value)
    if not tz:
        return [invalid(field, tz, "timeZone must be nil or non-empty string")]
    for part in tz.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_PART.fullmatch(part):
            return [invalid(field, tz, f"unknown time zone {tz}")]
    errs: list[FieldError] = []
    if tz.lower() == "local":
        errs.append(invalid(field, tz, "timeZone must be an explicit time zone as defined in "
                                       "https://www.iana.org/time-zones"))
    err = time_zone_error(tz)
    if err is not None:
        errs.append(invalid(field, tz, err))
    return errs


def _cron_job_spec_errors(spec: Obj) -> list[FieldError]:
    """validateCronJobSpec."""
    errs: list[FieldError] = []
    schedule = spec.get("schedule")
    if not schedule:
        errs.append(required("spec.schedule"))
    elif isinstance(schedule, str):
        err = parse_standard(schedule)
        if err is not None:
            errs.append(invalid("spec.schedule", schedule, err))
        if "TZ" in schedule:
            errs.append(invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone "
                                                           "field instead"))
    errs += nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds")
    errs += _time_zone(spec.get("timeZone"), "spec.timeZone")
    policy = spec.get("concurrencyPolicy") or ""
    if not policy:
        errs.append(required("spec.concurrencyPolicy"))
    elif policy not in CONCURRENCY_POLICIES:
        errs.append(not_supported("spec.concurrencyPolicy", policy, CONCURRENCY_POLICIES))
    # ValidateJobTemplateSpec
    job_spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
    errs += _job_spec_errors(job_spec, "spec.jobTemplate.spec")
    if job_spec.get("selector") is not None:
        errs.append(invalid("spec.jobTemplate.spec.selector", thaw(job_spec["selector"]),
                            "`selector` will be auto-generated"))
    if job_spec.get("manualSelector") is True:
        errs.append(not_supported("spec.jobTemplate.spec.manualSelector", True, ("nil", "false")))
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        errs += nonnegative(spec.get(key), f"spec.{key}")
    return errs


def validate_cron_job(obj: Obj) -> list[FieldError]:
    """ValidateCronJobCreate: the spec and the 52-character name limit (the controller appends 11 characters).

    Updates run it too: what ValidateCronJobUpdate relaxes (the name limit, a TZ in the schedule, an unchanged
    time zone) only lets objects stored by older versions through, and every CronJob here passed it."""
    errs = meta_finalizer_errors(obj) + _cron_job_spec_errors(as_dict(obj.get("spec")))
    name = as_dict(obj.get("metadata")).get("name")
    if isinstance(name, str) and len(name) > 52:
        errs.append(invalid("metadata.name", name, "must be no more than 52 characters"))
    return errs


REGISTRY["Job"] = KindInfo(
    "Job", ("batch/v1",), True, "jobs", (), name_rule="subdomain", default=default_job, validate=validate_job,
    validate_update=validate_job_update, tracks_generation=True, reconciled=False,
)
REGISTRY["CronJob"] = KindInfo(
    "CronJob", ("batch/v1",), True, "cronjobs", ("cj",), name_rule="subdomain", default=default_cron_job,
    validate=validate_cron_job, tracks_generation=True,
    reconciled=False,
)
