"""Run the `lakegate` CLI in this process, as a user would, and capture what it says."""

import sys


def invoke_cli(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr with whitespace collapsed); the caller sets the environment."""
    from lakegate.cli.main import main

    monkeypatch.setattr(sys, "argv", ["lakegate", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, " ".join(out.err.split())
