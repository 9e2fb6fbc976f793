"""Every derived gold table of every domain, by name (lakehouse_assets/domains/<domain>/gold.py)."""

from __future__ import annotations

from lakehouse_assets.derived.table import DerivedTable
from lakehouse_assets.domains import DOMAINS
from lakehouse_assets.domains.domain import registry

DERIVED_TABLES: dict[str, DerivedTable] = registry("derived table", (t for d in DOMAINS for t in d.derived_tables))
