"""``kubeoracle serve``: the Kubernetes REST API over the reference model, over HTTPS, for kubectl and any
client library.

On first start it makes a CA, a serving certificate and a bearer token in the data directory and
writes ``DIR/kubeconfig`` (context ``kubeoracle``); later starts reuse them. The model's controllers
run continuously on the wall clock (``--time-scale 10`` runs virtual time ten times faster).

The HTTP stack is aiohttp (see the README, "Use kubectl against the model", for why). Modules:
:mod:`.cluster` (the state, the clock, the change log), :mod:`.app` (HTTP to Request),
:mod:`.discovery` (version, discovery, OpenAPI), :mod:`.tables` (``kubectl get`` tables),
:mod:`.selectors` (label and field selectors), :mod:`.recorder` (Events), :mod:`.tls` (identity).

**Mirrors:** ``cmd/kube-apiserver`` flags in spirit: ``--bind-address`` (``--host``), ``--secure-port``
(``--port``), ``--cert-dir`` (``--data-dir``).
With ``--data-dir`` every write is journaled (:mod:`.journal`) before it is acknowledged, and a restart
(even after SIGKILL) gives back every acknowledged object and the clock.
Server-side apply and ``managedFields`` are the model's (:mod:`refmodel.managedfields`); a list at
``resourceVersionMatch=Exact`` reads the state as of that version (the last 512 kept, 410 before).
**Not modelled (and why):** ``application/apply-patch+cbor`` (kubectl sends YAML).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import signal
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

__all__ = ["main", "serve"]

LOOPBACK_NAMES = ("localhost",)
DEFAULT_DIR = os.path.join(Path.home(), ".kubeoracle", "serve")


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 < value <= 10_000:
        raise argparse.ArgumentTypeError(f"must be greater than 0 and at most 10000, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535 (0: any free port), got {text!r}")
    return value


def _nodes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of nodes, got {text!r}") from None
    if not 0 <= value <= 5000:
        raise argparse.ArgumentTypeError(f"must be between 0 and 5000, got {text!r}")
    return value


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``error: ...`` line (exit code 2), as the other commands'."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see 'kubeoracle serve --help')")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="kubeoracle serve",
        description="Serve the Kubernetes REST API over the reference model (HTTPS, bearer token). "
                    "Point kubectl at DIR/kubeconfig.")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1; another address "
                   "than loopback needs --allow-remote)")
    p.add_argument("--port", type=_port, default=6443, help="listen port (default 6443; 0 picks a free one)")
    p.add_argument("--data-dir", default=None, metavar="DIR",
                   help="where the CA, certificate, token, kubeconfig and the journal of every write live; a "
                        "restart with the same DIR gives back the cluster (without it: credentials in "
                        f"{DEFAULT_DIR}, the cluster in memory only)")
    p.add_argument("--time-scale", type=_positive, default=1.0, metavar="X",
                   help="virtual seconds per wall-clock second (default 1: real time)")
    p.add_argument("--nodes", type=_nodes, default=3, metavar="N", help="Ready nodes node-0..N-1 (default 3)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a listen address other than loopback (anyone who can reach it and has the "
                        "token can change the cluster)")
    p.add_argument("--seeded-bug", choices=("scale-one-higher",), default=None, help=argparse.SUPPRESS)
    return p


async def serve(host: str, port: int, data_dir: Path, time_scale: float = 1.0, nodes: int = 3,
                seeded_bug: str | None = None, ready: asyncio.Event | None = None, persist: bool = False) -> None:
    """Run the server until cancelled (or SIGINT/SIGTERM)."""
    from aiohttp import web

    from .app import make_app
    from .cluster import Cluster
    from .tls import ensure_identity, write_kubeconfig

    ident, made = ensure_identity(data_dir, host)
    cluster = Cluster(nodes=nodes, time_scale=time_scale, scale_bug=1 if seeded_bug == "scale-one-higher" else 0,
                      journal=data_dir / "journal.log" if persist else None)
    app = make_app(cluster, ident.token)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(ident.cert), str(ident.key))
    ctx.set_alpn_protocols(["http/1.1"])
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ctx, shutdown_timeout=1.0)
    await site.start()
    server = getattr(site, "_server", None)
    sockets = getattr(server, "sockets", None) or []
    actual = sockets[0].getsockname()[1] if sockets else port
    url_host = f"[{host}]" if ":" in host else host
    kubeconfig = write_kubeconfig(ident, f"https://{url_host}:{actual}")
    print(f"{'created' if made else 'reusing'} the CA, certificate and token in {data_dir}", flush=True)
    if cluster.journal is not None:
        dropped = f" (a torn last record of {cluster.journal.dropped} bytes dropped)" if cluster.journal.dropped else ""
        print(f"journal {cluster.journal.path}: {cluster.recovered} records recovered{dropped}" if cluster.recovered
              else f"journal {cluster.journal.path}: a new cluster", flush=True)
    print(f"serving the Kubernetes API over the model on https://{url_host}:{actual}", flush=True)
    print(f"kubeconfig: {kubeconfig}", flush=True)
    print(f"  export KUBECONFIG={kubeconfig}; kubectl get nodes", flush=True)
    if ready is not None:
        ready.set()
    try:
        while True:
            busy = cluster.tick()
            await asyncio.sleep(0 if busy else 0.05)
    finally:
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not _is_loopback(args.host):
        if not args.allow_remote:
            print(f"error: --host {args.host} is not a loopback address; pass --allow-remote to listen there "
                  "(anyone who can reach it and holds the token can change the cluster)", file=sys.stderr)
            return 2
        print(f"warning: listening on {args.host}, reachable from other machines", file=sys.stderr)
    try:
        import aiohttp  # noqa: F401
        import cryptography  # noqa: F401
    except ModuleNotFoundError as exc:
        print(f"error: 'serve' needs the Python module '{exc.name}': pip install 'kubeoracle[serve]'",
              file=sys.stderr)
        return 2

    async def run() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            if task is not None:
                loop.add_signal_handler(sig, task.cancel)
        await serve(args.host, args.port, Path(args.data_dir or DEFAULT_DIR), args.time_scale, args.nodes,
                    args.seeded_bug, persist=args.data_dir is not None)

    try:
        asyncio.run(run())
    except asyncio.CancelledError:
        pass
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
