"""Alerts: an append-only outbox under `$LAKEGATE_HOME/alerts/outbox.jsonl`, one JSON object a line.

The control plane raises one when a break-glass approval lets a version serve past the deployment
gate. An alert is written durably before the act it reports returns. The alert sensors and
`lakegate alerts list` store its lines in `<catalog>.monitoring.alerts`, from where they are
delivered (lakegate/alerting/; docs/decisions/0025-alert-delivery.md).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path

_logger = logging.getLogger(__name__)
SEVERITIES = ("WARN", "ERROR")


def outbox_path(home: Path) -> Path:
    return Path(home) / "alerts" / "outbox.jsonl"


def raise_alert(home: Path, severity: str, title: str, text: str, source: str) -> dict:
    if severity not in SEVERITIES:
        raise ValueError(f"alert severity {severity!r} must be one of {', '.join(SEVERITIES)}")
    alert = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
             "severity": severity, "title": title, "text": text, "source": source}
    path = outbox_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(alert, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    _logger.error("ALERT %s: %s: %s", severity, title, text)
    return alert


def list_alerts(home: Path) -> list[dict]:
    path = outbox_path(home)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
