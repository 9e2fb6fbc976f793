"""Spark sessions for whichever engine the environment names.

Transform code only ever sees a `pyspark.sql.SparkSession`; it never learns which engine runs it.
`sail` starts one in-process Sail Spark Connect server per process on 127.0.0.1 (a free port) and
stops it at exit; `connect` uses any Spark Connect URL; `databricks` is refused until it is wired.
"""

from __future__ import annotations

import atexit
import os
import threading

import dagster as dg
from pyspark.sql import SparkSession

from lakegate.environment import ConfigError, EngineConfig

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
        "engine kind 'databricks' is not yet available in this build (designed in "
        "docs/decisions/0037-databricks-pipes-engine.md); use 'sail' or 'connect' "
        "(Databricks Connect works through a Spark Connect URL)"
    )


def spark_session(engine: EngineConfig) -> SparkSession:
    return SparkSession.builder.remote(spark_remote_url(engine)).getOrCreate()


class SparkEngine(dg.ConfigurableResource):
    """Gives assets a SparkSession on the environment's engine (the server starts on first use)."""

    kind: str = "sail"
    url_env: str | None = None

    def engine_config(self) -> EngineConfig:
        return EngineConfig(kind=self.kind, url_env=self.url_env)

    def remote_url(self) -> str:
        return spark_remote_url(self.engine_config())

    def session(self) -> SparkSession:
        return spark_session(self.engine_config())
