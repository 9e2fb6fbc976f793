"""Serving under hostile input and crashes, measured: writes bench/results/serving_faults.json.

    .venv/bin/python bench/bench_serving_faults.py [--seconds 15]

On a claims-triage model trained small by the project's code (tests/triage_home.py), two workers,
bench/load_client.py at 8 connections of one-row requests on 127.0.0.1:
- baseline p99, then the same load while two 50 MB requests are sent at once (each must get 413;
  target: p99 within 2x the baseline);
- SIGKILL of one worker, of the supervisor, of the whole server (restarted on the same port):
  answered requests missing from the inference table (target 0: the stated loss window for a
  process crash), duplicates, dropped connections, and seconds from the kill until a restarted
  server answers (the load runs 10 s longer here, for the restart).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "results" / "serving_faults.json"
TABLE = "dev.serving.claims_triage_inference_log"


def load(url: str, bodies: Path, seconds: float, out: Path) -> subprocess.Popen:
    from tests.serving import INVOKE_TOKEN
    from tests.triage_home import ENDPOINT

    with open(out, "w") as sink:
        return subprocess.Popen([sys.executable, str(ROOT / "bench" / "load_client.py"), url,
                                 f"/serving-endpoints/{ENDPOINT}/invocations", str(bodies), "--token", INVOKE_TOKEN,
                                 "--concurrency", "8", "--seconds", str(seconds), "--trace"], stdout=sink)


def big_request(url: str, size: int, statuses: list) -> None:
    """Send `size` bytes as one request on a raw socket and read the status line of the answer."""
    from tests.serving import INVOKE_TOKEN
    from tests.triage_home import ENDPOINT

    host, port = url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port))) as s:
        s.sendall((f"POST /serving-endpoints/{ENDPOINT}/invocations HTTP/1.1\r\nHost: {host}\r\n"
                   f"Authorization: Bearer {INVOKE_TOKEN}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {size}\r\n\r\n").encode())
        chunk = b" " * (1 << 20)
        try:
            for _ in range(size >> 20):
                s.sendall(chunk)
        except OSError:
            pass  # the server may stop reading once it has answered
        statuses.append(int(s.recv(64).split(b" ")[1]))


def measured(trace_file: Path) -> dict:
    return json.loads(trace_file.read_text())


def fault_run(home: Path, fault: str, bodies: Path, seconds: float) -> dict:
    from lakegate.lake import Lake
    from tests.serving import start_server, wait_for_workers
    from tests.triage_home import ENDPOINT

    lake = Lake(home / "lake")
    before = Counter(lake.read_arrow(TABLE, columns=["request_id"])["request_id"].to_pylist()) if lake.exists(TABLE) else Counter()
    server = start_server(home, workers=2)
    wait_for_workers(home, ENDPOINT, 2)
    trace = home / f"trace-{fault}.json"
    loader = load(server.url, bodies, seconds, trace)
    time.sleep(3)
    killed = time.time()
    if fault == "worker":
        os.kill(wait_for_workers(home, ENDPOINT, 2)[0]["pid"], signal.SIGKILL)
    else:
        (os.kill if fault == "supervisor" else os.killpg)(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)
        server = start_server(home, workers=2, port=int(server.url.rsplit(":", 1)[1]))
        while len([w for w in wait_for_workers(home, ENDPOINT, 1) if w.get("supervisor") == server.proc.pid]) < 2:
            time.sleep(0.05)  # the new server's own workers, not the old ones finishing their requests
    serving_again = time.time()
    loader.wait(timeout=300)
    server.stop(signal.SIGTERM)
    result = measured(trace)
    answered = [rid for _, status, _, rid in result["trace"] if status != 0]
    logged = Counter(lake.read_arrow(TABLE, columns=["request_id"])["request_id"].to_pylist()) - before
    next_answer = min((t for t, status, _, _ in result["trace"] if status == 200 and t >= serving_again), default=None)
    return {"answered": len(answered), "lost": sum(1 for rid in answered if rid not in logged),
            "duplicates": sum(n - 1 for n in logged.values() if n > 1), "dropped": result["dropped"],
            "seconds_to_serving_again": round(serving_again - killed, 3),  # 0 for a worker: the other serves on
            "seconds_to_next_answer_after_that": None if next_answer is None else round(next_answer - serving_again, 3),
            "latency_ms": result["latency_ms"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    from tests.serving import serving_env, start_server, wait_for_workers
    from tests.triage_home import CLAIM, ENDPOINT, build_triage_home, triage_environment

    home = Path(tempfile.mkdtemp(prefix="lakegate-bench-faults-"))
    with triage_environment(home):
        build_triage_home(home)
    os.environ.update(serving_env(home))
    bodies = home / "bodies.jsonl"
    bodies.write_text("\n".join(json.dumps({"dataframe_records": [{**CLAIM, "claim_id": f"C{i:09d}"}]}) for i in range(500)))

    server = start_server(home, workers=2)
    wait_for_workers(home, ENDPOINT, 2)
    try:
        load(server.url, bodies, args.seconds, home / "baseline.json").wait()
        statuses: list[int] = []
        loader = load(server.url, bodies, args.seconds, home / "big.json")
        time.sleep(args.seconds / 3)
        senders = [threading.Thread(target=big_request, args=(server.url, 50 << 20, statuses)) for _ in range(2)]
        for t in senders:
            t.start()
        for t in senders:
            t.join()
        loader.wait()
    finally:
        server.stop(signal.SIGTERM)
    baseline, big = measured(home / "baseline.json"), measured(home / "big.json")
    for run in (baseline, big):
        run.pop("trace", None)
    faults = {fault: fault_run(home, fault, bodies, args.seconds + 10) for fault in ("worker", "supervisor", "server")}
    p99_ratio = big["latency_ms"]["p99"] / baseline["latency_ms"]["p99"]
    result = {
        "benchmark": "serving_faults", "date": dt.date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "concurrency": 8, "seconds_each": args.seconds, "workers": 2,
        "baseline": baseline, "with_two_50mb_requests": {**big, "big_request_statuses": statuses},
        "p99_ratio": round(p99_ratio, 2), "faults": faults,
        "met": {"big_requests_413": statuses == [413, 413], "p99_within_2x": p99_ratio <= 2.0,
                "no_answered_request_lost": all(f["lost"] == 0 for f in faults.values()),
                "no_duplicates": all(f["duplicates"] == 0 for f in faults.values())},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k not in ("baseline", "with_two_50mb_requests")}, indent=1))
    print(f"baseline p99 {baseline['latency_ms']['p99']} ms, with two 50 MB requests {big['latency_ms']['p99']} ms; "
          f"written: {OUT}")


if __name__ == "__main__":
    main()
