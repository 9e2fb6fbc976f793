"""Leaving a command's process without the interpreter's teardown. delta-rs's runtime can abort the
process while it is torn down after a read (SIGABRT, "terminate called without an active
exception"; a known upstream bug), turning a command that succeeded into exit -6."""

from __future__ import annotations

import logging
import os
import sys


def exit_without_teardown(code: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    logging.shutdown()
    os._exit(code)
