"""`lakegate serve`: the embedded serving runtime.

A supervisor process runs uvicorn with N worker processes on one listening socket (127.0.0.1 by
default). Each worker loads every configured model version before it accepts a request and then
follows the control file. The supervisor drains the workers' inference-log spool into Delta every
second; on SIGTERM uvicorn stops the workers (each finishes its requests and seals its last spool
file), then the supervisor drains once more, so every answered request reaches the table.

Crashes need no hand cleanup (process_hygiene.py): a worker exits when its supervisor dies, a
starting server stops workers orphaned by a dead one and waits for the port, drops the metric
files of dead servers, and its first drain recovers the spool files killed workers left open.

The serving core knows no asset package: the CLI hands it the app factory that joins it with the
use cases' request enrichers (`ServeOptions.app_factory`, an import path uvicorn calls in each worker).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NoReturn

# Two OpenMP threads per worker make sklearn 10-18x slower on small machines (measured); one worker
# per core instead. Set before numpy/sklearn are imported in a worker.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from lakegate.environment import ConfigError, current_environment, lakegate_home  # noqa: E402
from lakegate.serving.process_hygiene import (  # noqa: E402
    SUPERVISOR_ENV,
    exit_with_supervisor,
    forget_dead_workers,
    remove_dead_servers_metrics,
    stop_orphaned_workers,
    wait_for_port,
)

_logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT_ENV = "LAKEGATE_SERVE_DEFAULT_ENDPOINT"
DRAIN_SECONDS = 1.0
# The drain's CPU priority: a nice value for its thread and the threads delta-rs starts from it. At 19
# its once-a-second Delta append no longer takes cores from the workers (the 8-connection p99 falls to
# ~5 ms here), but a saturated server's inference table then lags by tens of seconds, and canary
# windows read that table: so 19 is the latency-first choice, 0 the default (docs/decisions/0045).
DRAIN_NICENESS_ENV = "LAKEGATE_DRAIN_NICENESS"


def drain_niceness() -> int:
    raw = os.environ.get(DRAIN_NICENESS_ENV, "0").strip()
    if not raw.isdigit() or int(raw) > 19:
        raise ConfigError(f"{DRAIN_NICENESS_ENV} must be a whole number from 0 (normal priority) to 19 (lowest), "
                         f"not {raw!r}")
    return int(raw)


def spool_dir(home: Path) -> Path:
    return home / "serving" / "inference_spool"


def prometheus_root(home: Path) -> Path:
    return home / "serving" / "prometheus"


def build_app(env, home: Path, registry, enricher_factory, guard):
    """The ASGI app of one worker process. The composition layer (lakegate/cli/serving_app.py) hands
    in what the core does not know: how a use case's requests get their features and rules
    (`enricher_factory(use_case)` gives a request enricher or None), and the deployment gate the
    admin API's changes must pass."""
    from mlflow.version import VERSION

    from lakegate.serving.admin import AdminApi
    from lakegate.serving.app import RequestLimits, ServingApp
    from lakegate.serving.auth import resolve_tokens
    from lakegate.serving.control import LocalEndpoints
    from lakegate.serving.inference_log import InferenceLogger
    from lakegate.serving.metrics import ServingMetrics
    from lakegate.serving.models import load_served_model
    from lakegate.serving.routing import RoutingTable

    exit_with_supervisor(int(os.environ.get(SUPERVISOR_ENV, os.getppid())))
    metrics = ServingMetrics()
    routing = RoutingTable(home, lambda entity: load_served_model(entity, registry, enricher_factory),
                           on_apply=lambda table: metrics.configured(table.generation, table.configured_shares()))
    routing.sync_load()
    inference_log = InferenceLogs(spool_dir(home), InferenceLogger)

    def shutdown() -> None:
        inference_log.close()  # the last spool file, before the supervisor's final drain
        routing.remove_status()

    endpoints = LocalEndpoints(home, registry=registry, guard=guard)
    limits = RequestLimits(env.serving.max_body_bytes, env.serving.max_rows, env.serving.offload_bytes)
    return ServingApp(routing, resolve_tokens(env.serving, home), metrics, inference_log,
                      AdminApi(home, endpoints, env.serving.admin_principal),
                      default_endpoint=os.environ.get(DEFAULT_ENDPOINT_ENV) or _only_endpoint(routing),
                      mlflow_version=VERSION, limits=limits, on_shutdown=shutdown)


