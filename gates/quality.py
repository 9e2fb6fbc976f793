"""Data-quality gate: the data the candidate learned from passed its checks, within policy.

- Every ERROR-severity check among the results passed, and every check the policy requires
  ("asset/key:check") is among them and passed: a required check that did not run is a failure.
- Each table the policy lists reported its quarantine share (quarantined / bronze rows), and the
  share is at most the table's maximum. Tables the policy does not list are shown, not judged.
- WARN-severity checks that did not pass are reported in `measured`; they do not block.
"""

from __future__ import annotations

import math
from typing import Any

from gates.policy import QUALITY, GateInputError, PromotionPolicy, run_gate
from gates.verdict import GateVerdict

GATE = QUALITY
SEVERITIES = ("ERROR", "WARN")


def quality_gate(check_results: list[dict], quarantine_shares: dict[str, float], policy: PromotionPolicy) -> GateVerdict:
    """check_results: one dict per asset-check evaluation, {asset, check, passed, severity, metadata}
    (asset as "silver/claims", severity "ERROR" or "WARN" or a dagster AssetCheckSeverity);
    quarantine_shares: silver table ("silver.claims") → share of its bronze rows quarantined."""
    return run_gate(GATE, policy, _evaluate, check_results, quarantine_shares)


def _check(result: Any, position: int) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise GateInputError(f"check result #{position} is not a mapping: {result!r}")
    missing = [k for k in ("asset", "check", "passed", "severity") if k not in result]
    if missing:
        raise GateInputError(f"check result #{position} lacks {', '.join(missing)}")
    severity = str(getattr(result["severity"], "value", result["severity"])).upper()
    if severity not in SEVERITIES:
        raise GateInputError(f"check result #{position} ({result['asset']}:{result['check']}) has severity {result['severity']!r}")
    if not isinstance(result["passed"], bool):
        raise GateInputError(f"check result #{position} ({result['asset']}:{result['check']}) has passed={result['passed']!r}, not a boolean")
    return {"name": f"{result['asset']}:{result['check']}", "passed": result["passed"], "severity": severity}


def _share(table: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or not 0.0 <= value <= 1.0:
        raise GateInputError(f"quarantine share of {table} must be a number between 0 and 1, got {value!r}")
    return float(value)


def _evaluate(check_results, quarantine_shares, policy: PromotionPolicy) -> GateVerdict:
    q = policy.quality
    if check_results is None:
        raise GateInputError("no check results (None)")
    if quarantine_shares is None:
        raise GateInputError("no quarantine shares (None)")
    if not isinstance(quarantine_shares, dict):
        raise GateInputError(f"quarantine shares must be a mapping of table to share, got {type(quarantine_shares).__name__}")
    checks = [_check(r, i) for i, r in enumerate(check_results)]
    if not checks:
        raise GateInputError("no check results: nothing was checked")
    shares = {str(t): _share(str(t), v) for t, v in quarantine_shares.items()}

    # The same check may be reported more than once (re-runs): every evaluation must have passed.
    outcome: dict[str, bool] = {}
    for c in checks:
        outcome[c["name"]] = outcome.get(c["name"], True) and c["passed"]
    failed_error = sorted({c["name"] for c in checks if c["severity"] == "ERROR" and not c["passed"]})
    failed_warn = sorted({c["name"] for c in checks if c["severity"] == "WARN" and not c["passed"]})
    missing_required = [name for name in q.required_checks if name not in outcome]
    failed_required = [name for name in q.required_checks if name in outcome and not outcome[name]]
    missing_tables = [t for t in q.max_quarantine_share if t not in shares]
    over = {t: shares[t] for t, limit in q.max_quarantine_share.items() if t in shares and shares[t] > limit}

    measured = {
        "checks": len(checks),
        "error_checks": sum(1 for c in checks if c["severity"] == "ERROR"),
        "failed_error_checks": failed_error,
        "failed_warn_checks": failed_warn,
        "missing_required_checks": missing_required,
        "quarantine_shares": {t: round(v, 6) for t, v in sorted(shares.items())},
        "tables_not_in_policy": sorted(set(shares) - set(q.max_quarantine_share)),
    }
    problems = []
    if failed_error or failed_required:
        problems.append(f"ERROR checks did not pass: {', '.join(sorted(set(failed_error) | set(failed_required)))}")
    if missing_required:
        problems.append(f"required checks have no result: {', '.join(missing_required)}")
    if missing_tables:
        problems.append(f"no quarantine share reported for {', '.join(missing_tables)}")
    for table, share in over.items():
        problems.append(f"{table} quarantined {share:.2%} of its rows, above the maximum {q.max_quarantine_share[table]:.2%}")
    if problems:
        return policy.verdict(GATE, False, "; ".join(problems), measured)
    worst = max(q.max_quarantine_share, key=lambda t: shares[t])
    return policy.verdict(
        GATE, True,
        f"all {measured['error_checks']} ERROR checks passed ({len(q.required_checks)} required); quarantine shares within "
        f"policy (highest {worst} {shares[worst]:.2%}, max {q.max_quarantine_share[worst]:.2%}); "
        f"{len(failed_warn)} WARN checks did not pass (advisory)",
        measured,
    )
