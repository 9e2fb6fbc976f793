"""The pre-flight cost decision for one run: refused over budget, held for a finance approval above
the threshold, else allowed, and the limit at which the live stop cancels it (docs/cost.md).

A plain function of what was measured: the estimate, the month-to-date spend against each budget
that applies (the environment's, the use case's), the stored finance approvals and the governance
policy that says who holds the role finance. Nothing here calls Databricks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lakegate.cost.finance_approval import FINANCE_ROLE, CostRequest, FinanceApproval, dollars, launched_by
from lakegate.environment import CostConfig
from lakegate.governance.policy import GovernancePolicy

Outcome = Literal["allowed", "approved", "refused", "awaiting_approval"]


@dataclass(frozen=True)
class Budget:
    """One monthly budget that applies to the run, and what has been spent against it this month."""

    scope: str  # e.g. "environment prod", "use case claims_triage in prod"
    budget_usd: float
    spent_usd: float

    @property
    def remaining_usd(self) -> float:
        return max(self.budget_usd - self.spent_usd, 0.0)

    def describe(self) -> str:
        return (f"{self.scope}: budget ${dollars(self.budget_usd)}, spent ${dollars(self.spent_usd)} this month, "
                f"${dollars(self.remaining_usd)} left")


@dataclass(frozen=True)
class CostDecision:
    outcome: Outcome
    estimate_usd: float
    reason: str
    limit_usd: float  # the live stop cancels the run when its projected cost crosses this
    limit_reason: str
    approver: str | None = None

    @property
    def runs(self) -> bool:
        return self.outcome in ("allowed", "approved")


def budgets_for(cost: CostConfig, environment: str, use_case: str | None, spent_environment_usd: float,
                spent_use_case_usd: float) -> list[Budget]:
    found = [Budget(f"environment {environment}", cost.monthly_budget_usd, spent_environment_usd)]
    if use_case and use_case in cost.use_case_budgets_usd:
        found.append(Budget(f"use case {use_case} in {environment}", cost.use_case_budgets_usd[use_case], spent_use_case_usd))
    return found


def decide(cost: CostConfig, request: CostRequest, estimate_usd: float, budgets: list[Budget],
           approvals: list[FinanceApproval], policy: GovernancePolicy | None) -> CostDecision:
    tightest = min(budgets, key=lambda b: b.remaining_usd)
    over = [b for b in budgets if estimate_usd > b.remaining_usd]
    if over:
        return CostDecision("refused", estimate_usd,
                            f"estimated ${dollars(estimate_usd)} exceeds the budget left: "
                            + "; ".join(b.describe() for b in over),
                            0.0, "not run")
    if estimate_usd <= cost.finance_approval_above_usd:
        return _allowed("allowed", estimate_usd, cost.run_cap_usd, tightest, None,
                        f"estimated ${dollars(estimate_usd)} is within the budget and below the finance-approval "
                        f"threshold of ${dollars(cost.finance_approval_above_usd)}")
    valid, refusals = _valid_approvals(request, approvals, policy)
    if valid:
        best = max(valid, key=lambda a: float(a.estimate_usd))
        cap = max(cost.run_cap_usd, float(best.estimate_usd))
        return _allowed("approved", estimate_usd, cap, tightest, best.principal,
                        f"estimated ${dollars(estimate_usd)} is above the finance-approval threshold of "
                        f"${dollars(cost.finance_approval_above_usd)}; {best.principal} ({FINANCE_ROLE}) approved up "
                        f"to ${best.estimate_usd}")
    holders = ", ".join(policy.holders(FINANCE_ROLE)) if policy else ""
    why = f" ({'; '.join(refusals)})" if refusals else ""
    return CostDecision("awaiting_approval", estimate_usd,
                        f"estimated ${dollars(estimate_usd)} is above the finance-approval threshold of "
                        f"${dollars(cost.finance_approval_above_usd)} and no valid finance approval covers it{why}; "
                        f"a holder of the role {FINANCE_ROLE} ({holders or 'none in the governance policy'}) approves "
                        f"it with `lakegate cost approve {request.request_id}`, then re-execute the step",
                        0.0, "not run")


def _allowed(outcome: Outcome, estimate: float, cap: float, tightest: Budget, approver: str | None,
             reason: str) -> CostDecision:
    if tightest.remaining_usd < cap:
        return CostDecision(outcome, estimate, reason, tightest.remaining_usd, f"the budget left ({tightest.describe()})",
                            approver)
    return CostDecision(outcome, estimate, reason, cap, f"the run cap of ${dollars(cap)}", approver)


def _valid_approvals(request: CostRequest, approvals: list[FinanceApproval],
                     policy: GovernancePolicy | None) -> tuple[list[FinanceApproval], list[str]]:
    valid, refusals = [], []
    for approval in approvals:
        who = policy.principal(approval.principal) if policy else None
        if not approval.covers(request):
            refusals.append(f"{approval.principal}'s approval covers ${approval.estimate_usd}, not this estimate")
        elif who is None or FINANCE_ROLE not in who.roles or approval.role != FINANCE_ROLE:
            refusals.append(f"{approval.principal} does not hold the role {FINANCE_ROLE} in the governance policy")
        elif not approval.verifies(who.verifying_key()):
            refusals.append(f"{approval.principal}'s approval does not verify against their public key")
        elif launched_by(who, request):
            refusals.append(f"{approval.principal} launched the run and may not approve its cost (segregation of duties)")
        else:
            valid.append(approval)
    return valid, refusals
