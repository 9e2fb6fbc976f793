"""Which use case a registered model belongs to, from the use cases' specs alone.

Apart from ml_assets.keys (asset keys are Dagster's), so the serving workers and the deployment gate
can ask without loading Dagster.
"""

from __future__ import annotations

from lakegate.environment import CATALOGS
from ml_assets.usecases import USE_CASES


def use_case_of(model_name: str) -> str | None:
    """The use case a registered model (`catalog.schema.model`) belongs to."""
    for use_case in USE_CASES.values():
        if any(use_case.registered_model_name(catalog) == model_name for catalog in CATALOGS):
            return use_case.name
    return None
