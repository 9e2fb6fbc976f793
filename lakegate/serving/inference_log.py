"""The inference table: every answer lands once in `<catalog>.serving.<endpoint>_inference_log`.

Workers never touch Delta. `InferenceLogger.log()` makes the record safe (valid UTF-8, plain JSON)
and appends it to the worker's open spool segment before the answer is sent (inference_spool.py):
a crash of the worker, its supervisor or the whole server loses no answered request, and a power
cut at most the last `sync_interval` (20 ms) of them. `drain_spool()` (inference_drain.py), run by
the supervisor, appends the sealed files to Delta in one commit per endpoint and deletes them; the
commit names its files, so a drain that dies between the commit and the deletes appends nothing
twice.

Spool files are JSON Lines rather than Arrow IPC: the worker only runs `json.dumps`, on-call can
read a stuck spool with `cat`, a bad line can be set aside alone, and the typed conversion happens
once, in the drainer, against INFERENCE_LOG_SCHEMA.
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import datetime as dt
import itertools
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Sequence

import orjson
import pyarrow as pa

from lakegate.names import split_three_level
from lakegate.serving.inference_spool import Segment

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
        pa.field("response", pa.string()),  # the body; for an error its code and message, no caller data
        pa.field("scores", pa.list_(pa.float64())),  # review probabilities
        pa.field("record_keys", pa.list_(pa.string())),  # e.g. claim ids
    ]
)

# Databricks endpoint names allow '-', table names here do not: '-' maps to '_'. Upper case is
# refused rather than folded, so two endpoints can only share a table through '-' versus '_'.
_ENDPOINT = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LOCK_FILE = ".drain.lock"
_UNREADABLE_DIR = "unreadable"
_LOCK_WAIT = 0.005  # seconds log() waits for the writer thread before leaving a record to it
_RECENT_COMMITS = 20  # drains recover before they append, so one would do; the rest is for OPTIMIZE and the like


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
    """Writes one worker process's records to its spool segments (see inference_spool.py).

    Create it in the worker, after any fork (threads do not survive a fork). Call close() on
    shutdown (the server's SIGTERM path); it is also registered with atexit.
    """

    def __init__(
        self,
        spool_dir: Path | str,
        endpoint: str,
        seal_interval: float = 1.0,
        max_batch: int = 1000,
        sync_interval: float = 0.02,
        close_timeout: float = 5.0,
    ):
        _check_endpoint(endpoint)
        self.directory = Path(spool_dir) / endpoint
        self.seal_interval = seal_interval
        self.max_batch = max_batch
        self.sync_interval = sync_interval
        self.close_timeout = close_timeout
        self._lock = threading.Lock()
        self._segment: Segment | None = None
        # Records a failed write, or a writer thread busy retrying one, left in memory (thread-safe deque).
        self._unwritten: collections.deque[bytes] = collections.deque()
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
        """Write the record to the open segment; on a failing disk keep it in memory (never raises)."""
        line = to_json_line(record).encode("utf-8")
        if self._failing or not self._lock.acquire(timeout=_LOCK_WAIT):  # the thread retries a failing disk
            self._unwritten.append(line)
            return
        try:
            if self._unwritten:  # the disk failed: the thread retries, in order
                self._unwritten.append(line)
            else:
                self._write([line])
            if self._closed:  # shutdown has begun and the thread is gone: seal it here
                self._seal_current()
        finally:
            self._lock.release()

    def close(self) -> None:
        """Stop the thread, seal the open segment and write what a failing disk held back. Idempotent."""
        if self._closed:
            return
        self._stop = True
        self._thread.join()
        deadline = time.monotonic() + self.close_timeout
        with self._lock:
            self._closed = True
            while self._unwritten and not self._write(self._take_unwritten()) and time.monotonic() < deadline:
                time.sleep(self.sync_interval)
            self._seal_current()
            if self._unwritten:
                log.error("inference log: %d records for %s could not be written before shutdown",
                          len(self._unwritten), self.directory)
        atexit.unregister(self.close)

    def _run(self) -> None:
        while not self._stop:
            time.sleep(self.sync_interval)
            try:
                self._tick()
            except Exception:  # noqa: BLE001 - a dead thread would stop syncing and sealing
                log.exception("inference log: writer tick failed for %s", self.directory)

    def _tick(self) -> None:
        with self._lock:
            if self._unwritten:
                self._write(self._take_unwritten())
            segment = self._segment
            due = segment is not None and (segment.records >= self.max_batch
                                           or time.monotonic() - segment.opened >= self.seal_interval)
            if due:
                self._segment = None  # the next record opens a new segment
        if segment is None:
            return
        if due:
            segment.seal()
        else:
            segment.sync()

    def _write(self, lines: list[bytes]) -> bool:
        """Append lines (lock held); on an error keep the rest in memory. True when all were written."""
        for i, line in enumerate(lines):
            try:
                if self._segment is None:
                    self._segment = Segment(self.directory, next(self._seq))
                self._segment.write(line)
            except OSError as exc:
                if not self._failing:  # once per outage; the message names no record content
                    log.warning("inference log: cannot write to %s (%s); %d records kept, retrying",
                                self.directory, exc, len(lines) - i)
                self._failing = True
                self._unwritten.extendleft(reversed(lines[i:]))
                self._abandon_segment()
                return False
        if self._failing:
            log.warning("inference log: writes to %s work again", self.directory)
            self._failing = False
        return True

    def _take_unwritten(self) -> list[bytes]:
        lines = []
        while self._unwritten:
            lines.append(self._unwritten.popleft())
        return lines

    def _abandon_segment(self) -> None:
        """After a failed write: seal what the segment holds whole and start a new one next time."""
        segment, self._segment = self._segment, None
        if segment is not None:
            with contextlib.suppress(OSError):
                segment.seal()

    def _seal_current(self) -> None:
        segment, self._segment = self._segment, None
        if segment is not None:
            segment.seal()


def to_json_line(record: InferenceRecord) -> str:
    """One JSON line that the drain can always read: text made valid UTF-8, odd values made plain."""
    row = {name: _valid_text(getattr(record, name)) for name in _FIELDS}
    row["timestamp"] = record.timestamp.isoformat()
    for name in ("scores", "record_keys"):
        if row[name] is not None:
            row[name] = [_valid_text(v) for v in row[name]]
    try:  # orjson: a fifth of json's cost on the request path; NaN is written as null
        return orjson.dumps(row, default=json_default).decode() + "\n"
    except (TypeError, ValueError):  # a circular or unprintable value: keep the answer, not its detail
        for name in ("features", "response", "scores", "record_keys"):
            row[name] = None
        row["error_code"] = row["error_code"] or "LOG_RECORD_UNSERIALIZABLE"
        return json.dumps(row, separators=(",", ":"), default=str) + "\n"


def _valid_text(value):
    """A lone UTF-16 surrogate (a JSON escape such as \\ud800) cannot be written as UTF-8: replace it."""
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace").decode("utf-8")
    return value


def json_default(value):
    """JSON for what JSON has no type for: a numpy scalar's value, else the value's text."""
    item = getattr(value, "item", None)  # numpy scalars
    return item() if callable(item) else str(value)


def _check_endpoint(endpoint: str) -> None:
    if not isinstance(endpoint, str) or not _ENDPOINT.match(endpoint):
        raise ValueError(
            f"endpoint name {endpoint!r} must start with a lower-case letter and hold only "
            "lower-case letters, digits, '-' and '_' (at most 63 characters)"
        )
