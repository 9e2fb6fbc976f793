"""What keeps `lakegate serve` restartable after any crash, with no hand cleanup.

- A worker asks the kernel for SIGTERM when its supervisor dies (Linux `PR_SET_PDEATHSIG`), so a
  killed supervisor never leaves workers serving with no drainer; SIGTERM is their graceful stop
  (finish the requests in flight, seal the spool file).
- A starting server sends SIGTERM to workers of this home whose supervisor is dead (should the
  kernel's signal have been missed), then waits for the port instead of failing "address in use".
- Metric files of dead servers (`serving/prometheus/<pid>`) are removed at start, and a dead
  worker's live gauges and status file are dropped by its supervisor's drain loop.
"""

from __future__ import annotations

import ctypes
import errno
import json
import logging
import os
import shutil
import signal
import socket
import time
from pathlib import Path

from lakegate.serving.worker_status import workers_dir

_logger = logging.getLogger(__name__)

SUPERVISOR_ENV = "LAKEGATE_SERVE_SUPERVISOR_PID"
_PR_SET_PDEATHSIG = 1


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, and not ours to judge
        return True
    return True


def exit_with_supervisor(supervisor: int) -> None:
    """In a worker: SIGTERM this process when the supervisor dies (and now, if it already has).
    With one worker uvicorn serves in the supervisor itself: nothing to do."""
    if supervisor == os.getpid():
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            _logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except (OSError, AttributeError):  # not Linux: the starting server's orphan sweep still applies
        _logger.warning("cannot ask to be stopped with the supervisor on this platform")
    if os.getppid() != supervisor:  # it died before the request above took effect
        os.kill(os.getpid(), signal.SIGTERM)


def stop_orphaned_workers(home: Path, wait_seconds: float = 15.0) -> list[int]:
    """SIGTERM live workers of this home whose supervisor is dead; wait for them to exit."""
    orphans = []
    for path in workers_dir(home).glob("*.json"):
        try:
            doc = json.loads(path.read_text())
            pid, supervisor = int(doc["pid"]), int(doc["supervisor"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if alive(pid) and not alive(supervisor):
            orphans.append(pid)
            _logger.warning("stopping worker %d left by a dead server (supervisor %d)", pid, supervisor)
            _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait_seconds
    while any(alive(p) for p in orphans) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in orphans:
        if alive(pid):
            _signal(pid, signal.SIGKILL)
    return orphans


def wait_for_port(host: str, port: int, seconds: float) -> None:
    """Return once `host:port` can be bound (as uvicorn binds it), or raise after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
                return
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or time.monotonic() >= deadline:
                    raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror} "
                                             f"(waited {seconds:.0f} s for it to be free)") from None
        time.sleep(0.1)


def remove_dead_servers_metrics(root: Path) -> list[Path]:
    """Remove `<root>/<pid>` metric folders whose server is no longer running."""
    removed = []
    if not root.is_dir():
        return removed
    for folder in root.iterdir():
        if folder.is_dir() and folder.name.isdigit() and not alive(int(folder.name)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def forget_dead_workers(home: Path, supervisor: int) -> list[int]:
    """In a supervisor: drop the live gauges and status file of each of its workers that died."""
    from lakegate.serving.metrics import mark_worker_dead

    dead = []
    for path in workers_dir(home).glob("*.json"):
        try:
            doc = json.loads(path.read_text())
            pid = int(doc["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if doc.get("supervisor") == supervisor and not alive(pid):
            mark_worker_dead(pid)
            path.unlink(missing_ok=True)
            dead.append(pid)
    return dead


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
