"""`lakegate audit ...`: check the audit ledger (lakegate.ledger). One command a function.

`verify` checks the ledger under $LAKEGATE_HOME (or --ledger PATH): exit 0 and a one-line summary
when every record's hash, the chain, the order and the head agree; otherwise each problem, naming
its record and line, and exit 1.

`export MODEL VERSION OUT.zip` writes a model version's evidence bundle (lakegate.evidence);
`verify-bundle OUT.zip` checks one from the zip alone: exit 0 with what was checked, 1 naming each
problem, 2 when the file is missing or not a bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="The audit ledger and evidence bundles: verify the ledger, export and verify a bundle.", no_args_is_help=True)


@app.command("verify")
def verify(
    ledger_path: Optional[Path] = typer.Option(None, "--ledger", help="A ledger file (default: $LAKEGATE_HOME/audit/ledger.jsonl)."),
) -> None:
    """Check every record's hash, the hash chain, the order and the head; exit 1 naming each problem."""
    from lakegate.ledger import Ledger

    ledger = Ledger(ledger_path) if ledger_path else Ledger.default()
    if ledger_path and not ledger.path.is_file():
        raise FileNotFoundError(f"no ledger at {ledger.path}")
    result = ledger.verify()
    if result.ok and result.count == 0:
        typer.echo(f"OK: the ledger at {ledger.path} has no records yet")
    elif result.ok:
        typer.echo(f"OK: {result.count} records, chain intact, last hash {result.last_hash} ({ledger.path})")
    else:
        typer.secho(f"FAILED: {len(result.problems)} problem(s) in {ledger.path}", fg=typer.colors.RED, bold=True)
        for problem in result.problems:
            typer.echo(f"  {problem}")
        # SystemExit, not typer.Exit: main() runs click in non-standalone mode, where click returns
        # typer.Exit's code instead of exiting with it.
        raise SystemExit(1)


@app.command("export")
def export(
    model: str = typer.Argument(..., help="Registered model, e.g. prod.claims.triage_model"),
    version: str = typer.Argument(..., help="Version number or alias (champion, challenger)"),
    out: Path = typer.Argument(..., help="The bundle to write, e.g. evidence.zip"),
) -> None:
    """Write the evidence bundle an auditor receives: manifest, model card, lineage, lock file, gates,
    bias report, signed approvals, ticket and ledger records of the version's promotion chain."""
    from lakegate.evidence import BundleError, export_bundle

    try:
        summary = export_bundle(model, version, out)
    except BundleError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None
    chain = " <- ".join(f"{c['model']} v{c['version']}" for c in summary.chain)
    typer.echo(f"wrote {summary.path}: {summary.files} files, sha256 {summary.sha256}")
    typer.echo(f"  {summary.model} v{summary.version}, artifact sha256 {summary.artifact_sha256}; chain {chain}")


@app.command("verify-bundle")
def verify_bundle_command(
    bundle: Path = typer.Argument(..., help="An evidence bundle written by `lakegate audit export`"),
) -> None:
    """Check a bundle from the zip alone (no LAKEGATE_HOME, no MLflow); exit 1 naming each problem."""
    from lakegate.evidence_verify import BundleError, verify_bundle

    try:
        check = verify_bundle(bundle)
    except BundleError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None
    checked = ", ".join(f"{n} {what}" for what, n in check.checked.items())
    if check.ok:
        typer.echo(f"OK: {check.model} v{check.version} bundle {bundle} is intact: {checked}; every file matches the "
                   "manifest, record hashes recompute, signatures verify, ticket approved, every gate passed")
        return
    typer.secho(f"FAILED: {len(check.problems)} problem(s) in {bundle} ({checked})", fg=typer.colors.RED, bold=True)
    for problem in check.problems:
        typer.echo(f"  {problem}")
    raise SystemExit(1)
