"""Callers of a Model Serving endpoint: threads querying it through databricks-sdk until stopped, each
answer kept (served entity from the `served-model-name` header, status, latency, predictions)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from databricks.sdk.errors import DatabricksError


@dataclass
class EndpointLoad:
    emulator: object  # tests.emulator.conftest.RunningEmulator
    endpoint: str
    records: list[dict]  # the body's dataframe_records
    threads: int = 3
    rows: list[dict] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> "EndpointLoad":
        self._workers = [threading.Thread(target=self._send, daemon=True) for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(30)

    def _send(self) -> None:
        client = self.emulator.client()  # one WorkspaceClient per thread
        while not self._stop.is_set():
            started = time.time()
            try:
                answer = client.serving_endpoints.query(self.endpoint, dataframe_records=self.records)
                row = {"served_entity": answer.served_model_name, "status_code": 200,
                       "scores": [float(p) for p in answer.predictions]}
            except DatabricksError as error:
                row = {"served_entity": None, "status_code": getattr(error, "status_code", None) or 500, "scores": None,
                       "error": str(error)}
            except Exception as error:  # noqa: BLE001 - a request that never got an answer is a failure too
                row = {"served_entity": None, "status_code": None, "scores": None, "error": repr(error)}
            self.rows.append({**row, "timestamp": started, "latency_ms": (time.time() - started) * 1000})

    def failed(self) -> list[dict]:
        return [row for row in self.rows if row["status_code"] != 200]
