"""`lakegate drill NAME`: the rollback and recovery rehearsal (lakegate/serving/drill.py) on one
endpoint now, recorded in the ledger. Exit 1 when the rollback failed a request or recovery took
longer than the target, 2 when there is nothing to drill on.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import typer


def drill_command(name: str = typer.Argument(..., help="Serving endpoint, e.g. claims-triage"),
                  as_json: bool = typer.Option(False, "--json", help="Print the result as JSON.")) -> None:
    """Roll back and forward under load, then recover serving after losing the host; record the drill."""
    from lakegate.cli.errors import UsageError
    from lakegate.cli.serving_app import local_endpoints
    from lakegate.environment import current_environment, lakegate_home
    from lakegate.ledger import Ledger
    from lakegate.cli.monitor_status import use_case_served_on
    from lakegate.serving.drill import drill_and_record, report
    from ml_assets.features.request_samples import REQUEST_SAMPLES

    use_case = use_case_served_on(name, "endpoint to drill")
    home, env = lakegate_home(), current_environment()
    endpoints = local_endpoints(env, home)
    bodies = REQUEST_SAMPLES[use_case.name](home / "landing")
    if not bodies:
        raise UsageError(f"no landed records to make {name}'s drill traffic from (lakegate data generate)")
    result, record = drill_and_record(home, env, endpoints, name, bodies, Ledger.for_home(home, env))
    if as_json:
        typer.echo(json.dumps({**asdict(result), "passed": result.passed, "ledger_seq": record.seq}, indent=2))
    else:
        typer.echo(report(result, record.seq))
    raise typer.Exit(0 if result.passed else 1)


