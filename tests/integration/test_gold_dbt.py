"""Integration: the gold dbt models, run by dagster-dbt in-process on the real Sail engine.

Small silver Delta tables with known figures are written to a temporary lake; the gold assets are
materialized with `dagster.materialize`; the gold Delta tables are read back with deltalake.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
import shutil
from collections import defaultdict
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from lakegate.engine import SparkEngine
from lakegate.lake import Lake
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakehouse_assets.gold import checks
from lakehouse_assets.gold.assets import gold_dbt_assets
from lakehouse_assets.gold.resources import make_dbt_resource
from lakehouse_assets.gold.translator import GOLD_KINDS

pytestmark = pytest.mark.integration

GOLD_MODELS = ("member_claim_history", "provider_scorecard", "daily_claims_kpis")
SILVER_TABLES = ("members", "providers", "claims", "claim_outcomes")

AS_OF = dt.date(2025, 12, 31)
HMAC_KEY = b"test-key-0123456789abcdef"
UPDATED = dt.datetime(2026, 1, 2, 8, 0, tzinfo=dt.timezone.utc)

# Personal data that exists upstream of silver (or in silver.providers) and must never reach gold.
RAW_MEMBER_IDS = [f"M{n:06d}" for n in range(1, 9)]
PROVIDER_NAMES = {
    "P001": "Dr. Alice Moreau",
    "P002": "Dr. Bilal Okafor",
    "P003": "Dr. Chen Wei",
    "P004": "Dr. Dana Novak",
}
PII_COLUMN_MARKERS = ("member_id", "name", "ssn", "address", "birth", "dob", "zip", "phone", "email")
SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")


def token(raw_member_id: str) -> str:
    return hmac.new(HMAC_KEY, raw_member_id.encode(), hashlib.sha256).hexdigest()


MEMBER_A, MEMBER_B, MEMBER_NONE = token("M000001"), token("M000002"), token("M000008")


# ---------------------------------------------------------------- silver test data


def _claim(cid, member, provider, submitted, days, amount, channel, review=None):
    return {
        "claim_id": cid, "member_token": member, "provider_id": provider,
        "service_date": submitted - dt.timedelta(days=days), "submission_date": submitted,
        "days_to_submit": days, "amount": amount, "channel": channel, "needs_review": review,
    }


def silver_rows() -> dict[str, list[dict]]:
    """Hand-made claims with known figures, plus generated filler claims for provider P001."""
    a, b = MEMBER_A, MEMBER_B
    claims = [
        # Member A: 90-day window is 2025-10-03 .. 2025-12-31 (both ends included).
        _claim("C-A1", a, "P001", AS_OF, 2, 120.0, "edi"),                          # in window
        _claim("C-A2", a, "P001", dt.date(2025, 12, 1), 3, 80.0, "portal", 0),      # in window
        _claim("C-A3", a, "P002", dt.date(2025, 10, 3), 4, 50.0, "paper", 1),       # first day in
        _claim("C-A4", a, "P002", dt.date(2025, 10, 2), 4, 40.0, "edi", 0),         # first day out
        _claim("C-A5", a, "P003", dt.date(2025, 1, 15), 6, 10.0, "edi"),            # long ago
        # Member B, on 2025-12-01 as well.
        _claim("C-B1", b, "P002", dt.date(2025, 12, 1), 5, 60.0, "edi", 1),
        _claim("C-B2", b, "P002", dt.date(2025, 12, 1), 1, 40.0, "portal"),
    ]
    channels = ("edi", "portal", "paper")
    for k in range(24):
        member = token(f"M{2 + k % 6:06d}")  # members 2..7
        submitted = dt.date(2025, 3, 10) + dt.timedelta(days=11 * k)  # never 2025-12-01, <= as-of
        review = None if k % 4 == 3 else int(k % 3 == 0)
        claims.append(_claim(f"C-G{k:02d}", member, "P001", submitted, 1 + k % 9,
                             round(15.5 * (k + 1), 2), channels[k % 3], review))
    assert max(c["submission_date"] for c in claims) == AS_OF
    assert dt.date(2025, 12, 1) not in {c["submission_date"] for c in claims[7:]}

    bands = ("35-49", "18-34", "65+", "50-64", "0-17", "unknown", "35-49", "65+")
    regions = ("north", "south", "east", "west", "central", "north", "south", "east")
    members = [
        {
            "member_token": token(raw), "age_band": bands[i], "sex": "FMX"[i % 3],
            "region": regions[i], "state": "NY", "plan_type": "hmo",
            "chronic_conditions": ["diabetes", "chf"][: i % 3],
            "chronic_condition_count": i % 3, "enrollment_date": dt.date(2020, 1, 1 + i),
        }
        for i, raw in enumerate(RAW_MEMBER_IDS)
    ]
    providers = [
        {"provider_id": pid, "provider_name": name, "specialty": spec, "region": region, "network_status": status}
        for (pid, name), spec, region, status in zip(
            PROVIDER_NAMES.items(),
            ("general_practice", "cardiology", "oncology", "radiology"),
            ("north", "south", "east", "west"),
            ("in", "in", "out", "in"),
        )
    ]
    outcomes = [
        {"claim_id": c["claim_id"], "needs_review": c["needs_review"], "decided_at": UPDATED}
        for c in claims
        if c["needs_review"] is not None
    ]
    return {"members": members, "providers": providers, "claims": claims, "claim_outcomes": outcomes}


SCHEMAS = {
    "members": pa.schema([
        ("member_token", pa.string()), ("age_band", pa.string()), ("sex", pa.string()),
        ("region", pa.string()), ("state", pa.string()), ("plan_type", pa.string()),
        ("chronic_conditions", pa.list_(pa.string())), ("chronic_condition_count", pa.int32()),
        ("enrollment_date", pa.date32()), ("updated_at", pa.timestamp("us", tz="UTC")),
    ]),
    "providers": pa.schema([
        ("provider_id", pa.string()), ("provider_name", pa.string()), ("specialty", pa.string()),
        ("region", pa.string()), ("network_status", pa.string()), ("updated_at", pa.timestamp("us", tz="UTC")),
    ]),
    "claims": pa.schema([
        ("claim_id", pa.string()), ("member_token", pa.string()), ("provider_id", pa.string()),
        ("service_date", pa.date32()), ("submission_date", pa.date32()), ("days_to_submit", pa.int32()),
        ("diagnosis_code", pa.string()), ("diagnosis_group", pa.string()), ("procedure_code", pa.string()),
        ("procedure_group", pa.string()), ("amount", pa.float64()), ("channel", pa.string()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]),
    "claim_outcomes": pa.schema([
        ("claim_id", pa.string()), ("needs_review", pa.int32()), ("decided_at", pa.timestamp("us", tz="UTC")),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]),
}


def to_arrow(table: str, rows: list[dict]) -> pa.Table:
    defaults = {"updated_at": UPDATED, "diagnosis_code": "E11.9", "diagnosis_group": "E",
                "procedure_code": "99213", "procedure_group": "evaluation"}
    schema = SCHEMAS[table]
    return pa.table({f.name: [r.get(f.name, defaults.get(f.name)) for r in rows] for f in schema}, schema=schema)


def write_silver(lake_root: Path, rows: dict[str, list[dict]]) -> None:
    for table in SILVER_TABLES:
        path = lake_root / "dev" / "silver" / table
        path.parent.mkdir(parents=True, exist_ok=True)
        write_deltalake(str(path), to_arrow(table, rows[table]), mode="overwrite")


# ---------------------------------------------------------------- expected figures (plain Python)


def expected_gold(rows: dict[str, list[dict]]) -> dict[str, dict]:
    claims = rows["claims"]
    as_of = max(c["submission_date"] for c in claims)
    window_start = as_of - dt.timedelta(days=89)
    decided = {o["claim_id"]: o["needs_review"] for o in rows["claim_outcomes"]}

    members = {}
    for m in rows["members"]:
        mine = [c for c in claims if c["member_token"] == m["member_token"]]
        recent = [c for c in mine if window_start <= c["submission_date"] <= as_of]
        dates = [c["submission_date"] for c in mine]
        members[m["member_token"]] = {
            "as_of_date": as_of, "claims_90d": len(recent), "amount_90d": sum(c["amount"] for c in recent),
            "claims_total": len(mine), "amount_total": sum(c["amount"] for c in mine),
            "first_claim_date": min(dates) if dates else None, "last_claim_date": max(dates) if dates else None,
            "age_band": m["age_band"], "region": m["region"], "chronic_condition_count": m["chronic_condition_count"],
        }

    providers = {}
    for p in rows["providers"]:
        mine = [c for c in claims if c["provider_id"] == p["provider_id"]]
        outcomes = [decided[c["claim_id"]] for c in mine if c["claim_id"] in decided]
        providers[p["provider_id"]] = {
            "specialty": p["specialty"], "region": p["region"], "network_status": p["network_status"],
            "claim_volume": len(mine), "total_amount": sum(c["amount"] for c in mine),
            "avg_amount": sum(c["amount"] for c in mine) / len(mine) if mine else None,
            "decided_claims": len(outcomes), "reviewed_claims": sum(outcomes),
            "review_rate": sum(outcomes) / len(outcomes) if outcomes else None,
        }

    by_day = defaultdict(list)
    for c in claims:
        by_day[c["submission_date"]].append(c)
    days = {}
    for day, mine in by_day.items():
        outcomes = [decided[c["claim_id"]] for c in mine if c["claim_id"] in decided]
        n = len(mine)
        days[day] = {
            "claims": n, "total_amount": sum(c["amount"] for c in mine),
            "avg_amount": sum(c["amount"] for c in mine) / n,
            "avg_days_to_submit": sum(c["days_to_submit"] for c in mine) / n,
            **{f"share_{ch}": sum(c["channel"] == ch for c in mine) / n for ch in ("edi", "portal", "paper")},
            "share_other": sum(c["channel"] not in ("edi", "portal", "paper") for c in mine) / n,
            "decided_claims": len(outcomes), "reviewed_claims": sum(outcomes),
            "review_rate": sum(outcomes) / len(outcomes) if outcomes else None,
        }
    return {"member_claim_history": members, "provider_scorecard": providers, "daily_claims_kpis": days}


# ---------------------------------------------------------------- running gold


def resources(lake_root: str = "") -> dict:
    return {"dbt": make_dbt_resource(), "spark": SparkEngine(kind="sail"), "lake": LakeResource(platform=Platform(), root=lake_root)}


def materialize_gold(lake_root: str = "", raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    return dg.materialize([gold_dbt_assets], resources=resources(lake_root), raise_on_error=raise_on_error)


def read_gold(lake_root: Path, model: str) -> list[dict]:
    return DeltaTable(str(lake_root / "dev" / "gold" / model)).to_pyarrow_table().to_pylist()


def by_key(rows: list[dict], key: str) -> dict:
    return {r[key]: r for r in rows}


def assert_same(actual: dict, expected: dict, where: str) -> None:
    for column, want in expected.items():
        got = actual[column]
        if isinstance(want, float) and want is not None:
            assert got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), (where, column, got, want)
        else:
            assert got == want, (where, column, got, want)


def check_results(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def materialization_metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {
        e.asset_key.path[-1]: {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }


@pytest.fixture(scope="module")
def gold_run(tmp_path_factory):
    """One materialization of all gold models over the known silver tables, LAKEGATE_HOME in tmp."""
    home = tmp_path_factory.mktemp("gold") / "lakegate-home"
    lake_root = home / "lake"
    rows = silver_rows()
    write_silver(lake_root, rows)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAKEGATE_HOME", str(home))
        mp.setenv("LAKEGATE_ENV", "local")
        mp.delenv("SPARK_REMOTE", raising=False)
        result = materialize_gold()  # lake root "" -> $LAKEGATE_HOME/lake
    return {"result": result, "lake_root": lake_root, "rows": rows, "expected": expected_gold(rows)}


# ---------------------------------------------------------------- tests


def test_gold_assets_are_defined_as_the_design_says():
    keys = {k.to_user_string() for k in gold_dbt_assets.keys}
    assert keys == {f"gold/{m}" for m in GOLD_MODELS}
    for key in gold_dbt_assets.keys:
        spec = gold_dbt_assets.specs_by_key[key]
        assert spec.group_name == "gold"
        assert set(spec.kinds) == GOLD_KINDS
        assert spec.description
        assert {d.asset_key.path[0] for d in spec.deps} == {"silver"}
    deps = {d.asset_key.to_user_string() for d in gold_dbt_assets.specs_by_key[dg.AssetKey(["gold", "provider_scorecard"])].deps}
    assert deps == {"silver/claims", "silver/claim_outcomes", "silver/providers"}
    assert all(spec.blocking for spec in gold_dbt_assets.check_specs)
    dg.Definitions(assets=[gold_dbt_assets], resources=resources()).resolve_asset_graph()


def test_gold_figures_match_the_silver_rows(gold_run):
    assert gold_run["result"].success
    lake_root, expected = gold_run["lake_root"], gold_run["expected"]

    members = by_key(read_gold(lake_root, "member_claim_history"), "member_token")
    assert set(members) == set(expected["member_claim_history"])
    for tok, want in expected["member_claim_history"].items():
        assert_same(members[tok], want, f"member {tok}")
    # Worked by hand: member A has 3 claims in 2025-10-03..2025-12-31 (the 2025-10-02 one is out).
    a = members[MEMBER_A]
    assert (a["claims_90d"], a["amount_90d"], a["claims_total"], a["amount_total"]) == (3, 250.0, 5, 300.0)
    assert (a["first_claim_date"], a["last_claim_date"], a["as_of_date"]) == (dt.date(2025, 1, 15), AS_OF, AS_OF)
    none = members[MEMBER_NONE]
    assert (none["claims_total"], none["amount_total"], none["first_claim_date"]) == (0, 0.0, None)

    providers = by_key(read_gold(lake_root, "provider_scorecard"), "provider_id")
    for pid, want in expected["provider_scorecard"].items():
        assert_same(providers[pid], want, f"provider {pid}")
    # By hand: P002 has C-A3 (review), C-A4 (no review), C-B1 (review) decided, C-B2 undecided.
    p2 = providers["P002"]
    assert (p2["claim_volume"], p2["decided_claims"], p2["reviewed_claims"]) == (4, 3, 2)
    assert math.isclose(p2["review_rate"], 2 / 3) and math.isclose(p2["avg_amount"], 47.5)
    assert providers["P003"]["review_rate"] is None  # a claim, none decided
    assert (providers["P004"]["claim_volume"], providers["P004"]["avg_amount"]) == (0, None)

    days = by_key(read_gold(lake_root, "daily_claims_kpis"), "submission_date")
    assert set(days) == set(expected["daily_claims_kpis"])
    for day, want in expected["daily_claims_kpis"].items():
        assert_same(days[day], want, f"day {day}")
    # By hand: 2025-12-01 has C-A2 (80, portal, 3 days, no review), C-B1 (60, edi, 5, review),
    # C-B2 (40, portal, 1, undecided).
    d = days[dt.date(2025, 12, 1)]
    assert (d["claims"], d["total_amount"], d["avg_amount"], d["avg_days_to_submit"]) == (3, 180.0, 60.0, 3.0)
    assert math.isclose(d["share_edi"], 1 / 3) and math.isclose(d["share_portal"], 2 / 3) and d["share_paper"] == 0.0
    assert (d["decided_claims"], d["reviewed_claims"], d["review_rate"]) == (2, 1, 0.5)


def test_gold_holds_no_personal_data(gold_run):
    lake_root = gold_run["lake_root"]
    forbidden_values = set(RAW_MEMBER_IDS) | set(PROVIDER_NAMES.values())
    for model in GOLD_MODELS:
        table = DeltaTable(str(lake_root / "dev" / "gold" / model)).to_pyarrow_table()
        for column in table.column_names:
            assert not any(marker in column.lower() for marker in PII_COLUMN_MARKERS), (model, column)
        for row in table.to_pylist():
            for column, value in row.items():
                if isinstance(value, str):
                    assert value not in forbidden_values, (model, column, value)
                    assert not SSN.search(value), (model, column, value)
                    assert not any(name.split()[-1] in value for name in PROVIDER_NAMES.values()), (model, column)


def test_dbt_tests_are_asset_checks_and_pass(gold_run):
    result = gold_run["result"]
    evaluations = check_results(result)
    defined = {spec.name for spec in gold_dbt_assets.check_specs}
    assert set(evaluations) == defined and len(defined) >= 25
    failed = {name: e.metadata for name, e in evaluations.items() if not e.passed}
    assert not failed
    for name in (
        checks.MEMBER_TOKEN_UNIQUE, checks.PROVIDER_ID_UNIQUE, checks.SUBMISSION_DATE_UNIQUE,
        checks.MEMBER_90D_WITHIN_TOTAL, checks.DAILY_CHANNEL_SHARES_SUM_TO_ONE,
        checks.PROVIDER_REVIEW_RATE_IN_RANGE, checks.DAILY_REVIEW_RATE_IN_RANGE, *checks.NO_PII_COLUMNS.values(),
    ):
        assert name in evaluations, name
    assert evaluations[checks.MEMBER_90D_WITHIN_TOTAL].asset_key == dg.AssetKey(["gold", "member_claim_history"])
    assert evaluations[checks.PROVIDER_REVIEW_RATE_IN_RANGE].asset_key == dg.AssetKey(["gold", "provider_scorecard"])


def test_materializations_record_delta_versions_written_and_silver_versions_read(gold_run):
    meta = materialization_metadata(gold_run["result"])
    lake = Lake(gold_run["lake_root"])
    assert set(meta) == set(GOLD_MODELS)
    for model in GOLD_MODELS:
        name = f"dev.gold.{model}"
        assert meta[model][f"delta_version/{name}"] == lake.version(name) == 0
        assert meta[model]["dagster/table_name"] == name
        assert meta[model]["dagster/row_count"] == lake.read_arrow(name).num_rows
    assert meta["member_claim_history"]["inputs"] == {"dev.silver.claims": 0, "dev.silver.members": 0}
    assert meta["provider_scorecard"]["inputs"] == {
        "dev.silver.claims": 0, "dev.silver.claim_outcomes": 0, "dev.silver.providers": 0,
    }


def test_checks_alone_run_against_the_existing_gold_tables(gold_run):
    """Re-running a model's checks is `dbt build --select <its tests>` in a fresh Spark session."""
    lake = Lake(gold_run["lake_root"])
    versions_before = {m: lake.version(f"dev.gold.{m}") for m in GOLD_MODELS}
    provider_checks = [s.key for s in gold_dbt_assets.check_specs if s.asset_key.path[-1] == "provider_scorecard"]
    job = dg.define_asset_job("provider_checks", selection=dg.AssetSelection.checks(*provider_checks))
    defs = dg.Definitions(assets=[gold_dbt_assets], jobs=[job], resources=resources(str(gold_run["lake_root"])))

    result = defs.resolve_job_def("provider_checks").execute_in_process()

    assert result.success
    assert not result.get_asset_materialization_events()
    evaluations = check_results(result)
    assert set(evaluations) == {k.name for k in provider_checks}
    assert all(e.passed for e in evaluations.values())
    assert {m: lake.version(f"dev.gold.{m}") for m in GOLD_MODELS} == versions_before


