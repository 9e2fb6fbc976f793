"""`lakegate data generate`: synthetic landing data for the example use cases (the insurer's claims
and the manufacturer's machines) into landing folders."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lakegate.cli.errors import UsageError
from lakegate.environment import lakegate_home

app = typer.Typer(help="Synthetic data for the example use cases.", no_args_is_help=True)
console = Console()
USE_CASE_DATA = ("claims_triage", "machine_failure")  # what --use-case can name, besides "all"


@contextmanager
def _progress_bar():
    """A progress(stage, done, total) callback drawing one bar per stage."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"generating {stage}", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


def _check_common(out: Path, dirty: float) -> None:
    if not 0 <= dirty < 1:
        raise UsageError("--dirty is a rate between 0 and 1 (for example 0.02)")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")


def generate_landing(out: Path, members: int, claims: int, seed: int, dirty: float):
    """The insurer's members, providers, claims and outcomes (claims triage)."""
    from lakehouse_assets.synthetic import generate

    if members < 1 or claims < 1:
        raise UsageError("--members and --claims must be at least 1")
    _check_common(out, dirty)
    with _progress_bar() as progress:
        return generate(out, members=members, claims=claims, seed=seed, dirty=dirty, progress=progress)


def generate_machine_landing(out: Path, machines: int, days: int, seed: int, dirty: float, end: dt.date | None = None):
    """The manufacturer's machines, sensor readings, maintenance and failure events (machine failure),
    covering the `days` days up to `end` (default: the generator's fixed end date)."""
    from lakehouse_assets.synthetic.machines import END, generate_machines

    if machines < 1 or days < 7:
        raise UsageError("--machines must be at least 1 and --days at least 7")
    _check_common(out, dirty)
    with _progress_bar() as progress:
        return generate_machines(out, machines=machines, days=days, seed=seed, dirty=dirty, end=end or END,
                                 progress=progress)


def _end_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--end {text!r} is not a date (YYYY-MM-DD)") from None


@app.command("generate")
def generate_command(
    out: Optional[Path] = typer.Option(None, "--out", help="Landing root to write into (default: $LAKEGATE_HOME/landing)."),
    use_case: str = typer.Option("claims_triage", "--use-case", help="Whose data: claims_triage, machine_failure or all."),
    members: int = typer.Option(2_000, help="claims_triage: number of members."),
    claims: int = typer.Option(20_000, help="claims_triage: number of claims."),
    machines: int = typer.Option(120, help="machine_failure: number of machines."),
    days: int = typer.Option(240, help="machine_failure: days of sensor readings and events."),
    end: Optional[str] = typer.Option(None, help="machine_failure: last day of the data, YYYY-MM-DD (default 2026-10-31)."),
    seed: int = typer.Option(7, help="Random seed: the same seed writes the same files."),
    dirty: float = typer.Option(0.0, help="Share of rows made malformed (0 = clean), plus unreadable files."),
) -> None:
    """Write a use case's landing files as CSV into landing folders (claims triage: members, providers,
    claims, claim outcomes; machine failure: machines, sensor readings, maintenance and failure events)."""
    if use_case not in (*USE_CASE_DATA, "all"):
        raise UsageError(f"--use-case must be one of {', '.join(USE_CASE_DATA)} or all, not {use_case!r}")
    end_date = _end_date(end)
    out = out or lakegate_home() / "landing"
    wanted = USE_CASE_DATA if use_case == "all" else (use_case,)
    reports = []
    if "claims_triage" in wanted:
        reports.append(generate_landing(out, members, claims, seed, dirty))
    if "machine_failure" in wanted:
        reports.append(generate_machine_landing(out, machines, days, seed, dirty, end_date))
    for report in reports:
        for source, rows in report.to_dict().get("rows", {}).items():
            console.print(f"  {source:<18} {rows:>10,} rows")
    console.print(f"[green]wrote[/] {out}")
