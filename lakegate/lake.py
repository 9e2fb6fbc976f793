"""Delta tables named `catalog.schema.table`.

Locally a table lives at `<lake root>/<catalog>/<schema>/<table>` (the lake root defaults to
`$LAKEGATE_HOME/lake`); on Databricks the same name is a Unity Catalog table. Reads and writes go
through either Spark (transforms) or delta-rs (Python-side ingestion, inspection).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from lakegate.databricks import unity_catalog_lake_root
from lakegate.environment import Environment, current_environment, lakegate_home
from lakegate.names import split_three_level

INPUTS_KEY = "lakegate.inputs"


class TableNameError(ValueError):
    pass


@dataclass(frozen=True)
class TableName:
    catalog: str
    schema: str
    table: str

    @classmethod
    def parse(cls, name: str) -> "TableName":
        try:
            return cls(*split_three_level(name, "table"))
        except ValueError as exc:
            raise TableNameError(str(exc)) from None

    def __str__(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.table}"


class Lake:
    """The local lake: Delta tables under one root folder."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root else lakegate_home() / "lake"

    def path(self, name: str | TableName) -> Path:
        t = name if isinstance(name, TableName) else TableName.parse(name)
        return self.root / t.catalog / t.schema / t.table

    def uri(self, name: str | TableName) -> str:
        return str(self.path(name))

    def exists(self, name: str | TableName) -> bool:
        return (self.path(name) / "_delta_log").is_dir()

    def table(self, name: str | TableName, version: int | None = None) -> DeltaTable:
        try:
            dt = DeltaTable(self.uri(name))
        except TableNotFoundError:
            raise TableNameError(f"table {name} does not exist (looked in {self.path(name)})") from None
        if version is not None:
            dt.load_as_version(version)
        return dt

    def version(self, name: str | TableName) -> int | None:
        return self.table(name).version() if self.exists(name) else None

    def history(self, name: str | TableName) -> list[dict[str, Any]]:
        return self.table(name).history()

    def user_metadata(self, name: str | TableName) -> dict[str, Any]:
        """The latest commit's userMetadata as a dict ({} when it has none or the table does not exist)."""
        if not self.exists(name):
            return {}
        raw = self.table(name).history(limit=1)[0].get("userMetadata")
        try:
            return dict(json.loads(raw)) if raw else {}
        except (ValueError, TypeError):
            return {}

    def read_arrow(self, name: str | TableName, version: int | None = None, columns: list[str] | None = None) -> pa.Table:
        return self.table(name, version).to_pyarrow_table(columns=columns)

    def write_arrow(
        self,
        name: str | TableName,
        data: pa.Table,
        mode: str = "append",
        commit_metadata: dict[str, str] | None = None,
        inputs: dict[str, int | None] | None = None,
        predicate: str | None = None,
        opened: DeltaTable | None = None,
    ) -> int:
        """Write with delta-rs; returns the new table version. commit_metadata lands in the commit info.
        With `predicate` (an SQL condition, mode overwrite) only the rows it matches are replaced.
        `opened`: this table as the caller keeps it open and up to date; the write brings it to its new version."""
        if inputs is not None:
            commit_metadata = {**(commit_metadata or {}), "userMetadata": json.dumps({INPUTS_KEY: inputs})}
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written through the opened table, which the write brings to its new version: opening the log
        # again for the version cost a replay per write (tens of ms on a long-lived log).
        table = opened if opened is not None else self.table(name) if self.exists(name) else None
        write_deltalake(
            table if table is not None else str(path),
            data,
            mode=mode,
            predicate=predicate,
            schema_mode="merge" if mode == "append" else None if predicate else "overwrite",
            commit_properties=CommitProperties(custom_metadata=commit_metadata) if commit_metadata else None,
        )
        return (table if table is not None else DeltaTable(str(path))).version()

    def read_spark(self, spark, name: str | TableName, version: int | None = None):
        reader = spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", version)
        return reader.load(self.uri(name))

    def write_spark(self, df, name: str | TableName, mode: str = "overwrite", inputs: dict[str, int | None] | None = None,
                    user_metadata: dict[str, Any] | None = None) -> int:
        """Write a Spark DataFrame as Delta; returns the new table version.

        `inputs` ({table: version read}) is stored in the commit's userMetadata, so lineage can be
        walked from the tables themselves (lakegate.lineage), without the orchestrator's records;
        `user_metadata` adds other keys beside it (for example the build two tables share).
        """
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = df.write.format("delta").mode(mode)
        if mode == "overwrite":
            writer = writer.option("overwriteSchema", "true")
        if inputs is not None or user_metadata:
            meta = {**({INPUTS_KEY: inputs} if inputs is not None else {}), **(user_metadata or {})}
            writer = writer.option("userMetadata", json.dumps(meta))
        writer.save(str(path))
        return DeltaTable(str(path)).version()


def lineage_metadata(written: dict[str, int | None], read: dict[str, int | None]) -> dict[str, Any]:
    """Materialization metadata that ties an output version to the input versions it read. Plain
    values (int, dict), which Dagster types as int and JSON, in process and through Pipes alike."""
    meta: dict[str, Any] = {}
    for name, version in written.items():
        meta[f"delta_version/{name}"] = version if version is not None else -1
    meta["inputs"] = {name: version for name, version in read.items()}
    return meta


def environment_lake(home: Path | None = None, env: Environment | None = None, root: str = "") -> Lake:
    """Where the environment's tables live: `root` when given; the workspace's Unity Catalog storage
    under engine kind `databricks`; else `<home>/lake` (the assets' LakeResource resolves them here too)."""
    env = env or current_environment()
    if root:
        return Lake(root)
    if env.engine.kind == "databricks":
        return Lake(unity_catalog_lake_root(env.catalog))
    return Lake((Path(home).resolve() if home else lakegate_home()) / "lake")
