"""Run the `lakegate` CLI in this process, as a user would, and capture what it says."""

import contextlib
import io
import subprocess
import sys

import pytest


def invoke_cli(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr with whitespace collapsed); the caller sets the environment."""
    done = run_in_process({}, *args)
    return done.returncode, done.stdout, " ".join(done.stderr.split())


def run_in_process(env: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
    """`lakegate ARGS` in this process with `env` set (None unsets), as a CompletedProcess: what a
    subprocess would give, without paying Python's and Dagster's start-up for every command."""
    from lakegate.cli.main import run_main
    from lakegate.environment import current_environment

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        for name, value in env.items():
            if value is None:
                mp.delenv(name, raising=False)
            else:
                mp.setenv(name, value)
        mp.setattr(sys, "argv", ["lakegate", *args])
        current_environment.cache_clear()
        try:
            code = run_main()
        finally:
            current_environment.cache_clear()
    return subprocess.CompletedProcess(["lakegate", *args], code, out.getvalue(), err.getvalue())
