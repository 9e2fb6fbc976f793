"""Prometheus metrics for the serving runtime, summed over its worker processes.

prometheus_client's multiprocess mode keeps each worker's values in memory-mapped files under
PROMETHEUS_MULTIPROC_DIR (set by the server before any worker starts), and `GET /metrics` in any
worker reads them all, so a scrape sees the whole server whichever worker answers it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def prepare_multiprocess_dir(path: Path) -> None:
    """A fresh directory for this server's metric files (old files would add stale counts)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(path)


class ServingMetrics:
    def __init__(self):
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("lakegate_serving_requests", "Scoring requests answered",
                                ["endpoint", "served_entity", "status"])
        self.latency = Histogram("lakegate_serving_request_latency_seconds",
                                 "Time to answer a scoring request, in the server",
                                 ["endpoint", "served_entity"], buckets=LATENCY_BUCKETS)
        self.rows = Counter("lakegate_serving_rows", "Rows scored", ["endpoint", "served_entity"])
        self.traffic = Gauge("lakegate_serving_traffic_percentage", "Configured traffic share",
                             ["endpoint", "served_entity"], multiprocess_mode="mostrecent")
        self.generation = Gauge("lakegate_serving_config_generation", "Control-plane generation a worker serves",
                                multiprocess_mode="livemin")
        self._reported: set[tuple[str, str]] = set()  # traffic series this worker has set
        self._series: dict[tuple[str, str, int], tuple] = {}  # per (endpoint, entity, status): its children
        self.auth_failures = Counter("lakegate_serving_auth_failures", "Requests refused for a missing or wrong token",
                                     ["route"])

    def observe(self, endpoint: str, entity: str, status: int, seconds: float, rows: int) -> None:
        series = self._series.get((endpoint, entity, status))
        if series is None:  # labels() takes a lock and builds a key: once per series, not per request
            series = self._series[(endpoint, entity, status)] = (
                self.requests.labels(endpoint, entity, str(status)), self.latency.labels(endpoint, entity),
                self.rows.labels(endpoint, entity))
        requests, latency, scored_rows = series
        requests.inc()
        latency.observe(seconds)
        if rows:
            scored_rows.inc(rows)

    def configured(self, generation: int, shares: dict[str, dict[str, int]]) -> None:
        """Set after every routing change: each served entity's share (0 % too), and 0 for every
        series this worker reported before that is no longer served, so the shares always sum to 100."""
        self.generation.set(generation)
        current = {(endpoint, entity): share for endpoint, by_entity in shares.items() for entity, share in by_entity.items()}
        for labels in self._reported - current.keys():
            self.traffic.labels(*labels).set(0)
        for labels, share in current.items():
            self.traffic.labels(*labels).set(share)
        self._reported |= current.keys()

    @staticmethod
    def exposition() -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)


def mark_worker_dead(pid: int) -> None:
    """Drop a stopped worker's live gauges (prometheus_client's multiprocess clean-up)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)
