"""`lakegate table show|history NAME`: look at a Delta table by its catalog.schema.table name."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from lakegate.environment import ConfigError

app = typer.Typer(help="Inspect lake tables (catalog.schema.table).", no_args_is_help=True)
console = Console()


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Table name, e.g. dev.silver.claims"),
    version: Optional[int] = typer.Option(None, "--version", help="Delta version to read (time travel)."),
    limit: int = typer.Option(10, help="Rows to print."),
) -> None:
    """Print a table's schema, row count and first rows (optionally as of a version)."""
    from lakegate.lake import environment_lake

    lake = environment_lake()
    dt_ = lake.table(name)
    if version is not None and not 0 <= version <= dt_.version():
        raise ConfigError(f"{name} has versions 0..{dt_.version()}; there is no version {version}")
    data = lake.read_arrow(name, version=version)
    shown = data.slice(0, limit).to_pylist()
    console.print(f"[bold]{name}[/] version {version if version is not None else dt_.version()}: {data.num_rows:,} rows")
    grid = Table(*data.column_names, show_lines=False)
    for row in shown:
        grid.add_row(*[_fmt(v) for v in row.values()])
    console.print(grid)


@app.command("history")
def history(name: str = typer.Argument(..., help="Table name, e.g. dev.bronze.claims")) -> None:
    """Print a table's Delta versions: when, which operation, how many rows."""
    from lakegate.lake import environment_lake

    grid = Table("version", "time (UTC)", "operation", "rows added", "rows in output")
    for commit in environment_lake().history(name):
        metrics = commit.get("operationMetrics", {})
        when = dt.datetime.fromtimestamp(commit["timestamp"] / 1000, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        grid.add_row(
            str(commit.get("version")),
            when,
            commit.get("operation", ""),
            _fmt(metrics.get("num_added_rows", metrics.get("numOutputRows"))),
            _fmt(metrics.get("num_output_rows")),
        )
    console.print(f"[bold]{name}[/]")
    console.print(grid)


def _fmt(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."
