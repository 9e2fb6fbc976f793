"""`lakegate data generate`: synthetic landing data for the use cases into landing folders. What each
use case generates, and its sizes, are declarations (lakehouse_assets/synthetic_data.py): the size
options here are made from them."""

from __future__ import annotations

import datetime as dt
import inspect
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from lakegate.cli.errors import UsageError
from lakegate.environment import lakegate_home
from lakehouse_assets.synthetic_data import DEFAULT_USE_CASE, SYNTHETIC_DATA, SyntheticData

app = typer.Typer(help="Synthetic data for the use cases.", no_args_is_help=True)
console = Console()


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


def size_parameters(help_suffix: str = "") -> list[inspect.Parameter]:
    """One `--<size>` option per declared size of every use case, for a command's signature."""
    parameters = []
    for data in SYNTHETIC_DATA:
        for size in data.sizes:
            option = typer.Option(size.default, f"--{size.option}", help=f"{data.use_case}: {size.help}{help_suffix}.")
            parameters.append(inspect.Parameter(size.option, inspect.Parameter.KEYWORD_ONLY, default=option,
                                                annotation=int))
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise ValueError(f"two use cases declare the same synthetic data size: {sorted(names)}")
    return parameters


def with_parameters(command: Callable, parameters: list[inspect.Parameter]) -> Callable:
    """`command(**options)` with the signature typer reads its options from."""
    command.__signature__ = inspect.Signature(parameters)
    return command


def sizes_of(data: SyntheticData, options: dict) -> dict[str, int]:
    return {size.option: options[size.option] for size in data.sizes}


def check(data: SyntheticData, sizes: dict[str, int], out: Path, dirty: float) -> None:
    """Refuse bad sizes, rate or folder before anything is written."""
    message = data.too_small(sizes)
    if message:
        raise UsageError(message)
    if not 0 <= dirty < 1:
        raise UsageError("--dirty is a rate between 0 and 1 (for example 0.02)")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")


def write(data: SyntheticData, out: Path, sizes: dict[str, int], seed: int, dirty: float, end: dt.date | None = None):
    with _progress_bar() as progress:
        return data.write(out, sizes, seed, dirty, progress, end)


def _end_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--end {text!r} is not a date (YYYY-MM-DD)") from None


def _wanted(use_case: str) -> list[SyntheticData]:
    names = [data.use_case for data in SYNTHETIC_DATA]
    if use_case == "all":
        return list(SYNTHETIC_DATA)
    if use_case not in names:
        raise UsageError(f"--use-case must be one of {', '.join(names)} or all, not {use_case!r}")
    return [data for data in SYNTHETIC_DATA if data.use_case == use_case]


def generate_command(**options) -> None:
    """Write use cases' landing files as CSV into landing folders (one folder per source)."""
    wanted = _wanted(options["use_case"])
    end = _end_date(options["end"])
    out = options["out"] or lakegate_home() / "landing"
    for data in wanted:  # every use case checked before any is written
        check(data, sizes_of(data, options), out, options["dirty"])
    for data in wanted:
        report = write(data, out, sizes_of(data, options), options["seed"], options["dirty"], end)
        for source, rows in report.to_dict().get("rows", {}).items():
            console.print(f"  {source:<18} {rows:>10,} rows")
    console.print(f"[green]wrote[/] {out}")


def _generate_parameters() -> list[inspect.Parameter]:
    keyword = inspect.Parameter.KEYWORD_ONLY
    use_cases = ", ".join(data.use_case for data in SYNTHETIC_DATA)
    dated = ", ".join(data.use_case for data in SYNTHETIC_DATA if data.dated)
    return [
        inspect.Parameter("out", keyword, annotation=Optional[Path], default=typer.Option(
            None, "--out", help="Landing root to write into (default: $LAKEGATE_HOME/landing).")),
        inspect.Parameter("use_case", keyword, annotation=str, default=typer.Option(
            DEFAULT_USE_CASE, "--use-case", help=f"Whose data: {use_cases} or all.")),
        *size_parameters(),
        inspect.Parameter("end", keyword, annotation=Optional[str], default=typer.Option(
            None, help=f"{dated}: last day of the data, YYYY-MM-DD (default: the generator's fixed end date).")),
        inspect.Parameter("seed", keyword, annotation=int, default=typer.Option(
            7, help="Random seed: the same seed writes the same files.")),
        inspect.Parameter("dirty", keyword, annotation=float, default=typer.Option(
            0.0, help="Share of rows made malformed (0 = clean), plus unreadable files.")),
    ]


app.command("generate")(with_parameters(generate_command, _generate_parameters()))
