"""`lakegate data generate`: synthetic health-insurer data into landing folders."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lakegate.cli.errors import UsageError
from lakegate.environment import lakegate_home

app = typer.Typer(help="Synthetic data for the claims-triage example.", no_args_is_help=True)
console = Console()


def generate_landing(out: Path, members: int, claims: int, seed: int, dirty: float):
    from lakehouse_assets.synthetic import generate

    if members < 1 or claims < 1:
        raise UsageError("--members and --claims must be at least 1")
    if not 0 <= dirty < 1:
        raise UsageError("--dirty is a rate between 0 and 1 (for example 0.02)")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        tasks: dict[str, int] = {}

        def progress(source: str, done: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = bar.add_task(f"generating {source}", total=total)
            bar.update(tasks[source], completed=done, total=total)

        return generate(out, members=members, claims=claims, seed=seed, dirty=dirty, progress=progress)


@app.command("generate")
def generate_command(
    out: Optional[Path] = typer.Option(None, "--out", help="Landing root to write into (default: $LAKEGATE_HOME/landing)."),
    members: int = typer.Option(2_000, help="Number of members."),
    claims: int = typer.Option(20_000, help="Number of claims."),
    seed: int = typer.Option(7, help="Random seed: the same seed writes the same files."),
    dirty: float = typer.Option(0.0, help="Share of rows made malformed (0 = clean), plus unreadable files."),
) -> None:
    """Write members, providers, claims and claim outcomes as CSV files into landing folders."""
    out = out or lakegate_home() / "landing"
    report = generate_landing(out, members, claims, seed, dirty)
    for source, rows in report.to_dict().get("rows", {}).items():
        console.print(f"  {source:<15} {rows:>10,} rows")
    console.print(f"[green]wrote[/] {out}")
