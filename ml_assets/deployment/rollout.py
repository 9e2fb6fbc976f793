"""Canary rollout: move an endpoint's traffic to a new served entity step by step, or roll back.

The new entity is added beside the incumbent (the entity holding 100 %), then takes each of the
policy's traffic shares in turn. At every step below 100 the rollout waits for `min_requests` on
both sides (or `max_wait_seconds`), judges health (health.py) and either moves on or rolls back at
once. Not enough traffic by the deadline also rolls back: a canary nobody could judge is not
promoted (fail closed). So does any error or interruption while a step is under way.

After 100 % the incumbent stays served at 0 %, so `lakegate endpoint rollback` is one command
that needs no model loading. Entities older than the incumbent are dropped when the canary is
added: every worker loads every served entity, and one step back is what rollback offers anyway.

If someone else changes the endpoint during the rollout (on-call rolled back by hand, say), the
rollout stops without touching it again: a second rollback would go one version further back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import pandas as pd
import pyarrow as pa

from gates.deployment_policy import CanaryStep, DeploymentPolicy
from lakegate.serving.endpoints import (
    EndpointConfig,
    EndpointError,
    EndpointManager,
    EndpointNotFound,
    Route,
    ServedEntity,
    TrafficConfig,
)
from gates.canary_health import CanaryHealth, canary_health, labels_for

# observe(canary, incumbent, since): inference-log rows of both entities from `since` (clock seconds) on.
Observe = Callable[[str, str, float], pa.Table | pd.DataFrame | None]


class Clock(Protocol):
    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


@dataclass(frozen=True)
class StepResult:
    traffic: int  # the canary's share
    seconds: float  # from setting the share to the judgement
    health: CanaryHealth | None  # None at 100 %: nothing left to compare against


@dataclass(frozen=True)
class RolloutResult:
    endpoint: str
    canary: str
    incumbent: str | None  # None on a first deployment
    succeeded: bool
    rolled_back: bool
    first_deployment: bool
    reason: str
    failed_step: int | None  # the canary share at which it failed
    problems: tuple[str, ...]
    steps: tuple[StepResult, ...]
    final_traffic: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """Plain values for asset metadata and the ledger: each step's verdict with its figures."""
        return {
            "endpoint": self.endpoint, "canary": self.canary, "incumbent": self.incumbent,
            "succeeded": self.succeeded, "rolled_back": self.rolled_back, "first_deployment": self.first_deployment,
            "reason": self.reason, "failed_step": self.failed_step, "problems": list(self.problems),
            "final_traffic": self.final_traffic,
            "steps": [{"traffic": s.traffic, "seconds": round(s.seconds, 3),
                       "verdict": s.health.as_verdict().to_dict() if s.health else None} for s in self.steps],
        }


def run_canary(manager: EndpointManager, endpoint: str, new_entity: ServedEntity, policy: DeploymentPolicy,
               observe: Observe, *, actor: str, reason: str, clock: Clock = time,
               on_step: Callable[[StepResult], None] | None = None,
               outcomes: Callable[[], pd.DataFrame | None] | None = None) -> RolloutResult:
    """Roll `new_entity` out on `endpoint` under `policy`; see the module docstring.

    outcomes: reads the label table (claim outcomes) when a step has enough requests; without it
    precision and recall are reported as not yet judged. on_step: called after every step.
    Raises EndpointError, before changing anything, when the endpoint has no entity at 100 %.
    """
    name = new_entity.name
    try:
        current = manager.get(endpoint)
    except EndpointNotFound:
        config = _config((new_entity,), {name: 100})
        manager.create(endpoint, config, actor=actor, reason=f"{reason}: first deployment, nothing to compare against")
        return RolloutResult(endpoint=endpoint, canary=name, incumbent=None, succeeded=True, rolled_back=False,
                             first_deployment=True, failed_step=None, problems=(), steps=(), final_traffic={name: 100},
                             reason=f"created {endpoint} with {name} at 100 % (first deployment: nothing to compare against)")
    incumbent = _incumbent(current.config, new_entity)
    if incumbent is None:
        return RolloutResult(endpoint=endpoint, canary=name, incumbent=current.config.full_share_entity(), succeeded=True,
                             rolled_back=False, first_deployment=False, failed_step=None, problems=(), steps=(),
                             final_traffic=current.config.traffic_config.shares(),
                             reason=f"{endpoint} already serves {new_entity.entity_name}/{new_entity.entity_version} at 100 %")

    expected = manager.update_config(endpoint, _config((current.config.entity(incumbent), new_entity), {incumbent: 100}),
                                     actor=actor, reason=f"{reason}: add canary {name} beside {incumbent} at 0 %").config
    steps: list[StepResult] = []

    def stop(step: CanaryStep, why: str, problems: tuple[str, ...] = ()) -> RolloutResult:
        rolled_back = _unchanged(manager, endpoint, expected)
        if rolled_back:
            manager.rollback(endpoint, actor=actor, reason=f"{reason}: canary {name} failed at {step.traffic} %: {why}")
        else:
            why += f"; {endpoint} was changed by someone else meanwhile, so the rollout left it as it is"
        return RolloutResult(endpoint=endpoint, canary=name, incumbent=incumbent, succeeded=False, rolled_back=rolled_back,
                             first_deployment=False, reason=why, failed_step=step.traffic, problems=problems,
                             steps=tuple(steps), final_traffic=_shares(manager, endpoint))

    for step in policy.canary_steps():
        started = clock.time()
        try:
            if not _unchanged(manager, endpoint, expected):
                return stop(step, "stopped before this step")
            expected = manager.set_traffic(endpoint, {name: step.traffic, incumbent: 100 - step.traffic}, actor=actor,
                                           reason=f"{reason}: canary {name} step {step.traffic} %").config
            health = _watch(step, name, incumbent, observe, policy.poll_seconds, clock, outcomes) if step.judged else None
            steps.append(StepResult(step.traffic, clock.time() - started, health))
            if on_step is not None:
                on_step(steps[-1])
        except BaseException as exc:  # fail closed: an error or an interrupt mid-step leaves no canary behind
            result = stop(step, f"the rollout stopped on an error: {type(exc).__name__}: {exc}")
            if not isinstance(exc, Exception):
                raise
            return result
        if health is not None and not health.healthy:
            return stop(step, health.reason, health.problems or (health.reason,))
    return RolloutResult(endpoint=endpoint, canary=name, incumbent=incumbent, succeeded=True, rolled_back=False,
                         first_deployment=False, failed_step=None, problems=(), steps=tuple(steps),
                         final_traffic=expected.traffic_config.shares(),
                         reason=f"{name} takes 100 % of {endpoint}; {incumbent} stays served at 0 % for rollback")


