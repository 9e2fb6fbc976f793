"""Time-based split: train on the oldest events, choose the threshold on the next, test on the newest.

Cut points are event timestamps, so every row of one timestamp lands in the same part (claims
submitted the same day never straddle train and test); the fractions are therefore approximate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml_assets.spec import TimeSplit
from ml_assets.training.columns import TrainingDataError

PARTS = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitIndex:
    """Positional row indices of each part, and the timestamps that separate them."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    validation_start: pd.Timestamp
    test_start: pd.Timestamp

    def part(self, name: str) -> np.ndarray:
        return getattr(self, name)

    def sizes(self) -> dict[str, int]:
        return {name: int(len(self.part(name))) for name in PARTS}


def time_split(event_times: pd.Series, split: TimeSplit) -> SplitIndex:
    """Split rows by event time per `split` (fractions of rows, cut on timestamp boundaries)."""
    v, t = split.validation_fraction, split.test_fraction
    if not (0 < v < 1 and 0 < t < 1 and v + t < 1):
        raise ValueError(f"split fractions must be in (0, 1) with room left to train: validation {v}, test {t}")
    times = pd.to_datetime(pd.Series(event_times).reset_index(drop=True), utc=True)
    if times.isna().any():
        raise TrainingDataError("cannot split by time: some rows have no event timestamp")
    n = len(times)
    if n < 3:
        raise TrainingDataError(f"cannot split {n} rows into train, validation and test")
    values = times.dt.tz_localize(None).to_numpy()  # UTC, as datetime64[ns]
    ordered = np.sort(values)
    validation_start = ordered[_position(n, 1 - v - t)]
    test_start = ordered[_position(n, 1 - t)]
    index = SplitIndex(
        train=np.flatnonzero(values < validation_start),
        validation=np.flatnonzero((values >= validation_start) & (values < test_start)),
        test=np.flatnonzero(values >= test_start),
        validation_start=pd.Timestamp(validation_start, tz="UTC"),
        test_start=pd.Timestamp(test_start, tz="UTC"),
    )
    empty = [name for name, size in index.sizes().items() if size == 0]
    if empty:
        raise TrainingDataError(
            f"time split left {', '.join(empty)} empty: {n} rows on {times.nunique()} distinct event times "
            f"(validation from {index.validation_start}, test from {index.test_start})"
        )
    return index


def _position(n: int, share: float) -> int:
    """The first row (in time order) past `share` of n rows; rounding keeps 0.7 * 100 at 70."""
    return min(n - 1, int(np.floor(round(n * share, 9))))
