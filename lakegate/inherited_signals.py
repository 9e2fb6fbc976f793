"""Signal dispositions a process may inherit that Lakegate cannot work with (no Dagster import here:
every `lakegate` command and every test process calls this).

A shell without job control starts a background command (`lakegate demo &`, a CI runner's steps)
with SIGINT and SIGQUIT ignored, and some runners hand on SIGTERM ignored too. Dagster maps SIGTERM to
whatever SIGINT does (k8s semantics, `dagster._utils.interrupts`): with SIGINT ignored, every run
leaves the process with SIGTERM ignored once it ends. Then the `tail -F` processes Dagster starts for
a later run's compute logs (stopped with SIGTERM, `execute_posix_tail`) inherit it across exec, the
run waits 2 x 30 s for them at its end, and they stay behind. Seen: the demo loop's machine-failure
monitor run took 61.5 s for a 1.1 s step in a suite started in the background. The trade-off: such a
command now stops on a Ctrl-C meant for its shell's foreground job, as a foreground one does."""

from __future__ import annotations

import signal
import threading


def restore_default_stop_signals() -> None:
    """SIGINT raises KeyboardInterrupt and SIGTERM stops the process again, if either was inherited
    ignored. Main thread only (Python sets handlers there)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
