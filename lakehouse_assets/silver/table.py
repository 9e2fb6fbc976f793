"""A silver table, declared once: its source, how it is conformed, and its expectations.

Columns named `_check_*` exist only for expectations and never reach silver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

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
    # Silver columns that stand in for the source's personal columns (quarantine keeps these instead).
    minimized: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.source.name


def is_one_of(column: str, values: tuple[str, ...]) -> str:
    """SQL: the column holds one of the values."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


NO_RESCUED_DATA = Expectation("no_rescued_data", "_rescued_data IS NULL", "drop")
