"""A task sees the workspace's DBFS on /dbfs and its volumes on /Volumes (as dagster-pipes expects on a
Databricks driver), in its own mount namespace: what it writes there is what the DBFS and Files APIs
serve, and the host's /dbfs stays empty."""

import base64
from pathlib import Path

import pytest
from databricks.sdk.service.compute import ClusterSpec
from databricks.sdk.service.jobs import RunResultState, SparkPythonTask, SubmitTask

from databricks_emulator import task_mounts
from databricks_emulator.errors import ApiError
from databricks_emulator.storage import WorkspaceStorage
from tests.emulator.workloads import upload

WRITE_THROUGH_MOUNTS = '''
import pathlib
dbfs = pathlib.Path("/dbfs/task-mounts/from-task.txt")
dbfs.parent.mkdir(parents=True, exist_ok=True)
dbfs.write_text("written on /dbfs")
volume = pathlib.Path("/Volumes/dev/task_mounts/files/from-task.txt")
volume.parent.mkdir(parents=True, exist_ok=True)
volume.write_text("written on /Volumes")
print(pathlib.Path("/dbfs/task-mounts/seeded.txt").read_text())
'''


@pytest.mark.integration
def test_a_task_writes_dbfs_and_volume_files_through_its_mounts(workspace):
    upload(workspace, "/task-mounts/seeded.txt", b"seeded through the DBFS API")
    script = upload(workspace, "/task-mounts/write.py", WRITE_THROUGH_MOUNTS.encode())
    task = SubmitTask(task_key="mounts", new_cluster=ClusterSpec(spark_version="15.4.x-scala2.12", num_workers=1),
                      spark_python_task=SparkPythonTask(python_file=script))
    run = workspace.jobs.submit_and_wait(run_name="mounts", tasks=[task], timeout_seconds=120)
    output = workspace.jobs.get_run_output(run.tasks[0].run_id)
    assert run.state.result_state == RunResultState.SUCCESS, output.error_trace
    assert output.logs.strip() == "seeded through the DBFS API"
    assert base64.b64decode(workspace.dbfs.read("/task-mounts/from-task.txt").data) == b"written on /dbfs"
    volume_file = workspace.files.download("/Volumes/dev/task_mounts/files/from-task.txt").contents.read()
    assert volume_file == b"written on /Volumes"
    assert not Path("/dbfs/task-mounts").exists()  # the binds lived in the task's namespace only


def test_without_unshare_a_task_cannot_start_and_says_why(monkeypatch, tmp_path):
    monkeypatch.setattr(task_mounts.shutil, "which", lambda name: None)
    with pytest.raises(ApiError) as refused:
        task_mounts.with_workspace_mounts(["python", "task.py"], WorkspaceStorage(tmp_path))
    assert refused.value.error_code == "INTERNAL_ERROR" and "`unshare` (util-linux) is not installed" in refused.value.message
