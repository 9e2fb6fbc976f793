"""The serving supervisor's own main module: `lakegate serve` checks its options, prints where it
serves, and then becomes `python -m lakegate.serving '<options as JSON>'` (server.become_supervisor),
so the workers uvicorn spawns import the serving runtime and not the whole command line."""

from __future__ import annotations

import json
import sys

from lakegate.environment import ConfigError
from lakegate.inherited_signals import restore_default_stop_signals
from lakegate.process_exit import exit_without_teardown
from lakegate.serving.server import ServeOptions, serve


def main(argv: list[str]) -> int:
    restore_default_stop_signals()
    if len(argv) != 1:
        print("usage: lakegate serve [OPTIONS] (this module is what it runs)", file=sys.stderr)
        return 2
    options = ServeOptions(**json.loads(argv[0]))
    try:
        drained = serve(options)
    except (ConfigError, OSError) as exc:  # a bad setting or a port that stays taken: the user's to fix
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("stopped; inference log rows written at shutdown: "
          + (", ".join(f"{k}={v}" for k, v in drained.items()) or "none"))
    return 0


if __name__ == "__main__":
    exit_without_teardown(main(sys.argv[1:]))  # delta-rs can abort in teardown (lakegate/process_exit.py)
