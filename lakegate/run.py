"""In-process materialization with live progress, recorded in a persistent Dagster instance.

The `dagster asset materialize` CLI pays a process per step; this runs the selected assets in this
process and records the run under $LAKEGATE_HOME/dagster, so `dagster dev` shows it afterwards.

A run killed mid-flight (SIGKILL, power cut) cannot record its own end, and Dagster's run monitoring
only watches runs its daemon launched. So each run names the process running it (tag
`lakegate/process`: host, pid and the kernel's start time of that pid), and every materialization
first marks failed the STARTED runs whose process on this host is gone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import dagster as dg

from lakegate.environment import lakegate_home

PROCESS_TAG = "lakegate/process"
LAUNCHER_TAG = "lakegate/launched_by"  # who started the run: they may not approve its cost (docs/cost.md)
STEP_EVENTS = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
PROGRESS_EVENTS = STEP_EVENTS | {dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.ASSET_CHECK_EVALUATION}


def launcher() -> str:
    """The principal running this process: $LAKEGATE_PRINCIPAL, else the operating-system user."""
    import getpass

    return os.environ.get("LAKEGATE_PRINCIPAL", "").strip() or getpass.getuser()


class SelectionError(ValueError):
    pass


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    seconds: float
    materializations: list[dg.AssetMaterialization] = field(default_factory=list)
    checks: list[dg.AssetCheckEvaluation] = field(default_factory=list)
    step_seconds: dict[str, float] = field(default_factory=dict)
    failure: str | None = None
    log_path: Path | None = None


def dagster_home() -> Path:
    return lakegate_home() / "dagster"


def persistent_instance() -> dg.DagsterInstance:
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch()
    return dg.DagsterInstance.from_config(str(home))


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs still STARTED (or STARTING) whose process on this host has died."""
    failed = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])):
        owner = run.tags.get(PROCESS_TAG)
        if owner and not _process_alive(owner):
            instance.report_run_failed(run, f"the process that ran it ({owner}) is gone: killed mid-flight; "
                                            "marked failed by the next lakegate run")
            failed.append(run.run_id)
    return failed


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def _process_alive(owner: str) -> bool:
    host, pid, started = owner.rsplit(":", 2)
    if host != socket.gethostname():
        return True  # another machine's run: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return not started or _start_time(int(pid)) == started  # else the pid was reused


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux /proc), "" where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def resolve_selection(defs: dg.Definitions, selection: str | None) -> list[dg.AssetKey]:
    """Dagster's asset selection syntax (e.g. `group:silver`, `key:bronze/claims+`); when empty, every
    asset without partitions (a partitioned one, such as a day's batch scores, runs per partition)."""
    graph = defs.resolve_asset_graph()
    if not selection:
        return sorted(k for k in graph.get_all_asset_keys() if not graph.get(k).is_partitioned)
    try:
        # A multi-asset runs whole (silver and its quarantine): take the siblings along.
        keys = dg.AssetSelection.from_string(selection).required_multi_asset_neighbors().resolve(graph)
    except Exception as exc:  # the parser raises several types; all mean the same to a user
        raise SelectionError(f"invalid selection {selection!r}: {exc}") from None
    if not keys:
        raise SelectionError(f"selection {selection!r} matched no asset")
    return sorted(keys)


def materialize(
    defs: dg.Definitions,
    selection: str | None = None,
    instance: dg.DagsterInstance | None = None,
    on_event: Callable[[dg.EventLogEntry], None] | None = None,
    tags: dict[str, str] | None = None,
) -> RunOutcome:
    keys = resolve_selection(defs, selection)
    instance = instance or persistent_instance()
    fail_abandoned_runs(instance)
    job = defs.resolve_implicit_global_asset_job_def()
    run_id = str(uuid.uuid4())
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = job.execute_in_process(
                asset_selection=keys,
                instance=instance,
                run_id=run_id,
                raise_on_error=False,
                tags={**(tags or {}), PROCESS_TAG: this_process(), LAUNCHER_TAG: launcher()},
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
        except BaseException as exc:  # surfaced to the caller below, never swallowed
            outcome["error"] = exc

    started = time.perf_counter()
    log_path = lakegate_home() / "logs" / f"run-{run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    worker = threading.Thread(target=run, name="lakegate-materialize")
    # Tools print to stdout while they run (dagster-dbt echoes dbt's log): keep it in a file.
    with log_path.open("w") as log, contextlib.redirect_stdout(log):
        worker.start()
        _follow(worker, instance, run_id, on_event)
    if "error" in outcome:
        raise outcome["error"]
    summary = _summarize(run_id, outcome["result"], instance, time.perf_counter() - started)
    summary.log_path = log_path
    _record_costs(defs, instance, run_id)
    return summary


def _record_costs(defs: dg.Definitions, instance: dg.DagsterInstance, run_id: str) -> None:
    """The run's steps in the cost table (embedded engine: wall time × this machine's rate). A
    cost-table problem is logged, never turned into a failed run: the materializations happened."""
    from lakegate.cost.embedded_runs import record_embedded_run
    from lakegate.environment import current_environment
    from lakegate.lake import Lake
    from lakegate.names import USE_CASE_TAG

    env = current_environment()
    if env.cost is None or env.engine.kind == "databricks":  # Databricks runs are priced by their billing
        return
    specs = {spec.key: spec for spec in defs.resolve_all_asset_specs()}
    try:
        record_embedded_run(instance, run_id, env, Lake(), lambda key: specs[key].metadata if key in specs else {},
                            lambda key: specs[key].tags.get(USE_CASE_TAG) if key in specs else None)
    except Exception:  # noqa: BLE001 - see the docstring
        logging.getLogger(__name__).exception("could not record the run's costs in the cost table")


def _follow(worker: threading.Thread, instance: dg.DagsterInstance, run_id: str, on_event) -> None:
    """Pass the run's progress events to on_event while the worker runs. Each poll reads only the
    progress events after the last one seen (a cursor): rereading the whole log every 0.2 s made
    following a long run quadratic, and its decoding took the GIL from the run (~60 s of a
    143 s Databricks run)."""
    cursor = None
    while True:
        alive = worker.is_alive()
        if on_event is not None and instance.has_run(run_id):
            page = instance.get_records_for_run(run_id, cursor=cursor, of_type=PROGRESS_EVENTS)
            for record in page.records:
                on_event(record.event_log_entry)
            cursor = page.cursor
        if not alive:
            break
        time.sleep(0.2)


def _summarize(run_id: str, result, instance: dg.DagsterInstance, seconds: float) -> RunOutcome:
    out = RunOutcome(run_id=run_id, success=result.success, seconds=seconds)
    out.materializations = result.get_asset_materialization_events()
    out.materializations = [e.event_specific_data.materialization for e in out.materializations]
    out.checks = result.get_asset_check_evaluations()
    starts: dict[str, float] = {}
    for record in instance.get_records_for_run(run_id, of_type=STEP_EVENTS).records:
        entry = record.event_log_entry
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            out.step_seconds[event.step_key] = entry.timestamp - starts.get(event.step_key, entry.timestamp)
            if event.event_type == dg.DagsterEventType.STEP_FAILURE and out.failure is None:
                error = event.step_failure_data.error
                out.failure = f"{event.step_key}: {error.message.strip() if error else 'failed'}"
    return out
