"""Feature views: each declared once with its entity, event timestamp, sources, transformation,
TTL, owner and description. The same definition feeds the offline Delta table, the point-in-time
training join and the online store.

A transformation is a plain PySpark function of the source tables that returns one row per
(entity, event_timestamp): the feature values as of that instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from pyspark.sql import DataFrame

# The two timestamps of every row of a view's offline table (and of the online store's selection).
CREATED = "created_timestamp"
EVENT = "event_timestamp"


@dataclass(frozen=True)
class Feature:
    name: str
    dtype: str  # Spark SQL type name: long, int, double, string
    description: str


@dataclass(frozen=True)
class FeatureView:
    name: str
    entity: str  # the key column, e.g. member_token
    sources: tuple[str, ...]  # schema.table in the environment's catalog
    transformation: Callable[[dict[str, DataFrame]], DataFrame]
    features: tuple[Feature, ...]
    description: str
    owner: str
    # Values whose event is older than this are missing, offline and online alike (None: never).
    ttl: dt.timedelta | None = None
    # How long after its event a value is available from the batch pipeline. Used once, when a
    # view's history is first built: a row's created timestamp is when it would have been produced.
    availability_lag: dt.timedelta = dt.timedelta(hours=6)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def table(self, catalog: str) -> str:
        return f"{catalog}.features.{self.name}"


def register(registry: dict[str, FeatureView], *views: FeatureView) -> dict[str, FeatureView]:
    for view in views:
        if view.name in registry:
            raise ValueError(f"feature view {view.name!r} is defined twice")
        registry[view.name] = view
    return registry
