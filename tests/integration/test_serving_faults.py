"""Crash recovery of `lakegate serve` under load: 8 connections from bench/load_client.py on
127.0.0.1, then SIGKILL of one worker, of the supervisor, or of the whole server (restarted on the
same port with no cleanup by hand). Every request the trace shows answered must be in the inference
table exactly once: the stated loss window for a process crash is zero answered requests
(docs/decisions/0014-serving-limits-and-loss-window.md)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from lakegate.lake import Lake
from lakegate.serving.process_hygiene import alive
from tests.serving import INVOKE_TOKEN, start_server, wait_for_workers
from tests.triage_home import CLAIM, ENDPOINT, build_triage_home, triage_environment

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TABLE = "dev.serving.claims_triage_inference_log"
LOAD_CAP_SECONDS = 90.0  # the load is stopped (SIGTERM) once the server has served again after the fault
KILL_AFTER = 2.5
SERVED_AFTER_RECOVERY = 1.5  # seconds of load kept on the recovered server


@pytest.fixture(scope="module")
def triage_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("faults")
    with triage_environment(home):
        build_triage_home(home)
    bodies = home / "bodies.jsonl"
    bodies.write_text("\n".join(json.dumps({"dataframe_records": [{**CLAIM, "claim_id": f"C{i:09d}"}]})
                                for i in range(200)))
    return home


def start_load(url: str, bodies: Path, out: Path, seconds: float) -> subprocess.Popen:
    with open(out, "w") as sink:  # a file, not a pipe: nobody reads a pipe while the server restarts
        return subprocess.Popen([sys.executable, str(REPO / "bench" / "load_client.py"), url,
                                 f"/serving-endpoints/{ENDPOINT}/invocations", str(bodies), "--token", INVOKE_TOKEN,
                                 "--concurrency", "8", "--seconds", str(seconds), "--trace"],
                                stdout=sink, stderr=subprocess.STDOUT)


def logged_ids(home: Path) -> Counter:
    return Counter(Lake(home / "lake").read_arrow(TABLE, columns=["request_id"])["request_id"].to_pylist())


def kill_worker(home: Path, server) -> None:
    worker = wait_for_workers(home, ENDPOINT, 2)[0]["pid"]
    os.kill(worker, signal.SIGKILL)


def kill_supervisor(home: Path, server) -> None:
    os.kill(server.proc.pid, signal.SIGKILL)


def kill_server(home: Path, server) -> None:
    os.killpg(server.proc.pid, signal.SIGKILL)


@pytest.mark.parametrize("fault", [kill_worker, kill_supervisor, kill_server], ids=lambda f: f.__name__)
def test_a_sigkill_under_load_loses_no_answered_request_and_needs_no_cleanup(triage_home, fault):
    home = triage_home
    before = logged_ids(home) if Lake(home / "lake").exists(TABLE) else Counter()
    server = start_server(home, workers=2)
    wait_for_workers(home, ENDPOINT, 2)
    trace = home / f"trace-{fault.__name__}.json"
    load = start_load(server.url, home / "bodies.jsonl", trace, LOAD_CAP_SECONDS)
    time.sleep(KILL_AFTER)
    killed_at = time.time()
    old_workers = [w["pid"] for w in wait_for_workers(home, ENDPOINT, 2)]
    fault(home, server)
    if fault is kill_supervisor:  # its workers exit by themselves (the kernel's SIGTERM on the parent's death)
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in old_workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in old_workers)
    if fault is not kill_worker:  # the same port at once: no cleanup by hand
        server.proc.wait(timeout=10)
        server = start_server(home, workers=2, port=int(server.url.rsplit(":", 1)[1]))
        wait_for_workers(home, ENDPOINT, 2)
    time.sleep(SERVED_AFTER_RECOVERY)  # a killed worker restarts nothing: the other one serves at once
    load.send_signal(signal.SIGTERM)
    assert load.wait(timeout=30) == 0, trace.read_text()[-2000:]
    result = json.loads(trace.read_text())
    server.stop(signal.SIGTERM)

    answered = [rid for _, status, _, rid in result["trace"] if status != 0]
    after_fault = [t for t, status, _, _ in result["trace"] if status == 200 and t > killed_at + 0.5]
    assert after_fault, result["dropped"]  # it recovered and served again
    assert all(status in (0, 200) for _, status, _, _ in result["trace"])
    logged = logged_ids(home) - before
    lost = [rid for rid in answered if rid not in logged]
    assert lost == [], f"{len(lost)} of {len(answered)} answered requests missing from the table"
    assert max(logged.values()) == 1  # no duplicates
    assert not list((home / "serving" / "inference_spool" / "claims-triage").glob("*.jsonl*"))  # nothing left behind
    metric_dirs = [p.name for p in (home / "serving" / "prometheus").iterdir()]
    assert metric_dirs == [], metric_dirs  # the crashed server's were removed at restart, the last one's at stop
