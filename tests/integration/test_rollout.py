"""Canary rollout on the real local control plane and audit ledger; only the waiting is on a fake clock.

`observe` stands in for the inference-log reader: it reads the endpoint's live traffic shares from
the control store and returns synthetic rows for that step, with the canary side under the test's control.
"""

from __future__ import annotations

import pytest

from gates.deployment_policy import load_deployment_policy
from lakegate.ledger import Ledger
from lakegate.serving.inference_log import INFERENCE_LOG_SCHEMA
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.endpoints import ServedEntity, single_version_config
from ml_assets.deployment.rollout import run_canary
from tests.unit.test_deployment_health import as_log, inference_rows
from gates.policy import policies_dir

CLAIMS_POLICIES = policies_dir("claims_triage")

pytestmark = pytest.mark.integration

ENDPOINT = "claims-triage"
MODEL = "dev.claims.triage_model"
INCUMBENT = ServedEntity.default_name(MODEL, "1")  # triage_model-1
NEW = ServedEntity(name=ServedEntity.default_name(MODEL, "2"), entity_name=MODEL, entity_version="2")
POLICY = load_deployment_policy("local", CLAIMS_POLICIES)  # min_requests 200, max_wait 600 s, poll 5 s


class FakeClock:
    def __init__(self):
        self.now = 1_800_000_000.0
        self.slept = 0.0

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


@pytest.fixture
def manager(home):
    endpoints = LocalEndpoints(home, registry=None)
    endpoints.create(ENDPOINT, single_version_config(MODEL, "1"), actor="alice", reason="serve v1")
    return endpoints


def observer(manager, canary_at=lambda share, call: {}, first_calls_short: int = 1):
    """Rows for the window at the current share: the first poll of each step sees only a trickle."""
    calls: dict[int, int] = {}
    seed = iter(range(10_000))

    def observe(canary: str, incumbent: str, since: float):
        share = manager.get(ENDPOINT).config.traffic_config.shares()[canary]
        calls[share] = calls.get(share, 0) + 1
        n = 20 if calls[share] <= first_calls_short else 300
        return as_log(inference_rows(canary, n, seed=next(seed), **canary_at(share, calls[share])),
                      inference_rows(incumbent, n, seed=next(seed)))

    observe.calls = calls
    return observe


def traffic_records(home):
    return [(r.kind, r.outcome["to"]["traffic"]) for r in Ledger(home / "audit" / "ledger.jsonl").records()
            if r.kind in ("traffic_change", "rollback")]


def test_healthy_canary_takes_all_traffic_and_keeps_the_incumbent_at_zero(home, manager):
    clock, seen = FakeClock(), []
    result = run_canary(manager, ENDPOINT, NEW, POLICY, observer(manager), actor="deployer", reason="promote v2",
                        clock=clock, on_step=seen.append)

    assert result.succeeded and not result.rolled_back and not result.first_deployment, result.reason
    assert result.incumbent == INCUMBENT and result.failed_step is None
    assert result.final_traffic == {INCUMBENT: 0, NEW.name: 100}
    assert manager.get(ENDPOINT).config.traffic_config.shares() == {INCUMBENT: 0, NEW.name: 100}
    assert [s.traffic for s in result.steps] == [10, 25, 50, 100] == [s.traffic for s in seen]
    assert all(s.health.healthy for s in result.steps[:3]) and result.steps[3].health is None
    assert [s.seconds for s in result.steps] == [0.5, 0.5, 0.5, 0.0]  # a second read soon after the first had a trickle
    assert traffic_records(home) == [
        ("traffic_change", {INCUMBENT: 90, NEW.name: 10}),
        ("traffic_change", {INCUMBENT: 75, NEW.name: 25}),
        ("traffic_change", {INCUMBENT: 50, NEW.name: 50}),
        ("traffic_change", {INCUMBENT: 0, NEW.name: 100}),
    ]
    assert all(r.actor == "deployer" for r in Ledger(home / "audit" / "ledger.jsonl").records()[1:])
    # One command rolls back, no model to load: the incumbent is still served.
    assert manager.rollback(ENDPOINT, actor="oncall", reason="drill").config.full_share_entity() == INCUMBENT
    assert [s["verdict"]["passed"] for s in result.to_dict()["steps"][:3]] == [True, True, True]


def test_unhealthy_canary_at_25_is_rolled_back_to_the_incumbent(home, manager):
    errors_at_25 = lambda share, call: {"server_errors": 0.05} if share == 25 else {}  # noqa: E731
    result = run_canary(manager, ENDPOINT, NEW, POLICY, observer(manager, errors_at_25), actor="deployer",
                        reason="promote v2", clock=FakeClock())

    assert not result.succeeded and result.rolled_back
    assert result.failed_step == 25
    assert any("server-error rate" in p for p in result.problems)
    assert [s.traffic for s in result.steps] == [10, 25] and not result.steps[1].health.healthy
    assert result.final_traffic == manager.get(ENDPOINT).config.traffic_config.shares() == {INCUMBENT: 100, NEW.name: 0}
    records = Ledger(home / "audit" / "ledger.jsonl").records("rollback")
    assert len(records) == 1 and "failed at 25 %" in records[0].reason and records[0].actor == "deployer"
    assert traffic_records(home)[-1] == ("rollback", {INCUMBENT: 100, NEW.name: 0})


