"""`lakegate serve` and `lakegate endpoint create|status|set-traffic|rollback NAME`.

The endpoint commands change the local control plane directly (the running server follows it within
milliseconds), or, with `--url` (or $LAKEGATE_SERVING_URL), a server's admin API with the admin
token. Every change is an audit-ledger record: actor (the OS user running the command, with
$LAKEGATE_PRINCIPAL beside it when set; over `--url`, the principal the admin token authenticates),
from → to, reason. A change that would serve a version the deployment gate refuses changes nothing.
"""

from __future__ import annotations

import getpass
import json
import os
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from lakegate.cli.errors import UsageError

app = typer.Typer(help="Serving endpoints: create, status, set-traffic, rollback (Databricks-style served entities "
                       "and traffic).", no_args_is_help=True)
console = Console()

URL_OPTION = typer.Option(None, "--url", envvar="LAKEGATE_SERVING_URL",
                          help="A running server's URL: use its admin API (needs the admin token) instead of the local control plane")
REASON_OPTION = typer.Option(..., "--reason", help="Why: recorded in the audit ledger")
# What uvicorn imports in each worker: named, not imported, so `lakegate serve` itself stays light.
SERVING_APP_FACTORY = "lakegate.cli.serving_app:create_app"


def serve_command(
    host: Optional[str] = typer.Option(None, "--host", help="Address to bind (default from the environment: 127.0.0.1)"),
    port: Optional[int] = typer.Option(None, "--port", help="Port (default from the environment: 8080)"),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Worker processes (default from the environment: 2)"),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", help="The endpoint MLflow's POST /invocations serves (default: the only one)"),
) -> None:
    """Start the serving runtime: Databricks and MLflow invocation routes, admin API, /metrics. Stops on Ctrl-C or SIGTERM."""
    from lakegate.environment import current_environment, lakegate_home
    from lakegate.serving.auth import resolve_tokens, token_file
    from lakegate.serving.control import ControlStore
    from lakegate.serving.server import ServeOptions, become_supervisor, drain_niceness

    env = current_environment()
    home = lakegate_home()
    options = ServeOptions(host=host or env.serving.host, port=port or env.serving.port,
                           workers=workers or env.serving.workers, app_factory=SERVING_APP_FACTORY,
                           default_endpoint=endpoint)
    resolve_tokens(env.serving, home)
    served = sorted(ControlStore(home).read()[1])  # what the workers will route: this home's control store
    typer.echo(f"serving on http://{options.host}:{options.port} with {options.workers} worker(s); "
               f"endpoints: {', '.join(served) or 'none yet (lakegate endpoint create)'}")
    for scope, variable in (("invoke", env.serving.invoke_token_env), ("admin", env.serving.admin_token_env)):
        source = f"${variable}" if os.environ.get(variable) else str(token_file(home, scope))
        typer.echo(f"  {scope} token: {source}")
    drain_niceness()  # every setting checked here, where a bad one gets the command line's message
    become_supervisor(options)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Endpoint name, e.g. claims-triage"),
    model: str = typer.Option(..., "--model", help="Registered model, e.g. prod.claims.triage_model"),
    version: str = typer.Option("champion", "--version", help="Version number or alias (resolved to a number now)"),
    url: Optional[str] = URL_OPTION,
    reason: str = typer.Option("create endpoint", "--reason", help="Why: recorded in the audit ledger"),
) -> None:
    """Create an endpoint serving one model version with all traffic."""
    from lakegate.registry import Registry
    from lakegate.serving.endpoints import single_version_config

    registry = Registry.from_env()
    registry.require_store()
    number = str(registry.model_version(model, version).version)
    endpoint = _manager(url).create(name, single_version_config(model, number), actor=_actor(), reason=reason)
    typer.echo(f"created {endpoint.name}: {model} v{number} takes 100% (generation {endpoint.generation})")


