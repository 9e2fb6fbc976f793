"""`lakegate audit ...`: check the audit ledger (lakegate.ledger) and evidence bundles. One command a function.

`verify` checks the ledger under $LAKEGATE_HOME (or --ledger PATH): exit 0 and a one-line summary
when every record's hash, the chain, the order and the head agree; otherwise each problem, naming
its record and line, and exit 1. `--anchor` also checks that the ledger still extends every head
published to the environment's anchor (or `--anchor-file`, an auditor's copy).

`export MODEL VERSION OUT.zip` writes a model version's signed evidence bundle (lakegate.evidence);
`verify-bundle OUT.zip --trusted-keys FILE` checks one from the zip and the auditor's own trusted
keys: exit 0 with what was checked, 1 naming each problem, 2 when a file is missing or unreadable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="The audit ledger and evidence bundles: verify the ledger, export and verify a bundle.", no_args_is_help=True)
ANCHOR_FILE = typer.Option(None, "--anchor-file", help="An anchor log to check against (an auditor's copy)")


@app.command("verify")
def verify(
    ledger_path: Optional[Path] = typer.Option(None, "--ledger", help="A ledger file (default: $LAKEGATE_HOME/audit/ledger.jsonl)."),
    anchor: bool = typer.Option(False, "--anchor", help="Also check the ledger against the environment's published anchor"),
    anchor_file: Optional[Path] = ANCHOR_FILE,
) -> None:
    """Check every record's hash, the hash chain, the order and the head; exit 1 naming each problem."""
    from lakegate.ledger import Ledger

    ledger = Ledger(ledger_path) if ledger_path else Ledger.default()
    if ledger_path and not ledger.path.is_file():
        raise FileNotFoundError(f"no ledger at {ledger.path}")
    against = anchor_file or (ledger.anchor if anchor else None)
    if anchor and against is None:
        raise FileNotFoundError("--anchor needs the environment's anchor, which a --ledger file has none of: give --anchor-file")
    result = ledger.verify(anchor=against)
    anchored = f", extends every head published to {against}" if against else ""
    if result.ok and result.count == 0:
        typer.echo(f"OK: the ledger at {ledger.path} has no records yet")
    elif result.ok:
        typer.echo(f"OK: {result.count} records, chain intact{anchored}, last hash {result.last_hash} ({ledger.path})")
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
    """Write the signed evidence bundle an auditor receives: manifest, model card, lineage, lock file,
    gates, signed policies, signed approvals, tickets, the whole ledger of the version's chain and a
    snapshot of the model's dashboard page."""
    from lakegate.cli.dashboard import model_page_snapshot
    from lakegate.evidence import BundleError, export_bundle

    try:
        summary = export_bundle(model, version, out, extra_files=model_page_snapshot(model, version))
    except BundleError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None
    chain = " <- ".join(f"{c['model']} v{c['version']}" for c in summary.chain)
    typer.echo(f"wrote {summary.path}: {summary.files} files, sha256 {summary.sha256}, manifest signed by {summary.signer}")
    typer.echo(f"  {summary.model} v{summary.version}, artifact sha256 {summary.artifact_sha256}; chain {chain}")


@app.command("verify-bundle")
def verify_bundle_command(
    bundle: Path = typer.Argument(..., help="An evidence bundle written by `lakegate audit export`"),
    trusted_keys: Path = typer.Option(..., "--trusted-keys", help="YOUR trusted public keys (release signer, governance "
                                                                  "owner): never the bundle's"),
    anchor_file: Optional[Path] = ANCHOR_FILE,
) -> None:
    """Check a bundle from the zip and your trusted keys (no LAKEGATE_HOME, no MLflow); exit 1 naming each problem."""
    from lakegate.evidence_verify import BundleError, verify_bundle
    from lakegate.ledger_anchor import read_anchors
    from lakegate.trust import load_trusted_keys

    try:
        trusted = load_trusted_keys(trusted_keys)
        anchors = read_anchors(anchor_file) if anchor_file else None
        check = verify_bundle(bundle, trusted, approval_judge, anchors)
    except BundleError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise SystemExit(2) from None
    checked = ", ".join(f"{n} {what}" for what, n in check.checked.items())
    if check.ok:
        typer.echo(f"OK: {check.model} v{check.version} bundle {bundle} is intact: {checked}; the manifest is signed by "
                   f"{check.signer}, every file matches it, the ledger chains to its head{' and your anchor' if anchors else ''}, "
                   "policies are signed, every required gate passed, the approvals pass the gate")
        return
    typer.secho(f"FAILED: {len(check.problems)} problem(s) in {bundle} ({checked})", fg=typer.colors.RED, bold=True)
    for problem in check.problems:
        typer.echo(f"  {problem}")
    raise SystemExit(1)


def approval_judge(**records) -> tuple[bool, str]:
    """The platform's own approval gate, judging the bundled records (the CLI joins core and gates)."""
    from gates.approvals import evaluate_approval_gate

    verdict = evaluate_approval_gate(records.pop("model"), records.pop("version"), records.pop("artifact_hash"),
                                     records.pop("trained_by"), records.pop("target_env"), records.pop("purpose"),
                                     records.pop("approvals"), records.pop("policy"), records.pop("register"),
                                     records.pop("prior_promotion_approvers"), endpoint=records.pop("endpoint"),
                                     use_case=records.pop("use_case"))
    return verdict.passed, verdict.reason
