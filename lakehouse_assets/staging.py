"""Compute a Spark plan once, into files, so everything that follows reads the result.

A transform's checks, writes and counts are separate queries; on a plan they would each run it
again (three evaluations of a conformed table, measured). Staged, the plan runs once: its rows are
written as Parquet under `<lake root>/_staging/` and read back, so the rows a contract checks are
the rows then written. Unlike a local relation (`toArrow` then `createDataFrame`), no row passes
through this process, so it works at any size (a 1M-claim local relation exceeds Spark Connect's
128 MB message limit) and on a cluster engine whose workers reach the lake root.
The staged files are deleted when the block ends, whether it succeeded or not.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from lakegate.lake import Lake

STAGING_DIR = "_staging"


class Staging:
    def __init__(self, spark: SparkSession, root: Path):
        self.spark, self.root = spark, root

    def stage(self, df: DataFrame, label: str) -> DataFrame:
        """`df` computed once: its rows, written and read back with its schema."""
        path = str(self.root / label)
        schema = df.schema
        # snappy, as Delta writes it: faster to write and read than the engine's default zstd here.
        df.write.mode("overwrite").option("compression", "snappy").parquet(path)
        return self.spark.read.schema(schema).parquet(path)


@contextmanager
def staging(spark: SparkSession, lake: Lake, table: str) -> Iterator[Staging]:
    """A staging area for one build of `table` (catalog.schema.table), removed when the block ends."""
    root = lake.root / STAGING_DIR / f"{table}-{uuid.uuid4().hex}"
    try:
        yield Staging(spark, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
