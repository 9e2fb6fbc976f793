"""Signal dispositions a process may inherit that Lakegate cannot work with (no Dagster import here:
every `lakegate` command and every test process calls this)."""

from __future__ import annotations

import signal
import threading


def restore_default_sigterm() -> None:
    """Give SIGTERM its default action again if this process inherited it ignored (seen in a CI
    runner's test workers). Dagster stops each run's compute-log `tail -F` processes with SIGTERM;
    they inherit an ignored SIGTERM across exec, so every run then waited 2 x 30 s for them and left
    them behind, holding the run's stdout. Main thread only (Python sets handlers there)."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
