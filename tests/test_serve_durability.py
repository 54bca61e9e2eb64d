"""Nothing acknowledged is lost: 16 clients write, the server is SIGKILLed mid-stream and restarted from its
data directory; every acknowledged write is there, nothing is half-applied, a torn last record is dropped."""

from __future__ import annotations

import threading
from pathlib import Path

from serving import Server, need_serve_deps, start

from conformance.serve.journal import Journal, read_records

NS = "/api/v1/namespaces/default"


def test_journal_drops_a_torn_last_record(tmp_path: Path) -> None:
    path = tmp_path / "journal.log"
    j = Journal(path)
    j.append({"puts": [], "n": 1})
    j.append({"puts": [], "n": 2})
    j.close()
    whole = path.read_bytes()
    for torn in (whole[:-5], whole + b"0badc0de {\"puts\":", whole + b"zz", whole[:-1] + b"x\n"):
        path.write_bytes(torn)
        records, _good, dropped = read_records(path)
        assert [r["n"] for r in records] in ([1], [1, 2]) and dropped > 0, (torn, records, dropped)
        j = Journal(path)
        assert j.dropped == dropped and path.stat().st_size == _good  # truncated to the intact records
        j.close()


def test_sigkill_mid_stream_loses_no_acknowledged_write(tmp_path: Path) -> None:
    need_serve_deps()
    acked: dict[str, str] = {}
    lock = threading.Lock()
    gen = start(tmp_path)
    server: Server = next(gen)
    try:
        stop = threading.Event()

        def client(k: int) -> None:
            i = 0
            while not stop.is_set():
                name = f"c{k}-{i}"
                try:
                    code, _ = server.call("POST", f"{NS}/configmaps", {
                        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
                        "data": {"client": str(k), "seq": str(i), "payload": "x" * 200}}, timeout=10)
                except OSError:
                    return  # the server is gone: this write was never acknowledged
                if code == 201:
                    with lock:
                        acked[name] = str(i)
                i += 1

        threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        server.wait_for("some acknowledged writes", lambda: len(acked) >= 40, timeout=120)
        server.proc.kill()  # SIGKILL, mid-stream
        server.proc.wait()
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        gen.close()
    journal = tmp_path / "journal.log"
    with journal.open("ab") as f:
        f.write(b'0badc0de {"rv": 99999999, "puts": [["ConfigMap", "default", "torn"')  # a torn record
    again = start(tmp_path)
    server = next(again)
    try:
        code, listed = server.call("GET", f"{NS}/configmaps")
        assert code == 200
        stored = {o["metadata"]["name"]: o for o in listed["items"]}
        lost = sorted(set(acked) - set(stored))
        assert not lost, f"{len(lost)} acknowledged write(s) missing after SIGKILL and restart: {lost[:10]}"
        for name, obj in stored.items():
            if name.startswith("c"):  # whole objects only: every field the client sent, nothing else
                k, i = name[1:].split("-")
                assert obj["data"] == {"client": k, "seq": i, "payload": "x" * 200}, obj
        assert "torn" not in stored
        rvs = [int(o["metadata"]["resourceVersion"]) for o in stored.values()]
        assert len(set(rvs)) == len(rvs) and int(listed["metadata"]["resourceVersion"]) >= max(rvs)
        # the restarted server goes on: new writes get newer resourceVersions, controllers run
        code, created = server.call("POST", f"{NS}/configmaps", {"apiVersion": "v1", "kind": "ConfigMap",
                                                                 "metadata": {"name": "after"}})
        assert code == 201 and int(created["metadata"]["resourceVersion"]) > max(rvs), created
        log = (tmp_path / "server.log").read_text()
        assert "Traceback" not in log, log[-2000:]
    finally:
        again.close()
