"""Bronze on real Delta: exactly-once ingestion, rejected files kept with a reason, conservation."""

import json
import shutil
import time

import pyarrow as pa
import pytest

from lakegate.lake import Lake
from lakehouse_assets.bronze.conservation import check_bronze_conservation
from lakehouse_assets.bronze.ingest import FILES_COMMIT_KEY, ingest_log, ingest_source, ingest_sources
from lakehouse_assets.domains.claims.sources import CLAIMS
from lakehouse_assets.sources import SOURCES
from lakehouse_assets.synthetic import generate
from tests.integration.landing import claim, land

pytestmark = pytest.mark.integration


def ingest(home):
    return ingest_source(Lake(home / "lake"), "dev", CLAIMS, home / "landing", home / "rejected")


INSURER_SOURCES = ["members", "claims", "providers", "claim_outcomes"]  # not sorted: reports come back in this order


def ingest_side_by_side(home):
    return list(ingest_sources(Lake(home / "lake"), "dev", [SOURCES[n] for n in INSURER_SOURCES], home / "landing",
                               home / "rejected"))


def test_running_ingestion_twice_ingests_nothing_new(home):
    land(home, "claims", "a.csv", [claim("C1"), claim("C2")])
    first = ingest(home)
    second = ingest(home)
    assert first.rows == 2 and len(first.ingested_files) == 1
    assert second.rows == 0 and second.ingested_files == []
    lake = Lake(home / "lake")
    assert lake.read_arrow("dev.bronze.claims").num_rows == 2
    assert lake.version("dev.bronze.claims") == first.bronze_version


def test_a_new_file_is_ingested_alone(home):
    land(home, "claims", "a.csv", [claim("C1")])
    ingest(home)
    land(home, "claims", "b.csv", [claim("C2"), claim("C3")])
    report = ingest(home)
    assert report.rows == 2 and [p.split("/")[-1] for p in report.ingested_files] == ["b.csv"]


def test_changed_content_under_the_same_path_is_new(home):
    land(home, "claims", "a.csv", [claim("C1")])
    ingest(home)
    land(home, "claims", "a.csv", [claim("C1"), claim("C9")])
    assert ingest(home).rows == 2


def test_bronze_rows_carry_file_lineage(home):
    path = land(home, "claims", "a.csv", [claim("C1")], raw_lines=[b"C2,too,few"])
    ingest(home)
    rows = Lake(home / "lake").read_arrow("dev.bronze.claims").to_pylist()
    assert {r["_source_file"] for r in rows} == {"claims/a.csv"}  # relative to the landing root
    assert [r["_row_number"] for r in rows] == [2, 3]
    assert rows[0]["amount"] == "120.50"  # raw string, untyped
    assert json.loads(rows[1]["_rescued_data"])["_corrupt_record"] == "C2,too,few"


def test_unreadable_file_moves_to_rejected_with_a_reason(home):
    land(home, "claims", "good.csv", [claim("C1")])
    broken = home / "landing" / "claims" / "broken.csv.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    report = ingest(home)
    rejected = home / "rejected" / "claims" / "broken.csv.gz"
    assert not broken.exists() and rejected.read_bytes() == b"\x1f\x8b\x08\x00not really gzip"
    reason = json.loads((home / "rejected" / "claims" / "broken.csv.gz.reason.json").read_text())
    assert "cannot decompress" in reason["reason"] and reason["rows"] is None
    assert list(report.rejected_files.values()) == [reason["reason"]]
    log = Lake(home / "lake").read_arrow("dev.bronze.ingest_log").to_pylist()
    assert {(r["path"].split("/")[-1], r["status"]) for r in log} == {("good.csv", "ingested"), ("broken.csv.gz", "rejected")}


def test_a_crash_between_bronze_and_log_does_not_ingest_twice(home):
    """Simulate a run that committed bronze but died before writing the ingest log."""
    path = land(home, "claims", "a.csv", [claim("C1")])
    lake = Lake(home / "lake")
    from lakehouse_assets.bronze.parse import parse_file
    from lakehouse_assets.bronze.ingest import _with_file_columns
    import datetime as dt

    parsed = parse_file(path, CLAIMS)
    files = [{"path": "claims/a.csv", "content_hash": parsed.content_hash, "rows": 1}]
    lake.write_arrow("dev.bronze.claims", _with_file_columns("claims/a.csv", parsed, CLAIMS, dt.datetime.now(dt.timezone.utc)),
                     commit_metadata={FILES_COMMIT_KEY: json.dumps(files)})
    report = ingest(home)
    assert report.rows == 0
    assert lake.read_arrow("dev.bronze.claims").num_rows == 1
    log = lake.read_arrow("dev.bronze.ingest_log").to_pylist()
    assert [(r["status"], r["reason"]) for r in log] == [("ingested", "recovered")]


def test_conservation_holds_and_detects_a_lost_row(home):
    land(home, "claims", "a.csv", [claim("C1"), claim("C2")], raw_lines=[b"\xff\xfe,broken"])
    (home / "landing" / "claims" / "empty.csv").write_bytes(b"")
    ingest(home)
    lake = Lake(home / "lake")
    ok = check_bronze_conservation(lake, "dev", "claims", home / "landing", home / "rejected")
    assert ok.holds and ok.landed_rows == 3 and ok.bronze_rows == 3 and ok.rejected_files == 1
    # Lose one row behind the pipeline's back: the check must see it.
    rows = lake.read_arrow("dev.bronze.claims")
    lake.write_arrow("dev.bronze.claims", rows.slice(0, 2), mode="overwrite")
    broken = check_bronze_conservation(lake, "dev", "claims", home / "landing", home / "rejected")
    assert not broken.holds and "3 lines landed, 2 rows in bronze" in list(broken.mismatched_files.values())[0]


