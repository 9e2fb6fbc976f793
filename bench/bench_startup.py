"""Benchmark the start-up every `lakegate` command and the Dagster code location pay: a fresh
interpreter imports the graph's definitions and resolves them.

    .venv/bin/python bench/bench_startup.py [--repeat 5] [--compare-with /path/to/other/checkout ...]

Each checkout is measured in fresh processes (PYTHONPATH set to it, the same interpreter), taken in
turn so a busy machine slows them alike. Writes bench/results/startup.json and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Libraries a run needs and the definitions do not: the list the import guard keeps out.
from tests.unit.test_core_imports import RUN_TIME_LIBRARIES  # noqa: E402
CHILD = f"""
import json, sys, time
started = time.perf_counter()
import lakegate.definitions as d
imported = time.perf_counter()
d.defs.get_repository_def()
resolved = time.perf_counter()
print(json.dumps({{"import_seconds": imported - started, "resolve_seconds": resolved - imported,
                  "modules": len(sys.modules),
                  "run_time_libraries": [m for m in {RUN_TIME_LIBRARIES!r} if m in sys.modules]}}))
"""


def measure(checkout: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=checkout, env=env, capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: the definitions did not load:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summary(runs: list[dict]) -> dict:
    return {
        "import_seconds_median": round(statistics.median(r["import_seconds"] for r in runs), 3),
        "resolve_seconds_median": round(statistics.median(r["resolve_seconds"] for r in runs), 3),
        "import_seconds": [round(r["import_seconds"], 3) for r in runs],
        "modules": runs[-1]["modules"],
        "run_time_libraries": runs[-1]["run_time_libraries"],
    }


def commit_of(checkout: Path) -> str:
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--compare-with", type=Path, action="append", default=[],
                    help="another checkout (e.g. a git worktree of an older commit), measured in turn with this one")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "startup.json")
    args = ap.parse_args()

    checkouts = [ROOT, *(p.resolve() for p in args.compare_with)]
    runs: dict[Path, list[dict]] = {c: [] for c in checkouts}
    for _ in range(args.repeat):
        for checkout in checkouts:  # interleaved: each repeat measures every checkout once
            runs[checkout].append(measure(checkout))
    result = {
        "benchmark": "startup",
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                    "load_average_at_start": os.getloadavg()[0]},
        "repeat": args.repeat,
        "checkouts": [{"path": str(c), "commit": commit_of(c), **summary(runs[c])} for c in checkouts],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for entry in result["checkouts"]:
        print(f"{entry['commit']}: import lakegate.definitions {entry['import_seconds_median']:.2f} s (median of "
              f"{args.repeat}), resolve {entry['resolve_seconds_median']:.2f} s, {entry['modules']:,} modules; "
              f"run-time libraries loaded: {', '.join(entry['run_time_libraries']) or 'none'}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
