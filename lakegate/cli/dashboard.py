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


SNAPSHOT = "dashboard/model_page.html"


def model_page_snapshot(model: str, version: str) -> dict[str, bytes]:
    """{bundle path: the model page, self-contained}, for a model of a use case; {} for any other. A
    prod version is shown as it is served (its model_id in the metric tables); others with the defaults."""
    from lakegate.environment import current_environment, lakegate_home
    from lakegate.registry import Registry
    from ml_assets.registered_models import use_case_of
    from ml_assets.usecases import USE_CASES

    use_case = use_case_of(model)
    if use_case is None:
        return {}
    home, env = lakegate_home(), current_environment()
    number = str(Registry.from_env(home=home).model_version(model, version).version)
    query = {"version": number} if model == USE_CASES[use_case].registered_model_name("prod") else {}
    return {SNAPSHOT: open_dashboard(home, env).snapshot(use_case, query).encode("utf-8")}


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
