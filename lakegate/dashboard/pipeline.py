"""The Pipeline health panel: how fresh every table of the use case is (its latest Delta commit),
the last result of each check on them, and the share of each source's rows held in quarantine.
Row counts come from the Delta log's file statistics: no data file is read."""

from __future__ import annotations

import datetime as dt

from lakegate.dashboard.facts import ModelFacts
from lakegate.dashboard.reads import commit_time, row_count
from lakegate.lake import Lake


def freshness(lake: Lake, facts: ModelFacts, now: dt.datetime) -> list[dict]:
    out = []
    for name in facts.tables:
        if not lake.exists(name):
            out.append({"table": name, "version": None, "refreshed_at": None, "age_hours": None, "rows": None})
            continue
        table = lake.table(name)
        at = commit_time(table)
        out.append({"table": name, "version": table.version(), "refreshed_at": at.isoformat() if at else None,
                    "age_hours": None if at is None else round((now - at).total_seconds() / 3600, 2),
                    "rows": row_count(lake, name)})
    return out


def quarantine_shares(lake: Lake, facts: ModelFacts) -> list[dict]:
    """Quarantined / (kept + quarantined) rows per source, at each table's latest version."""
    out = []
    for q in facts.quarantine:
        kept, held = row_count(lake, q.silver_table), row_count(lake, q.quarantine_table)
        total = (kept or 0) + (held or 0)
        out.append({"source": q.source, "silver_rows": kept, "quarantined_rows": held,
                    "share": (held or 0) / total if total else None,
                    "silver_version": lake.version(q.silver_table), "quarantine_version": lake.version(q.quarantine_table)})
    return out


def checks(facts: ModelFacts) -> list[dict]:
    return [{"asset": c.asset, "check": c.check, "passed": c.passed, "severity": c.severity,
             "time": None if c.time is None else dt.datetime.fromtimestamp(c.time, dt.timezone.utc).isoformat(),
             "description": c.description} for c in sorted(facts.checks, key=lambda c: (c.passed, c.asset, c.check))]
