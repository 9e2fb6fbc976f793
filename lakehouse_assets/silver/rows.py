"""Which columns of the evaluated rows are silver's, and what a quarantined row keeps."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_assets.expectations import DROP_COLUMN, FAILED_COLUMN
from lakehouse_assets.silver.table import SilverTable


def silver_columns(df: DataFrame) -> list[str]:
    return [c for c in df.columns if not c.startswith("_")]


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
