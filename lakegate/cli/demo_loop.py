"""The demo's closing loop, for each use case that declares a drift scenario
(ml_assets/features/drift_scenarios.py):

1. a second champion, trained and released through every gate, so a rollback has somewhere to go,
   and the rollback drill rehearsed on it (back to the first champion and forward, under load);
2. traffic from a changed population is replayed against the champion, and its outcomes land later
   through the landing zone, bronze and silver, as real outcomes do;
3. the monitor refreshes its metric tables and judges the champion: drift flagged, quality dropped;
4. the remediation sensor acts on the ERROR verdict while normal traffic keeps flowing: the endpoint
   rolls back to the previous champion (a ledger record names the verdict) and a retraining is
   requested; the alerts are in the outbox.
A drift-only scenario (machine failure) skips the second champion and the outcomes: its verdict alerts.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import requests

from lakegate.cli.demo_release import release
from lakegate.cli.demo_serving import DemoServer, deploy_and_serve
from lakegate.cli.materialize import console, print_summary, run_graph
from lakegate.environment import current_environment
from lakegate.lake import Lake
from lakegate.ledger import Ledger
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.drill import DrillResult, last_drill, report
from lakegate.serving.inference_log import inference_table_name

DRAIN_TIMEOUT_SECONDS = 60


def show_the_loop(home: Path, use_cases: list) -> bool:
    from ml_assets.features.drift_scenarios import DRIFT_SCENARIOS

    scenarios = [(u, DRIFT_SCENARIOS[u.name]) for u in use_cases if u.name in DRIFT_SCENARIOS]
    for use_case, scenario in scenarios:
        if scenario.second_champion and not (_second_champion(home, use_case) and _rehearse(home, use_case)):
            return False
    if not scenarios:
        return True
    server = DemoServer.start(home)  # one serving runtime for every use case's traffic (a start is ~8 s)
    try:
        return all(_provoke_and_watch(home, use_case, scenario, server) for use_case, scenario in scenarios)
    finally:
        server.stop()


def _second_champion(home: Path, use_case) -> bool:
    from ml_assets import keys

    endpoint = keys.endpoint_name(use_case)
    if LocalEndpoints(home).get(endpoint).rollback_target() is not None:
        return True
    console.print(f"[bold]a second champion for {endpoint}[/], so a rollback has somewhere to go: "
                  "retrained and released through every gate, then rolled out as a canary")
    candidate = f"key:{keys.model_key(use_case).to_user_string()} or key:{keys.test_model_key(use_case).to_user_string()}"
    if release(home, [use_case], candidate) and not deploy_and_serve(home, [use_case]):
        console.print("[yellow]the second champion's canary was rolled back: the endpoint keeps serving the first "
                      "while the registry's champion is the second, so remediation leaves a failing verdict below "
                      "to a person (it acts only for the champion the endpoint serves)[/]")
    return True


def _rehearse(home: Path, use_case) -> bool:
    """The rollback drill, as its schedule runs it (the Dagster asset), while there is a version to go back to."""
    from ml_assets import keys

    endpoint = keys.endpoint_name(use_case)
    if LocalEndpoints(home).get(endpoint).rollback_target() is None:
        return True
    console.print(f"[bold]rehearsal[/]: the rollback drill on {endpoint}, as its schedule runs it, before anything goes wrong")
    drilled = run_graph(f"key:{keys.drill_key(use_case).to_user_string()}")
    if not drilled.success:
        console.print(f"[red]the drill failed[/]: {drilled.failure}")
        return False
    record = last_drill(Ledger.for_home(home, current_environment()), endpoint)
    console.print(report(DrillResult.from_record(record), record.seq), markup=False)
    print_verdicts(drilled)
    return True


def _provoke_and_watch(home: Path, use_case, scenario, server: DemoServer) -> bool:
    from ml_assets import keys
    from ml_assets.features.request_samples import REQUEST_SAMPLES

    endpoint = keys.endpoint_name(use_case)
    lake, table = Lake(home / "lake"), inference_table_name(current_environment().catalog, endpoint)
    bodies = scenario.requests(home / "landing")
    before = lake.read_arrow(table, columns=["request_id"]).num_rows
    console.print(f"[bold]drift[/]: replaying {len(bodies):,} requests from a changed population against {endpoint}")
    statuses, predictions = send_each(server, endpoint, bodies, use_case.entity_rows.key)
    console.print(f"answered by status: {dict(statuses)}")
    _wait_for_rows(lake, table, before + len(bodies))
    if scenario.land_labels is not None:
        landed = scenario.land_labels(home / "landing", predictions)
        console.print(f"their outcomes arrive later, the other way round from the predictions: {landed}")
        print_summary(run_graph(" or ".join(f"key:{k.to_user_string()}" for k in scenario.label_assets)))
    monitored = run_graph(f"key:{keys.monitor_key(use_case).to_user_string()}")
    print_summary(monitored)
    if not monitored.success:
        console.print(f"[red]the monitor failed[/]: {monitored.failure}")
        return False
    print_verdicts(monitored)
    traffic = server.replay(endpoint, REQUEST_SAMPLES[use_case.name](home / "landing"))
    console.print(f"normal traffic flows while the remediation sensor evaluates the verdicts on {endpoint}")
    started = time.monotonic()
    outcome = evaluate_sensor(f"{use_case.name}_remediation")
    console.print(f"remediation took {time.monotonic() - started:.1f} s; {_describe(outcome)}")
    time.sleep(1.0)  # a second of traffic after the switch
    during = traffic.stop()
    failed = sum(n for status, n in during.items() if not (isinstance(status, int) and status < 500))
    console.print(f"requests during the rollback by status: {dict(during)}; failed (5xx or no answer): {failed}")
    target = LocalEndpoints(home).get(endpoint).config.full_share_entity()
    console.print(f"{endpoint} now serves {target} at 100 %.  Look further: .venv/bin/lakegate monitor status {endpoint};  "
                  ".venv/bin/lakegate alerts list;  .venv/bin/lakegate audit verify --anchor;  "
                  f".venv/bin/lakegate table show dev.monitoring.{endpoint.replace('-', '_')}_drift_metrics")
    return True


def send_each(server: DemoServer, endpoint: str, bodies: list[bytes], record_key: str,
              concurrency: int = 4) -> tuple[Counter, dict]:
    """Post every body once; returns status counts and each answered record's prediction by its key."""
    url = f"{server.url}/serving-endpoints/{endpoint}/invocations"
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    session = requests.Session()

    def post(body: bytes) -> tuple[int, str | None, int | None]:
        answer = session.post(url, data=body, headers=headers, timeout=30)
        key = json.loads(body)["dataframe_records"][0].get(record_key) if answer.ok else None
        return answer.status_code, key, answer.json()["predictions"][0] if answer.ok else None

    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(post, bodies))
    return Counter(status for status, _, _ in results), {k: p for _, k, p in results if k is not None}


