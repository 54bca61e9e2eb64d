"""ServiceAccount and the RBAC kinds, mirroring ``pkg/apis/rbac/validation/validation_test.go`` and
``pkg/apis/core/validation/validation_test.go`` (TestValidateServiceAccount) by name."""

from __future__ import annotations

import copy
from typing import Any

import door
import pytest
from kinds import Obj, assert_error, errors_of, update_errors

import refmodel as rm
from refmodel.resources import lookup

RBAC = "rbac.authorization.k8s.io"








def role(kind: str = "Role", **fields: Any) -> Obj:
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": {"name": "r"}, **fields}


def binding(binding_kind: str = "RoleBinding", subjects: list[Obj] | None = None, **ref: Any) -> Obj:
    role_ref = {"apiGroup": RBAC, "kind": "ClusterRole", "name": "view", **ref}
    subs = [{"kind": "ServiceAccount", "name": "sa", "namespace": "default"}] if subjects is None else subjects
    return {"apiVersion": f"{RBAC}/v1", "kind": binding_kind, "metadata": {"name": "b"}, "roleRef": role_ref,
            "subjects": subs}


RULE = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}


# TestValidateServiceAccount
def test_validate_service_account() -> None:
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "build-robot"},
          "secrets": [{"name": "s"}], "imagePullSecrets": [{"name": "p"}], "automountServiceAccountToken": False}
    assert errors_of(sa) == []
    bad = copy.deepcopy(sa)
    bad["automountServiceAccountToken"] = "no"
    assert_error(errors_of(bad), "automountServiceAccountToken", "must be of type boolean")
    bad = copy.deepcopy(sa)
    bad["metadata"]["finalizers"] = ["custom"]
    assert_error(errors_of(bad), "metadata.finalizers[0]", "neither a standard finalizer name nor")
    r = door.create(rm.new_cluster(nodes=0), dict(sa, metadata={"name": "Build_Robot"})).rejection
    assert r is not None and any(c.field == "metadata.name" and "RFC 1123 subdomain" in c.detail for c in r.causes)


