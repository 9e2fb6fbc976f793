"""The inference table: every answered request lands once in `<catalog>.serving.<endpoint>_inference_log`.

Workers never touch Delta. `InferenceLogger.log()` only appends to an in-memory queue; a daemon
thread writes the queue to spool files (`<spool_dir>/<endpoint>/<pid>-<seq>-<uuid>.jsonl`), each
written under a temporary name, fsync'd, then renamed, so a file with that name is always complete.
`drain_spool()` (inference_drain.py), run by one process, appends the complete files to Delta in one commit per
endpoint and then deletes them. The commit names its files (commit info `lakegate.files`, as bronze
does): if a drain dies between the commit and the deletes, the next drain finds the names in the
recent commits and deletes the files without appending them again.

Spool files are JSON Lines rather than Arrow IPC: the worker's thread only runs `json.dumps`
(no Arrow builders in every worker), on-call can read a stuck spool with `cat`, and the typed
conversion happens once, in the drainer, against INFERENCE_LOG_SCHEMA.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import datetime as dt
import itertools
import json
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Sequence

import pyarrow as pa

from lakegate.names import split_three_level

log = logging.getLogger(__name__)

INFERENCE_LOG_SCHEMA = pa.schema(
    [
        pa.field("request_id", pa.string(), nullable=False),
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("date", pa.date32()),  # UTC date of timestamp, for partition-style filters
        pa.field("endpoint", pa.string()),
        pa.field("served_entity", pa.string()),
        pa.field("model_name", pa.string()),
        pa.field("model_version", pa.string()),
        pa.field("status_code", pa.int32()),
        pa.field("error_code", pa.string()),
        pa.field("latency_ms", pa.float64()),
        pa.field("n_rows", pa.int32()),
        pa.field("features", pa.string()),  # JSON {"columns": [...], "data": [[...]]}: the input used
        pa.field("response", pa.string()),  # the response body text
        pa.field("scores", pa.list_(pa.float64())),  # review probabilities
        pa.field("record_keys", pa.list_(pa.string())),  # e.g. claim ids
    ]
)

# Databricks endpoint names allow '-', table names here do not: '-' maps to '_'. Upper case is
# refused rather than folded, so two endpoints can only share a table through '-' versus '_'.
_ENDPOINT = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_SPOOL_FILE = re.compile(r"^\d+-\d+-[0-9a-f]{32}\.jsonl$")
_LOCK_FILE = ".drain.lock"
_UNREADABLE_DIR = "unreadable"
_RECENT_COMMITS = 20  # drains recover before they append, so one would do; the rest is for OPTIMIZE and the like
_POLL_SECONDS = 0.05


@dataclass(frozen=True, kw_only=True)
class InferenceRecord:
    """One answered request; `date` is derived from `timestamp` when the row is written."""

    request_id: str
    timestamp: dt.datetime  # timezone-aware
    endpoint: str
    served_entity: str | None
    model_name: str | None
    model_version: str | None
    status_code: int
    error_code: str | None = None
    latency_ms: float
    n_rows: int
    features: str | None = None
    response: str | None = None
    scores: Sequence[float] | None = None
    record_keys: Sequence[str] | None = None

    def __post_init__(self):
        # Checked here, in the caller, because a bad record found by the writer thread can only be dropped.
        if not isinstance(self.request_id, str) or not self.request_id:
            raise ValueError("request_id must be a non-empty string")
        if not isinstance(self.timestamp, dt.datetime) or self.timestamp.tzinfo is None:
            raise ValueError("timestamp must be a timezone-aware datetime")


_FIELDS = tuple(f.name for f in fields(InferenceRecord))


def inference_table_name(catalog: str, endpoint: str) -> str:
    """`<catalog>.serving.<endpoint>_inference_log`, with '-' in the endpoint name mapped to '_'."""
    _check_endpoint(endpoint)
    name = f"{catalog}.serving.{endpoint.replace('-', '_')}_inference_log"
    split_three_level(name, "table")  # the catalog must be one of ours
    return name


class InferenceLogger:
    """Queues one worker process's records and spools them from a background thread.

    Create it in the worker, after any fork (threads do not survive a fork). Call close() on
    shutdown (the server's SIGTERM path); it is also registered with atexit.
    """

    def __init__(
        self,
        spool_dir: Path | str,
        endpoint: str,
        flush_interval: float = 0.25,
        max_batch: int = 1000,
        close_timeout: float = 5.0,
    ):
        _check_endpoint(endpoint)
        self.directory = Path(spool_dir) / endpoint
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.close_timeout = close_timeout
        self._pending: collections.deque[InferenceRecord] = collections.deque()  # append/popleft are thread-safe
        self._unwritten: list[str] = []  # JSON lines taken from _pending, not yet in a file
        self._write_lock = threading.Lock()
        self._seq = itertools.count(1)
        self._failing = False
        self._stop = False
        self._closed = False
        # The thread polls instead of waiting on an Event: close() may run in a signal handler that
        # interrupted the main thread inside Event.set(), holding the lock the writer would need.
        self._thread = threading.Thread(target=self._run, name=f"inference-log-{endpoint}", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def log(self, record: InferenceRecord) -> None:
        """Queue a record; never blocks on I/O while the logger is open."""
        self._pending.append(record)
        if self._closed:  # shutdown has begun and the writer is gone: write it here
            self._flush_until(time.monotonic() + self.close_timeout)

    def close(self) -> None:
        """Stop the writer and write everything still queued (retrying up to close_timeout). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._stop = True
        self._thread.join()
        if not self._flush_until(time.monotonic() + self.close_timeout):
            left = len(self._pending) + len(self._unwritten)
            log.error("inference log: %d records for %s could not be written before shutdown", left, self.directory)
        atexit.unregister(self.close)

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop:
            time.sleep(_POLL_SECONDS)
            if len(self._pending) >= self.max_batch or time.monotonic() - last >= self.flush_interval:
                try:
                    self._flush()
                except Exception:  # noqa: BLE001 - a dead writer would lose every later record
                    log.exception("inference log: writer tick failed for %s", self.directory)
                last = time.monotonic()

    def _flush_until(self, deadline: float) -> bool:
        while not self._flush():
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_SECONDS)
        return True

    def _flush(self) -> bool:
        """Write what is queued, max_batch records a file; False (records kept) when a write fails."""
        with self._write_lock:
            self._take_pending()
            while self._unwritten:
                chunk = self._unwritten[: self.max_batch]
                try:
                    write_spool_file(self.directory, chunk, next(self._seq))
                except Exception as exc:  # noqa: BLE001 - the request path must outlive any write error
                    if not self._failing:  # once per outage; the message names no record content
                        reason = exc if isinstance(exc, OSError) else type(exc).__name__
                        log.warning("inference log: cannot write to %s (%s); %d records kept, retrying",
                                    self.directory, reason, len(self._unwritten))
                    self._failing = True
                    return False
                del self._unwritten[: len(chunk)]
            if self._failing:
                log.warning("inference log: writes to %s work again", self.directory)
                self._failing = False
            return True

    def _take_pending(self) -> None:
        dropped, reason = 0, ""
        while self._pending:
            try:
                self._unwritten.append(to_json_line(self._pending.popleft()))
            except (TypeError, ValueError) as exc:  # never writable: retrying would block the rest
                dropped += 1
                reason = type(exc).__name__
        if dropped:
            log.error("inference log: dropped %d records that are not JSON-serializable (%s)", dropped, reason)


