"""`lakegate approve MODEL VERSION --role ROLE --ticket ID`: sign an approval bound to one model version
and its artifact hash; and `lakegate change create|approve|show` for the change register.

The approver is `--as` or $LAKEGATE_PRINCIPAL; the private key is `--key`, else
$LAKEGATE_APPROVER_KEY_FILE, else the demo key at $LAKEGATE_HOME/governance/keys/<principal>.pem
(an encrypted key's passphrase comes from $LAKEGATE_APPROVER_KEY_PASSPHRASE). Whether an approval is
enough is the approval gate's decision (roles, segregation of duties, ticket), not this command's.
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


def approve_command(
    model: str = typer.Argument(..., help="Registered model, e.g. test.claims.triage_model"),
    version: str = typer.Argument(..., help="Version number or alias (challenger, champion); the number is signed"),
    role: str = typer.Option(..., "--role", help="The role you approve in, e.g. model_risk, compliance, release_manager"),
    ticket: str = typer.Option(..., "--ticket", help="Change ticket id in the change register, e.g. CHG-0001"),
    principal: Optional[str] = typer.Option(None, "--as", help="Your principal id in the governance policy (default: $LAKEGATE_PRINCIPAL)"),
    key: Optional[Path] = typer.Option(None, "--key", help="Your Ed25519 private key, PEM (default: $LAKEGATE_APPROVER_KEY_FILE, then the demo key)"),
    purpose: str = typer.Option("promotion", "--purpose", help="What you approve: promotion or deployment"),
) -> None:
    """Sign and record an approval of one model version (bound to its exact artifact)."""
    from gates.approvals import load_private_key, record_approval, sign_approval
    from gates.change_register import ChangeRegisterError, load_register, register_path
    from gates.demo_governance import demo_key_path
    from gates.governance import PURPOSES, GovernanceError, load_policy, same_public_key
    from gates.model_binding import model_artifact_hash
    from lakegate.registry import Registry

    if purpose not in PURPOSES:
        raise UsageError(f"--purpose {purpose!r} must be one of {', '.join(PURPOSES)}")
    principal = (principal or os.environ.get("LAKEGATE_PRINCIPAL", "")).strip()
    if not principal:
        raise UsageError("who is approving? give --as PRINCIPAL or set LAKEGATE_PRINCIPAL")
    policy = load_policy()
    who = policy.principal(principal)
    if who is None:
        known = ", ".join(p.id for p in policy.principals)
        raise GovernanceError(f"{principal} is not a principal in the governance policy {policy.source} (known: {known})")
    if role not in who.roles:
        held = ", ".join(who.roles) or "none"
        raise GovernanceError(f"{principal} does not hold the role {role} in the governance policy (roles held: {held})")
    key_path = key or Path(os.environ.get("LAKEGATE_APPROVER_KEY_FILE", "") or demo_key_path(principal))
    if not key_path.is_file():
        raise UsageError(f"no private key for {principal} at {key_path} (give --key or set LAKEGATE_APPROVER_KEY_FILE)")
    private_key = load_private_key(key_path, os.environ.get("LAKEGATE_APPROVER_KEY_PASSPHRASE") or None)
    if not same_public_key(private_key.public_key(), who.verifying_key()):
        raise GovernanceError(f"the key at {key_path} is not {principal}'s: it does not match their public key in {policy.source}")

    registry = Registry.from_env()
    registry.require_store()
    number = str(registry.model_version(model, version).version)
    found = load_register().get(ticket)
    if found is None:
        raise ChangeRegisterError(f"change ticket {ticket} is not in the change register at {register_path()} "
                                  f"(create it with `lakegate change create {model} {number}`)")
    if not found.names(model, number):
        raise ChangeRegisterError(f"change ticket {ticket} names {found.model} v{found.version}, not {model} v{number}")
    artifact_hash = model_artifact_hash(registry, model, number)
    approval = sign_approval(private_key, model, number, artifact_hash, role, ticket, principal, purpose,
                             dt.datetime.now(dt.timezone.utc))
    path = record_approval(approval)
    pending = "" if found.status == "approved" else f" (note: {ticket} is {found.status}, not approved yet)"
    typer.echo(f"approved {model} v{number} for {purpose} as {role} by {principal} under {ticket}, "
               f"artifact sha256 {artifact_hash[:12]}…; recorded in {path}{pending}")


@change_app.command("create")
def change_create(
    model: str = typer.Argument(..., help="Model the change is for, e.g. test.claims.triage_model"),
    version: str = typer.Argument(..., help="The model version number the change names"),
    summary: str = typer.Option(..., "--summary", help="What the change is"),
    ticket_id: Optional[str] = typer.Option(None, "--id", help="Ticket id (default: the next CHG-NNNN)"),
) -> None:
    """Open a draft change ticket naming one model version."""
    from gates.change_register import add_ticket

    ticket = add_ticket(model, version, summary, ticket_id)
    typer.echo(f"created {ticket.id} ({ticket.status}) for {ticket.model} v{ticket.version}: {ticket.summary}")


@change_app.command("approve")
def change_approve(
    ticket_id: str = typer.Argument(..., help="Ticket id, e.g. CHG-0001"),
    by: Optional[str] = typer.Option(None, "--by", help="Who approves the change (default: $LAKEGATE_PRINCIPAL)"),
) -> None:
    """Approve a draft change ticket (the demo's stand-in for the change advisory board)."""
    from gates.change_register import approve_ticket

    by = (by or os.environ.get("LAKEGATE_PRINCIPAL", "")).strip()
    if not by:
        raise UsageError("who approves the change? give --by NAME or set LAKEGATE_PRINCIPAL")
    ticket = approve_ticket(ticket_id, by)
    typer.echo(f"approved {ticket.id} for {ticket.model} v{ticket.version} (by {ticket.approved_by})")


@change_app.command("show")
def change_show(
    ticket_id: Optional[str] = typer.Argument(None, help="Ticket id (default: every ticket)"),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON (for machines)."),
) -> None:
    """Show one change ticket, or all of them."""
    from gates.change_register import ChangeRegisterError, load_register, register_path

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
