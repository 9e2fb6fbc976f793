"""Silver on the real engine and real Delta: expectations, quarantine, dedup, PII minimization."""

import hashlib
import hmac
import json

import pytest

from lakegate.lake import Lake
from lakehouse_assets.bronze.ingest import ingest_source
from lakehouse_assets.expectations import ExpectationFailed
from lakehouse_assets.silver.build import build_silver, torn_pair
from lakehouse_assets.silver.tables import SILVER_TABLES
from lakehouse_assets.sources import SOURCES
from lakehouse_assets.staging import STAGING_DIR
from tests.integration.landing import claim, land, member

pytestmark = pytest.mark.integration
KEY = b"test-key-0123456789abcdef"


def run(home, spark, source):
    lake = Lake(home / "lake")
    ingest_source(lake, "dev", SOURCES[source], home / "landing", home / "rejected")
    return build_silver(spark, lake, "dev", SILVER_TABLES[source], KEY), lake


def by_id(rows, key="claim_id"):
    return {r[key]: r for r in rows}


def test_warn_keeps_the_row_and_counts_it(home, spark):
    land(home, "claims", "a.csv", [claim("C1", diagnosis_code="ZZZ.99"), claim("C2")])
    result, lake = run(home, spark, "claims")
    counts = {r.expectation.name: r.failed_rows for r in result.expectations}
    assert counts["diagnosis_code_known"] == 1
    assert set(by_id(lake.read_arrow("dev.silver.claims").to_pylist())) == {"C1", "C2"}
    assert result.quarantined_rows == 0


def test_drop_quarantines_with_every_failed_expectation(home, spark):
    land(home, "claims", "a.csv", [claim("C1", amount="-5", channel="fax"), claim("C2", amount="abc"), claim("C3")])
    result, lake = run(home, spark, "claims")
    silver = by_id(lake.read_arrow("dev.silver.claims").to_pylist())
    quarantine = by_id(lake.read_arrow("dev.quarantine.claims").to_pylist())
    assert set(silver) == {"C3"} and set(quarantine) == {"C1", "C2"}
    assert set(quarantine["C1"]["failed_expectations"]) == {"amount_non_negative", "channel_known"}
    assert set(quarantine["C2"]["failed_expectations"]) == {"amount_numeric", "amount_non_negative"}
    assert quarantine["C2"]["amount"] == "abc"  # kept raw, as it arrived
    assert result.silver_rows + result.quarantined_rows + result.superseded_rows == result.bronze_rows == 3


def test_corrupt_lines_are_quarantined_not_lost(home, spark):
    land(home, "claims", "a.csv", [claim("C1")], raw_lines=[b"C2,M1,P1,2026-01-10", b"C3,\xe9"])
    result, lake = run(home, spark, "claims")
    quarantine = lake.read_arrow("dev.quarantine.claims").to_pylist()
    assert len(quarantine) == 2 and all("no_rescued_data" in q["failed_expectations"] for q in quarantine)
    assert result.bronze_rows == 3 and result.silver_rows == 1


def test_fail_stops_and_leaves_the_previous_version_unchanged(home, spark):
    land(home, "claims", "a.csv", [claim("C1"), claim("C2")])
    first, lake = run(home, spark, "claims")
    before = lake.read_arrow("dev.silver.claims").to_pylist()
    land(home, "claims", "b.csv", [claim("C3", amount="2500000000")])
    with pytest.raises(ExpectationFailed, match="amount_below_circuit_breaker: 1 rows"):
        run(home, spark, "claims")
    assert lake.version("dev.silver.claims") == first.silver_version
    assert lake.read_arrow("dev.silver.claims").to_pylist() == before
    assert staged_leftovers(lake) == []  # the failed build's staged rows are gone too


def test_latest_record_per_key_wins_and_duplicates_are_superseded(home, spark):
    original = claim("C1", amount="100.00", updated_at="2026-01-15 09:00:00")
    land(home, "claims", "a.csv", [original, original, claim("C2")])
    land(home, "claims", "b.csv", [claim("C1", amount="90.00", updated_at="2026-02-01 10:00:00")])
    result, lake = run(home, spark, "claims")
    silver = by_id(lake.read_arrow("dev.silver.claims").to_pylist())
    assert silver["C1"]["amount"] == 90.0 and len(silver) == 2
    assert result.superseded_rows == 2 and result.bronze_rows == 4
    assert staged_leftovers(lake) == []


