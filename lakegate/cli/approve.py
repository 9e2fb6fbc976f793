"""`lakegate approve MODEL VERSION --role ROLE --ticket ID`: sign an approval bound to one model version,
its artifact hash and the trainer the audit ledger recorded; and `lakegate change create|approve|show`
for the change register, where approving a ticket is a signature too.

The approver is `--as` or $LAKEGATE_PRINCIPAL; the private key is `--key`, else
$LAKEGATE_APPROVER_KEY_FILE, else the demo key in the trust directory (an encrypted key's passphrase
comes from $LAKEGATE_APPROVER_KEY_PASSPHRASE). Whether an approval is enough is the approval gate's
decision (roles, segregation of duties, ticket), not this command's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from lakegate.cli.errors import UsageError

console = Console()
change_app = typer.Typer(help="The change register (a file stand-in for the ITSM): create, approve, show tickets.",
                         no_args_is_help=True)
KEY_OPTION = typer.Option(None, "--key", help="Your Ed25519 private key, PEM (default: $LAKEGATE_APPROVER_KEY_FILE, then the demo key)")
AS_OPTION = typer.Option(None, "--as", help="Your principal id in the governance policy (default: $LAKEGATE_PRINCIPAL)")


def approve_command(
    model: str = typer.Argument(..., help="Registered model, e.g. test.claims.triage_model"),
    version: str = typer.Argument(..., help="Version number or alias (challenger, champion); the number is signed"),
    role: str = typer.Option(..., "--role", help="The role you approve in, e.g. model_risk, compliance, release_manager"),
    ticket: Optional[str] = typer.Option(None, "--ticket", help="Change ticket id in the change register, e.g. CHG-0001 "
                                                                "(not needed for a break-glass)"),
    principal: Optional[str] = AS_OPTION,
    key: Optional[Path] = KEY_OPTION,
    purpose: str = typer.Option("promotion", "--purpose", help="What you approve: promotion, deployment or break_glass"),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", help="The serving endpoint (deployment and break_glass)"),
) -> None:
    """Sign and record an approval of one model version (bound to its exact artifact and its trainer)."""
    from lakegate.artifact import model_artifact_hash
    from lakegate.environment import lakegate_home
    from lakegate.governance.approvals import record_approval, sign_approval
    from lakegate.governance.change_register import ChangeRegisterError, register_path
    from lakegate.governance.context import Governance
    from lakegate.governance.policy import PURPOSES
    from lakegate.registry import Registry

    if purpose not in PURPOSES:
        raise UsageError(f"--purpose {purpose!r} must be one of {', '.join(PURPOSES)}")
    if purpose != "promotion" and not endpoint:
        raise UsageError(f"a {purpose} approval names its serving endpoint: give --endpoint NAME")
    if purpose != "break_glass" and not ticket:
        raise UsageError(f"a {purpose} approval cites a change ticket: give --ticket ID")
    governance = Governance.for_home(lakegate_home())
    policy, _ = governance.policy()
    principal, private_key = signing_identity(policy, principal, key, role=role)

    registry = Registry.from_env()
    registry.require_store()
    number = str(registry.model_version(model, version).version)
    found = governance.register().get(ticket) if ticket else None
    if ticket and found is None:
        raise ChangeRegisterError(f"change ticket {ticket} is not in the change register at {register_path()} "
                                  f"(create it with `lakegate change create {model} {number}`)")
    if found is not None and not found.names(model, number):
        raise ChangeRegisterError(f"change ticket {ticket} names {found.model} v{found.version}, not {model} v{number}")
    artifact_hash = model_artifact_hash(registry, model, number)
    trainer = governance.trainer(artifact_hash)
    approval = sign_approval(private_key, model, number, artifact_hash, role, ticket, principal, purpose,
                             dt.datetime.now(dt.timezone.utc), trained_by=trainer, endpoint=endpoint)
    path = record_approval(approval, governance.home, governance.ledger)
    pending = "" if found is None or found.status == "approved" else f" (note: {ticket} is {found.status}, not approved yet)"
    under = f" under {ticket}" if ticket else ""
    typer.echo(f"approved {model} v{number} (trained by {trainer}) for {purpose}{f' on {endpoint}' if endpoint else ''} "
               f"as {role} by {principal}{under}, artifact sha256 {artifact_hash[:12]}…; recorded in {path}{pending}")


def signing_identity(policy, principal: str | None, key: Path | None, role: str | None = None):
    """(principal id, private key) after checking the principal is in the signed policy, holds `role`,
    and that the key is theirs (its public half is the one the policy names)."""
    from lakegate.environment import lakegate_home
    from lakegate.governance.policy import GovernanceError
    from lakegate.signing import load_private_key, same_public_key

    from gates.demo_governance import demo_key_path

    principal = (principal or os.environ.get("LAKEGATE_PRINCIPAL", "")).strip()
    if not principal:
        raise UsageError("who is signing? give --as PRINCIPAL or set LAKEGATE_PRINCIPAL")
    who = policy.principal(principal)
    if who is None:
        known = ", ".join(p.id for p in policy.principals)
        raise GovernanceError(f"{principal} is not a principal in the governance policy {policy.source} (known: {known})")
    if role is not None and role not in who.roles:
        held = ", ".join(who.roles) or "none"
        raise GovernanceError(f"{principal} does not hold the role {role} in the governance policy (roles held: {held})")
    key_path = key or Path(os.environ.get("LAKEGATE_APPROVER_KEY_FILE", "") or demo_key_path(principal, lakegate_home()))
    if not key_path.is_file():
        raise UsageError(f"no private key for {principal} at {key_path} (give --key or set LAKEGATE_APPROVER_KEY_FILE)")
    private_key = load_private_key(key_path, os.environ.get("LAKEGATE_APPROVER_KEY_PASSPHRASE") or None)
    if not same_public_key(private_key.public_key(), who.verifying_key()):
        raise GovernanceError(f"the key at {key_path} is not {principal}'s: it does not match their public key in {policy.source}")
    return principal, private_key


@change_app.command("create")
def change_create(
    model: str = typer.Argument(..., help="Model the change is for, e.g. test.claims.triage_model"),
    version: str = typer.Argument(..., help="The model version number the change names"),
    summary: str = typer.Option(..., "--summary", help="What the change is"),
    ticket_id: Optional[str] = typer.Option(None, "--id", help="Ticket id (default: the next CHG-NNNN)"),
) -> None:
    """Open a draft change ticket naming one model version."""
    from lakegate.governance.change_register import add_ticket

    ticket = add_ticket(model, version, summary, ticket_id)
    typer.echo(f"created {ticket.id} ({ticket.status}) for {ticket.model} v{ticket.version}: {ticket.summary}")


@change_app.command("approve")
def change_approve(
    ticket_id: str = typer.Argument(..., help="Ticket id, e.g. CHG-0001"),
    principal: Optional[str] = AS_OPTION,
    key: Optional[Path] = KEY_OPTION,
) -> None:
    """Approve a draft change ticket with your signature (the stand-in for a change advisory board)."""
    from lakegate.environment import lakegate_home
    from lakegate.governance.change_register import approve_ticket
    from lakegate.governance.context import Governance

    governance = Governance.for_home(lakegate_home())
    policy, _ = governance.policy()
    principal, private_key = signing_identity(policy, principal, key, role=policy.change_approver_role)
    ticket = approve_ticket(ticket_id, principal, private_key, ledger=governance.ledger)
    typer.echo(f"approved {ticket.id} for {ticket.model} v{ticket.version} (signed by {ticket.approved_by})")


@change_app.command("close")
def change_close(ticket_id: str = typer.Argument(..., help="Ticket id, e.g. CHG-0001")) -> None:
    """Close a ticket: from then on it authorises nothing (a version it covered can no longer move)."""
    from lakegate.governance.change_register import close_ticket

    ticket = close_ticket(ticket_id)
    typer.echo(f"closed {ticket.id} for {ticket.model} v{ticket.version}")


@change_app.command("show")
def change_show(
    ticket_id: Optional[str] = typer.Argument(None, help="Ticket id (default: every ticket)"),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON (for machines)."),
) -> None:
    """Show one change ticket, or all of them."""
    from lakegate.governance.change_register import ChangeRegisterError, load_register, register_path

    tickets = list(load_register().tickets)
    if ticket_id is not None:
        tickets = [t for t in tickets if t.id == ticket_id]
        if not tickets:
            raise ChangeRegisterError(f"change ticket {ticket_id} is not in the change register at {register_path()}")
    if as_json:
        typer.echo(json.dumps([t.model_dump() for t in tickets], indent=2))
        return
    if not tickets:
        typer.echo(f"the change register at {register_path()} holds no tickets")
        return
    grid = Table("id", "status", "model", "version", "summary", "approved by")
    for t in tickets:
        grid.add_row(t.id, t.status, t.model, t.version, t.summary, t.approved_by or "")
    console.print(grid)
