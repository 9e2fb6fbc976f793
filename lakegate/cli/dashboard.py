"""`lakegate dashboard`: the read-only web page per model on 127.0.0.1, behind its token."""

from __future__ import annotations

import os
from typing import Optional

import typer


def open_dashboard(home, env):
    """The Dashboard over this home, its facts from the use cases, policies and the Dagster instance."""
    from lakegate.cli.dashboard_facts import facts_source
    from lakegate.dashboard import Dashboard
    from lakegate.definitions import defs
    from lakegate.lake import Lake
    from lakegate.registry import Registry
    from lakegate.run import persistent_instance

    check_keys = list(defs.resolve_asset_graph().asset_check_keys)
    source = facts_source(env, Lake(home / "lake"), persistent_instance(), check_keys)
    return Dashboard(home, env, source, Registry.from_env(home=home))


def dashboard_command(port: Optional[int] = typer.Option(None, help="Port on 127.0.0.1 (default: the environment's "
                                                                     "dashboard.port, 8050)")) -> None:
    """Serve the overview and a page per model on 127.0.0.1 until Ctrl-C; read-only, behind a bearer token."""
    from lakegate.dashboard import dashboard_token, token_file
    from lakegate.dashboard.site import HOST
    from lakegate.environment import current_environment, lakegate_home

    home, env = lakegate_home(), current_environment()
    dashboard_token(env, home)  # fail before binding when the token is missing
    port = port or env.dashboard.port
    where = (f"$(cat {token_file(home)})" if not os.environ.get(env.dashboard.token_env)
             else f"${env.dashboard.token_env}")
    typer.echo(f"dashboard on http://{HOST}:{port}/ (read-only). Open it once with its token:\n"
               f"  xdg-open \"http://{HOST}:{port}/?token={where}\"")
    open_dashboard(home, env).serve(port)
