"""`lakegate alerts list`: the alerts raised so far (the outbox, lakegate/alerts.py), newest last."""

from __future__ import annotations

import json

import typer

app = typer.Typer(help="Alerts raised by the platform (break-glass overrides so far).", no_args_is_help=True)


@app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Print as JSON (for machines).")) -> None:
    """Every alert in the outbox: time, severity, title, text and what raised it."""
    from lakegate.alerts import list_alerts
    from lakegate.environment import lakegate_home

    alerts = list_alerts(lakegate_home())
    if as_json:
        typer.echo(json.dumps(alerts, indent=2))
        return
    if not alerts:
        typer.echo("no alerts")
    for alert in alerts:
        typer.echo(f"{alert['time']}  {alert['severity']:5}  {alert['title']}: {alert['text']}  ({alert['source']})")
