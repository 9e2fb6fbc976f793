"""The cost guard of one environment: decides each run before submission and records what it
decided and what the live stop did, in the audit ledger (kinds `cost_decision`, `cost_stop`) and,
for a stop, as an ERROR alert (docs/cost.md).

What it reads is passed in: the month-to-date spend (the cost table), the governance policy (who
holds the role finance) and the stored finance approvals under the home.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lakegate.alerts import raise_alert
from lakegate.cost.decision import Budget, CostDecision, budgets_for, decide
from lakegate.cost.finance_approval import CostRequest, dollars, load_finance_approvals, request_id, write_request
from lakegate.environment import CostConfig
from lakegate.governance.policy import GovernancePolicy
from lakegate.ledger import Ledger

ACTOR = "lakegate-cost-guard"


class CostRefused(ValueError):
    """The run was not submitted: over budget, or waiting for a finance approval."""

    def __init__(self, message: str, decision: CostDecision | None = None):
        super().__init__(message)
        self.decision = decision


@dataclass(frozen=True)
class RunIdentity:
    """The run a decision is about."""

    environment: str
    asset: str
    step_key: str
    dagster_run_id: str
    root_run_id: str  # a re-execution keeps its root: approvals bind to it
    launcher: str
    use_case: str | None = None

    def subject(self) -> dict:
        return {"environment": self.environment, "asset": self.asset, "dagster_run_id": self.dagster_run_id,
                "root_run_id": self.root_run_id, "use_case": self.use_case}


@dataclass
class CostGuard:
    cost: CostConfig
    home: Path
    ledger: Ledger
    # use case -> (month-to-date spend of the environment, of the use case), in dollars
    spend: Callable[[str | None], tuple[float, float]]
    policy: Callable[[], GovernancePolicy | None]

    def request(self, run: RunIdentity, estimate_usd: float, estimate_detail: str) -> CostRequest:
        return CostRequest(request_id(run.environment, run.root_run_id, run.step_key), run.environment, run.asset,
                           run.root_run_id, run.launcher, dollars(estimate_usd), estimate_detail)

    def budgets(self, run: RunIdentity) -> list[Budget]:
        spent_environment, spent_use_case = self.spend(run.use_case)
        return budgets_for(self.cost, run.environment, run.use_case, spent_environment, spent_use_case)

    def preflight(self, run: RunIdentity, estimate_usd: float, estimate_detail: str,
                  budgets: list[Budget] | None = None) -> CostDecision:
        """The decision, recorded; CostRefused unless the run may be submitted."""
        request = self.request(run, estimate_usd, estimate_detail)
        budgets = budgets if budgets is not None else self.budgets(run)
        needs_policy = estimate_usd > self.cost.finance_approval_above_usd
        approvals = load_finance_approvals(request.request_id, self.home) if needs_policy else []
        decision = decide(self.cost, request, estimate_usd, budgets, approvals, self.policy() if needs_policy else None)
        self.ledger.append(
            "cost_decision", ACTOR, {**run.subject(), "request_id": request.request_id},
            inputs={"estimate_usd": request.estimate_usd, "estimate": estimate_detail, "launcher": run.launcher,
                    "budgets": [{"scope": b.scope, "budget_usd": dollars(b.budget_usd), "spent_usd": dollars(b.spent_usd)}
                                for b in budgets],
                    "finance_approval_above_usd": dollars(self.cost.finance_approval_above_usd)},
            outcome={"decision": decision.outcome, "limit_usd": dollars(decision.limit_usd),
                     "limit": decision.limit_reason, "approver": decision.approver},
            reason=decision.reason)
        if decision.outcome == "awaiting_approval":
            write_request(request, self.home)
        if not decision.runs:
            raise CostRefused(f"{run.asset} was not submitted: {decision.reason}", decision)
        return decision

    def record_stop(self, run: RunIdentity, databricks_run_id: int, reason: str) -> None:
        self.ledger.append("cost_stop", ACTOR, {**run.subject(), "databricks_run_id": str(databricks_run_id)},
                           inputs={"cost_centre": self.cost.cost_centre}, outcome={"cancelled": True}, reason=reason)
        raise_alert(self.home, "ERROR", f"live stop cancelled {run.asset} in {run.environment}",
                    f"Databricks run {databricks_run_id} (Dagster run {run.dagster_run_id}) was cancelled: {reason}",
                    source="cost")
