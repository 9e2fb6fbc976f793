"""`python -m databricks_emulator --port N --root DIR`: start the emulated workspace."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Served models score one request at a time per version (a replica, served_models.py): scikit-learn's
# OpenMP threads then only contend with the emulator's own threads (a one-row HistGradientBoosting
# predict went from most of a canary step's time to a share of it). Set before numpy/sklearn load.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from databricks_emulator.server import EmulatorOptions, serve  # noqa: E402

TOKEN_ENV = "DATABRICKS_EMULATOR_TOKEN"  # a fixed token instead of a generated one


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m databricks_emulator",
                                     description="A local Databricks workspace emulator on 127.0.0.1 (for tests).")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    parser.add_argument("--root", type=Path, required=True, help="folder holding the workspace's state")
    parser.add_argument("--serving-update-seconds", type=float, default=1.0,
                        help="shortest time a serving config update stays IN_PROGRESS")
    parser.add_argument("--payload-flush-seconds", type=float, default=1.0,
                        help="how often captured requests are appended to their endpoint's inference table")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be 0..65535, not {args.port}")
    if args.root.exists() and not args.root.is_dir():
        parser.error(f"--root {args.root} exists and is not a folder")
    if args.serving_update_seconds < 0:
        parser.error("--serving-update-seconds must not be negative")
    if args.payload_flush_seconds <= 0:
        parser.error("--payload-flush-seconds must be positive")
    try:
        serve(EmulatorOptions(root=args.root, port=args.port, token=os.environ.get(TOKEN_ENV),
                              serving_update_seconds=args.serving_update_seconds,
                              payload_flush_seconds=args.payload_flush_seconds))
    except OSError as error:  # the port is taken, the root is not writable...
        print(f"databricks_emulator: cannot start: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
