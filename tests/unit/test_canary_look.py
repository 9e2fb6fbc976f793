"""When a canary step reads the inference log again (ml_assets/deployment/rollout.py: next_look): as soon as
the rate seen says both sides have their requests, never sooner than MIN_LOOK_SECONDS nor later than the
policy's poll interval, doubling while a side's rate is not known."""

from __future__ import annotations

import pytest

from ml_assets.deployment.rollout import MIN_LOOK_SECONDS, Look, next_look

POLL = 5.0


def test_before_any_rate_is_known_the_wait_doubles_from_the_minimum_up_to_the_poll_interval():
    looks = [Look(0.0, 0, 0), Look(0.5, 0, 0), Look(1.0, 0, 0), Look(2.0, 0, 0), Look(4.0, 0, 0), Look(8.0, 0, 0)]
    waits = [next_look(look, previous, 200, POLL) for previous, look in zip([None, *looks], looks)]
    assert waits == [MIN_LOOK_SECONDS, MIN_LOOK_SECONDS, 1.0, 2.0, 4.0, POLL]


def test_the_next_read_comes_when_the_slower_side_should_have_its_requests():
    # the canary grew 57 in the last second and needs 143 more; the incumbent already has enough
    assert next_look(Look(2.0, 57, 400), Look(1.0, 0, 200), 200, POLL) == pytest.approx(143 / 57)
    # both short: the one that needs longer decides
    assert next_look(Look(2.0, 100, 150), Look(1.0, 50, 50), 200, POLL) == pytest.approx(2.0)


def test_slow_traffic_is_read_no_more_often_than_the_policy_says_and_fast_traffic_no_sooner_than_the_minimum():
    assert next_look(Look(10.0, 10, 10), Look(5.0, 5, 5), 200, POLL) == POLL
    assert next_look(Look(2.0, 199, 199), Look(1.0, 100, 100), 200, POLL) == MIN_LOOK_SECONDS


def test_a_side_whose_count_did_not_grow_backs_off_as_if_its_rate_were_unknown():
    assert next_look(Look(3.0, 20, 20), Look(1.0, 20, 20), 200, POLL) == 3.0
