"""`lakegate monitor status NAME`: an endpoint's latest monitor windows, the verdicts on its champion,
and what they made happen (rollbacks, retraining requests, alert-only verdicts)."""

from __future__ import annotations

import json
from typing import Optional

import typer

app = typer.Typer(help="Monitoring of served models: drift, live quality, SLA and what acted.", no_args_is_help=True)
WINDOWS_SHOWN = 6


@app.command("status")
def status_command(
    name: str = typer.Argument(..., help="Serving endpoint, e.g. claims-triage"),
    granularity: Optional[str] = typer.Option(None, help="Window granularity (default: the policy's judged one)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON (for machines)."),
) -> None:
    """Latest windows per served version, the last verdict of each monitor check, and the actions taken."""
    from lakegate.cli.monitor_status import monitor_status

    document = monitor_status(name, granularity, WINDOWS_SHOWN)
    if as_json:
        typer.echo(json.dumps(document, indent=2, default=str))
        return
    _print(document)


def _print(doc: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{doc['endpoint']}[/]: champion {doc['model']} v{doc['champion'] or '-'}; "
                  f"{doc['granularity']} windows from {doc['profile_table']} (Delta version {doc['profile_version']})")
    windows = Table("window start", "version", "rows", "labelled", "precision", "recall", "p99 ms", "errors",
                    "drifted features")
    for w in doc["windows"]:
        windows.add_row(str(w["start"]), w["model_id"], str(w["rows"]), _share(w["label_coverage"]),
                        _num(w["precision"]), _num(w["recall"]), _num(w["latency_p99_ms"]), _share(w["error_rate"]),
                        ", ".join(w["drifted"]) or "-")
    console.print(windows)
    verdicts = Table("check", "outcome", "version", "reason")
    for v in doc["verdicts"]:
        verdicts.add_row(v["family"], v["outcome"], str(v["model_version"] or "-"), v["reason"])
    console.print(verdicts if doc["verdicts"] else "no monitor run yet: `lakegate materialize key:"
                  f"{doc['monitor_asset']}`")
    for action in doc["actions"]:
        console.print(f"{action['time']}  {action['action']}: {action['reason']}  (ledger record {action['seq']})")
    if not doc["actions"]:
        console.print("no action taken")


def _num(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _share(value) -> str:
    return "-" if value is None else f"{value:.1%}"
