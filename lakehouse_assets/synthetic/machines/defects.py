"""Dirty mode for the manufacturer's sources: the row defects each source gets (one per picked
row; kinds spread evenly, as for the insurer), and how each looks in the CSV.

machines           missing_key (machine_id ""), duplicate_row, late_correction (line moved, updated_at
                   1-60 days later, in a later file), unknown_code (plant "atlantis"),
                   wrong_type_date (install_date "not-a-date"), extra_field, missing_fields
sensor_readings    missing_key, duplicate_row, wrong_type_number (temperature "err", "12..5" or "--"),
                   negative_reading (vibration "-" + value), sensor_dropout (pressure ""),
                   impossible_date (read_at on YYYY-02-30), future_date (read_at in 2031),
                   unknown_machine (machine_id "MC9" + 4 digits), extra_field, missing_fields
maintenance_events missing_key (event_id ""), duplicate_row, late_correction (duration changed),
                   unknown_code (kind "overhaul"), wrong_type_date (performed_at "not-a-date"),
                   bad_encoding (kind "révision" as latin-1 bytes: invalid UTF-8), extra_field,
                   missing_fields
failure_events     missing_key (failure_id ""), duplicate_row, late_correction (failure_mode
                   corrected), wrong_type_date (failed_at "not-a-date"), reported_before_failure
                   (reported_at 1-12 hours before failed_at), unknown_code (failure_mode "gremlins"),
                   extra_field, missing_fields
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from lakehouse_assets.domains.machines.sources import FAILURE_MODES
from lakehouse_assets.synthetic.dirty import EXTRA_FIELD, NOT_A_DATE, DefectRules, Getter, later_timestamps
from lakehouse_assets.synthetic.writer import latin1_marked

__all__ = ["RULES", "EXTRA_FIELD", "NOT_A_DATE"]

WRONG_NUMBERS = ("err", "12..5", "--")
UNKNOWN_PLANT, UNKNOWN_KIND, UNKNOWN_MODE = "atlantis", "overhaul", "gremlins"
LATIN1_KIND = "révision"
FUTURE_YEAR = 2031
_TS = "%Y-%m-%d %H:%M:%S"
KEY = {"machines": "machine_id", "sensor_readings": "machine_id", "maintenance_events": "event_id",
       "failure_events": "failure_id"}
KINDS = {
    "machines": ("missing_key", "duplicate_row", "late_correction", "unknown_code", "wrong_type_date",
                 "extra_field", "missing_fields"),
    "sensor_readings": ("missing_key", "duplicate_row", "wrong_type_number", "negative_reading", "sensor_dropout",
                        "impossible_date", "future_date", "unknown_machine", "extra_field", "missing_fields"),
    "maintenance_events": ("missing_key", "duplicate_row", "late_correction", "unknown_code", "wrong_type_date",
                           "bad_encoding", "extra_field", "missing_fields"),
    "failure_events": ("missing_key", "duplicate_row", "late_correction", "wrong_type_date",
                       "reported_before_failure", "unknown_code", "extra_field", "missing_fields"),
}


def _edit(source: str, kind: str, get: Getter, k: int, rng: np.random.Generator) -> dict[str, list[str]]:
    """New values, by column, for k rows of `source` getting defect `kind` in place."""
    if kind == "missing_key":
        return {KEY[source]: [""] * k}
    if kind == "unknown_code":
        column, value = {"machines": ("plant", UNKNOWN_PLANT), "maintenance_events": ("kind", UNKNOWN_KIND),
                         "failure_events": ("failure_mode", UNKNOWN_MODE)}[source]
        return {column: [value] * k}
    if kind == "wrong_type_date":
        column = {"machines": "install_date", "maintenance_events": "performed_at", "failure_events": "failed_at"}[source]
        return {column: [NOT_A_DATE] * k}
    if kind == "bad_encoding":
        return {"kind": [latin1_marked(LATIN1_KIND)] * k}
    if kind == "wrong_type_number":
        return {"temperature_c": [WRONG_NUMBERS[i] for i in rng.integers(0, len(WRONG_NUMBERS), k)]}
    if kind == "negative_reading":
        return {"vibration_mm_s": ["-" + v for v in get("vibration_mm_s")]}
    if kind == "sensor_dropout":
        return {"pressure_bar": [""] * k}
    if kind == "impossible_date":
        return {"read_at": [f"{v[:4]}-02-30{v[10:]}" for v in get("read_at")]}
    if kind == "future_date":
        return {"read_at": [f"{FUTURE_YEAR}{v[4:]}" for v in get("read_at")]}
    if kind == "unknown_machine":
        return {"machine_id": [f"MC9{x:04d}" for x in rng.integers(0, 10**4, k)]}
    if kind == "reported_before_failure":
        return {"reported_at": [(datetime.strptime(v, _TS) - timedelta(hours=int(h))).strftime(_TS)
                                for v, h in zip(get("failed_at"), rng.integers(1, 13, k))]}
    raise ValueError(f"no in-place edit for {source}/{kind}")


def _correct(source: str, get: Getter, k: int, rng: np.random.Generator) -> dict[str, list[str]]:
    """Changed values and a later updated_at for k re-sent rows."""
    if source == "machines":
        changed = {"line": [f"L{(int(v[1:]) % 4) + 1}" for v in get("line")]}
    elif source == "maintenance_events":
        changed = {"duration_hours": [f"{float(v) + h:.1f}" for v, h in zip(get("duration_hours"), rng.uniform(0.5, 3, k))]}
    else:
        changed = {"failure_mode": [FAILURE_MODES[(FAILURE_MODES.index(v) + 1) % len(FAILURE_MODES)]
                                    for v in get("failure_mode")]}
    return {**changed, "updated_at": later_timestamps(get("updated_at"), rng, 14 if source == "failure_events" else 60)}


RULES: dict[str, DefectRules] = {
    source: DefectRules(kinds, lambda kind, get, k, rng, s=source: _edit(s, kind, get, k, rng),
                        lambda get, k, rng, s=source: _correct(s, get, k, rng))
    for source, kinds in KINDS.items()
}
