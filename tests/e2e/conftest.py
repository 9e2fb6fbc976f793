"""One `lakegate demo` per session, shared by the tests that need its champion and online store."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

LAKEGATE = str(Path(sys.executable).with_name("lakegate"))


def run_cli(home: Path, *args: str, timeout: float = 600, **extra_env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAKEGATE_HOME": str(home), "LAKEGATE_ENV": "local", **extra_env}
    env.pop("LAKEGATE_PII_HMAC_KEY", None)  # local generates its own key, as on a laptop
    for inherited in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        env.pop(inherited, None)
    return subprocess.run([LAKEGATE, *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A fresh LAKEGATE_HOME after `lakegate demo` at its default size (the gates need the rows)."""
    home = tmp_path_factory.mktemp("demo-home")
    return home, run_cli(home, "demo")
