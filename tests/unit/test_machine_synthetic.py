"""The manufacturer's synthetic generator: layout, determinism, a physically sensible history, dirty
mode's defects, and enough signal that a model clearly beats chance."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from lakehouse_assets.domains.machines.sources import FAILURE_MODES, MAINTENANCE_KINDS, MODEL_TYPES, PLANTS, SOURCES
from lakehouse_assets.synthetic import generate
from lakehouse_assets.synthetic.machines import END, defects, generate_machines

TS = "%Y-%m-%d %H:%M:%S"


def rows(report, source, kinds=("data", "corrections")) -> list[dict[str, str]]:
    out = []
    for f in report.files[source]:
        if f.kind in kinds:
            with open(Path(report.out_dir) / f.path, newline="", encoding="utf-8") as fh:
                out.extend(csv.DictReader(fh))
    return out


def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(folder).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, TS)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return generate_machines(tmp_path_factory.mktemp("clean"), machines=40, days=60, seed=3)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    return generate_machines(tmp_path_factory.mktemp("dirty"), machines=150, days=60, seed=4, dirty=0.25)


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    a = generate_machines(tmp_path / "a", machines=10, days=14, seed=1, dirty=0.05)
    b = generate_machines(tmp_path / "b", machines=10, days=14, seed=1, dirty=0.05)
    c = generate_machines(tmp_path / "c", machines=10, days=14, seed=2, dirty=0.05)
    assert digest(Path(a.out_dir)) == digest(Path(b.out_dir)) != digest(Path(c.out_dir))


def test_layout_follows_the_landing_contract(clean):
    root = Path(clean.out_dir)
    assert {p.name for p in root.iterdir()} == set(SOURCES)
    for source, spec in SOURCES.items():
        for f in clean.files[source]:
            header = (root / f.path).read_text().split("\n", 1)[0]
            assert header == ",".join(spec.columns)
    weeks = [f.path for f in clean.files["sensor_readings"]]
    assert weeks == [f"sensor_readings/sensor_readings_{i:05d}.csv" for i in range(1, 10)]  # 60 days: 9 weekly files


def test_clean_history_is_physically_sensible(clean):
    machines = {r["machine_id"]: r for r in rows(clean, "machines")}
    assert len(machines) == 40 and {r["plant"] for r in machines.values()} <= set(PLANTS)
    assert {r["model_type"] for r in machines.values()} <= set(MODEL_TYPES)
    readings = rows(clean, "sensor_readings")
    first, last = END - dt.timedelta(days=59), END
    for r in readings:
        assert r["machine_id"] in machines and r["plant"] == machines[r["machine_id"]]["plant"]
        assert first <= ts(r["read_at"]).date() <= last
        assert -50 <= float(r["temperature_c"]) < 300 and float(r["vibration_mm_s"]) > 0
        assert float(r["pressure_bar"]) > 0 and float(r["run_hours"]) > 0
    end = dt.datetime.combine(END, dt.time(23, 59, 59))
    failures = rows(clean, "failure_events")
    assert failures and all(r["failure_mode"] in FAILURE_MODES for r in failures)
    for f in failures:  # reported after, within the labels' two-day grace, and known by the end date
        delay = ts(f["reported_at"]) - ts(f["failed_at"])
        assert dt.timedelta(0) <= delay < dt.timedelta(days=2) and ts(f["reported_at"]) <= end
    jobs = rows(clean, "maintenance_events")
    assert {r["kind"] for r in jobs} == set(MAINTENANCE_KINDS)
    assert all(ts(r["updated_at"]) > ts(r["performed_at"]) and r["technician_id"].startswith("EMP") for r in jobs)


def test_a_failed_machine_stops_reading_until_its_corrective_job(clean):
    by_machine = defaultdict(list)
    for r in rows(clean, "sensor_readings"):
        by_machine[r["machine_id"]].append(ts(r["read_at"]))
    repairs = defaultdict(list)
    for r in rows(clean, "maintenance_events"):
        if r["kind"] == "corrective":
            repairs[r["machine_id"]].append(ts(r["performed_at"]))
    for f in rows(clean, "failure_events"):
        failed, machine = ts(f["failed_at"]), f["machine_id"]
        after = [t for t in by_machine[machine] if t > failed]
        if after:  # back up only once repaired, a day later at the earliest
            fixed = min(t for t in repairs[machine] if t >= failed)
            assert min(after) >= fixed and min(after) - failed >= dt.timedelta(days=1)


def test_dirty_mode_gives_every_defect_kind_and_the_file_defects(dirty):
    for source, kinds in defects.KINDS.items():
        assert set(dirty.defects[source]) == set(kinds), source
    assert set(dirty.file_defects) == {"truncated", "unreadable", "empty", "header_only"}
    assert all(p.startswith("sensor_readings/") for paths in dirty.file_defects.values() for p in paths)
    readings = rows(dirty, "sensor_readings")
    assert sum(r["temperature_c"] in defects.WRONG_NUMBERS for r in readings) == dirty.defects["sensor_readings"]["wrong_type_number"]
    assert sum(r["pressure_bar"] == "" for r in readings) == dirty.defects["sensor_readings"]["sensor_dropout"]
    assert sum(r["read_at"].startswith(str(defects.FUTURE_YEAR)) for r in readings) == dirty.defects["sensor_readings"]["future_date"]
    failures = rows(dirty, "failure_events")
    whole = [r for r in failures if None not in r.values() and r["failed_at"] != defects.NOT_A_DATE]
    early = sum(r["reported_at"] < r["failed_at"] for r in whole)
    assert early == dirty.defects["failure_events"]["reported_before_failure"]
    raw = b"".join((Path(dirty.out_dir) / f.path).read_bytes() for f in dirty.files["maintenance_events"])
    assert raw.count(defects.LATIN1_KIND.encode("latin-1")) == dirty.defects["maintenance_events"]["bad_encoding"]


def test_each_generator_clears_only_its_own_files(tmp_path):
    generate(tmp_path, members=20, claims=50, seed=1)
    generate_machines(tmp_path, machines=5, days=7, seed=1)
    generate(tmp_path, members=20, claims=50, seed=2)
    assert (tmp_path / "sensor_readings" / "sensor_readings_00001.csv").exists()
    generate_machines(tmp_path, machines=5, days=7, seed=2)
    assert (tmp_path / "claims" / "claims_00001.csv").exists()


def test_arguments_are_checked(tmp_path):
    for bad in ({"machines": 0}, {"days": 6}, {"dirty": 1.5}, {"seed": -1}):
        with pytest.raises(ValueError):
            generate_machines(tmp_path, **bad)


def test_wear_shows_in_the_readings_enough_to_predict_failures(tmp_path):
    """A gradient-boosting model on daily sensor statistics, type and plant beats chance clearly on
    the newest 30 % of machine-days: the 7-day label carries signal."""
    report = generate_machines(tmp_path, machines=60, days=150, seed=9)
    readings = pd.DataFrame(rows(report, "sensor_readings"))
    for c in ("temperature_c", "vibration_mm_s", "pressure_bar"):
        readings[c] = readings[c].astype(float)
    readings["day"] = pd.to_datetime(readings["read_at"]).dt.floor("D")
    daily = readings.groupby(["machine_id", "day"]).agg(
        t=("temperature_c", "mean"), v=("vibration_mm_s", "mean"), vmax=("vibration_mm_s", "max"), p=("pressure_bar", "mean"),
    ).reset_index()
    fleet = pd.DataFrame(rows(report, "machines"))[["machine_id", "plant", "model_type"]]
    daily = daily.merge(fleet, on="machine_id")
    failures = pd.DataFrame(rows(report, "failure_events"))
    failed = {m: pd.to_datetime(g["failed_at"]).to_numpy() for m, g in failures.groupby("machine_id")}
    start = daily["day"] + pd.Timedelta(days=1, hours=6)
    daily["y"] = [int(((f > s.to_datetime64()) & (f <= (s + pd.Timedelta(days=7)).to_datetime64())).any())
                  for f, s in zip((failed.get(m, np.array([], "datetime64[ns]")) for m in daily["machine_id"]), start)]
    daily = daily[daily["day"] <= daily["day"].max() - pd.Timedelta(days=8)]
    x = daily[["t", "v", "vmax", "p"]].assign(type=daily["model_type"].map(MODEL_TYPES.index), plant=daily["plant"].map(PLANTS.index))
    train = daily["day"] <= daily["day"].quantile(0.7)
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, categorical_features=[4, 5], random_state=0)
    model.fit(x[train], daily["y"][train])
    auc = roc_auc_score(daily["y"][~train], model.predict_proba(x[~train])[:, 1])
    assert 0.05 < daily["y"].mean() < 0.25
    assert auc > 0.75, auc
