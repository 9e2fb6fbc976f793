"""Benchmark one tick of the asset-check alert sensor against the number of checks in the graph.

    .venv/bin/python bench/bench_alert_tick.py [--checks 135 1000] [--failing 0.1]

The sensor reads each check's executions with one indexed query per check and tick (decision
0024), so its cost grows with the number of checks. Per size: one asset with N checks (a share of
them failing) is materialized on a temporary SQLite instance (run-sharded, as `dagster dev` uses);
then timed: the first tick (every check new: reads, transitions, the failing ones recorded in the
alerts table, routed nowhere) and a steady tick (nothing new: what the sensor pays every 30 s).
Writes bench/results/alert_tick.json and prints a summary.
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

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "alert_tick.json"
sys.path.insert(0, str(ROOT))

import dagster as dg  # noqa: E402

from lakegate.alerting.ticks import check_alert_tick  # noqa: E402
from lakegate.environment import load_environment  # noqa: E402


def graph(checks: int, failing: float):
    @dg.asset(key=["bench", "wide"])
    def wide():
        return dg.MaterializeResult()

    failing_count = int(checks * failing)
    specs = [dg.AssetCheckSpec(f"c{i:04d}", asset=wide) for i in range(checks)]

    @dg.multi_asset_check(specs=specs)
    def all_checks():
        for i, spec in enumerate(specs):
            yield dg.AssetCheckResult(asset_key=spec.asset_key, check_name=spec.name, passed=i >= failing_count,
                                      severity=dg.AssetCheckSeverity.WARN)

    return wide, all_checks, [s.key for s in specs], failing_count


def run_one(checks: int, failing: float) -> dict:
    wide, all_checks, keys, failing_count = graph(checks, failing)
    env = load_environment("local")  # routes nothing: the table is the only sink, no network in the timing
    home = Path(tempfile.mkdtemp(prefix="lakegate-bench-alerts-"))
    with dg.instance_for_test() as instance:
        dg.materialize([wide, all_checks], instance=instance)
        started = time.perf_counter()
        first = check_alert_tick(instance, keys, None, env, home, time.time())
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        steady = check_alert_tick(instance, keys, first.cursor, env, home, time.time())
        steady_s = time.perf_counter() - started
    assert len(first.notices) == failing_count and steady.notices == []
    return {"checks": checks, "failing": failing_count, "first_tick_s": round(first_s, 3),
            "steady_tick_s": round(steady_s, 3), "ms_per_check_steady": round(1000 * steady_s / checks, 3),
            "cursor_bytes": len(steady.cursor)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, nargs="+", default=[135, 1000])
    parser.add_argument("--failing", type=float, default=0.1)
    args = parser.parse_args()
    results = [run_one(n, args.failing) for n in args.checks]
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                          "load_average_1m": round(os.getloadavg()[0], 2)},
              "results": results}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'checks':>7} {'failing':>8} {'first tick s':>13} {'steady tick s':>14} {'ms/check':>9} {'cursor B':>9}")
    for r in results:
        print(f"{r['checks']:>7} {r['failing']:>8} {r['first_tick_s']:>13} {r['steady_tick_s']:>14} "
              f"{r['ms_per_check_steady']:>9} {r['cursor_bytes']:>9}")
    print(f"(load average {report['machine']['load_average_1m']} on {report['machine']['cpus']} cores) -> {OUT}")


if __name__ == "__main__":
    main()
