"""Bad input never hangs, crashes or passes for valid: every subcommand, every input format.

Each case runs ``kubeoracle`` in-process (a handful through the real console script) under a 10 s
alarm, and asserts: the documented exit code (1 invalid input, 2 usage), an ``error: ...`` line in
kubectl's style that names the file, the document and the field path (the case's expected fragment),
no Python traceback and no "internal error", no change to the files the command was given, and under
2 s of CPU time. The cases are tables: YAML/JSON streams (fed to ``validate`` and ``simulate``), event
scripts (fed to ``simulate --events`` and ``replay``, one case per field of every event), objects that
parse but are invalid (``validate``), and command-line flags of every subcommand.

The limits mirror upstream: go-yaml's alias-ratio rule ("document contains excessive aliasing") and
``exceeded max depth of 10000``, the API server's 3 MiB request limit, ``json: unsupported value: NaN``
and strict JSON (TestYAMLOrJSONDecoder-style inputs), sigs.k8s.io/yaml's ``key "x" already set in map``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from conformance import cli
from refmodel import events as ev

REPO = Path(__file__).resolve().parents[1]
ALARM_SECONDS = 10
CPU_BUDGET = 2.0


@attrs.frozen
class Case:
    id: str
    argv: tuple[str, ...]
    rc: int
    want: str  # a fragment of one error line ({tmp} is the case's directory)
    files: tuple[tuple[str, str | bytes], ...] = ()
    stdin: str | None = None


# ---------------------------------------------------------------------------------------------
# the harness: in-process, under an alarm, with every property checked
# ---------------------------------------------------------------------------------------------
class Hung(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Hung(f"the command ran for more than {ALARM_SECONDS} s")


def _snapshot(d: Path) -> dict[str, str]:
    out = {}
    for p in sorted(d.rglob("*")):
        if p.is_file() and p.stat().st_size < 2**24:
            out[str(p.relative_to(d))] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif p.is_file():
            out[str(p.relative_to(d))] = f"size {p.stat().st_size}"
    return out


def _materialise(case: Case, tmp: Path) -> list[str]:
    for name, content in case.files:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".huge"):
            with path.open("wb") as fh:  # a sparse file: the size guard must refuse it unread
                fh.truncate(int(content))
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return [a.format(tmp=tmp) for a in case.argv]


def run_case(case: Case, tmp: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    argv = _materialise(case, tmp)
    before = _snapshot(tmp)
    if case.stdin is not None:
        import io

        monkeypatch.setattr(sys, "stdin", io.StringIO(case.stdin))
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(ALARM_SECONDS)
    cpu = time.process_time()
    try:
        rc = cli.main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    cpu = time.process_time() - cpu
    out, err = capsys.readouterr()
    check(case, tmp, rc, out, err)
    assert _snapshot(tmp) == before, f"{case.id}: the command changed its input files or wrote new ones"
    assert cpu < CPU_BUDGET, f"{case.id}: took {cpu:.2f} s of CPU, but a bad input should fail in under {CPU_BUDGET} s"


def check(case: Case, tmp: Path, rc: int, out: str, err: str) -> None:
    want = case.want.format(tmp=tmp)
    assert rc == case.rc, f"{case.id}: exit code {rc}, but should be {case.rc}\nstdout: {out[-800:]}\nstderr: {err[-800:]}"
    assert "Traceback" not in err + out, f"{case.id}: a traceback was printed:\n{err[-2000:]}"
    assert "internal error" not in err, f"{case.id}: {err}"
    errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert errors, f"{case.id}: no 'error: ...' line on stderr, but should say what is wrong:\n{err}"
    assert any(want in ln for ln in errors), f"{case.id}: no error line mentions {want!r}:\n" + "\n".join(errors)
    assert not [ln for ln in err.splitlines() if ln.lower().startswith(("error", "kubeoracle"))
                and not ln.startswith("error: ")], f"{case.id}: errors are worded one way ('error: ...'):\n{err}"
    if case.argv and case.argv[0] == "validate":
        assert out == "" or " 0 invalid" not in out, f"{case.id}: validate counted nothing invalid: {out}"
    elif case.argv and (case.argv[0] == "replay" or "--events" in case.argv or case.id.startswith("flags-")):
        assert out == "", f"{case.id}: printed a result for bad input:\n{out[:800]}"


# ---------------------------------------------------------------------------------------------
# YAML and JSON streams (validate -f and simulate -f)
# ---------------------------------------------------------------------------------------------
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"


def laughs(levels: int, fanout: int) -> str:
    lines = [CM + "data:\n  z: x\nextra:\n", f'  a0: &a0 [{", ".join(["lol"] * fanout)}]\n']
    for i in range(1, levels):
        lines.append(f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fanout)}]\n")
    return "".join(lines)


BIG = 3 * 1024 * 1024 + 10
STREAMS: list[tuple[str, str | bytes, str]] = [
    # (id, file content, the fragment the error names)
    ("billion-laughs", laughs(9, 9), "document 1: document contains excessive aliasing"),
    ("laughs-5x10", laughs(5, 10), "excessive aliasing"),
    ("deep-flow-lists", CM + "x: " + "[" * 10_001 + "]" * 10_001 + "\n", "exceeded max depth of 10000"),
    ("deep-flow-maps", CM + "x: " + "{a: " * 10_001 + "1" + "}" * 10_001 + "\n", "exceeded max depth of 10000"),
    ("deep-block-lists", "- " * 10_001 + "x\n", "exceeded max depth of 10000"),
    ("deep-unclosed", "[" * 30_000, "exceeded max depth of 10000"),
    ("deep-json", '{"a":' * 10_001 + "1" + "}" * 10_001, "exceeded max depth of 10000"),
    ("nan-replicas", "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: r}\nspec: {replicas: .nan}\n",
     "spec.replicas: .nan: json: unsupported value: NaN"),
    ("nan-upper", CM + "data: {a: .NaN}\n", "data.a: .NaN: json: unsupported value: NaN"),
    ("inf-cpu", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n"
     "    resources: {requests: {cpu: .inf}}\n", "spec.containers[0].resources.requests.cpu: .inf"),
    ("minus-inf-list", CM + "x: [1, -.inf]\n", "x[1]: -.inf: json: unsupported value: -Inf"),
    ("json-nan", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": NaN}}', "unsupported value: NaN"),
    ("json-infinity", '{"kind": "ConfigMap", "x": Infinity}', "unsupported value: Infinity"),
    ("json-minus-infinity", '{"kind": "ConfigMap", "x": -Infinity}', "unsupported value: -Infinity"),
    ("json-trailing-comma-object", '{"apiVersion": "v1", "kind": "ConfigMap",}', "error parsing JSON at line 1"),
    ("json-trailing-comma-array", '{"apiVersion": "v1", "items": [1, 2,]}', "error parsing JSON at line 1"),
    ("json-single-quotes", "{'apiVersion': 'v1'}", "error parsing JSON"),
    ("json-unquoted-key", '{apiVersion: "v1"}', "error parsing JSON"),
    ("json-comment", '{"apiVersion": "v1" // no\n}', "error parsing JSON"),
    ("json-garbage-after", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}} trailing',
     "document 2: error parsing JSON"),
    ("json-unclosed", '{"apiVersion": "v1"', "error parsing JSON"),
    ("json-list-document", '{"kind": "List", "items": [5]}', "items[0]: an object must be a mapping"),
    ("duplicate-top-key", CM + "kind: Secret\n", 'key "kind" already set in map'),
    ("duplicate-nested-key", CM + "data:\n  a: '1'\n  a: '2'\n", 'data.a: yaml: line 7: key "a" already set in map'),
    ("duplicate-in-list-item", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
     "  - name: a\n    name: b\n", 'spec.containers[0].name: yaml: line 7: key "name" already set'),
    ("unknown-anchor", CM + "data: *nowhere\n", "data: unknown anchor 'nowhere' referenced"),
    ("recursive-anchor", CM + "data: &x {a: *x}\n", "anchor 'x' value contains itself"),
    ("merge-of-scalar", CM + "data:\n  <<: 5\n", "map merge requires map or sequence of maps"),
    ("merge-of-scalars", CM + "data:\n  <<: [1, 2]\n", "map merge requires map or sequence of maps"),
    ("list-as-key", CM + "? [a, b]\n: 1\n", "invalid map key: a list"),
    ("map-as-key", CM + "? {a: 1}\n: 1\n", "invalid map key: a mapping"),
    ("tag-binary", CM + "data: {a: !!binary aGVsbG8=}\n", "unsupported YAML tag !!binary"),
    ("tag-set", CM + "data: !!set {a, b}\n", "unsupported YAML tag"),
    ("tag-local", CM + "data: {a: !foo x}\n", "unsupported YAML tag !foo"),
    ("tag-int-mismatch", CM + "x: !!int foo\n", "cannot decode 'foo' as a !!int"),
    ("tag-float-mismatch", CM + "x: !!float abc\n", "cannot decode 'abc' as a !!float"),
    ("tag-bool-mismatch", CM + "x: !!bool maybe\n", "cannot decode 'maybe' as a !!bool"),
    ("tag-omap", CM + "x: !!omap [a: 1]\n", "unsupported YAML tag"),
    ("document-is-list", "- a\n- b\n", "document 1: an object must be a mapping, got a list"),
    ("document-is-string", "just text\n", "document 1: an object must be a mapping, got the string 'just text'"),
    ("document-is-number", "42\n", "document 1: an object must be a mapping"),
    ("second-document-is-list", CM + "---\n- x\n", "document 2: an object must be a mapping, got a list"),
    ("list-items-not-a-list", "apiVersion: v1\nkind: List\nitems: 5\n", "items: must be a list of objects"),
    ("list-item-scalar", "apiVersion: v1\nkind: List\nitems: [1]\n", "items[0]: an object must be a mapping"),
    ("list-item-string", "apiVersion: v1\nkind: List\nitems:\n- " + CM.replace("\n", "\n  ") + "\n- x\n",
     "items[1]: an object must be a mapping, got the string 'x'"),
    ("unclosed-flow", "kind: [unclosed\n", "document 1: error parsing YAML at line"),
    ("bad-indentation", "a:\n  b: 1\n c: 2\n", "error parsing YAML at line 3"),
    ("tab-indentation", "a:\n\tb: 1\n", "error parsing YAML at line 2"),
    ("mapping-in-plain", "key: value: more\n", "mapping values are not allowed in this context"),
    ("unterminated-quote", 'a: "abc\n', "error parsing YAML"),
    ("control-character", "a: b\x01\n", "error parsing YAML"),
    ("yaml-2-directive", "%YAML 2.0\n---\na: 1\n", "error parsing YAML"),
    ("object-over-3MiB", CM + "data:\n  big: " + "x" * BIG + "\n", "the API server accepts at most 3145728 bytes"),
    ("list-item-over-3MiB", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n"
     "  metadata: {name: c}\n  data: {big: " + "x" * BIG + "}\n", "items[0]: the object is"),
    ("not-utf8", b"\xff\xfe\x00kind", "is not UTF-8 text"),
    ("utf16", "kind: ConfigMap\n".encode("utf-16"), "is not UTF-8 text"),
]


def _stream_cases() -> Iterator[Case]:
    for sid, content, want in STREAMS:
        suffix = ".json" if isinstance(content, str) and content.lstrip().startswith("{") else ".yaml"
        for cmd in ("validate", "simulate"):
            yield Case(f"{cmd}-{sid}", (cmd, "-f", "{tmp}/in" + suffix), 1, want, (("in" + suffix, content),))
    # no objects at all, paths that are not manifests
    for cmd in ("validate", "simulate"):
        yield Case(f"{cmd}-empty-file", (cmd, "-f", "{tmp}/empty.yaml"), 1, f"no objects passed to {cmd}",
                   (("empty.yaml", ""),))
        yield Case(f"{cmd}-comments-only", (cmd, "-f", "{tmp}/c.yaml"), 1, f"no objects passed to {cmd}",
                   (("c.yaml", "# nothing\n---\n# here\n"),))
        yield Case(f"{cmd}-missing-path", (cmd, "-f", "{tmp}/nope.yaml"), 1, 'the path "{tmp}/nope.yaml" does not exist')
        yield Case(f"{cmd}-empty-dir", (cmd, "-f", "{tmp}/d"), 1, "no manifests (*.yaml, *.yml, *.json) in the directory",
                   (("d/readme.txt", "x"),))
        yield Case(f"{cmd}-file-over-64MiB", (cmd, "-f", "{tmp}/big.huge"), 1, "reads at most 64 MiB per file",
                   (("big.huge", str(65 * 2**20)),))
        yield Case(f"{cmd}-stdin-bad", (cmd, "-f", "-"), 1, 'error parsing "STDIN": document 1: error parsing YAML',
                   stdin="kind: [unclosed\n")


# ---------------------------------------------------------------------------------------------
# event scripts (simulate --events and replay): every field of every event
# ---------------------------------------------------------------------------------------------
SAMPLES: dict[str, Any] = {
    "Apply": ev.Apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
    "Delete": ev.Delete("ConfigMap", "default", "c"),
    "Scale": ev.Scale("ReplicaSet", "default", "r", 2),
    "RolloutUndo": ev.RolloutUndo("default", "d", 1),
    "RolloutPause": ev.RolloutPause("default", "d"),
    "RolloutResume": ev.RolloutResume("default", "d"),
    "Cordon": ev.Cordon("node-0"),
    "Uncordon": ev.Uncordon("node-0"),
    "NodeFailed": ev.NodeFailed("node-0"),
    "NodeRecovered": ev.NodeRecovered("node-0"),
    "PodKilled": ev.PodKilled("default", "p"),
    "ContainerExited": ev.ContainerExited("default", "p", "c", 1),
    "ImagePullFailed": ev.ImagePullFailed("nginx"),
    "ImagePullRecovered": ev.ImagePullRecovered("nginx"),
    "ReadinessChanged": ev.ReadinessChanged("default", "p", True),
    "ClockAdvanced": ev.ClockAdvanced(30),
    "Reconcile": ev.Reconcile("replicaset", "default/r"),
}
WRONG: dict[str, tuple[Any, str]] = {  # attrs type -> (a value of another type, what the error says)
    "str": (5, "must be a string, not a number"),
    "int": ("soon", "must be an integer, not a string"),
    "bool": ("maybe", "must be a boolean"),
    "Any": ("x", "must be an object (a mapping), not a string"),
}
RANGES: list[tuple[str, dict[str, Any], str]] = [
    ("scale-2-to-the-70", {"event": "Scale", "kind": "ReplicaSet", "namespace": "default", "name": "r",
                           "replicas": 2**70}, "events[0].replicas: Invalid value: 1180591620717411303424: must be between -2147483648 and 2147483647"),
    ("scale-below-int32", {"event": "Scale", "kind": "ReplicaSet", "namespace": "default", "name": "r",
                           "replicas": -(2**31) - 1}, "events[0].replicas: Invalid value: -2147483649"),
    ("scale-replicas-string", {"event": "Scale", "kind": "ReplicaSet", "namespace": "default", "name": "r",
                               "replicas": "3"}, 'events[0].replicas: Invalid value: "3": must be an integer'),
    ("scale-replicas-float", {"event": "Scale", "kind": "ReplicaSet", "namespace": "default", "name": "r",
                              "replicas": 2.5}, "events[0].replicas: Invalid value: 2.5: must be an integer"),
    ("scale-replicas-bool", {"event": "Scale", "kind": "ReplicaSet", "namespace": "default", "name": "r",
                             "replicas": True}, "events[0].replicas: Invalid value: True: must be an integer"),
    ("exit-code-int64", {"event": "ContainerExited", "namespace": "default", "pod": "p", "container": "c",
                         "exit_code": 2**40}, "events[0].exit_code: Invalid value: 1099511627776"),
    ("clock-backwards", {"event": "ClockAdvanced", "seconds": -5}, "events[0].seconds: Invalid value: -5"),
    ("clock-past-duration", {"event": "ClockAdvanced", "seconds": 10**30}, "events[0].seconds: Invalid value"),
    ("revision-negative", {"event": "RolloutUndo", "namespace": "default", "name": "d", "to_revision": -1},
     "events[0].to_revision: Invalid value: -1"),
    ("propagation-unknown", {"event": "Delete", "kind": "Pod", "namespace": "default", "name": "p",
                             "propagation": "Sometimes"}, 'events[0].propagation: Unsupported value: "Sometimes"'),
    ("controller-unknown", {"event": "Reconcile", "controller": "frobnicator", "key": "a/b"},
     'events[0].controller: Unsupported value: "frobnicator"'),
    ("empty-name", {"event": "Cordon", "node": ""}, "events[0].node: Required value"),
    ("event-name-list", {"event": ["Scale"]}, "events[0].event: Unsupported value: ['Scale']"),
    ("event-name-unknown", {"event": "Explode"}, 'events[0].event: Unsupported value: "Explode"'),
    ("event-name-missing", {"kind": "Pod"}, "events[0].event: Required value"),
    ("settle-with-fields", {"event": "Settle", "seconds": 5}, "events[0].seconds: Unknown field"),
]
SCRIPTS: list[tuple[str, str, str]] = [  # whole scripts that are wrong
    ("not-a-list", "event: Scale\n", "event: Unknown field"),
    ("events-not-a-list", "events: 5\n", "events: Required value: a list of events"),
    ("events-missing", "machine: mixed\n", "events: Required value"),
    ("item-number", "- 42\n", "events[0]: Invalid value: 42: an event must be a mapping"),
    ("item-list", "- [Scale]\n", "events[0]: Invalid value: ['Scale']: an event must be a mapping"),
    ("item-empty-mapping", "- {}\n", "events[0].event: Required value"),
    ("scalar-script", "hello\n", "an event script is a list of events"),
    ("unknown-top-level-key", "frobs: 1\nevents: []\n", "frobs: Unknown field"),
    ("meta-wrong-type", "machine: [a]\nevents: []\n", "machine: Invalid value"),
    ("yaml-syntax", "- {event: ClockAdvanced, seconds: [1\n", "error parsing YAML at line"),
    ("duplicate-key", "- {event: ClockAdvanced, seconds: 1, seconds: 2}\n", 'key "seconds" already set in map'),
    ("laughs", laughs(9, 9).replace(CM + "data:\n  z: x\nextra:\n", "extra:\n") + "events: []\n",
     "excessive aliasing"),
    ("nan-seconds", "- {event: ClockAdvanced, seconds: .nan}\n", "[0].seconds: .nan: json: unsupported value: NaN"),
    ("deep-obj", "- event: Apply\n  obj: " + "[" * 10_001 + "]" * 10_001 + "\n", "exceeded max depth of 10000"),
    ("two-documents", "- {event: Settle}\n---\n- {event: Settle}\n", "expected one YAML document"),
    ("second-event-bad", "- {event: Cordon, node: node-0}\n- {event: Cordon, node: 7}\n",
     "events[1].node: Invalid value: 7"),
]


def _event_dict_cases() -> Iterator[tuple[str, dict[str, Any], str]]:
    for name, sample in SAMPLES.items():
        good = ev.event_to_dict(sample)
        yield f"{name}-unknown-field", {**good, "colour": "blue"}, f"events[0].colour: Unknown field: event {name}"
        for a in attrs.fields(type(sample)):
            value, says = WRONG[str(a.type)]
            shown = f'"{value}"' if isinstance(value, str) else repr(value)
            yield (f"{name}-{a.name}-wrong-type", {**good, a.name: value},
                   f"events[0].{a.name}: Invalid value: {shown}: {says}")
            if a.default is attrs.NOTHING:
                missing = {k: v for k, v in good.items() if k != a.name}
                yield f"{name}-{a.name}-missing", missing, f"events[0].{a.name}: Required value"
    yield from RANGES


def _event_cases() -> Iterator[Case]:
    import yaml

    prefix = 'error parsing events script "{tmp}/ev.yaml": '
    scripts = [(i, yaml.safe_dump([d]), prefix + w) for i, d, w in _event_dict_cases()] + SCRIPTS
    for sid, text, want in scripts:
        files = (("ok.yaml", CM), ("ev.yaml", text))
        yield Case(f"simulate-events-{sid}", ("simulate", "-f", "{tmp}/ok.yaml", "--events", "{tmp}/ev.yaml"), 1,
                   want, files)
        yield Case(f"replay-{sid}", ("replay", "{tmp}/ev.yaml"), 1, want, files)


# ---------------------------------------------------------------------------------------------
# objects that parse but are invalid (validate): every error with its field path
# ---------------------------------------------------------------------------------------------
def _rs(**spec: Any) -> dict[str, Any]:
    base = {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
            "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}
    base.update(spec)
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r"}, "spec": base}


def _pod(container: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "i", **container}]}}


OBJECTS: list[tuple[str, Any, str]] = [
    ("replicas-string", _rs(replicas="3"), "spec.replicas"),
    ("replicas-int64", _rs(replicas=2**40), "spec.replicas"),
    ("replicas-negative", _rs(replicas=-1), "spec.replicas"),
    ("replicas-fraction", _rs(replicas=1.5), "spec.replicas"),
    ("template-string", _rs(template="nope"), "spec.template"),
    ("selector-list", _rs(selector=["a"]), "spec.selector"),
    ("containers-string", _rs(template={"metadata": {"labels": {"a": "b"}}, "spec": {"containers": "x"}}),
     "spec.template.spec.containers"),
    ("unknown-spec-field", _rs(frobs=1), "spec.frobs"),
    ("metadata-string", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": "x"}, "metadata"),
    ("name-invalid", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}}, "metadata.name"),
    ("name-missing", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "metadata.name"),
    ("label-value-number", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": 5}}},
     "metadata.labels"),
    ("namespace-invalid", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "Bad NS"}},
     "metadata.namespace"),
    ("configmap-data-list", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": [1]}, "data"),
    ("configmap-data-number", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": 1}},
     "data"),
    ("secret-bad-base64", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"a": "***"}},
     "data"),
    ("image-number", _pod({"image": 5}), "spec.containers[0].image"),
    ("cpu-garbage", _pod({"resources": {"requests": {"cpu": "lots"}}}), "spec.containers[0].resources.requests"),
    ("port-string", _pod({"ports": [{"containerPort": "http"}]}), "spec.containers[0].ports[0].containerPort"),
    ("service-port-out-of-range", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                                   "spec": {"ports": [{"port": 70000}]}}, "spec.ports[0].port"),
    ("kind-missing", {"apiVersion": "v1", "metadata": {"name": "c"}}, "kind"),
    ("kind-unknown", {"apiVersion": "v1", "kind": "Frob", "metadata": {"name": "c"}}, 'no matches for kind "Frob"'),
    ("apiversion-removed", {"apiVersion": "extensions/v1beta1", "kind": "Deployment", "metadata": {"name": "d"}},
     'no matches for kind "Deployment" in version "extensions/v1beta1"'),
    ("apiversion-missing", {"kind": "ConfigMap", "metadata": {"name": "c"}}, "apiVersion"),
    ("unknown-top-level", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "frob": 1}, "frob"),
    # a trailing newline is no part of a name, key or quantity (Go's regexp $ is the end of the text)
    ("name-trailing-newline", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c\n"}},
     "metadata.name: Invalid value"),
    ("label-key-trailing-newline", {"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": "c", "labels": {"app\n": "x"}}}, "metadata.labels: Invalid value"),
    ("label-value-trailing-newline", {"apiVersion": "v1", "kind": "ConfigMap",
                                      "metadata": {"name": "c", "labels": {"app": "x\n"}}}, "metadata.labels: Invalid value"),
    ("configmap-key-trailing-newline", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                                        "data": {"key\n": "v"}}, "data[key\\n]: Invalid value"),
    ("cpu-trailing-newline", _pod({"resources": {"requests": {"cpu": "1\n"}}}), "spec.containers[0].resources.requests"),
]


def _object_cases() -> Iterator[Case]:
    for oid, obj, want in OBJECTS:
        yield Case(f"validate-object-{oid}", ("validate", "-f", "{tmp}/o.json"), 1,
                   'error validating "{tmp}/o.json": document 1: ', (("o.json", json.dumps(obj)),))
        yield Case(f"validate-object-{oid}-path", ("validate", "-f", "{tmp}/o.yaml"), 1, want,
                   (("o.yaml", json.dumps(obj)),))


# ---------------------------------------------------------------------------------------------
# command-line flags of every subcommand
# ---------------------------------------------------------------------------------------------
OK = (("ok.yaml", CM), ("script.yaml", "- {event: Settle}\n"), ("afile", "x"))
FLAGS: list[tuple[str, tuple[str, ...], int, str]] = [
    ("no-command", (), 2, "a command is required"),
    ("unknown-command", ("frobnicate",), 2, "invalid choice: 'frobnicate'"),
    ("serve-port-word", ("serve", "--port", "https"), 2, "argument --port: must be a port number"),
    ("simulate-nothing", ("simulate",), 2, "simulate needs manifests"),
    ("simulate-nodes-word", ("simulate", "-f", "{tmp}/ok.yaml", "--nodes", "many"), 2, "argument --nodes"),
    ("simulate-nodes-negative", ("simulate", "-f", "{tmp}/ok.yaml", "--nodes", "-1"), 2, "must be between 0 and 5000"),
    ("simulate-nodes-huge", ("simulate", "-f", "{tmp}/ok.yaml", "--nodes", str(2**70)), 2, "must be between 0 and 5000"),
    ("simulate-cpu-zero", ("simulate", "-f", "{tmp}/ok.yaml", "--node-cpu", "0"), 2, "must be greater than zero"),
    ("simulate-memory-word", ("simulate", "-f", "{tmp}/ok.yaml", "--node-memory", "lots"), 2, "is not a quantity"),
    ("simulate-output", ("simulate", "-f", "{tmp}/ok.yaml", "-o", "table"), 2, "argument -o/--output"),
    ("simulate-stdin-twice", ("simulate", "-f", "-", "--events", "-"), 2, "either -f - or --events -"),
    ("simulate-events-missing", ("simulate", "-f", "{tmp}/ok.yaml", "--events", "{tmp}/no.yaml"), 1,
     'the path "{tmp}/no.yaml" does not exist'),
    ("simulate-events-dir", ("simulate", "-f", "{tmp}/ok.yaml", "--events", "{tmp}"), 1, "is a directory"),
    ("simulate-unknown-flag", ("simulate", "-f", "{tmp}/ok.yaml", "--frob"), 2, "unrecognized arguments: --frob"),
    ("validate-nothing", ("validate",), 2, "the following arguments are required: -f/--filename"),
    ("validate-output", ("validate", "-f", "{tmp}/ok.yaml", "-o", "wide"), 2, "argument -o/--output"),
    ("validate-workers-zero", ("validate", "-f", "{tmp}/ok.yaml", "--workers", "0"), 2,
     "argument --workers: must be between 1 and 64, got 0"),
    ("validate-workers-word", ("validate", "-f", "{tmp}/ok.yaml", "--workers", "all"), 2,
     "argument --workers: must be a whole number of processes"),
    ("validate-missing", ("validate", "-f", "{tmp}/no.yaml"), 1, 'the path "{tmp}/no.yaml" does not exist'),
    ("replay-nothing", ("replay",), 2, "the following arguments are required: script"),
    ("replay-missing", ("replay", "{tmp}/no.yaml"), 1, 'the path "{tmp}/no.yaml" does not exist'),
    ("replay-directory", ("replay", "{tmp}"), 1, "is a directory"),
    ("replay-adapter-unknown", ("replay", "{tmp}/script.yaml", "--adapter", "frob"), 2, "unknown adapter 'frob'"),
    ("replay-adapter-negative-nodes", ("replay", "{tmp}/script.yaml", "--adapter", "model:-1"), 2,
     "the number of nodes must be between 0 and 5000"),
    ("conformance-examples-zero", ("conformance", "--examples", "0"), 2, "argument --examples"),
    ("conformance-examples-word", ("conformance", "--examples", "many"), 2, "argument --examples"),
    ("conformance-workers-zero", ("conformance", "--workers", "0"), 2, "argument --workers"),
    ("conformance-top-up-negative", ("conformance", "--top-up", "-1"), 2, "argument --top-up"),
    ("conformance-machines-unknown", ("conformance", "--machines", "frob"), 2, "--machines: unknown"),
    ("conformance-profile-unknown", ("conformance", "--profile", "frob"), 2, "argument --profile"),
    ("conformance-adapter-unknown", ("conformance", "--adapter", "frob"), 2, "unknown adapter 'frob'"),
    ("conformance-adapter-negative-nodes", ("conformance", "--adapter", "model:-1"), 2,
     "the number of nodes must be between 0 and 5000"),
    ("conformance-adapter-module-missing", ("conformance", "--adapter", "no_such_mod:factory"), 2,
     "cannot import 'no_such_mod'"),
    ("conformance-report-is-a-file", ("conformance", "--report", "{tmp}/afile"), 2, "exists and is not a directory"),
    ("conformance-report-under-a-file", ("conformance", "--report", "{tmp}/afile/out"), 2,
     '(in "{tmp}/afile/out") is a file, not a directory'),
    ("replay-report-is-a-file", ("replay", "{tmp}/script.yaml", "--report", "{tmp}/afile"), 2,
     "exists and is not a directory"),
    ("replay-report-under-a-file", ("replay", "{tmp}/script.yaml", "--report", "{tmp}/afile/out/deeper"), 2,
     "is a file, not a directory"),
    ("conformance-unknown-flag", ("conformance", "--frob"), 2, "unrecognized arguments: --frob"),
]


def _flag_cases() -> Iterator[Case]:
    for fid, argv, rc, want in FLAGS:
        yield Case(f"flags-{fid}", argv, rc, want, OK)


CASES = [*_stream_cases(), *_event_cases(), *_object_cases(), *_flag_cases()]


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 150, f"{len(CASES)} bad-input cases, the suite promises at least 150"
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                   monkeypatch: pytest.MonkeyPatch) -> None:
    run_case(case, tmp_path, capsys, monkeypatch)


# ---------------------------------------------------------------------------------------------
# a handful through the installed console script (a real process, a real timeout)
# ---------------------------------------------------------------------------------------------
CONSOLE = ["validate-billion-laughs", "simulate-deep-flow-lists", "replay-scale-2-to-the-70",
           "simulate-events-event-name-list", "flags-serve-port-word", "validate-json-trailing-comma-object"]


def _console() -> list[str]:
    exe = shutil.which("kubeoracle")
    return [exe] if exe else [sys.executable, "-m", "conformance"]


@pytest.mark.parametrize("cid", CONSOLE)
def test_bad_input_through_the_console_script(cid: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == cid)
    argv = _materialise(case, tmp_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    started = time.monotonic()
    proc = subprocess.run([*_console(), *argv], capture_output=True, text=True, timeout=30, env=env, cwd=tmp_path)
    assert time.monotonic() - started < 30
    check(case, tmp_path, proc.returncode, proc.stdout, proc.stderr)


# ---------------------------------------------------------------------------------------------
# properties the cases above rely on
# ---------------------------------------------------------------------------------------------
def test_every_event_field_has_a_case() -> None:
    covered = {c.id for c in CASES}
    for name, sample in SAMPLES.items():
        for a in attrs.fields(type(sample)):
            assert f"replay-{name}-{a.name}-wrong-type" in covered, (name, a.name)
    assert set(SAMPLES) == set(ev._CLASSES), "a new event needs a sample here"


def test_validate_never_calls_an_unchecked_kind_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from refmodel.resources import REGISTRY

    unchecked = [k for k, info in REGISTRY.items() if not info.modelled]
    if not unchecked:
        pytest.skip("every kind is checked")
    kind = unchecked[0]
    info = REGISTRY[kind]
    obj = {"apiVersion": info.api_versions[0], "kind": kind, "metadata": {"name": "x"}}
    (tmp_path / "o.json").write_text(json.dumps(obj))
    rc = cli.main(["validate", "-f", str(tmp_path / "o.json")])
    out, _ = capsys.readouterr()
    assert rc == 0 and "0 valid" in out and "1 skipped" in out and kind in out, out
    rc = cli.main(["validate", "--strict", "-f", str(tmp_path / "o.json")])
    capsys.readouterr()
    assert rc == 1, "--strict should fail on a skipped object"
    rc = cli.main(["validate", "-o", "json", "-f", str(tmp_path / "o.json")])
    out, _ = capsys.readouterr()
    data = json.loads(out)
    assert data["summary"] == {"valid": 0, "invalid": 0, "skipped": 1, "total": 1}, data
    assert data["resources"][0]["status"] == "skipped"


def test_validate_output_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "o.yaml").write_text(CM + "---\n" + CM.replace("name: c", "name: d"))
    rc = cli.main(["validate", "-o", "name", "-f", str(tmp_path / "o.yaml")])
    out, _ = capsys.readouterr()
    assert rc == 0 and out == "configmap/c\nconfigmap/d\n", out


def test_a_scale_to_2_to_the_70_never_reaches_the_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import refmodel as rm

    called: list[Any] = []
    monkeypatch.setattr(rm, "transition", lambda *a, **k: called.append(a))
    (tmp_path / "ok.yaml").write_text(CM)
    (tmp_path / "ev.yaml").write_text("- {event: Scale, kind: ReplicaSet, namespace: default, name: r, "
                                      f"replicas: {2**70}}}\n")
    rc = cli.main(["simulate", "-f", str(tmp_path / "ok.yaml"), "--events", str(tmp_path / "ev.yaml")])
    capsys.readouterr()
    assert rc == 1 and not called, "the event reached the model"


# ---------------------------------------------------------------------------------------------
# deep but legal input (up to kubectl's 10,000 levels): answered, never a RecursionError
# ---------------------------------------------------------------------------------------------
def _deep(n: int) -> str:
    return "[" * n + "]" * n


DEEP = [
    ("configmap-data", CM + "data: " + _deep(9_990) + "\n"),
    ("serviceaccount-secrets", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s}\nsecrets: " + _deep(9_990)),
    ("pod-annotations", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: {a: " + _deep(9_980) + "}}\n"),
    ("deployment-template", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: "
     + "{a: " * 4_990 + "1" + "}" * 4_990 + "}\n"),
    ("json-lists", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "x": ' + _deep(9_990) + "}"),
]


@pytest.mark.parametrize(("did", "text"), DEEP, ids=[d[0] for d in DEEP])
@pytest.mark.parametrize("argv", [("validate",), ("simulate", "-o", "json"), ("simulate", "-o", "yaml")],
                         ids=["validate", "simulate-json", "simulate-yaml"])
def test_deep_input_is_answered(did: str, text: str, argv: tuple[str, ...], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / ("in.json" if text.startswith("{") else "in.yaml")
    f.write_text(text)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(ALARM_SECONDS)
    try:
        rc = cli.main([argv[0], "-f", str(f), *argv[1:]])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    _out, err = capsys.readouterr()
    assert rc in (0, 1), f"{did}: exit code {rc}\n{err[-1000:]}"
    assert "Traceback" not in err and "internal error" not in err and "RecursionError" not in err, err[-1000:]


def test_deep_apply_event_is_answered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "ev.yaml"
    # 2,000 levels, not 10,000: the harness's checks walk every object at every step (quadratic here)
    script.write_text("- event: Apply\n  obj: {apiVersion: v1, kind: ServiceAccount, metadata: {name: s}, secrets: "
                      + _deep(2_000) + "}\n")
    for argv in (["simulate", "--events", str(script), "-o", "json"], ["replay", str(script)]):
        rc = cli.main(argv)
        out, err = capsys.readouterr()
        assert rc in (0, 1) and "Traceback" not in err + out and "internal error" not in err, err[-1500:]
