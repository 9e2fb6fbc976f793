"""The synthetic manufacturer's fleet: machines, their plants and types, and the hidden traits that
drive how fast each wears (simulation.py turns wear into readings, maintenance and failures).

Per model type (in MODEL_TYPES order) the sensor baselines differ, so a reading means something
only against its machine's type and plant: a pump at 45 °C may be wearing, a compressor at 60 °C is
normal. Plants differ in ambient temperature and in how often a due preventive job is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from lakehouse_assets.domains.machines.sources import MODEL_TYPES, PLANTS
from lakehouse_assets.synthetic.writer import concat, fmt_date, fmt_id, fmt_int, fmt_ts, pick

DAY = 86_400
PLANT_P = np.array([0.30, 0.25, 0.25, 0.20])
AMBIENT_C = np.array([18.0, 14.0, 27.0, 31.0])  # by plant
PM_SKIP = np.array([0.05, 0.02, 0.15, 0.10])  # by plant: share of due preventive jobs put off a week
LINES_PER_PLANT = 4
TECHNICIANS_PER_PLANT = 6
# By model type: cnc_mill, hydraulic_press, centrifugal_pump, air_compressor.
TYPE_P = np.array([0.30, 0.20, 0.30, 0.20])
BASE_TEMP_C = np.array([42.0, 55.0, 38.0, 62.0])
BASE_VIBRATION = np.array([2.2, 3.4, 1.8, 2.9])  # mm/s RMS
BASE_PRESSURE = np.array([6.0, 160.0, 4.5, 8.0])  # bar
WEAR_RATE = np.array([0.9, 1.1, 1.2, 1.0])
FAILURE_BIAS = np.array([0.0, 0.2, 0.3, 0.1])  # logit of failure, on top of wear
PM_INTERVAL_DAYS = np.array([40, 35, 30, 45])
RATED_KW = np.array([22.0, 75.0, 15.0, 55.0])
# P(failure mode | model type), modes in FAILURE_MODES order: bearing_wear, overheating, seal_leak, electrical.
MODE_P = np.array([[0.50, 0.20, 0.05, 0.25], [0.20, 0.20, 0.45, 0.15], [0.35, 0.10, 0.45, 0.10], [0.30, 0.45, 0.10, 0.15]])

assert len(AMBIENT_C) == len(PM_SKIP) == len(PLANT_P) == len(PLANTS)
assert len(BASE_TEMP_C) == len(TYPE_P) == len(MODE_P) == len(MODEL_TYPES)


@dataclass
class Fleet:
    plant: np.ndarray  # int, index into PLANTS
    line: np.ndarray  # int, 1..LINES_PER_PLANT
    model_type: np.ndarray  # int, index into MODEL_TYPES
    install_day: np.ndarray  # days since 1970
    age_years: np.ndarray  # at the first simulated day
    rated_kw: np.ndarray
    wear_rate: np.ndarray  # this machine's wear per day of full use
    pm_interval: np.ndarray  # days between preventive jobs
    run_hours: np.ndarray  # the counter at the first simulated day

    @property
    def n(self) -> int:
        return len(self.plant)


def make_fleet(n: int, first_day: int, rng: np.random.Generator) -> Fleet:
    plant = rng.choice(len(PLANTS), n, p=PLANT_P)
    model_type = rng.choice(len(MODEL_TYPES), n, p=TYPE_P)
    age_years = rng.uniform(0.5, 14.0, n)
    install_day = first_day - (age_years * 365.25).astype(np.int64)
    return Fleet(
        plant=plant,
        line=rng.integers(1, LINES_PER_PLANT + 1, n),
        model_type=model_type,
        install_day=install_day,
        age_years=age_years,
        rated_kw=np.round(RATED_KW[model_type] * rng.lognormal(0.0, 0.15, n), 1),
        wear_rate=WEAR_RATE[model_type] * (1 + 0.03 * age_years) * rng.lognormal(0.0, 0.25, n),
        pm_interval=PM_INTERVAL_DAYS[model_type] + rng.integers(-4, 5, n),
        run_hours=np.round(age_years * 8760 * rng.uniform(0.5, 0.8, n), 1),
    )


def machine_ids(idx: np.ndarray) -> pa.Array:
    return fmt_id("MC", np.asarray(idx) + 1, 5)


def technician_ids(plant: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """Employee numbers of the plant's technicians (personal data: silver keeps a token)."""
    return fmt_id("EMP", plant * 100 + rng.integers(1, TECHNICIANS_PER_PLANT + 1, len(plant)), 4)


def machine_columns(fleet: Fleet, first_day: int, rng: np.random.Generator) -> dict[str, pa.Array]:
    n = fleet.n
    registered = np.maximum(fleet.install_day, first_day - 30) * DAY + rng.integers(8 * 3600, 17 * 3600, n)
    return {
        "machine_id": machine_ids(np.arange(n)),
        "plant": pick(PLANTS, fleet.plant),
        "line": concat("L", fmt_int(fleet.line)),
        "model_type": pick(MODEL_TYPES, fleet.model_type),
        "install_date": fmt_date(fleet.install_day),
        "rated_power_kw": pa.array([f"{x:.1f}" for x in fleet.rated_kw], pa.string()),
        "updated_at": fmt_ts(registered),
    }
