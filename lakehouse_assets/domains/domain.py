"""What one domain declares to the lakehouse."""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse_assets.derived.table import DerivedTable
from lakehouse_assets.landing import LandingSource
from lakehouse_assets.silver.table import SilverTable


@dataclass(frozen=True)
class Domain:
    name: str
    sources: tuple[LandingSource, ...]
    silver_tables: tuple[SilverTable, ...]
    derived_tables: tuple[DerivedTable, ...] = ()  # gold built in PySpark (dbt models: lakehouse_assets/dbt_project/)


def registry(kind: str, items) -> dict:
    """{name: item}, refusing a name declared twice (two domains with one source, say)."""
    out: dict = {}
    for item in items:
        if item.name in out:
            raise ValueError(f"{kind} {item.name!r} is declared twice")
        out[item.name] = item
    return out
