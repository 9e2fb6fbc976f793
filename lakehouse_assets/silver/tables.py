"""Every silver table of every domain, by name (each domain declares its own in
lakehouse_assets/domains/<domain>/silver.py)."""

from __future__ import annotations

from lakehouse_assets.domains import DOMAINS
from lakehouse_assets.domains.domain import registry
from lakehouse_assets.silver.table import SilverTable

SILVER_TABLES: dict[str, SilverTable] = registry("silver table", (t for d in DOMAINS for t in d.silver_tables))
