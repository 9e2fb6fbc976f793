"""The serving worker's micro-batcher (lakegate/serving/batching.py): requests that reach it in one
turn of the event loop share one scorer call, each gets its own rows back, and a failure stays
with the request that caused it."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from lakegate.serving.batching import ScoreBatcher


class RecordingScorer:
    """Scores row i as 10 × amount; refuses a joined call holding a negative amount, and a negative amount alone."""

    def __init__(self):
        self.calls: list[int] = []

    def __call__(self, columns) -> np.ndarray:
        amounts = np.asarray(columns["amount"], dtype=float)
        self.calls.append(len(amounts))
        if (amounts < 0).any():
            raise ValueError("negative amount")
        return amounts * 10.0


def score_together(batcher: ScoreBatcher, requests: list[dict]) -> list:
    async def run():
        futures = [batcher.score(columns) for columns in requests]  # all in one loop turn
        return await asyncio.gather(*futures, return_exceptions=True)
    return asyncio.run(run())


def test_requests_of_one_loop_turn_share_one_call_and_get_their_own_rows():
    scorer = RecordingScorer()
    batcher = ScoreBatcher(scorer, max_rows=64)
    results = score_together(batcher, [{"amount": [1.0]}, {"amount": [2.0, 3.0]}, {"amount": [4.0]}])
    assert scorer.calls == [4]
    assert [r.tolist() for r in results] == [[10.0], [20.0, 30.0], [40.0]]


def test_requests_whose_values_differ_in_type_are_not_joined():
    scorer = RecordingScorer()
    results = score_together(ScoreBatcher(scorer, max_rows=64), [{"amount": [1.0]}, {"amount": [2]}, {"amount": [3.0]}])
    assert sorted(scorer.calls) == [1, 2]  # the float ones together, the int one alone
    assert [r.tolist() for r in results] == [[10.0], [20.0], [30.0]]


def test_a_failing_joined_call_is_retried_alone_and_only_the_culprit_fails():
    scorer = RecordingScorer()
    results = score_together(ScoreBatcher(scorer, max_rows=64), [{"amount": [1.0]}, {"amount": [-1.0]}, {"amount": [2.0]}])
    assert scorer.calls == [3, 1, 1, 1]
    assert results[0].tolist() == [10.0] and results[2].tolist() == [20.0]
    assert isinstance(results[1], ValueError)


def test_a_batch_holds_at_most_max_rows():
    scorer = RecordingScorer()
    score_together(ScoreBatcher(scorer, max_rows=3), [{"amount": [1.0, 1.0]}, {"amount": [1.0]}, {"amount": [1.0, 1.0]},
                                                      {"amount": [1.0] * 5}])
    assert scorer.calls == [3, 2, 5]  # a request larger than the bound is scored alone


def test_a_request_whose_caller_left_does_not_stop_the_others():
    scorer = RecordingScorer()
    batcher = ScoreBatcher(scorer, max_rows=64)

    async def run():
        gone, kept = batcher.score({"amount": [1.0]}), batcher.score({"amount": [2.0]})
        gone.cancel()
        return await kept

    assert asyncio.run(run()).tolist() == [20.0]


def test_a_request_in_a_later_loop_turn_goes_in_the_next_batch():
    scorer = RecordingScorer()
    batcher = ScoreBatcher(scorer, max_rows=64)

    async def run():
        first = await batcher.score({"amount": [1.0]})
        second = await batcher.score({"amount": [2.0]})
        return first, second

    first, second = asyncio.run(run())
    assert scorer.calls == [1, 1] and first.tolist() == [10.0] and second.tolist() == [20.0]


@pytest.mark.parametrize("values", [[1.0, None], ["2025-01-01", "2025-01-02"]])
def test_lists_holding_the_same_kinds_of_values_are_joined(values):
    seen = []
    batcher = ScoreBatcher(lambda columns: seen.append(list(columns["x"])) or np.zeros(len(columns["x"])), max_rows=64)
    score_together(batcher, [{"x": list(values)}, {"x": list(values)}])
    assert seen == [list(values) * 2]
