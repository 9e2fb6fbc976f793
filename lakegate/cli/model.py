"""`lakegate model lineage NAME VERSION`: from a registered model version down to the landed files.

The chain: model version → MLflow run (who, which commit) → training set table@version → the
tables and versions each Delta commit says it was built from (features, gold, silver, bronze) →
the landed files bronze ingested. Only the registry and the tables are read; no orchestrator.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Optional

import typer
from rich.console import Console
from rich.text import Text
from rich.tree import Tree

app = typer.Typer(help="Inspect registered models (catalog.schema.model).", no_args_is_help=True)
console = Console()


@app.command("lineage")
def lineage(
    name: str = typer.Argument(..., help="Registered model, e.g. dev.claims.triage_model"),
    version: Optional[str] = typer.Argument(None, help="Version number or alias (challenger, champion); default: the latest version"),
    as_json: bool = typer.Option(False, "--json", help="Print the chain as JSON (for machines)."),
) -> None:
    """Trace a model version to its MLflow run, training set, feature tables and landed files."""
    from lakegate.lake import environment_lake
    from lakegate.registry import Registry

    registry = Registry.from_env()
    registry.require_store()
    chain = model_lineage(registry, environment_lake(), name, version)
    if as_json:
        typer.echo(json.dumps(chain, indent=2, default=str))
    else:
        console.print(render(chain))


def model_lineage(registry, lake, name: str, version: str | None) -> dict:
    """The chain as plain data (what --json prints); version None means the latest."""
    from lakegate.lineage import trace
    from lakegate.registry import ModelName, RegistryError, Tags, describe

    if version is None:
        known = registry.versions(str(ModelName.parse(name)))
        if not known:
            raise RegistryError(f"model {name} is not registered in {registry.registry_uri}")
        version = str(known[-1].version)
    model = registry.model_version(name, version)
    run = registry.run(model.run_id) if model.run_id else None
    run_tags = dict(run.data.tags) if run else {}
    model_tags = dict(model.tags or {})
    table = model_tags.get(Tags.TRAINING_SET_TABLE) or run_tags.get(Tags.TRAINING_SET_TABLE)
    table_version = model_tags.get(Tags.TRAINING_SET_VERSION) or run_tags.get(Tags.TRAINING_SET_VERSION)
    if not table or table_version is None:
        raise RegistryError(f"{name} version {model.version} names no training set (tag {Tags.TRAINING_SET_TABLE}); it was not trained by Lakegate")
    chain: dict = {"model": describe(model), "run": None, "datasets": [], "training_set": None}
    if run is not None:
        chain["run"] = {
            "id": run.info.run_id,
            "experiment_id": run.info.experiment_id,
            "url": registry.run_url(run.info.experiment_id, run.info.run_id),
            "status": run.info.status,
            "started": _when(run.info.start_time),
            "principal": run_tags.get(Tags.PRINCIPAL, "unknown"),
            "git_commit": run_tags.get(Tags.GIT_COMMIT, "unknown"),
            "git_dirty": run_tags.get(Tags.GIT_DIRTY, "unknown"),
            "requirements_lock_sha256": run_tags.get(Tags.REQUIREMENTS_LOCK_SHA256, "unknown"),
            "dagster_run_id": run_tags.get(Tags.DAGSTER_RUN_ID, "unknown"),
        }
        chain["datasets"] = [_dataset(d) for d in run.inputs.dataset_inputs]
    chain["training_set"] = trace(lake, table, int(table_version)).to_dict()
    return chain


def _dataset(dataset_input) -> dict:
    # Read the stored source JSON as it is: rebuilding MLflow's DeltaDatasetSource from it would
    # try to reach Databricks to look a three-level table name up.
    source = json.loads(dataset_input.dataset.source or "{}")
    context = next((t.value for t in dataset_input.tags if t.key == "mlflow.data.context"), None)
    return {
        "name": dataset_input.dataset.name,
        "source_type": dataset_input.dataset.source_type,
        "table": source.get("delta_table_name"),
        "version": source.get("delta_table_version"),
        "digest": dataset_input.dataset.digest,
        "context": context,
    }


def _when(millis: int | None) -> str | None:
    if millis is None:
        return None
    return dt.datetime.fromtimestamp(millis / 1000, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def render(chain: dict) -> Tree:
    model = chain["model"]
    aliases = f"  aliases: {', '.join(model['aliases'])}" if model["aliases"] else ""
    root = Tree(Text.assemble((f"{model['name']} v{model['version']}", "bold"), aliases))
    parent = root
    run = chain["run"]
    if run is not None:
        label = Text.assemble(
            ("MLflow run ", "cyan"), run["id"],
            f"  by {run['principal']}  git {run['git_commit'][:12]}",
            " (dirty)" if run["git_dirty"] == "true" else "",
            f"  dagster run {run['dagster_run_id']}  {run['started'] or ''}",
        )
        parent = root.add(label)
    _add_table(parent, chain["training_set"], set())
    return root


def _add_table(parent: Tree, node: dict, shown: set) -> None:
    label = Text.assemble((f"{node['table']}", "green"), f" @ v{node['version']}")
    if node.get("missing"):
        label.append(f"  ({node['missing']})", style="yellow")
    seen = (node["table"], node["version"])
    if seen in shown and (node.get("inputs") or node.get("files")):
        parent.add(label.append("  (its inputs are shown above)", style="dim"))
        return
    shown.add(seen)
    branch = parent.add(label)
    for upstream in node.get("inputs", []):
        _add_table(branch, upstream, shown)
    for f in node.get("files", []):
        branch.add(Text(f"file {f.get('path')}  sha256 {str(f.get('content_hash', ''))[:12]}…  {f.get('rows', '?')} rows", style="dim"))


@app.command("history")
def history(
    name: str = typer.Argument(..., help="Registered model, e.g. prod.claims.triage_model"),
    as_json: bool = typer.Option(False, "--json", help="Print the alias moves as JSON (for machines)."),
) -> None:
    """Who moved which alias from which version to which, when and why (from the audit ledger)."""
    from rich.table import Table

    from lakegate.ledger import Ledger, LedgerError
    from lakegate.registry import ModelName

    ModelName.parse(name)
    ledger = Ledger.default()
    moves = ledger.alias_history(name)
    if not moves:
        raise LedgerError(f"model {name} has no alias moves in the audit ledger")
    if not ledger.verify().ok:
        typer.secho("warning: the audit ledger fails verification (run `lakegate audit verify`); "
                    "these records may have been altered", fg=typer.colors.YELLOW, err=True)
    if as_json:
        typer.echo(json.dumps([m.to_dict() for m in moves], indent=2))
        return
    table = Table(title=f"{name}: alias moves (audit ledger)")
    for column in ("time (UTC)", "actor", "alias", "from → to", "reason"):
        table.add_column(column, overflow="fold")
    for move in moves:
        before, after = move.inputs.get("from_version"), move.inputs.get("to_version")
        table.add_row(
            move.time.replace("T", " ")[:19],
            move.actor,
            str(move.inputs.get("alias")),
            f"{'v' + before if before else '(unset)'} → {'v' + after if after else '(unset)'}",
            move.reason or "",
        )
    console.print(table)
