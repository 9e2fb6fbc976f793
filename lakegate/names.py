"""Unity-Catalog-style three-level names (`catalog.schema.name`), shared by tables and models."""

from __future__ import annotations

import re

from lakegate.environment import CATALOGS

# The asset tag naming the use case an asset belongs to (ml_assets' factories set it; the cost
# table attributes spend by it).
USE_CASE_TAG = "lakegate/use_case"
_PART = re.compile(r"^[a-z_][a-z0-9_]*$")


def split_three_level(name: str, what: str) -> tuple[str, str, str]:
    """(catalog, schema, name); ValueError with a message for the user when it is malformed."""
    parts = name.split(".")
    if len(parts) != 3 or not all(_PART.match(p) for p in parts):
        raise ValueError(f"{what} name {name!r} must be catalog.schema.{what} in lower_snake_case")
    if parts[0] not in CATALOGS:
        raise ValueError(f"{what} name {name!r}: catalog must be one of {', '.join(CATALOGS)}")
    return parts[0], parts[1], parts[2]
