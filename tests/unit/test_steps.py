"""The step registry (lakegate/steps.py), what a Databricks task is told and reports
(lakegate/cli/step.py), and Lakegate's wheel (lakegate/wheel.py)."""

import base64
import csv
import hashlib
import io
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import dagster as dg
import pytest

from lakegate.cli.step import ClusterMessageWriter, PromptClosingChannel, pipes_metadata
from lakegate.engine import step_results
from lakegate.steps import (StepCheck, StepInvocation, StepResult, UnknownStep, registered_step, run_registered_step,
                            step)
from lakegate.wheel import build_wheel

REPO = Path(__file__).resolve().parents[2]


class Log:
    def __init__(self):
        self.lines = []

    def info(self, line):
        self.lines.append(line)


@step("test.count_parameters")
def count_parameters(spark, lake, catalog, parameters):
    return StepResult({"catalog": catalog, "parameters": len(parameters)},
                      checks=(StepCheck("enough", len(parameters) > 1, "WARN", {"seen": len(parameters)}),),
                      messages=(f"counted {len(parameters)}",))


def test_a_step_runs_by_name_and_its_duration_is_added():
    result = run_registered_step("test.count_parameters", None, None, "dev", {"a": 1, "b": 2})
    assert result.metadata["catalog"] == "dev" and result.metadata["parameters"] == 2
    assert isinstance(result.metadata["seconds"], float) and result.messages == ("counted 2",)


def test_an_unknown_step_names_the_registered_ones_and_a_second_function_under_one_name_is_refused():
    with pytest.raises(UnknownStep, match="no step named 'test.missing'; registered: .*test.count_parameters"):
        registered_step("test.missing")
    with pytest.raises(ValueError, match="registered twice"):
        step("test.count_parameters")(lambda spark, lake, catalog, parameters: StepResult({}))
    assert step("test.count_parameters")(count_parameters) is count_parameters  # re-importing the module is fine


def test_the_in_process_results_carry_metadata_checks_and_messages():
    log = Log()
    materialized, check = step_results(run_registered_step("test.count_parameters", None, None, "dev", {"a": 1}), log)
    assert materialized.asset_key is None and materialized.metadata["parameters"] == 1 and log.lines == ["counted 1"]
    assert (check.asset_key, check.check_name, check.passed, check.severity) == (None, "enough", False, dg.AssetCheckSeverity.WARN)
    assert check.metadata["seen"].value == 1


def test_a_multi_asset_step_names_each_asset_and_the_checked_one():
    result = StepResult({"rows": 2}, checks=(StepCheck("conserved", True),), warnings=("healed",), asset="silver/x",
                        other_assets={"quarantine/x": {"rows": 1}})
    log = Log()
    log.warning = log.info
    silver, quarantine, check = step_results(result, log)
    assert (silver.asset_key, quarantine.asset_key, check.asset_key) == (
        dg.AssetKey(["silver", "x"]), dg.AssetKey(["quarantine", "x"]), dg.AssetKey(["silver", "x"]))
    assert quarantine.metadata == {"rows": 1} and log.lines == ["healed"]


def test_the_task_arguments_round_trip_and_pipes_gets_json_values_typed():
    invocation = StepInvocation("lakehouse.derived_table", "prod", "/lake", {"table": "machine_days"})
    assert StepInvocation.from_arguments(invocation.arguments()) == invocation
    with pytest.raises(ValueError, match="a step name and its JSON arguments"):
        StepInvocation.from_arguments(["only-a-name"])
    assert pipes_metadata({"rows": 3, "inputs": {"dev.silver.x": 2}, "first_build": True}) == {
        "rows": 3, "inputs": {"raw_value": {"dev.silver.x": 2}, "type": "json"}, "first_build": True}


