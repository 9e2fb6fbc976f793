"""The approval gate: signed approvals, segregation of duties and change tickets, judged from the
records (lakegate/governance/) as they are at the moment of asking.

`evaluate_approval_gate` is a plain function of its inputs (milliseconds, tested in isolation);
`evaluate_version_approvals` gathers them fresh for a registered version: its artifact hash now,
its trainer from the anchored ledger, the signed governance policy, the stored approvals and the
change register. Anything that cannot be gathered fails the gate (fail-closed).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Iterable

from gates.verdict import GateVerdict, failed
from lakegate.artifact import model_artifact_hash
from lakegate.governance.approvals import Approval, ApprovalError, approvals_of_artifact, load_approvals
from lakegate.governance.change_register import ChangeRegister, ChangeRegisterError, ticket_problem
from lakegate.governance.context import Governance
from lakegate.governance.policy import PURPOSES, BreakGlass, GovernanceError, GovernancePolicy
from lakegate.governance.trainers import TrainerUnknown
from lakegate.ledger import LedgerError
from lakegate.policy_signatures import PolicyTrustError
from lakegate.registry import RegistryError
from lakegate.trust import TrustError

if TYPE_CHECKING:
    from lakegate.registry import Registry

GATE = "approvals"
CLOCK_SKEW = dt.timedelta(minutes=5)  # an approval signed this far in the future is still accepted


def evaluate_approval_gate(model: str, version: str | int, artifact_hash: str, trained_by: str | None,
                           target_env: str, purpose: str, approvals: Iterable[Approval],
                           policy: GovernancePolicy | None, register: ChangeRegister | None,
                           prior_promotion_approvers: Iterable[str] = (), *, endpoint: str | None = None,
                           policy_sha256: str | None = None, now: dt.datetime | None = None,
                           trainer_problem: str | None = None, use_case: str | None = None) -> GateVerdict:
    """Pass only when the roles the target environment's policy requires have each approved this exact
    version and artifact, by distinct principals, none of them the trainer (nor, for a deployment, a
    promotion approver), each having signed the trainer the ledger records, under an approved change
    ticket naming this version (signed by a change approver) when one is required. A deployment or
    break-glass approval must name `endpoint`; a break-glass approval expires. Any approval that is
    forged, misbound or unauthorised fails the gate, even if others would suffice."""
    version = str(version)
    subject = f"{model} v{version} ({purpose} to {target_env})"
    approvals = list(approvals)
    if policy is None:
        return failed(GATE, f"{subject} is not approved: no governance policy", failed_checks=["no_policy"])
    requirement = policy.requirement(target_env, purpose, use_case)
    required = list(requirement.required_roles) if requirement else []
    ticket_required = requirement.change_ticket_required if requirement else True
    now = now or dt.datetime.now(dt.timezone.utc)
    checks: list[str] = []
    problems: list[str] = []

    def fail(check: str, text: str, row: dict | None = None) -> None:
        checks.append(check)
        problems.append(text)
        if row is not None:
            row["problems"].append(check)

    if purpose not in PURPOSES:
        fail("unknown_purpose", f"purpose {purpose!r} is not one of {', '.join(PURPOSES)}")
    elif requirement is None:
        fail("no_requirements", f"the governance policy sets no {purpose} requirements for {target_env}")
    if policy.example:
        fail("example_policy", f"the governance policy {policy.source} is the committed example, which approves nothing")
    trainer = (trained_by or "").strip()
    if not trainer:
        fail("trainer_unknown", trainer_problem or
             "the audit ledger records no trainer for this artifact, so segregation of duties cannot be checked")
    if not any(a.purpose == purpose for a in approvals):
        fail("no_approvals", f"no {purpose} approval is recorded for this version")

    rows: list[dict] = []
    verified: list[tuple[Approval, dict]] = []
    for a in approvals:  # 1. who signed what: every stored approval must be genuine and bound to this version
        row = {"principal": a.principal, "role": a.role, "purpose": a.purpose, "ticket": a.ticket, "time": a.time,
               "endpoint": a.endpoint, "counted": False, "problems": []}
        rows.append(row)
        who = f"{a.principal} as {a.role}"
        principal = policy.principal(a.principal)
        if principal is None:
            fail("unknown_principal", f"approval by {who}: {a.principal} is not a principal in the governance policy", row)
            continue
        if not a.verifies(principal.verifying_key()):
            fail("forged_signature", f"approval by {who}: its signature does not verify against {a.principal}'s public key (forged or altered)", row)
            continue
        if a.model != model:
            fail("wrong_model", f"approval by {who} is for {a.model}, not {model}", row)
        if a.version != version:
            fail("wrong_version", f"approval by {who} is for version {a.version}, not {version}; an approval never carries over to another version", row)
        if a.artifact_hash != artifact_hash:
            fail("artifact_changed", f"approval by {who} was signed for artifact {a.artifact_hash[:12]}…, but this version's artifact is {artifact_hash[:12]}…; the artifact changed, so the approval is void", row)
        if a.role not in principal.roles:
            fail("role_not_held", f"approval by {who}: {a.principal} does not hold the role {a.role} in the governance policy", row)
        if trainer and (principal.is_known_as(trainer) or a.principal.casefold() == trainer.casefold()):
            fail("self_approval", f"approval by {who}: {a.principal} trained this version and may not approve it", row)
        if trainer and a.trained_by.casefold() != trainer.casefold():
            fail("trainer_mismatch", f"approval by {who} was signed for a version trained by {a.trained_by}, but the audit ledger records {trainer} as its trainer", row)
        verified.append((a, row))

    promoters = [p for p in prior_promotion_approvers if p]
    promoters += [a.principal for a, row in verified if a.purpose == "promotion" and not row["problems"]]
    holders: dict[str, set[str]] = {}
    tickets: dict[str, str] = {}
    for a, row in verified:  # 2. duties for this purpose
        if a.purpose != purpose:
            row["note"] = f"a {a.purpose} approval; not counted for {purpose}"
            continue
        who = f"{a.principal} as {a.role}"
        if purpose != "promotion" and a.endpoint != endpoint:
            fail("wrong_endpoint", f"approval by {who} is for endpoint {a.endpoint}, not {endpoint}", row)
        if purpose == "deployment" and any(a.principal == p or policy.principal(a.principal).is_known_as(p) for p in promoters):
            fail("promotion_approver_deploys", f"approval by {who}: {a.principal} approved the promotion, so a different principal must approve the deployment", row)
        if isinstance(requirement, BreakGlass):
            _check_expiry(a, requirement, now, lambda text: fail("expired", f"approval by {who} {text}", row))
        if ticket_required:
            issue = ticket_problem(register, a.ticket, model, version, policy, trainer or None)
            tickets[a.ticket or "(none)"] = "ok" if issue is None else issue
            if issue is not None:
                fail("change_ticket", f"approval by {who} {issue}" if not a.ticket else issue, row)
        if row["problems"]:
            continue
        if a.role not in required:
            row["note"] = f"role {a.role} is not required for {purpose} to {target_env}"
            continue
        row["counted"] = True
        holders.setdefault(a.principal, set()).add(a.role)

    approved_roles = {r: sorted(p for p, roles in holders.items() if r in roles) for r in required}
    for principal_id, roles in sorted(holders.items()):  # 3. segregation: one principal, one required role
        if len(roles) > 1:
            fail("duplicate_principal", f"{principal_id} fills more than one required role ({', '.join(sorted(roles))}); each required role needs a different principal")
    missing = [r for r in required if not approved_roles[r]]
    if missing:
        fail("missing_role", f"no valid approval in the required role{'s' if len(missing) > 1 else ''} {', '.join(missing)}")

    measured = {"model": model, "version": version, "artifact_hash": artifact_hash, "trained_by": trainer or None,
                "target_env": target_env, "purpose": purpose, "use_case": use_case, "endpoint": endpoint, "approvals": rows,
                "approved_roles": approved_roles, "tickets": tickets, "failed_checks": sorted(set(checks))}
    thresholds = {"required_roles": required, "change_ticket_required": ticket_required, "distinct_principals": True,
                  "trainer_may_approve": False, "promotion_approvers_may_deploy": False}
    evidence = {"artifact_sha256": artifact_hash, "trained_by": trainer or None, "endpoint": endpoint,
                "counted": sorted(a.signature for a, row in verified if row["counted"]),
                "tickets": {t: _ticket_state(register, t) for t in sorted(tickets)}}
    if problems:
        reason = f"{subject} is not approved: " + "; ".join(dict.fromkeys(problems))
        return GateVerdict(GATE, False, reason, measured, thresholds, policy.version, policy_sha256, evidence)
    by = ", ".join(f"{role} by {' and '.join(approved_roles[role])}" for role in required)
    under = f" under change ticket {', '.join(sorted(tickets))}" if ticket_required else ""
    reason = f"{subject} is approved: {by}{under}; none of them trained it (trained by {trainer})"
    return GateVerdict(GATE, True, reason, measured, thresholds, policy.version, policy_sha256, evidence)


def _check_expiry(a: Approval, requirement: BreakGlass, now: dt.datetime, fail) -> None:
    signed_at = dt.datetime.fromisoformat(a.time.replace("Z", "+00:00"))
    if signed_at > now + CLOCK_SKEW:
        fail(f"is dated {a.time}, in the future")
    elif now - signed_at > dt.timedelta(minutes=requirement.valid_minutes):
        fail(f"expired: signed at {a.time}, a break-glass approval holds for {requirement.valid_minutes} minutes")


def _ticket_state(register: ChangeRegister | None, ticket_id: str) -> list | None:
    ticket = register.get(ticket_id) if register is not None else None
    return [ticket.status, ticket.approved_by, ticket.approval_signature] if ticket else None


def _trainer(governance: Governance, artifact: str) -> tuple[str | None, str | None]:
    """(the recorded trainer, None) or (None, why not): the gate then fails on it beside whatever
    else is wrong."""
    try:
        return governance.trainer(artifact), None
    except TrainerUnknown as exc:
        return None, str(exc)


def evaluate_version_approvals(registry: "Registry", governance: Governance, model: str, version: str | int,
                               target_env: str, purpose: str, endpoint: str | None = None,
                               now: dt.datetime | None = None, use_case: str | None = None) -> GateVerdict:
    """The gate for a registered version, on the state as it is now: the artifact hash computed from
    the registry, the trainer from the anchored ledger, the signed policy, the approvals and tickets
    on file. For a deployment, the promotion approvers of the same artifact (wherever it was
    promoted) may not approve it. Anything that cannot be loaded fails the gate."""
    try:
        number = str(registry.model_version(model, version).version)
        artifact = model_artifact_hash(registry, model, number)
        policy, signed = governance.policy()
        promoters = ([a.principal for a in approvals_of_artifact(artifact, governance.home, "promotion")]
                     if purpose == "deployment" else [])
        trainer, trainer_problem = _trainer(governance, artifact)
        return evaluate_approval_gate(
            model, number, artifact, trainer, target_env, purpose,
            load_approvals(model, number, governance.home), policy, governance.register(), promoters,
            endpoint=endpoint, policy_sha256=signed.sha256, now=now, trainer_problem=trainer_problem, use_case=use_case,
        )
    except (GovernanceError, ChangeRegisterError, ApprovalError, RegistryError, LedgerError, PolicyTrustError,
            TrustError, OSError) as exc:
        return failed(GATE, f"{model} v{version} ({purpose} to {target_env}) cannot be evaluated, so it is not approved: {exc}",
                      failed_checks=["not_evaluable"])
    except Exception as exc:  # noqa: BLE001 - MLflow raises its own kinds; any failure to judge is a refusal
        return failed(GATE, f"{model} v{version} ({purpose} to {target_env}) cannot be evaluated, so it is not approved: "
                      f"{type(exc).__name__}: {exc}", failed_checks=["not_evaluable"])
