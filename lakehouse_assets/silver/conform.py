"""Building blocks for conforming bronze rows into silver columns: plain PySpark, engine-agnostic.

A domain's conform function (lakehouse_assets/domains/<domain>/conform.py) takes the bronze
DataFrame (raw strings) and returns the silver columns with `with_raw`, which keeps the untouched
raw row in a `_raw` struct so a quarantined row keeps what arrived. Personal data is minimized
there: raw personal columns are never selected; identifiers become keyed tokens (lakegate.pii) and
birth dates age bands.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lakehouse_assets.landing import LandingSource

# Ordering of versions of one business key: the latest update wins, then the latest arrival.
LINEAGE_COLUMNS = ("_source_file", "_row_number", "_ingested_at", "_rescued_data")
AGE_BANDS = ((0, 17, "0-17"), (18, 34, "18-34"), (35, 49, "35-49"), (50, 64, "50-64"), (65, 200, "65+"))
AGE_BAND_LABELS = (*(label for *_, label in AGE_BANDS), "unknown")  # unknown: no birth date, or one out of range


def text(name: str) -> Column:
    return F.trim(F.col(name))


def date(name: str) -> Column:
    return F.expr(f"try_cast(trim({name}) as date)")


def number(name: str) -> Column:
    """A double, or null when the text is not a number."""
    return F.expr(f"try_cast(trim({name}) as double)")


def timestamp(name: str) -> Column:
    return F.expr(f"try_cast(trim({name}) as timestamp)")


def with_raw(bronze: DataFrame, source: LandingSource, *silver_columns: Column) -> DataFrame:
    raw = F.struct(*[F.col(c) for c in source.columns])
    return bronze.select(*silver_columns, *[F.col(c) for c in LINEAGE_COLUMNS], raw.alias("_raw"))


def age_band(date_of_birth: Column, as_of: Column) -> Column:
    years = F.floor(F.months_between(as_of, date_of_birth) / 12)
    band = F.lit("unknown")
    for low, high, label in reversed(AGE_BANDS):
        band = F.when((years >= low) & (years <= high), F.lit(label)).otherwise(band)
    return band