# The soonest next read of the log: the serving drain lands rows about once a second.
MIN_LOOK_SECONDS = 0.5


def _watch(step: CanaryStep, canary: str, incumbent: str, observe: Observe, poll_seconds: float, clock: Clock,
           outcomes: Callable[[], pd.DataFrame | None] | None) -> CanaryHealth:
    """Read the inference log until both sides have min_requests or max_wait_seconds pass, then judge."""
    since = clock.time()
    deadline = since + step.limits.max_wait_seconds
    previous: Look | None = None
    while True:
        rows = observe(canary, incumbent, since)
        health = canary_health(rows, canary, incumbent, step)
        if health.enough_data:
            if outcomes is None:
                return health
            return canary_health(rows, canary, incumbent, step, labels_for(rows, outcomes()))
        now = clock.time()
        if now >= deadline:
            return health
        look = Look(now - since, health.canary.judged_requests, health.incumbent.judged_requests)
        clock.sleep(min(next_look(look, previous, health.limits.min_requests, poll_seconds), deadline - now))
        previous = look


@dataclass(frozen=True)
class Look:
    """One read of the log during a step: when (seconds into the step) and what each side had."""

    elapsed: float
    canary: int
    incumbent: int


def next_look(look: Look, previous: Look | None, wanted: int, poll_seconds: float) -> float:
    """Seconds until the log is read again: when both sides should reach `wanted` requests at the
    rate their counts grew since the previous read (a rate between two reads is not skewed by the
    drain's delay), never sooner than MIN_LOOK_SECONDS nor later than the policy's poll_seconds.
    Until a side's rate is known the wait doubles from MIN_LOOK_SECONDS. So a step ends about when
    its data is in rather than at the next poll, and slow traffic is read no more often than the
    policy says."""
    waits = []
    for side in ("canary", "incumbent"):
        count = getattr(look, side)
        if count >= wanted:
            continue
        grown = count - getattr(previous, side) if previous is not None else 0
        if grown > 0:
            waits.append((wanted - count) * (look.elapsed - previous.elapsed) / grown)
        else:
            waits.append(look.elapsed)
    return min(max(max(waits, default=0.0), MIN_LOOK_SECONDS), poll_seconds)


def _incumbent(config: EndpointConfig, new_entity: ServedEntity) -> str | None:
    """The served entity holding 100 %, or None when it already is the new model version."""
    full = config.full_share_entity()
    if full is None:
        raise EndpointError(f"no served entity takes all traffic ({config.traffic_config.shares()}): a rollout is under "
                            "way or was left half done; roll the endpoint back or set its traffic first")
    held = config.entity(full)
    if (held.entity_name, held.entity_version) == (new_entity.entity_name, new_entity.entity_version):
        return None
    taken = {e.name: e for e in config.served_entities}.get(new_entity.name)
    if taken is not None and taken != new_entity:
        raise EndpointError(f"served entity name {new_entity.name!r} already names "
                            f"{taken.entity_name}/{taken.entity_version} on this endpoint; choose another name")
    return full


def _unchanged(manager: EndpointManager, endpoint: str, expected: EndpointConfig) -> bool:
    try:
        return manager.get(endpoint).config == expected
    except EndpointNotFound:
        return False


def _shares(manager: EndpointManager, endpoint: str) -> dict[str, int]:
    try:
        return manager.get(endpoint).config.traffic_config.shares()
    except EndpointNotFound:
        return {}


def _config(entities: tuple[ServedEntity, ...], shares: dict[str, int]) -> EndpointConfig:
    routes = tuple(Route(served_entity_name=e.name, traffic_percentage=shares.get(e.name, 0)) for e in entities)
    return EndpointConfig(served_entities=entities, traffic_config=TrafficConfig(routes=routes))
