"""Delivery of the alert table's pending rows to the notifiers their severity routes to.

The row is in the table before any delivery is tried, so a notifier that is down loses nothing: each
tick tries every pending notifier once more, up to `delivery_attempts` tries, and records the
outcome and the error in the row. A crash between a send and its record sends that alert once more
at the next tick (at least once, never lost).
"""

from __future__ import annotations

import datetime as dt
import logging

from lakegate.alerting.notifiers import DeliveryError, Notifier
from lakegate.alerting.table import DELIVERED, FAILED, PENDING, AlertTable

_logger = logging.getLogger(__name__)
SENT, RETRYING, GAVE_UP = "sent", "retrying", "failed"


def deliver_pending(table: AlertTable, notifiers: dict[str, Notifier], attempts: int) -> dict[str, int]:
    """Try each pending delivery once; returns how many sends succeeded and failed.

    A notifier that fails is not tried again in the same tick (its other alerts keep their tries),
    so a receiver that hangs until its timeout costs one timeout per tick, not one per alert."""
    counts = {"sent": 0, "failed": 0}
    down: set[str] = set()
    for row in table.pending():
        deliveries = {name: dict(row["deliveries"].get(name, {"tries": 0})) for name in row["routes"]}
        for name, delivery in deliveries.items():
            if delivery.get("status") in (SENT, GAVE_UP) or name in down:
                continue
            delivery["tries"] = delivery.get("tries", 0) + 1
            delivery["at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            try:
                _notifier(notifiers, name).send(row)
            except DeliveryError as exc:
                delivery["status"] = RETRYING if delivery["tries"] < attempts else GAVE_UP
                delivery["error"] = str(exc)
                counts["failed"] += 1
                down.add(name)
                _logger.warning("alert %s: %s delivery try %d failed: %s", row["alert_id"], name, delivery["tries"], exc)
            else:
                delivery["status"] = SENT
                delivery.pop("error", None)
                counts["sent"] += 1
        if deliveries != row["deliveries"]:
            table.update_deliveries([{**row, "deliveries": deliveries, "delivery_status": _status(deliveries)}])
    return counts


def _notifier(notifiers: dict[str, Notifier], name: str) -> Notifier:
    if name not in notifiers:
        raise DeliveryError(f"no {name} notifier is configured in this environment")
    return notifiers[name]


def _status(deliveries: dict[str, dict]) -> str:
    states = {d.get("status") for d in deliveries.values()}
    if states <= {SENT}:
        return DELIVERED
    return FAILED if states <= {SENT, GAVE_UP} else PENDING
