"""A runs/submit request, checked and put in dependency order before anything runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from databricks_emulator.errors import invalid_parameter


@dataclass(frozen=True)
class TaskSpec:
    key: str
    body: dict
    cluster: dict | None
    libraries: list[dict]
    depends_on: list[str]
    timeout_seconds: int
    environment_key: str | None


@dataclass(frozen=True)
class RunSpec:
    tasks: list[TaskSpec]
    run_name: str
    timeout_seconds: int
    idempotency_token: str | None
    environments: dict[str, dict] = field(default_factory=dict)

    def environment_libraries(self, task: TaskSpec) -> list[dict]:
        """A serverless task's environment dependencies that are wheel paths, as whl libraries."""
        spec = self.environments.get(task.environment_key or "", {})
        return [{"whl": dependency} for dependency in spec.get("dependencies", []) if dependency.endswith(".whl")]


def parse_submission(body: dict) -> RunSpec:
    raw_tasks = body.get("tasks") or []
    if not raw_tasks:
        raise invalid_parameter("At least one task is required.")
    tasks = [_task(raw) for raw in raw_tasks]
    keys = [task.key for task in tasks]
    if len(set(keys)) != len(keys):
        raise invalid_parameter("Task keys must be unique within a run.")
    environments = {env.get("environment_key", ""): env.get("spec", {}) for env in body.get("environments") or []}
    for task in tasks:
        missing = [key for key in task.depends_on if key not in keys]
        if missing:
            raise invalid_parameter(f"Task {task.key} depends on {missing[0]}, which is not a task of this run.")
        if task.environment_key and task.environment_key not in environments:
            raise invalid_parameter(f"Task {task.key} names environment {task.environment_key}, which is not defined.")
    timeout = int(body.get("timeout_seconds") or 0)
    if timeout < 0:
        raise invalid_parameter("timeout_seconds must not be negative.")
    return RunSpec(_in_dependency_order(tasks), body.get("run_name") or "Untitled", timeout,
                   body.get("idempotency_token"), environments)


def _task(raw: dict) -> TaskSpec:
    key = raw.get("task_key")
    if not key:
        raise invalid_parameter("Each task needs a task_key.")
    if raw.get("existing_cluster_id"):
        raise invalid_parameter(f"Cluster {raw['existing_cluster_id']} does not exist.")
    return TaskSpec(key=key, body=raw, cluster=raw.get("new_cluster"), libraries=list(raw.get("libraries") or []),
                    depends_on=[dep["task_key"] for dep in raw.get("depends_on") or []],
                    timeout_seconds=int(raw.get("timeout_seconds") or 0),
                    environment_key=raw.get("environment_key"))


def _in_dependency_order(tasks: list[TaskSpec]) -> list[TaskSpec]:
    ordered: list[TaskSpec] = []
    done: set[str] = set()
    pending = list(tasks)
    while pending:
        ready = [task for task in pending if all(dep in done for dep in task.depends_on)]
        if not ready:
            raise invalid_parameter(f"The tasks' dependencies form a cycle through {pending[0].key}.")
        for task in ready:
            ordered.append(task)
            done.add(task.key)
            pending.remove(task)
    return ordered
