"""The demo's replayed traffic backs off when nobody answers, so it does not starve a server
restarting on the same machine (the rollback drill's recovery)."""

import time

from lakegate.serving.process import free_port
from lakegate.serving.replay import RETRY_PAUSE_SECONDS, Replay


def test_refused_requests_are_retried_after_a_pause_not_in_a_tight_loop():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    replay = Replay(url, "claims-triage", "token", [b"{}"], concurrency=4).start()
    time.sleep(0.5)
    statuses = replay.stop()
    attempts_per_thread = 0.5 / RETRY_PAUSE_SECONDS + 2
    assert set(statuses) == {"ConnectionError"}
    assert 4 <= statuses["ConnectionError"] <= 4 * attempts_per_thread, statuses
