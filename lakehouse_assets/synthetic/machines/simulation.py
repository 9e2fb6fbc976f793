"""A day-by-day simulation of the fleet: hidden wear, what the sensors read, maintenance, failures.

Each running machine wears a little every day (faster when used more, when older, by type). Wear
shows, with noise, in its readings: hotter, more vibration (and spikes), lower pressure. The chance
of a failure that day rises steeply with wear. A preventive job (every `pm_interval` days, put off a
week more often in some plants) takes most wear away; a failure stops the machine for 1 to 3 days
(no readings) until a corrective job leaves it as new. Failures are reported hours to two days
late. Everything is drawn from one Generator in a fixed order, so a seed gives one history.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from lakehouse_assets.synthetic.machines import fleet as F
from lakehouse_assets.synthetic.machines.fleet import DAY, Fleet

READ_HOURS = (0, 6, 12, 18)
WEAR_PER_DAY = 0.028
PM_KEEPS = 0.25  # share of wear left after a preventive job
FAILURE_LOGIT = (-9.0, 6.0, 0.04)  # intercept, per unit of wear, per year of age: steep, so wear predicts
MAX_REPORT_DELAY = 2 * DAY - 60  # within the labels' two-day reporting grace
INSPECTION_P = 1 / 21


@dataclass
class Events:
    """Maintenance and failure events as lists (few per machine and month)."""

    maintenance: dict[str, list] = field(default_factory=lambda: {k: [] for k in ("machine", "kind", "at", "hours")})
    failures: dict[str, list] = field(default_factory=lambda: {k: [] for k in ("machine", "at", "mode", "reported")})

    def job(self, machines: np.ndarray, kind: str, at: np.ndarray, hours: np.ndarray) -> None:
        m = self.maintenance
        m["machine"] += machines.tolist()
        m["kind"] += [kind] * len(machines)
        m["at"] += at.astype(np.int64).tolist()
        m["hours"] += np.round(hours, 1).tolist()


@dataclass
class DayReadings:
    day: int  # days since 1970
    machine: np.ndarray
    at: np.ndarray  # seconds since 1970
    temperature: np.ndarray
    vibration: np.ndarray
    pressure: np.ndarray
    run_hours: np.ndarray


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def simulate(fleet: Fleet, first_day: int, days: int, rng: np.random.Generator, events: Events) -> Iterator[DayReadings]:
    """Yield each day's readings; maintenance and failures are appended to `events`."""
    n = fleet.n
    wear = rng.uniform(0.0, 0.6, n)
    last_pm = -rng.integers(0, fleet.pm_interval)  # days before the first day
    # The last preventive job before the data starts, so time since maintenance is known from day one.
    events.job(np.arange(n), "preventive", (first_day + last_pm) * DAY + rng.integers(8, 16, n) * 3600.0,
               rng.uniform(2, 6, n))
    up_from = np.zeros(n, dtype=np.int64)
    run_hours = fleet.run_hours.copy()
    for t in range(days):
        day = first_day + t
        up = up_from <= t
        use = rng.uniform(0.55, 1.0, n)
        wear = np.where(up, wear + WEAR_PER_DAY * fleet.wear_rate * use, wear)
        failed_at = _failures(fleet, day, t, up, wear, rng, events, up_from)
        # The day's readings see today's wear, before any job done today, and stop at a failure.
        yield _readings(fleet, day, up, wear, use, run_hours, rng, failed_at)
        wear = np.where(up_from > t, 0.05, wear)  # repaired as new after a failure
        due = up & (t - last_pm >= fleet.pm_interval)
        put_off = due & (rng.random(n) < F.PM_SKIP[fleet.plant])
        done = due & ~put_off
        last_pm = np.where(done, t, np.where(put_off, last_pm + 7, last_pm))
        wear = np.where(done, wear * PM_KEEPS, wear)
        events.job(np.flatnonzero(done), "preventive", day * DAY + rng.integers(8, 16, done.sum()) * 3600.0,
                   rng.uniform(2, 6, done.sum()))
        looked = up & (rng.random(n) < INSPECTION_P)
        events.job(np.flatnonzero(looked), "inspection", day * DAY + rng.integers(7, 18, looked.sum()) * 3600.0,
                   rng.uniform(0.5, 1.5, looked.sum()))


def _failures(fleet: Fleet, day: int, t: int, up: np.ndarray, wear: np.ndarray, rng: np.random.Generator,
              events: Events, up_from: np.ndarray) -> np.ndarray:
    """Who fails today, when (seconds since 1970, +inf for none); the machine is down 1 to 3 days."""
    a, b, c = FAILURE_LOGIT
    p = _sigmoid(a + b * wear + c * fleet.age_years + F.FAILURE_BIAS[fleet.model_type])
    failed = up & (rng.random(fleet.n) < p)
    at = np.full(fleet.n, np.inf)
    who = np.flatnonzero(failed)
    at[who] = day * DAY + rng.uniform(0, DAY, len(who))
    down = rng.integers(1, 4, len(who))
    up_from[who] = t + 1 + down
    quick = rng.random(len(who)) < 0.65
    delay = np.where(quick, np.minimum(rng.exponential(3 * 3600, len(who)), MAX_REPORT_DELAY),
                     rng.uniform(DAY / 2, MAX_REPORT_DELAY, len(who)))
    modes = [int(rng.choice(F.MODE_P.shape[1], p=F.MODE_P[k])) for k in fleet.model_type[who]]
    f = events.failures
    f["machine"] += who.tolist()
    f["at"] += at[who].astype(np.int64).tolist()
    f["mode"] += modes
    f["reported"] += (at[who] + delay).astype(np.int64).tolist()
    repaired = at[who] + down * DAY * rng.uniform(0.6, 1.0, len(who))
    events.job(who, "corrective", repaired, rng.uniform(3, 12, len(who)))
    return at


def _readings(fleet: Fleet, day: int, up: np.ndarray, wear: np.ndarray, use: np.ndarray, run_hours: np.ndarray,
              rng: np.random.Generator, failed_at: np.ndarray) -> DayReadings:
    """Four readings a day per running machine, until it fails."""
    n, k = fleet.n, len(READ_HOURS)
    at = day * DAY + np.array(READ_HOURS)[None, :] * 3600 + rng.integers(0, 240, (n, k))
    kind, place = fleet.model_type[:, None], fleet.plant[:, None]
    w = wear[:, None]
    cycle = 1.5 * np.sin(2 * np.pi * np.arange(k) / k)[None, :]
    temperature = F.AMBIENT_C[place] + F.BASE_TEMP_C[kind] + 14 * w + cycle + rng.normal(0, 1.8, (n, k))
    spikes = (rng.random((n, k)) < 0.15 * w) * rng.exponential(1.2, (n, k))
    vibration = np.maximum(F.BASE_VIBRATION[kind] * (1 + 0.8 * w) + rng.normal(0, 0.3, (n, k)) + spikes, 0.05)
    pressure = F.BASE_PRESSURE[kind] * (1 - 0.07 * w + rng.normal(0, 0.025, (n, k)))
    hours = run_hours[:, None] + np.cumsum(np.repeat(6 * use[:, None], k, axis=1), axis=1)
    run_hours[up] = hours[up, -1]
    keep = up[:, None] & (at < failed_at[:, None])
    machine = np.repeat(np.arange(n)[:, None], k, axis=1)
    return DayReadings(day, machine[keep], at[keep], np.round(temperature[keep], 1), np.round(vibration[keep], 2),
                       np.round(pressure[keep], 2), np.round(hours[keep], 1))
