"""Silver from the bronze rows added since the previous build (decision 0042).

The new rows are conformed and judged alone; their dropped rows are appended to quarantine, and
their latest row per key replaces the silver row of that key unless silver's is newer. The result
is the table a full build would write from the same bronze version on the same day, because every
new row arrived after every old one (checked: `_ingested_at` above the recorded maximum, and
exactly as many such rows as bronze gained), so on equal `updated_at` the new row wins as it would
in the full ordering.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakegate.lake import Lake
from lakehouse_assets.expectations import Counts, ExpectationResult
from lakehouse_assets.silver.state import SilverState
from lakehouse_assets.silver.table import SilverTable

def ingested_micros():
    return F.unix_micros(F.col("_ingested_at"))


def rows_after(bronze: DataFrame, state: SilverState) -> DataFrame:
    """Bronze rows ingested after the last row the previous build covered."""
    if state.max_ingested_micros is None:
        return bronze
    return bronze.filter(ingested_micros() > F.lit(state.max_ingested_micros))


def max_ingested_micros(evaluated: DataFrame) -> int | None:
    return evaluated.agg(F.max(ingested_micros()).alias("m")).collect()[0]["m"]


def new_rows_are_the_appended_ones(spark: SparkSession, lake: Lake, bronze_name: str, bronze_version: int,
                                   state: SilverState, new_rows: int) -> bool:
    """Bronze only gained rows since `state`, and the rows after its maximum are exactly those."""
    total = lake.read_spark(spark, bronze_name, version=bronze_version).count()
    return total == state.bronze_rows + new_rows


def combined(state: SilverState, new: Counts) -> Counts:
    """The counts of every bronze row: the previous build's plus the new rows'."""
    total = state.bronze_rows + new.total_rows
    results = [ExpectationResult(r.expectation, state.failed.get(r.expectation.name, 0) + r.failed_rows, total)
               for r in new.results]
    return Counts(total, state.kept_rows + new.kept_rows, results)


def replacing_rows(candidates: DataFrame, old_silver: DataFrame, table: SilverTable) -> DataFrame:
    """The candidates (one per key) that replace silver's row of their key, or add a new key.

    Silver's row stays when it is newer (a later `updated_at`, or one where the candidate has
    none); on equal `updated_at` the candidate wins, as the later arrival."""
    key, updated = list(table.key), table.source.updated_at
    old = old_silver.select(*key, F.col(updated).alias("_old_updated_at"))
    new_updated, old_updated = F.col(updated), F.col("_old_updated_at")
    old_wins = (old_updated > new_updated) | (new_updated.isNull() & old_updated.isNotNull())
    return (candidates.join(old, key, "left")
            .filter(~F.coalesce(old_wins, F.lit(False))).drop("_old_updated_at"))


def merged(old_silver: DataFrame, replacing: DataFrame, table: SilverTable) -> DataFrame:
    """Silver with the replacing rows in place of their keys' old rows."""
    key = list(table.key)
    return old_silver.join(replacing.select(*key), key, "left_anti").unionByName(replacing.select(*old_silver.columns))
