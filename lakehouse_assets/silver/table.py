"""A silver table, declared once: its source, how it is conformed, its expectations and its
data contract (the columns it promises, lakehouse_assets.contracts).

Columns named `_check_*` exist only for expectations and never reach silver. Expectations judge
rows (warn, drop or fail); the contract judges what is about to be written after they acted, so it
holds only what the drop and fail expectations guarantee (a warned code list is not a contract).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lakehouse_assets.contracts import ColumnContract
from lakehouse_assets.expectations import Expectation
from lakehouse_assets.landing import LandingSource


@dataclass(frozen=True)
class SilverTable:
    source: LandingSource
    conform: Callable
    expectations: tuple[Expectation, ...]
    description: str
    # The business key as silver names it (a pseudonymized key keeps its token name).
    key: tuple[str, ...]
    # Every silver column, typed, with its nullability, code list and range: checked before each write.
    columns: tuple[ColumnContract, ...]
    # Silver columns that stand in for the source's personal columns (quarantine keeps these instead).
    minimized: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.source.name


def is_one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL: the column holds one of the values."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


NO_RESCUED_DATA = Expectation("no_rescued_data", "_rescued_data IS NULL", "drop")
