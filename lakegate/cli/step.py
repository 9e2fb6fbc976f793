"""`lakegate-step STEP ARGUMENTS`: one Spark step inside a Databricks task, the entry point of
Lakegate's wheel (lakegate/wheel.py; docs/decisions/0037-databricks-pipes-engine.md).

It opens Pipes on DBFS as dagster-databricks' client set it up (the bootstrap comes in the job
cluster's `spark_env_vars`; context and messages are files under /dbfs), runs the named step on
the cluster's SparkSession and reports its materialization and check results with the metadata
the in-process run gives. A failing step prints its traceback and exits 1: the task's error.
"""

from __future__ import annotations

import json
import sys
import traceback
from io import StringIO
from threading import Event
from typing import Any

from dagster_pipes import (PipesBufferedFilesystemMessageWriterChannel, PipesDbfsContextLoader, PipesDbfsMessageWriter,
                           open_dagster_pipes)
from pyspark.errors import PySparkException
from pyspark.sql import SparkSession

import lakehouse_assets.steps  # noqa: F401  (registers the lakehouse's steps)
import ml_assets.steps  # noqa: F401  (registers the ML layer's steps)
from lakegate.process_exit import exit_without_teardown
from lakegate.lake import Lake
from lakegate.steps import StepInvocation, StepResult, run_registered_step

MESSAGE_CHUNK_SECONDS = 1.0  # how often messages go to DBFS (dagster-pipes' default is 10 s)


class PromptClosingChannel(PipesBufferedFilesystemMessageWriterChannel):
    """dagster-pipes' channel to files on /dbfs, uploading a chunk every `interval` seconds as it does,
    and the last one as soon as the step closes Pipes. dagster-pipes' own loop sleeps a whole second
    between looks and looks once more after its last upload, which held every finished task 1-2 s
    at exit (measured on the emulator; on a job cluster it is billed time). Overrides the private
    `_upload_loop` of dagster-pipes 1.13.27: recheck on upgrade (tests/unit/test_steps.py checks it)."""

    def _upload_loop(self, is_session_closed: Event) -> None:
        while True:
            closed = is_session_closed.wait(self._interval)  # set after the last message was written
            payload = "\n".join(json.dumps(message) for message in self.flush_messages())
            if payload:
                self.upload_messages_chunk(StringIO(payload), self._counter)
                self._counter += 1
            if closed:
                return


class ClusterMessageWriter(PipesDbfsMessageWriter):
    """dagster-pipes' DBFS writer, with the prompt channel above, on clusters without Databricks'
    cluster-usage tags too: it reads the cluster's log destination from them, and a Spark Connect
    server (the emulator's Sail) answers an unknown key with its own error, not py4j's; there are no
    driver logs to point at then."""

    def make_channel(self, params) -> PromptClosingChannel:
        inherited = super().make_channel(params)
        return PromptClosingChannel(path=inherited._path, interval=self.interval)

    def get_opened_extras(self) -> dict:
        try:
            return super().get_opened_extras()
        except PySparkException:
            return {}


def pipes_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Pipes takes a dict value as `{raw_value, type}`: JSON values go typed, the rest raw."""
    return {key: {"raw_value": value, "type": "json"} if isinstance(value, (dict, list)) else value
            for key, value in metadata.items()}


def report(pipes, result: StepResult) -> None:
    for message in result.messages:
        pipes.log.info(message)
    for warning in result.warnings:
        pipes.log.warning(warning)
    pipes.report_asset_materialization(metadata=pipes_metadata(result.metadata), asset_key=result.asset)
    for asset, metadata in result.other_assets.items():
        pipes.report_asset_materialization(metadata=pipes_metadata(metadata), asset_key=asset)
    for check in result.checks:
        pipes.report_asset_check(check.name, check.passed, severity=check.severity,
                                 metadata=pipes_metadata(check.metadata), asset_key=check.asset or result.asset)


def run(arguments: list[str]) -> None:
    invocation = StepInvocation.from_arguments(arguments)
    spark = SparkSession.builder.getOrCreate()  # the cluster's (SPARK_REMOTE on a Spark Connect cluster)
    with open_dagster_pipes(context_loader=PipesDbfsContextLoader(),
                            message_writer=ClusterMessageWriter(interval=MESSAGE_CHUNK_SECONDS)) as pipes:
        result = run_registered_step(invocation.step, spark, Lake(invocation.lake_root), invocation.catalog,
                                     invocation.parameters)
        report(pipes, result)


def main() -> None:
    try:
        run(sys.argv[1:])
    except Exception:  # the task's error: the exception line is what Databricks shows
        traceback.print_exc()
        exit_without_teardown(1)
    exit_without_teardown(0)
