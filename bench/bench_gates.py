"""Benchmark the automated promotion gates on a 1M-row synthetic evaluation set.

    .venv/bin/python bench/bench_gates.py [--rows 1000000] [--env test] [--repeat 3] [--skip-unit-tests]

The set: labels (base rate 0.2), candidate and champion scores, calibrated probabilities, 0/1 flags
at a threshold, three protected attributes (age band, sex, region) and event times over a year;
plus 80 check results, 4 quarantine shares and a 1,200-key parity result. Timed, in one process:
each gate's function as the promotion calls it (best of --repeat). The unit-test gate (a pytest
subprocess) is timed separately. Writes bench/results/gates.json. Target: under 10 s in total.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "results" / "gates.json"
TARGET_SECONDS = 10.0


def evaluation_set(rows: int, seed: int = 11) -> dict:
    rng = np.random.default_rng(seed)
    age = rng.choice(["0-17", "18-34", "35-49", "50-64", "65+"], rows, p=[0.12, 0.12, 0.16, 0.2, 0.4]).astype(object)
    age[rng.random(rows) < 0.01] = None  # members without a date of birth
    y = (rng.random(rows) < 0.2).astype(np.int8)
    logit = -1.6 + 1.5 * (y - 0.2) + rng.normal(0, 1, rows)  # ROC AUC ≈ 0.85
    candidate = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.3, rows))))
    champion = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.35, rows))))
    # Calibrated probabilities: the label drawn from them, so they mean what they say.
    probability = rng.beta(1.2, 4.8, rows)
    y_calibrated = (rng.random(rows) < probability).astype(np.int8)
    start = pd.Timestamp("2025-08-01", tz="UTC")
    return {
        "y": y, "candidate": candidate, "champion": champion,
        "flags": (candidate >= np.quantile(candidate, 0.6)).astype(np.int8),
        "y_calibrated": y_calibrated, "probability": probability,
        "sensitive": pd.DataFrame({
            "age_band": age,
            "sex": rng.choice(["F", "M", "X"], rows, p=[0.5, 0.485, 0.015]),
            "region": rng.choice(["north", "south", "east", "west", "central"], rows, p=[0.2, 0.27, 0.2, 0.2, 0.13]),
        }),
        "event_times": pd.Series(start + pd.to_timedelta(np.sort(rng.integers(0, 365 * 86_400, rows)), unit="s")),
    }


def quality_inputs(policy) -> tuple[list[dict], dict[str, float]]:
    checks = [{"asset": a, "check": c, "passed": True, "severity": "ERROR", "metadata": {}}
              for a, c in (name.split(":") for name in policy.quality.required_checks)]
    checks += [{"asset": f"silver/t{i % 4}", "check": f"expect_{i}", "passed": i % 7 != 0, "severity": "WARN",
                "metadata": {"failed_rows": i}} for i in range(80 - len(checks))]
    return checks, {table: 0.01 for table in policy.quality.max_quarantine_share}


def timed(fn, repeat: int):
    best, verdict = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        verdict = fn()
        best = min(best, time.perf_counter() - started)
    return best, verdict


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--env", default="test", help="whose promotion policy to apply (default: test)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per gate; the best is reported")
    ap.add_argument("--skip-unit-tests", action="store_true")
    args = ap.parse_args()

    from gates.bias import bias_gate
    from gates.calibration import calibration_gate
    from gates.performance import performance_gate
    from gates.policy import load_policy, policies_dir
    from gates.quality import quality_gate
    from gates.skew import skew_gate
    from gates.stability import stability_gate
    from gates.unit_tests import feature_unit_tests_gate
    from ml_assets.features.parity import ParityResult

    policy = load_policy(args.env, policies_dir("claims_triage"))
    started = time.perf_counter()
    data = evaluation_set(args.rows)
    generate_seconds = time.perf_counter() - started
    checks, shares = quality_inputs(policy)
    parity = ParityResult(keys_compared=1200)

    gates = {
        "quality": lambda: quality_gate(checks, shares, policy),
        "performance": lambda: performance_gate(data["y"], data["candidate"], data["champion"], policy),
        "bias": lambda: bias_gate(data["y"], data["flags"], data["sensitive"], policy),
        "stability": lambda: stability_gate(data["y"], data["candidate"], data["event_times"], policy),
        "calibration": lambda: calibration_gate(data["y_calibrated"], data["probability"], policy),
        "skew": lambda: skew_gate(parity, policy),
    }
    results = {}
    for name, fn in gates.items():
        seconds, verdict = timed(fn, args.repeat)
        results[name] = {"seconds": round(seconds, 4), "passed": verdict.passed, "reason": verdict.reason}
    total = sum(r["seconds"] for r in results.values())

    unit = None
    if not args.skip_unit_tests:
        with tempfile.TemporaryDirectory(prefix="lakegate-bench-gates-") as scratch:
            seconds, verdict = timed(lambda: feature_unit_tests_gate(policy, Path(scratch) / "junit.xml"), 1)
        unit = {"seconds": round(seconds, 3), "passed": verdict.passed, "tests": verdict.measured.get("tests"),
                "reason": verdict.reason}

    doc = {
        "benchmark": "gates",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "rows": args.rows,
        "policy": {"environment": policy.environment, "version": policy.version,
                   "bootstrap_samples": policy.stability.bootstrap_samples, "time_slices": policy.stability.time_slices},
        "repeat": args.repeat,
        "generate_seconds": round(generate_seconds, 3),
        "gates": results,
        "automated_gates_seconds": round(total, 3),
        "target_seconds": TARGET_SECONDS,
        "within_target": total < TARGET_SECONDS,
        "unit_test_gate": unit,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2))
    print(f"{args.rows:,} rows, policy {policy.environment} {policy.version}, best of {args.repeat} ({os.cpu_count()} cores):")
    for name, r in results.items():
        print(f"  {name:<12} {r['seconds']:>7.3f} s  {'pass' if r['passed'] else 'FAIL'}  {r['reason'][:90]}")
    print(f"  {'total':<12} {total:>7.3f} s  (target < {TARGET_SECONDS:.0f} s: {'met' if total < TARGET_SECONDS else 'MISSED'})")
    if unit:
        print(f"  unit tests   {unit['seconds']:>7.3f} s  {'pass' if unit['passed'] else 'FAIL'}  "
              f"{unit['tests']} tests in a pytest subprocess (timed separately)")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
