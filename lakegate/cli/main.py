"""`lakegate`: the command line. Each command has --help and exits non-zero with a clear message."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from lakegate.cli import (alerts, approve, audit, cost, dashboard, data, demo, drill, emulator, endpoint, materialize,
                          model, monitor, policy, tables)
from lakegate.process_exit import exit_without_teardown

app = typer.Typer(
    name="lakegate",
    help="Lakegate: take a model from pilot to production, safely, repeatedly and auditably.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data.app, name="data")
app.add_typer(tables.app, name="table")
app.add_typer(model.app, name="model")
app.add_typer(audit.app, name="audit")
app.command("materialize")(materialize.materialize_command)
app.command("demo")(demo.demo_command)
app.command("approve")(approve.approve_command)
app.add_typer(approve.change_app, name="change")
app.add_typer(endpoint.app, name="endpoint")
app.add_typer(policy.app, name="policy")
app.add_typer(alerts.app, name="alerts")
app.add_typer(cost.app, name="cost")
app.add_typer(monitor.app, name="monitor")
app.command("drill")(drill.drill_command)
app.command("serve")(endpoint.serve_command)
app.command("dashboard")(dashboard.dashboard_command)
app.command("databricks-emulator")(emulator.databricks_emulator_command)

err = Console(stderr=True)


def main() -> None:
    from lakegate.cli.errors import user_errors
    from lakegate.inherited_signals import restore_default_stop_signals

    restore_default_stop_signals()

    try:
        # Outside standalone mode click returns (not raises) the code of a typer.Exit: pass it on.
        code = app(standalone_mode=False)
    except user_errors() as exc:  # evaluated only when a command raises
        # Unfolded (a path or a name in the message stays whole to copy) and not read as markup.
        err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(2)
    except (typer.Exit, SystemExit) as exc:
        sys.exit(getattr(exc, "exit_code", getattr(exc, "code", 0)))
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click's own usage errors carry their exit code
        import click
        from typer._click.exceptions import ClickException as TyperClickException  # typer bundles its own click

        if isinstance(exc, (click.ClickException, TyperClickException)):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


def run_main() -> int:
    """main(), returning the exit code it ends with instead of raising it."""
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def entry() -> None:
    """The `lakegate` command: main(), then leave without the interpreter's teardown (process_exit.py)."""
    exit_without_teardown(run_main())


if __name__ == "__main__":
    entry()
