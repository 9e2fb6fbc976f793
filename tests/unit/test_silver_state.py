"""The silver build's fingerprint: what makes the next build start again from every bronze row."""

import dataclasses
import datetime as dt

from lakehouse_assets.expectations import Expectation
from lakehouse_assets.silver.state import fingerprint
from lakehouse_assets.silver.tables import SILVER_TABLES

CLAIMS = SILVER_TABLES["claims"]
KEY = b"test-key-0123456789abcdef"
NOON = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)


def test_the_same_rules_on_the_same_day_give_the_same_fingerprint():
    evening = NOON.replace(hour=23).astimezone(dt.timezone(dt.timedelta(hours=-5)))  # still 1 March in UTC
    assert fingerprint(CLAIMS, KEY, NOON) == fingerprint(CLAIMS, KEY, evening)


def test_a_new_day_a_new_key_or_a_changed_expectation_change_it():
    base = fingerprint(CLAIMS, KEY, NOON)
    stricter = dataclasses.replace(CLAIMS, expectations=(*CLAIMS.expectations, Expectation("x", "amount < 5", "drop")))
    assert fingerprint(CLAIMS, KEY, NOON + dt.timedelta(days=1)) != base
    assert fingerprint(CLAIMS, b"another-key-0123456789", NOON) != base
    assert fingerprint(stricter, KEY, NOON) != base
    assert fingerprint(SILVER_TABLES["members"], KEY, NOON) != base
