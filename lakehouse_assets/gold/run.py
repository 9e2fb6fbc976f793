"""What one dbt invocation of the gold project is given, and what its materializations record.

Plain functions of the manifest, the lake and the engine URL, so they are testable without Dagster.
The dbt process learns everything from its environment (see dbt_project/dbt_project.yml); these
values are read by macros at run time, never at parse time, so the manifest parsed once stays
valid for partial parsing whatever the lake root, catalog or silver versions of the run.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc

from lakegate.lake import Lake, lineage_metadata

SILVER_SOURCE = "silver"
GOLD_SCHEMA = "gold"

ENV_SPARK_REMOTE = "DBT_ENV_SECRET_LAKEGATE_SPARK_REMOTE"  # dbt scrubs DBT_ENV_SECRET_* from logs
ENV_LAKE_ROOT = "LAKEGATE_DBT_LAKE_ROOT"
ENV_CATALOG = "LAKEGATE_DBT_CATALOG"
ENV_SILVER_VERSIONS = "LAKEGATE_DBT_SILVER_VERSIONS"
ENV_GOLD_TABLES = "LAKEGATE_DBT_GOLD_TABLES"


def silver_sources(manifest: Mapping[str, Any]) -> dict[str, str]:
    """dbt source unique_id -> silver table name, for the sources of the `silver` source."""
    return {
        uid: src["name"]
        for uid, src in manifest["sources"].items()
        if src["source_name"] == SILVER_SOURCE
    }


def gold_models(manifest: Mapping[str, Any]) -> dict[str, str]:
    """dbt model unique_id -> gold table name (the model's alias)."""
    return {
        uid: node.get("alias") or node["name"]
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }


def silver_inputs_of(manifest: Mapping[str, Any], model_unique_id: str) -> list[str]:
    """The silver tables a model reads, directly or through other models."""
    sources = silver_sources(manifest)
    parents = manifest["parent_map"]
    seen: set[str] = set()
    stack = [model_unique_id]
    while stack:
        for parent in parents.get(stack.pop(), []):
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return sorted(sources[uid] for uid in seen if uid in sources)


class SilverTableMissing(dg.Failure):
    pass


@dataclass(frozen=True)
class GoldRunInputs:
    """The environment of one gold dbt run: engine, lake, and the exact silver versions read."""

    spark_remote: str
    lake_root: str
    catalog: str
    silver_versions: dict[str, int]
    gold_tables: tuple[str, ...]

    @classmethod
    def resolve(
        cls,
        manifest: Mapping[str, Any],
        lake: Lake,
        catalog: str,
        spark_remote: str,
        needed: set[str] | None = None,
    ) -> "GoldRunInputs":
        """Record the current version of every silver table that exists; those in `needed` (the
        inputs of the selected models; default all) must exist."""
        all_silver = sorted(silver_sources(manifest).values())
        needed = set(all_silver) if needed is None else needed
        versions: dict[str, int] = {}
        for table in all_silver:
            version = lake.version(f"{catalog}.{SILVER_SOURCE}.{table}")
            if version is not None:
                versions[table] = version
        missing = [f"{catalog}.{SILVER_SOURCE}.{t}" for t in sorted(needed) if t not in versions]
        if missing:
            raise SilverTableMissing(
                description=(
                    f"gold needs silver tables that do not exist yet: {', '.join(missing)} "
                    f"(looked under {lake.root}); materialize silver first"
                )
            )
        existing_gold = tuple(
            sorted(m for m in gold_models(manifest).values() if lake.exists(f"{catalog}.{GOLD_SCHEMA}.{m}"))
        )
        return cls(
            spark_remote=spark_remote,
            lake_root=str(lake.root.resolve()),
            catalog=catalog,
            silver_versions=versions,
            gold_tables=existing_gold,
        )

    def env(self) -> dict[str, str]:
        return {
            ENV_SPARK_REMOTE: self.spark_remote,
            ENV_LAKE_ROOT: self.lake_root,
            ENV_CATALOG: self.catalog,
            ENV_SILVER_VERSIONS: json.dumps(self.silver_versions, sort_keys=True),
            ENV_GOLD_TABLES: json.dumps(list(self.gold_tables)),
        }

    def silver_name(self, table: str) -> str:
        return f"{self.catalog}.{SILVER_SOURCE}.{table}"

    def gold_name(self, model: str) -> str:
        return f"{self.catalog}.{GOLD_SCHEMA}.{model}"


_environ_lock = threading.Lock()


@contextmanager
def dbt_process_environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set variables for a dbt process started inside the block, then restore the old ones.

    DbtCliResource builds the subprocess environment from os.environ and takes no extra
    variables. Only the dbt-specific names above are set (never SPARK_REMOTE, which would change
    how pyspark in this process connects), under a lock, for as long as it takes to start dbt.
    """
    with _environ_lock:
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def delta_row_count(lake: Lake, name: str) -> int | None:
    """Rows in the current version, from the Delta log's file statistics (no data read)."""
    actions = pa.table(lake.table(name).get_add_actions(flatten=True))
    if "num_records" not in actions.column_names or actions["num_records"].null_count:
        return None
    return int(pc.sum(actions["num_records"]).as_py() or 0)


def gold_materialization_metadata(
    inputs: GoldRunInputs, lake: Lake, model: str, silver_read: list[str]
) -> dict[str, Any]:
    """Delta version written for a gold model, and the silver versions its run read."""
    gold = inputs.gold_name(model)
    meta = lineage_metadata(
        written={gold: lake.version(gold)},
        read={inputs.silver_name(t): inputs.silver_versions.get(t) for t in silver_read},
    )
    meta["dagster/table_name"] = dg.MetadataValue.text(gold)
    meta["delta_path"] = dg.MetadataValue.path(str(lake.path(gold)))
    rows = delta_row_count(lake, gold)
    if rows is not None:
        meta["dagster/row_count"] = dg.MetadataValue.int(rows)
    return meta


def prune_run_dirs(target_dir: Path, prefix: str, keep: int = 20) -> None:
    """dagster-dbt leaves one target folder per invocation (about 2 MB); keep the newest `keep`."""
    runs = sorted(
        (p for p in target_dir.glob(f"{prefix}-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)
