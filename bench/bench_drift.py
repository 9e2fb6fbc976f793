"""Benchmark the monitor's drift computation against Evidently's DataDriftPreset.

    .venv/bin/python bench/bench_drift.py [--rows 1000000] [--big-rows 10000000] [--skip-evidently]

The data: --rows reference rows and --rows current rows of 20 features (15 numeric of four shapes,
5 categorical of 3 to 50 categories), with drift injected into a known subset (4 numeric shifted,
1 numeric widened, 2 categorical reweighted); also --big-rows current rows for Lakegate alone.
Each side runs in its own subprocess, so peak RSS is its own. Lakegate is timed on what a refresh
does per window: profile the current rows with the reference's bins and compute every drift
metric; the reference profile (computed once per model version) is timed apart. Evidently runs
in a venv this script creates (evidently 0.7.23, pandas 2.3.3; never in the lock). Both call a
column drifted by their defaults: Evidently its own; Lakegate PSI >= 0.25 (numeric) and JS
distance >= 0.1 (categorical). Writes bench/results/drift.json. Target: under 2 s for the 1M
case and at least 50 times faster than Evidently.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lakegate.monitoring import column_drift, reference_profile  # noqa: E402 - after the path is set
OUT = ROOT / "bench" / "results" / "drift.json"
EVIDENTLY_VENV = Path("/tmp/lakegate-bench-evidently")
EVIDENTLY_PINS = ("evidently==0.7.23", "pandas==2.3.3", "pyarrow==25.0.1")
TARGET_SECONDS, TARGET_RATIO = 2.0, 50.0
NUMERIC = [f"n{i:02d}" for i in range(15)]
CATEGORICAL = [f"c{i}" for i in range(5)]
CARDINALITY = (3, 5, 10, 20, 50)
SHIFTED, WIDENED, REWEIGHTED = ("n00", "n04", "n08", "n12"), ("n13",), ("c1", "c3")
PSI_DRIFT, JS_DRIFT = 0.25, 0.1


def features(rows: int, seed: int, drift: bool) -> pa.Table:
    rng = np.random.default_rng(seed)
    columns = {}
    for i, name in enumerate(NUMERIC):
        shape = i % 4
        values = (rng.normal(50, 10, rows) if shape == 0 else rng.lognormal(3, 0.5, rows) if shape == 1
                  else rng.uniform(0, 100, rows) if shape == 2 else rng.exponential(20, rows))
        if drift and name in SHIFTED:
            values = values + values.std()  # a one-standard-deviation shift
        if drift and name in WIDENED:
            values = values.mean() + (values - values.mean()) * 2.5
        columns[name] = values
    for name, k in zip(CATEGORICAL, CARDINALITY):
        weights = np.linspace(1, 3, k)
        if drift and name in REWEIGHTED:
            weights = weights[::-1] ** 2
        codes = rng.choice(k, rows, p=weights / weights.sum())
        columns[name] = pa.array([f"{name}_{j}" for j in range(k)]).take(pa.array(codes))
    return pa.table(columns)


def make_data(directory: Path, rows: int, big_rows: int) -> None:
    pq.write_table(features(rows, 1, drift=False), directory / "reference.parquet")
    pq.write_table(features(rows, 2, drift=True), directory / "current.parquet")
    if big_rows:
        pq.write_table(features(big_rows, 3, drift=True), directory / "current_big.parquet")


def lakegate_worker(directory: Path, current_file: str) -> dict:
    """One side of the bench, in its own process: Lakegate's profile and drift of the current rows."""
    reference_rows = pq.read_table(directory / "reference.parquet")
    started = time.perf_counter()
    reference = reference_profile(reference_rows, NUMERIC, CATEGORICAL)
    reference_seconds = time.perf_counter() - started
    del reference_rows
    loading = time.perf_counter()
    current = pq.read_table(directory / current_file)
    started = time.perf_counter()
    window = reference.empty().observe(current)
    drift = {name: column_drift(reference.columns[name], window.columns[name]) for name in reference.columns}
    seconds = time.perf_counter() - started
    drifted = sorted(n for n, d in drift.items() if (d["population_stability_index"] or 0) >= PSI_DRIFT
                     or (d["js_distance"] or 0) >= JS_DRIFT)
    return {"seconds": seconds, "load_seconds": started - loading, "reference_profile_seconds": reference_seconds,
            "rows": current.num_rows, "drifted": drifted,
            "peak_rss_mb": peak_rss_mb(),
            "metrics": {n: {k: v for k, v in d.items() if v is not None} for n, d in drift.items()}}


