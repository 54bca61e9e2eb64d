"""The rules catalogue: every upstream rule id that the invariants, the model and the tests cite.

An id such as ``D-11`` names one behaviour of Kubernetes v1.32 that the model reproduces and the suite
checks. Each :class:`Rule` says in a sentence or two what upstream does, and where: ``upstream`` holds
``path:Function`` citations into ``kubernetes/kubernetes`` (paths from the repository root, methods as
``Receiver.method``), and ``tested_by`` the test modules of this project that check the rule by name.
The invariants that check a rule are not listed here: :func:`checked_by` reads them from the invariant
registry, so the two cannot drift apart.

Area prefixes: ``API`` API server storage and metadata, ``P`` pods, ``L`` label selectors, ``N`` names,
``RS`` ReplicaSet controller, ``D`` Deployment controller and ``kubectl rollout``, ``SS`` StatefulSet,
``SVC`` Services, ``EP`` Endpoints, ``DNS`` cluster DNS, ``NS`` namespaces, ``PV`` storage, ``CM``
ConfigMaps and Secrets, ``SCH`` scheduler, ``NODE`` node lifecycle, ``GC`` garbage collection, ``Z``
traps (places where a plausible model goes wrong; each restates the rules it sharpens).

A docstring or comment may cite a range, ``D-1..D-22``: it cites every id in between
(:func:`cited_ids`). ``tests/test_catalogue.py`` fails when any cited id is missing here.

The statements are this project's own summaries, written from the upstream code; every citation was
checked against the ``kubernetes/kubernetes`` sources (the file exists at that path and defines that
function). This module is data and pure functions only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import attrs

__all__ = ["RULES", "Rule", "checked_by", "cited_ids", "describe", "id_order", "rule"]

#: a rule id as cited in prose: an upper-case area prefix, a dash, a number (``D-11``, ``NODE-4``), not
#: inside a longer hyphenated word (``node-N-1``)
RULE_ID = re.compile(r"(?<![\w-])([A-Z]{1,4})-(\d{1,3})\b(?:\.\.(?:\1-)?(\d{1,3})\b)?")
#: a citation: a Go file of kubernetes/kubernetes, a colon, a function or ``Receiver.method``
CITATION = re.compile(r"^(?:[\w.-]+/)*[\w.-]+\.go:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?$")


@attrs.frozen
class Rule:
    id: str
    title: str
    statement: str
    upstream: tuple[str, ...]  # "path/to/file.go:Function" in kubernetes/kubernetes
    tested_by: tuple[str, ...] = ()  # test modules of this repository that check the rule by its id


def _rules(*rules: Rule) -> Mapping[str, Rule]:
    out: dict[str, Rule] = {}
    for r in rules:
        if r.id in out:
            raise ValueError(f"rule id {r.id} is defined twice in the catalogue, expected each id once")
        out[r.id] = r
    return out


_DU = "pkg/controller/deployment/util/deployment_util.go"
_PVC = "pkg/controller/volume/persistentvolume/pv_controller.go"
_DSYNC = "pkg/controller/deployment/sync.go"
_DROLL = "pkg/controller/deployment/rolling.go"
_APPSVAL = "pkg/apis/apps/validation/validation.go"
_COREVAL = "pkg/apis/core/validation/validation.go"
_UTILVAL = "staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go"
_STORE = "staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go"
_GC = "pkg/controller/garbagecollector/garbagecollector.go"
_SELECTOR = "staging/src/k8s.io/apimachinery/pkg/labels/selector.go"
_T = "tests/"
_SSCTL = "pkg/controller/statefulset/stateful_set_control.go"
_SSUTIL = "pkg/controller/statefulset/stateful_set_utils.go"
_SSPOD = "pkg/controller/statefulset/stateful_pod_control.go"

RULES: Mapping[str, Rule] = _rules(
    # ---- API server: storage and object metadata --------------------------------------------------
    Rule("API-1", "resourceVersion grows with every write",
         "Each accepted write stores the object under a new storage revision, and that revision becomes its "
         "resourceVersion: later writes get larger values. An update that changes nothing is not written and "
         "keeps the old resourceVersion.",
         ("staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go:store.GuaranteedUpdate",
          "staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go:store.Create")),
    Rule("API-2", "generation counts spec changes",
         "metadata.generation is 1 on create and goes up by one on each update whose spec differs from the "
         "stored one; status and metadata-only writes leave it alone. Marking an object for graceful deletion "
         "also bumps it once.",
         ("pkg/registry/apps/deployment/strategy.go:deploymentStrategy.PrepareForUpdate",
          "pkg/registry/apps/replicaset/strategy.go:rsStrategy.PrepareForUpdate",
          "staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go:BeforeDelete")),
    Rule("API-3", "a rejected request stores nothing",
         "A create or update that fails validation, admission, a conflict check or a name clash returns an "
         "error before anything reaches storage: no object appears, no field changes, no resourceVersion is "
         "spent.",
         (f"{_STORE}:Store.Create", f"{_STORE}:Store.Update",
          "staging/src/k8s.io/apiserver/pkg/registry/rest/create.go:BeforeCreate")),
    Rule("API-4", "deletion only moves forward",
         "Once metadata.deletionTimestamp is set it stays set until the object is removed: an update may not "
         "change it, and a repeated DELETE may only shorten the remaining grace period (moving the timestamp "
         "earlier), never clear it.",
         ("staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go:BeforeDelete",
          "staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go:ValidateObjectMetaAccessorUpdate")),
    Rule("API-5", "names are unique per kind and namespace; uids are unique",
         "The storage key of an object is its kind's resource prefix, its namespace (for namespaced kinds) and "
         "its name, so a create under a taken name fails with AlreadyExists. Every created object gets a fresh "
         "uid from the server, never reused.",
         (f"{_STORE}:Store.Create",
          "staging/src/k8s.io/apiserver/pkg/registry/rest/meta.go:FillObjectMetaSystemFields")),
    Rule("API-6", "the scale subresource sets spec.replicas",
         "An accepted write to the scale subresource of a Deployment or ReplicaSet stores the number it was "
         "given as the object's spec.replicas, and nothing else of the spec changes.",
         ("pkg/registry/apps/deployment/storage/storage.go:scaleUpdatedObjectInfo.UpdatedObject",
          "pkg/registry/apps/replicaset/storage/storage.go:scaleUpdatedObjectInfo.UpdatedObject"),
         (f"{_T}test_invariants_direct.py",)),
    Rule("API-7", "an apply stores its manifest",
         "kubectl apply sends a three-way patch whose result holds every field of the new manifest; the server "
         "defaults the object before storing it, so each field the manifest sets is stored as sent (or as "
         "defaulting rewrote it). Fields the manifest leaves out keep what others set.",
         ("staging/src/k8s.io/kubectl/pkg/cmd/apply/patcher.go:Patcher.Patch",
          "pkg/apis/apps/v1/defaults.go:SetDefaults_Deployment", "pkg/apis/core/v1/defaults.go:SetDefaults_Pod"),
         (f"{_T}test_invariants_direct.py",)),
    Rule("API-8", "an accepted DELETE removes or marks the object",
         "A DELETE that succeeds either removes the object at once or, for graceful deletion or pending "
         "finalizers (the garbage collector's orphan and foregroundDeletion among them), sets "
         "metadata.deletionTimestamp and keeps the object until they are done.",
         (f"{_STORE}:Store.Delete", f"{_STORE}:Store.updateForGracefulDeletionAndFinalizers"),
         (f"{_T}test_invariants_direct.py",)),
    # ---- pods ---------------------------------------------------------------------------------------
    Rule("P-1", "pod phases",
         "status.phase is one of Pending, Running, Succeeded, Failed and Unknown. A new pod is Pending until its "
         "containers have started on a node; Running while at least one runs; Succeeded or Failed once all "
         "have terminated for good.",
         ("pkg/kubelet/kubelet_pods.go:getPhase",), (f"{_T}test_kubelet.py",)),
    Rule("P-2", "restartPolicy",
         "A pod's restartPolicy is Always, OnFailure or Never and defaults to Always; it governs every regular "
         "container of the pod.",
         ("pkg/apis/core/v1/defaults.go:SetDefaults_PodSpec", f"{_COREVAL}:validateRestartPolicy"),
         (f"{_T}test_kubelet.py",)),
    Rule("P-3", "crash back-off",
         "After a container exits and is to be restarted, the kubelet waits before starting it again: 10 s, then "
         "doubling on each further crash, capped at 5 minutes; a container that ran cleanly long enough starts "
         "from 10 s again.",
         ("pkg/kubelet/kuberuntime/kuberuntime_manager.go:kubeGenericRuntimeManager.doBackOff",
          "pkg/kubelet/kubelet.go:NewMainKubelet"),
         (f"{_T}test_kubelet.py",)),
    Rule("P-4", "workload templates restart Always",
         "The pod template of a ReplicaSet, Deployment, StatefulSet or DaemonSet must have restartPolicy Always; "
         "OnFailure and Never are rejected as unsupported values.",
         (f"{_COREVAL}:ValidatePodTemplateSpecForReplicaSet", f"{_APPSVAL}:ValidateStatefulSetSpec")),
    Rule("P-5", "a pod is ready when its Ready condition is True",
         "A pod counts as ready exactly when status.conditions holds a condition of type Ready whose status is "
         "True; the kubelet sets it when every container is ready (and every readiness gate is True).",
         ("pkg/api/v1/pod/util.go:IsPodReady", "pkg/kubelet/status/generate.go:GeneratePodReadyCondition"),
         (f"{_T}test_kubelet.py",)),
    Rule("P-6", "a pod is available minReadySeconds after it became ready",
         "A ready pod is available when minReadySeconds is 0, or when its Ready condition's lastTransitionTime "
         "plus minReadySeconds lies strictly before now.",
         ("pkg/api/v1/pod/util.go:IsPodAvailable",),
         (f"{_T}test_deployment_scenarios.py", f"{_T}test_fixed_bugs.py", f"{_T}test_replicaset.py")),
    Rule("P-7", "active pods",
         "Controllers count a pod as active when it is neither Succeeded nor Failed and has no "
         "deletionTimestamp; pods being deleted or finished are replaced, not counted.",
         ("pkg/controller/controller_utils.go:IsPodActive", "pkg/controller/controller_utils.go:FilterActivePods"),
         (f"{_T}test_replicaset.py",)),
    Rule("P-8", "graceful pod deletion",
         "Deleting a pod that runs on a node sets deletionTimestamp and a grace period (from the request, else "
         "terminationGracePeriodSeconds, default 30 s); the object is removed only when the kubelet reports "
         "its containers stopped. A pod that is unscheduled or already finished is removed at once.",
         ("pkg/registry/core/pod/strategy.go:podStrategy.CheckGracefulDelete",
          "staging/src/k8s.io/apiserver/pkg/registry/rest/delete.go:BeforeDelete"), (f"{_T}test_apiserver.py",)),
    Rule("P-10", "pod spec is nearly immutable",
         "An update of a pod may change only container and init-container images, activeDeadlineSeconds (set "
         "or lowered, never removed), tolerations (only added) and a few scheduling-gate related fields; any "
         "other spec change is rejected as forbidden.",
         (f"{_COREVAL}:ValidatePodUpdate",), (f"{_T}test_apiserver.py", f"{_T}test_validation.py")),
    Rule("P-12", "pod names and generated names",
         "A pod name is a DNS-1123 subdomain. Controllers create pods with generateName set to the owner's name "
         "and a dash (without the dash if that would not be a valid name); the server cuts the base to 58 "
         "characters and appends five random lower-case alphanumerics.",
         ("pkg/controller/controller_utils.go:getPodsPrefix",
          "staging/src/k8s.io/apiserver/pkg/storage/names/generate.go:simpleNameGenerator.GenerateName")),
    Rule("P-13", "pod garbage collection",
         "The pod GC controller deletes terminated pods only once there are more of them than the terminated "
         "pod threshold (12500 by default), evicted ones first, then oldest first; it also deletes pods bound to "
         "a node that is still missing after a short quarantine.",
         ("pkg/controller/podgc/gc_controller.go:PodGCController.gcTerminated",
          "pkg/controller/podgc/gc_controller.go:PodGCController.gcOrphaned")),
    # ---- label selectors --------------------------------------------------------------------------
    Rule("L-1", "matchLabels is a conjunction",
         "Every key/value pair of matchLabels must be present on the object with exactly that value; "
         "matchExpressions add further requirements, all of which must hold too.",
         ("staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go:LabelSelectorAsSelector",),
         (f"{_T}test_labels.py",)),
    Rule("L-2", "selector operators",
         "A LabelSelector's expressions use In, NotIn, Exists or DoesNotExist; In and NotIn need a non-empty "
         "value list, Exists and DoesNotExist none. Gt and Lt exist only in node selector terms.",
         ("staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go:LabelSelectorAsSelector",
          f"{_SELECTOR}:NewRequirement"),
         (f"{_T}test_labels.py",)),
    Rule("L-3", "selector semantics",
         "In matches when the key is present with a listed value; NotIn when the key is absent or its value is "
         "not listed; Exists when the key is present; DoesNotExist when it is absent.",
         (f"{_SELECTOR}:Requirement.Matches",), (f"{_T}test_labels.py",)),
    Rule("L-4", "empty versus missing selectors",
         "An empty LabelSelector (no labels, no expressions) selects every object; a missing (nil) selector "
         "selects none.",
         ("staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go:LabelSelectorAsSelector",),
         (f"{_T}test_labels.py",)),
    Rule("L-5", "workload selectors",
         "ReplicaSets, Deployments, StatefulSets and DaemonSets need a valid, non-empty spec.selector that the "
         "pod template's labels satisfy, and the selector cannot change after creation in apps/v1.",
         (f"{_APPSVAL}:ValidateDeploymentSpec", f"{_APPSVAL}:ValidateReplicaSetSpec",
          "pkg/registry/apps/deployment/strategy.go:deploymentStrategy.ValidateUpdate")),
    # ---- names --------------------------------------------------------------------------------------
    Rule("N-1", "DNS-1123 labels",
         "At most 63 characters of lower-case letters, digits and '-', starting and ending with a letter or "
         "digit. Namespace names follow this rule.",
         (f"{_UTILVAL}:IsDNS1123Label",)),
    Rule("N-2", "DNS-1123 subdomains",
         "At most 253 characters: one or more DNS-1123 labels joined by dots. Most object names follow this "
         "rule and may start with a digit.",
         (f"{_UTILVAL}:IsDNS1123Subdomain",)),
    Rule("N-3", "DNS-1035 labels",
         "Like a DNS-1123 label but the first character must be a letter. Service names follow this rule.",
         (f"{_UTILVAL}:IsDNS1035Label", f"{_COREVAL}:ValidateService"), (f"{_T}test_validation.py",)),
    Rule("N-4", "StatefulSet names",
         "A StatefulSet name must be a DNS-1123 label so that its pods' host names are valid.",
         (f"{_APPSVAL}:ValidateStatefulSetName",), (f"{_T}test_validation.py",)),
    Rule("N-5", "qualified names",
         "Label and annotation keys are an optional DNS-1123 subdomain prefix of at most 253 characters and a "
         "slash, then a name of at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric.",
         (f"{_UTILVAL}:IsQualifiedName",)),
    Rule("N-6", "label values",
         "A label value is empty or at most 63 characters of alphanumerics, '-', '_' and '.', starting and ending "
         "with an alphanumeric.",
         (f"{_UTILVAL}:IsValidLabelValue",)),
    Rule("N-7", "ConfigMap and Secret keys",
         "A data key is at most 253 characters of alphanumerics, '-', '_' and '.', and is not '.', '..' or "
         "anything starting with '..'.",
         (f"{_UTILVAL}:IsConfigMapKey",), (f"{_T}test_validation.py",)),
    Rule("N-8", "port names",
         "A named port is 1 to 15 characters of lower-case alphanumerics and '-', with at least one letter, no "
         "leading or trailing '-' and no two adjacent dashes.",
         (f"{_UTILVAL}:IsValidPortName",), (f"{_T}test_validation.py",)),
    Rule("N-9", "port numbers",
         "A port number is between 1 and 65535 inclusive.",
         (f"{_UTILVAL}:IsValidPortNum",), (f"{_T}test_validation.py",)),
    # ---- ReplicaSet controller ------------------------------------------------------------------------
    Rule("RS-1", "create or delete the difference",
         "The controller compares the active pods it owns with spec.replicas: it creates the missing ones or "
         "deletes the surplus, at most 500 per sync, and waits for its own creates and deletes to be observed "
         "before acting again.",
         ("pkg/controller/replicaset/replica_set.go:ReplicaSetController.manageReplicas",),
         (f"{_T}test_replicaset.py",)),
    Rule("RS-2", "slow-start creation",
         "Missing pods are requested in doubling batches, starting with a single pod; a batch with any "
         "failed create ends the sync, so a template the API rejects costs few requests.",
         ("pkg/controller/replicaset/replica_set.go:slowStartBatch",)),
    Rule("RS-3", "which pods go first",
         "When scaling down, the pods deleted first are: unscheduled before scheduled, Pending before Unknown "
         "before Running, not ready before ready, lower pod-deletion-cost first, those sharing a node with "
         "more of the owner's pods first, ready for less time first, more restarts first, newer first.",
         ("pkg/controller/replicaset/replica_set.go:getPodsToDelete",
          "pkg/controller/controller_utils.go:ActivePodsWithRanks.Less")),
    Rule("RS-4", "ReplicaSet status",
         "status.replicas counts the active pods the ReplicaSet owns; fullyLabeledReplicas those whose labels "
         "include the template's; readyReplicas the ready ones; availableReplicas the available ones; "
         "observedGeneration is the generation the sync acted on.",
         ("pkg/controller/replicaset/replica_set_utils.go:calculateStatus",
          "pkg/controller/replicaset/replica_set.go:ReplicaSetController.syncReplicaSet"),
         (f"{_T}test_fixed_bugs.py", f"{_T}test_replicaset.py")),
    Rule("RS-5", "adoption and release",
         "A ReplicaSet adopts active pods that match its selector and have no controller reference, by adding "
         "one that points at it, and releases pods it controls that no longer match. It never takes a pod "
         "controlled by someone else, and adopts nothing while it is being deleted.",
         ("pkg/controller/controller_ref_manager.go:PodControllerRefManager.ClaimPods",
          "pkg/controller/controller_ref_manager.go:BaseControllerRefManager.ClaimObject")),
    Rule("RS-6", "existing pods are left as they are",
         "The ReplicaSet controller never edits the pods it owns: a template change affects only pods it "
         "creates afterwards.",
         ("pkg/controller/replicaset/replica_set.go:ReplicaSetController.manageReplicas",),
         (f"{_T}test_replicaset.py",)),
    # ---- Deployment controller and kubectl rollout ------------------------------------------------------
    Rule("D-1", "Deployment defaults",
         "apps/v1 defaults replicas to 1, the strategy to RollingUpdate with maxUnavailable and maxSurge of 25%, "
         "revisionHistoryLimit to 10 and progressDeadlineSeconds to 600.",
         ("pkg/apis/apps/v1/defaults.go:SetDefaults_Deployment",), (f"{_T}test_validation.py",)),
    Rule("D-2", "Deployment validation",
         "replicas, minReadySeconds and revisionHistoryLimit are non-negative; maxSurge and maxUnavailable are "
         "non-negative integers or percentages (at most 100% for maxUnavailable) and not both zero; the "
         "Recreate strategy takes no rollingUpdate block; progressDeadlineSeconds exceeds minReadySeconds.",
         (f"{_APPSVAL}:ValidateDeploymentSpec", f"{_APPSVAL}:ValidateRollingUpdateDeployment"),
         (f"{_T}test_suite_strategies.py",)),
    Rule("D-3", "resolving maxSurge and maxUnavailable",
         "Percentages are applied to spec.replicas, rounding up for maxSurge and down for maxUnavailable; if "
         "both come out as 0, maxUnavailable becomes 1 so the rollout can move.",
         (f"{_DU}:ResolveFenceposts",), (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-4", "MaxUnavailable and MaxSurge of a Deployment",
         "MaxUnavailable is 0 unless the strategy is RollingUpdate with replicas above 0, and never exceeds "
         "spec.replicas; MaxSurge is 0 unless the strategy is RollingUpdate, and is not capped.",
         (f"{_DU}:MaxUnavailable", f"{_DU}:MaxSurge"), (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-5", "new and old ReplicaSets",
         "A Deployment's ReplicaSets are those it controls (by controller reference) that match its selector. "
         "The new one is the oldest whose pod template equals the Deployment's once the pod-template-hash "
         "label is ignored; all others are old.",
         (f"{_DU}:FindNewReplicaSet", f"{_DU}:FindOldReplicaSets", f"{_DU}:EqualIgnoreHash"),
         (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-6", "creating the new ReplicaSet",
         "When no ReplicaSet has the template, the controller creates one named after the Deployment and a "
         "hash of the template (plus a collision count), labels its template and selector with that hash, and "
         "makes the Deployment its controller.",
         (f"{_DSYNC}:DeploymentController.getNewReplicaSet", "pkg/controller/controller_utils.go:ComputeHash"),
         (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-7", "revisions",
         "Each ReplicaSet of a Deployment carries a revision annotation. A ReplicaSet that becomes the new one "
         "gets one more than the highest revision among the old ones, so numbers are never reused; the "
         "Deployment shows the new ReplicaSet's revision.",
         (f"{_DU}:SetNewReplicaSetAnnotations", f"{_DU}:MaxRevision",
          f"{_DSYNC}:DeploymentController.getNewReplicaSet"),
         (f"{_T}test_deployment_scenarios.py", f"{_T}test_traps.py")),
    Rule("D-8", "replica annotations",
         "Every scaled ReplicaSet records the Deployment's replicas (desired-replicas) and replicas plus "
         "MaxSurge (max-replicas) in annotations; proportional scaling reads them later.",
         (f"{_DU}:SetReplicasAnnotations",), (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-9", "what a Deployment sync does",
         "A Deployment being deleted only gets its status updated; a paused one, or one whose replicas changed, "
         "is scaled without rolling; otherwise the strategy runs: Recreate or RollingUpdate.",
         ("pkg/controller/deployment/deployment_controller.go:DeploymentController.syncDeployment",
          f"{_DSYNC}:DeploymentController.isScalingEvent"), (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-10", "one rolling step per sync",
         "A rolling sync first tries to scale the new ReplicaSet up; if it did, it records status and stops. "
         "Otherwise it tries to scale old ReplicaSets down, and stops the same way if it did. Only when neither "
         "moved and the rollout is complete does it clean up old ReplicaSets.",
         (f"{_DROLL}:DeploymentController.rolloutRolling",), (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-11", "scaling the new ReplicaSet up",
         "If the new ReplicaSet has more replicas than the Deployment wants it is scaled down to spec.replicas. "
         "Otherwise it grows by as much as the surge allows: the sum of all ReplicaSets' replicas may reach "
         "spec.replicas + MaxSurge, and the new one never exceeds spec.replicas.",
         (f"{_DROLL}:DeploymentController.reconcileNewReplicaSet", f"{_DU}:NewRSNewReplicas"),
         (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-12", "scaling old ReplicaSets down",
         "Old ReplicaSets shrink only while the pods available stay at or above spec.replicas - MaxUnavailable, "
         "counting the new ReplicaSet's unavailable pods against the budget. Unhealthy old replicas are removed "
         "first, then old ReplicaSets are scaled down oldest first by what the available pods allow.",
         (f"{_DROLL}:DeploymentController.reconcileOldReplicaSets",
          f"{_DROLL}:DeploymentController.cleanupUnhealthyReplicas",
          f"{_DROLL}:DeploymentController.scaleDownOldReplicaSetsForRollingUpdate"),
         (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-13", "bounds during a rolling update",
         "Because of D-11 and D-12, while a rollout proceeds the ReplicaSets' replicas add up to at most "
         "spec.replicas + MaxSurge, and the controller never itself takes available pods below spec.replicas - "
         "MaxUnavailable.",
         (f"{_DU}:NewRSNewReplicas", f"{_DROLL}:DeploymentController.scaleDownOldReplicaSetsForRollingUpdate"),
         (f"{_T}test_deployment_scenarios.py", f"{_T}test_traps.py")),
    Rule("D-14", "Recreate",
         "The Recreate strategy first takes every old ReplicaSet to 0 replicas, then waits while any pod of "
         "theirs has not finished (a Pending or Unknown pod still blocks), and only then creates the new "
         "ReplicaSet or scales it to spec.replicas.",
         ("pkg/controller/deployment/recreate.go:DeploymentController.rolloutRecreate",
          "pkg/controller/deployment/recreate.go:oldPodsRunning"),
         (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-15", "scaling a Deployment without rolling",
         "With one active ReplicaSet, it is set to spec.replicas. If the new ReplicaSet is saturated (all "
         "replicas wanted and available) the old ones go to 0. Otherwise, for RollingUpdate, the change is "
         "spread over the active ReplicaSets in proportion to their size (from their max-replicas annotation, "
         "rounding half away from zero), larger ones first, and what is left goes to the largest.",
         (f"{_DSYNC}:DeploymentController.scale", f"{_DU}:GetProportion", f"{_DU}:IsSaturated"),
         (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-16", "paused Deployments",
         "While spec.paused is true a template change starts no rollout and creates no ReplicaSet; scaling "
         "still applies, history cleanup still runs, and the Progressing condition says DeploymentPaused.",
         (f"{_DSYNC}:DeploymentController.sync", f"{_DSYNC}:DeploymentController.checkPausedConditions"),
         (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-17", "Deployment status",
         "replicas, readyReplicas and availableReplicas add up the ReplicaSets' own status counts; "
         "updatedReplicas is the new ReplicaSet's; unavailableReplicas is the sum of spec replicas minus "
         "available, at least 0. Available is True when available pods reach spec.replicas - MaxUnavailable.",
         (f"{_DSYNC}:calculateStatus",), (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-18", "a complete rollout",
         "A Deployment is complete when updated, total and available replicas all equal spec.replicas and "
         "observedGeneration has caught up with generation.",
         (f"{_DU}:DeploymentComplete",), (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-19", "progress and the deadline",
         "The Progressing condition records the last progress (a ReplicaSet created or scaled, pods becoming "
         "ready or available) and turns False with ProgressDeadlineExceeded when none happened for "
         "progressDeadlineSeconds; a complete rollout never times out, and a timeout neither pauses nor rolls "
         "back.",
         ("pkg/controller/deployment/progress.go:DeploymentController.syncRolloutStatus",
          f"{_DU}:DeploymentTimedOut", f"{_DU}:DeploymentProgressing"),
         (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-20", "revision history limit",
         "When a rollout is complete (or the Deployment paused), old ReplicaSets with no replicas in spec or "
         "status are deleted, lowest revision first, until at most revisionHistoryLimit of them remain.",
         (f"{_DSYNC}:DeploymentController.cleanupDeployment",), (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-21", "kubectl rollout undo",
         "Undo is done by kubectl: it reads the ReplicaSet of the requested revision (the one before the "
         "current for revision 0), copies its pod template without the hash label into the Deployment, and "
         "skips when the template is already that one. The controller then treats that ReplicaSet as new and "
         "gives it the next revision.",
         ("staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback.go:DeploymentRollbacker.Rollback",),
         (f"{_T}test_deployment_scenarios.py",)),
    Rule("D-22", "rollover",
         "Changing the template during a rollout creates the next new ReplicaSet at once; the one that was new "
         "becomes an old one and is scaled down like the others. Changing only replicas creates no ReplicaSet.",
         (f"{_DSYNC}:DeploymentController.getNewReplicaSet", f"{_DROLL}:DeploymentController.rolloutRolling"),
         (f"{_T}test_deployment_scenarios.py",)),
    # ---- StatefulSets -----------------------------------------------------------------------------------
    Rule("SS-1", "StatefulSet defaults",
         "podManagementPolicy defaults to OrderedReady, updateStrategy to RollingUpdate with partition 0, "
         "replicas to 1 and revisionHistoryLimit to 10; PVC retention defaults to Retain for both cases.",
         ("pkg/apis/apps/v1/defaults.go:SetDefaults_StatefulSet",)),
    Rule("SS-14", "what a StatefulSet update may change",
         "An update is refused (Forbidden) when it touches any spec field outside this set: replicas, ordinals, "
         "template, updateStrategy, revisionHistoryLimit, persistentVolumeClaimRetentionPolicy, minReadySeconds.",
         (f"{_APPSVAL}:ValidateStatefulSetUpdate",), (f"{_T}test_validation.py",)),
    # ---- StatefulSet controller (statefulset helper) ------------------------------------------------------
    Rule("SS-2", "StatefulSet pod identity",
         "Pod n of set s is named s-n (n from spec.ordinals.start on), with hostname s-n, subdomain serviceName "
         "and the pod-name, pod-index and controller-revision-hash labels; a pod whose name has no ordinal is "
         "ignored, and an ordinal is never held by two pods at once.",
         (f"{_SSUTIL}:getParentNameAndOrdinal", f"{_SSUTIL}:initIdentity", f"{_SSUTIL}:updateIdentity"),
         (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-3", "StatefulSet claims",
         "Each volumeClaimTemplate t gives ordinal n the claim t-s-n, labelled with the template's labels and the "
         "selector's matchLabels, created before the pod and re-used by the same ordinal later.",
         (f"{_SSUTIL}:getPersistentVolumeClaims", f"{_SSPOD}:StatefulPodControl.createPersistentVolumeClaims"),
         (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-4", "StatefulSet health and status",
         "A pod is healthy when Running, Ready and not terminating; status counts created, ready, available, "
         "current- and update-revision pods, and a rolling update completes (currentRevision := updateRevision) "
         "when every replica is updated and ready.",
         (f"{_SSCTL}:computeReplicaStatus", f"{_SSUTIL}:isHealthy", f"{_SSUTIL}:completeRollingUpdate"),
         (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-5", "OrderedReady scale-up",
         "Replicas are processed in ascending ordinal; a sync stops at the first pod it creates or that is "
         "terminating, not Running and Ready, or not available, so pod n is created only after 0..n-1 are healthy.",
         (f"{_SSCTL}:defaultStatefulSetControl.processReplica",), (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-6", "OrderedReady scale-down and halt",
         "Condemned pods go in descending ordinal, one at a time, each after the previous one is gone and only "
         "once every replica is healthy; an unhealthy pod halts scale-down too unless it is the first unhealthy.",
         (f"{_SSCTL}:defaultStatefulSetControl.processCondemned", f"{_SSCTL}:runForAll"),
         (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-7", "Parallel pod management",
         "Under Parallel the controller creates every missing pod and deletes every condemned pod in one sync; "
         "unhealthy pods block nothing. Rolling updates are unchanged.",
         (f"{_SSCTL}:runForAll", f"{_SSCTL}:slowStartBatch"), (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-8", "StatefulSet rolling update",
         "Once scaling is done, the highest ordinal at or above the partition whose revision is not the update "
         "revision is deleted (and re-created at the update revision); the update waits for each replacement to "
         "be healthy, one pod at a time, in both pod management policies.",
         (f"{_SSCTL}:defaultStatefulSetControl.updateStatefulSet",), (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-9", "StatefulSet partition",
         "Ordinals below start+partition stay at the current revision, even when deleted and re-created.",
         (f"{_SSUTIL}:newVersionedStatefulSetPod",), (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-10", "StatefulSet maxUnavailable",
         "With the MaxUnavailableStatefulSet gate (alpha, off in v1.32), up to maxUnavailable (rounded down, at "
         "least 1) minus the unhealthy replicas are replaced at once.",
         (f"{_SSCTL}:updateStatefulSetAfterInvariantEstablished", f"{_SSUTIL}:getStatefulSetMaxUnavailable"),
         (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-11", "StatefulSet OnDelete",
         "Under OnDelete the controller never deletes a pod to update it; a pod re-created after a deletion is "
         "built from the update revision.",
         (f"{_SSCTL}:defaultStatefulSetControl.updateStatefulSet",), (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-12", "StatefulSet revisions",
         "ControllerRevisions hold the template as a patch; a new template is revision max+1, and a template "
         "equal to an older revision renumbers that revision (a rollback); non-live revisions beyond "
         "revisionHistoryLimit are deleted, oldest first.",
         (f"{_SSCTL}:defaultStatefulSetControl.getStatefulSetRevisions",
          f"{_SSCTL}:defaultStatefulSetControl.truncateHistory", "pkg/controller/history/controller_history.go:"
          "HashControllerRevision"), (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-13", "claim retention policy",
         "Claims are never deleted under whenScaled=whenDeleted=Retain (the default). whenScaled=Delete gives a "
         "condemned pod's claims an owner reference to that pod, whenDeleted=Delete gives the others one to the "
         "set, and the garbage collector deletes them; a claim still owned by an earlier pod blocks re-creation.",
         (f"{_SSUTIL}:isClaimOwnerUpToDate", f"{_SSUTIL}:updateClaimOwnerRefForSetAndPod",
          f"{_SSPOD}:StatefulPodControl.PodClaimIsStale"), (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-15", "StatefulSet deletion",
         "A StatefulSet being deleted only updates its status; deletion gives no ordering guarantee.",
         (f"{_SSCTL}:defaultStatefulSetControl.updateStatefulSet",), (f"{_T}test_statefulset_controller.py",)),
    Rule("SS-16", "failed StatefulSet pods are replaced",
         "A Failed or Succeeded replica is deleted and re-created under the same name once the old object is gone.",
         (f"{_SSCTL}:defaultStatefulSetControl.processReplica",), (f"{_T}test_statefulset_controller.py",)),
    # ---- Services, Endpoints, DNS -------------------------------------------------------------------------
    Rule("SVC-1", "Service types and defaults",
         "type is ClusterIP (the default), NodePort, LoadBalancer or ExternalName; ports default protocol TCP "
         "and targetPort to the port; sessionAffinity defaults to None.",
         ("pkg/apis/core/v1/defaults.go:SetDefaults_Service",), (f"{_T}test_validation.py",)),
    Rule("SVC-2", "ClusterIP allocation",
         "A Service without clusterIP gets a free address from the service range (10.0.0.0/24 unless the API "
         "server is told otherwise), preferring the upper part of the range; a requested address must be in "
         "range and free.",
         ("pkg/controlplane/services.go:ServiceIPRange",
          "pkg/registry/core/service/ipallocator/bitmap.go:calculateRangeOffset")),
    Rule("SVC-3", "headless Services",
         "clusterIP None allocates no address; it is not allowed for NodePort or LoadBalancer Services.",
         (f"{_COREVAL}:ValidateService",)),
    Rule("SVC-4", "cluster IPs are immutable",
         "Once set, clusterIP and clusterIPs cannot be changed by an update, except when the type changes to "
         "or from ExternalName.",
         (f"{_COREVAL}:ValidateServiceUpdate",), (f"{_T}test_validation.py",)),
    Rule("SVC-5", "NodePort allocation",
         "NodePort and LoadBalancer Services get a node port per port from 30000-32767 unless one is given; a "
         "given one must be in that range and free.",
         ("cmd/kube-apiserver/app/options/options.go:NewServerRunOptions",
          "pkg/registry/core/service/portallocator/allocator.go:PortAllocator.Allocate",
          "pkg/registry/core/service/portallocator/allocator.go:PortAllocator.AllocateNext")),
    Rule("SVC-7", "no nodePort on ClusterIP Services",
         "A ClusterIP Service may not set spec.ports[*].nodePort.",
         (f"{_COREVAL}:ValidateService",)),
    Rule("SVC-8", "ExternalName Services",
         "An ExternalName Service needs spec.externalName, a lower-case DNS name, and has no cluster IP.",
         (f"{_COREVAL}:ValidateService",)),
    Rule("SVC-9", "Service ports",
         "At least one port is required unless the Service is headless or ExternalName; with several ports "
         "each needs a name, and names and port/protocol pairs are unique.",
         (f"{_COREVAL}:ValidateService",)),
    Rule("SVC-11", "the kubernetes Service",
         "The API server keeps a Service named kubernetes in the default namespace on the first address of the "
         "service range, port 443 named https, pointing at the API servers.",
         ("pkg/controlplane/controller/kubernetesservice/controller.go:Controller.UpdateKubernetesService",
          "pkg/controlplane/services.go:ServiceIPRange")),
    Rule("EP-1", "which Services get Endpoints",
         "The endpoints controllers manage Endpoints and EndpointSlices only for Services with a selector; "
         "for a Service without one, hand-written Endpoints are left alone.",
         ("pkg/controller/endpoint/endpoints_controller.go:Controller.syncService",)),
    Rule("DNS-1", "Service names resolve to the cluster IP",
         "A ClusterIP Service is reachable by the name <service>.<namespace>.svc.<cluster domain>, answered by "
         "the cluster DNS Service kube-dns in kube-system, whose address pods get as their name server.",
         ("pkg/kubelet/network/dns/dns.go:Configurer.GetPodDNS",)),
    # ---- namespaces ---------------------------------------------------------------------------------
    Rule("NS-1", "namespace names and the initial namespaces",
         "A namespace name is a DNS-1123 label; default, kube-system, kube-public and kube-node-lease exist "
         "from the start, and the first three cannot be deleted.",
         (f"{_COREVAL}:ValidateNamespace",
          "staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle/admission.go:Lifecycle.Admit"),
         (f"{_T}test_namespace.py",)),
    Rule("NS-2", "namespace deletion",
         "Deleting a namespace marks it Terminating; no new objects may be created in it; the namespace "
         "controller deletes everything in it, then removes the kubernetes finalizer from spec.finalizers, and "
         "the namespace goes once none remain. Only the finalize subresource changes spec.finalizers.",
         ("pkg/controller/namespace/deletion/namespaced_resources_deleter.go:namespacedResourcesDeleter.Delete",
          "pkg/registry/core/namespace/strategy.go:namespaceStrategy.PrepareForUpdate",
          "staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle/admission.go:Lifecycle.Admit"),
         (f"{_T}test_fixed_bugs.py", f"{_T}test_namespace.py")),
    Rule("NS-3", "namespaces scope names",
         "The same name may be used in different namespaces; Nodes, Namespaces, PersistentVolumes and "
         "StorageClasses are cluster-scoped. Namespaces isolate names, not network traffic.",
         ("staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go:NamespaceKeyFunc",)),
    # ---- storage ----------------------------------------------------------------------------------
    Rule("PV-7", "StorageClass updates",
         "A StorageClass's parameters, provisioner, reclaimPolicy and volumeBindingMode cannot change after "
         "creation.",
         ("pkg/apis/storage/validation/validation.go:ValidateStorageClassUpdate",), (f"{_T}test_validation.py",)),
    Rule("PV-8", "PersistentVolumeClaim updates",
         "After creation a claim's spec is immutable except for a larger storage request (when expansion is "
         "allowed) and a few fields the binder fills in, such as volumeName once.",
         (f"{_COREVAL}:ValidatePersistentVolumeClaimUpdate",), (f"{_T}test_validation.py",)),
    Rule("PV-10", "storage scopes and names",
         "PersistentVolumes and StorageClasses are cluster-scoped, claims are namespaced; their names are "
         "DNS-1123 subdomains.",
         (f"{_COREVAL}:ValidatePersistentVolume",
          "pkg/registry/core/persistentvolume/strategy.go:persistentvolumeStrategy.NamespaceScoped")),
    # ---- ConfigMaps and Secrets -------------------------------------------------------------------
    Rule("CM-4", "immutable ConfigMaps and Secrets",
         "An object marked immutable: true rejects every later edit of its data (binaryData for ConfigMaps, "
         "stringData for Secrets) and any attempt to unmark it; deleting it is still allowed.",
         (f"{_COREVAL}:ValidateConfigMapUpdate", f"{_COREVAL}:ValidateSecretUpdate"),
         (f"{_T}test_validation.py",)),
    Rule("CM-5", "ConfigMap limits",
         "ConfigMap keys follow N-7, a key used in data may not also be used in binaryData, and the values "
         "together are limited to 1 MiB.",
         (f"{_COREVAL}:ValidateConfigMap",)),
    Rule("CM-7", "Secret data",
         "Secret data values are base64 in the API; stringData is a write-only convenience whose entries are "
         "merged into data (winning over the same key) and never stored or returned.",
         ("pkg/apis/core/v1/conversion.go:Convert_v1_Secret_To_core_Secret", f"{_COREVAL}:ValidateSecret")),
    # ---- scheduler --------------------------------------------------------------------------------
    Rule("SCH-1", "which pods the scheduler takes",
         "The default scheduler places only pods with no spec.nodeName whose schedulerName is "
         "default-scheduler; a pod created with nodeName set bypasses scheduling altogether.",
         ("pkg/scheduler/eventhandlers.go:addAllEventHandlers", "pkg/scheduler/eventhandlers.go:assignedPod"),
         (f"{_T}test_scheduler.py",)),
    Rule("SCH-2", "filter, then score",
         "The scheduler keeps the nodes that pass every filter plugin, scores those, and binds the pod to one "
         "with the highest total, choosing at random among equals; a pod no node passes stays Pending.",
         ("pkg/scheduler/schedule_one.go:Scheduler.schedulePod",
          "pkg/scheduler/schedule_one.go:Scheduler.findNodesThatFitPod",
          "pkg/scheduler/schedule_one.go:selectHost")),
    Rule("SCH-3", "resources must fit",
         "A node fits a pod when, for cpu, memory, ephemeral storage, extended resources and the pod count, "
         "the requests of the pods already there plus this pod's stay within the node's allocatable.",
         ("pkg/scheduler/framework/plugins/noderesources/fit.go:fitsRequest",), (f"{_T}test_scheduler.py",)),
    Rule("SCH-4", "nodeSelector and node affinity",
         "Every nodeSelector pair must be a label of the node, and the required node affinity must hold: its "
         "terms are alternatives, the expressions within a term must all hold.",
         ("pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go:NodeAffinity.Filter",
          "staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go"
          ":GetRequiredNodeAffinity")),
    Rule("SCH-5", "taints and tolerations",
         "A pod may go to a node only if it tolerates each of the node's NoSchedule and NoExecute taints; a "
         "toleration matches on key (or an empty key with Exists), value (for Equal) and effect (empty matches "
         "all).",
         ("pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go:TaintToleration.Filter",
          "staging/src/k8s.io/api/core/v1/toleration.go:Toleration.ToleratesTaint")),
    Rule("SCH-6", "NoExecute evicts",
         "Pods on a node that gains a NoExecute taint they do not tolerate are deleted at once; those that "
         "tolerate it for tolerationSeconds are deleted when that time is up; a toleration without a time "
         "keeps them.",
         ("pkg/controller/tainteviction/taint_eviction.go:Controller.processPodOnNode",
          "pkg/controller/tainteviction/taint_eviction.go:getMinTolerationTime"),
         (f"{_T}test_nodelifecycle.py",)),
    # ---- node lifecycle ---------------------------------------------------------------------------
    Rule("NODE-1", "detecting a failed node",
         "A node whose kubelet stops reporting is marked Ready=Unknown after the node monitor grace period "
         "(40 s by default in the model); the node lifecycle controller then taints it unreachable (or "
         "not-ready when Ready is False) with NoSchedule and NoExecute and marks its pods not ready.",
         ("pkg/controller/nodelifecycle/node_lifecycle_controller.go:Controller.monitorNodeHealth",
          "pkg/controller/nodelifecycle/node_lifecycle_controller.go:Controller.tryUpdateNodeHealth"),
         (f"{_T}test_deployment_scenarios.py", f"{_T}test_nodelifecycle.py")),
    Rule("NODE-2", "default tolerations of 300 s",
         "Admission gives every pod that lacks them NoExecute tolerations for the not-ready and unreachable "
         "taints with tolerationSeconds 300, so its pods leave a failed node five minutes after the taint.",
         ("plugin/pkg/admission/defaulttolerationseconds/admission.go:Plugin.Admit",),
         (f"{_T}test_deployment_scenarios.py", f"{_T}test_nodelifecycle.py")),
    Rule("NODE-3", "eviction rate",
         "Evictions from failed nodes are rate-limited per zone (0.1 nodes per second by default, less when a "
         "zone is partly down, none when it is fully down).",
         ("pkg/controller/nodelifecycle/node_lifecycle_controller.go:Controller.handleDisruption",)),
    Rule("NODE-4", "pods of a failed node",
         "Eviction from a node that stopped reporting only marks the pod for deletion: with no kubelet to "
         "confirm, it lingers as Terminating until the node returns or its object is removed. Being no longer "
         "active, it is replaced by its ReplicaSet straight away.",
         ("pkg/controller/tainteviction/taint_eviction.go:Controller.processPodOnNode",
          "pkg/controller/controller_utils.go:IsPodActive"),
         (f"{_T}test_deployment_scenarios.py", f"{_T}test_nodelifecycle.py")),
    # ---- garbage collection -------------------------------------------------------------------------
    Rule("GC-1", "owner references",
         "An owner reference names the owner's apiVersion, kind, name and uid, optionally controller and "
         "blockOwnerDeletion; at most one reference of an object may be its controller.",
         ("staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go:ValidateOwnerReferences",),
         (f"{_T}test_garbage_collector.py",)),
    Rule("GC-2", "propagation policies",
         "Background removes the owner at once and lets the collector delete its dependents afterwards. "
         "Foreground leaves the owner in place, carrying the foregroundDeletion finalizer, while any dependent "
         "that blocks owner deletion remains. Orphan strips the owner's references from its dependents and "
         "keeps them. Deleting an apps/v1 object defaults to Background.",
         (f"{_GC}:GarbageCollector.attemptToDeleteItem", f"{_GC}:GarbageCollector.processDeletingDependentsItem",
          f"{_GC}:GarbageCollector.orphanDependents"),
         (f"{_T}test_deployment_scenarios.py",)),
    Rule("GC-3", "several owners",
         "A dependent is collected only when none of its owners is left; if some remain, the references to the "
         "missing ones are removed instead.",
         (f"{_GC}:GarbageCollector.attemptToDeleteItem", f"{_GC}:GarbageCollector.classifyReferences"),
         (f"{_T}test_garbage_collector.py",)),
    Rule("GC-4", "cycles",
         "Owner reference cycles do not stop collection: once an object in the cycle is deleted the rest "
         "follow.",
         (f"{_GC}:GarbageCollector.attemptToDeleteItem",), (f"{_T}test_garbage_collector.py",)),
    Rule("GC-5", "a missing owner means deletion",
         "A dependent whose only owners do not exist (no object with that uid) is deleted.",
         (f"{_GC}:GarbageCollector.attemptToDeleteItem", f"{_GC}:GarbageCollector.isDangling"),
         (f"{_T}test_garbage_collector.py",)),
    Rule("GC-6", "who sets owner references",
         "A Deployment is the controller of its ReplicaSets and a ReplicaSet of its pods; a StatefulSet owns "
         "its pods and revisions. Controllers set these references when they create or adopt the objects.",
         ("pkg/controller/controller_ref_manager.go:ReplicaSetControllerRefManager.ClaimReplicaSets",
          f"{_DSYNC}:DeploymentController.getNewReplicaSet"),
         (f"{_T}test_deployment_scenarios.py",)),
    # ---- traps ------------------------------------------------------------------------------------
    Rule("Z-2", "MaxSurge is not clamped",
         "An integer maxSurge or maxUnavailable is used as given even when larger than replicas; only "
         "MaxUnavailable is then limited to spec.replicas, and it is 0 when replicas is 0 (D-3, D-4).",
         (f"{_DU}:MaxUnavailable",
          "staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr.go:GetScaledValueFromIntOrPercent"),
         (f"{_T}test_quantity_intstr.py",)),
    Rule("Z-13", "negative operators match absent keys",
         "NotIn and != are satisfied by an object without the key; an empty selector matches everything but a "
         "missing one nothing (L-3, L-4).",
         (f"{_SELECTOR}:Requirement.Matches",), (f"{_T}test_labels.py",)),
    Rule("Z-19", "a failed node keeps its pods Terminating",
         "An evicted pod on a node that is down remains Terminating, since nothing confirms that it stopped; "
         "its ReplicaSet does not wait for it, because it no longer counts as active (NODE-2, NODE-4).",
         ("pkg/controller/tainteviction/taint_eviction.go:Controller.processPodOnNode",
          "pkg/controller/controller_utils.go:IsPodActive"),
         (f"{_T}test_nodelifecycle.py",)),
    # ---- networking: allocators, endpoints controllers, DNS, kube-proxy (issue 10) ---------------------
    Rule("SVC-6", "Service types build on each other",
         "A NodePort Service has a cluster IP and a node port per port; a LoadBalancer Service is a NodePort "
         "Service (no node ports with allocateLoadBalancerNodePorts false) whose status.loadBalancer.ingress a "
         "cloud controller fills; without one it stays pending. A type change allocates what the new type needs "
         "and frees what it no longer carries; values are held until the Service is gone.",
         ("pkg/registry/core/service/storage/alloc.go:Allocators.allocateCreate",
          "pkg/registry/core/service/storage/alloc.go:Allocators.allocateUpdate",
          "pkg/registry/core/service/strategy.go:dropTypeDependentFields"),
         (f"{_T}test_service_allocation.py",)),
    Rule("SVC-12", "kube-proxy sends traffic to ready endpoints",
         "A connection to a cluster IP and port, a node IP and node port, or a load-balancer IP reaches one of "
         "the Service's ready endpoints (the serving terminating ones only when none is ready); a Local traffic "
         "policy keeps it on the node's own endpoints; headless and ExternalName Services are not proxied.",
         ("pkg/proxy/topology.go:CategorizeEndpoints",)),
    Rule("EP-2", "which pods are endpoints",
         "Pods of the Service's namespace matching its selector, with an IP, not Succeeded or Failed (whatever "
         "their restartPolicy); Endpoints leave out terminating pods unless publishNotReadyAddresses.",
         ("staging/src/k8s.io/endpointslice/util/controller_utils.go:ShouldPodBeInEndpoints",),
         (f"{_T}test_endpoints_controller.py",)),
    Rule("EP-3", "ready and not-ready addresses",
         "A listed pod is in addresses when it is Ready (or publishNotReadyAddresses), else in notReadyAddresses; "
         "its phase does not matter.",
         ("pkg/controller/endpoint/endpoints_controller.go:addEndpointSubset",), (f"{_T}test_endpoints_controller.py",)),
    Rule("EP-4", "EndpointSlice conditions",
         "serving is the pod's readiness, terminating whether it has a deletionTimestamp, ready is "
         "publishNotReadyAddresses or (serving and not terminating); terminating pods stay in slices.",
         ("staging/src/k8s.io/endpointslice/utils.go:podToEndpoint",), (f"{_T}test_endpoints_controller.py",)),
    Rule("EP-5", "endpoint ports",
         "Each Service port maps to the pod's port: a number as given, a name through the pod's container ports "
         "of that name and protocol; a pod without the named port is left out of that port.",
         ("pkg/api/v1/pod/util.go:FindPort",), (f"{_T}test_endpoints_controller.py",)),
    Rule("EP-6", "endpoint hostnames",
         "An address carries the pod's hostname when the pod sets hostname and its subdomain is the Service's "
         "name in the same namespace.",
         ("staging/src/k8s.io/endpointslice/util/controller_utils.go:ShouldSetHostname",),
         (f"{_T}test_endpoints_controller.py",)),
    Rule("EP-7", "Endpoints hold at most 1000 addresses",
         "Beyond 1000 addresses the Endpoints object is truncated (ready addresses kept first, the cut spread over "
         "subsets in proportion) and annotated endpoints.kubernetes.io/over-capacity: truncated, until it fits.",
         ("pkg/controller/endpoint/endpoints_controller.go:truncateEndpoints",), (f"{_T}test_endpoints_controller.py",)),
    Rule("EP-8", "EndpointSlices",
         "Slices hold at most 100 endpoints, are labelled kubernetes.io/service-name and "
         "endpointslice.kubernetes.io/managed-by, are owned by their Service, and a Service without endpoints "
         "keeps one placeholder slice.",
         ("staging/src/k8s.io/endpointslice/reconciler.go:Reconciler.reconcileByAddressType",
          "staging/src/k8s.io/endpointslice/utils.go:newEndpointSlice"), (f"{_T}test_endpoints_controller.py",)),
    Rule("EP-9", "Endpoints shape",
         "Endpoints carry the Service's labels (plus service.kubernetes.io/headless for a headless Service); "
         "addresses are grouped into subsets by the ports they serve and sorted.",
         ("pkg/api/v1/endpoints/util.go:RepackSubsets",), (f"{_T}test_endpoints_controller.py",)),
    Rule("DNS-2", "headless Services resolve to their ready endpoints",
         "A headless Service name answers one A record per ready endpoint, NXDOMAIN when none is ready, and "
         "<hostname>.<service>... for each ready endpoint with a hostname.",
         ("test/e2e/network/dns_common.go:createProbeCommand",)),
    Rule("DNS-3", "SRV records for named ports",
         "_<port>._<proto>.<service>.<ns>.svc.<zone> exists only for named ports: the Service name for a "
         "ClusterIP Service, one per ready endpoint for a headless one.",
         ("test/e2e/network/dns_common.go:createProbeCommand",)),
    Rule("DNS-4", "PTR records",
         "A cluster IP reverses to its Service's name; a headless endpoint with a hostname to that hostname's name.",
         ("test/e2e/network/dns_common.go:createProbeCommand",)),
    Rule("DNS-5", "ExternalName is a CNAME",
         "An ExternalName Service's name is a CNAME to spec.externalName.",
         ("test/e2e/network/dns_common.go:createProbeCommand",)),
    Rule("DNS-6", "pod names through hostname and subdomain",
         "A pod with hostname and subdomain is <hostname>.<subdomain>.<ns>.svc.<zone> when a headless Service of "
         "that name in its namespace lists it as a ready endpoint (the StatefulSet case).",
         ("test/e2e/network/dns_common.go:createDNSPod",)),
    Rule("DNS-7", "pod A records and case",
         "<a-b-c-d>.<ns>.pod.<zone> answers the pod IP a-b-c-d; names compare case-insensitively.",
         ("test/e2e/network/dns_common.go:createProbeCommand",)),
    Rule("DNS-8", "the pod resolver",
         "A ClusterFirst pod (the default dnsPolicy) asks kube-dns with the search list <ns>.svc.<zone> "
         "svc.<zone> <zone> and ndots:5, so <service> and <service>.<ns> resolve from a pod.",
         ("pkg/kubelet/network/dns/dns.go:Configurer.GetPodDNS",)),
    # ---- storage and configuration (PV, CM) ---------------------------------------------------------
    Rule("PV-1", "volume and claim phases",
         "A PersistentVolume is Pending, Available, Bound, Released or Failed; a claim is Pending, Bound, or Lost "
         "once the volume it was bound to is gone.",
         (f"{_PVC}:PersistentVolumeController.syncVolume", f"{_PVC}:PersistentVolumeController.syncBoundClaim"),
         (f"{_T}test_storage.py",)),
    Rule("PV-2", "what matches a claim",
         "A volume matches a claim when it is pre-bound to it, or is Available and unclaimed, not being deleted, "
         "of the same volume mode and class (an empty class only matches an empty class), its labels match the "
         "claim's selector, its capacity covers the request and its access modes include the claim's. A "
         "WaitForFirstConsumer class leaves the choice to the scheduler, which also checks node affinity.",
         ("staging/src/k8s.io/component-helpers/storage/volume/pv_helpers.go:FindMatchingVolume",
          "pkg/scheduler/framework/plugins/volumebinding/volume_binding.go:VolumeBinding.Filter"),
         (f"{_T}test_storage.py",)),
    Rule("PV-3", "the best match",
         "Of the matching volumes the binder takes those whose access-mode set has the fewest modes, and among "
         "them the smallest capacity that covers the request.",
         ("pkg/controller/volume/persistentvolume/index.go:persistentVolumeOrderedIndex.findBestMatchForClaim",
          "pkg/controller/volume/persistentvolume/index.go:persistentVolumeOrderedIndex.allPossibleMatchingAccessModes"),
         (f"{_T}test_storage.py",)),
    Rule("PV-4", "binding is one to one",
         "Binding sets the volume's claimRef (with the claim's uid) and the claim's volumeName; both become "
         "Bound and the claim reports the volume's capacity and access modes. A bound claim stays bound to "
         "that volume.",
         (f"{_PVC}:PersistentVolumeController.bind",), (f"{_T}test_storage.py",)),
    Rule("PV-5", "dynamic provisioning",
         "A claim that no volume matches is provisioned by its class's provisioner (a volume of the requested "
         "size, the class's reclaim policy, pre-bound to the claim). A claim with no class gets the default "
         "class at admission; an empty class means static volumes only; a class whose provisioner does not "
         "run leaves the claim Pending with an ExternalProvisioning event.",
         (f"{_PVC}:PersistentVolumeController.provisionClaimOperation",
          "plugin/pkg/admission/storageclass/setdefault/admission.go:claimDefaulterPlugin.Admit"),
         (f"{_T}test_storage.py",)),
    Rule("PV-6", "reclaim",
         "Deleting a bound claim releases its volume. Retain keeps it Released and not bindable again; Delete "
         "removes it and its data; Recycle scrubs it back to Available. Volumes created by hand default to "
         "Retain.",
         (f"{_PVC}:PersistentVolumeController.reclaimVolume",), (f"{_T}test_storage.py",)),
    Rule("PV-9", "in-use protection",
         "A claim a pod uses is not removed until no pod uses it; a bound volume is not removed while Bound. "
         "ReadWriteOnce volumes attach to one node; a ReadWriteOncePod claim is used by one pod.",
         ("pkg/controller/volume/pvcprotection/pvc_protection_controller.go:Controller.processPVC",
          "pkg/scheduler/framework/plugins/volumerestrictions/volume_restrictions.go:VolumeRestrictions.PreFilter"),
         (f"{_T}test_storage.py",)),
    Rule("CM-1", "environment values are snapshots",
         "Values taken from ConfigMaps and Secrets into a container's environment (env valueFrom, envFrom) are "
         "resolved when the container starts and never change afterwards.",
         ("pkg/kubelet/kubelet_pods.go:Kubelet.makeEnvironmentVariables",), (f"{_T}test_config_injection.py",)),
    Rule("CM-2", "one file per key",
         "A ConfigMap or Secret volume holds one file per key (binaryData too), or with items only the listed "
         "keys at the given paths.",
         ("pkg/volume/configmap/configmap.go:MakePayload", "pkg/volume/secret/secret.go:MakePayload"),
         (f"{_T}test_config_injection.py",)),
    Rule("CM-3", "volumes are refreshed",
         "Updated ConfigMap and Secret values reach mounted volumes after the kubelet's next sync; subPath mounts "
         "keep what they had at container start.",
         ("pkg/volume/util/atomic_writer.go:AtomicWriter.Write",), (f"{_T}test_config_injection.py",)),
    Rule("CM-6", "missing references",
         "A container whose non-optional ConfigMap or Secret (or key) is missing does not start "
         "(CreateContainerConfigError; a volume's waits to mount); optional references are skipped.",
         ("pkg/kubelet/kubelet_pods.go:Kubelet.makeEnvironmentVariables",), (f"{_T}test_config_injection.py",)),
)


def rule(rule_id: str) -> Rule:
    """The catalogue entry for ``rule_id``; a KeyError that names the id when there is none."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"rule {rule_id} is not in the catalogue (conformance/catalogue.py), "
                       f"expected one of its {len(RULES)} ids") from None


def describe(rule_ids: Iterable[str]) -> list[str]:
    """``"ID title: statement"`` for each id, in the order given (unknown ids say so)."""
    return [f"{i} {RULES[i].title}: {RULES[i].statement}" if i in RULES else f"{i}: not in the catalogue"
            for i in rule_ids]


def id_order(rule_id: str) -> tuple[str, int]:
    """Sort key: by area, then by number (``D-2`` before ``D-10``)."""
    area, _, number = rule_id.partition("-")
    return area, int(number) if number.isdigit() else 0


def cited_ids(text: str) -> set[str]:
    """The rule ids ``text`` cites; a range ``D-1..D-22`` (or ``D-1..22``) cites every id in between."""
    out: set[str] = set()
    for m in RULE_ID.finditer(text):
        prefix, first, last = m.group(1), int(m.group(2)), m.group(3)
        out.update(f"{prefix}-{n}" for n in range(first, (int(last) if last else first) + 1))
    return out


def checked_by(rule_id: str) -> list[str]:
    """The names of the registered invariants that cite ``rule_id``."""
    from .invariants import ALL

    return [inv.name for inv in ALL if rule_id in inv.rules]
