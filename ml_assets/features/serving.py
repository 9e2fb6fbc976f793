"""Features for a scoring request: the caller sends entity keys and raw claim fields; the online
store supplies every feature view's latest values, so the model sees the columns it was trained on.
The fields must first pass the use case's request rules (request_rules.py): a 400, not a score.

A raw identifier (member_id) is pseudonymized with the same keyed HMAC silver uses, then dropped:
it never reaches the model input, and so never the inference table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from lakegate.pii import hmac_sha256_text
from ml_assets.features.definitions import FEATURE_VIEWS
from ml_assets.features.online import OnlineStore, online_store_path
from ml_assets.features.request_rules import describe, request_problems
from ml_assets.spec import UseCase
from ml_assets.usecases import USE_CASES


class RequestError(ValueError):
    """The request lacks what the model needs or breaks the use case's request rules; the message is
    for the caller and names fields, never their values."""


@dataclass
class RequestEnricher:
    use_case: UseCase
    store: OnlineStore
    pii_key: bytes

    def __post_init__(self):
        self.views = [FEATURE_VIEWS[name] for name in self.use_case.feature_views]
        self.text_features = {f.name for v in self.views for f in v.features if f.dtype == "string"}
        self.feature_names = [name for v in self.views for name in v.feature_names]
        self.raw_for = dict(self.use_case.entity_rows.pseudonymized_keys)  # member_token -> member_id
        self.record_key = self.use_case.entity_rows.key
        # Per entity column, the request columns that may carry it (the pseudonym or the raw id).
        self.accepted_keys = {e: tuple(c for c in (e, self.raw_for.get(e)) if c)
                              for e in self.use_case.entity_rows.entity_columns}
        self.identifiers = (self.record_key, *(c for options in self.accepted_keys.values() for c in options))

    def model_input(self, columns: Mapping[str, Sequence]) -> dict[str, Sequence]:
        """Columns for the model: the request fields as sent, then each looked-up feature.
        `columns` maps a request column to its values (a list, or a pandas frame via frame_columns)."""
        self._check_columns(columns)
        problems = request_problems(columns, self.use_case.entity_rows.request_fields, self.identifiers)
        if problems:
            raise RequestError(describe(problems))
        rows = len(next(iter(columns.values()))) if columns else 0
        keys = {entity: self._entity_values(columns, entity) for entity in self.use_case.entity_rows.entity_columns}
        now = dt.datetime.now(dt.timezone.utc).timestamp()
        found = [self.store.lookup({e: keys[e][i] for e in keys}, now=now) for i in range(rows)]
        out: dict[str, Sequence] = {c: columns[c] for c in self.use_case.entity_rows.request_columns}
        for name in self.feature_names:
            values = [row[name] for row in found]
            out[name] = (np.array(values, dtype=object) if name in self.text_features
                         else np.array([np.nan if v is None else v for v in values], dtype="float64"))
        return out

    def record_keys(self, columns: Mapping[str, Sequence]) -> list[str] | None:
        """The use case's row key (claim_id) when the caller sends it: joins served predictions to outcomes."""
        if self.record_key not in columns:
            return None
        return [None if v is None else str(v) for v in columns[self.record_key]]

    def _entity_values(self, columns: Mapping[str, Sequence], entity: str) -> list[str | None]:
        if entity in columns:
            return [None if _missing(v) else str(v) for v in columns[entity]]
        raw = self.raw_for[entity]
        return [None if _missing(v) else hmac_sha256_text(str(v), self.pii_key) for v in columns[raw]]

    def _check_columns(self, columns: Mapping[str, Sequence]) -> None:
        present = set(columns)
        missing = [c for c in self.use_case.entity_rows.request_columns if c not in present]
        missing += [" or ".join(options) for options in self.accepted_keys.values() if not present.intersection(options)]
        if missing:
            raise RequestError(f"Model is missing inputs {missing}. The endpoint looks up "
                               f"{len(self.feature_names)} features from the online store by "
                               f"{' and '.join(self.use_case.entity_rows.entity_columns)}; send the request fields "
                               f"{list(self.use_case.entity_rows.request_columns)} and the keys.")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def enricher_for(use_case_name: str | None, home: Path, pii_key: bytes) -> RequestEnricher | None:
    """The enricher for a model trained by Lakegate for `use_case_name`; None for any other model."""
    use_case = USE_CASES.get(use_case_name or "")
    if use_case is None:
        return None
    views = [FEATURE_VIEWS[name] for name in use_case.feature_views]
    return RequestEnricher(use_case, OnlineStore(online_store_path(home), views), pii_key)
