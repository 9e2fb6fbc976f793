"""One-time job runs: their lifecycle PENDING → RUNNING → TERMINATING → TERMINATED and result states.

Each run executes on a thread of its own: its tasks run one after another in dependency order
(a task whose upstream failed is UPSTREAM_FAILED), each as a real process (task_runner).
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from databricks_emulator.billing import record_run_usage
from databricks_emulator.errors import ApiError, invalid_parameter
from databricks_emulator.policies_api import PolicyStore
from databricks_emulator.run_spec import RunSpec, TaskSpec, parse_submission
from databricks_emulator.storage import WorkspaceStorage
from databricks_emulator.task_runner import TaskOutcome, run_task, task_launch

CREATOR = "emulator@localhost"
TERMINAL_STATES = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")
V2_TERMINATION = {  # result state → (termination code, termination type)
    "SUCCESS": ("SUCCESS", "SUCCESS"), "FAILED": ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
    "CANCELED": ("USER_CANCELED", "SUCCESS"), "TIMEDOUT": ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
    "UPSTREAM_FAILED": ("SKIPPED", "SUCCESS"),
}


def now_ms() -> int:
    return int(time.time() * 1000)


def _state(life_cycle: str, result: str | None = None, message: str = "") -> dict:
    state = {"life_cycle_state": life_cycle, "state_message": message,
             "user_cancelled_or_timedout": result in ("CANCELED", "TIMEDOUT")}
    if result:
        state["result_state"] = result
    return state


def _status(life_cycle: str, result: str | None, message: str) -> dict:
    status: dict = {"state": "TERMINATED" if life_cycle in TERMINAL_STATES else life_cycle}
    if result:
        code, kind = V2_TERMINATION[result]
        status["termination_details"] = {"code": code, "type": kind, "message": message}
    return status


@dataclass
class Run:
    spec: RunSpec
    view: dict  # the runs/get body, kept current
    outputs: dict[int, TaskOutcome] = field(default_factory=dict)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def set_state(self, life_cycle: str, result: str | None = None, message: str = "") -> None:
        self.view["state"] = _state(life_cycle, result, message)
        self.view["status"] = _status(life_cycle, result, message)

    def set_task_state(self, task: dict, life_cycle: str, result: str | None = None, message: str = "") -> None:
        task["state"] = _state(life_cycle, result, message)
        task["status"] = _status(life_cycle, result, message)


class RunService:
    def __init__(self, storage: WorkspaceStorage, policies: PolicyStore, host_url: str, spark_remote: str) -> None:
        self.storage = storage
        self.policies = policies
        self.host_url = host_url
        self.spark_remote = spark_remote
        self._runs: dict[int, Run] = {}
        self._task_runs: dict[int, int] = {}  # task run id → run id
        self._by_token: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    def submit(self, body: dict) -> int:
        spec = parse_submission(body)
        clusters = {task.key: self.policies.apply(task.cluster) for task in spec.tasks if task.cluster is not None}
        with self._lock:
            if spec.idempotency_token and spec.idempotency_token in self._by_token:
                return self._by_token[spec.idempotency_token]
            run = self._new_run(spec, clusters)
            run_id = run.view["run_id"]
            self._runs[run_id] = run
            if spec.idempotency_token:
                self._by_token[spec.idempotency_token] = run_id
        threading.Thread(target=self._execute, args=(run,), name=f"run-{run_id}", daemon=True).start()
        return run_id

    def _new_run(self, spec: RunSpec, clusters: dict[str, dict]) -> Run:
        run_id = next(self._ids)
        tasks = []
        for task in spec.tasks:
            task_run_id = next(self._ids)
            self._task_runs[task_run_id] = run_id
            view = {**copy.deepcopy(task.body), "run_id": task_run_id, "task_key": task.key, "attempt_number": 0,
                    "run_page_url": self._page_url(task_run_id)}
            if task.key in clusters:
                cluster = {**clusters[task.key], "cluster_id": f"emulator-{uuid.uuid4().hex[:12]}"}
                view["new_cluster"] = {key: value for key, value in cluster.items() if key != "cluster_id"}
                view["cluster_instance"] = {"cluster_id": cluster["cluster_id"]}
                view["_cluster"] = cluster
            tasks.append(view)
        view = {"job_id": run_id, "run_id": run_id, "number_in_job": run_id, "original_attempt_run_id": run_id,
                "run_name": spec.run_name, "run_type": "SUBMIT_RUN", "format": "MULTI_TASK",
                "creator_user_name": CREATOR, "run_page_url": self._page_url(run_id), "attempt_number": 0,
                "tasks": tasks, "start_time": now_ms(), "setup_duration": 0, "execution_duration": 0,
                "cleanup_duration": 0}
        run = Run(spec, view)
        run.set_state("PENDING", message="Waiting for cluster")
        for task in tasks:
            run.set_task_state(task, "PENDING")
        return run

    def _page_url(self, run_id: int) -> str:
        return f"{self.host_url}/?o=0#job/{run_id}/run/{run_id}"

    def _execute(self, run: Run) -> None:
        started = time.monotonic()
        deadline = started + run.spec.timeout_seconds if run.spec.timeout_seconds else None
        with self._lock:
            run.view["setup_duration"] = now_ms() - run.view["start_time"]
            run.set_state("RUNNING")
        failed_keys: set[str] = set()
        results = []
        for task_spec, task_view in zip(run.spec.tasks, run.view["tasks"]):
            outcome = self._execute_task(run, task_spec, task_view, failed_keys, deadline)
            results.append(outcome.result_state)
            if outcome.result_state != "SUCCESS":
                failed_keys.add(task_spec.key)
        with self._lock:
            run.set_state("TERMINATING", message="Cleaning up")
            run.view["execution_duration"] = int((time.monotonic() - started) * 1000)
        result, message = _run_result(run, results)
        record_run_usage(self.storage, run.view)  # before TERMINATED: a client that saw the end finds the billing
        with self._lock:
            life_cycle = "INTERNAL_ERROR" if any(o.error_code for o in run.outputs.values()) else "TERMINATED"
            run.set_state(life_cycle, result, message)
            run.view["end_time"] = now_ms()
            run.view["run_duration"] = run.view["end_time"] - run.view["start_time"]

    def _execute_task(self, run: Run, spec: TaskSpec, view: dict, failed_keys: set[str],
                      deadline: float | None) -> TaskOutcome:
        upstream_failed = [key for key in spec.depends_on if key in failed_keys]
        if upstream_failed or run.cancelled.is_set():
            result = "UPSTREAM_FAILED" if upstream_failed else "CANCELED"
            outcome = TaskOutcome(result, f"Upstream task(s) {', '.join(upstream_failed)} did not succeed."
                                  if upstream_failed else "Run cancelled.")
            with self._lock:
                run.outputs[view["run_id"]] = outcome
                run.set_task_state(view, "SKIPPED" if upstream_failed else "TERMINATED", result, outcome.state_message)
            return outcome
        with self._lock:
            view["start_time"] = now_ms()
            run.set_task_state(view, "RUNNING")
        if spec.timeout_seconds:
            task_deadline = time.monotonic() + spec.timeout_seconds
            deadline = min(deadline, task_deadline) if deadline else task_deadline
        folder = self.storage.runs_root / str(view["run_id"])
        folder.mkdir(parents=True, exist_ok=True)
        outcome = self._launch_and_run(run, spec, view, folder, deadline)
        with self._lock:
            run.outputs[view["run_id"]] = outcome
            life_cycle = "INTERNAL_ERROR" if outcome.error_code else "TERMINATED"
            run.set_task_state(view, life_cycle, outcome.result_state, outcome.state_message)
            view["end_time"] = now_ms()
            view["execution_duration"] = view["end_time"] - view["start_time"]
        return outcome

    def _launch_and_run(self, run: Run, spec: TaskSpec, view: dict, folder: Path,
                        deadline: float | None) -> TaskOutcome:
        cluster = view.get("_cluster", {})
        try:
            launch = task_launch(self.storage, spec.body, cluster, folder, self.spark_remote,
                                 spec.libraries + run.spec.environment_libraries(spec))
        except ApiError as error:  # the task could not start: Databricks reports it as a failed run
            return TaskOutcome("FAILED", error.message, error=error.message, error_code=error.error_code)
        return run_task(launch, run.cancelled, deadline)

    def get(self, run_id: int) -> dict:
        with self._lock:
            return _public(self._run(run_id).view)

    def _run(self, run_id: int) -> Run:
        run = self._runs.get(run_id)
        if run is None:
            raise invalid_parameter(f"Run {run_id} does not exist.")
        return run

    def cancel(self, run_id: int) -> None:
        with self._lock:
            run = self._run(run_id)
            if run.view["state"]["life_cycle_state"] not in TERMINAL_STATES:
                run.cancelled.set()
                if run.view["state"]["life_cycle_state"] == "RUNNING":
                    run.set_state("TERMINATING", message="Run cancelled.")

    def cancel_all(self) -> None:
        """On shutdown: every unfinished run is cancelled, so no task process outlives the emulator."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.cancelled.set()
        for thread in threading.enumerate():
            if thread.name.startswith("run-"):
                thread.join(timeout=5)

    def output(self, run_id: int) -> dict:
        with self._lock:
            owner = self._task_runs.get(run_id)
            if owner is None:
                run = self._run(run_id)
                if len(run.view["tasks"]) != 1:
                    raise invalid_parameter(
                        "Retrieving the output of runs with multiple tasks is not supported. "
                        "Please retrieve the output of each individual task run instead.")
                run_id = run.view["tasks"][0]["run_id"]
                owner = run.view["run_id"]
            run = self._runs[owner]
            task_view = next(task for task in run.view["tasks"] if task["run_id"] == run_id)
            body: dict = {"metadata": _public(task_view)}
            outcome = run.outputs.get(run_id)
        if outcome is not None:
            body["logs"] = outcome.logs
            body["logs_truncated"] = False
            if outcome.error:
                body["error"] = outcome.error
                body["error_trace"] = outcome.error_trace or ""
        return body


def _run_result(run: Run, results: list[str]) -> tuple[str, str]:
    if run.cancelled.is_set():
        return "CANCELED", "Run cancelled."
    if "TIMEDOUT" in results:
        return "TIMEDOUT", "Run timed out."
    failed = [spec.key for spec, result in zip(run.spec.tasks, results) if result != "SUCCESS"]
    if failed:
        first = run.outputs[run.view["tasks"][[s.key for s in run.spec.tasks].index(failed[0])]["run_id"]]
        return "FAILED", f"Task {failed[0]} failed with message: {first.state_message.rstrip('.')}."
    return "SUCCESS", ""


def _public(view: dict) -> dict:
    """A deep copy without the emulator's private keys (they start with an underscore)."""
    if isinstance(view, dict):
        return {key: _public(value) for key, value in view.items() if not key.startswith("_")}
    if isinstance(view, list):
        return [_public(item) for item in view]
    return view
