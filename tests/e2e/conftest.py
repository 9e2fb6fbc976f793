"""One `lakegate demo` per session, shared by the tests that need its champion and online store, and one
run of its closing monitoring loop on a copy, shared by the monitoring and dashboard tests."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from lakegate.trust import trust_dir

LAKEGATE = str(Path(sys.executable).with_name("lakegate"))
ARTIFACTS = Path(os.environ.get("LAKEGATE_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


def demo_env(home: Path, **extra_env: str) -> dict[str, str | None]:
    """A laptop's environment for `home`: local generates its own PII key, the embedded MLflow store."""
    return {"LAKEGATE_HOME": str(home), "LAKEGATE_ENV": "local", "LAKEGATE_PII_HMAC_KEY": None,
            "MLFLOW_TRACKING_URI": None, "MLFLOW_REGISTRY_URI": None, **extra_env}


def run_cli(home: Path, *args: str, timeout: float = 600, **extra_env: str) -> subprocess.CompletedProcess:
    """The command's output goes to files, not pipes: a process it leaves behind holding its output
    (seen: Dagster's `tail -F` of a step's compute log) must not keep the test waiting once it exits."""
    env = {k: v for k, v in {**os.environ, **demo_env(home, **extra_env)}.items() if v is not None}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        done = subprocess.run([LAKEGATE, *args], env=env, stdout=out, stderr=err, text=True, timeout=timeout)
        out.seek(0), err.seek(0)
        return subprocess.CompletedProcess(done.args, done.returncode, out.read(), err.read())


def cli_in_process(home: Path, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """As run_cli, in this process (for the many short commands of one test)."""
    from tests.cli import run_in_process

    return run_in_process(demo_env(home, **extra_env), *args)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A fresh LAKEGATE_HOME after `lakegate demo` at its default size (the gates need the rows)."""
    home = tmp_path_factory.mktemp("demo-home")
    return home, run_cli(home, "demo", "--loop", "no")  # the loop runs on a copy (tests/e2e/test_monitoring.py)


@pytest.fixture(scope="session")
def looped(demo, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The closing loop (`lakegate demo --loop only`) on a copy of the session's demo home and its trust
    directory, so the other end-to-end tests keep the demo's state as it was."""
    home, result = demo
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    copy = tmp_path_factory.mktemp("looped") / "home"
    shutil.copytree(home, copy, symlinks=True)
    shutil.copytree(trust_dir(home), trust_dir(copy), symlinks=True)
    result = run_cli(copy, "demo", "--loop", "only", timeout=900)
    # what the loop printed, for the one reading a failed run (a loaded machine can fail the second canary)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "demo-loop.log").write_text(result.stdout + "\n--- stderr ---\n" + result.stderr)
    return copy, result
