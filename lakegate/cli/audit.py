"""`lakegate audit ...`: check the audit ledger (lakegate.ledger). One command a function.

`verify` checks the ledger under $LAKEGATE_HOME (or --ledger PATH): exit 0 and a one-line summary
when every record's hash, the chain, the order and the head agree; otherwise each problem, naming
its record and line, and exit 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(help="The audit ledger: verify it (export and bundles come later).", no_args_is_help=True)


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
