"""What the job tests upload: task scripts and a small wheel, written here so each test reads as its workload;
and how they wait for a run they stopped to end."""

from __future__ import annotations

import base64
import io
import time
import zipfile

from databricks.sdk import WorkspaceClient
from databricks.sdk.service.jobs import Run

WRITE_DELTA_TABLE = '''
import os, sys
from pyspark.sql import SparkSession
import claims_helpers  # from the run's wheel library

spark = SparkSession.builder.getOrCreate()
rows = [(i, claims_helpers.label(i)) for i in range(5)]
frame = spark.createDataFrame(rows, "id long, label string")
frame.write.format("delta").mode("overwrite").save(sys.argv[1])
print("wrote", spark.read.format("delta").load(sys.argv[1]).count(), "rows for", os.environ["LAKEGATE_ENV"])
'''

FAIL = '''
def score():
    return 1 / 0
score()
'''

SLEEP = '''
import sys, time
print("sleeping", flush=True)
time.sleep(float(sys.argv[1]))
'''

HELPERS_WHEEL = "claims_helpers-0.1-py3-none-any.whl"
HELPERS_MODULE = '''
import sys

def label(i):
    return "review" if i % 2 else "auto"

def main():
    print("label", sys.argv[1], label(int(sys.argv[1])))
'''


def helpers_wheel() -> bytes:
    """A pure-Python wheel (a zip of the package and its dist-info) with one function."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr("claims_helpers/__init__.py", HELPERS_MODULE)
        wheel.writestr("claims_helpers-0.1.dist-info/entry_points.txt", "[console_scripts]\nlabel = claims_helpers:main\n")
        wheel.writestr("claims_helpers-0.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: claims-helpers\nVersion: 0.1\n")
        wheel.writestr("claims_helpers-0.1.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr("claims_helpers-0.1.dist-info/RECORD", "")
    return buffer.getvalue()


def upload(workspace: WorkspaceClient, dbfs_path: str, contents: bytes) -> str:
    workspace.dbfs.put(dbfs_path, contents=base64.b64encode(contents).decode(), overwrite=True)
    return f"dbfs:{dbfs_path}"


def wait_until(workspace: WorkspaceClient, run_id: int, life_cycle: set[str], seconds: float = 60) -> Run:
    """The run once its life-cycle state is one of `life_cycle`. A stopped step returns as soon as its run is
    TERMINATING (dagster-databricks' rule); the emulator then kills the task and reports TERMINATED."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = workspace.jobs.get_run(run_id)
        if run.state.life_cycle_state.value in life_cycle:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached {life_cycle}")
