"""Reconciliation: a run whose actual differs from its pre-flight estimate by more than the
environment's `cost.reconciliation_tolerance` (|actual - estimate| / estimate) is flagged.

Each run is judged once its actual is in; a new actual (more billing records landed) clears the
verdict, so it is judged again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Discrepancy:
    run_key: str
    asset_key: str
    estimate_usd: float
    actual_usd: float
    estimate_error: float  # (actual - estimate) / estimate: +0.8 is 80 % over the estimate

    def describe(self) -> str:
        return (f"{self.asset_key} ({self.run_key}): estimated {self.estimate_usd:.4f} USD, "
                f"actual {self.actual_usd:.4f} USD ({self.estimate_error:+.0%})")


def estimate_error(estimate_usd: float, actual_usd: float) -> float:
    """(actual - estimate) / estimate; an estimate of 0 with a cost is infinitely off."""
    if estimate_usd == 0:
        return 0.0 if actual_usd == 0 else math.inf
    return (actual_usd - estimate_usd) / estimate_usd


def unreconciled(rows: Iterable[dict]) -> list[dict]:
    """Rows with an estimate and an actual that no reconciliation has judged yet."""
    return [r for r in rows if r["estimate_usd"] is not None and r["actual_usd"] is not None and r["reconciled_at"] is None]


def reconcile(rows: Iterable[dict], tolerance: float) -> tuple[dict[str, tuple[float, bool]], list[Discrepancy]]:
    """({run_key: (estimate error, flagged)} for every row judged, the flagged ones)."""
    verdicts, flagged = {}, []
    for row in unreconciled(rows):
        error = estimate_error(row["estimate_usd"], row["actual_usd"])
        off = abs(error) > tolerance
        verdicts[row["run_key"]] = (error, off)
        if off:
            flagged.append(Discrepancy(row["run_key"], row["asset_key"], row["estimate_usd"], row["actual_usd"], error))
    return verdicts, flagged