@app.command("status")
def status(
    name: str = typer.Argument(..., help="Endpoint name"),
    url: Optional[str] = URL_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the endpoint document as JSON"),
) -> None:
    """Served entities, traffic shares, the rollback target, and the generation each worker serves."""
    doc = _document(name, url)
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
        return
    table = Table(title=f"{doc['name']}  (generation {doc['lakegate']['generation']}, {doc['state']['ready']}, "
                        f"{doc['state']['config_update']})")
    for column in ("served entity", "model", "version", "traffic %"):
        table.add_column(column)
    shares = {r["served_entity_name"]: r["traffic_percentage"] for r in doc["config"]["traffic_config"]["routes"]}
    for entity in doc["config"]["served_entities"]:
        table.add_row(entity["name"], entity["entity_name"], entity["entity_version"], str(shares.get(entity["name"], 0)))
    console.print(table)
    console.print(f"rollback target: {doc['lakegate']['rollback_target'] or 'none'}")
    if "databricks" in doc:
        console.print(f"Databricks Model Serving; inference table {doc['databricks']['inference_table']}")
        return
    workers = doc["lakegate"]["workers"]
    console.print(f"workers: {len(workers)} running" + "".join(
        f"\n  pid {w['pid']}: generation {w['generation']}, traffic {w['traffic']}, scorer {w['scorers']}" for w in workers))
    for key, problem in doc["lakegate"]["errors"].items():
        console.print(f"[red]{key}: {problem}[/]")


@app.command("set-traffic")
def set_traffic(
    name: str = typer.Argument(..., help="Endpoint name"),
    shares: list[str] = typer.Argument(..., help="SERVED_ENTITY=PERCENT for each served entity; they must sum to 100"),
    url: Optional[str] = URL_OPTION,
    reason: str = REASON_OPTION,
) -> None:
    """Change the traffic split between the endpoint's served entities."""
    parsed = {}
    for item in shares:
        entity, _, percent = item.partition("=")
        if not entity or not percent.isdigit():
            raise UsageError(f"{item!r}: write SERVED_ENTITY=PERCENT, e.g. triage_model-3=90")
        parsed[entity] = int(percent)
    endpoint = _manager(url).set_traffic(name, parsed, actor=_actor(), reason=reason)
    typer.echo(f"{endpoint.name}: traffic {endpoint.config.traffic_config.shares()} (generation {endpoint.generation})")


@app.command("rollback")
def rollback(
    name: str = typer.Argument(..., help="Endpoint name"),
    url: Optional[str] = URL_OPTION,
    reason: str = REASON_OPTION,
) -> None:
    """Move all traffic to the previous served version (the last one that held all of it)."""
    endpoint = _manager(url).rollback(name, actor=_actor(), reason=reason)
    typer.echo(f"{endpoint.name}: rolled back; traffic {endpoint.config.traffic_config.shares()} "
               f"(generation {endpoint.generation})")


def _local():
    """The environment's own endpoints: the local control plane, or the Databricks workspace's."""
    from lakegate.cli.endpoint_manager import endpoint_manager

    return endpoint_manager()


def _manager(url: str | None):
    if not url:
        return _local()
    from lakegate.environment import current_environment, lakegate_home
    from lakegate.serving.auth import resolve_tokens
    from lakegate.serving.client import EndpointClient

    tokens = resolve_tokens(current_environment().serving, lakegate_home())
    return EndpointClient(url, tokens.admin.decode())


def _document(name: str, url: str | None) -> dict:
    manager = _manager(url)
    if hasattr(manager, "document"):  # a server's admin API or a Databricks workspace: it knows its own state
        return manager.document(name)
    from lakegate.environment import lakegate_home
    from lakegate.serving.admin import endpoint_document
    from lakegate.serving.worker_status import worker_states

    return endpoint_document(manager.get(name), worker_states(lakegate_home()))


def _actor() -> str:
    """Who the OS says runs the command; a claimed principal is kept beside it, not instead of it."""
    user = getpass.getuser()
    claimed = os.environ.get("LAKEGATE_PRINCIPAL", "").strip()
    return f"{claimed} (os user {user})" if claimed and claimed != user else user
