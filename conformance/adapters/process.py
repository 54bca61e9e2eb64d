"""The built-in ``subprocess`` adapter: the reference model in a child process, over a pipe.

``--adapter subprocess[:PATCH,...]``. The child (``python -m conformance.adapters.process``) serves
an :class:`~conformance.adapters.external.ExternalAdapter` and answers the protocol's calls, pickled
over its standard input and output; nothing but the protocol crosses. Each ``PATCH`` is applied in
the child only, for its whole life: a seeded bug's name from :mod:`conformance.mutants` or
``package.module:function``
(a function that takes a :class:`contextlib.ExitStack` and patches ``refmodel``, as a mutant does).

So the self-test runs every seeded bug as a true external system: the mutated model answers from
the child while the harness's own model, in the parent, stays unmutated, and the differential checks
compare the two.

Each request also brings back what it changed (as ``changes`` would return it next), so a request
and the observation after it cost one round trip, as a client that keeps a watch open would have it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

from . import CAPABILITIES, Changes, Outcome, Sandbox

__all__ = ["SubprocessAdapter", "serve"]

_ROOT = Path(__file__).resolve().parents[2]


class ChildError(Exception):
    """The child raised while answering (its message names the child's own frame)."""


class SubprocessAdapter:
    """The protocol, forwarded to a child process that runs the (optionally mutated) model."""

    name = "subprocess"
    capabilities: frozenset[str] = CAPABILITIES - {"snapshot", "intermediate", "events", "dataplane", "container-view"}

    def __init__(self, patches: str | None = None) -> None:
        self.patches = tuple(p.strip() for p in (patches or "").split(",") if p.strip())
        _check_patches(self.patches)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "conformance.adapters.process", *self.patches],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.name = "subprocess" + (f":{','.join(self.patches)}" if self.patches else "")
        self._seen = ""  # the version the last changes answer carried
        self._ahead: Changes | None = None  # the changes that came back with the last request

    def _request(self, method: str, *args: Any) -> Any:
        """A call that may change the sandbox, and the changes it made (kept for the next ``changes``)."""
        result, self._ahead = self._call("request", method, args, self._seen)
        return result

    def _call(self, method: str, *args: Any) -> Any:
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            pickle.dump((method, args), proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            proc.stdin.flush()
            status, value = pickle.load(proc.stdout)
        except (EOFError, BrokenPipeError, OSError) as exc:
            raise ChildError(f"the child process is gone (exit {proc.poll()}): {exc}") from None
        if status == "error":
            raise ChildError(value)
        return value

    # ---- the protocol -----------------------------------------------------------------------
    def reset(self, sandbox: Sandbox) -> None:
        self._ahead = None
        self._call("reset", sandbox)

    def apply(self, obj: dict[str, Any]) -> Outcome:
        return self._request("apply", obj)  # type: ignore[no-any-return]

    def delete(self, kind: str, namespace: str, name: str, propagation: str = "Background") -> Outcome:
        return self._request("delete", kind, namespace, name, propagation)  # type: ignore[no-any-return]

    def scale(self, kind: str, namespace: str, name: str, replicas: int) -> Outcome:
        return self._request("scale", kind, namespace, name, replicas)  # type: ignore[no-any-return]

    def rollout_undo(self, namespace: str, name: str, to_revision: int = 0) -> Outcome:
        return self._request("rollout_undo", namespace, name, to_revision)  # type: ignore[no-any-return]

    def inject(self, fault: object) -> Outcome:
        return self._request("inject", fault)  # type: ignore[no-any-return]

    def settle(self, timeout: float = 60.0) -> bool:
        return bool(self._request("settle", timeout))

    def observe(self) -> list[dict[str, Any]]:
        return self._call("observe")  # type: ignore[no-any-return]

    def changes(self, since: str) -> Changes:
        ahead, self._ahead = self._ahead, None
        if ahead is None or since != self._seen:
            ahead = self._call("changes", since)
        assert ahead is not None
        self._seen = ahead[0]
        return ahead

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            try:
                assert proc.stdin is not None
                proc.stdin.close()
                proc.wait(timeout=10)
            except Exception:
                proc.kill()
                proc.wait()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


_METHODS = frozenset({"reset", "apply", "delete", "scale", "rollout_undo", "inject", "settle", "observe",
                      "changes"})


def _check_patches(patches: tuple[str, ...]) -> None:
    from ..mutants import BY_NAME

    for p in patches:
        if p not in BY_NAME and ":" not in p:
            raise ValueError(f"subprocess:{p}: not a seeded bug (see conformance/mutants.py) or "
                             "package.module:function")


def _apply_patch(stack: ExitStack, patch: str) -> None:
    if ":" in patch:
        import importlib

        module, _, fn = patch.partition(":")
        getattr(importlib.import_module(module), fn)(stack)
    else:
        from ..mutants import BY_NAME, applied

        stack.enter_context(applied(BY_NAME[patch]))


def serve(patches: list[str], inp: BinaryIO, out: BinaryIO) -> None:
    """The child's loop: answer pickled ``(method, args)`` calls until the input ends."""
    import traceback

    from . import adapter_frame
    from .external import ExternalAdapter

    with ExitStack() as stack:
        for p in patches:
            _apply_patch(stack, p)
        adapter = ExternalAdapter()
        while True:
            try:
                method, args = pickle.load(inp)
            except EOFError:
                return
            try:
                if method == "request":  # (method, args, since): the answer and the changes it made
                    inner, inner_args, since = args
                    if inner not in _METHODS:
                        raise ValueError(f"unknown method {inner!r}")
                    result = getattr(adapter, inner)(*inner_args)
                    reply: tuple[str, Any] = ("ok", (result, adapter.changes(since)))
                elif method not in _METHODS:
                    raise ValueError(f"unknown method {method!r}")
                else:
                    reply = ("ok", getattr(adapter, method)(*args))
            except Exception as exc:  # the child's own bug: reported to the parent with its frame
                traceback.print_exc(file=sys.stderr)
                reply = ("error", f"{type(exc).__name__}: {exc} (in the child at {adapter_frame(exc)})")
            pickle.dump(reply, out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()


if __name__ == "__main__":
    serve(sys.argv[1:], sys.stdin.buffer, sys.stdout.buffer)
