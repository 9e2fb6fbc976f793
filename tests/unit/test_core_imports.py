"""The core (`lakegate/`) imports no asset or gate package: only the composition root
(`lakegate/definitions.py`) and the CLI (`lakegate/cli/`) join the layers."""

import ast
import os
import subprocess
import sys
from pathlib import Path

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


def test_loading_the_code_location_leaves_pyarrow_converting_time_zones():
    # pandera sets PYARROW_IGNORE_TIMEZONE on import; with it set, aware datetimes lose their zone.
    script = ("import datetime as dt, os, pyarrow as pa\nimport lakegate.definitions\n"
              "t = dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))\n"
              "print(os.environ.get('PYARROW_IGNORE_TIMEZONE'), pa.array([t], pa.timestamp('us', tz='UTC'))[0])")
    env = {k: v for k, v in os.environ.items() if k != "PYARROW_IGNORE_TIMEZONE"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["None", "2025-03-02", "04:30:00+00:00"]