def peak_rss_mb() -> float:
    """This process's peak RSS since exec (VmHWM): ru_maxrss would include the parent's at fork."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def run_lakegate(directory: Path, current_file: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", str(directory), current_file],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def evidently_python() -> Path:
    """The venv's python, created and pinned on first use (outside the project's lock)."""
    python = EVIDENTLY_VENV / "bin" / "python"
    probe = [str(python), "-c", "import evidently, pandas; assert evidently.__version__ == '0.7.23'"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", str(EVIDENTLY_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *EVIDENTLY_PINS], check=True)
    return python


def run_evidently(directory: Path, current_file: str) -> dict:
    columns = json.dumps({"numeric": NUMERIC, "categorical": CATEGORICAL})
    out = subprocess.run([str(evidently_python()), str(ROOT / "bench" / "drift_evidently_worker.py"), str(directory),
                          current_file, columns], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal"))
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(memory_kb / 2**20, 1),
            "platform": platform.platform(), "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("DATA_DIR", "CURRENT_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(lakegate_worker(Path(args.worker[0]), args.worker[1])))
        return
    expected = sorted([*SHIFTED, *WIDENED, *REWEIGHTED])
    with tempfile.TemporaryDirectory(prefix="lakegate-bench-drift-") as tmp:
        directory = Path(tmp)
        make_data(directory, args.rows, args.big_rows)
        lakegate = run_lakegate(directory, "current.parquet")
        evidently = None if args.skip_evidently else run_evidently(directory, "current.parquet")
        big = run_lakegate(directory, "current_big.parquet") if args.big_rows else None
    doc = {"benchmark": "drift", "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
           "machine": machine(), "rows": {"reference": args.rows, "current": args.rows, "big_current": args.big_rows},
           "features": {"numeric": len(NUMERIC), "categorical": len(CATEGORICAL)}, "injected_drift": expected,
           "lakegate": lakegate, "evidently": evidently, "lakegate_big": big}
    if evidently:
        doc["ratio"] = evidently["seconds"] / lakegate["seconds"]
        doc["same_columns_drifted"] = evidently["drifted"] == lakegate["drifted"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2))
    print_summary(doc, expected)


def print_summary(doc: dict, expected: list) -> None:
    lakegate, evidently, big = doc["lakegate"], doc["evidently"], doc["lakegate_big"]
    print(f"machine: {doc['machine']['cpus']} cpus, {doc['machine']['cpu']}; {doc['date']}")
    print(f"lakegate  {doc['rows']['current']:>10,} rows: {lakegate['seconds']:7.2f} s  peak {lakegate['peak_rss_mb']:7.0f} MB"
          f"  (reference profile once: {lakegate['reference_profile_seconds']:.2f} s)  target < {TARGET_SECONDS} s")
    if evidently:
        print(f"evidently {doc['rows']['current']:>10,} rows: {evidently['seconds']:7.2f} s  peak {evidently['peak_rss_mb']:7.0f} MB")
        print(f"ratio: {doc['ratio']:.0f}x faster (target >= {TARGET_RATIO:.0f}x); same columns drifted: "
              f"{doc['same_columns_drifted']}")
        print(f"  evidently drifted: {evidently['drifted']}")
    if big:
        print(f"lakegate  {big['rows']:>10,} rows: {big['seconds']:7.2f} s  peak {big['peak_rss_mb']:7.0f} MB")
    print(f"  lakegate drifted:  {lakegate['drifted']}\n  injected:          {expected}")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
