"""Demo traffic: landed claims sent one per request to a running endpoint, as the claims system
would, until told to stop. The demo's canary needs requests to judge; nothing else uses this."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import pandas as pd
import requests

REQUEST_FIELDS = ("claim_id", "member_id", "provider_id", "amount", "procedure_code", "diagnosis_code",
                  "service_date", "submission_date", "channel")


def landed_claim_requests(landing: Path, limit: int = 5000) -> list[bytes]:
    """Request bodies (dataframe_records, one claim each) from the landed claim files."""
    frames = []
    for path in sorted((landing / "claims").glob("*.csv")):
        try:  # landing also holds the demo's malformed files: skip what does not parse
            frame = pd.read_csv(path, dtype=str, on_bad_lines="skip")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
            continue
        if set(REQUEST_FIELDS) <= set(frame.columns):
            frames.append(frame[list(REQUEST_FIELDS)])
        if sum(len(f) for f in frames) >= limit:
            break
    if not frames:
        return []
    claims = pd.concat(frames).head(limit)
    claims["amount"] = pd.to_numeric(claims["amount"], errors="coerce")
    records = claims.astype(object).where(claims.notna(), None).to_dict("records")
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
            with self._lock:
                self.statuses[status] += 1
            i += len(self._threads)
