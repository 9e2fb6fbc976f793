"""Secret scopes through databricks-sdk, and a job cluster's `{{secrets/scope/key}}` variable resolved
for the task only: the run's spec keeps the reference, the API never returns a value."""

import hashlib

import pytest
from databricks.sdk.errors import NotFound, OperationFailed, ResourceAlreadyExists
from databricks.sdk.service.compute import ClusterSpec
from databricks.sdk.service.jobs import RunResultState, SparkPythonTask, SubmitTask

from tests.emulator.workloads import upload

pytestmark = pytest.mark.integration
SCOPE = "test-secrets"
PRINT_DIGEST = 'import hashlib, os\nprint(hashlib.sha256(os.environ["THE_KEY"].encode()).hexdigest())\n'


def secret_task(script: str, reference: str) -> SubmitTask:
    cluster = ClusterSpec(spark_version="15.4.x-scala2.12", num_workers=1, spark_env_vars={"THE_KEY": reference})
    return SubmitTask(task_key="secret", new_cluster=cluster, spark_python_task=SparkPythonTask(python_file=script))


def test_a_task_sees_the_secret_its_cluster_references_and_the_api_never_shows_it(workspace):
    workspace.secrets.create_scope(SCOPE)
    with pytest.raises(ResourceAlreadyExists):
        workspace.secrets.create_scope(SCOPE)
    workspace.secrets.put_secret(SCOPE, "pii_key", string_value="a-key-of-sixteen-or-more")
    assert [s.key for s in workspace.secrets.list_secrets(SCOPE)] == ["pii_key"]
    assert SCOPE in [s.name for s in workspace.secrets.list_scopes()]
    script = upload(workspace, "/secrets/print_digest.py", PRINT_DIGEST.encode())
    run = workspace.jobs.submit_and_wait(run_name="secret", tasks=[secret_task(script, f"{{{{secrets/{SCOPE}/pii_key}}}}")])
    output = workspace.jobs.get_run_output(run.tasks[0].run_id)
    assert run.state.result_state == RunResultState.SUCCESS, output.error_trace
    assert output.logs.strip() == hashlib.sha256(b"a-key-of-sixteen-or-more").hexdigest()
    assert run.tasks[0].new_cluster.spark_env_vars == {"THE_KEY": f"{{{{secrets/{SCOPE}/pii_key}}}}"}


def test_a_missing_secret_stops_the_cluster_and_an_unknown_scope_is_not_found(workspace):
    script = upload(workspace, "/secrets/print_digest.py", PRINT_DIGEST.encode())
    with pytest.raises(OperationFailed, match="INTERNAL_ERROR.*Secret does not exist with scope: test-secrets and key: absent"):
        workspace.jobs.submit_and_wait(run_name="no-secret", tasks=[secret_task(script, "{{secrets/test-secrets/absent}}")])
    with pytest.raises(NotFound):
        workspace.secrets.put_secret("no-such-scope", "k", string_value="v")
