"""Pricing billing records: the emulator's `system.billing.usage` rows of a run (hour slices, DBUs from
its node-type table) × `list_prices.pricing.default`, as lakegate/cost/billing.py reads them."""

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from databricks_emulator.billing import JOBS_SKU, LIST_PRICES_SCHEMA, USAGE_SCHEMA, hour_slices, usage_rows
from lakegate.cost.billing import BillingError, billed_runs

START = dt.datetime(2026, 12, 1, 9, 40, tzinfo=dt.timezone.utc)


def millis(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def run_view(run_id: int, minutes: float, cluster: dict) -> dict:
    end = START + dt.timedelta(minutes=minutes)
    return {"run_id": run_id, "job_id": run_id, "run_name": "step", "creator_user_name": "emulator@localhost",
            "tasks": [{"run_id": run_id + 1, "start_time": millis(START), "end_time": millis(end),
                       "_cluster": {"cluster_id": f"c-{run_id}", **cluster}},
                      {"run_id": run_id + 2}]}  # a skipped task: no cluster time


def prices(usd: str, since: dt.datetime, until: dt.datetime | None = None, sku: str = JOBS_SKU) -> dict:
    return {"price_start_time": since, "price_end_time": until, "account_id": "a", "sku_name": sku, "cloud": "AWS",
            "currency_code": "USD", "usage_unit": "DBU",
            "pricing": {"default": Decimal(usd), "promotional": None, "effective_list": None}}


def test_a_run_bills_one_record_per_clock_hour_at_its_clusters_dbu_rate():
    cluster = {"node_type_id": "m5.xlarge", "num_workers": 2, "custom_tags": {"lakegate/run": "r1"}}
    rows = usage_rows(run_view(10, 90, cluster), START)
    assert [(r["usage_start_time"].strftime("%H:%M"), r["usage_end_time"].strftime("%H:%M")) for r in rows] == [
        ("09:40", "10:00"), ("10:00", "11:00"), ("11:00", "11:10")]
    assert sum(r["usage_quantity"] for r in rows) == Decimal("3.105")  # 1.5 h × (0.69 driver + 2 × 0.69)
    assert {r["usage_metadata"]["job_run_id"] for r in rows} == {"10"} and rows[0]["usage_metadata"]["node_type"] == "m5.xlarge"
    assert dict(rows[0]["custom_tags"])["lakegate/run"] == "r1" and dict(rows[0]["custom_tags"])["JobId"] == "10"
    pa.Table.from_pylist(rows, USAGE_SCHEMA)  # the rows fit the table's schema


def test_an_autoscaling_cluster_bills_at_its_maximum_and_one_without_a_known_node_type_bills_nothing():
    autoscaling = {"node_type_id": "i3.xlarge", "driver_node_type_id": "m5.large", "autoscale": {"max_workers": 3}}
    assert sum(r["usage_quantity"] for r in usage_rows(run_view(10, 60, autoscaling), START)) == Decimal("3.34")
    assert usage_rows(run_view(10, 60, {"node_type_id": "x9.huge"}), START) == []
    assert usage_rows(run_view(10, 60, {"num_workers": 1}), START) == []
    assert hour_slices(START, START) == []


def test_billed_runs_price_each_record_at_the_list_price_in_effect_when_it_started():
    usage = pa.Table.from_pylist(usage_rows(run_view(10, 90, {"node_type_id": "m5.large", "num_workers": 1}), START)
                                 + usage_rows(run_view(20, 30, {"node_type_id": "m5.large", "num_workers": 0}), START),
                                 USAGE_SCHEMA)
    change = START.replace(hour=10, minute=0)
    price_list = pa.Table.from_pylist([prices("0.10", START - dt.timedelta(days=30), change), prices("0.20", change)],
                                      LIST_PRICES_SCHEMA)
    runs = billed_runs(usage, price_list)
    assert sorted(runs) == ["10", "20"]
    first = runs["10"]  # 20 minutes at 0.10, then 70 minutes at 0.20, 0.68 DBU an hour
    assert first.dbus == pytest.approx(1.02) and first.usd == pytest.approx(0.68 * (20 / 60 * 0.10 + 70 / 60 * 0.20))
    assert first.records == 3 and first.started_at == START and first.ended_at == START + dt.timedelta(minutes=90)
    assert list(billed_runs(usage, price_list, ["20"])) == ["20"]


def test_a_record_without_a_price_is_an_error_that_names_its_sku():
    usage = pa.Table.from_pylist(usage_rows(run_view(10, 5, {"node_type_id": "m5.large"}), START), USAGE_SCHEMA)
    no_price = pa.Table.from_pylist([prices("0.1", START - dt.timedelta(days=1), sku="OTHER")], LIST_PRICES_SCHEMA)
    with pytest.raises(BillingError, match=JOBS_SKU):
        billed_runs(usage, no_price)
