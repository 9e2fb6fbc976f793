"""`lakegate materialize [SELECTION]` and `lakegate demo`: run the graph in this process."""

from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from lakegate.environment import current_environment, lakegate_home

# Bound to the real stdout: tool output printed during a run goes to the run's log file.
console = Console(file=sys.stdout)


def _print_event(entry) -> None:
    event = entry.dagster_event
    kind = event.event_type_value
    if kind == "STEP_START":
        console.print(f"[cyan]▶[/] {event.step_key}")
    elif kind == "STEP_SUCCESS":
        console.print(f"[green]✔[/] {event.step_key}")
    elif kind == "STEP_FAILURE":
        console.print(f"[red]✘ {event.step_key}[/]")
    elif kind == "ASSET_MATERIALIZATION":
        meta = event.event_specific_data.materialization.metadata
        rows = meta.get("dagster/row_count")
        rows_text = f" {rows.value:,} rows" if rows is not None else ""
        console.print(f"    [dim]materialized[/] {event.asset_key.to_user_string()}{rows_text}")
    elif kind == "ASSET_CHECK_EVALUATION":
        evaluation = event.event_specific_data
        if not evaluation.passed:
            severity = evaluation.severity.value
            colour = "red" if severity == "ERROR" else "yellow"
            console.print(f"    [{colour}]check {severity.lower()}[/] {evaluation.asset_key.to_user_string()} {evaluation.check_name}")


def run_graph(selection: Optional[str]):
    from lakegate.definitions import definitions_for
    from lakegate.run import materialize

    env = current_environment()
    console.print(f"[bold]materializing[/] {selection or 'all assets'} in environment [bold]{env.name}[/] (catalog {env.catalog})")
    outcome = materialize(definitions_for(env), selection, on_event=_print_event, tags={"lakegate/env": env.name})
    return outcome


def print_summary(outcome) -> None:
    from lakegate.lake import environment_lake

    lake = environment_lake()
    grid = Table("asset", "table", "Delta version", "rows")
    for m in outcome.materializations:
        meta = m.metadata
        table = meta.get("dagster/table_name")
        rows = meta.get("dagster/row_count")
        version = next((v.value for k, v in meta.items() if k.startswith("delta_version/")), "")
        grid.add_row(m.asset_key.to_user_string(), table.value if table else "", str(version), f"{rows.value:,}" if rows else "")
    console.print(grid)
    for m in outcome.materializations:
        meta = m.metadata
        if "mlflow/run_url" in meta:  # a trained candidate
            metrics = ", ".join(f"{k.split('/', 1)[1]} {v.value:.3f}" for k, v in meta.items()
                                if k.startswith("test/") and isinstance(v.value, float))
            console.print(f"model [bold]{meta['mlflow/model_uri'].value}[/] (alias {meta['mlflow/alias'].value}): {metrics}")
            console.print(f"    MLflow run {meta['mlflow/run_url'].value}")
        elif "source" in meta and "alias" in meta:  # a promotion
            console.print(f"promoted [bold]{meta['source'].value}[/] → {meta['model'].value} v{meta['version'].value} "
                          f"(alias {meta['alias'].value})")
    failed = [c for c in outcome.checks if not c.passed]
    if failed:
        checks = Table("check that did not pass", "severity", "figures")
        for c in sorted(failed, key=lambda c: (c.severity.value, c.asset_key.to_user_string(), c.check_name)):
            figures = {k: v.value for k, v in c.metadata.items() if k in ("failed_rows", "quarantine_share", "landed_rows", "bronze_rows")}
            checks.add_row(f"{c.asset_key.to_user_string()} {c.check_name}", c.severity.value, ", ".join(f"{k}={v}" for k, v in figures.items()))
        console.print(checks)
    console.print(f"checks: {len(outcome.checks) - len(failed)} passed, {len(failed)} did not pass "
                  f"({sum(1 for c in failed if c.severity.value == 'ERROR')} at ERROR severity)")
    console.print(f"tables are Delta under [bold]{lake.root}[/]; look at one with: lakegate table show dev.silver.claims")
    console.print(f"Dagster UI: DAGSTER_HOME={lakegate_home() / 'dagster'} .venv/bin/dagster dev -h 127.0.0.1 "
                  "-w workspace.yaml (then http://127.0.0.1:3000)")
    if outcome.log_path:
        console.print(f"tool output (dbt) of this run: {outcome.log_path}")
    console.print(f"run {outcome.run_id} took {outcome.seconds:.1f} s")


def materialize_command(
    selection: Optional[str] = typer.Argument(None, help="Dagster asset selection, e.g. 'group:silver' or 'key:bronze/claims+'. Default: everything."),
) -> None:
    """Materialize assets in this process, with progress, and record the run for the Dagster UI."""
    outcome = run_graph(selection)
    print_summary(outcome)
    if not outcome.success:
        console.print(f"[red]run failed[/]: {outcome.failure}")
        raise typer.Exit(1)
