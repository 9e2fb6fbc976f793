"""Data-quality expectations as Delta Live Tables declares them: (name, SQL boolean, action).

- warn: the row is kept and counted;
- drop: the row goes to quarantine with the names of every expectation it failed;
- fail: the materialization stops before writing, so the table keeps its previous version.
A NULL result counts as a failure: a rule that cannot be evaluated has not been met.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

Action = Literal["warn", "drop", "fail"]
FAILED_COLUMN = "_failed_expectations"
DROP_COLUMN = "_dropped"


@dataclass(frozen=True)
class Expectation:
    name: str
    sql: str
    action: Action

    def passed(self) -> Column:
        return F.coalesce(F.expr(self.sql), F.lit(False))


class ExpectationFailed(Exception):
    def __init__(self, table: str, failures: dict[str, int]):
        self.table, self.failures = table, failures
        detail = ", ".join(f"{name}: {n} rows" for name, n in failures.items())
        super().__init__(f"{table}: fail-action expectations not met ({detail}); nothing was written")


@dataclass(frozen=True)
class ExpectationResult:
    expectation: Expectation
    failed_rows: int
    total_rows: int


def evaluate(df: DataFrame, expectations: list[Expectation]) -> DataFrame:
    """Add the list of failed expectation names and whether the row is dropped."""
    failed_names = F.array_compact(
        F.array(*[F.when(~e.passed(), F.lit(e.name)) for e in expectations])
    )
    dropping = [e for e in expectations if e.action in ("drop", "fail")]
    dropped = F.lit(False)
    for e in dropping:
        dropped = dropped | ~e.passed()
    return df.withColumn(FAILED_COLUMN, failed_names).withColumn(DROP_COLUMN, dropped)


@dataclass(frozen=True)
class Counts:
    total_rows: int
    kept_rows: int
    results: list[ExpectationResult]


def count_failures(evaluated: DataFrame, expectations: list[Expectation]) -> Counts:
    """One pass over the data: total rows, rows kept, and failures per expectation."""
    aggs = [F.count(F.lit(1)).alias("_total"), F.sum(F.when(F.col(DROP_COLUMN), 0).otherwise(1)).alias("_kept")] + [
        F.sum(F.when(F.array_contains(F.col(FAILED_COLUMN), e.name), 1).otherwise(0)).alias(f"_e{i}")
        for i, e in enumerate(expectations)
    ]
    row = evaluated.agg(*aggs).collect()[0]
    total = int(row["_total"] or 0)
    results = [ExpectationResult(e, int(row[f"_e{i}"] or 0), total) for i, e in enumerate(expectations)]
    return Counts(total, int(row["_kept"] or 0), results)


def raise_on_fail_actions(table: str, results: list[ExpectationResult]) -> None:
    failures = {r.expectation.name: r.failed_rows for r in results if r.expectation.action == "fail" and r.failed_rows}
    if failures:
        raise ExpectationFailed(table, failures)
