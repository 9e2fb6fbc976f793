"""Demo traffic: landed records sent one per request to a running endpoint, as the caller's system
would, until told to stop. The demo's canary needs requests to judge; nothing else uses this. Which
landed records make a use case's requests is the use case's own declaration
(ml_assets/features/request_samples.py)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pandas as pd
import requests

# A caller whose request got no answer (connection refused, timeout) waits this long before the next,
# as a client with a retry policy does. Without it, four threads retried a dead port about 1,300
# times a second and took a core from the server restarting on it (the rollback drill's recovery).
RETRY_PAUSE_SECONDS = 0.05


def landed_requests(landing: Path, source: str, fields: tuple[str, ...], numbers: tuple[str, ...] = (),
                    limit: int = 5000) -> list[bytes]:
    """Request bodies (dataframe_records, one landed row each) of `fields` from `landing/<source>/`;
    `numbers` are sent as JSON numbers (what does not parse as one, as null)."""
    frames = []
    for path in sorted((landing / source).glob("*.csv")):
        try:  # landing also holds the demo's malformed files: skip what does not parse
            frame = pd.read_csv(path, dtype=str, on_bad_lines="skip")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
            continue
        if set(fields) <= set(frame.columns):
            frames.append(frame[list(fields)])
        if sum(len(f) for f in frames) >= limit:
            break
    if not frames:
        return []
    rows = pd.concat(frames).head(limit)
    for column in numbers:
        rows[column] = pd.to_numeric(rows[column], errors="coerce")
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    return [json.dumps({"dataframe_records": [r]}).encode() for r in records]


class Replay:
    """Threads that post the bodies round-robin; `stop()` returns status counts."""

    def __init__(self, url: str, endpoint: str, token: str, bodies: list[bytes], concurrency: int = 4):
        self.url = f"{url.rstrip('/')}/serving-endpoints/{endpoint}/invocations"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.bodies = bodies
        self.statuses: Counter = Counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(concurrency)]

    def start(self) -> "Replay":
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> Counter:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        return self.statuses

    def _run(self, offset: int) -> None:
        session = requests.Session()
        i = offset
        while not self._stop.is_set():
            try:
                status = session.post(self.url, data=self.bodies[i % len(self.bodies)], headers=self.headers,
                                      timeout=10).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
                self._stop.wait(RETRY_PAUSE_SECONDS)
            with self._lock:
                self.statuses[status] += 1
            i += len(self._threads)
