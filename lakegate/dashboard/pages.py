"""The pages: an overview of every use case, a page per model, and a feature's distribution.
Every panel says which table version or ledger record it shows and when it was read."""

from __future__ import annotations

import datetime as dt

from lakegate.dashboard import charts, distribution, queries, status
from lakegate.dashboard.context import Reading
from lakegate.dashboard.facts import ModelFacts
from lakegate.dashboard.html import chart, document, esc, figure, link, panel, select, table
from lakegate.dashboard.panels_monitor import drift_panel, quality_panel, sla_panel
from lakegate.dashboard.panels_ops import alerts_panel, cost_panel, delivery_panel, pipeline_panel, status_panel
from lakegate.dashboard.queries import ALL_VERSIONS, DRIFT_METRICS, Selection
from lakegate.monitoring import MonitorTables
from lakegate.monitoring.windows import GRANULARITIES

# How far back a page reaches, per granularity (7 days by default for both). A year of hourly windows is
# 175,200 heatmap cells and seconds to draw; a year is what the daily windows the monitor writes are for.
DAYS = {"1 hour": ("1", "7", "30"), "1 day": ("7", "30", "365")}
DEFAULT_DAYS = "7"


class NotFound(LookupError):
    pass


def model_path(facts: ModelFacts) -> str:
    return f"/model/{facts.use_case}"


def default_version(reading: Reading, facts: ModelFacts) -> str:
    """The version serving all traffic, else the registry's champion, else every version."""
    full = [s["version"] for s in status.traffic(reading.home, facts.endpoint) if s["share"] == 100]
    return full[0] if full else (status.aliases(reading.registry, facts)["champion"] or ALL_VERSIONS)


def selection(reading: Reading, facts: ModelFacts, query: dict[str, str]) -> Selection:
    """The filters from the query string; each one missing takes its single default."""
    default = facts.limits.judged_granularity if facts.limits else GRANULARITIES[0]
    granularity = query.get("granularity", default)
    days = query.get("days", DEFAULT_DAYS)
    metric = query.get("metric", "pvalue")
    if granularity not in GRANULARITIES or metric not in DRIFT_METRICS:
        raise NotFound("unknown filter value")
    if days not in DAYS[granularity]:
        raise NotFound(f"{granularity} windows reach back {', '.join(DAYS[granularity])} days")
    return Selection(granularity, query.get("version") or default_version(reading, facts),
                     query.get("slice", queries.WHOLE), int(days), metric)


def _filters(reading: Reading, facts: ModelFacts, tables: MonitorTables, sel: Selection) -> str:
    versions = [ALL_VERSIONS, *queries.versions(reading.lake, tables.profile_metrics, sel.granularity)]
    slices = queries.slices(reading.lake, tables.profile_metrics, sel.granularity)
    return ('<form class="filters" method="get">'
            + select("granularity", "granularity", list(GRANULARITIES), sel.granularity)
            + select("version", "version", versions if sel.version in versions else [*versions, sel.version], sel.version)
            + select("slice", "slice", slices if sel.slice in slices else [*slices, sel.slice], sel.slice)
            + select("days", "days", list(DAYS[sel.granularity]), str(sel.days))
            + select("metric", "drift metric", list(DRIFT_METRICS), sel.metric) + "</form>")


def model_page(reading: Reading, facts: ModelFacts, query: dict[str, str], scripts: str) -> str:
    sel = selection(reading, facts, query)
    tables = MonitorTables.for_endpoint(facts.catalog, facts.endpoint)
    snapshot, rows = queries.table_rows(reading.lake, tables.profile_metrics, sel)
    body = (f"<p>{esc(facts.description)}</p>" + _filters(reading, facts, tables, sel)
            + status_panel(reading, facts) + quality_panel(snapshot, rows, sel, facts) + sla_panel(snapshot, rows, sel, facts)
            + drift_panel(reading.lake, tables, sel, model_path(facts), facts) + alerts_panel(reading, facts)
            + pipeline_panel(reading, facts) + cost_panel(reading, facts) + delivery_panel(reading, facts))
    return document(f"{facts.use_case}: {facts.prod_model} on {facts.endpoint}", body, scripts)


