"""Benchmark landing → gold: generated claims through bronze, silver and gold, in-process.

    .venv/bin/python bench/bench_landing_to_gold.py [--claims 100000 1000000] [--dirty 0.02]
        [--increment-claims 10000] [--baseline-wall SECONDS --baseline-note TEXT]

Each size runs in a fresh process (fresh Sail engine, fresh LAKEGATE_HOME, ephemeral Dagster
instance). Generating the data is timed apart and not counted. Reported per size:
- wall: the whole in-process Dagster run (`lakegate.run.materialize`), landing → gold;
- per step: Dagster's step duration, and the time inside the asset's own transform function
  (bronze/silver `seconds` metadata; for gold the whole dbt step, since dbt is the transform);
- orchestration overhead: wall time outside the transforms, as a share of wall;
- peak memory: the largest resident set of the run's process (Sail runs inside it; dbt's own
  process is not counted: a forked child's figure includes its parent's pages, so it says nothing);
- the second run: one new claims file (`--increment-claims` lines) lands after the first run and
  the same selection runs again; its bronze step shows what ingesting that file alone costs.
With more than one size, the wall-time ratio of each size to the smallest is printed (linearity).
A baseline (today's figure of another build, measured on this machine) can be given to print beside
the results. Writes bench/results/landing_to_gold.json and prints a summary table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "landing_to_gold.json"
LANDING_TO_GOLD = "group:bronze or group:silver or group:gold"


def _steps(outcome) -> dict:
    inside: dict[str, float] = {}
    for m in outcome.materializations:
        seconds = m.metadata.get("seconds")
        if seconds is not None:
            step = "bronze" if m.asset_key.path[0] == "bronze" else f"silver_{m.asset_key.path[-1]}"
            inside[step] = inside.get(step, 0.0) + seconds.value
    steps = {}
    for step, duration in sorted(outcome.step_seconds.items()):
        # bronze's sources ingest side by side: their seconds add up to more than the step took
        transform = duration if step.startswith("gold") else min(duration, inside.get(step, 0.0))
        steps[step] = {"step_seconds": round(duration, 3), "transform_seconds": round(transform, 3)}
    return steps


def _land_increment(home: Path, claims: int, dirty: float) -> int:
    """One new claims file in landing, from a separate small generation (ids may repeat: corrections)."""
    from lakehouse_assets.synthetic import generate

    extra = home / "increment"
    generate(extra, members=max(1000, claims // 10), claims=claims, seed=8, dirty=dirty)
    source = extra / "claims" / "claims_00001.csv"
    shutil.copy(source, home / "landing" / "claims" / "claims_increment_00001.csv")
    return sum(1 for _ in source.open("rb")) - 1


def run_one(claims: int, dirty: float, increment: int) -> dict:
    """Runs in its own process: generate, then materialize everything and time it."""
    sys.path.insert(0, str(ROOT))
    home = Path(tempfile.mkdtemp(prefix="lakegate-bench-"))
    os.environ["LAKEGATE_HOME"] = str(home)
    os.environ.setdefault("LAKEGATE_PII_HMAC_KEY", "bench-key-0123456789abcdef")
    import dagster as dg

    from lakehouse_assets.synthetic import generate

    started = time.perf_counter()
    report = generate(home / "landing", members=max(1000, claims // 10), claims=claims, seed=7, dirty=dirty)
    generate_seconds = time.perf_counter() - started

    from lakegate.definitions import defs
    from lakegate.run import materialize

    outcome = materialize(defs, LANDING_TO_GOLD, instance=dg.DagsterInstance.ephemeral())
    if not outcome.success:
        raise SystemExit(f"run failed: {outcome.failure}")
    steps = _steps(outcome)
    transform_total = sum(s["transform_seconds"] for s in steps.values())
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    second = None
    if increment:
        increment_lines = _land_increment(home, increment, dirty)
        again = materialize(defs, LANDING_TO_GOLD, instance=dg.DagsterInstance.ephemeral())
        if not again.success:
            raise SystemExit(f"second run failed: {again.failure}")
        second = {"new_file_lines": increment_lines, "wall_seconds": round(again.seconds, 2), "steps": _steps(again)}
    shutil.rmtree(home, ignore_errors=True)  # up to a few GB per size: never leave it behind
    return {
        "claims": claims,
        "landed_rows": report.rows,
        "dirty": dirty,
        "generate_seconds": round(generate_seconds, 2),
        "wall_seconds": round(outcome.seconds, 2),
        "transform_seconds": round(transform_total, 2),
        "orchestration_share": round((outcome.seconds - transform_total) / outcome.seconds, 4),
        "failed_error_checks": sum(1 for c in outcome.checks if not c.passed and c.severity.value == "ERROR"),
        "peak_rss_mb": round(peak_self),
        "steps": steps,
        "second_run": second,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--dirty", type=float, default=0.02)
    ap.add_argument("--increment-claims", type=int, default=10_000, help="lines of the new file of the second run (0: none)")
    ap.add_argument("--baseline-wall", type=float, help="another build's 1M wall time today, to print beside")
    ap.add_argument("--baseline-note", default="", help="what the baseline is (build, date, machine)")
    ap.add_argument("--single", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.single:
        print(json.dumps(run_one(args.single, args.dirty, args.increment_claims)))
        return

    results = []
    for claims in args.claims:
        proc = subprocess.run(
            [sys.executable, __file__, "--single", str(claims), "--dirty", str(args.dirty),
             "--increment-claims", str(args.increment_claims)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            sys.exit(f"{claims} claims failed:\n{proc.stderr[-4000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    doc = {
        "benchmark": "landing_to_gold",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "target": {"claims": 1_000_000, "wall_seconds_max": 15, "orchestration_share_max": 0.15,
                   "wall_ratio_10x_max": 11},
        "baseline": {"wall_seconds": args.baseline_wall, "note": args.baseline_note} if args.baseline_wall else None,
        "results": results,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2))
    for r in results:
        print(f"\n{r['claims']:>9,} claims: wall {r['wall_seconds']:.1f} s, transforms {r['transform_seconds']:.1f} s, "
              f"orchestration {r['orchestration_share']:.1%} (data generation {r['generate_seconds']:.1f} s, not counted)")
        print(f"    peak memory (run process, Sail included): {r['peak_rss_mb']:,} MB")
        for step, s in r["steps"].items():
            print(f"    {step:<26} step {s['step_seconds']:>6.2f} s   transform {s['transform_seconds']:>6.2f} s")
        if r["second_run"]:
            again = r["second_run"]
            bronze = again["steps"].get("bronze", {}).get("step_seconds", 0.0)
            print(f"    second run, one new file of {again['new_file_lines']:,} lines: wall {again['wall_seconds']:.1f} s, "
                  f"bronze step {bronze:.2f} s (first run {r['steps']['bronze']['step_seconds']:.2f} s)")
            for step, s in again["steps"].items():
                print(f"        {step:<26} step {s['step_seconds']:>6.2f} s")
    smallest = min(results, key=lambda r: r["claims"])
    for r in results:
        if r is not smallest:
            print(f"\n{r['claims']:,} / {smallest['claims']:,} claims: wall x{r['wall_seconds'] / smallest['wall_seconds']:.1f} "
                  f"for x{r['claims'] / smallest['claims']:.0f} the data")
    if args.baseline_wall:
        print(f"\nbaseline: {args.baseline_wall:.1f} s ({args.baseline_note})")
    print(f"\nwrote {OUT}")


if __name__ == "__main__":
    main()
