"""Every feature view of every use case, by name: what the offline tables, the online store and the
training sets are built from. Each use case declares its views in its own module."""

from __future__ import annotations

from ml_assets.features import claims_triage_views, machine_failure_views
from ml_assets.features.views import FeatureView, register

FEATURE_VIEWS: dict[str, FeatureView] = register({}, *claims_triage_views.VIEWS, *machine_failure_views.VIEWS)
