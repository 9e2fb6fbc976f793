"""Children of the emulator outlive the request thread that started them (Linux' death signal is per thread)."""

from __future__ import annotations

import sys
import threading
import time

from databricks_emulator.children import spawn


def test_a_child_started_on_a_thread_that_ends_keeps_running():
    started = []
    thread = threading.Thread(target=lambda: started.append(spawn([sys.executable, "-c", "import time; time.sleep(30)"])))
    thread.start()
    thread.join()
    time.sleep(0.5)  # a death signal tied to the ended thread would have arrived by now
    child = started[0]
    try:
        assert child.poll() is None
    finally:
        child.kill()
        child.wait(10)
