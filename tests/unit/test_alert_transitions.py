"""Alert transitions: fire on pass -> fail and first-seen fail, resolve on fail -> pass, dedup, cooldown."""

import dagster as dg
import pytest

from lakegate import environment
from lakegate.alerting.sensors import CHECK_ALERT_SENSOR, LIVENESS_SENSOR, alert_sensors
from lakegate.alerting.transitions import FIRING, HELD, OK, OPEN, RESOLVED, KeyState, Observation, observe, release
from lakegate.environment import AlertsConfig, ConfigError, load_environment
from lakegate.secrets import secret_values


def obs(passed: bool, at: float, ref: str = "", severity: str = "ERROR") -> Observation:
    return Observation("a/b:c", passed, severity, at, ref or f"execution {at:g}", "text")


def run(outcomes, cooldown=0.0):
    """Feed (passed, at) pairs; returns the kinds of the notices given, and the last state."""
    state, kinds = KeyState(), []
    for passed, at in outcomes:
        state, notice = observe(state, obs(passed, at), cooldown)
        kinds.append(notice.kind if notice else None)
    return kinds, state


def test_first_seen_failure_fires_and_a_pass_resolves_it():
    kinds, state = run([(False, 1), (True, 2)])
    assert kinds == [FIRING, RESOLVED] and state.status == OK


def test_pass_to_fail_fires_once_however_often_it_fails_again():
    kinds, state = run([(True, 1), (False, 2), (False, 3), (False, 4)])
    assert kinds == [None, FIRING, None, None] and state.status == OPEN


def test_passing_checks_never_notify():
    assert run([(True, 1), (True, 2)])[0] == [None, None]


def test_a_resolved_notice_keeps_the_severity_of_the_alert_it_resolves():
    state, fired = observe(KeyState(), obs(False, 1, severity="WARN"), 0)
    _, resolved = observe(state, obs(True, 2, severity="ERROR"), 0)
    assert (fired.severity, resolved.severity, resolved.kind) == ("WARN", "WARN", RESOLVED)


def test_a_flap_inside_the_cooldown_is_held_and_fires_when_the_cooldown_ends_if_still_failing():
    kinds, state = run([(False, 0), (True, 10), (False, 20)], cooldown=100)
    assert kinds == [FIRING, RESOLVED, None] and state.status == HELD
    assert release(state, 50, 100) == (state, None)  # still cooling
    released, notice = release(state, 100, 100)
    assert released.status == OPEN and notice.kind == FIRING and notice.ref == "execution 20"


def test_a_held_failure_that_passes_before_the_cooldown_ends_says_nothing():
    kinds, state = run([(False, 0), (True, 10), (False, 20), (True, 30)], cooldown=100)
    assert kinds == [FIRING, RESOLVED, None, None] and state.status == OK
    assert release(state, 500, 100)[1] is None


def test_alert_ids_are_stable_per_transition_so_a_replayed_tick_stores_nothing_twice():
    first = observe(KeyState(), obs(False, 1, "execution 7"), 0)[1]
    again = observe(KeyState(), obs(False, 1, "execution 7"), 0)[1]
    other = observe(KeyState(), obs(False, 1, "execution 8"), 0)[1]
    assert first.alert_id == again.alert_id != other.alert_id


def test_state_round_trips_through_the_cursor_json():
    _, state = run([(False, 1), (False, 2)])
    assert KeyState.from_json(state.to_json()) == state


def test_cooldown_overrides_apply_per_check():
    config = AlertsConfig(cooldown_seconds=60, cooldown_overrides={"a/b:c": 5})
    assert (config.cooldown_for("a/b:c"), config.cooldown_for("x:y")) == (5, 60)


@pytest.mark.parametrize("alerts,message", [
    ("  routes: {ERROR: [webhook]}\n", "routes.ERROR names 'webhook', which has no webhook: section"),
    ("  routes: {INFO: []}\n", "alerts.routes.INFO"),
    ("  webhook: {url: https://hooks.example/T0}\n", r"alerts.webhook.url: Extra inputs are not permitted"),
    ("  email: {sender: a@b, recipients: []}\n", "alerts.email.recipients"),
    ("  webhook: {url_env: 'https://hooks.example/T0/B0/x'}\n", "alerts.webhook.url_env: String should match pattern"),
])
def test_bad_alert_settings_are_clear_errors(tmp_path, monkeypatch, alerts, message):
    monkeypatch.setattr(environment, "ENVIRONMENTS_DIR", tmp_path)
    (tmp_path / "x.yaml").write_text("name: x\ncatalog: dev\nalerts:\n" + alerts)
    with pytest.raises(ConfigError, match=message):
        load_environment("x")


@pytest.mark.parametrize("name", ["local", "dev", "test", "prod"])
def test_shipped_environments_route_every_severity(name):
    routes = load_environment(name).alerts.routes
    assert set(routes) == {"WARN", "ERROR"}



def test_both_alert_sensors_run_by_default_at_the_environments_intervals():
    sensors = {s.name: s for s in alert_sensors(load_environment("local"))}
    assert {n: s.minimum_interval_seconds for n, s in sensors.items()} == {CHECK_ALERT_SENSOR: 30, LIVENESS_SENSOR: 60}
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING and s.required_resource_keys == {"platform"}
               for s in sensors.values())


def test_the_shipped_alert_variables_are_known_secrets_to_the_ledger_guards():
    names = set()
    for name in ("dev", "test", "prod"):
        alerts = load_environment(name).alerts
        names |= {alerts.webhook.url_env, alerts.email.password_env}
    environ = {n: "https://hooks.example/T0/B0/XXXXXXXXXXXX" for n in names}
    assert set(secret_values(environ=environ)) == {f"${n}" for n in names}
