"""The liveness sensor reads a real instance's sensor and schedule states and tick history (written
here as the daemon writes them) and alerts once when one stops ticking, once when it ticks again."""

import time

import dagster as dg
import pytest
from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteInstigatorOrigin, RemoteRepositoryOrigin
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    ScheduleInstigatorData,
    SensorInstigatorData,
    TickData,
    TickStatus,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from lakegate.alerting.sensors import LIVENESS_SENSOR, alert_sensors
from lakegate.alerting.table import AlertTable
from lakegate.alerting.ticks import liveness_tick
from lakegate.environment import load_environment
from lakegate.platform import Platform
from tests.integration.alert_receivers import ALERT_ENV
from tests.integration.alert_receivers import receivers  # noqa: F401 (a fixture)

pytestmark = pytest.mark.integration

REPOSITORY = RemoteRepositoryOrigin(
    InProcessCodeLocationOrigin(LoadableTargetOrigin(python_file=__file__), location_name="lakegate"), "__repository__")


@pytest.fixture(scope="module")
def instance():
    """One real SQLite instance for the module (each test names its own sensors)."""
    with dg.instance_for_test() as instance:
        yield instance


def running(instance, name, kind, data, status=InstigatorStatus.RUNNING) -> InstigatorState:
    return instance.add_instigator_state(InstigatorState(RemoteInstigatorOrigin(REPOSITORY, name), kind, status, data))


def good_tick(instance, state: InstigatorState, at: float) -> None:
    instance.create_tick(TickData(instigator_origin_id=state.instigator_origin_id, instigator_name=state.name,
                                  instigator_type=state.instigator_type, status=TickStatus.SKIPPED, timestamp=at,
                                  selector_id=state.selector_id, run_ids=[], run_keys=[]))


def test_a_sensor_that_stopped_ticking_alerts_once_and_resolves_when_it_ticks_again(tmp_path, receivers, instance):
    webhook, smtp = receivers
    env = load_environment(ALERT_ENV)
    now = time.time()
    landing = running(instance, "landing", InstigatorType.SENSOR, SensorInstigatorData(min_interval=30, sensor_type=None))
    good_tick(instance, landing, now - 200)  # 200 s > 3 x 30 s: stale
    hourly = running(instance, "hourly", InstigatorType.SCHEDULE, ScheduleInstigatorData("0 * * * *", now - 9000))
    good_tick(instance, hourly, now - 1800)  # half an hour into an hourly cadence: alive
    stopped = running(instance, "old", InstigatorType.SENSOR, SensorInstigatorData(min_interval=30, sensor_type=None),
                      status=InstigatorStatus.STOPPED)
    good_tick(instance, stopped, now - 9000)  # switched off on purpose: not watched
    watched = ["landing", "hourly", "old"]

    first = liveness_tick(instance, watched, None, env, tmp_path, now)
    assert [n.title for n in first.notices] == ["sensor:landing failing"]
    again = liveness_tick(instance, watched, first.cursor, env, tmp_path, now + 60)
    assert again.notices == []
    good_tick(instance, landing, now + 90)
    back = liveness_tick(instance, watched, again.cursor, env, tmp_path, now + 100)
    assert [n.title for n in back.notices] == ["sensor:landing resolved"]

    assert [b["lakegate"]["kind"] for b in webhook.bodies] == ["firing", "resolved"]
    assert "sensor landing stopped ticking: last good tick 200 s ago, more than 3 x its interval of 30 s" in webhook.bodies[0]["text"]
    assert [m["Subject"] for m in smtp.messages] == ["[Lakegate ERROR] sensor:landing failing",
                                                     "[Lakegate ERROR] sensor:landing resolved"]
    assert [r["key"] for r in AlertTable(tmp_path, "dev").read()] == ["sensor:landing", "sensor:landing"]


def test_the_liveness_sensor_watches_the_sensors_of_its_own_code_location(tmp_path, receivers, instance):
    webhook, _ = receivers
    sensors = {s.name: s for s in alert_sensors(load_environment(ALERT_ENV))}
    defs = dg.Definitions(sensors=list(sensors.values()))
    for name in ("elsewhere", LIVENESS_SENSOR):  # "elsewhere" is not in this code location
        state = running(instance, name, InstigatorType.SENSOR, SensorInstigatorData(min_interval=30, sensor_type=None))
        good_tick(instance, state, time.time() - 600)
    context = dg.build_sensor_context(instance=instance, definitions=defs,
                                      resources={"platform": Platform(environment=ALERT_ENV, home=str(tmp_path))})
    assert isinstance(sensors[LIVENESS_SENSOR](context), dg.SkipReason)
    assert [b["lakegate"]["key"] for b in webhook.bodies] == [f"sensor:{LIVENESS_SENSOR}"]