def test_rerun_writes_new_versions_and_reads_silver_pinned_to_the_recorded_version(gold_run, tmp_path, monkeypatch):
    """A silver write that lands after the versions are recorded is not read by this run."""
    from lakehouse_assets.gold import assets as gold_assets_module

    lake_root = tmp_path / "lake"
    shutil.copytree(gold_run["lake_root"], lake_root)  # silver v0 and gold v0 already there
    late_claim = _claim("C-LATE", MEMBER_A, "P001", dt.date(2026, 1, 20), 1, 999.0, "edi")
    original = gold_assets_module.GoldRunInputs

    class SilverChangesMeanwhile(original):
        @classmethod
        def resolve(cls, *args, **kwargs):
            inputs = original.resolve(*args, **kwargs)
            write_deltalake(str(lake_root / "dev" / "silver" / "claims"), to_arrow("claims", [late_claim]), mode="append")
            return inputs

    monkeypatch.setattr(gold_assets_module, "GoldRunInputs", SilverChangesMeanwhile)
    result = materialize_gold(str(lake_root))

    assert result.success
    lake = Lake(lake_root)
    assert lake.version("dev.silver.claims") == 1
    meta = materialization_metadata(result)
    for model in GOLD_MODELS:
        assert meta[model][f"delta_version/dev.gold.{model}"] == lake.version(f"dev.gold.{model}") == 1
        assert meta[model]["inputs"]["dev.silver.claims"] == 0
    a = by_key(read_gold(lake_root, "member_claim_history"), "member_token")[MEMBER_A]
    assert (a["as_of_date"], a["claims_total"], a["amount_total"]) == (AS_OF, 5, 300.0)
    assert dt.date(2026, 1, 20) not in by_key(read_gold(lake_root, "daily_claims_kpis"), "submission_date")


