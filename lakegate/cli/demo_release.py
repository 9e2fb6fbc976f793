"""The demo's release step, shared by its first pass and by the loop's second champion: build the
candidates and their automated gates, have the demo people sign, and promote to prod as champion."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from lakegate.cli.materialize import console, print_summary, run_graph


def release(home: Path, use_cases: list, selection: str) -> bool:
    """Build what `selection` names (candidates and their gates, up to the test models), then sign and
    release each to prod as champion. False when the automated gates stopped it (nothing moved)."""
    from ml_assets import keys

    built = run_graph(selection)
    print_summary(built)
    for use_case in use_cases:
        print_gates(home, use_case.registered_model_name("dev"))
    if not built.success:
        if built.failure and "_candidate_gates" in built.failure:
            failed_gates = {c.check_name for c in built.checks if not c.passed and c.severity.value == "ERROR"}
            console.print(f"[yellow]promotion stopped at the automated gates ({', '.join(sorted(failed_gates))}): "
                          "no version moves to test or prod, champion stays where it was[/]")
            return False
        console.print(f"[red]run failed[/]: {built.failure}")
        raise typer.Exit(1)

    for use_case in use_cases:
        sign_promotion(home, use_case)
    releases = " or ".join(f"key:{keys.release_candidate_key(u).to_user_string()}+" for u in use_cases)
    released = run_graph(f"({releases}) and {keys.excluding(keys.DEPLOYMENT, keys.SCORING, keys.MONITORING)}")
    print_summary(released)
    for use_case in use_cases:
        print_gates(home, use_case.registered_model_name("test"))
    if not released.success:
        console.print(f"[red]release failed[/]: {released.failure}")
        raise typer.Exit(1)
    for use_case in use_cases:
        print_champion(home, use_case.registered_model_name("prod"))
    return True


def sign_promotion(home: Path, use_case) -> None:
    from lakegate.cli.demo_people import sign_required_roles
    from lakegate.registry import Registry

    name = use_case.registered_model_name("test")
    version = str(Registry.from_env(home=home).model_version(name, "challenger").version)
    sign_required_roles(home, use_case.name, name, version, "promotion", f"Promote {name} v{version} to production")


def print_gates(home: Path, model: str) -> None:
    """The latest verdict of each gate on the model's newest judged version, from the ledger."""
    from lakegate.ledger import Ledger

    records = [r for r in Ledger.for_home(home).records(kind="gate_evaluation")
               if r.subject.get("model") == model and r.inputs.get("at", "check") == "check"]
    if not records:
        return
    version = records[-1].subject.get("version")
    latest = {r.subject["gate"]: r for r in records if r.subject.get("version") == version}
    grid = Table(f"gate on {model} v{version}", "verdict", "figures and reason", show_lines=True)
    for gate, record in latest.items():
        verdict = "[green]passed[/]" if record.outcome.get("passed") else "[red]FAILED[/]"
        grid.add_row(gate, verdict, record.reason or "")
    console.print(grid)


def print_champion(home: Path, model: str) -> None:
    from lakegate.artifact import model_artifact_hash
    from lakegate.governance.context import Governance
    from lakegate.registry import Registry

    registry = Registry.from_env(home=home)
    governance = Governance.for_home(home)
    champion = registry.model_version(model, "champion")
    trainer = governance.trainer(model_artifact_hash(registry, model, champion.version))
    moves = [r for r in governance.ledger.alias_history(model) if r.inputs.get("alias") == "champion"]
    console.print(f"[bold green]champion[/]: {model} v{champion.version} "
                  f"(from {champion.tags.get('lakegate.promoted_from', '?')}, trained by {trainer} per the audit ledger)")
    if moves:
        last = moves[-1]
        console.print(f"    moved by {last.actor} at {last.time}: {last.reason}")
    console.print(f"history: .venv/bin/lakegate model history {model};  ledger: .venv/bin/lakegate audit verify --anchor")
    console.print(f"evidence: .venv/bin/lakegate audit export {model} champion evidence.zip && "
                  f".venv/bin/lakegate audit verify-bundle evidence.zip --trusted-keys {governance.trusted_keys_path}")
