"""Child processes that never outlive the emulator: they get SIGTERM when it dies, however it dies."""

from __future__ import annotations

import ctypes
import signal
import subprocess

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(command: list[str], **options) -> subprocess.Popen:
    """subprocess.Popen in a session of its own, tied to this process' life (Linux prctl)."""
    return subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent, **options)