def test_every_asset_package_registers_its_steps_where_the_task_entry_point_looks():
    # ... and a task imports no dbt until it runs the dbt step: neither the project (gold's assets and
    # project modules parse it) nor dagster-dbt (1.5 s, which every other step's task would pay), and no
    # Dagster at all (0.8 s): a task talks to the orchestrator through dagster-pipes alone
    script = ("import json, sys, lakegate.cli.step, lakegate.steps as s\n"
              "print(json.dumps([s.step_names(), sorted(m for m in sys.modules if m.startswith(('lakehouse_assets.gold', 'dagster_dbt')) or m == 'dagster')]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    steps, gold_modules = json.loads(done.stdout)
    assert steps == ["lakehouse.dbt_gold", "lakehouse.derived_table", "lakehouse.silver_table", "ml.feature_view",
                     "ml.training_set"]
    assert not {"lakehouse_assets.gold.step", "lakehouse_assets.gold.assets", "lakehouse_assets.gold.project",
                "dagster_dbt", "dagster"} & set(gold_modules)


def test_a_tasks_messages_all_reach_dbfs_in_order_as_soon_as_pipes_closes(tmp_path):
    made = ClusterMessageWriter(interval=60).make_channel({"path": "/tmp/pipes-messages"})  # what a task uses
    assert isinstance(made, PromptClosingChannel) and made._path == "/dbfs/tmp/pipes-messages"
    channel = PromptClosingChannel(path=str(tmp_path), interval=60)
    messages = [{"method": "log", "params": {"message": f"line {i}"}} for i in range(5)]
    with channel.buffered_upload_loop():  # dagster-pipes' context: its thread runs our _upload_loop
        for message in messages[:2]:
            channel.write_message(message)
        time.sleep(0.05)
        for message in messages[2:]:
            channel.write_message(message)
        closing = time.monotonic()
    closed_in = time.monotonic() - closing
    chunks = sorted(tmp_path.glob("*.json"), key=lambda p: int(p.stem))
    written = [json.loads(line) for chunk in chunks for line in chunk.read_text().splitlines()]
    assert written == messages and [p.name for p in chunks] == ["1.json"]  # one chunk: the interval never came
    # dagster-pipes' own loop sleeps a whole second after its last upload, so it can never close this fast
    assert closed_in < 1.0, closed_in


@pytest.fixture(scope="module")
def wheel():
    return build_wheel()


def test_the_wheel_ships_the_product_packages_and_their_data_but_not_the_emulator(wheel):
    names = zipfile.ZipFile(io.BytesIO(wheel.contents)).namelist()
    assert wheel.filename == "lakegate-0.1.0-py3-none-any.whl"
    assert {name.split("/")[0] for name in names} == {"lakegate", "lakehouse_assets", "ml_assets", "gates",
                                                       "lakegate-0.1.0.dist-info"}
    shipped = {p.relative_to(REPO).as_posix() for package in ("lakegate", "ml_assets")
               for p in (REPO / package).rglob("*.py") if "__pycache__" not in p.parts}
    assert shipped <= set(names)
    assert {"lakehouse_assets/dbt_project/dbt_project.yml", "lakegate/dashboard/vendor/vega.min.js",
            "gates/policies/governance.example.yaml"} <= set(names)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_the_wheel_metadata_names_the_entry_points_and_records_every_file(wheel):
    archive = zipfile.ZipFile(io.BytesIO(wheel.contents))
    info = "lakegate-0.1.0.dist-info"
    assert "lakegate-step = lakegate.cli.step:main" in archive.read(f"{info}/entry_points.txt").decode()
    assert "Requires-Dist: dagster==1.13.27" in archive.read(f"{info}/METADATA").decode()
    record = list(csv.reader(io.StringIO(archive.read(f"{info}/RECORD").decode())))
    assert sorted(row[0] for row in record) == sorted(archive.namelist())
    for name, digest, size in record:
        if name != f"{info}/RECORD":
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert (digest, int(size)) == (f"sha256={expected}", len(data)), name


def test_equal_code_gives_an_equal_wheel_and_a_change_a_new_volume_folder(wheel, tmp_path):
    assert build_wheel().contents == wheel.contents
    assert wheel.volume_path("prod") == f"/Volumes/prod/lakegate/wheels/{wheel.sha256[:16]}/{wheel.filename}"
    (tmp_path / "gates").mkdir()
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    (tmp_path / "gates" / "__init__.py").write_text("")
    first = build_wheel(tmp_path)
    (tmp_path / "gates" / "__init__.py").write_text("CHANGED = True\n")
    assert build_wheel(tmp_path).volume_path("prod") != first.volume_path("prod")