def staged_leftovers(lake):
    return sorted(p.name for p in (lake.root / STAGING_DIR).glob("*"))


def test_members_are_pseudonymized(home, spark):
    land(home, "members", "m.csv", [member("M00000001"), member("M00000002", date_of_birth="2031-01-01")])
    result, lake = run(home, spark, "members")
    rows = lake.read_arrow("dev.silver.members").to_pylist()
    assert set(rows[0]) == {
        "member_token", "age_band", "sex", "region", "state", "plan_type",
        "chronic_conditions", "chronic_condition_count", "enrollment_date", "updated_at",
    }
    tokens = {r["member_token"]: r for r in rows}
    expected = hmac.new(KEY, b"M00000001", hashlib.sha256).hexdigest()
    assert tokens[expected]["chronic_conditions"] == ["diabetes", "chf"]
    assert tokens[expected]["age_band"] == "50-64"
    future = next(r for r in rows if r["member_token"] != expected)
    assert future["age_band"] == "unknown"  # a birth date in the future is warned, not guessed
    assert {r.expectation.name: r.failed_rows for r in result.expectations}["date_of_birth_valid"] == 1


def test_claims_carry_the_same_member_token_as_members(home, spark):
    land(home, "members", "m.csv", [member("M00000007")])
    land(home, "claims", "c.csv", [claim("C1", member_id="M00000007")])
    run(home, spark, "members")
    _, lake = run(home, spark, "claims")
    [m] = lake.read_arrow("dev.silver.members").to_pylist()
    [c] = lake.read_arrow("dev.silver.claims").to_pylist()
    assert c["member_token"] == m["member_token"] and "member_id" not in c
    assert c["procedure_group"] == "evaluation_management" and c["days_to_submit"] == 5


def test_quarantine_keeps_the_failed_row_with_personal_data_minimized(home, spark):
    land(home, "members", "m.csv", [member("M00000001", region="atlantis")])  # region_known: drop
    _, lake = run(home, spark, "members")
    [row] = lake.read_arrow("dev.quarantine.members").to_pylist()
    assert row["failed_expectations"] == ["region_known"] and row["region"] == "atlantis"
    assert row["member_token"] == hmac.new(KEY, b"M00000001", hashlib.sha256).hexdigest() and row["age_band"] == "50-64"
    assert not set(row) & (set(SOURCES["members"].personal_columns) | {"_rescued_data"})
    values = json.dumps(row, default=str)
    assert not any(raw in values for raw in ("M00000001", "Ada", "Quill", "123-45-6789", "12 Oak St", "1970-03-02"))
    assert (row["_source_file"], row["_row_number"]) == ("members/m.csv", 2)  # where bronze keeps the raw row


def test_a_run_killed_between_silver_and_quarantine_is_healed_by_the_next(home, spark, monkeypatch):
    land(home, "claims", "a.csv", [claim("C1"), claim("C2", amount="-1")])
    run(home, spark, "claims")
    land(home, "claims", "b.csv", [claim("C3"), claim("C4", amount="-2")])
    real_write = Lake.write_spark

    def killed_at_the_quarantine(self, df, name, *args, **kwargs):
        if ".quarantine." in str(name):
            raise KeyboardInterrupt("killed between the two commits")
        return real_write(self, df, name, *args, **kwargs)

    monkeypatch.setattr(Lake, "write_spark", killed_at_the_quarantine)
    with pytest.raises(KeyboardInterrupt):
        run(home, spark, "claims")
    lake = Lake(home / "lake")
    assert torn_pair(lake, "dev.silver.claims", "dev.quarantine.claims")
    monkeypatch.setattr(Lake, "write_spark", real_write)
    result, lake = run(home, spark, "claims")
    assert result.healed_torn_pair and not torn_pair(lake, "dev.silver.claims", "dev.quarantine.claims")
    assert {r["claim_id"] for r in lake.read_arrow("dev.quarantine.claims").to_pylist()} == {"C2", "C4"}
    assert result.silver_rows + result.quarantined_rows == result.bronze_rows == 4
