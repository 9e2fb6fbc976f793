"""Spark steps by name: the one function an asset's body runs, wherever the engine runs it
(docs/decisions/0037-databricks-pipes-engine.md).

A step is a plain function `(spark, lake, catalog, parameters) -> StepResult`: in process on the
local engines, inside a Databricks task (`lakegate-step`) on kind `databricks`. Each asset package
registers its steps (`lakehouse_assets/steps.py`, `ml_assets/steps.py`) when it is imported; the
core knows them only by name, so it imports no asset package. Metadata values are plain JSON
values (str, int, float, bool, dict, list), which Dagster types the same way whether they come from
the process itself or through Pipes. It imports no Dagster: a Databricks task loads it (lakegate-step)
and reports through dagster-pipes; the in-process run turns a result into Dagster's in lakegate/engine.py.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from pyspark.sql import SparkSession

from lakegate.lake import Lake


@dataclass(frozen=True)
class StepCheck:
    """An asset check's result, computed by the step (a gate: ERROR; advisory: WARN)."""
    name: str
    passed: bool
    severity: Literal["ERROR", "WARN"] = "ERROR"
    metadata: dict[str, Any] = field(default_factory=dict)
    asset: str | None = None  # the checked asset's key ("silver/claims"); None: the result's asset


@dataclass(frozen=True)
class StepResult:
    metadata: dict[str, Any]
    checks: tuple[StepCheck, ...] = ()
    # for the run's log (the step has no Dagster context to log with)
    messages: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    # A multi-asset step names the asset `metadata` is of, and gives its other assets' metadata by key.
    asset: str | None = None
    other_assets: dict[str, dict[str, Any]] = field(default_factory=dict)


Step = Callable[[SparkSession, Lake, str, dict], StepResult]
_STEPS: dict[str, Step] = {}


class UnknownStep(KeyError):
    def __str__(self) -> str:
        return self.args[0]


def step(name: str) -> Callable[[Step], Step]:
    """Registers the decorated function as the step `name` (once: a second one is a mistake)."""
    def register(function: Step) -> Step:
        if name in _STEPS and _STEPS[name] is not function:
            raise ValueError(f"step {name!r} is registered twice ({_STEPS[name].__module__}, {function.__module__})")
        _STEPS[name] = function
        return function
    return register


def step_names() -> list[str]:
    return sorted(_STEPS)


def registered_step(name: str) -> Step:
    if name not in _STEPS:
        known = ", ".join(step_names()) or "none (no asset package imported)"
        raise UnknownStep(f"no step named {name!r}; registered: {known}")
    return _STEPS[name]


def run_registered_step(name: str, spark: SparkSession, lake: Lake, catalog: str, parameters: dict) -> StepResult:
    """Runs the step and adds `seconds` (its duration where it ran) to its metadata."""
    function = registered_step(name)
    started = time.perf_counter()
    result = function(spark, lake, catalog, parameters)
    seconds = round(time.perf_counter() - started, 3)
    return dataclasses.replace(result, metadata={**result.metadata, "seconds": float(seconds)})


@dataclass(frozen=True)
class StepInvocation:
    """What a Databricks task is told to run: the `lakegate-step` entry point's two parameters."""
    step: str
    catalog: str
    lake_root: str
    parameters: dict

    def arguments(self) -> list[str]:
        return [self.step, json.dumps({"catalog": self.catalog, "lake_root": self.lake_root,
                                       "parameters": self.parameters}, sort_keys=True)]

    @classmethod
    def from_arguments(cls, arguments: list[str]) -> "StepInvocation":
        if len(arguments) != 2:
            raise ValueError(f"lakegate-step takes a step name and its JSON arguments, got {len(arguments)} arguments")
        values = json.loads(arguments[1])
        return cls(arguments[0], values["catalog"], values["lake_root"], values["parameters"])