def to_json_line(record: InferenceRecord) -> str:
    row = {name: getattr(record, name) for name in _FIELDS}
    row["timestamp"] = record.timestamp.isoformat()
    for name in ("scores", "record_keys"):
        if row[name] is not None:
            row[name] = list(row[name])
    return json.dumps(row, separators=(",", ":")) + "\n"


def write_spool_file(directory: Path, lines: list[str], seq: int) -> Path:
    """Write lines to a new spool file: temp name, fsync, rename. Only the final name is ever drained."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{os.getpid()}-{seq:012d}-{uuid.uuid4().hex}.jsonl"
    final, temp = directory / name, directory / f".{name}.tmp"
    try:
        with open(temp, "w", encoding="utf-8") as f:
            f.write("".join(lines))
            f.flush()
            os.fsync(f.fileno())
        os.rename(temp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    # After the rename the records are written: a failure here must not make the caller write them again.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename itself survives a power cut
        finally:
            os.close(fd)
    return final


def _check_endpoint(endpoint: str) -> None:
    if not isinstance(endpoint, str) or not _ENDPOINT.match(endpoint):
        raise ValueError(
            f"endpoint name {endpoint!r} must start with a lower-case letter and hold only "
            "lower-case letters, digits, '-' and '_' (at most 63 characters)"
        )
