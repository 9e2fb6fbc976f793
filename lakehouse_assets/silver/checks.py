"""Silver's asset checks, by name, and their results from one build: each expectation's counts (WARN: the
action already handled the rows; ERROR for a fail action), row conservation (ERROR) and the
quarantine share against the environment's policy (WARN)."""

from __future__ import annotations

from lakegate.steps import StepCheck
from lakehouse_assets.silver.build import SilverResult

SILVER_ROW_CONSERVATION = "silver_row_conservation"
QUARANTINE_SHARE = "quarantine_share_within_policy"


def expectation_check_name(expectation_name: str) -> str:
    return f"expect_{expectation_name}"


def silver_checks(result: SilverResult, max_share: float) -> tuple[StepCheck, ...]:
    checks = [StepCheck(expectation_check_name(r.expectation.name), r.failed_rows == 0,
                        "ERROR" if r.expectation.action == "fail" else "WARN",
                        {"action": r.expectation.action, "expression": r.expectation.sql,
                         "failed_rows": r.failed_rows, "total_rows": r.total_rows})
              for r in result.expectations]
    accounted = result.silver_rows + result.quarantined_rows + result.superseded_rows
    checks.append(StepCheck(SILVER_ROW_CONSERVATION, accounted == result.bronze_rows, "ERROR",
                            {"bronze_rows": result.bronze_rows, "silver_rows": result.silver_rows,
                             "quarantined_rows": result.quarantined_rows, "superseded_rows": result.superseded_rows}))
    share = result.quarantined_rows / result.bronze_rows if result.bronze_rows else 0.0
    checks.append(StepCheck(QUARANTINE_SHARE, share <= max_share, "WARN",
                            {"quarantine_share": round(share, 5), "max_quarantine_share": max_share}))
    return tuple(checks)
