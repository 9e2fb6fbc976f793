"""Bronze → silver and quarantine for one table, as a plain function of the lake and the engine.

Order: conform, evaluate expectations, stop on a fail action (nothing written), split dropped rows
to quarantine, keep the latest record per business key among the rest, and check the result against
the table's data contract (a violation stops the run before either table is written). Every bronze row ends
in exactly one of: silver, quarantine, superseded duplicate.
The conformed, evaluated rows are computed once (staged, lakehouse_assets.staging): the counts, the
silver rows and the quarantine rows are all read from that one result.
When the previous build recorded its state (lakehouse_assets.silver.state) and bronze has only
gained rows since, only those rows are evaluated and merged into silver (decision 0042); otherwise
every bronze row is, as before.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lakegate.lake import Lake
from lakehouse_assets.contracts import check_contract
from lakehouse_assets.expectations import (
    DROP_COLUMN,
    Counts,
    ExpectationResult,
    count_failures,
    evaluate,
    raise_on_fail_actions,
)
from lakehouse_assets.silver.increment import (
    combined,
    max_ingested_micros,
    merged,
    new_rows_are_the_appended_ones,
    replacing_rows,
    rows_after,
)
from lakehouse_assets.silver.latest import superseded_rows, without
from lakehouse_assets.silver.rows import quarantine_rows, silver_columns
from lakehouse_assets.silver.state import SilverState, fingerprint, previous_state
from lakehouse_assets.silver.table import SilverTable
from lakehouse_assets.staging import Staging, staging

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
    incremental: bool = False  # only the bronze rows added since the previous build were evaluated


@dataclass(frozen=True)
class _Build:
    """What one build evaluated and is about to write."""

    counts: Counts
    silver: DataFrame  # the whole silver table to write (overwrite)
    quarantine: DataFrame  # quarantine rows to write: all of them, or the new ones (append)
    quarantine_mode: str
    max_ingested_micros: int | None


def torn_pair(lake: Lake, silver_name: str, quarantine_name: str) -> bool:
    """Silver and its quarantine from different builds: a run died between the two commits."""
    if not (lake.exists(silver_name) and lake.exists(quarantine_name)):
        return lake.exists(silver_name) != lake.exists(quarantine_name)
    return lake.user_metadata(silver_name).get(BUILD_KEY) != lake.user_metadata(quarantine_name).get(BUILD_KEY)


def _evaluated(area: Staging, bronze: DataFrame, table: SilverTable, hmac_key: bytes, silver_name: str):
    """The conformed, judged rows, staged once; their counts; stops on a fail action."""
    evaluated = evaluate(table.conform(bronze, table.source, hmac_key), list(table.expectations))
    # Only quarantine reads the raw row: kept rows stage without it.
    evaluated = area.stage(evaluated.withColumn("_raw", F.when(F.col(DROP_COLUMN), F.col("_raw"))), "evaluated")
    counts = count_failures(evaluated, list(table.expectations))
    raise_on_fail_actions(silver_name, counts.results)
    return evaluated, counts


def _latest_kept(area: Staging, evaluated: DataFrame, table: SilverTable) -> DataFrame:
    """The latest kept row of each key. Only the superseded rows' identities are staged (as few as
    the duplicates): the result reads staged rows only, so the rows checked against the contract
    are the rows written, and no second copy of silver is written to check it."""
    kept = evaluated.filter(~F.col(DROP_COLUMN))
    return without(kept, area.stage(superseded_rows(kept, table), "superseded"))


def _full(area: Staging, bronze: DataFrame, table: SilverTable, hmac_key: bytes, silver_name: str,
          now: dt.datetime) -> _Build:
    evaluated, counts = _evaluated(area, bronze, table, hmac_key, silver_name)
    silver = _latest_kept(area, evaluated, table).select(*silver_columns(evaluated))
    check_contract(silver, silver_name, table.columns, unique=table.key)
    return _Build(counts, silver, quarantine_rows(evaluated, table, now), "overwrite", max_ingested_micros(evaluated))


def _increment(spark: SparkSession, lake: Lake, area: Staging, bronze: DataFrame, state: SilverState,
               table: SilverTable, hmac_key: bytes, names: tuple[str, str], bronze_version: int,
               now: dt.datetime) -> _Build | None:
    """Only the rows added since `state`; None when they are not exactly bronze's appended rows."""
    bronze_name, silver_name = names
    evaluated, new = _evaluated(area, rows_after(bronze, state), table, hmac_key, silver_name)
    if not new_rows_are_the_appended_ones(spark, lake, bronze_name, bronze_version, state, new.total_rows):
        return None
    old_silver = lake.read_spark(spark, silver_name, version=lake.version(silver_name))
    candidates = _latest_kept(area, evaluated, table).select(*silver_columns(evaluated))
    # Staged: the contract checks exactly the rows that enter silver (the others are checked already).
    replacing = area.stage(replacing_rows(candidates, old_silver, table), "replacing")
    check_contract(replacing, silver_name, table.columns, unique=table.key)
    latest = max_ingested_micros(evaluated)
    return _Build(combined(state, new), merged(old_silver, replacing, table), quarantine_rows(evaluated, table, now),
                  "append", state.max_ingested_micros if latest is None else latest)


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
    # Both commits name one build; a run killed between them leaves a torn pair, which this run
    # replaces whole (a full build rewrites both from one bronze version).
    healed = torn_pair(lake, silver_name, quarantine_name)
    rules = fingerprint(table, hmac_key, now)
    state = None if healed else previous_state(lake, silver_name, bronze_name, bronze_version, rules)
    if state is not None and state.bronze_version == bronze_version:
        return _unchanged(spark, lake, table, state, silver_name, quarantine_name)
    with staging(spark, lake, silver_name) as area:
        build = state and _increment(spark, lake, area, bronze, state, table, hmac_key, (bronze_name, silver_name),
                                     bronze_version, now)
        build = build or _full(area, bronze, table, hmac_key, silver_name, now)
        read = {bronze_name: bronze_version}
        recorded = SilverState(rules, bronze_version, build.counts.total_rows, build.counts.kept_rows,
                               build.max_ingested_micros, {r.expectation.name: r.failed_rows for r in build.counts.results})
        build_id = {BUILD_KEY: uuid.uuid4().hex}
        silver_version = lake.write_spark(build.silver, silver_name, inputs=read,
                                          user_metadata={**build_id, **recorded.as_metadata()})
        quarantine_version = lake.write_spark(build.quarantine, quarantine_name, mode=build.quarantine_mode,
                                              inputs=read, user_metadata=build_id)
    return _result(spark, lake, table, bronze_version, build.counts, (silver_name, quarantine_name),
                   (silver_version, quarantine_version), healed=healed, incremental=build.quarantine_mode == "append")


