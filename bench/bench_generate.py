"""Benchmark the synthetic data generator: 1M claims into a temporary folder.

    .venv/bin/python bench/bench_generate.py [--claims 1000000] [--members 50000] [--dirty 0.0]

Writes bench/results/generate.json and prints one summary line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lakehouse_assets.synthetic import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--members", type=int, default=50_000)
    ap.add_argument("--dirty", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "generate.json")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="lakegate-bench-") as tmp:
        start = time.perf_counter()
        report = generate(Path(tmp), members=args.members, claims=args.claims, seed=args.seed, dirty=args.dirty)
        seconds = time.perf_counter() - start
    total_bytes = sum(f.bytes for files in report.files.values() for f in files)
    result = {
        "benchmark": "synthetic.generate",
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "claims": args.claims, "members": args.members, "providers": report.entities["providers"],
        "dirty": args.dirty, "seed": args.seed,
        "seconds": round(seconds, 3),
        "claims_per_second": round(args.claims / seconds),
        "rows": report.rows,
        "megabytes_written": round(total_bytes / 1e6, 1),
        "review_rate": round(report.review_rate, 4),
        "defects": sum(report.defect_totals().values()),
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "pyarrow": pa.__version__,
                    "cpus": os.cpu_count(), "platform": platform.platform()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"generate: {args.claims:,} claims ({args.members:,} members, dirty={args.dirty}) in {seconds:.2f}s "
          f"= {result['claims_per_second']:,} claims/s, {result['megabytes_written']} MB -> {args.out}")


if __name__ == "__main__":
    main()
