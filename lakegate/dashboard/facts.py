"""What the dashboard is told about each use case. The core knows no use case: the CLI (lakegate/cli/
dashboard_facts.py) builds these from the use-case specs, policies and the Dagster instance, and the
dashboard reads everything else itself (metric tables, ledger, registry, endpoints)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Limits:
    """The monitoring policy's limits a chart draws as rules (warn: advisory, error: acts)."""

    policy_version: str
    judged_granularity: str
    min_window_rows: int
    warn_p99_latency_ms: float
    error_p99_latency_ms: float
    warn_error_rate: float
    error_error_rate: float
    warn_min_precision: float
    error_min_precision: float
    warn_min_recall: float
    error_min_recall: float
    psi_bands: tuple[float, float]
    max_js_distance: float
    alpha: float


@dataclass(frozen=True)
class CheckResult:
    """The latest evaluation of one asset check, as the Dagster instance stored it."""

    asset: str
    check: str
    passed: bool
    severity: str
    time: float | None  # epoch seconds
    description: str = ""


@dataclass(frozen=True)
class QuarantineSource:
    source: str
    silver_table: str
    quarantine_table: str


@dataclass(frozen=True)
class ModelFacts:
    use_case: str
    description: str
    endpoint: str
    models: dict[str, str]  # catalog → registered model name (dev, test, prod)
    catalog: str  # where the monitor's and serving's tables live
    tables: tuple[str, ...]  # every table the use case's pipeline writes or reads, for freshness
    quarantine: tuple[QuarantineSource, ...]
    limits: Limits | None  # None when the use case has no monitoring policy for this environment
    checks: tuple[CheckResult, ...] = ()  # the pipeline's tables' checks
    monitor_verdicts: tuple[dict, ...] = ()  # MonitorVerdict.to_dict() of each monitor check's last evaluation
    outputs: tuple[str, ...] = ()  # the model's output columns the monitor profiles beside its inputs

    @property
    def prod_model(self) -> str:
        return self.models["prod"]


# Called on every page request, so a page shows the instance as it is now, not as it was at start.
FactsSource = Callable[[], list[ModelFacts]]
