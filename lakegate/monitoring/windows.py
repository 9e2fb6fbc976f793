"""Calendar-aligned windows in UTC, as Lakehouse Monitoring's granularities name them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_MICROS = {"1 hour": 3_600_000_000, "1 day": 86_400_000_000}
GRANULARITIES = tuple(_MICROS)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def check_granularity(granularity: str) -> int:
    """The window length in microseconds; an unknown granularity is an error, never a default."""
    try:
        return _MICROS[granularity]
    except KeyError:
        raise ValueError(f"granularity {granularity!r} is not one of {', '.join(GRANULARITIES)}") from None


def window_starts(timestamps: pa.Array | pa.ChunkedArray, granularity: str) -> np.ndarray:
    """Each timestamp's window start, in microseconds since the epoch (UTC), vectorised."""
    length = check_granularity(granularity)
    micros = pc.cast(pc.cast(timestamps, pa.timestamp("us", tz="UTC")), pa.int64()).to_numpy(zero_copy_only=False)
    return micros - np.mod(micros, length)  # floor also for times before 1970


def window_bounds(start_us: int, granularity: str) -> tuple[dt.datetime, dt.datetime]:
    """The window's [start, end) as timezone-aware datetimes."""
    length = check_granularity(granularity)
    start = _EPOCH + dt.timedelta(microseconds=int(start_us))
    return start, start + dt.timedelta(microseconds=length)


def previous_start(start_us: int, granularity: str) -> int:
    return int(start_us) - check_granularity(granularity)


def next_start(start_us: int, granularity: str) -> int:
    return int(start_us) + check_granularity(granularity)
