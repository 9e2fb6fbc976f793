"""The deployment gate, as the control plane asks it before every change that would serve a version.

A version may take traffic on an endpoint in a gated catalog (test, prod) only when, judged now:
- its deployment approvals pass (release manager, not a promotion approver, not the trainer, this
  endpoint, change ticket when required: gates/approvals.py), and
- in prod, the same artifact passed the prod promotion's approvals gate (so a version registered
  straight into the prod catalog, never promoted, is refused even with a deployment approval).

Otherwise only a valid break-glass approval (the policy's roles, this endpoint, not expired) lets it
serve, and the control plane records that as a break-glass with an alert. `DeploymentGate` is the
`DeploymentGuard` the composition layer hands the core's control plane (lakegate/serving/control.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from gates.approvals import evaluate_version_approvals
from gates.verdict import GateVerdict
from lakegate.governance.approvals import ApprovalError, approvals_of_artifact
from lakegate.governance.context import Governance
from lakegate.registry import ModelName
from lakegate.serving.control import Authorization

if TYPE_CHECKING:
    from lakegate.registry import Registry

GATE = "deployment_approvals"
BREAK_GLASS = "break_glass"
PROMOTED_CATALOG = "prod"  # the catalog whose versions must also have passed the promotion approvals


def evaluate_deployment(registry: "Registry", governance: Governance, endpoint: str, model: str, version: str | int,
                        now: dt.datetime | None = None, use_case: str | None = None) -> GateVerdict:
    """The deployment gate for `model` `version` on `endpoint`, on the state as it is now, under the
    use case's own requirements when the governance policy sets them."""
    catalog = ModelName.parse(model).catalog
    verdict = replace(evaluate_version_approvals(registry, governance, model, version, target_env=catalog,
                                                 purpose="deployment", endpoint=endpoint, now=now, use_case=use_case),
                      gate=GATE)
    if not verdict.passed or catalog != PROMOTED_CATALOG:
        return verdict
    promotion = _promotion_verdict(registry, governance, verdict.measured["artifact_hash"], catalog, now, use_case)
    if promotion.passed:
        return replace(verdict, evidence={**verdict.evidence, "promotion": promotion.evidence},
                       measured={**verdict.measured, "promotion": promotion.reason})
    return replace(verdict, passed=False, measured={**verdict.measured, "promotion": promotion.reason},
                   reason=f"{model} v{version} was not promoted into {catalog} through its approvals gate: {promotion.reason}")


def _promotion_verdict(registry, governance: Governance, artifact: str, catalog: str, now, use_case) -> GateVerdict:
    """The approvals gate of the version this artifact was promoted from, judged now."""
    try:
        sources = sorted({(a.model, a.version) for a in approvals_of_artifact(artifact, governance.home, "promotion")})
    except (ApprovalError, ValueError) as exc:
        return GateVerdict(GATE, False, f"its promotion approvals cannot be read: {exc}")
    if not sources:
        return GateVerdict(GATE, False, f"no promotion approval is on file for its artifact {artifact[:12]}…")
    verdicts = [evaluate_version_approvals(registry, governance, m, v, target_env=catalog, purpose="promotion", now=now,
                                           use_case=use_case) for m, v in sources]
    return next((v for v in verdicts if v.passed), verdicts[-1])


class DeploymentGate:
    """The control plane's guard: the deployment gate, else a break-glass approval.

    use_case_of(model name) names the use case a registered model belongs to (from the use cases'
    specs, never a registry tag), so its own governance requirements apply."""

    def __init__(self, registry: "Registry", governance: Governance, use_case_of: Callable[[str], str | None] = lambda _: None):
        self.registry, self.governance, self.use_case_of = registry, governance, use_case_of

    def authorize(self, endpoint: str, model: str, version: str, emergency_only: bool = False) -> Authorization:
        use_case = self.use_case_of(model)
        gate = None if emergency_only else evaluate_deployment(self.registry, self.governance, endpoint, model, version,
                                                               use_case=use_case)
        if gate is not None and gate.passed:
            return Authorization(True, gate.reason, evidence={"gate": GATE, "digest": gate.digest(),
                                                              "policy_sha256": gate.policy_sha256})
        catalog = ModelName.parse(model).catalog
        emergency = replace(evaluate_version_approvals(self.registry, self.governance, model, version, target_env=catalog,
                                                       purpose=BREAK_GLASS, endpoint=endpoint, use_case=use_case),
                            gate=BREAK_GLASS)
        if emergency.passed:
            why = f"break-glass: {emergency.reason}" + (f" (the deployment gate refused it: {gate.reason})" if gate else "")
            return Authorization(True, why, break_glass=True,
                                 evidence={"gate": BREAK_GLASS, "digest": emergency.digest(),
                                           "approvals": emergency.measured.get("approvals")})
        refused = gate.reason if gate is not None else "removing a production endpoint needs a break-glass approval"
        return Authorization(False, f"{refused}; and no valid break-glass approval: {emergency.reason}")
