"""The cost table as an asset: `monitoring/cost` is `<catalog>.monitoring.cost`, one row per run with
its pre-flight estimate, decision and actual (lakegate/cost/). The guardrails write the rows as
runs are decided and end; refreshing the asset fills the Databricks runs' actuals from the
workspace's billing records, reconciles new actuals with their estimates, and raises the budget
alerts newly due this month.

Its check fails with WARN when a newly reconciled run was off its estimate by more than the
environment's `cost.reconciliation_tolerance`: the alert sensor tells people, nothing waits on it.
"""


import datetime as dt
import math

import dagster as dg

from gates.checks import SEVERITY
from lakegate.cost.billing import read_workspace_billing
from lakegate.cost.budget_alerts import budgets, raise_budget_alerts
from lakegate.cost.cost_table import CostTable, month_to_date
from lakegate.cost.reconciliation import Discrepancy, reconcile
from lakegate.databricks import workspace_client
from lakegate.environment import Environment
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from ml_assets import keys

COST_KEY = dg.AssetKey(["monitoring", "cost"])
RECONCILIATION_CHECK = "estimates_reconciled"
GROUP = "cost"
OWNERS = ["team:finance"]
COST_REFRESH_CRON = "20 * * * *"  # hourly: billing lands hour by hour
LISTED = 5  # flagged runs named in the check's description; all are in its metadata


def fill_from_billing(table: CostTable, env: Environment) -> list[str]:
    """The environment's Databricks runs' actuals from the workspace's billing; run keys changed."""
    run_ids = table.awaiting_billing(env.name)
    if not run_ids:
        return []
    return table.fill_billing_actuals(read_workspace_billing(workspace_client(), run_ids), env.name)


@dg.asset(
    key=COST_KEY, group_name=GROUP, kinds={"delta"}, owners=OWNERS, tags={keys.STAGE_TAG: keys.MONITORING},
    description="Estimate and actual cost of every run (Databricks billing, or wall time × the machine's rate on the "
                "embedded engine), month-to-date spend against the environment's and each use case's budget, and "
                "budget alerts at the environment's shares of each.",
    check_specs=[dg.AssetCheckSpec(RECONCILIATION_CHECK, asset=COST_KEY, blocking=False, metadata={SEVERITY: "WARN"},
                                   description="every newly reconciled run's actual within the environment's "
                                               "reconciliation tolerance of its estimate")],
)
def cost_table(context: dg.AssetExecutionContext, lake: LakeResource, platform: Platform):
    env = platform.env()
    if env.cost is None:  # an environment without guardrails (dev, test today): said, not failed
        said = f"environment {env.name} has no cost: section: no budgets, nothing to reconcile"
        yield dg.MaterializeResult(metadata={"guardrails": said})
        yield dg.AssetCheckResult(check_name=RECONCILIATION_CHECK, passed=True, description=said)
        return
    table, now = CostTable(lake.lake(), lake.catalog), dt.datetime.now(dt.timezone.utc)
    billed = fill_from_billing(table, env)
    verdicts, flagged = reconcile(table.rows(), env.cost.reconciliation_tolerance)
    table.record_reconciliation(verdicts, now)
    mtd = month_to_date(table.rows(), env.name, now)
    raised = raise_budget_alerts(platform.home_path, env.cost, mtd)
    spend = {f"{b.scope} {b.name}": {"spend_usd": round(b.spend(mtd), 4), "budget_usd": b.monthly_usd,
                                     "share": round(b.spend(mtd) / b.monthly_usd, 4)} for b in budgets(env.cost, env.name)}
    context.log.info(f"{mtd.month}: {mtd.total_usd:.2f} USD over {mtd.runs} runs; {len(raised)} budget alert(s)")
    yield dg.MaterializeResult(metadata={
        "month": mtd.month, "month_to_date_usd": dg.MetadataValue.float(round(mtd.total_usd, 4)),
        "budgets": dg.MetadataValue.json(spend), "runs_this_month": dg.MetadataValue.int(mtd.runs),
        "awaiting_actuals": dg.MetadataValue.int(mtd.awaiting_actuals),
        "actuals_from_billing": dg.MetadataValue.int(len(billed)),
        "budget_alerts_raised": dg.MetadataValue.json([a["title"] for a in raised]),
        "delta_version": dg.MetadataValue.int(_version(lake.lake().version(table.name))),
    })
    yield reconciliation_result(verdicts, flagged, env.cost.reconciliation_tolerance)


def reconciliation_result(verdicts: dict, flagged: list[Discrepancy], tolerance: float) -> dg.AssetCheckResult:
    named = "; ".join(d.describe() for d in flagged[:LISTED]) + (f"; {len(flagged) - LISTED} more" if len(flagged) > LISTED else "")
    return dg.AssetCheckResult(
        check_name=RECONCILIATION_CHECK, passed=not flagged, severity=dg.AssetCheckSeverity.WARN,
        description=(f"{len(flagged)} of {len(verdicts)} newly reconciled runs off their estimate by more than "
                     f"{tolerance:.0%}" + (f": {named}" if flagged else "")),
        metadata={"judged": dg.MetadataValue.int(len(verdicts)), "tolerance": dg.MetadataValue.float(tolerance),
                  "flagged": dg.MetadataValue.json([
                      {"run_key": d.run_key, "asset_key": d.asset_key, "estimate_usd": d.estimate_usd,
                       "actual_usd": d.actual_usd,
                       "estimate_error": d.estimate_error if math.isfinite(d.estimate_error) else None}  # JSON: no inf
                      for d in flagged])})


def _version(version: int | None) -> int:
    return -1 if version is None else version


@dg.schedule(name="cost_refresh", cron_schedule=COST_REFRESH_CRON, execution_timezone="UTC", target=[COST_KEY],
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Refreshes the cost table every hour: billing actuals, reconciliation, budget alerts.")
def cost_refresh(context: dg.ScheduleEvaluationContext, platform: Platform):
    env = platform.env()
    if env.cost is None:
        return dg.SkipReason(f"environment {env.name} has no cost: section: no budgets to watch")
    return dg.RunRequest()

