"""Landing → silver (and gold) through Dagster in-process, on generated dirty data."""

import re

import dagster as dg
import pytest

from lakegate.lake import Lake
from lakegate.run import materialize
from lakehouse_assets.synthetic import generate

pytestmark = pytest.mark.integration

PII_COLUMNS = {"first_name", "last_name", "ssn", "address", "member_id", "date_of_birth", "zip", "city"}
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One dirty landing zone, materialized twice (the second run must ingest nothing)."""
    home = tmp_path_factory.mktemp("pipeline")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAKEGATE_HOME", str(home))
        mp.setenv("LAKEGATE_PII_HMAC_KEY", "pipeline-test-key-0123456789")
        report = generate(home / "landing", members=600, claims=6000, seed=11, dirty=0.05)
        from tests.local_graph import local_graph

        defs = local_graph()

        instance = dg.DagsterInstance.ephemeral()
        first = materialize(defs, "group:bronze or group:silver or group:gold", instance=instance)
        second = materialize(defs, "group:bronze", instance=instance)
        yield home, report, first, second


def checks_by_name(outcome):
    return {(c.asset_key.to_user_string(), c.check_name): c for c in outcome.checks}


def test_the_run_succeeds_and_conservation_holds_on_dirty_data(built):
    home, report, first, _ = built
    assert first.success, first.failure
    checks = checks_by_name(first)
    for source in ("members", "providers", "claims", "claim_outcomes"):
        bronze = checks[(f"bronze/{source}", "bronze_row_conservation")]
        silver = checks[(f"silver/{source}", "silver_row_conservation")]
        assert bronze.passed, bronze.metadata
        assert silver.passed, silver.metadata
    claims = checks[("bronze/claims", "bronze_row_conservation")].metadata
    # Rows landed: every data line the generator wrote, including the unreadable files' (0 countable).
    assert claims["landed_rows"].value == report.rows["claims"]
    assert claims["rejected_files"].value == 2  # the empty file and the undecompressable gzip


def test_every_defect_kind_is_caught_somewhere(built):
    home, _, first, _ = built
    checks = checks_by_name(first)
    failed = {name for (asset, name), c in checks.items() if asset == "silver/claims" and not c.passed}
    assert {"expect_no_rescued_data", "expect_amount_numeric", "expect_amount_non_negative",
            "expect_submission_date_valid", "expect_service_date_valid", "expect_procedure_code_known",
            "expect_diagnosis_code_known", "expect_claim_id_present"} <= failed
    quarantine = Lake(home / "lake").read_arrow("dev.quarantine.claims").to_pylist()
    assert quarantine and all(q["failed_expectations"] for q in quarantine)


def test_rejected_files_are_kept_with_reasons(built):
    home = built[0]
    rejected = sorted(p.name for p in (home / "rejected" / "claims").iterdir())
    assert rejected == [
        "claims_broken_00001.csv.gz", "claims_broken_00001.csv.gz.reason.json",
        "claims_empty_00001.csv", "claims_empty_00001.csv.reason.json",
    ]


def test_a_second_run_ingests_nothing_new(built):
    _, _, first, second = built
    assert second.success
    rows = {m.asset_key.to_user_string(): m.metadata["new_files"].value for m in second.materializations}
    assert set(rows.values()) == {0}


def test_no_personal_data_in_any_silver_or_gold_table(built):
    home = built[0]
    lake = Lake(home / "lake")
    raw_members = lake.read_arrow("dev.bronze.members").to_pylist()
    secrets = {r[c] for r in raw_members for c in ("member_id", "ssn", "address", "last_name") if r[c]}
    tables = [p for layer in ("silver", "gold") for p in (lake.root / "dev" / layer).iterdir() if (p / "_delta_log").is_dir()]
    assert {p.parent.name for p in tables} == {"silver", "gold"}
    for path in tables:
        name = f"dev.{path.parent.name}.{path.name}"
        data = lake.read_arrow(name)
        assert not PII_COLUMNS & set(data.column_names), name
        for column in data.column_names:
            values = data[column].to_pylist()
            flat = [v for x in values for v in (x if isinstance(x, list) else [x])]
            for value in set(flat):
                if isinstance(value, str):
                    assert value not in secrets, f"{name}.{column} holds raw personal data"
                    assert not SSN.search(value), f"{name}.{column} holds an SSN"
