"""Slices a served record does not carry (a member's region, sex), looked up on real Delta tables
when the monitor first reads the record, and sliced live in the metric tables like any other."""

import datetime as dt

import pyarrow as pa
import pytest

from lakegate.lake import Lake
from lakegate.monitoring import MonitorTables, explode_records, reference_profile, refresh
from ml_assets.monitoring.inputs import slice_columns, slice_lookup
from ml_assets.usecases import CLAIMS_TRIAGE, MACHINE_FAILURE
from tests.monitoring_data import requests

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def lake(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.write_arrow("dev.silver.claims", pa.table({"claim_id": ["C1", "C2", "C3"], "member_token": ["m1", "m2", "m9"],
                                                    "amount": [1.0, 2.0, 3.0]}))
    lake.write_arrow("dev.silver.members", pa.table({"member_token": ["m1", "m2"], "region": ["north", "south"],
                                                     "sex": ["F", "M"]}))
    return lake


def test_a_claims_member_region_and_sex_are_looked_up_through_its_claim(lake):
    assert slice_columns(CLAIMS_TRIAGE) == ["member_age_band", "sex", "region"]
    assert slice_columns(MACHINE_FAILURE) == ["plant"] and slice_lookup(lake, "dev", MACHINE_FAILURE) is None
    found = slice_lookup(lake, "dev", CLAIMS_TRIAGE)(pa.chunked_array([["C2", "C404", None, "C1", "C3"]]))
    by_key = {r["record_key"]: (r["region"], r["sex"]) for r in found.to_pylist()}
    assert by_key == {"C1": ("north", "F"), "C2": ("south", "M"), "C3": (None, None)}  # m9: no member row yet


def test_looked_up_slices_get_their_own_metric_rows_and_are_stored_with_the_records(lake):
    served = requests(T0, 150, spacing=dt.timedelta(seconds=10))  # record keys r<i>-<j>
    keys = explode_records(served)["record_key"].to_pylist()
    plans = {k: ("gold" if i % 3 == 0 else "basic") for i, k in enumerate(keys[:-10])}  # the last 10: not found

    def lookup(record_keys):
        wanted = [k for k in record_keys.to_pylist() if k in plans]
        return pa.table({"record_key": wanted, "plan": [plans[k] for k in wanted]})

    tables = MonitorTables.for_endpoint("dev", "triage")
    lake.write_arrow(tables.inference, served)
    reference = reference_profile(explode_records(requests(T0 - dt.timedelta(days=2), 500, seed=3)),
                                  ["amount", "age"], ["region"], bins=10)
    refresh(lake, "dev", "triage", {"1": reference}, slices=["region", "plan"], granularities=["1 hour"],
            min_rows=10, lookup=lookup)
    rows = [r for r in lake.read_arrow(tables.profile_metrics).to_pylist() if r["column_name"] == ":table"]
    plan = {r["slice_value"]: r["count"] for r in rows if r["slice_key"] == "plan"}
    assert plan == {"gold": sum(v == "gold" for v in plans.values()), "basic": sum(v == "basic" for v in plans.values()),
                    None: 10}
    assert {r["slice_key"] for r in rows} == {None, "region", "plan"}
    stored = lake.read_arrow(tables.records)
    assert stored.column("slice__plan").to_pylist()[:3] == [plans[k] for k in stored["record_key"].to_pylist()[:3]]
