"""One Databricks step run behind the cost guardrails, in the order that keeps money safe:

1. price the cluster as written and decide (budget, finance approval) before any request is sent;
2. check the cluster against its policy (the one request before submission) and, if the policy's
   fixed and default values make it dearer, decide again on the effective cluster;
3. submit with the live stop watching every poll.

Pricing and the policy check are passed in (the rate card and the policy engine), so this stays the
one place that says the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from databricks.sdk.service import jobs
from dagster._core.pipes.client import PipesClientCompletedInvocation

from lakegate.cost.estimate import Duration, Estimate, estimate_run
from lakegate.cost.decision import CostDecision
from lakegate.cost.guard import CostGuard, RunIdentity
from lakegate.cost.live_stop import LiveStop
from lakegate.cost.rate_card import RateCard
from lakegate.databricks_jobs import StepRunClient


def pricer(rate_card: RateCard, sku: str, duration: Duration) -> Callable[[dict], Estimate]:
    """Prices a cluster spec for one run's projected duration."""
    return lambda cluster: estimate_run(cluster, rate_card, sku, duration)


@dataclass(frozen=True)
class Allowed:
    """A run the guardrails let through: what was decided, on which estimate."""

    decision: CostDecision
    estimate: Estimate


@dataclass(frozen=True)
class GuardedRun:
    completed: PipesClientCompletedInvocation
    decision: CostDecision
    estimate: Estimate


def allow(context, client: StepRunClient, task: jobs.SubmitTask, guard: CostGuard, run: RunIdentity,
          price: Callable[[dict], Estimate], effective_cluster: Callable[[dict], dict]) -> Allowed:
    """Steps 1 and 2, then the live stop set on the client; CostRefused (or the policy's refusal)
    when the run may not go."""
    cluster = task.new_cluster.as_dict()
    budgets = guard.budgets(run)  # month-to-date spend, read once for both decisions
    written = price(cluster)
    decision = guard.preflight(run, written.usd, written.detail, budgets)
    final = price(effective_cluster(cluster))
    if final.usd > written.usd:
        decision = guard.preflight(run, final.usd, f"{final.detail} (after the cluster policy's values)", budgets)
    context.log.info(f"[cost] {run.asset}: {decision.reason}; the live stop cancels past ${decision.limit_usd:.2f}")
    client.watch_cost(LiveStop(final.usd_per_hour, decision.limit_usd, decision.limit_reason, client.poll_interval_seconds),
                      on_stop=lambda databricks_run_id, reason: guard.record_stop(run, databricks_run_id, reason))
    return Allowed(decision, final)


def run_guarded(context, client: StepRunClient, task: jobs.SubmitTask, submit_args: dict, guard: CostGuard,
                run: RunIdentity, price: Callable[[dict], Estimate], effective_cluster: Callable[[dict], dict],
                prepare: Callable[[], object] = lambda: None) -> GuardedRun:
    """`prepare` (uploading the wheel) runs once the run is allowed, before it is submitted."""
    allowed = allow(context, client, task, guard, run, price, effective_cluster)
    prepare()
    return GuardedRun(client.run(context=context, task=task, submit_args=submit_args), allowed.decision, allowed.estimate)
