"""A gold table derived in PySpark from other tables of the lake, declared once.

dbt models (lakehouse_assets/dbt_project/) suit gold that analysts read and change as SQL. A
derived table suits gold that ML reads as its rows to predict and their labels: its transformation
is a plain function of DataFrames (unit-testable like a feature view), its rows are checked against
its data contract before each write, and its Delta commit records the versions it read, so lineage
runs through it down to the landed files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from pyspark.sql import DataFrame

from lakehouse_assets.contracts import ColumnContract

GOLD_SCHEMA = "gold"


@dataclass(frozen=True)
class DerivedTable:
    name: str  # written as <catalog>.gold.<name>
    sources: tuple[str, ...]  # schema.table, in the environment's catalog
    transformation: Callable[[dict[str, DataFrame]], DataFrame]  # {source: DataFrame} -> the table's rows
    key: tuple[str, ...]
    columns: tuple[ColumnContract, ...]  # the data contract, checked before every write
    description: str
    owner: str

    def table(self, catalog: str) -> str:
        return f"{catalog}.{GOLD_SCHEMA}.{self.name}"
