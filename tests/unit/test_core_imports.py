"""The core (`lakegate/`) imports no asset or gate package: only the composition root
(`lakegate/definitions.py`) and the CLI (`lakegate/cli/`) join the layers."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "lakegate"
ASSET_PACKAGES = ("ml_assets", "lakehouse_assets", "gates")
JOINERS = {CORE / "definitions.py", *CORE.joinpath("cli").glob("*.py")}


def core_modules() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if p not in JOINERS)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):  # function-local imports too
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_core_module_names_an_asset_package_anywhere_in_its_code():
    offenders = {str(p.relative_to(CORE)): sorted(m for m in imported_modules(p) if m.split(".")[0] in ASSET_PACKAGES)
                 for p in core_modules()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_every_core_module_loads_no_asset_package():
    names = [".".join(p.relative_to(CORE.parent).with_suffix("").parts).removesuffix(".__init__") for p in core_modules()]
    script = ("import importlib, sys\n"
              f"for name in {names!r}:\n    importlib.import_module(name)\n"
              f"print(sorted(m for m in sys.modules if m.split('.')[0] in {ASSET_PACKAGES!r}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]", done.stdout


# Libraries a run needs and the graph's definitions do not: every `lakegate` command and the Dagster
# code location load the definitions, so these load with the asset that uses them (issue 16).
RUN_TIME_LIBRARIES = ("sklearn", "mlflow", "matplotlib", "pandera", "fairlearn", "scipy.stats")


@pytest.fixture(scope="module")
def code_location() -> dict:
    """In a fresh interpreter: the run-time libraries loaded by `import lakegate.definitions`, then
    (after a silver run's contract import, which loads pandera) PYARROW_IGNORE_TIMEZONE and how pyarrow
    stores 23:30 at UTC-5."""
    script = ("import datetime as dt, json, os, sys, pyarrow as pa\nimport lakegate.definitions\n"
              f"loaded = sorted(m for m in {RUN_TIME_LIBRARIES!r} if m in sys.modules)\n"
              "import lakehouse_assets.pandera_import\n"
              "t = dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))\n"
              "print(json.dumps({'loaded': loaded, 'pandera': 'pandera' in sys.modules, "
              "'variable': os.environ.get('PYARROW_IGNORE_TIMEZONE'), "
              "'stored': str(pa.array([t], pa.timestamp('us', tz='UTC'))[0])}))")
    env = {k: v for k, v in os.environ.items() if k != "PYARROW_IGNORE_TIMEZONE"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_loading_the_code_location_leaves_the_run_time_libraries_unloaded(code_location):
    assert code_location["loaded"] == []


def test_a_contract_check_leaves_pyarrow_converting_time_zones(code_location):
    # pandera sets PYARROW_IGNORE_TIMEZONE on import; with it set, aware datetimes lose their zone.
    assert code_location["pandera"]
    assert (code_location["variable"], code_location["stored"]) == (None, "2025-03-02 04:30:00+00:00")


def test_a_serving_worker_and_its_deployment_gate_load_no_orchestrator():
    """uvicorn imports the worker's composition in every worker it starts (and again after a crash):
    Dagster and the lake (about a second) are the orchestrator's, not a worker's."""
    script = ("import sys\nimport lakegate.cli.serving_app\n"
              "print(sorted(m for m in ('dagster', 'lakegate.lake', 'ml_assets.keys') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]", done.stdout


def test_the_command_line_and_the_serving_supervisor_load_no_orchestrator():
    """Every `lakegate` command imports the command line first, and the serving supervisor
    (`python -m lakegate.serving`, what `lakegate serve` becomes) starts the workers only after its
    own imports: Dagster, MLflow and Spark load with the command that uses them (1.3 s, then 0.3 s)."""
    script = ("import sys\nimport lakegate.cli.main, lakegate.serving.__main__\n"
              "print(sorted(m for m in ('dagster', 'mlflow', 'pyspark', 'sklearn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[]", done.stdout
