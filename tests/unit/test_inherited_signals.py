"""A process that inherited SIGINT or SIGTERM ignored gets their defaults back, so the `tail -F`
processes Dagster starts for a run's compute logs (and stops with SIGTERM) can be stopped, also after
a run: Dagster maps SIGTERM to SIGINT's handler when a run ends."""

import subprocess
import sys

import pytest

STARTED_IN_THE_BACKGROUND = """
import signal, subprocess
signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell without job control starts `cmd &`
signal.signal(signal.SIGTERM, signal.SIG_IGN)
"""

RESET = """
from lakegate.inherited_signals import restore_default_stop_signals
restore_default_stop_signals()
"""

AFTER_A_DAGSTER_RUN = """
import dagster as dg

@dg.asset
def one():
    return 1

assert dg.materialize([one]).success
"""

# What becomes of a child sent SIGTERM: its exit code, or "ignored" when it is still running.
TERMINATED_CHILD = """
child = subprocess.Popen(["sleep", "30"])
child.terminate()
try:
    print(child.wait(timeout=1))
except subprocess.TimeoutExpired:
    child.kill()
    print("ignored")
"""


def _child_fate(*parts: str) -> str:
    done = subprocess.run([sys.executable, "-c", "".join(parts)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_child_started_after_the_reset_dies_on_sigterm():
    assert _child_fate(STARTED_IN_THE_BACKGROUND, RESET, TERMINATED_CHILD) == "-15"  # killed, not ignoring it


def test_without_the_reset_the_child_ignores_sigterm():
    """The case the reset exists for (the test above would pass vacuously if the child could not ignore it)."""
    assert _child_fate(STARTED_IN_THE_BACKGROUND, TERMINATED_CHILD) == "ignored"


@pytest.mark.integration
def test_a_child_started_after_a_dagster_run_dies_on_sigterm():
    assert _child_fate(STARTED_IN_THE_BACKGROUND, RESET, AFTER_A_DAGSTER_RUN, TERMINATED_CHILD) == "-15"
