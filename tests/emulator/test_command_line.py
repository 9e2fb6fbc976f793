"""`python -m databricks_emulator` and `lakegate databricks-emulator` refuse bad arguments with a clear message
and a non-zero exit (the session's emulator is started by `lakegate databricks-emulator`: conftest.py)."""

import os
import socket
import subprocess
import sys

import pytest

from tests.cli import run_in_process
from tests.emulator.conftest import REPO

pytestmark = pytest.mark.integration  # each case starts the real entry point (it loads MLflow and Sail)


def run_emulator(*arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "databricks_emulator", *arguments], capture_output=True,
                          text=True, env=env, timeout=120)


def test_a_root_that_is_a_file_or_a_port_out_of_range_is_refused(tmp_path):
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    done = run_emulator("--root", str(target))
    assert done.returncode == 2 and "is not a folder" in done.stderr
    done = run_emulator("--root", str(tmp_path), "--port", "70000")
    assert done.returncode == 2 and "--port must be 0..65535" in done.stderr


def test_a_port_in_use_ends_with_exit_code_1_says_why_and_creates_nothing(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = run_emulator("--root", str(tmp_path / "root"), "--port", str(taken.getsockname()[1]))
    assert done.returncode == 1 and "cannot start" in done.stderr
    assert not (tmp_path / "root").exists()


def test_lakegate_databricks_emulator_refuses_bad_arguments_before_starting_anything(tmp_path):
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    done = run_in_process({}, "databricks-emulator", "--root", str(target))
    assert done.returncode == 2 and "is not a folder" in done.stderr
    done = run_in_process({}, "databricks-emulator", "--root", str(tmp_path), "--port", "70000")
    assert done.returncode == 2 and "--port must be 0..65535" in done.stderr
    done = run_in_process({}, "databricks-emulator", "--root", str(tmp_path), "--serving-update-seconds", "-1")
    assert done.returncode == 2 and "must not be negative" in done.stderr
