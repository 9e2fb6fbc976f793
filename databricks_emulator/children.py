"""Child processes that never outlive the emulator: they get SIGTERM when it dies, however it dies."""

from __future__ import annotations

import ctypes
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
# The death signal fires when the *thread* that forked the child ends, not the process: a child
# forked on a request thread (anyio's workers end after 10 s idle) was killed long before the
# emulator stopped. Every child is forked on this one thread, which lives as long as the process.
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-spawner")


def _die_with_parent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(command: list[str], **options) -> subprocess.Popen:
    """subprocess.Popen in a session of its own, tied to this process' life (Linux prctl)."""
    return _SPAWNER.submit(subprocess.Popen, command, start_new_session=True, preexec_fn=_die_with_parent,
                           **options).result()