def _unchanged(spark, lake: Lake, table: SilverTable, state: SilverState, silver_name: str, quarantine_name: str):
    """Bronze has not changed since the previous build: its tables stand, and so do its counts."""
    counts = Counts(state.bronze_rows, state.kept_rows,
                    [ExpectationResult(e, state.failed.get(e.name, 0), state.bronze_rows) for e in table.expectations])
    return _result(spark, lake, table, state.bronze_version, counts, (silver_name, quarantine_name),
                   (lake.version(silver_name), lake.version(quarantine_name)), healed=False, incremental=True)


def _result(spark, lake: Lake, table: SilverTable, bronze_version: int, counts: Counts, names: tuple[str, str],
            versions: tuple[int, int], healed: bool, incremental: bool) -> SilverResult:
    # Counted back from the written tables, so the conservation check sees what really landed.
    silver_rows, quarantined = (lake.read_spark(spark, name).count() for name in names)
    return SilverResult(
        table=table.name,
        bronze_version=bronze_version,
        bronze_rows=counts.total_rows,
        silver_rows=silver_rows,
        quarantined_rows=quarantined,
        superseded_rows=counts.kept_rows - silver_rows,
        silver_version=versions[0],
        quarantine_version=versions[1],
        expectations=counts.results,
        healed_torn_pair=healed,
        incremental=incremental,
    )
