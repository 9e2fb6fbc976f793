"""Inference tables as Databricks fills them for an endpoint with `auto_capture_config`: each request and
response lands in the Unity Catalog Delta table `<catalog>.<schema>.<table_name_prefix>_payload`, in the
legacy inference-table columns (one row per request, a batch request is one row).

Databricks appends in the background, minutes after the request; the emulator buffers the rows and
appends them every `flush_seconds` (and at shutdown), so a reader sees the same delay in miniature.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

LOG = logging.getLogger("databricks_emulator.payload_tables")
PAYLOAD_SCHEMA = pa.schema([
    pa.field("databricks_request_id", pa.string()),
    pa.field("client_request_id", pa.string()),
    pa.field("date", pa.date32()),
    pa.field("timestamp_ms", pa.int64()),
    pa.field("status_code", pa.int32()),
    pa.field("sampling_fraction", pa.float64()),
    pa.field("execution_time_ms", pa.int64()),
    pa.field("request", pa.string()),
    pa.field("response", pa.string()),
    pa.field("request_metadata", pa.map_(pa.string(), pa.string())),  # endpoint_name, model_name, model_version
])


@dataclass(frozen=True)
class Captured:
    """One answered request of an endpoint whose config captures payloads."""

    capture: dict  # the endpoint's auto_capture_config
    endpoint: str
    entity: dict  # the served entity that answered
    request: bytes
    response: bytes | str
    status_code: int
    arrived_ms: int
    execution_ms: int


class PayloadTables:
    def __init__(self, unity_catalog_root: Path, flush_seconds: float) -> None:
        self.root, self.flush_seconds = unity_catalog_root, flush_seconds
        self._rows: dict[Path, list[dict]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="payload-tables", daemon=True)
        self._thread.start()

    def record(self, captured: Captured) -> None:
        capture = captured.capture
        if not capture.get("enabled", True):
            return
        table = self.root / capture["catalog_name"] / capture["schema_name"] / f"{capture['table_name_prefix']}_payload"
        arrived = dt.datetime.fromtimestamp(captured.arrived_ms / 1000, dt.timezone.utc)
        response = captured.response.decode("utf-8", "replace") if isinstance(captured.response, bytes) else captured.response
        row = {"databricks_request_id": str(uuid.uuid4()), "client_request_id": None, "date": arrived.date(),
               "timestamp_ms": captured.arrived_ms, "status_code": captured.status_code, "sampling_fraction": 1.0,
               "execution_time_ms": captured.execution_ms, "request": captured.request.decode("utf-8", "replace"),
               "response": response,
               "request_metadata": [("endpoint_name", captured.endpoint),
                                    ("model_name", captured.entity["entity_name"]),
                                    ("model_version", str(captured.entity["entity_version"]))]}
        with self._lock:
            self._rows.setdefault(table, []).append(row)

    def flush(self) -> None:
        with self._lock:
            pending, self._rows = self._rows, {}
        for table, rows in pending.items():
            try:
                table.parent.mkdir(parents=True, exist_ok=True)
                write_deltalake(str(table), pa.Table.from_pylist(rows, schema=PAYLOAD_SCHEMA), mode="append")
            except Exception:  # Databricks marks the capture FAILED and keeps serving; so does the emulator
                LOG.exception("payload table %s: %d rows not written", table, len(rows))

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.flush()
