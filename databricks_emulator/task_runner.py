"""Runs one job task for real: a Python process against the emulator's Sail Spark Connect server.

The task's libraries (wheels in DBFS, volumes or workspace files) are installed into the run's
own folder, which goes first on the process' PYTHONPATH; the job cluster's `spark_env_vars`
are set; the process sees DBFS on /dbfs and the volumes on /Volumes (task_mounts.py); stdout and stderr go to the run folder and, when the cluster has a DBFS
`cluster_log_conf`, to `<destination>/<cluster_id>/driver/` as on Databricks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from databricks_emulator.children import spawn
from databricks_emulator.errors import invalid_parameter
from databricks_emulator.secrets import SecretStore
from databricks_emulator.storage import WorkspaceStorage
from databricks_emulator.task_mounts import with_workspace_mounts

POLL_SECONDS = 0.1
MIRROR_SECONDS = 1.0  # how often live logs are copied to the cluster log destination
KILL_GRACE_SECONDS = 3
LOG_TAIL_BYTES = 5 * 1024 * 1024
PASSED_THROUGH_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


@dataclass
class TaskOutcome:
    result_state: str  # SUCCESS, FAILED, CANCELED, TIMEDOUT
    state_message: str
    logs: str = ""
    error: str | None = None
    error_trace: str | None = None
    error_code: str | None = None  # set when the task could not start (an internal error on Databricks)


@dataclass
class TaskLaunch:
    """What to run: the command, its environment and where its output goes."""
    command: list[str]
    env: dict[str, str]
    workdir: Path
    log_folders: list[Path]


def install_libraries(storage: WorkspaceStorage, libraries: list[dict], site: Path) -> None:
    """Unpacks each wheel into site (a wheel is an installable zip of its package tree)."""
    site.mkdir(parents=True, exist_ok=True)
    for library in libraries:
        wheel = library.get("whl")
        if not wheel:
            kinds = ", ".join(sorted(library))
            raise invalid_parameter(f"Library kind {kinds} is not supported by the emulator; use a whl library.")
        local = storage.task_file_path(wheel)
        if not local.is_file():
            raise invalid_parameter(f"Library {wheel} does not exist.")
        with zipfile.ZipFile(local) as archive:
            archive.extractall(site)


def task_launch(storage: WorkspaceStorage, task: dict, cluster: dict, run_folder: Path,
                spark_remote: str, libraries: list[dict]) -> TaskLaunch:
    """The process for a spark_python_task or a python_wheel_task; ApiError for what cannot run."""
    site = run_folder / "site-packages"
    install_libraries(storage, libraries, site)
    if "spark_python_task" in task:
        spec = task["spark_python_task"]
        script = storage.task_file_path(spec.get("python_file", ""))
        if not script.is_file():
            raise invalid_parameter(f"Python file {spec.get('python_file')} does not exist.")
        command = [sys.executable, str(script), *spec.get("parameters", [])]
    elif "python_wheel_task" in task:
        spec = task["python_wheel_task"]
        entry = _wheel_entry_point(site, spec.get("package_name", ""), spec.get("entry_point", ""))
        module, _, function = entry.partition(":")
        bootstrap = f"import sys, {module} as m; sys.argv[0] = {spec.get('package_name')!r}; sys.exit(m.{function}())"
        command = [sys.executable, "-c", bootstrap, *spec.get("parameters", [])]
    else:
        kinds = ", ".join(sorted(key for key in task if key.endswith("_task")))
        raise invalid_parameter(
            f"Task {task.get('task_key')} has no spark_python_task or python_wheel_task ({kinds or 'none'}); "
            "the emulator runs only those.")
    env = {name: os.environ[name] for name in PASSED_THROUGH_ENV if name in os.environ}
    env |= {"SPARK_REMOTE": spark_remote, "PYTHONPATH": str(site), "PYTHONUNBUFFERED": "1",
            "DATABRICKS_RUNTIME_VERSION": cluster.get("spark_version", "emulator")}
    secrets = SecretStore(storage.secrets_root)  # `{{secrets/scope/key}}` values resolved as the cluster starts
    env |= {key: secrets.resolve(str(value)) for key, value in cluster.get("spark_env_vars", {}).items()}
    return TaskLaunch(with_workspace_mounts(command, storage), env, run_folder, [run_folder, *_cluster_log_folders(storage, cluster)])


def _wheel_entry_point(site: Path, package: str, entry_point: str) -> str:
    normalized = package.replace("-", "_").lower()
    for metadata in site.glob("*.dist-info/entry_points.txt"):
        if not metadata.parent.name.lower().startswith(normalized):
            continue
        for line in metadata.read_text().splitlines():
            name, _, target = (part.strip() for part in line.partition("="))
            if name == entry_point and target:
                return target
    raise invalid_parameter(f"Entry point {entry_point} of package {package} was not found in the task's wheels.")


def _cluster_log_folders(storage: WorkspaceStorage, cluster: dict) -> list[Path]:
    destination = cluster.get("cluster_log_conf", {}).get("dbfs", {}).get("destination")
    if not destination:
        return []
    return [storage.dbfs_path(destination) / cluster["cluster_id"] / "driver"]


def run_task(launch: TaskLaunch, cancelled: threading.Event, deadline: float | None) -> TaskOutcome:
    """Runs the process to its end, a cancel, or the deadline (time.monotonic())."""
    for folder in launch.log_folders:
        folder.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path = launch.workdir / "stdout", launch.workdir / "stderr"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = spawn(launch.command, env=launch.env, cwd=launch.workdir, stdout=stdout, stderr=stderr)
        stopped_by = _wait(process, cancelled, deadline, launch.log_folders[1:], stdout_path, stderr_path)
    _mirror_logs(launch.log_folders[1:], stdout_path, stderr_path)
    logs = _tail(stdout_path)
    if stopped_by == "cancel":
        return TaskOutcome("CANCELED", "Run cancelled.", logs)
    if stopped_by == "timeout":
        return TaskOutcome("TIMEDOUT", "Run timed out.", logs)
    if process.returncode == 0:
        return TaskOutcome("SUCCESS", "", logs)
    trace = _tail(stderr_path).rstrip()
    return TaskOutcome("FAILED", "Workload failed, see run output for details", logs,
                       _error_line(trace, process.returncode), trace)


def _error_line(trace: str, returncode: int) -> str:
    """The exception line of the last traceback, as Databricks reports a task's exception (not what was
    printed after it, such as a warning at exit); else the last line of stderr."""
    lines = trace.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last):")]
    if starts:
        exception = next((line for line in lines[starts[-1] + 1:] if line and not line[0].isspace()), None)
        if exception:
            return exception.strip()
    return lines[-1].strip() if lines else f"Process exited with code {returncode}"


def _wait(process: subprocess.Popen, cancelled: threading.Event, deadline: float | None,
          mirrors: list[Path], stdout_path: Path, stderr_path: Path) -> str | None:
    last_mirror = time.monotonic()
    while process.poll() is None:
        if cancelled.is_set() or (deadline is not None and time.monotonic() > deadline):
            _stop(process)
            return "cancel" if cancelled.is_set() else "timeout"
        if time.monotonic() - last_mirror > MIRROR_SECONDS:
            _mirror_logs(mirrors, stdout_path, stderr_path)
            last_mirror = time.monotonic()
        time.sleep(POLL_SECONDS)
    return None


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _mirror_logs(folders: list[Path], stdout_path: Path, stderr_path: Path) -> None:
    for folder in folders:
        for source in (stdout_path, stderr_path):
            (folder / source.name).write_bytes(source.read_bytes())


def _tail(path: Path) -> str:
    data = path.read_bytes()
    return data[-LOG_TAIL_BYTES:].decode("utf-8", errors="replace")