# TestValidateRoleNonResourceURL / TestValidateClusterRoleNonResourceURL / TestValidateRoleNamespacedNonResourceURL
# TestValidateRoleNonResourceURLNoVerbs / TestValidateRoleMixedNonResourceAndResource / TestValidateRoleValidResource
# TestValidateRoleNoAPIGroup / TestValidateRoleNoResources
RULE_CASES = [
    ("TestValidateClusterRoleNonResourceURL", "ClusterRole", {"nonResourceURLs": ["/*"], "verbs": ["get"]}, None, ""),
    ("TestValidateRoleValidResource", "Role", RULE, None, ""),
    ("TestValidateRoleNamespacedNonResourceURL", "Role", {"nonResourceURLs": ["/*"], "verbs": ["get"]},
     "rules[0].nonResourceURLs", "namespaced rules cannot apply to non-resource URLs"),
    ("TestValidateRoleNonResourceURLNoVerbs", "ClusterRole", {"nonResourceURLs": ["/*"], "verbs": []},
     "rules[0].verbs", "Required value: verbs must contain at least one value"),
    ("TestValidateRoleMixedNonResourceAndResource", "ClusterRole",
     {"nonResourceURLs": ["/*"], "verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
     "rules[0].nonResourceURLs", "rules cannot apply to both regular resources and non-resource URLs"),
    ("TestValidateRoleNoAPIGroup", "Role", {"resources": ["pods"], "verbs": ["get"]},
     "rules[0].apiGroups", "resource rules must supply at least one api group"),
    ("TestValidateRoleNoResources", "Role", {"apiGroups": [""], "verbs": ["get"]},
     "rules[0].resources", "resource rules must supply at least one resource"),
    # resourceNames with several resources: accepted (the old "cannot apply to multiple resources" rule is gone)
    ("TestValidateRoleValidResource (resourceNames, several resources)", "Role",
     {"apiGroups": [""], "resources": ["pods", "secrets"], "resourceNames": ["x"], "verbs": ["get"]}, None, ""),
]


@pytest.mark.parametrize(("case", "kind", "rule", "field", "fragment"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_validate_policy_rule(case: str, kind: str, rule: Obj, field: str | None, fragment: str) -> None:
    errs = errors_of(role(kind, rules=[rule]))
    if field is None:
        assert errs == [], f"{case}: got {[str(e) for e in errs]}, but should be valid"
    else:
        assert_error(errs, field, fragment)


def test_validate_cluster_role_aggregation_rule() -> None:
    # TestValidateClusterRole (aggregationRule): selectors required and valid
    ok = role("ClusterRole", aggregationRule={"clusterRoleSelectors": [{"matchLabels": {"agg": "true"}}]})
    assert errors_of(ok) == []
    assert_error(errors_of(role("ClusterRole", aggregationRule={})), "aggregationRule.clusterRoleSelectors",
                 "at least one clusterRoleSelector required")
    bad = role("ClusterRole", aggregationRule={"clusterRoleSelectors": [
        {"matchExpressions": [{"key": "a", "operator": "In"}]}]})
    assert_error(errors_of(bad), "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values",
                 "Required value")


def test_validate_role_name_is_a_path_segment() -> None:
    # minimalNameRequirements: IsValidPathSegmentName (any name but '.', '..', '/' and '%')
    r = door.create(rm.new_cluster(nodes=0), role(metadata={"name": "system:Mixed_Case"}, rules=[RULE]))
    assert r.ok, f"got {r.rejection}, but RBAC names only exclude '/', '%', '.' and '..'"
    r = door.create(rm.new_cluster(nodes=0), role(metadata={"name": "a/b"}, rules=[RULE]))
    assert r.rejection is not None and any(c.field == "metadata.name" and c.detail == "may not contain '/'"
                                           for c in r.rejection.causes), f"got {r.rejection}"


# TestValidateRoleBinding / TestValidateClusterRoleBinding: errorCases
BINDING_ERRORS = [
    ("bad group", "RoleBinding", {"apiGroup": "rbac.GroupName.foo"}, None, "roleRef.apiGroup",
     'Unsupported value: "rbac.GroupName.foo": supported values: "rbac.authorization.k8s.io"'),
    ("bad kind", "RoleBinding", {"kind": "Type"}, None, "roleRef.kind",
     'supported values: "Role", "ClusterRole"'),
    ("cluster binding to a Role", "ClusterRoleBinding", {"kind": "Role"}, None, "roleRef.kind",
     'supported values: "ClusterRole"'),
    ("reference name with /", "RoleBinding", {"name": "valid/"}, None, "roleRef.name", "may not contain '/'"),
    ("missing name", "RoleBinding", {"name": ""}, None, "roleRef.name", "Required value"),
    ("bad subject kind", "RoleBinding", {}, [{"kind": "Robot", "name": "r"}], "subjects[0].kind",
     'Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"'),
    ("missing subject name", "RoleBinding", {}, [{"kind": "User", "name": ""}], "subjects[0].name",
     "Required value"),
    ("bad service account name", "RoleBinding", {}, [{"kind": "ServiceAccount", "name": "valid/"}],
     "subjects[0].name", "a lowercase RFC 1123 subdomain"),
    ("service account with a group", "RoleBinding", {}, [{"kind": "ServiceAccount", "name": "sa", "apiGroup": RBAC}],
     "subjects[0].apiGroup", 'supported values: ""'),
    ("user with a wrong group", "RoleBinding", {}, [{"kind": "User", "name": "u", "apiGroup": "x"}],
     "subjects[0].apiGroup", 'supported values: "rbac.authorization.k8s.io"'),
    ("cluster binding service account without namespace", "ClusterRoleBinding", {},
     [{"kind": "ServiceAccount", "name": "sa"}], "subjects[0].namespace", "Required value"),
]


@pytest.mark.parametrize(("case", "kind", "ref", "subjects", "field", "fragment"), BINDING_ERRORS,
                         ids=[c[0] for c in BINDING_ERRORS])
def test_validate_role_binding_errors(case: str, kind: str, ref: Obj, subjects: list[Obj] | None, field: str,
                                      fragment: str) -> None:
    # TestValidateRoleBinding / TestValidateClusterRoleBinding
    assert_error(errors_of(binding(kind, subjects, **ref)), field, fragment)


def test_validate_role_binding_success_and_defaults() -> None:
    # TestValidateRoleBinding successCases; SetDefaults_RoleBinding / SetDefaults_Subject
    obj = binding(subjects=[{"kind": "User", "name": "jane"}, {"kind": "Group", "name": "devs"},
                            {"kind": "ServiceAccount", "name": "sa"}], apiGroup="")
    assert errors_of(obj) == []
    o = copy.deepcopy(obj)
    info = lookup("RoleBinding")
    assert info is not None
    info.default(o)
    assert o["roleRef"]["apiGroup"] == RBAC
    assert [s["apiGroup"] for s in o["subjects"]] == [RBAC, RBAC, ""], f"got {o['subjects']}"
    assert errors_of(binding("ClusterRoleBinding")) == []


def test_validate_role_binding_update() -> None:
    # TestValidateRoleBindingUpdate: the roleRef cannot change; subjects can
    old = binding()
    assert update_errors(old, binding(subjects=[{"kind": "User", "name": "u"}])) == []
    assert_error(update_errors(old, binding(name="edit")), "roleRef", "cannot change roleRef")
    # the change is rejected through the API server too, and the stored binding is unchanged
    state = door.create(rm.new_cluster(nodes=0), old).state
    r = door.update(state, binding(name="edit"))
    assert r.rejection is not None and r.state is state, f"got {r.rejection}, but the roleRef is immutable"
