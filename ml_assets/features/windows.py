"""Time-window building blocks for feature transformations (plain PySpark).

Values are emitted at every instant they change, so an as-of lookup between two rows is exact:
a 90-day rolling sum changes on each active day and on the day an old activity leaves the window.
An event timestamp is the end of the day it summarizes (features as of day D are usable from
D+1 00:00), so a claim never sees its own day's activity.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

DAY = "_day"


def _end_of_day(day_col: str) -> F.Column:
    return F.to_timestamp(F.date_add(F.col(day_col), 1))


def rolling_daily_sums(daily: DataFrame, key: str, sums: dict[str, str], window_days: int,
                       maxes: dict[str, str] | None = None) -> DataFrame:
    """`daily` has (key, _day, value columns); returns (key, event_timestamp, sums over window_days,
    and the largest of each `maxes` column over the same days)."""
    maxes = maxes or {}
    expiries = daily.select(key, F.date_add(F.col(DAY), window_days).alias(DAY))
    change_days = daily.select(key, DAY).unionByName(expiries).distinct()
    filled = change_days.join(daily, [key, DAY], "left").fillna(0, subset=list(sums.values()))
    day_number = F.datediff(F.col(DAY), F.lit("1970-01-01").cast("date"))
    window = Window.partitionBy(key).orderBy(day_number).rangeBetween(-(window_days - 1), 0)
    return filled.select(
        key,
        _end_of_day(DAY).alias("event_timestamp"),
        *[F.sum(F.col(source)).over(window).alias(name) for name, source in sums.items()],
        *[F.max(F.col(source)).over(window).alias(name) for name, source in maxes.items()],
    )


def cumulative_daily_sums(daily: DataFrame, key: str, sums: dict[str, str]) -> DataFrame:
    """Running totals per key up to and including each day."""
    window = Window.partitionBy(key).orderBy(DAY).rowsBetween(Window.unboundedPreceding, 0)
    return daily.select(
        key,
        _end_of_day(DAY).alias("event_timestamp"),
        *[F.sum(F.col(source)).over(window).alias(name) for name, source in sums.items()],
    )


def rate(numerator: str, denominator: str) -> F.Column:
    return F.when(F.col(denominator) > 0, F.col(numerator) / F.col(denominator))


def std_from_sums(count: str, total: str, squares: str) -> F.Column:
    """Population standard deviation from a count, a sum and a sum of squares (0 for one value)."""
    mean = F.col(total) / F.col(count)
    return F.when(F.col(count) > 0, F.sqrt(F.greatest(F.col(squares) / F.col(count) - mean * mean, F.lit(0.0))))
