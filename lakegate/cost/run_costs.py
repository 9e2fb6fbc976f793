"""The cost guardrails of one Dagster step on Databricks, assembled from the environment: who the
run is (for the ledger and the approval), what its cluster is tagged with, how it is priced, and
its row in `<catalog>.monitoring.cost` whatever the outcome: refused, held, allowed, approved or
stopped (docs/cost.md). The billing actual is filled in later by the `monitoring/cost` asset.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import dagster as dg
from dagster._record import copy  # MaterializeResult is a record: copy, not dataclasses.replace

from lakegate.cost.cluster_policy import check_before_submit
from lakegate.cost.cost_table import CostRecord, CostTable
from lakegate.cost.estimate import DECLARED_SECONDS_KEY, Duration, Estimate, projected_duration
from lakegate.cost.guard import CostGuard, CostRefused, RunIdentity
from lakegate.cost.guarded_run import allow, pricer
from lakegate.cost.rate_card import RateCard, load_rate_card
from lakegate.databricks_jobs import Attribution, RunStopped, StepRunClient
from lakegate.environment import ConfigError, Environment, lakegate_home
from lakegate.governance.context import Governance
from lakegate.lake import Lake
from lakegate.ledger import Ledger
from lakegate.names import USE_CASE_TAG
from lakegate.run import LAUNCHER_TAG

ENGINE = "databricks"


@dataclass
class StepGuardrails:
    env: Environment
    identity: RunIdentity
    attribution: Attribution
    guard: CostGuard
    card: RateCard
    duration: Duration
    table: CostTable
    estimate: Estimate | None = None

    def run(self, context, client: StepRunClient, task, submit_args: dict, prepare: Callable[[], object]):
        price = pricer(self.card, self.env.cost.sku, self.duration)
        effective = functools.partial(check_before_submit, client.client, rate_card=self.card)
        try:
            allowed = allow(context, client, task, self.guard, self.identity, price, effective)
        except CostRefused as refused:
            if refused.decision is not None:
                self._record(refused.decision.outcome, refused.decision.estimate_usd, refused.decision.reason, None)
            raise
        prepare()
        try:
            completed = client.run(context=context, task=task, submit_args=submit_args)
        except RunStopped as stopped:
            self._record("stopped", allowed.estimate.usd, str(stopped), client.last_run_id)
            raise
        self.estimate = allowed.estimate
        self._record(allowed.decision.outcome, allowed.estimate.usd, allowed.decision.reason, client.last_run_id)
        return completed

    def with_estimate(self, result):
        """A materialization shows the estimate it ran under (the UI shows it after the run)."""
        if self.estimate is None or not isinstance(result, dg.MaterializeResult):
            return result
        return copy(result, metadata={**(result.metadata or {}), **self.estimate.as_metadata()})

    def _record(self, decision: str, estimate_usd: float, reason: str, databricks_run_id: int | None) -> None:
        self.table.record_decision(CostRecord(
            run_key=f"{self.identity.dagster_run_id}:{self.identity.step_key}", dagster_run_id=self.identity.dagster_run_id,
            asset_key=self.identity.asset, use_case=self.identity.use_case, environment=self.env.name, engine=ENGINE,
            cost_centre=self.env.cost.cost_centre, estimate_usd=estimate_usd, estimate_source=self.duration.source,
            rate_card_version=self.card.version, decision=decision, reason=reason, databricks_run_id=databricks_run_id))


def step_guardrails(context: dg.AssetExecutionContext, env: Environment, lake: Lake) -> StepGuardrails:
    if env.cost is None:
        raise ConfigError(f"environment {env.name}: engine kind 'databricks' needs a cost: section (docs/cost.md)")
    keys = sorted(context.selected_asset_keys, key=lambda key: key.to_user_string())
    specs = context.assets_def.specs_by_key
    # priced by the asset that declares the step's duration (silver's, not its quarantine's)
    priced = next((key for key in keys if DECLARED_SECONDS_KEY in specs[key].metadata), keys[0])
    spec = specs[priced]
    # the step's assets (silver's step has two): what its cluster's tags attribute cost to
    assets = " ".join(key.to_user_string() for key in keys)
    use_case = spec.tags.get(USE_CASE_TAG)
    dagster_run = context.run
    run = RunIdentity(env.name, assets, context.op_execution_context.node_handle.name, dagster_run.run_id,
                      dagster_run.root_run_id or dagster_run.run_id, dagster_run.tags.get(LAUNCHER_TAG, "unknown"), use_case)
    home = lakegate_home()
    table = CostTable(lake, env.catalog)
    guard = CostGuard(env.cost, home, Ledger.for_home(home, env), spend=lambda case: table.spend(env.name, case),
                      policy=lambda: Governance.for_home(home, env).policy()[0])
    attribution = Attribution(env.name, assets, dagster_run.run_id, use_case=use_case, cost_centre=env.cost.cost_centre,
                              auto_termination_minutes=env.cost.auto_termination_minutes)
    duration = projected_duration(context.instance, priced, spec.metadata)
    return StepGuardrails(env, run, attribution, guard, load_rate_card(env.cost.rate_card),
                          duration, table)
