"""Delivery from the alert table to a real HTTP receiver: retries across ticks, a receiver that is
down costs one try per tick, an alert that runs out of tries stays in the table as failed."""

import pytest

from lakegate.alerting.dispatch import deliver_pending
from lakegate.alerting.notifiers import WebhookNotifier
from lakegate.alerting.table import AlertTable, notice_row
from lakegate.alerting.transitions import FIRING, Notice
from lakegate.environment import WebhookConfig
from tests.integration.alert_receivers import WebhookReceiver

pytestmark = pytest.mark.integration


def two_alerts(home) -> AlertTable:
    table = AlertTable(home, "dev")
    notices = [Notice(FIRING, f"a/b:c{i}", "ERROR", 1_800_000_000 + i, f"execution {i}", "failed") for i in (1, 2)]
    assert table.record([notice_row(n, "asset check", ["webhook"]) for n in notices]) == 2
    assert table.record([notice_row(n, "asset check", ["webhook"]) for n in notices]) == 0  # stable ids
    return table


def test_a_receiver_that_fails_is_tried_once_per_tick_and_gets_every_alert_later(tmp_path):
    table = two_alerts(tmp_path)
    with WebhookReceiver(fail_first=1) as webhook:
        notifiers = {"webhook": WebhookNotifier(WebhookConfig(url_env="HOOK"), {"HOOK": webhook.url})}
        assert deliver_pending(table, notifiers, attempts=3) == {"sent": 0, "failed": 1}
        assert [r["deliveries"]["webhook"]["tries"] for r in table.read()] == [1, 0]
        assert deliver_pending(table, notifiers, attempts=3) == {"sent": 2, "failed": 0}
    assert [b["lakegate"]["key"] for b in webhook.bodies] == ["a/b:c1", "a/b:c2"]
    assert [r["delivery_status"] for r in table.read()] == ["delivered", "delivered"] and table.pending() == []


def test_an_alert_out_of_tries_is_kept_as_failed_with_its_error(tmp_path):
    table = two_alerts(tmp_path)
    notifiers = {"webhook": WebhookNotifier(WebhookConfig(url_env="HOOK"), {})}  # the variable is unset
    for _ in range(4):  # one try a tick while it fails: two alerts, two tries each
        deliver_pending(table, notifiers, attempts=2)
    rows = table.read()
    assert [r["delivery_status"] for r in rows] == ["failed", "failed"]
    assert rows[0]["deliveries"]["webhook"]["error"] == "the environment variable HOOK is not set"
    assert [r["deliveries"]["webhook"]["tries"] for r in rows] == [2, 2]
