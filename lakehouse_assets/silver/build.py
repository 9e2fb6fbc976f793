"""Bronze → silver and quarantine for one table, as a plain function of the lake and the engine.

Order: conform, evaluate expectations, stop on a fail action (nothing written), split dropped rows
to quarantine, keep the latest record per business key among the rest, and check the result against
the table's data contract (a violation stops the run before either table is written). Every bronze row ends
in exactly one of: silver, quarantine, superseded duplicate.
The conformed, evaluated rows are computed once (staged, lakehouse_assets.staging): the counts, the
silver rows and the quarantine rows are all read from that one result.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from lakegate.lake import Lake
from lakehouse_assets.contracts import check_contract
from lakehouse_assets.expectations import (
    DROP_COLUMN,
    FAILED_COLUMN,
    ExpectationResult,
    count_failures,
    evaluate,
    raise_on_fail_actions,
)
from lakehouse_assets.silver.table import SilverTable
from lakehouse_assets.staging import staging

BUILD_KEY = "lakegate.build"  # in both commits' userMetadata: which build wrote them


@dataclass(frozen=True)
class SilverResult:
    table: str
    bronze_version: int
    bronze_rows: int
    silver_rows: int
    quarantined_rows: int
    superseded_rows: int
    silver_version: int
    quarantine_version: int
    expectations: list[ExpectationResult]
    healed_torn_pair: bool = False  # the previous run left silver and quarantine from different builds


def silver_columns(df: DataFrame) -> list[str]:
    return [c for c in df.columns if not c.startswith("_")]


def latest_per_key(df: DataFrame, table: SilverTable) -> DataFrame:
    """The latest row of each business key. Most keys have one row: only the rows of keys that
    repeat are ranked (a window sorts every row it is given: 2-3 times slower over all of them)."""
    key = list(table.key)
    order = [F.col(table.source.updated_at).desc_nulls_last(), F.col("_ingested_at").desc(), F.col("_source_file").desc(), F.col("_row_number").desc()]
    repeated = df.groupBy(*key).count().filter(F.col("count") > 1).select(*key)
    ranked = df.join(repeated, key, "left_semi").withColumn("_rank", F.row_number().over(Window.partitionBy(*key).orderBy(*order)))
    return df.join(repeated, key, "left_anti").unionByName(ranked.filter(F.col("_rank") == 1).drop("_rank"))


def quarantine_rows(evaluated: DataFrame, table: SilverTable, now: dt.datetime) -> DataFrame:
    """Dropped rows as they arrived, except their personal data, which is minimized as in silver
    (the source's personal columns dropped, the table's `minimized` columns kept instead), with every
    failed expectation's name. The raw personal data stays in bronze only. `_rescued_data` is not kept: it may hold personal data."""
    raw = [F.col(f"_raw.{c}").alias(c) for c in table.source.columns if c not in table.source.personal_columns]
    return evaluated.filter(F.col(DROP_COLUMN)).select(
        *raw, *table.minimized, F.col("_rescued_data").isNotNull().alias("had_rescued_data"),
        "_source_file", "_row_number", "_ingested_at",
        F.col(FAILED_COLUMN).alias("failed_expectations"),
        F.lit(now).cast("timestamp").alias("quarantined_at"),
    )


def torn_pair(lake: Lake, silver_name: str, quarantine_name: str) -> bool:
    """Silver and its quarantine from different builds: a run died between the two commits."""
    if not (lake.exists(silver_name) and lake.exists(quarantine_name)):
        return lake.exists(silver_name) != lake.exists(quarantine_name)
    return lake.user_metadata(silver_name).get(BUILD_KEY) != lake.user_metadata(quarantine_name).get(BUILD_KEY)


def build_silver(
    spark: SparkSession,
    lake: Lake,
    catalog: str,
    table: SilverTable,
    hmac_key: bytes,
    now: dt.datetime | None = None,
) -> SilverResult:
    now = now or dt.datetime.now(dt.timezone.utc)
    bronze_name = f"{catalog}.bronze.{table.name}"
    bronze_version = lake.version(bronze_name)
    bronze = lake.read_spark(spark, bronze_name, version=bronze_version)
    silver_name, quarantine_name = f"{catalog}.silver.{table.name}", f"{catalog}.quarantine.{table.name}"
    with staging(spark, lake, silver_name) as area:
        # One evaluation of the conformed, checked rows feeds the counts and both writes.
        evaluated = evaluate(table.conform(bronze, table.source, hmac_key), list(table.expectations))
        # Only quarantine reads the raw row: kept rows stage without it.
        evaluated = area.stage(evaluated.withColumn("_raw", F.when(F.col(DROP_COLUMN), F.col("_raw"))), "evaluated")
        counts = count_failures(evaluated, list(table.expectations))
        raise_on_fail_actions(silver_name, counts.results)

        kept = evaluated.filter(~F.col(DROP_COLUMN))
        # Staged too: the rows checked against the contract are the rows written.
        silver = area.stage(latest_per_key(kept, table).select(*silver_columns(evaluated)), "silver")
        read = {bronze_name: bronze_version}
        check_contract(silver, silver_name, table.columns, unique=table.key)
        # Both commits name one build; a run killed between them leaves a torn pair, which this run
        # replaces whole (each build rewrites both from one bronze version).
        healed = torn_pair(lake, silver_name, quarantine_name)
        build = {BUILD_KEY: uuid.uuid4().hex}
        silver_version = lake.write_spark(silver, silver_name, inputs=read, user_metadata=build)
        quarantine_version = lake.write_spark(quarantine_rows(evaluated, table, now), quarantine_name, inputs=read,
                                              user_metadata=build)

    # Counted back from the written tables, so the conservation check sees what really landed.
    silver_rows = lake.read_spark(spark, silver_name).count()
    quarantined = lake.read_spark(spark, quarantine_name).count()
    return SilverResult(
        table=table.name,
        bronze_version=bronze_version,
        bronze_rows=counts.total_rows,
        silver_rows=silver_rows,
        quarantined_rows=quarantined,
        superseded_rows=counts.kept_rows - silver_rows,
        silver_version=silver_version,
        quarantine_version=quarantine_version,
        expectations=counts.results,
        healed_torn_pair=healed,
    )
