"""`lakegate cost requests|approve`: the runs waiting for a finance approval, and signing one.

A run estimated above the environment's `cost.finance_approval_above_usd` is refused before it is
submitted and leaves a cost request; a principal holding the role `finance` (never the run's
launcher) signs it, and re-executing the refused step then runs it (docs/cost.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from lakegate.cli.approve import AS_OPTION, KEY_OPTION, signing_identity

app = typer.Typer(help="Cost guardrails: runs waiting for a finance approval, and approving them.", no_args_is_help=True)


@app.command("requests")
def requests_command() -> None:
    """List the cost requests that runs over the finance-approval threshold left."""
    from lakegate.cost.finance_approval import list_requests, load_finance_approvals
    from lakegate.environment import lakegate_home

    home = lakegate_home()
    found = list_requests(home)
    if not found:
        typer.echo(f"no cost requests under {home}")
        return
    for r in found:  # one line each: ids must stay whole for copying
        approvals = ", ".join(f"{a.principal} up to ${a.estimate_usd}" for a in load_finance_approvals(r.request_id, home))
        typer.echo(f"{r.request_id}  ${r.estimate_usd}  {r.asset} in {r.environment}, Dagster run {r.dagster_run_id}, "
                   f"launched by {r.launcher}; estimated from {r.estimate_detail}; approved by: {approvals or 'nobody yet'}")


@app.command("approve")
def approve_command(
    request: str = typer.Argument(..., help="The cost request id (`lakegate cost requests`)"),
    principal: Optional[str] = AS_OPTION,
    key: Optional[Path] = KEY_OPTION,
) -> None:
    """Sign a finance approval of one run's estimated cost (role finance; not the run's launcher)."""
    from lakegate.cost.finance_approval import (FINANCE_ROLE, FinanceApprovalError, launched_by, load_request,
                                                 record_finance_approval, sign_finance_approval)
    from lakegate.environment import lakegate_home
    from lakegate.governance.context import Governance

    home = lakegate_home()
    cost_request = load_request(request, home)
    governance = Governance.for_home(home)
    policy, _ = governance.policy()
    principal, private_key = signing_identity(policy, principal, key, role=FINANCE_ROLE)
    if launched_by(policy.principal(principal), cost_request):
        raise FinanceApprovalError(f"{principal} launched this run and may not approve its cost (segregation of duties)")
    approval = sign_finance_approval(private_key, cost_request, principal)
    path = record_finance_approval(approval, home, governance.ledger)
    typer.echo(f"approved up to ${approval.estimate_usd} for {cost_request.asset} in {cost_request.environment} "
               f"(Dagster run {cost_request.dagster_run_id}, launched by {cost_request.launcher}) as {FINANCE_ROLE} "
               f"by {principal}; recorded in {path}. Re-execute the refused step to run it.")
