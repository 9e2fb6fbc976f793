"""Inference rows to scored records, labels joined, calendar windows."""

import datetime as dt
import json

import pyarrow as pa
import pytest

from lakegate.monitoring.inference_rows import explode_records, join_labels, latest_labels, request_rows
from lakegate.monitoring.windows import window_bounds, window_starts
from lakegate.serving.inference_log import INFERENCE_LOG_SCHEMA
from tests.monitoring_data import requests

T0 = dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.timezone.utc)


def test_one_record_per_scored_row_and_none_for_failed_requests():
    table = requests(T0, 5, per_request=3, errors=2)
    records = explode_records(table)
    assert records.num_rows == 15
    assert records["record_key"].to_pylist()[:4] == ["r0-0", "r0-1", "r0-2", "r1-0"]
    assert records["score"].to_pylist()[:3] == table["scores"][0].as_py()
    first = json.loads(table["features"][1].as_py())["data"][2]
    assert [records[c][5].as_py() for c in ("amount", "age", "region")] == first
    assert records["prediction"].to_pylist()[:3] == json.loads(table["response"][0].as_py())["predictions"]
    assert set(records["model_id"].to_pylist()) == {"1"}
    assert request_rows(table).num_rows == 7  # the SLA counts the failed requests too


def test_requests_with_other_columns_or_odd_lists_give_nulls_not_errors():
    base = requests(T0, 2, per_request=2).to_pylist()
    base[1]["features"] = json.dumps({"columns": ["amount", "plant"], "data": [[1.5, "p1"], [2, "p2"]]})
    base[1]["scores"] = [0.5]  # one score for two records: not trusted
    base[1]["response"] = "not json"
    records = explode_records(pa.Table.from_pylist(base, schema=INFERENCE_LOG_SCHEMA))
    assert records["plant"].to_pylist() == [None, None, "p1", "p2"]
    assert records["region"].to_pylist()[2:] == [None, None]
    assert records["amount"].to_pylist()[2:] == [1.5, 2.0]
    assert records["score"].to_pylist()[2:] == [None, None] and records["prediction"].to_pylist()[2:] == [None, None]


def test_labels_join_by_key_taking_the_latest_available():
    records = explode_records(requests(T0, 2, per_request=1))
    later = T0 + dt.timedelta(days=2)
    labels = pa.table({"record_key": ["r0-0", "r0-0", "r1-0", "zz"], "label": [0, 1, 1, 0],
                       "label_available_at": [T0 + dt.timedelta(days=1), later, later, T0]})
    joined = join_labels(records, labels).sort_by("record_key")
    assert joined["label"].to_pylist() == [1.0, 1.0]
    early = join_labels(records, labels, as_of=T0 + dt.timedelta(days=1)).sort_by("record_key")
    assert early["label"].to_pylist() == [0.0, None]  # as of day one: r1-0 not labelled yet
    assert latest_labels(labels).num_rows == 3
    with pytest.raises(ValueError, match="label_available_at"):
        latest_labels(pa.table({"record_key": ["a"], "label": [1]}))


def test_windows_are_calendar_aligned_in_utc():
    stamps = pa.array([T0, dt.datetime(1969, 12, 31, 23, 59, tzinfo=dt.timezone.utc)], pa.timestamp("us", tz="UTC"))
    hour, day = window_starts(stamps, "1 hour"), window_starts(stamps, "1 day")
    assert window_bounds(hour[0], "1 hour") == (T0.replace(minute=0), T0.replace(minute=0) + dt.timedelta(hours=1))
    assert window_bounds(day[0], "1 day")[0] == T0.replace(hour=0, minute=0)
    assert window_bounds(day[1], "1 day")[0] == dt.datetime(1969, 12, 31, tzinfo=dt.timezone.utc)
    with pytest.raises(ValueError, match="granularity '1 week'"):
        window_starts(stamps, "1 week")