def _wait_for_rows(lake: Lake, table: str, rows: int) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    while lake.read_arrow(table, columns=["request_id"]).num_rows < rows:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{table} did not reach {rows} rows in {DRAIN_TIMEOUT_SECONDS} s")
        time.sleep(0.5)


def evaluate_sensor(name: str):
    """One tick of a sensor of the graph, in this process, on the persistent instance."""
    from lakegate.definitions import defs
    from lakegate.resources import resources_for
    from lakegate.run import persistent_instance

    sensor = defs.get_sensor_def(name)
    with dg.build_sensor_context(instance=persistent_instance(), resources=resources_for(current_environment()),
                                 sensor_name=name) as context:
        return sensor(context)


def print_verdicts(outcome) -> None:
    for check in outcome.checks:
        colour = "green" if check.passed else "red" if check.severity.value == "ERROR" else "yellow"
        state = "passed" if check.passed else f"FAILED ({check.severity.value})"
        console.print(f"[{colour}]{check.check_name}: {state}[/] {check.description or ''}")


def _describe(outcome) -> str:
    if isinstance(outcome, dg.RunRequest):
        return (f"rolled back, and a retraining is requested (run key {outcome.run_key}); the daemon of "
                "`make ui` launches it, and its gates and approvals decide as always")
    if isinstance(outcome, dg.SkipReason):
        return outcome.skip_message or "nothing to do"
    return str(outcome)
