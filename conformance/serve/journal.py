"""The served cluster's write-ahead journal: every committed change, durable before the reply.

**Mirrors:** what etcd gives kube-apiserver (``go.etcd.io/etcd/server/storage/wal``: a record is
appended and fsynced before the write is acknowledged; every record carries a CRC, and a torn last
record, left by a crash in the middle of a write, is detected and dropped on recovery, never half
applied) and a controller-manager restart (``client-go`` informers list everything again: every
controller resyncs every object).
**Modelled:** one line per commit: ``<crc32 hex> <json>``, the JSON holding the resourceVersion, the
model's clock, its uid and IP counters and the objects written (``[kind, namespace, name, object or
null]``); the first record holds the whole initial cluster. Recovery reads records up to the first
one whose CRC or JSON does not check, truncates the file there, and rebuilds the state by storing
each record's objects in order.
**Not modelled (and why):** compaction (the journal grows with the writes; a development server's
lifetime is short), the controllers' in-memory timers and injected environment facts (they are
rebuilt by the resync, or were never reachable over HTTP).
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import IO, Any

__all__ = ["Journal", "read_records"]


def _line(record: dict[str, Any]) -> bytes:
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    data = text.encode("utf-8")
    return f"{zlib.crc32(data):08x} ".encode("ascii") + data + b"\n"


def read_records(path: Path) -> tuple[list[dict[str, Any]], int, int]:
    """The intact records, the byte length they span, and how many bytes after them were dropped."""
    if not path.exists():
        return [], 0, 0
    raw = path.read_bytes()
    records: list[dict[str, Any]] = []
    good = 0
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        if end < 0:
            break  # a torn last record: no newline
        line = raw[pos:end]
        if len(line) < 10 or line[8:9] != b" ":
            break
        try:
            crc = int(line[:8], 16)
        except ValueError:
            break
        data = line[9:]
        if zlib.crc32(data) != crc:
            break
        try:
            record = json.loads(data)
        except ValueError:
            break
        records.append(record)
        pos = end + 1
        good = pos
    return records, good, len(raw) - good


class Journal:
    """An append-only file of records; :meth:`append` with ``sync`` returns once the record is on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records, good, self.dropped = read_records(path)
        if self.dropped:
            with open(path, "r+b") as f:
                f.truncate(good)
                f.flush()
                os.fsync(f.fileno())
        self.file: IO[bytes] = open(path, "ab")  # noqa: SIM115 (held open for the server's life)

    def append(self, record: dict[str, Any], sync: bool = True) -> None:
        self.file.write(_line(record))
        self.file.flush()
        if sync:
            os.fsync(self.file.fileno())

    def close(self) -> None:
        self.file.close()
