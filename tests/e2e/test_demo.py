"""End to end: `lakegate demo` in a fresh LAKEGATE_HOME, as a newcomer runs it (a real process)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import LAKEGATE, cli_in_process, run_cli

pytestmark = pytest.mark.e2e


def test_demo_builds_landing_to_gold_and_tables_can_be_inspected(demo):
    tmp_path, demo = demo
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "0 at ERROR severity" in demo.stdout
    said = " ".join(demo.stdout.split())  # rich wraps long lines
    assert "signed off by cab.chair" in said and "signed: mo.risk approves" in said
    assert "trained by ana.trainer" in said and "policies signed by the demo governance owner" in said
    assert "champion: prod.claims.triage_model v1" in " ".join(demo.stdout.split())
    for table in ("dev.bronze.claims", "dev.silver.claims", "dev.quarantine.claims", "dev.gold.provider_scorecard"):
        assert (tmp_path / "lake" / Path(*table.split("."))/ "_delta_log").is_dir(), table
    assert (tmp_path / "secrets" / "pii_hmac.key").is_file()
    assert "dagster dev" in demo.stdout

    shown = cli_in_process(tmp_path, "table", "show", "dev.silver.claims", "--limit", "3")
    assert shown.returncode == 0 and "dev.silver.claims version 0" in shown.stdout
    history = cli_in_process(tmp_path, "table", "history", "dev.bronze.claims")
    assert history.returncode == 0 and "WRITE" in history.stdout

    again = cli_in_process(tmp_path, "materialize", "group:bronze")
    assert again.returncode == 0 and "already" not in again.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (("table", "show", "silver.claims"), "must be catalog.schema.table"),
        (("table", "show", "dev.silver.nope"), "does not exist"),
        (("materialize", "group:nope"), "matched no asset"),
        (("data", "generate", "--claims", "0"), "at least 1"),
        (("data", "generate", "--dirty", "1.5"), "between 0 and 1"),
    ],
)
def test_bad_input_gets_a_clear_error_and_non_zero_exit(tmp_path, args, message):
    result = cli_in_process(tmp_path, *args)
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_unknown_environment_is_refused(tmp_path):
    env = {**os.environ, "LAKEGATE_HOME": str(tmp_path), "LAKEGATE_ENV": "staging"}
    result = subprocess.run([LAKEGATE, "materialize"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "unknown environment 'staging'" in result.stderr


def test_a_failed_run_exits_non_zero(tmp_path):
    """A fail-action expectation stops silver: the command must say so with a non-zero exit."""
    landing = tmp_path / "landing" / "claims"
    landing.mkdir(parents=True)
    (landing / "c.csv").write_text(
        "claim_id,member_id,provider_id,service_date,submission_date,diagnosis_code,procedure_code,amount,channel,updated_at\n"
        "C1,M1,P1,2026-01-02,2026-01-05,E11.9,99213,2500000000,edi,2026-01-05 10:00:00\n"
    )
    result = cli_in_process(tmp_path, "materialize", "key:bronze/claims or key:silver/claims")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "amount_below_circuit_breaker" in result.stdout + result.stderr


def test_the_manufacturer_reaches_a_served_champion_traceable_to_its_sensor_files(demo):
    home, result = demo
    said = " ".join(result.stdout.split())
    assert "champion: prod.maintenance.failure_model v1" in said and "scored on machine-failure" in said
    assert "signed: re.reliability approves test.maintenance.failure_model v1" in said  # its own roles
    lineage = cli_in_process(home, "model", "lineage", "prod.maintenance.failure_model", "1", "--json")
    assert lineage.returncode == 0, lineage.stderr
    files = []

    def walk(node):
        files.extend(node.get("files", []))
        for upstream in node.get("inputs", []):
            walk(upstream)

    walk(json.loads(lineage.stdout)["training_set"])
    sensor_files = [f for f in files if f["path"].startswith("sensor_readings/")]
    assert sensor_files and all(len(f["content_hash"]) == 64 for f in sensor_files)
    # A served prediction's inference-log row names the model version whose lineage that is.
    from deltalake import DeltaTable

    log = DeltaTable(str(home / "lake" / "dev" / "serving" / "machine_failure_inference_log")).to_pandas()
    served = log[log["status_code"] == 200]
    assert set(zip(served["model_name"], served["model_version"])) == {("prod.maintenance.failure_model", "1")}
