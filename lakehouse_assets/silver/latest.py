"""The latest row of each business key, among the rows an expectation did not drop.

Ordering of the versions of one key: the latest `updated_at` wins, then the latest arrival
(`_ingested_at`, `_source_file`, `_row_number`). A bronze row is identified by its lineage
(`ROW_IDENTITY`): one file's row of one ingestion.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse_assets.silver.table import SilverTable

ROW_IDENTITY = ("_source_file", "_row_number", "_ingested_at")


def newest_first(table: SilverTable) -> list[Column]:
    return [F.col(table.source.updated_at).desc_nulls_last(), F.col("_ingested_at").desc(), F.col("_source_file").desc(),
            F.col("_row_number").desc()]


def superseded_rows(kept: DataFrame, table: SilverTable) -> DataFrame:
    """The identities (ROW_IDENTITY) of kept rows that a later version of their key replaces.

    Most keys have one row: only the rows of keys that repeat are ranked (a window sorts every row
    it is given, 2-3 times slower over all of them); the result is as small as the duplicates."""
    key = list(table.key)
    repeated = kept.groupBy(*key).count().filter(F.col("count") > 1).select(*key)
    ranked = kept.join(repeated, key, "left_semi").withColumn(
        "_rank", F.row_number().over(Window.partitionBy(*key).orderBy(*newest_first(table))))
    return ranked.filter(F.col("_rank") > 1).select(*ROW_IDENTITY)


def without(rows: DataFrame, identities: DataFrame) -> DataFrame:
    """`rows` except those whose identity is listed in `identities`."""
    return rows.join(identities, list(ROW_IDENTITY), "left_anti")
