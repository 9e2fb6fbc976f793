"""The model page's monitor panels (Quality, SLA, Drift), drawn from the metric tables' latest
versions for one selection: one granularity, one slice, one version or all, a number of days."""

from __future__ import annotations

from urllib.parse import urlencode

from lakegate.dashboard import charts, queries
from lakegate.dashboard.facts import ModelFacts
from lakegate.dashboard.html import chart, esc, figure, panel, table
from lakegate.dashboard.queries import QUALITY, Selection
from lakegate.dashboard.reads import Snapshot
from lakegate.lake import Lake
from lakegate.monitoring import TABLE_COLUMN, MonitorTables



def _said(sel: Selection) -> str:
    return f"{sel.granularity} windows, slice {sel.slice}, version {sel.version}, last {sel.days} days"


def quality_panel(snapshot: Snapshot, rows: list[dict], sel: Selection, facts: ModelFacts) -> str:
    latest = queries.latest_window(rows)
    body = ""
    if rows and any(r[m] is not None for r in rows for m in QUALITY):
        body += chart("quality", charts.quality(rows))
    else:
        body += '<p class="muted">no window has enough labels for a quality figure yet (unknown, not zero)</p>'
    if latest:
        body += table(["latest window", "version", "rows", "label coverage", *QUALITY],
                      [[latest["start"], latest["model_id"], figure("quality.count", latest["count"], "int"),
                        figure("quality.label_coverage", latest["label_coverage"], "pct"),
                        *(figure(f"quality.{m}", latest[m]) for m in QUALITY)]])
    limits = facts.limits
    if limits is not None:
        body += (f'<p class="muted">policy {esc(limits.policy_version)}: precision floor {limits.warn_min_precision:g} '
                 f'(warn) / {limits.error_min_precision:g} (acts), recall floor {limits.warn_min_recall:g} / '
                 f'{limits.error_min_recall:g}; a window below {limits.min_window_rows:,} rows gets figures but no '
                 "verdict.</p>")
    return panel("quality", "Quality", [snapshot.as_of(), _said(sel)], body)


def sla_panel(snapshot: Snapshot, rows: list[dict], sel: Selection, facts: ModelFacts) -> str:
    limits = facts.limits
    body = ""
    if sel.slice != queries.WHOLE:
        body = '<p class="muted">latency and errors are measured on the whole population only: choose "all rows"</p>'
    elif rows:
        body += chart("latency", charts.latency(rows, limits)) + chart("errors", charts.error_rate(rows, limits))
        latest = queries.latest_window(rows)
        body += table(["latest window", "version", "requests", "p50 ms", "p99 ms", "error rate",
                       "p99 limit warn / error ms", "error rate limit warn / error"],
                      [[latest["start"], latest["model_id"], figure("sla.request_count", latest["request_count"], "int"),
                        figure("sla.latency_p50_ms", latest["latency_p50_ms"], "f2"),
                        figure("sla.latency_p99_ms", latest["latency_p99_ms"], "f2"),
                        figure("sla.error_rate", latest["error_rate"], "pct"),
                        "-" if limits is None else f"{limits.warn_p99_latency_ms:g} / {limits.error_p99_latency_ms:g}",
                        "-" if limits is None else f"{limits.warn_error_rate:.2%} / {limits.error_error_rate:.2%}"]])
    else:
        body += '<p class="muted">no window yet</p>'
    return panel("sla", "SLA", [snapshot.as_of(), _said(sel)], body)


def drift_panel(lake: Lake, tables: MonitorTables, sel: Selection, page: str, facts: ModelFacts) -> str:
    not_features = frozenset({TABLE_COLUMN, *facts.outputs})  # the model's output drifts too, but is no input
    snapshot, cells = queries.drift_cells(lake, tables.drift_metrics, sel, not_features)
    metric = {"pvalue": "p-value (KS for numeric features, chi-squared for categorical)",
              "psi": "population stability index (numeric features)", "js": "Jensen-Shannon distance (categorical)"}
    shown = [c for c in cells if c["value"] is not None]
    link = f"{page}/feature?" + urlencode({"granularity": sel.granularity})
    spec = charts.drift_heatmap(shown, sel.metric, sel.granularity == "1 hour", link, sel.version == queries.ALL_VERSIONS)
    body = (chart("drift", spec) if shown
            else '<p class="muted">no drift figures for this selection yet</p>')
    body += f'<p class="muted">colour: {metric[sel.metric]} against the version\'s reference profile; ' \
            f'click a cell for that feature\'s distribution. <span data-figure="drift.cells" ' \
            f'data-value="{len(shown)}">{len(shown)}</span> cells.</p>'
    limits = facts.limits
    if limits is not None:
        body += (f'<p class="muted">policy {esc(limits.policy_version)}: a feature has drifted at PSI &ge; '
                 f'{limits.psi_bands[1]:g}, JS &ge; {limits.max_js_distance:g}, or a p-value below {limits.alpha:g} '
                 "divided by the features tested (Bonferroni).</p>")
    return panel("drift", "Drift", [snapshot.as_of(), _said(sel)], body)
