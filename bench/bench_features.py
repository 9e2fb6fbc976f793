"""Benchmark the feature store: offline views and training-set build for 1M claims, and online
lookup latency per key in-process.

    .venv/bin/python bench/bench_features.py [--claims 1000000] [--lookups 20000]

Bronze and silver are built first (not timed here; see bench_landing_to_gold.py). Then, timed:
each feature view's first build, the point-in-time training set, the online store, and single-key
lookups (member + provider: one call reads all six views). Writes bench/results/features.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "results" / "features.json"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=20_000)
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="lakegate-bench-features-"))
    os.environ["LAKEGATE_HOME"] = str(home)
    os.environ.setdefault("LAKEGATE_PII_HMAC_KEY", "bench-key-0123456789abcdef")
    import dagster as dg

    from lakegate.definitions import defs
    from lakegate.engine import sail_url
    from lakegate.lake import Lake
    from lakegate.run import materialize
    from lakehouse_assets.synthetic import generate
    from ml_assets.features.definitions import FEATURE_VIEWS
    from ml_assets.features.offline import materialize_view
    from ml_assets.features.online import OnlineStore, materialize_online, online_store_path
    from ml_assets.features.training_set import build_training_set
    from ml_assets.usecases import CLAIMS_TRIAGE
    from pyspark.sql import SparkSession

    generate(home / "landing", members=args.claims // 10, claims=args.claims, seed=7, dirty=0.02)
    outcome = materialize(defs, "group:bronze or group:silver", instance=dg.DagsterInstance.ephemeral())
    assert outcome.success, outcome.failure
    spark = SparkSession.builder.remote(sail_url()).getOrCreate()
    lake = Lake()
    now = dt.datetime.now(dt.timezone.utc)

    views = [FEATURE_VIEWS[v] for v in CLAIMS_TRIAGE.feature_views]
    view_seconds = {}
    for view in views:
        started = time.perf_counter()
        result = materialize_view(spark, lake, "dev", view, now=now)
        view_seconds[view.name] = {"seconds": round(time.perf_counter() - started, 2), "rows": result.total_rows}

    started = time.perf_counter()
    training = build_training_set(spark, lake, "dev", CLAIMS_TRIAGE, views)
    training_seconds = time.perf_counter() - started

    started = time.perf_counter()
    online = materialize_online(lake, "dev", views, online_store_path(home), as_of=now)
    online_seconds = time.perf_counter() - started

    store = OnlineStore(online.path, views)
    members = lake.read_arrow("dev.features.member_profile", columns=["member_token"])["member_token"].to_pylist()
    providers = lake.read_arrow("dev.features.provider_profile", columns=["provider_id"])["provider_id"].to_pylist()
    rng = random.Random(1)
    keys = [{"member_token": rng.choice(members), "provider_id": rng.choice(providers)} for _ in range(args.lookups)]
    for k in keys[:1000]:  # warm the page cache and the connection
        store.lookup(k)
    latencies = []
    for k in keys:
        t0 = time.perf_counter_ns()
        store.lookup(k)
        latencies.append((time.perf_counter_ns() - t0) / 1e6)

    doc = {
        "benchmark": "features",
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "claims": args.claims,
        "feature_views": view_seconds,
        "feature_views_seconds": round(sum(v["seconds"] for v in view_seconds.values()), 2),
        "training_set": {"seconds": round(training_seconds, 2), "rows": training.rows, "positive_rate": round(training.positive_rate, 4)},
        "online_store": {"materialize_seconds": round(online_seconds, 2), "rows": online.rows},
        "online_lookup_ms": {
            "lookups": len(latencies), "views_per_lookup": len(views),
            "p50": round(statistics.median(latencies), 4), "p99": round(percentile(latencies, 0.99), 4),
            "max": round(max(latencies), 4),
        },
        "targets": {"online_lookup_p99_ms": 0.5},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2))
    shutil.rmtree(home, ignore_errors=True)  # about 0.6 GB at 1M claims
    print(f"{args.claims:,} claims (2 cores):")
    for name, v in view_seconds.items():
        print(f"  feature view {name:<24} {v['seconds']:>6.2f} s  {v['rows']:>10,} rows")
    print(f"  training set (point-in-time)        {training_seconds:>6.2f} s  {training.rows:>10,} rows")
    print(f"  online store materialize            {online_seconds:>6.2f} s")
    lookup = doc["online_lookup_ms"]
    print(f"  online lookup per key (6 views): p50 {lookup['p50']:.3f} ms, p99 {lookup['p99']:.3f} ms (target p99 < 0.5 ms)")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
