"""Online/offline parity: for a sample of keys, the online store returns what the offline tables
say was current when the online store was materialized. Train/serve skew shows up here first."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from lakegate.lake import Lake
from ml_assets.features.online import OnlineStore, latest_per_key
from ml_assets.features.views import FeatureView


@dataclass
class ParityResult:
    keys_compared: int = 0
    mismatches: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.keys_compared > 0 and not self.mismatches


def _equal(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b


def check_parity(lake: Lake, catalog: str, store: OnlineStore, views: list[FeatureView], sample: int = 200, seed: int = 0) -> ParityResult:
    result = ParityResult()
    meta = store.materializations()
    rng = random.Random(seed)
    for view in views:
        info = meta.get(view.name)
        if info is None:
            result.mismatches.append({"view": view.name, "problem": "view missing from the online store"})
            continue
        as_of = dt.datetime.fromisoformat(info["materialized_at"])
        offline = latest_per_key(lake.read_arrow(view.table(catalog), version=info["offline_version"]), view, as_of).to_pylist()
        rows = rng.sample(offline, min(sample, len(offline)))
        for expected in rows:
            got = store.lookup({view.entity: expected[view.entity]}, now=as_of.timestamp())
            fresh = view.ttl is None or as_of - expected["event_timestamp"] <= view.ttl
            result.keys_compared += 1
            for name in view.feature_names:
                want = expected[name] if fresh else None
                if not _equal(got[name], want):
                    result.mismatches.append({"view": view.name, "key": expected[view.entity], "feature": name, "online": got[name], "offline": want})
    return result
