"""`lakegate alerts list`: every alert in `<catalog>.monitoring.alerts` (lakegate/alerting/table.py), newest last."""

from __future__ import annotations

import json
from typing import Optional

import typer

app = typer.Typer(help="Alerts: failed asset checks, stopped sensors or schedules, break-glass overrides.",
                  no_args_is_help=True)


@app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print as JSON (for machines)."),
    severity: Optional[str] = typer.Option(None, "--severity", help="Only WARN or only ERROR alerts."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the newest N alerts."),
) -> None:
    """Every alert: time, severity, what fired or resolved, what raised it and how its delivery went."""
    from lakegate.alerting.table import AlertTable, outbox_rows
    from lakegate.cli.errors import UsageError
    from lakegate.environment import current_environment, lakegate_home

    if severity is not None and severity not in ("WARN", "ERROR"):
        raise UsageError(f"--severity must be WARN or ERROR, not {severity!r}")
    env, home = current_environment(), lakegate_home()
    table = AlertTable(home, env.catalog)
    # A break-glass raised since the last sensor tick waits in the outbox: store it, so it is listed now
    # (the sensor delivers it at its next tick; storing twice is harmless, ids are stable).
    table.record(outbox_rows(home, lambda s: env.alerts.routes.get(s, [])))
    alerts = [a for a in table.read() if severity is None or a["severity"] == severity]
    alerts = alerts[-limit:] if limit else alerts
    if as_json:
        typer.echo(json.dumps([{**a, "time": a["time"].isoformat()} for a in alerts], indent=2))
        return
    if not alerts:
        typer.echo(f"no alerts in {table.name}")
    for a in alerts:
        typer.echo(f"{a['time']:%Y-%m-%d %H:%M:%S}  {a['severity']:5}  {a['title']}: {a['text']}  "
                   f"({a['source']}; {a['delivery_status']})")