def test_a_copied_home_re_ingests_nothing_and_its_conservation_holds(home, tmp_path):
    land(home, "claims", "a.csv", [claim("C1"), claim("C2")], raw_lines=[b"\xff\xfe,broken"])
    ingest(home)
    copy = tmp_path / "restored-home"
    shutil.copytree(home, copy)
    again = ingest(copy)
    assert again.ingested_files == [] and again.rows == 0
    result = check_bronze_conservation(Lake(copy / "lake"), "dev", "claims", copy / "landing", copy / "rejected")
    assert result.holds and result.pending_files == [] and result.landed_rows == 3


def test_a_home_whose_log_holds_absolute_paths_is_keyed_by_source_and_file(home, tmp_path):
    """Homes ingested before keys were relative logged absolute paths: moved, they re-ingest nothing."""
    path = land(home, "claims", "a.csv", [claim("C1")])
    ingest(home)
    lake = Lake(home / "lake")
    for table, column in (("dev.bronze.ingest_log", "path"), ("dev.bronze.claims", "_source_file")):
        rows = lake.read_arrow(table)
        absolute = pa.array([str(path)] * rows.num_rows, pa.string())
        lake.write_arrow(table, rows.set_column(rows.schema.get_field_index(column), column, absolute), mode="overwrite")
    moved = tmp_path / "moved-home"
    shutil.move(home, moved)
    assert ingest(moved).ingested_files == []
    assert check_bronze_conservation(Lake(moved / "lake"), "dev", "claims", moved / "landing", moved / "rejected").holds


def reads_of(monkeypatch) -> list[str]:
    """Record every landed or rejected file read from now on."""
    import pathlib

    reads, real = [], pathlib.Path.read_bytes
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda p: reads.append(p.name) or real(p))
    return reads


def test_an_ingested_file_is_known_by_its_stat_without_being_read(home, monkeypatch):
    land(home, "claims", "a.csv", [claim("C1"), claim("C2")])
    ingest(home)
    land(home, "claims", "b.csv", [claim("C3")])
    reads = reads_of(monkeypatch)
    report = ingest(home)
    conservation = check_bronze_conservation(Lake(home / "lake"), "dev", "claims", home / "landing", home / "rejected")
    assert report.ingested_files == ["claims/b.csv"] and conservation.holds and conservation.landed_rows == 3
    assert reads == ["b.csv"]  # read once, by ingestion; the check uses what it counted


def test_a_changed_file_of_the_same_size_is_detected(home):
    import os

    path = land(home, "claims", "a.csv", [claim("C1")])
    ingest(home)
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(b"C1,", b"C7,"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert path.stat().st_size == before.st_size
    assert ingest(home).rows == 1
    assert {r["claim_id"] for r in Lake(home / "lake").read_arrow("dev.bronze.claims").to_pylist()} == {"C1", "C7"}


def test_a_touched_file_is_hashed_once_and_not_ingested_again(home, monkeypatch):
    path = land(home, "claims", "a.csv", [claim("C1")])
    ingest(home)
    path.touch()
    reads = reads_of(monkeypatch)
    assert ingest(home).rows == 0 and ingest(home).rows == 0
    assert reads == ["a.csv"]  # the second run knows the new stat
    assert check_bronze_conservation(Lake(home / "lake"), "dev", "claims", home / "landing", home / "rejected").holds


def test_sources_ingested_side_by_side_each_keep_every_row_and_log_their_files(home):
    """The first run creates the shared ingest log from several threads at once: none of them fails."""
    generate(home / "landing", members=300, claims=3000, dirty=0.05)
    lake = Lake(home / "lake")
    reports = ingest_side_by_side(home)
    assert [r.source for r in reports] == INSURER_SOURCES
    logged = ingest_log(lake, "dev").to_pylist()
    for report in reports:
        assert report.rows > 0 and report.seconds > 0
        assert lake.read_arrow(f"dev.bronze.{report.source}").num_rows == report.rows
        assert {r["path"] for r in logged if r["source"] == report.source and r["status"] == "ingested"} == set(report.ingested_files)
        assert check_bronze_conservation(lake, "dev", report.source, home / "landing", home / "rejected").holds
    assert sum(r.rows for r in ingest_side_by_side(home)) == 0


def test_sources_side_by_side_write_the_shared_ingest_log_one_at_a_time(home, monkeypatch):
    """delta-rs fails the second of two writers creating one table; held open, no log write overlaps."""
    generate(home / "landing", members=50, claims=100)
    inside, overlapped, write = [], [], Lake.write_arrow

    def slow_log_write(self, name, *args, **kwargs):
        if not str(name).endswith(".ingest_log"):
            return write(self, name, *args, **kwargs)
        overlapped.append(bool(inside))
        inside.append(name)
        time.sleep(0.3)
        try:
            return write(self, name, *args, **kwargs)
        finally:
            inside.pop()

    monkeypatch.setattr(Lake, "write_arrow", slow_log_write)
    ingest_side_by_side(home)
    assert overlapped == [False] * len(INSURER_SOURCES)
