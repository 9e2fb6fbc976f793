"""Benchmark the serving runtime against `mlflow models serve`, on the same registered model.

    .venv/bin/python bench/bench_serving.py [--home DIR] [--seconds 15] [--concurrency 8] [--workers 2]

Without --home it runs `lakegate demo` in a temporary LAKEGATE_HOME first (the champion, the
online store and the landed claims are what it serves). Then, in one go and with the same client
(bench/load_client.py, a separate process), single-row requests for 15 s each:
- a bare ASGI app under the same uvicorn and workers (bench/bare_asgi_app.py): the ceiling of the
  HTTP stack on this machine, which Lakegate's throughput is printed as a share of;
- `mlflow models serve` (same number of workers) on prod.claims.triage_model v1, sent the full
  model input (all 24 columns: it cannot look features up);
- Lakegate's `/serving-endpoints/claims-triage/invocations`, sent what the claims system has (keys
  and raw claim fields): it looks the member and provider features up in the online store;
each at --concurrency connections and at 1 connection (latency without queueing). Then rollback
under load: v2 (the same artifact registered again) takes 100 %, the load runs, `rollback` is
called, and the trace shows when the last request answered by v2 was sent.
Writes bench/results/serving.json. Targets at --concurrency: >= 2,500 req/s, p99 <= 5 ms, >= 10x
MLflow's throughput; rollback effective within 100 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lakegate.serving.process import HOST, ServerProcess, free_port, start_lakegate_serve  # noqa: E402

OUT = ROOT / "bench" / "results" / "serving.json"
BIN = Path(sys.executable).parent
MODEL = "prod.claims.triage_model"
ENDPOINT = "claims-triage"
TARGETS = {"throughput_rps": 2500.0, "throughput_ratio": 10.0, "p99_ms": 5.0, "rollback_ms": 100.0}


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING") and k != "MLFLOW_REGISTRY_URI"}
    return {**env, "LAKEGATE_HOME": str(home), "LAKEGATE_ENV": "local", "MLFLOW_DISABLE_TELEMETRY": "true",
            "OMP_NUM_THREADS": "1",  # every server alike; MLflow's uvicorn is found on PATH
            "PATH": str(BIN) + os.pathsep + env.get("PATH", "")}


def load(url: str, path: str, bodies: Path, token: str | None, concurrency: int, seconds: float, trace=False) -> dict:
    args = [sys.executable, str(ROOT / "bench" / "load_client.py"), url, path, str(bodies),
            "--concurrency", str(concurrency), "--seconds", str(seconds)]
    if token:
        args += ["--token", token]
    if trace:
        args.append("--trace")
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def request_bodies(home: Path, n: int = 600) -> tuple[list[str], list[str]]:
    """The same claims twice: as Lakegate's callers send them, and as MLflow's scoring server needs them."""
    from lakegate.environment import load_environment
    from lakegate.pii import resolve_hmac_key
    from ml_assets.features.request_samples import landed_claim_requests
    from ml_assets.features.serving import enricher_for

    raw = landed_claim_requests(home / "landing", limit=n)
    enricher = enricher_for("claims_triage", home, resolve_hmac_key(load_environment("local").pii, home))
    sent, full = [], []
    for body in raw:
        record = json.loads(body)["dataframe_records"][0]
        try:
            columns = enricher.model_input({k: [v] for k, v in record.items()})
        except ValueError:  # a dirty landed row: a 400 costs less than a score, so it would flatter us
            continue
        sent.append(body.decode())
        record = {k: (None if v != v else v) if isinstance(v, float) else v for k, v in
                  ((name, values[0]) for name, values in columns.items())}
        full.append(json.dumps({"dataframe_records": [record]}, default=str))
    return sent, full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    load_before = os.getloadavg()  # the machine is shared: a figure taken under load says so
    temporary = args.home is None
    home = Path(tempfile.mkdtemp(prefix="lakegate-bench-serving-")) if temporary else args.home.resolve()
    os.environ.update(environment(home))
    servers: list[ServerProcess] = []
    try:
        if temporary:
            print("running lakegate demo for a champion, an online store and landed claims ...", flush=True)
            subprocess.run([str(BIN / "lakegate"), "demo"], env=environment(home), check=True, capture_output=True)
        from lakegate.environment import load_environment
        from lakegate.registry import Registry, embedded_store
        from lakegate.serving.auth import resolve_tokens
        from lakegate.cli.demo_people import sign_required_roles
        from lakegate.cli.serving_app import local_endpoints
        from lakegate.serving.endpoints import EndpointNotFound, parse_config
        from ml_assets.registered_models import use_case_of

        tracking, artifacts = embedded_store(home)
        registry = Registry(tracking, tracking, artifacts)
        v1 = registry.model_version(MODEL, "1")
        versions = [str(v.version) for v in registry.versions(MODEL)]
        v2 = versions[-1] if len(versions) > 1 else str(registry.register(v1.source, MODEL, tags=dict(v1.tags)).version)
        # prod endpoints change only through the deployment gate: v2 gets the release manager's approval
        sign_required_roles(home, use_case_of(MODEL), MODEL, v2, "deployment", f"bench: {MODEL} v{v2} on {ENDPOINT}",
                            endpoint=ENDPOINT)
        endpoints = local_endpoints(load_environment("local"), home)
        config = parse_config({
            "served_entities": [{"name": "v1", "entity_name": MODEL, "entity_version": "1"},
                                {"name": "v2", "entity_name": MODEL, "entity_version": v2}],
            "traffic_config": {"routes": [{"served_entity_name": "v1", "traffic_percentage": 100},
                                          {"served_entity_name": "v2", "traffic_percentage": 0}]}})
        try:
            endpoints.update_config(ENDPOINT, config, actor="bench", reason="benchmark")
        except EndpointNotFound:
            endpoints.create(ENDPOINT, config, actor="bench", reason="benchmark")
        token = resolve_tokens(load_environment("local").serving, home).invoke.decode()

        lakegate_bodies, mlflow_bodies = request_bodies(home)
        work = Path(tempfile.mkdtemp(prefix="lakegate-bench-bodies-"))
        (work / "lakegate.jsonl").write_text("\n".join(lakegate_bodies))
        (work / "mlflow.jsonl").write_text("\n".join(mlflow_bodies))

        mlflow_port, bare_port = free_port(), free_port()
        print("starting mlflow models serve, a bare ASGI app and lakegate serve ...", flush=True)
        servers.append(ServerProcess.start(
            [str(BIN / "mlflow"), "models", "serve", "-m", f"models:/{MODEL}/1", "--env-manager", "local",
             "-h", HOST, "-p", str(mlflow_port), "--workers", str(args.workers)],
            f"http://{HOST}:{mlflow_port}", work / "mlflow.log", env={**environment(home), "MLFLOW_TRACKING_URI": tracking},
            ready_timeout=180))
        servers.append(ServerProcess.start(
            [sys.executable, "-m", "uvicorn", "bare_asgi_app:app", "--app-dir", str(ROOT / "bench"), "--host", HOST,
             "--port", str(bare_port), "--workers", str(args.workers), "--loop", "uvloop", "--http", "httptools",
             "--no-access-log", "--log-level", "warning"],
            f"http://{HOST}:{bare_port}", work / "bare.log", env=environment(home)))
        servers.append(start_lakegate_serve(home, token, workers=args.workers, env=environment(home),
                                            log=work / "lakegate.log", all_workers=args.workers, ready_timeout=180))
        mlflow, bare, lakegate = (server.url for server in servers)

        invoke = f"/serving-endpoints/{ENDPOINT}/invocations"
        runs = {}
        for concurrency in (args.concurrency, 1):
            print(f"load at concurrency {concurrency}, {args.seconds:.0f} s each ...", flush=True)
            runs[f"bare_asgi_c{concurrency}"] = load(bare, "/invocations", work / "lakegate.jsonl", None,
                                                     concurrency, args.seconds)
            runs[f"mlflow_c{concurrency}"] = load(mlflow, "/invocations", work / "mlflow.jsonl", None,
                                                  concurrency, args.seconds)
            runs[f"lakegate_c{concurrency}"] = load(lakegate, invoke, work / "lakegate.jsonl", token,
                                                    concurrency, args.seconds)

        print("rollback under load ...", flush=True)
        endpoints.set_traffic(ENDPOINT, {"v1": 0, "v2": 100}, actor="bench", reason="benchmark: v2 takes all")
        time.sleep(0.5)
        loader = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "load_client.py"), lakegate, invoke, str(work / "lakegate.jsonl"),
             "--token", token, "--concurrency", str(args.concurrency), "--seconds", "6", "--trace"],
            stdout=subprocess.PIPE, text=True)
        time.sleep(3)
        called = time.time()
        endpoints.rollback(ENDPOINT, actor="bench", reason="benchmark: rollback under load")
        returned = time.time()
        trace = json.loads(loader.communicate()[0])
        last_old = max((t for t, status, entity, _ in trace["trace"] if entity == "v2" and t >= returned), default=returned)
        failed = sum(1 for _, status, _, _ in trace["trace"] if status != 200)
        rollback = {"command_ms": round((returned - called) * 1000, 2),
                    "effective_ms": round(max(0.0, last_old - returned) * 1000, 2),
                    "requests_during": len(trace["trace"]), "failed_requests": failed}
    finally:
        for server in servers:
            server.stop()
        if temporary:
            shutil.rmtree(home, ignore_errors=True)

    c = args.concurrency
    ours = runs[f"lakegate_c{c}"]
    ratio = ours["throughput_rps"] / max(runs[f"mlflow_c{c}"]["throughput_rps"], 1e-9)
    share = ours["throughput_rps"] / max(runs[f"bare_asgi_c{c}"]["throughput_rps"], 1e-9)
    result = {
        "benchmark": "serving", "date": dt.date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "processor": platform.processor(), "load_average_before": load_before},
        "workers": args.workers, "seconds_each": args.seconds, "runs": runs,
        "throughput_ratio": round(ratio, 1), "share_of_bare_asgi": round(share, 3), "rollback": rollback,
        "targets": TARGETS,
        "met": {"throughput_rps": ours["throughput_rps"] >= TARGETS["throughput_rps"],
                "throughput_ratio": ratio >= TARGETS["throughput_ratio"],
                "p99_ms": ours["latency_ms"]["p99"] <= TARGETS["p99_ms"],
                "p99_ms_single_connection": runs["lakegate_c1"]["latency_ms"]["p99"] <= TARGETS["p99_ms"],
                "rollback_ms": rollback["effective_ms"] <= TARGETS["rollback_ms"] and rollback["failed_requests"] == 0},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(f"\n{'server':<28}{'conc':>5}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, run in runs.items():
        print(f"{name:<28}{run['concurrency']:>5}{run['throughput_rps']:>10.1f}{run['latency_ms']['p50']:>9.2f}"
              f"{run['latency_ms']['p99']:>9.2f}{run['errors']:>8}")
    print(f"Lakegate at concurrency {c}: {ours['throughput_rps']:.0f} req/s (target >= 2,500), p99 "
          f"{ours['latency_ms']['p99']:.2f} ms (target <= 5), {share:.0%} of the bare ASGI app's throughput, "
          f"{ratio:.1f}x MLflow's (target >= 10x)")
    print(f"rollback: command {rollback['command_ms']} ms, effective {rollback['effective_ms']} ms after it returned, "
          f"{rollback['failed_requests']} failed of {rollback['requests_during']}  (target <= 100 ms, 0 failed)")
    print(f"written: {OUT}")


if __name__ == "__main__":
    main()
