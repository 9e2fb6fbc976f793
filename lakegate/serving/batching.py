"""Micro-batching: the requests that reach a compiled scorer in the same turn of a worker's event loop
are scored in one call.

Under load a worker holds several requests at once (one per connection it serves); scoring them one
by one pays the scorer's fixed cost (building the feature arrays, one compiled walk of every tree)
each time: about 105 µs for one row against 26 µs a row for four (claims triage, measured
2026-12-02). The first request of a turn schedules the flush with `call_soon`, which runs after
every request the loop already had in hand, so a lone request waits one loop turn, not a timer.

The answers stay bit-identical: the scorer treats rows independently (features element-wise, one
tree walk and one sequential sum per row), and only requests whose columns hold the same kinds of
values are joined, so a joined column converts to the dtype each request's own column would have.
If a joined call fails, each request is scored alone, so an error stays with the request that
caused it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, Mapping, Sequence

import numpy as np

_logger = logging.getLogger(__name__)

Columns = Mapping[str, Sequence]


class ScoreBatcher:
    def __init__(self, score: Callable[[Columns], np.ndarray], max_rows: int):
        self._score = score
        self.max_rows = max_rows  # rows per call, at most (a request larger than this is scored alone)
        self._pending: dict[tuple, list[tuple[Columns, int, asyncio.Future]]] = {}
        self._scheduled = False

    def score(self, columns: Columns) -> asyncio.Future:
        """A future of the request's scores, one per row, set when this loop turn's batch is scored."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.setdefault(_value_types(columns), []).append((columns, _rows(columns), future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        self._scheduled = False
        groups, self._pending = self._pending, {}
        for group in groups.values():
            batch, rows = [], 0
            for entry in group:
                if batch and rows + entry[1] > self.max_rows:
                    self._run(batch)
                    batch, rows = [], 0
                batch.append(entry)
                rows += entry[1]
            self._run(batch)

    def _run(self, batch: list[tuple[Columns, int, asyncio.Future]]) -> None:
        if len(batch) > 1:
            try:
                scores = self._score(_joined([columns for columns, _, _ in batch]))
            except Exception:  # noqa: BLE001 - score each alone below, so only the culprit fails
                _logger.debug("a joined scoring call failed; scoring its %d requests alone", len(batch), exc_info=True)
            else:
                start = 0
                for _, rows, future in batch:
                    _settle(future, result=scores[start:start + rows])
                    start += rows
                return
        for columns, _, future in batch:
            try:
                _settle(future, result=self._score(columns))
            except Exception as exc:  # noqa: BLE001 - the request's own failure, answered as such
                _settle(future, error=exc)


def _settle(future: asyncio.Future, result=None, error: BaseException | None = None) -> None:
    if future.done():  # its caller went away (a dropped connection cancels the request)
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _rows(columns: Columns) -> int:
    return len(next(iter(columns.values()))) if columns else 0


def _value_types(columns: Columns) -> tuple:
    """What decides how each column converts to an array: its name, a NumPy column's dtype, the set of
    a list's value types (a list of floats and None stays an object array when joined to another)."""
    return tuple((name, values.dtype.str) if isinstance(values, np.ndarray) else (name, frozenset(map(type, values)))
                 for name, values in columns.items())


def _joined(requests: list[Columns]) -> dict[str, Sequence]:
    first = requests[0]
    return {name: np.concatenate([r[name] for r in requests]) if isinstance(values, np.ndarray)
            else [v for r in requests for v in r[name]] for name, values in first.items()}