def overview_page(reading: Reading, all_facts: list[ModelFacts], scripts: str) -> str:
    rows = []
    as_of = [reading.ledger_as_of()]
    for facts in all_facts:
        tables = MonitorTables.for_endpoint(facts.catalog, facts.endpoint)
        version = default_version(reading, facts)
        granularity = facts.limits.judged_granularity if facts.limits else GRANULARITIES[0]
        snapshot, windows = queries.table_rows(reading.lake, tables.profile_metrics,
                                               Selection(granularity, version, days=365))
        as_of.append(snapshot.as_of())
        latest = queries.latest_window(windows) or {}
        shares = ", ".join(f"v{s['version']} {s['share']} %" for s in status.traffic(reading.home, facts.endpoint))
        verdicts = ", ".join(f"{v.get('family')}: {v.get('outcome')}" for v in facts.monitor_verdicts)
        key = facts.use_case
        rows.append([link(model_path(facts), facts.use_case), esc(facts.endpoint),
                     f'{esc(facts.prod_model)} v{esc(status.aliases(reading.registry, facts)["champion"])}',
                     esc(shares or "not deployed"), esc(granularity), esc(latest.get("start")),
                     figure(f"overview.{key}.rows", latest.get("count"), "int"),
                     figure(f"overview.{key}.precision", latest.get("precision")),
                     figure(f"overview.{key}.recall", latest.get("recall")),
                     figure(f"overview.{key}.latency_p99_ms", latest.get("latency_p99_ms"), "f2"),
                     esc(verdicts or "no monitor run yet")])
    body = panel("overview", "Every use case", as_of, table(
        ["use case", "endpoint", "champion", "traffic", "windows", "latest window", "rows", "precision", "recall",
         "p99 ms", "monitor checks"], rows, "no use case"))
    return document("overview", body, scripts)


def _window_start(text: str) -> dt.datetime:
    """A window start as the heatmap links it (epoch milliseconds) or as ISO-8601."""
    try:
        if text.isdigit():
            return dt.datetime.fromtimestamp(int(text) / 1000, dt.timezone.utc)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise NotFound("start must be a window start (epoch milliseconds or ISO-8601)") from None


def feature_page(reading: Reading, facts: ModelFacts, query: dict[str, str], scripts: str) -> str:
    name, version, granularity = query.get("name"), query.get("version"), query.get("granularity")
    start = _window_start(query.get("start", ""))
    if not name or not version or granularity not in GRANULARITIES:
        raise NotFound("name, version and granularity are required")
    reference = distribution.reference_of(reading.registry, facts.prod_model, version)
    if reference is None or name not in reference.columns:
        raise NotFound(f"v{version} has no reference profile of {name}")
    tables = MonitorTables.for_endpoint(facts.catalog, facts.endpoint)
    snapshot, current = distribution.window_profile(reading.lake, tables.state, reference, granularity, start, version)
    if current is None:
        raise NotFound("no such window")
    compared = distribution.compare(reference, current, name)
    body = (chart("distribution", charts.distribution(compared["rows"], compared["kind"]))
            + table(["side", "values counted"], [["reference (held-out rows of the training run)",
                                                 figure("distribution.reference_count", compared["reference_count"], "int")],
                                                ["current window", figure("distribution.current_count",
                                                                          compared["current_count"], "int")]]))
    said = [snapshot.as_of(), f"{granularity} window from {start.isoformat()}, v{version}, whole population",
            f"reference profile logged with v{version}'s training run"]
    page = panel("distribution", f"{name}: reference against current", said, body)
    return document(f"{facts.use_case}: {name}", link(model_path(facts), "back to the model page") + page, scripts)
