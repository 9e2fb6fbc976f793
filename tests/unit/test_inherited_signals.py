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
from lakegate.inherited_signals import restore_default_stop_signals
restore_default_stop_signals()
"""

CHILD_AFTER = """
child = subprocess.Popen(["sleep", "30"])
child.terminate()
print(child.wait(timeout=5))
"""

AFTER_A_DAGSTER_RUN = """
import dagster as dg

@dg.asset
def one():
    return 1

assert dg.materialize([one]).success
"""


def _child_exit(script: str) -> str:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_child_started_after_the_reset_dies_on_sigterm():
    assert _child_exit(STARTED_IN_THE_BACKGROUND + CHILD_AFTER) == "-15"  # killed, not still ignoring it


def test_without_the_reset_the_child_ignores_sigterm():
    """The case the reset exists for (the test above would pass vacuously if the child could not ignore it)."""
    script = (STARTED_IN_THE_BACKGROUND.replace("restore_default_stop_signals()", "")
              + CHILD_AFTER.replace("child.wait(timeout=5)", "child.poll() is None and (child.kill() or 'ignored')"))
    script = script.replace("child.terminate()", "child.terminate(); import time; time.sleep(0.5)")
    assert _child_exit(script) == "ignored"


@pytest.mark.integration
def test_a_child_started_after_a_dagster_run_dies_on_sigterm():
    assert _child_exit(STARTED_IN_THE_BACKGROUND + AFTER_A_DAGSTER_RUN + CHILD_AFTER) == "-15"
