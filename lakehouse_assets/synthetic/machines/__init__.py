"""Synthetic landing data for the manufacturer's lakehouse (machine failure).

`generate_machines(out_dir, machines, days, seed, dirty, end)` simulates a fleet day by day
(simulation.py) and writes UTF-8 CSV files that follow the landing contract of
`lakehouse_assets.domains.machines.sources`:

    out_dir/machines/machines_00001.csv                      the fleet
    out_dir/sensor_readings/sensor_readings_00001.csv ...    one file a week, 4 readings a day per running machine
    out_dir/maintenance_events/maintenance_events_00001.csv  jobs entered by the end date
    out_dir/failure_events/failure_events_00001.csv          failures reported by the end date

The data covers the `days` days up to and including `end` (default 2026-10-31, as the insurer's);
events entered or reported after it have not arrived yet. Output is byte-identical for the same
arguments, and a re-run first removes files that look like this generator's output. Dirty mode
gives about `dirty` of each source's rows one defect each (kinds in defects.py) and adds the
file-level defects to sensor_readings: a truncated re-export of the last day, an unreadable
`.csv.gz`, an empty file and a header-only file.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from lakehouse_assets.domains.machines.sources import FAILURE_MODES, PLANTS, SOURCES
from lakehouse_assets.synthetic import dirty as _dirty
from lakehouse_assets.synthetic.landing_writer import Progress, SourceWriter, begin_run
from lakehouse_assets.synthetic.machines import defects
from lakehouse_assets.synthetic.machines.fleet import DAY, machine_columns, machine_ids, make_fleet, technician_ids
from lakehouse_assets.synthetic.machines.simulation import DayReadings, Events, simulate
from lakehouse_assets.synthetic.report import GenerationReport
from lakehouse_assets.synthetic.writer import fmt_id, fmt_ts, pick

__all__ = ["generate_machines", "END"]

END = dt.date(2026, 10, 31)
MAX_MACHINES, MAX_DAYS = 99_999, 3_650
FILE_ROWS = 10**9  # files are cut by week, never by size
_FLEET, _DYNAMICS, _READINGS, _EVENTS, _FILES = 11, 12, 13, 14, 15  # random streams

def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng([seed, *key])


def _text(values, fmt: str) -> pa.Array:
    return pa.array([fmt.format(v) for v in values], pa.string())


def _writer(out_dir: Path, source: str, dirty: float) -> SourceWriter:
    return SourceWriter(out_dir, source, SOURCES[source].columns, dirty, FILE_ROWS, defects.RULES[source])


def reading_columns(week: list[DayReadings], plant: np.ndarray) -> dict[str, pa.Array]:
    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(d, name) for d in week])

    machine = joined("machine")
    return {
        "machine_id": machine_ids(machine),
        "plant": pick(PLANTS, plant[machine]),
        "read_at": fmt_ts(joined("at")),
        "temperature_c": _text(joined("temperature"), "{:.1f}"),
        "vibration_mm_s": _text(joined("vibration"), "{:.2f}"),
        "pressure_bar": _text(joined("pressure"), "{:.2f}"),
        "run_hours": _text(joined("run_hours"), "{:.1f}"),
    }


def maintenance_columns(events: Events, plant: np.ndarray, end_second: int, rng: np.random.Generator) -> dict[str, pa.Array]:
    m = {k: np.asarray(v) for k, v in events.maintenance.items()}
    entered = m["at"] + rng.integers(3600, 36 * 3600, len(m["at"]))
    order = np.argsort(m["at"], kind="stable")
    keep = order[entered[order] <= end_second]  # jobs not yet entered by the end have not arrived
    return {
        "event_id": fmt_id("ME", np.arange(1, len(keep) + 1), 6),
        "machine_id": machine_ids(m["machine"][keep]),
        "kind": pa.array(m["kind"][keep].tolist(), pa.string()),
        "performed_at": fmt_ts(m["at"][keep]),
        "duration_hours": _text(m["hours"][keep], "{:.1f}"),
        "technician_id": technician_ids(plant[m["machine"][keep]], rng),
        "updated_at": fmt_ts(entered[keep]),
    }


def failure_columns(events: Events, end_second: int) -> dict[str, pa.Array]:
    f = {k: np.asarray(v, dtype=np.int64) for k, v in events.failures.items()}
    order = np.argsort(f["at"], kind="stable")
    keep = order[f["reported"][order] <= end_second]  # reported after the end: not yet known
    return {
        "failure_id": fmt_id("F", np.arange(1, len(keep) + 1), 6),
        "machine_id": machine_ids(f["machine"][keep]),
        "failed_at": fmt_ts(f["at"][keep]),
        "failure_mode": pick(FAILURE_MODES, f["mode"][keep]),
        "reported_at": fmt_ts(f["reported"][keep]),
        "updated_at": fmt_ts(f["reported"][keep]),
    }


def generate_machines(out_dir: Path, machines: int = 120, days: int = 240, seed: int = 7, dirty: float = 0.0,
                      end: dt.date = END, progress: Progress | None = None) -> GenerationReport:
    """Write synthetic machines, sensor readings, maintenance and failure events under `out_dir`.
    `progress(stage, done, total)` is called once a week of readings is written."""
    if not 1 <= machines <= MAX_MACHINES:
        raise ValueError(f"machines must be between 1 and {MAX_MACHINES}")
    if not 7 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 7 and {MAX_DAYS}")
    started = time.perf_counter()
    out_dir, report, say = begin_run(out_dir, SOURCES, seed, dirty, progress)
    last_day = (end - dt.date(1970, 1, 1)).days
    first_day, end_second = last_day - days + 1, (last_day + 1) * DAY - 1
    fleet = make_fleet(machines, first_day, _rng(seed, _FLEET, 0))

    src = _writer(out_dir, "machines", dirty)
    src.write(machine_columns(fleet, first_day, _rng(seed, _FLEET, 1)), _rng(seed, _FLEET, 2))
    report.files["machines"], report.defects["machines"] = src.close(), src.counts

    readings, events, week = _writer(out_dir, "sensor_readings", dirty), Events(), []
    for t, day in enumerate(simulate(fleet, first_day, days, _rng(seed, _DYNAMICS), events)):
        week.append(day)
        if len(week) == 7 or t == days - 1:
            readings.write(reading_columns(week, fleet.plant), _rng(seed, _READINGS, t // 7))
            readings.writer.roll()  # one file a week
            last_week, week = week, []
            say("sensor_readings", t + 1, days)
    report.files["sensor_readings"], report.defects["sensor_readings"] = readings.close(), readings.counts
    if dirty > 0:  # a re-export of the last day, cut off in its last line; and unreadable files
        resent = [d for d in last_week if len(d.machine)][-1:]
        lines = _dirty.clean_lines(reading_columns(resent, fleet.plant), SOURCES["sensor_readings"].columns)
        report.files["sensor_readings"] += _dirty.broken_files(
            out_dir, "sensor_readings", SOURCES["sensor_readings"].columns, lines, _rng(seed, _FILES))

    for source, cols in (("maintenance_events", maintenance_columns(events, fleet.plant, end_second, _rng(seed, _EVENTS, 0))),
                         ("failure_events", failure_columns(events, end_second))):
        src = _writer(out_dir, source, dirty)
        src.write(cols, _rng(seed, _EVENTS, 1 if source == "failure_events" else 2))
        report.files[source], report.defects[source] = src.close(), src.counts
        report.entities[source] = len(cols[SOURCES[source].columns[0]])
    report.entities = {"machines": machines, "days": days, **report.entities}
    report.seconds = round(time.perf_counter() - started, 3)
    report.finish()
    return report