def test_a_step_ends_when_its_requests_are_in_not_at_the_next_poll(home, manager):
    clock, reads = FakeClock(), []
    started: dict[int, float] = {}

    def steady(canary: str, incumbent: str, since: float):  # 100 requests a second on each side
        share = manager.get(ENDPOINT).config.traffic_config.shares()[canary]
        n = int(100 * (clock.now - started.setdefault(share, clock.now)))
        reads.append(share)
        if n == 0:
            return INFERENCE_LOG_SCHEMA.empty_table()
        return as_log(inference_rows(canary, n, seed=len(reads)), inference_rows(incumbent, n, seed=10_000 + len(reads)))

    result = run_canary(manager, ENDPOINT, NEW, POLICY, steady, actor="deployer", reason="promote v2", clock=clock)
    assert result.succeeded, result.reason
    # 200 a side at 100 a second: judged at 2 s (read at 0, 0.5 and 2 s), not at the 5 s poll
    assert [s.seconds for s in result.steps] == [2.0, 2.0, 2.0, 0.0] and POLICY.poll_seconds == 5
    assert [reads.count(share) for share in (10, 25, 50)] == [3, 3, 3]


def test_not_enough_traffic_by_the_deadline_rolls_back(home, manager):
    clock = FakeClock()
    result = run_canary(manager, ENDPOINT, NEW, POLICY, observer(manager, first_calls_short=10_000), actor="deployer",
                        reason="promote v2", clock=clock)

    assert result.rolled_back and result.failed_step == 10
    assert "not enough data" in result.reason
    assert clock.slept == POLICY.canary_steps()[0].limits.max_wait_seconds
    assert result.steps[0].seconds == 600.0
    assert manager.get(ENDPOINT).config.traffic_config.shares()[INCUMBENT] == 100


def test_an_error_while_observing_rolls_back(home, manager):
    def broken(canary, incumbent, since):
        raise OSError("inference table unreadable")

    result = run_canary(manager, ENDPOINT, NEW, POLICY, broken, actor="deployer", reason="promote v2", clock=FakeClock())
    assert result.rolled_back and result.failed_step == 10 and "OSError: inference table unreadable" in result.reason
    assert manager.get(ENDPOINT).config.traffic_config.shares() == {INCUMBENT: 100, NEW.name: 0}


def test_a_manual_change_mid_rollout_stops_it_without_a_second_rollback(home, manager):
    def oncall_rolls_back(step):
        manager.rollback(ENDPOINT, actor="oncall", reason="paged: claims system timeouts")

    result = run_canary(manager, ENDPOINT, NEW, POLICY, observer(manager), actor="deployer", reason="promote v2",
                        clock=FakeClock(), on_step=oncall_rolls_back)

    assert not result.succeeded and not result.rolled_back and result.failed_step == 25
    assert "changed by someone else" in result.reason
    assert [r.actor for r in Ledger(home / "audit" / "ledger.jsonl").records("rollback")] == ["oncall"]
    assert result.final_traffic == {INCUMBENT: 100, NEW.name: 0}


def test_first_deployment_creates_the_endpoint_at_100(home):
    manager = LocalEndpoints(home, registry=None)
    result = run_canary(manager, ENDPOINT, NEW, POLICY, observer(manager), actor="deployer", reason="first model",
                        clock=FakeClock())

    assert result.succeeded and result.first_deployment and result.incumbent is None and result.steps == ()
    assert "first deployment" in result.reason
    assert manager.get(ENDPOINT).config.traffic_config.shares() == {NEW.name: 100}
    assert [r.subject["action"] for r in Ledger(home / "audit" / "ledger.jsonl").records()] == ["create"]


def test_older_entities_are_dropped_when_the_canary_is_added(home, manager):
    assert run_canary(manager, ENDPOINT, NEW, POLICY, observer(manager), actor="d", reason="v2", clock=FakeClock()).succeeded
    v3 = ServedEntity(name=ServedEntity.default_name(MODEL, "3"), entity_name=MODEL, entity_version="3")
    result = run_canary(manager, ENDPOINT, v3, POLICY, observer(manager), actor="d", reason="v3", clock=FakeClock())

    assert result.incumbent == NEW.name and result.final_traffic == {NEW.name: 0, v3.name: 100}


def test_the_version_already_served_is_left_alone(home, manager):
    current = ServedEntity(name=INCUMBENT, entity_name=MODEL, entity_version="1")
    result = run_canary(manager, ENDPOINT, current, POLICY, observer(manager), actor="d", reason="again", clock=FakeClock())
    assert result.succeeded and "already serves" in result.reason and result.steps == ()
    assert len(Ledger(home / "audit" / "ledger.jsonl").records()) == 1  # only the create
