"""The inference-log drain's priority knob (docs/decisions/0045): a clear refusal for a bad value."""

import pytest

from lakegate.environment import ConfigError
from lakegate.serving.server import DRAIN_NICENESS_ENV, drain_niceness


def test_the_drain_runs_at_the_normal_priority_unless_told(monkeypatch):
    monkeypatch.delenv(DRAIN_NICENESS_ENV, raising=False)
    assert drain_niceness() == 0
    monkeypatch.setenv(DRAIN_NICENESS_ENV, "19")
    assert drain_niceness() == 19


@pytest.mark.parametrize("value", ["high", "-5", "20", "1.5"])
def test_a_value_outside_0_to_19_is_refused_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv(DRAIN_NICENESS_ENV, value)
    with pytest.raises(ConfigError, match=DRAIN_NICENESS_ENV):
        drain_niceness()
