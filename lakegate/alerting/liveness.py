"""Liveness of sensors and schedules: stale when the last good tick is older than a few intervals.

Read from the instance's instigator states and tick history, so it sees every running sensor and
schedule of the code location, this one's own sibling sensor included (each alert sensor watches the
other). A good tick is SUCCESS or SKIPPED: a sensor that skips is alive; one that fails or no longer
runs is not. The interval is the sensor's minimum interval (Dagster's 30 s default when unset) or
the gap between a schedule's next two cron times.
"""

from __future__ import annotations

from typing import Iterable

import dagster as dg
from dagster._core.scheduler.instigation import InstigatorState, InstigatorType, TickStatus
from dagster._utils.schedules import cron_string_iterator

from lakegate.alerting.transitions import Observation

GOOD_TICKS = [TickStatus.SUCCESS, TickStatus.SKIPPED]
DEFAULT_SENSOR_INTERVAL_SECONDS = 30


def liveness_observations(instance: dg.DagsterInstance, now: float, tolerance: float,
                          names: Iterable[str] | None = None) -> list[Observation]:
    """One observation per running sensor and schedule (only those in `names`, when given)."""
    wanted = set(names) if names is not None else None
    found: list[Observation] = []
    if instance.schedule_storage is None:
        return found  # an ephemeral instance keeps no ticks
    for state in sorted(instance.all_instigator_state(), key=lambda s: (s.instigator_type.value, s.name)):
        if not state.is_running or (wanted is not None and state.name not in wanted):
            continue
        last = _last_good_tick(instance, state)
        interval = _interval_seconds(state, last)
        if last is None or interval is None:
            continue  # never ticked: nothing to compare with yet
        found.append(_observation(state, last, interval, now, tolerance))
    return found


def _observation(state: InstigatorState, last: float, interval: float, now: float, tolerance: float) -> Observation:
    kind = "sensor" if state.instigator_type == InstigatorType.SENSOR else "schedule"
    key = f"{kind}:{state.name}"
    age = now - last
    alive = age <= tolerance * interval
    text = (f"{kind} {state.name} ticks (last good tick {age:.0f} s ago, interval {interval:.0f} s)" if alive else
            f"{kind} {state.name} stopped ticking: last good tick {age:.0f} s ago, more than "
            f"{tolerance:g} x its interval of {interval:.0f} s")
    # The stale episode is named by the tick it stopped after, so one stop is one alert.
    return Observation(key=key, passed=alive, severity="ERROR", at=now, ref=f"last good tick {last:.3f}", text=text)


def _last_good_tick(instance: dg.DagsterInstance, state: InstigatorState) -> float | None:
    ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1, statuses=GOOD_TICKS)
    return ticks[0].timestamp if ticks else None


def _interval_seconds(state: InstigatorState, last: float | None) -> float | None:
    data = state.instigator_data
    if state.instigator_type == InstigatorType.SENSOR:
        interval = getattr(data, "min_interval", None)
        return float(interval or DEFAULT_SENSOR_INTERVAL_SECONDS)
    cron = getattr(data, "cron_schedule", None)
    if not cron or last is None:
        return None
    crons = [cron] if isinstance(cron, str) else list(cron)
    gaps = []
    for expression in crons:
        times = cron_string_iterator(last, expression, None)
        first, second = next(times), next(times)
        gaps.append((second - first).total_seconds())
    return max(gaps)