def test_duplicate_member_in_silver_fails_the_blocking_uniqueness_check(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEGATE_HOME", str(tmp_path / "home"))
    lake_root = tmp_path / "lake"
    rows = silver_rows()
    rows["members"].append({**rows["members"][0], "region": "west"})  # member A twice
    write_silver(lake_root, rows)

    result = materialize_gold(str(lake_root), raise_on_error=False)

    assert not result.success  # dbt build exits non-zero: the step fails
    evaluations = check_results(result)
    unique = evaluations[checks.MEMBER_TOKEN_UNIQUE]
    assert not unique.passed
    assert unique.severity == dg.AssetCheckSeverity.ERROR
    assert unique.asset_key == dg.AssetKey(["gold", "member_claim_history"])
    assert unique.metadata["dagster_dbt/failed_row_count"].value == 1
    spec = next(s for s in gold_dbt_assets.check_specs if s.name == checks.MEMBER_TOKEN_UNIQUE)
    assert spec.blocking
    # Only the uniqueness of member tokens is broken; the other models' checks still pass.
    assert [name for name, e in evaluations.items() if not e.passed] == [checks.MEMBER_TOKEN_UNIQUE]
    assert evaluations[checks.PROVIDER_REVIEW_RATE_IN_RANGE].passed


def test_missing_silver_table_fails_only_the_models_that_read_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEGATE_HOME", str(tmp_path / "home"))
    lake_root = tmp_path / "lake"
    rows = silver_rows()
    write_silver(lake_root, rows)
    shutil.rmtree(lake_root / "dev" / "silver" / "claim_outcomes")

    result = materialize_gold(str(lake_root), raise_on_error=False)

    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = str(failure.step_failure_data.error.message) + str(failure.step_failure_data.user_failure_data)
    assert "dev.silver.claim_outcomes" in message and "materialize silver first" in message

    # member_claim_history reads only members and claims: it can still be built on its own.
    history = dg.AssetKey(["gold", "member_claim_history"])
    alone = dg.materialize([gold_dbt_assets], selection=[history], resources=resources(str(lake_root)))
    assert alone.success
    assert [e.asset_key for e in alone.get_asset_materialization_events()] == [history]
    assert {e.asset_key for e in alone.get_asset_check_evaluations()} == {history}
    assert materialization_metadata(alone)["member_claim_history"]["inputs"] == {
        "dev.silver.claims": 0, "dev.silver.members": 0,
    }


def test_manifest_is_made_without_a_spark_connection(tmp_path, monkeypatch):
    """A fresh clone has no target/: `dbt parse` must work with no engine reachable."""
    from dagster_dbt import DbtProject

    from lakehouse_assets.gold.project import DBT_PROJECT_DIR, prepare_gold_project

    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=shutil.ignore_patterns("target", "logs"))
    for name in ("SPARK_REMOTE", "DBT_ENV_SECRET_LAKEGATE_SPARK_REMOTE", "DAGSTER_IS_DEV_CLI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SPARK_REMOTE", "sc://127.0.0.1:9")  # nothing listens there

    project = prepare_gold_project(DbtProject(project_dir=copy, profiles_dir=copy))

    assert project.manifest_path.is_file()
    manifest = json.loads(project.manifest_path.read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert models == set(GOLD_MODELS)
    assert {s["name"] for s in manifest["sources"].values()} == set(SILVER_TABLES)
