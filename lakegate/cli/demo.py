"""`lakegate demo`: the whole chain on the embedded default, as a newcomer first sees it.

1. generate synthetic claims into landing (when it is empty);
2. build lakehouse, features, training set and candidate model; the automated gates judge it and,
   when all pass, the candidate is copied to the test catalog;
3. the demo approvers sign: a change ticket is opened and signed off by the change approver, model
   risk and compliance sign with their Ed25519 keys (generated in the trust directory beside
   $LAKEGATE_HOME, never committed), bound to the version, its artifact and its recorded trainer;
4. the release candidate's approval gate decides, and prod takes the version as champion;
5. the release manager signs the deployment; the champion goes to the `claims-triage` endpoint (a
   canary against the incumbent when there is one) and a claim is scored through `lakegate serve`.
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
DEMO_APPROVERS = (("mo.risk", "model_risk"), ("cy.compliance", "compliance"))
CHANGE_APPROVER = "cab.chair"
BUILD = "(not group:promotion and not group:deployment) or key:ml/claims_triage_test_model"
RELEASE = "key:ml/claims_triage_release_candidate+ and not group:deployment"


def demo_command(
    claims: int = typer.Option(20_000, help="Claims to generate when landing is empty."),
    members: int = typer.Option(2_000, help="Members to generate when landing is empty."),
    dirty: float = typer.Option(0.02, help="Share of malformed rows in the generated data."),
    seed: int = typer.Option(7, help="Random seed for the generated data."),
) -> None:
    """The main job on the embedded default: data → lakehouse → features → model → gates → champion."""
    from gates.demo_governance import init_demo_governance
    from lakegate.cli.data import generate_landing

    home = lakegate_home()
    os.environ.setdefault("LAKEGATE_PRINCIPAL", DEMO_TRAINER)  # who trains: never an approver
    governance = init_demo_governance(home)
    console.print(f"demo principals' keys, trusted keys and the ledger anchor: {governance.trust.keys_dir.parent} "
                  f"(outside {home}); policies signed by the demo governance owner")
    landing = home / "landing"
    if landing.exists() and any(landing.rglob("*.csv*")):
        console.print(f"landing {landing} already has files: ingesting what is new")
    else:
        console.print(f"[bold]generating[/] {claims:,} claims for {members:,} members into {landing}")
        generate_landing(landing, members, claims, seed, dirty)

    built = run_graph(BUILD)
    print_summary(built)
    print_gates(home, "dev.claims.triage_model")
    if not built.success:
        failed_gates = {c.check_name for c in built.checks if not c.passed and c.severity.value == "ERROR"}
        if built.failure and built.failure.startswith("candidate_gates"):
            console.print(f"[yellow]promotion stopped at the automated gates ({', '.join(sorted(failed_gates))}): "
                          "no version moves to test or prod, champion stays where it was[/]")
            return
        console.print(f"[red]run failed[/]: {built.failure}")
        raise typer.Exit(1)

    version, ticket = sign_demo_approvals(home)
    released = run_graph(RELEASE)
    print_summary(released)
    print_gates(home, "test.claims.triage_model")
    if not released.success:
        console.print(f"[red]release failed[/]: {released.failure}")
        raise typer.Exit(1)
    print_champion()

    from lakegate.cli.demo_serving import deploy_and_serve

    if not deploy_and_serve(home):
        console.print("[red]deployment did not complete[/]: the endpoint keeps its previous version")
        raise typer.Exit(1)


def sign_demo_approvals(home: Path) -> tuple[str, str]:
    """Open a change ticket and have the change approver sign it off, then sign as the demo approvers
    (as people would with `lakegate change create|approve` and `lakegate approve`)."""
    from lakegate.registry import Registry

    name = "test.claims.triage_model"
    version = Registry.from_env(home=home).model_version(name, "challenger").version
    ticket = demo_ticket(home, name, version, f"Promote claims triage {name} v{version} to production")
    for principal, role in DEMO_APPROVERS:
        demo_sign(home, principal, role, name, version, ticket, "promotion")
    return version, ticket


def demo_ticket(home: Path, model: str, version: str, summary: str) -> str:
    """A change ticket for `model` `version`, signed off by the demo's change approver."""
    from gates.demo_governance import demo_key_path
    from lakegate.governance.change_register import add_ticket, approve_ticket
    from lakegate.ledger import Ledger
    from lakegate.signing import load_private_key

    ticket = add_ticket(model, version, summary)
    approve_ticket(ticket.id, CHANGE_APPROVER, load_private_key(demo_key_path(CHANGE_APPROVER, home)),
                   ledger=Ledger.for_home(home))
    console.print(f"change ticket {ticket.id} for {model} v{version} signed off by {CHANGE_APPROVER}")
    return ticket.id


def demo_sign(home: Path, principal: str, role: str, model: str, version: str, ticket: str | None, purpose: str,
              endpoint: str | None = None) -> None:
    """Sign as a demo person, with the trainer the audit ledger records for the version's artifact."""
    from gates.demo_governance import demo_key_path
    from lakegate.artifact import model_artifact_hash
    from lakegate.governance.approvals import record_approval, sign_approval
    from lakegate.governance.context import Governance
    from lakegate.registry import Registry
    from lakegate.signing import load_private_key

    governance = Governance.for_home(home)
    artifact = model_artifact_hash(Registry.from_env(home=home), model, version)
    trainer = governance.trainer(artifact)
    approval = sign_approval(load_private_key(demo_key_path(principal, home)), model, version, artifact, role, ticket,
                             principal, purpose, dt.datetime.now(dt.timezone.utc), trained_by=trainer, endpoint=endpoint)
    record_approval(approval, home, governance.ledger)
    where = f" on {endpoint}" if endpoint else ""
    console.print(f"signed: {principal} approves {model} v{version} for {purpose}{where} as {role} "
                  f"(artifact sha256 {artifact[:12]}…, trained by {trainer})")


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


def print_champion() -> None:
    from lakegate.artifact import model_artifact_hash
    from lakegate.governance.context import Governance
    from lakegate.registry import Registry

    registry = Registry.from_env()
    governance = Governance.for_home(lakegate_home())
    champion = registry.model_version("prod.claims.triage_model", "champion")
    trainer = governance.trainer(model_artifact_hash(registry, "prod.claims.triage_model", champion.version))
    moves = [r for r in governance.ledger.alias_history("prod.claims.triage_model") if r.inputs.get("alias") == "champion"]
    console.print(f"[bold green]champion[/]: prod.claims.triage_model v{champion.version} "
                  f"(from {champion.tags.get('lakegate.promoted_from', '?')}, trained by {trainer} per the audit ledger)")
    if moves:
        last = moves[-1]
        console.print(f"    moved by {last.actor} at {last.time}: {last.reason}")
    console.print("history: .venv/bin/lakegate model history prod.claims.triage_model;  "
                  "ledger: .venv/bin/lakegate audit verify --anchor")
    trusted = governance.trusted_keys_path
    console.print(f"evidence: .venv/bin/lakegate audit export prod.claims.triage_model champion evidence.zip && "
                  f".venv/bin/lakegate audit verify-bundle evidence.zip --trusted-keys {trusted}")
