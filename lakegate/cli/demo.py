"""`lakegate demo`: the whole chain on the embedded default, for every use case, as a newcomer first sees it.

1. generate synthetic data into landing (when it is empty);
2. build lakehouse, features, training sets and candidate models; the automated gates judge each
   and, when all pass, the candidate is copied to the test catalog;
3. the demo people sign (lakegate/cli/demo_people.py): a change ticket signed off by the change
   approver, and every role the signed governance policy requires for the use case, with Ed25519
   keys generated in the trust directory beside $LAKEGATE_HOME (never committed);
4. each release candidate's approval gate decides, and prod takes the version as champion;
5. the release manager signs each deployment; each champion goes to its endpoint (a canary against
   the incumbent when there is one) and a request is scored through `lakegate serve`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import typer
from rich.table import Table

from lakegate.cli.materialize import console, print_summary, run_graph
from lakegate.environment import lakegate_home

DEMO_TRAINER = "ana.trainer"


def demo_command(
    claims: int = typer.Option(20_000, help="Claims to generate when landing is empty."),
    members: int = typer.Option(2_000, help="Members to generate when landing is empty."),
    dirty: float = typer.Option(0.02, help="Share of malformed rows in the generated data."),
    machines: int = typer.Option(120, help="Machines to generate when landing is empty."),
    days: int = typer.Option(240, help="Days of machine data to generate when landing is empty."),
    seed: int = typer.Option(7, help="Random seed for the generated data."),
) -> None:
    """The main job on the embedded default: data → lakehouse → features → models → gates → champions → serving."""
    from gates.demo_governance import init_demo_governance
    from lakegate.cli.data import generate_landing, generate_machine_landing
    from ml_assets import keys
    from ml_assets.usecases import USE_CASES

    home = lakegate_home()
    os.environ.setdefault("LAKEGATE_PRINCIPAL", DEMO_TRAINER)  # who trains: never an approver
    governance = init_demo_governance(home)
    console.print(f"demo principals' keys, trusted keys and the ledger anchor: {governance.trust.keys_dir.parent} "
                  f"(outside {home}); policies signed by the demo governance owner")
    landing = home / "landing"
    if landing.exists() and any(landing.rglob("*.csv*")):
        console.print(f"landing {landing} already has files: ingesting what is new")
    else:
        console.print(f"[bold]generating[/] {claims:,} claims for {members:,} members, and {days} days of "
                      f"{machines} machines, into {landing}")
        generate_landing(landing, members, claims, seed, dirty)
        # Up to today: the machine features' TTLs are days, so readings that ended weeks ago would be
        # stale for every request the demo serves.
        generate_machine_landing(landing, machines, days, seed, dirty, end=dt.date.today())

    use_cases = list(USE_CASES.values())
    test_models = " or ".join(f"key:{keys.test_model_key(u).to_user_string()}" for u in use_cases)
    built = run_graph(f"(not {keys.selection(keys.PROMOTION)} and not {keys.selection(keys.DEPLOYMENT)}) or {test_models}")
    print_summary(built)
    for use_case in use_cases:
        print_gates(home, use_case.registered_model_name("dev"))
    if not built.success:
        if built.failure and "_candidate_gates" in built.failure:
            failed_gates = {c.check_name for c in built.checks if not c.passed and c.severity.value == "ERROR"}
            console.print(f"[yellow]promotion stopped at the automated gates ({', '.join(sorted(failed_gates))}): "
                          "no version moves to test or prod, champion stays where it was[/]")
            return
        console.print(f"[red]run failed[/]: {built.failure}")
        raise typer.Exit(1)

    for use_case in use_cases:
        sign_promotion(home, use_case)
    releases = " or ".join(f"key:{keys.release_candidate_key(u).to_user_string()}+" for u in use_cases)
    released = run_graph(f"({releases}) and not {keys.selection(keys.DEPLOYMENT)}")
    print_summary(released)
    for use_case in use_cases:
        print_gates(home, use_case.registered_model_name("test"))
    if not released.success:
        console.print(f"[red]release failed[/]: {released.failure}")
        raise typer.Exit(1)
    for use_case in use_cases:
        print_champion(home, use_case.registered_model_name("prod"))

    from lakegate.cli.demo_serving import deploy_and_serve

    if not deploy_and_serve(home, use_cases):
        console.print("[red]deployment did not complete[/]: the endpoints keep their previous versions")
        raise typer.Exit(1)


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
