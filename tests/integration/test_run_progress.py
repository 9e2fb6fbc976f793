"""`lakegate materialize` follows its run's progress (lakegate/run.py): each step start, materialization,
check and step end reaches the caller once and in order, however many other events the run logs."""

from __future__ import annotations

import dagster as dg
import pytest

from lakegate.run import PROGRESS_EVENTS, materialize

pytestmark = pytest.mark.integration


@dg.asset(check_specs=[dg.AssetCheckSpec("has_rows", asset="chatty")])
def chatty(context):
    for i in range(300):  # log lines between the progress events: followed, never passed on
        context.log.info(f"line {i}")
    yield dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=True, check_name="has_rows")])


@dg.asset(deps=[chatty])
def downstream() -> None:
    return None


def test_each_progress_event_reaches_the_caller_once_in_order(home):
    instance = dg.DagsterInstance.ephemeral()
    seen: list[dg.EventLogEntry] = []
    outcome = materialize(dg.Definitions(assets=[chatty, downstream]), instance=instance, on_event=seen.append)
    assert outcome.success
    logged = [r.event_log_entry for r in instance.get_records_for_run(outcome.run_id).records]
    expected = [e for e in logged if e.dagster_event and e.dagster_event.event_type in PROGRESS_EVENTS]
    assert [(e.dagster_event.event_type, e.step_key) for e in seen] == \
        [(e.dagster_event.event_type, e.step_key) for e in expected]
    assert [e.timestamp for e in seen] == [e.timestamp for e in expected]
    assert sum(e.dagster_event.event_type == dg.DagsterEventType.STEP_START for e in seen) == 2
    assert len(logged) > 300 > len(seen)
    assert set(outcome.step_seconds) == {"chatty", "downstream"}
