"""The page's charts as Vega-Lite specs, generated with Altair. Each spec names its data sets and the
rows go in its top-level `datasets`: Altair builds and validates a chart's spec once per set of
arguments (cached: it took half the page's time), and schema-validating a year of cells would cost
more than drawing them. Times are UTC throughout."""

from __future__ import annotations

from functools import lru_cache

import altair as alt

from lakegate.dashboard.facts import Limits
from lakegate.dashboard.queries import QUALITY

WIDTH = 640
_UTC = alt.Scale(type="utc")
_TIME_AXIS = alt.Axis(format="%m-%d %H:%M", title="window start (UTC)", labelAngle=0)
_LIMIT_COLOURS = alt.Scale(domain=["warn", "error"], range=["#d39b00", "#c0392b"])


def _with(template: dict, datasets: dict[str, list[dict]]) -> dict:
    """A cached spec with this request's rows (a new top level: the cached spec is never changed)."""
    return {**template, "datasets": datasets}


def _long(rows: list[dict], metrics) -> list[dict]:
    return [{"start": r["start"], "model_id": r["model_id"], "metric": m, "value": r[m]}
            for r in rows for m in metrics if r[m] is not None]


def _limits(warn: float, error: float) -> list[dict]:
    return [{"limit": "warn", "value": warn}, {"limit": "error", "value": error}]


@lru_cache(maxsize=None)
def _quality_spec() -> dict:
    shade = alt.Chart(alt.NamedData("coverage")).mark_area(color="#9ecae1", opacity=0.35, interpolate="step-after").encode(
        x=alt.X("start:T", scale=_UTC, axis=_TIME_AXIS), y=alt.Y("label_coverage:Q", title="share", scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("start:T", format="%Y-%m-%d %H:%M"), alt.Tooltip("label_coverage:Q", format=".1%")])
    lines = alt.Chart(alt.NamedData("quality")).mark_line(point=True).encode(
        x="start:T", y="value:Q", color=alt.Color("metric:N", title=None), strokeDash="model_id:N",
        tooltip=["metric:N", "model_id:N", alt.Tooltip("value:Q", format=".3f")])
    return alt.layer(shade, lines).properties(width=WIDTH, height=220).to_dict()


def quality(rows: list[dict]) -> dict:
    """Precision, recall and the error rates per window, over the shaded share of records labelled."""
    coverage = [{"start": r["start"], "label_coverage": r["label_coverage"] or 0.0} for r in rows]
    return _with(_quality_spec(), {"coverage": coverage, "quality": _long(rows, QUALITY)})


def _rules(name: str) -> alt.Chart:
    return alt.Chart(alt.NamedData(name)).mark_rule(strokeDash=[4, 3]).encode(
        y="value:Q", color=alt.Color("limit:N", scale=_LIMIT_COLOURS, title="policy limit"),
        tooltip=["limit:N", "value:Q"])


@lru_cache(maxsize=None)
def _latency_spec() -> dict:
    lines = alt.Chart(alt.NamedData("latency")).mark_line(point=True).encode(
        x=alt.X("start:T", scale=_UTC, axis=_TIME_AXIS), y=alt.Y("value:Q", title="ms"),
        color=alt.Color("metric:N", title=None), strokeDash="model_id:N",
        tooltip=["metric:N", "model_id:N", alt.Tooltip("value:Q", format=".2f")])
    # The limits' colours are their own scale: shared, their fixed domain would leave the lines uncoloured.
    layered = alt.layer(lines, _rules("latency_limits")).resolve_scale(color="independent")
    return layered.properties(width=WIDTH, height=200).to_dict()


def latency(rows: list[dict], limits: Limits | None) -> dict:
    rules = [] if limits is None else _limits(limits.warn_p99_latency_ms, limits.error_p99_latency_ms)
    return _with(_latency_spec(), {"latency": _long(rows, ("latency_p50_ms", "latency_p99_ms")), "latency_limits": rules})


@lru_cache(maxsize=None)
def _error_rate_spec() -> dict:
    line = alt.Chart(alt.NamedData("errors")).mark_line(point=True, color="#555").encode(
        x=alt.X("start:T", scale=_UTC, axis=_TIME_AXIS), y=alt.Y("value:Q", title="error rate (5xx share)", axis=alt.Axis(format="%")),
        strokeDash="model_id:N", tooltip=["model_id:N", alt.Tooltip("value:Q", format=".2%")])
    return alt.layer(line, _rules("error_limits")).properties(width=WIDTH, height=160).to_dict()


