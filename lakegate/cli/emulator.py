"""`lakegate databricks-emulator`: start the Databricks workspace emulator for trying LAKEGATE_ENV=databricks.

The emulator is a package of its own that product code never imports (docs/databricks-emulator.md),
so this command runs it as its own process, `python -m databricks_emulator`, and becomes it
(exec): Ctrl-C and SIGTERM reach the emulator directly, and it stops its children. It prints
DATABRICKS_HOST and DATABRICKS_TOKEN once it accepts connections; export both, with
LAKEGATE_ENV=databricks, in the shell that runs Lakegate.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from lakegate.cli.errors import UsageError

EMULATOR_MODULE = "databricks_emulator"  # run by name, never imported here


def databricks_emulator_command(
    port: int = typer.Option(8089, "--port", help="Port on 127.0.0.1 (0: any free port)"),
    root: Path = typer.Option(Path(".databricks-emulator"), "--root", help="Folder that holds the emulated workspace"),
    serving_update_seconds: float = typer.Option(1.0, "--serving-update-seconds",
                                                 help="Shortest time a serving config update stays IN_PROGRESS"),
) -> None:
    """Start a local Databricks workspace emulator (not Databricks) and print DATABRICKS_HOST and DATABRICKS_TOKEN."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0..65535, not {port}")
    if root.exists() and not root.is_dir():
        raise UsageError(f"--root {root} exists and is not a folder")
    if serving_update_seconds < 0:
        raise UsageError("--serving-update-seconds must not be negative")
    command = [sys.executable, "-m", EMULATOR_MODULE, "--port", str(port), "--root", str(root),
               "--serving-update-seconds", str(serving_update_seconds)]
    sys.stdout.flush()
    os.execv(sys.executable, command)
