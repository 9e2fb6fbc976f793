"""The landing contract: what each source's files look like when they arrive.

Files land as UTF-8 CSV with a header row (`.csv`, or gzip-compressed `.csv.gz`) in
`$LAKEGATE_HOME/landing/<source>/`. Bronze keeps every value as the raw string it arrived as;
silver types and checks them. Columns a file has beyond these go to `_rescued_data`.
Each domain declares its sources (lakehouse_assets/domains/); `lakehouse_assets.sources` is the
registry bronze and the landing sensor read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LandingSource:
    name: str
    columns: tuple[str, ...]
    business_key: tuple[str, ...]
    # The column that orders versions of one business key: the latest wins in silver.
    updated_at: str
    description: str
    # Raw personal data: kept only in bronze; silver and quarantine hold its minimized forms.
    personal_columns: tuple[str, ...] = ()
