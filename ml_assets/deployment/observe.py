"""What a canary step reads besides its requests (lakegate/serving/environment_endpoints.py:
canary_observer): the use case's outcomes that have arrived (labels for precision and recall)."""

from __future__ import annotations

import pandas as pd

from lakegate.lake import Lake
from ml_assets.spec import LabelSpec


def outcomes_reader(lake: Lake, catalog: str, label: LabelSpec):
    """The label table as pandas (`record_key`, `label`, `available_at`), or None before it exists."""
    name = f"{catalog}.{label.table}"

    def outcomes() -> pd.DataFrame | None:
        if not lake.exists(name):
            return None
        frame = lake.read_arrow(name, columns=[label.key, label.column, label.available_at]).to_pandas()
        return frame.rename(columns={label.key: "record_key", label.column: "label", label.available_at: "available_at"})

    return outcomes
