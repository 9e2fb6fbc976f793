"""The demo plays every person: the change approver signs off tickets, and whoever holds a role the
signed governance policy requires signs as that role (as people would with `lakegate change
create|approve` and `lakegate approve`). Each signature binds the version, its artifact and the
trainer the audit ledger recorded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lakegate.cli.materialize import console

CHANGE_APPROVER = "cab.chair"


def demo_ticket(home: Path, model: str, version: str, summary: str) -> str:
    """A change ticket for `model` `version`, signed off by the demo's change approver."""
    from gates.demo_governance import demo_key_path
    from lakegate.governance.change_register import add_ticket, approve_ticket
    from lakegate.ledger import Ledger
    from lakegate.signing import load_private_key

    ticket = add_ticket(model, version, summary)
    approve_ticket(ticket.id, CHANGE_APPROVER, load_private_key(demo_key_path(CHANGE_APPROVER, home)),
                   ledger=Ledger.for_home(home))
    console.print(f"change ticket {ticket.id} for {model} v{version} signed off by {CHANGE_APPROVER}")
    return ticket.id


def sign_required_roles(home: Path, use_case: str, model: str, version: str, purpose: str, summary: str,
                        endpoint: str | None = None) -> str:
    """Open and sign off a ticket, then sign as every role the policy requires for `purpose` into prod."""
    from gates.demo_governance import demo_holder
    from lakegate.governance.context import Governance

    policy, _ = Governance.for_home(home).policy()
    ticket = demo_ticket(home, model, version, summary)
    for role in policy.requirement("prod", purpose, use_case).required_roles:
        demo_sign(home, demo_holder(role), role, model, version, ticket, purpose, endpoint)
    return ticket


def demo_sign(home: Path, principal: str, role: str, model: str, version: str, ticket: str | None, purpose: str,
              endpoint: str | None = None) -> None:
    """Sign as a demo person, with the trainer the audit ledger records for the version's artifact."""
    from gates.demo_governance import demo_key_path
    from lakegate.artifact import model_artifact_hash
    from lakegate.governance.approvals import record_approval, sign_approval
    from lakegate.governance.context import Governance
    from lakegate.registry import Registry
    from lakegate.signing import load_private_key

    governance = Governance.for_home(home)
    artifact = model_artifact_hash(Registry.from_env(home=home), model, version)
    trainer = governance.trainer(artifact)
    approval = sign_approval(load_private_key(demo_key_path(principal, home)), model, version, artifact, role, ticket,
                             principal, purpose, dt.datetime.now(dt.timezone.utc), trained_by=trainer, endpoint=endpoint)
    record_approval(approval, home, governance.ledger)
    where = f" on {endpoint}" if endpoint else ""
    console.print(f"signed: {principal} approves {model} v{version} for {purpose}{where} as {role} "
                  f"(artifact sha256 {artifact[:12]}…, trained by {trainer})")
