"""HTML pieces of the page: panels that say what they show, tables, figures the browser tests read
(`data-figure`), and chart slots whose Vega-Lite spec sits beside them as JSON."""

from __future__ import annotations

import html
import json
from urllib.parse import urlencode

STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f3a5f;color:#fff;padding:10px 20px}header a{color:#fff}
main{padding:12px 20px;max-width:1100px}
section.panel{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;margin:12px 0}
section.panel h2{margin:0 0 4px;font-size:1.1em}
p.as-of{color:#666;font-size:.85em;margin:0 0 8px}
table{border-collapse:collapse;font-size:.9em;margin:6px 0}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}
.pass{color:#1e7b34}.fail{color:#b22}.muted{color:#888}form.filters label{margin-right:12px}
"""


def esc(value) -> str:
    return html.escape("-" if value is None else str(value))


def number(value, kind: str = "f3") -> str:
    if value is None:
        return "-"
    if kind == "pct":
        return f"{value:.2%}"
    if kind == "int":
        return f"{int(value):,}"
    return f"{value:.3f}" if kind == "f3" else f"{value:.2f}"


def figure(name: str, value, kind: str = "f3") -> str:
    """A number the browser tests compare with the tables: its raw value in `data-value`."""
    raw = "" if value is None else repr(float(value))
    return f'<span data-figure="{esc(name)}" data-value="{raw}">{esc(number(value, kind))}</span>'


def table(headers: list[str], rows: list[list[str]], empty: str = "none") -> str:
    """Cells are HTML already (escape with esc())."""
    if not rows:
        return f'<p class="muted">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def panel(key: str, title: str, as_of: list[str], body: str, css: str = "") -> str:
    said = "; ".join(as_of)
    return (f'<section class="panel {css}" id="panel-{esc(key)}" data-panel="{esc(key)}"><h2>{esc(title)}</h2>'
            f'<p class="as-of">{esc(said)}</p>{body}</section>')


def chart(name: str, spec: dict) -> str:
    """A chart slot; the page script embeds the spec that follows it (svg renderer)."""
    data = json.dumps(spec, separators=(",", ":"), default=str).replace("</", "<\\/")
    return (f'<div class="chart" id="chart-{esc(name)}" data-chart="{esc(name)}"></div>'
            f'<script type="application/json" data-spec="{esc(name)}">{data}</script>')


def link(path: str, text: str, query: dict | None = None) -> str:
    href = path + ("?" + urlencode(query) if query else "")
    return f'<a href="{esc(href)}">{esc(text)}</a>'


def select(name: str, label: str, choices: list[str], chosen: str) -> str:
    options = "".join(f'<option value="{esc(c)}"{" selected" if c == chosen else ""}>{esc(c)}</option>' for c in choices)
    return f'<label>{esc(label)} <select name="{esc(name)}" onchange="this.form.submit()">{options}</select></label>'


EMBED = """
window.lakegateViews = {}; window.lakegateErrors = [];
window.lakegateReady = Promise.all(Array.from(document.querySelectorAll('script[data-spec]')).map(function (el) {
  var name = el.getAttribute('data-spec');
  // Links (a drift cell's click-through) open here, not in a new window.
  return vegaEmbed('#chart-' + name, JSON.parse(el.textContent), {renderer: 'svg', actions: false, loader: {target: '_self'}})
    .then(function (result) { window.lakegateViews[name] = result.view; })
    .catch(function (error) { window.lakegateErrors.push(name + ': ' + error); console.error(error); });
}));
"""


def document(title: str, body: str, scripts: str) -> str:
    """The whole page; `scripts` loads vega, vega-lite and vega-embed (links, or inlined in a snapshot)."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            '<link rel="icon" href="data:,">'  # no favicon request: a 404 would be a console error
            f"<style>{STYLE}</style>{scripts}</head><body>"
            f'<header><a href="/">Lakegate dashboard</a> · {esc(title)}</header><main>{body}</main>'
            f"<script>{EMBED}</script></body></html>")