class InferenceLogs:
    """One spooling logger per endpoint, made on the endpoint's first request."""

    def __init__(self, directory: Path, make):
        self.directory, self.make, self.loggers = directory, make, {}

    def log(self, record) -> None:
        logger = self.loggers.get(record.endpoint)
        if logger is None:
            logger = self.loggers[record.endpoint] = self.make(self.directory, record.endpoint)
        logger.log(record)

    def close(self) -> None:
        for logger in list(self.loggers.values()):
            logger.close()


def _only_endpoint(routing) -> str | None:
    names = list(routing.store.read()[1])
    return names[0] if len(names) == 1 else None


@dataclass
class ServeOptions:
    host: str
    port: int
    workers: int
    app_factory: str  # "module:function", called with no arguments in each worker (the CLI's composition)
    default_endpoint: str | None = None
    log_level: str = "warning"
    port_wait_seconds: float = 30.0  # for workers of a crashed server to let go of the port


SUPERVISOR_MODULE = "lakegate.serving"  # lakegate/serving/__main__.py


def become_supervisor(options: ServeOptions) -> NoReturn:
    """Replace this process (same pid, same session) with `python -m lakegate.serving`, which runs
    `serve(options)`. Why: uvicorn spawns its workers, and a spawned process first imports its
    parent's main module unless that is a package's `__main__`. Under `lakegate serve` that is the
    whole command line, Dagster included: about 1.7 s of every worker's start, twice on two cores."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.execv(sys.executable, [sys.executable, "-m", SUPERVISOR_MODULE, json.dumps(asdict(options))])


def serve(options: ServeOptions) -> dict[str, int]:
    """Run until SIGINT/SIGTERM; returns the inference-log rows drained per endpoint at the end."""
    import uvicorn

    from lakegate.lake import Lake
    from lakegate.serving.auth import resolve_tokens
    from lakegate.serving.inference_drain import drain_spool
    from lakegate.serving.metrics import prepare_multiprocess_dir

    env = current_environment()
    home = lakegate_home()
    resolve_tokens(env.serving, home)  # fail before starting workers, with the message for the user
    niceness = drain_niceness()
    stop_orphaned_workers(home)
    remove_dead_servers_metrics(prometheus_root(home))
    wait_for_port(options.host, options.port, options.port_wait_seconds)
    metrics_dir = prometheus_root(home) / str(os.getpid())
    prepare_multiprocess_dir(metrics_dir)  # this server's workers only
    os.environ[SUPERVISOR_ENV] = str(os.getpid())
    if options.default_endpoint:
        os.environ[DEFAULT_ENDPOINT_ENV] = options.default_endpoint
    lake = Lake(home / "lake")
    stop = threading.Event()
    drainer = threading.Thread(target=_drain_until, args=(stop, lake, home, env.catalog, niceness), daemon=True,
                               name="inference-log-drain")
    drainer.start()
    try:
        uvicorn.run(options.app_factory, factory=True, host=options.host, port=options.port,
                    workers=options.workers, loop="uvloop", http="httptools", access_log=False,
                    log_level=options.log_level, timeout_graceful_shutdown=10)
    finally:
        stop.set()
        drainer.join()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    return drain_spool(lake, spool_dir(home), env.catalog)


def _lower_this_threads_priority(niceness: int) -> None:
    """On Linux a nice value is a thread's own (and the threads it starts inherit it)."""
    if sys.platform.startswith("linux") and niceness > 0:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        except OSError:  # a container that forbids it: drain at the normal priority
            _logger.warning("could not lower the inference-log drain's priority", exc_info=True)


def _drain_until(stop: threading.Event, lake, home: Path, catalog: str, niceness: int) -> None:
    """Drain at once (recovering what a crashed server left), then every DRAIN_SECONDS."""
    from lakegate.serving.inference_drain import SpoolDrain

    _lower_this_threads_priority(niceness)
    drain = SpoolDrain(lake, spool_dir(home), catalog)  # keeps each inference table open between drains
    while True:
        try:
            drain.drain()
            forget_dead_workers(home, os.getpid())
        except Exception:  # noqa: BLE001 - the spool keeps the rows; the next drain retries
            _logger.exception("inference-log drain failed; will retry")
        if stop.wait(DRAIN_SECONDS):
            return