def error_rate(rows: list[dict], limits: Limits | None) -> dict:
    points = [{"start": r["start"], "model_id": r["model_id"], "value": r["error_rate"]}
              for r in rows if r["error_rate"] is not None]
    rules = [] if limits is None else _limits(limits.warn_error_rate, limits.error_error_rate)
    return _with(_error_rate_spec(), {"errors": points, "error_limits": rules})


@lru_cache(maxsize=64)
def _drift_spec(metric: str, hourly: bool, link: str, by_version: bool) -> dict:
    unit = "utcyearmonthdatehours" if hourly else "utcyearmonthdate"
    # p-values: darker is more significant; every p at or above 0.05 shares the lightest colour (clamp).
    scheme = (alt.Scale(scheme="reds", reverse=True, domain=[0, 0.05], clamp=True) if metric == "pvalue"
              else alt.Scale(scheme="reds"))
    # Feature names and versions are identifiers; the window start goes as epoch milliseconds (vega has
    # parsed it into a time by then).
    href = f"'{link}&name=' + datum.feature + '&version=' + datum.model_id + '&start=' + time(datum.start)"
    row = "'v' + datum.model_id + ' · ' + datum.feature" if by_version else "datum.feature"
    chart = alt.Chart(alt.NamedData("drift")).transform_calculate(href=href, row=row).mark_rect().encode(
        x=alt.X(f"{unit}(start):O", title="window start (UTC)", axis=alt.Axis(labelOverlap=True, labelAngle=-60)),
        y=alt.Y("row:N", title=None), color=alt.Color("value:Q", title=metric, scale=scheme),
        href="href:N", tooltip=["feature:N", "model_id:N", alt.Tooltip("start:T", format="%Y-%m-%d %H:%M"),
                                alt.Tooltip("value:Q", format=".4g")])
    return chart.properties(width=WIDTH).to_dict()


def drift_heatmap(cells: list[dict], metric: str, hourly: bool, link: str, by_version: bool) -> dict:
    """Feature × window; a cell links to that feature's reference-against-current distribution (`link`
    plus the cell's feature, window and version). Rows and links are computed in the browser from the
    cells' four fields: a year of cells sent as strings would weigh ten times more."""
    return _with(_drift_spec(metric, hourly, link, by_version), {"drift": cells})


@lru_cache(maxsize=None)
def _distribution_spec(kind: str) -> dict:
    base = alt.Chart(alt.NamedData("distribution"))
    if kind == "numeric":
        chart = base.mark_line(interpolate="step", point=True).encode(
            x=alt.X("bin:Q", title="bin centre"), y=alt.Y("share:Q", axis=alt.Axis(format="%")), color="side:N",
            tooltip=["side:N", "bin:Q", alt.Tooltip("share:Q", format=".2%")])
    else:
        chart = base.mark_bar().encode(
            x=alt.X("bin:N", title=None, sort=None), xOffset="side:N", y=alt.Y("share:Q", axis=alt.Axis(format="%")),
            color="side:N", tooltip=["side:N", "bin:N", alt.Tooltip("share:Q", format=".2%")])
    return chart.properties(width=WIDTH, height=240).to_dict()


def distribution(rows: list[dict], kind: str) -> dict:
    return _with(_distribution_spec(kind), {"distribution": rows})


@lru_cache(maxsize=None)
def _timeline_spec() -> dict:
    chart = alt.Chart(alt.NamedData("events")).mark_point(filled=True, size=90).encode(
        x=alt.X("time:T", scale=_UTC, axis=alt.Axis(format="%m-%d %H:%M", title="time (UTC)")),
        y=alt.Y("lane:N", title=None), color=alt.Color("kind:N", title=None), shape="lane:N",
        tooltip=["lane:N", "label:N", alt.Tooltip("time:T", format="%Y-%m-%d %H:%M:%S")])
    return chart.properties(width=WIDTH, height=120).to_dict()


def timeline(events: list[dict]) -> dict:
    return _with(_timeline_spec(), {"events": events})
