"""The drain reads a spool file whole with Arrow's JSON reader, and line by line only when a line is
bad: both must give the same rows, bit for bit."""

import datetime as dt

from lakegate.serving.inference_drain import _read_whole_file, read_line_by_line, read_spool_file
from lakegate.serving.inference_log import InferenceRecord, to_json_line

UTC = dt.timezone.utc


def spool_bytes(count: int = 40) -> bytes:
    lines = []
    for i in range(count):
        failed = i % 7 == 3
        lines.append(to_json_line(InferenceRecord(
            request_id=f"r{i:04d}", timestamp=dt.datetime(2026, 12, 2, 23, 59, 59, 999_000, tzinfo=UTC) + dt.timedelta(seconds=i),
            endpoint="claims-triage", served_entity=None if failed else "triage_model-1", model_name="prod.claims.triage_model",
            model_version="3", status_code=400 if failed else 200, error_code="BAD_REQUEST" if failed else None,
            latency_ms=1.25 + i, n_rows=0 if failed else 1 + i % 3, features=None if failed else '{"columns":["amount"],"data":[[12.5]]}',
            response='{"predictions": [1]}' if i % 2 else "ünïcode ✓ \"quoted\"\n", scores=None if failed else [0.5, 1.0, 0][: 1 + i % 3],
            record_keys=None if i % 5 == 0 else [f"C{i}"])))
    return "".join(lines).encode()


def test_a_whole_file_read_at_once_equals_the_line_by_line_read():
    data = spool_bytes()
    assert _read_whole_file(data) is not None  # read at once, not sent line by line
    table, bad = read_spool_file(data)
    expected, expected_bad = read_line_by_line(data)
    assert bad == expected_bad == []
    assert table.num_rows == 40 and table.equals(expected)
    # the UTC date of a row written a millisecond before midnight, and of the rows after it
    assert table["date"][0].as_py() == dt.date(2026, 12, 2) and table["date"][1].as_py() == dt.date(2026, 12, 3)


def test_a_file_with_a_bad_line_keeps_its_good_rows_and_names_the_bad_one():
    good = spool_bytes(3).split(b"\n")
    data = b"\n".join([good[0], b'{"request_id": "torn', good[1], b'["not", "an", "object"]', good[2]])
    table, bad = read_spool_file(data)
    assert table["request_id"].to_pylist() == ["r0000", "r0001", "r0002"]
    assert [number for number, _ in bad] == [2, 4]


def test_a_record_without_a_required_field_is_set_aside_not_appended():
    good = spool_bytes(2).split(b"\n")
    data = b"\n".join([good[0], good[1].replace(b'"request_id":"r0001",', b"")])
    table, bad = read_spool_file(data)
    assert table["request_id"].to_pylist() == ["r0000"] and [number for number, _ in bad] == [2]
