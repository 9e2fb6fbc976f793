"""The live stop: while a Databricks run is polled, its cost so far is projected from elapsed time ×
burn rate, one poll ahead; when that crosses the run's limit (its cap, or the budget left) the run
is cancelled through the API. Billing data lands hours later, so it cannot be what stops a run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class LiveStop:
    usd_per_hour: float  # the cluster's burn rate from the rate card
    limit_usd: float
    limit_reason: str
    poll_seconds: float  # the next look comes this much later: stop if the cost would cross by then
    started: float = field(default_factory=time.monotonic)

    def projected_usd(self, now: float | None = None) -> float:
        elapsed = (time.monotonic() if now is None else now) - self.started
        return (elapsed + self.poll_seconds) * self.usd_per_hour / 3600.0

    def verdict(self, now: float | None = None) -> str | None:
        """Why the run must stop now, or None."""
        projected = self.projected_usd(now)
        if projected < self.limit_usd:
            return None
        return (f"projected cost ${projected:.4f} (elapsed time × ${self.usd_per_hour:.2f}/h, one poll ahead) "
                f"crosses {self.limit_reason} (${self.limit_usd:.4f})")
