"""A process that inherited SIGTERM ignored gets its default back, so the `tail -F` processes Dagster
starts for a run's compute logs (and stops with SIGTERM) can be stopped."""

import subprocess
import sys

SCRIPT = """
import signal, subprocess
signal.signal(signal.SIGTERM, signal.SIG_IGN)
from lakegate.inherited_signals import restore_default_sigterm
restore_default_sigterm()
child = subprocess.Popen(["sleep", "30"])
child.terminate()
print(child.wait(timeout=5))
"""


def test_a_child_started_after_the_reset_dies_on_sigterm():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "-15"  # killed by SIGTERM, not still ignoring it
