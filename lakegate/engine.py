"""Spark for whichever engine the environment names, and the seam every Spark asset runs through.

Transform code only ever sees a `pyspark.sql.SparkSession`; it never learns which engine runs it.
`sail` starts one in-process Sail Spark Connect server per process on 127.0.0.1 (a free port) and
stops it at exit; `connect` uses any Spark Connect URL. An asset runs its step (lakegate/steps.py)
with `SparkEngine.run_step`: on `sail` and `connect` in process with this session; on `databricks`
as a one-time job run on a job cluster through Pipes (lakegate/databricks_steps.py,
docs/decisions/0037-databricks-pipes-engine.md), which has no session here: `remote_url` and `session`
stop with EngineNotAvailable there (dbt gold runs its own step instead).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Sequence

import dagster as dg
from pyspark.sql import SparkSession

from lakegate.environment import ConfigError, EngineConfig
from lakegate.lake_resource import LakeResource
from lakegate.steps import StepInvocation, StepResult, run_registered_step

_lock = threading.Lock()
_sail_server = None


class EngineNotAvailable(ConfigError):
    """The environment names an engine this build cannot drive yet."""


def sail_url() -> str:
    """Start (once per process) the embedded Sail server and return its sc:// URL."""
    global _sail_server
    with _lock:
        if _sail_server is None:
            from pysail.spark import SparkConnectServer

            # Sail logs every start and stop at INFO on stderr; keep warnings unless told otherwise.
            os.environ.setdefault("RUST_LOG", "warn")
            server = SparkConnectServer("127.0.0.1", 0)
            server.start(background=True)
            _sail_server = server
            atexit.register(_stop_sail)
        host, port = _sail_server.listening_address
    return f"sc://{host}:{port}"


def _stop_sail() -> None:
    global _sail_server
    if _sail_server is not None:
        try:
            _sail_server.stop()
        finally:
            _sail_server = None


def spark_remote_url(engine: EngineConfig) -> str:
    if engine.kind == "sail":
        return sail_url()
    if engine.kind == "connect":
        if not engine.url_env:
            raise ConfigError("engine kind 'connect' needs engine.url_env naming the variable with the sc:// URL")
        url = os.environ.get(engine.url_env)
        if not url:
            raise ConfigError(f"engine kind 'connect': environment variable {engine.url_env} is not set")
        return url
    raise EngineNotAvailable(
        "engine kind 'databricks' gives no Spark session in this process: its Spark assets run as "
        "Databricks job runs (SparkEngine.run_step; docs/decisions/0037-databricks-pipes-engine.md); "
        "Databricks Connect works through kind 'connect' and a Spark Connect URL"
    )


def spark_session(engine: EngineConfig) -> SparkSession:
    return SparkSession.builder.remote(spark_remote_url(engine)).getOrCreate()


class SparkEngine(dg.ConfigurableResource):
    """Runs assets' Spark steps on the environment's engine; gives a SparkSession on the local ones
    (the server starts on first use)."""

    kind: str = "sail"
    url_env: str | None = None
    # kind databricks: how often the step's job run and its Pipes messages are polled (dagster-databricks: 5 s)
    poll_interval_seconds: float = 5.0

    @property
    def in_process(self) -> bool:
        """Whether steps run in this process (else in a Databricks task, which sees none of its files)."""
        return self.kind != "databricks"

    def run_step(self, context: dg.AssetExecutionContext, lake: LakeResource, step: str,
                 parameters: dict) -> Sequence[dg.MaterializeResult | dg.AssetCheckResult]:
        """The registered step `step` wherever the engine runs it: its assets' materializations (with
        their metadata) and check results, for the asset to yield."""
        if not self.in_process:
            # imported on use: a local run should not pay for dagster-databricks and the SDK (about 1 s)
            from lakegate.databricks_steps import submit_step

            invocation = StepInvocation(step, lake.catalog, str(lake.lake().root), parameters)
            return submit_step(context, lake.platform.env(), invocation, self.poll_interval_seconds)
        result = run_registered_step(step, self.session(), lake.lake(), lake.catalog, parameters)
        return step_results(result, context.log)

    def engine_config(self) -> EngineConfig:
        return EngineConfig(kind=self.kind, url_env=self.url_env)

    def remote_url(self) -> str:
        return spark_remote_url(self.engine_config())

    def session(self) -> SparkSession:
        return spark_session(self.engine_config())


def _key(asset: str | None) -> dg.AssetKey | None:
    return dg.AssetKey.from_user_string(asset) if asset else None


def step_results(result: StepResult, log) -> list[dg.MaterializeResult | dg.AssetCheckResult]:
    """The result as the asset yields it in process (the Databricks task reports the same through Pipes)."""
    for message in result.messages:
        log.info(message)
    for warning in result.warnings:
        log.warning(warning)
    materialized = [dg.MaterializeResult(asset_key=_key(result.asset), metadata=result.metadata)]
    materialized += [dg.MaterializeResult(asset_key=_key(asset), metadata=metadata)
                     for asset, metadata in result.other_assets.items()]
    return materialized + [dg.AssetCheckResult(asset_key=_key(c.asset or result.asset), check_name=c.name, passed=c.passed,
                                               severity=dg.AssetCheckSeverity(c.severity), metadata=c.metadata)
                           for c in result.checks]
