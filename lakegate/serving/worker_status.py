"""Where each serving worker reports what it serves: `serving/workers/<pid>.json`, written by its
routing table (routing.py), read by `endpoint status`, the admin API, the deployment's wait, process
hygiene and whoever starts a server and waits for its workers (process.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path


def workers_dir(home: Path) -> Path:
    return home / "serving" / "workers"


def status_path(home: Path, pid: int) -> Path:
    return workers_dir(home) / f"{pid}.json"


def worker_states(home: Path) -> list[dict]:
    """Status of the live workers (files of dead ones are ignored)."""
    states = []
    for path in sorted(workers_dir(home).glob("*.json")):
        try:
            doc = json.loads(path.read_text())
            os.kill(int(doc["pid"]), 0)
        except (OSError, ValueError, KeyError):
            continue
        states.append(doc)
    return states
