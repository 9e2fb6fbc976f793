"""A `lakegate materialize` run killed mid-flight is marked failed by the next run (lakegate/run.py),
and a live one is left alone: a real child process on a real Dagster instance, killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest

from lakegate.run import PROCESS_TAG, fail_abandoned_runs, persistent_instance

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CHILD = textwrap.dedent("""
    import time
    import dagster as dg
    from lakegate.run import materialize

    @dg.asset
    def slow_asset():
        time.sleep(120)

    materialize(dg.Definitions(assets=[slow_asset]))
""")


def started_run(instance: dg.DagsterInstance, timeout: float = 60) -> dg.DagsterRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        if runs:
            return runs[0]
        time.sleep(0.2)
    raise TimeoutError("the child's run never started")


def test_a_killed_run_is_marked_failed_and_a_live_one_is_not(home):
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=REPO, env={**os.environ, "LAKEGATE_HOME": str(home)})
    try:
        instance = persistent_instance()
        run = started_run(instance)
        assert run.tags[PROCESS_TAG].split(":")[1] == str(child.pid)
        assert fail_abandoned_runs(instance) == []  # its process is alive
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED  # what the kill leaves
        assert fail_abandoned_runs(instance) == [run.run_id]
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
        assert fail_abandoned_runs(instance) == []
    finally:
        child.kill()
