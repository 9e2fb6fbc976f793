"""Build one derived table: read its sources pinned to their current versions, transform, check
the contract, overwrite, and record the versions read in the commit (lineage)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import SparkSession

from lakegate.lake import Lake
from lakehouse_assets.contracts import check_contract
from lakehouse_assets.derived.table import DerivedTable
from lakehouse_assets.staging import staging


@dataclass(frozen=True)
class DerivedResult:
    table: str
    version: int
    rows: int
    inputs: dict[str, int | None]


class SourceMissing(Exception):
    pass


def build_derived(spark: SparkSession, lake: Lake, catalog: str, table: DerivedTable) -> DerivedResult:
    inputs, frames = {}, {}
    for source in table.sources:
        name = f"{catalog}.{source}"
        inputs[name] = lake.version(name)
        if inputs[name] is None:
            raise SourceMissing(f"{table.table(catalog)} reads {name}, which does not exist yet: materialize it first")
        frames[source] = lake.read_spark(spark, name, version=inputs[name])
    name = table.table(catalog)
    with staging(spark, lake, name) as area:
        # Computed once: the rows checked against the contract are the rows written.
        rows = area.stage(table.transformation(frames).select(*(c.name for c in table.columns)), "rows")
        check_contract(rows, name, table.columns, unique=table.key)
        version = lake.write_spark(rows, name, inputs=inputs)
    return DerivedResult(name, version, lake.read_spark(spark, name).count(), inputs)
