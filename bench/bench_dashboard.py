"""Time to first render of a model page over a year of hourly windows × 20 features (target < 1 s).

Builds a home whose endpoint's profile and drift metric tables hold 8,760 hourly and 365 daily
windows of 20 features (plus a slice), then times: the page's queries and HTML on the server, cold
(first request in the process) and warm; and in headless Chromium, from navigation to every chart
drawn (the page's `lakegateReady`): the default view (hourly windows, 7 days; its first run with an
empty browser cache), hourly over 30 days, and a year of daily windows.
Writes bench/results/dashboard.json and prints a summary.

    .venv/bin/python bench/bench_dashboard.py [--hours 8760] [--features 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402 - after the path is set

from lakegate.dashboard import Dashboard, Limits, ModelFacts  # noqa: E402
from lakegate.dashboard.server import DashboardApp  # noqa: E402
from lakegate.environment import load_environment  # noqa: E402
from lakegate.lake import Lake  # noqa: E402
from lakegate.registry import Registry  # noqa: E402
from tests.browser import chromium, console_errors, rendered  # noqa: E402
from tests.dashboard_data import column_rows, drift_rows, table_rows  # noqa: E402

OUT = ROOT / "bench" / "results" / "dashboard.json"
TARGET_SECONDS = 1.0
ENDPOINT, USE_CASE, CATALOG = "bench-endpoint", "bench_use_case", "dev"
LIMITS = Limits("bench", "1 hour", 100, 25.0, 50.0, 0.005, 0.02, 0.3, 0.15, 0.5, 0.3, (0.1, 0.25), 0.2, 0.05)
TOKEN = b"bench-dashboard-token-0123456789"
# The page's views timed: the default (hourly, 7 days), the longest hourly reach, and a year of daily windows.
VIEWS = {"1 hour, 7 days (default)": {"granularity": "1 hour", "days": "7"},
         "1 hour, 30 days": {"granularity": "1 hour", "days": "30"},
         "1 day, 365 days": {"granularity": "1 day", "days": "365"}}
DEFAULT = "1 hour, 7 days (default)"


def build(lake: Lake, hours: int, features: list[str]) -> dict:
    from lakegate.monitoring import MonitorTables

    tables = MonitorTables.for_endpoint(CATALOG, ENDPOINT)
    started = time.perf_counter()
    days = hours // 24
    for granularity, n in (("1 hour", hours), ("1 day", days)):
        lake.write_arrow(tables.profile_metrics, table_rows(n, granularity=granularity))
        lake.write_arrow(tables.profile_metrics, table_rows(n, slice_=("region", "north"), seed=1, granularity=granularity))
        lake.write_arrow(tables.profile_metrics, column_rows(n, features, granularity=granularity))
        lake.write_arrow(tables.drift_metrics, drift_rows(n, features, granularity=granularity))
    return {"seconds_to_write": round(time.perf_counter() - started, 2),
            "profile_rows": lake.table(tables.profile_metrics).to_pyarrow_dataset().count_rows(),
            "drift_rows": lake.table(tables.drift_metrics).to_pyarrow_dataset().count_rows(),
            "tables": [tables.profile_metrics, tables.drift_metrics]}


def facts(tables: list[str]) -> list[ModelFacts]:
    return [ModelFacts(USE_CASE, "a year of synthetic monitor windows", ENDPOINT,
                       {"prod": f"prod.bench.model"}, CATALOG, tuple(tables), (), LIMITS)]


def serve(app, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def browser_first_render(base: str, page: str, runs: int) -> list[dict]:
    driver = chromium()
    url = base + page
    try:
        driver.get(f"{base}/?token={TOKEN.decode()}")  # the cookie, once
        out = []
        for run in range(runs):
            if run == 0:  # the first run fetches and compiles the vendored scripts, as a first visit does
                driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            console_errors(driver)
            started = time.perf_counter()
            driver.get(url)
            drawn = rendered(driver)
            wall = time.perf_counter() - started
            ready = driver.execute_script("return performance.now()") / 1000  # since navigation start
            out.append({"wall_seconds": round(wall, 3), "navigation_to_drawn_seconds": round(ready, 3),
                        "marks": drawn["marks"], "console_errors": console_errors(driver)})
        return out
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=8760)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    features = [f"f{i:02d}" for i in range(args.features)]
    home = Path(tempfile.mkdtemp(prefix="lakegate-bench-dashboard-"))
    os.environ.update(LAKEGATE_HOME=str(home), LAKEGATE_ENV="local")
    lake = Lake(home / "lake")
    data = build(lake, args.hours, features)
    env = load_environment("local")
    dashboard = Dashboard(home, env, lambda: facts(data["tables"]), Registry.from_env(home=home))
    page = f"/model/{USE_CASE}"
    server_times = {}
    for view in VIEWS:
        times = []
        for _ in range(args.runs + 1):
            started = time.perf_counter()
            html = dashboard.render(page, {"version": "1", **VIEWS[view]})
            times.append(time.perf_counter() - started)
        server_times[view] = {"cold_seconds": round(times[0], 3), "warm_median_seconds": round(statistics.median(times[1:]), 3),
                              "html_bytes": len(html)}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = serve(DashboardApp(TOKEN, dashboard.render), port)
    browser = {view: browser_first_render(f"http://127.0.0.1:{port}", f"{page}?version=1&{urlencode(VIEWS[view])}",
                                          args.runs) for view in VIEWS}
    server.should_exit = True
    default = browser[DEFAULT]
    first_render = statistics.median(r["navigation_to_drawn_seconds"] for r in default)
    cold_cache = default[0]["navigation_to_drawn_seconds"]
    result = {"bench": "dashboard", "date": dt.date.today().isoformat(), "machine": platform.machine(),
              "cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()[0], "hours": args.hours,
              "features": args.features, "data": data, "server_render": server_times, "browser": browser,
              "default_page_first_render_seconds": first_render, "default_page_cold_browser_cache_seconds": cold_cache,
              "target_seconds": TARGET_SECONDS, "met": max(first_render, cold_cache) < TARGET_SECONDS}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(f"{args.hours:,} hourly windows × {args.features} features: {data['profile_rows']:,} profile rows, "
          f"{data['drift_rows']:,} drift rows (written in {data['seconds_to_write']} s)")
    for view, t in server_times.items():
        drawn = statistics.median(r["navigation_to_drawn_seconds"] for r in browser[view])
        print(f"  {view}: server {t['cold_seconds']} s cold, {t['warm_median_seconds']} s warm "
              f"({t['html_bytes']:,} bytes); browser navigation to every chart drawn {drawn} s (median of {args.runs})")
    print(f"model page, default filters: first render {first_render} s (median), {cold_cache} s with an empty "
          f"browser cache (target < {TARGET_SECONDS} s): "
          f"{'met' if result['met'] else 'NOT met'}; {OUT}")
    os._exit(0)  # delta-rs can abort at interpreter exit (design.md's known pitfalls)


if __name__ == "__main__":
    main()
