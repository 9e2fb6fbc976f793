"""The model page's panels read from the ledger, registry, endpoints and pipeline tables: Status,
Alerts and actions, Pipeline health, Cost and Delivery."""

from __future__ import annotations

from lakegate.dashboard import charts, cost, delivery, pipeline, status, timeline
from lakegate.dashboard.context import Reading
from lakegate.dashboard.facts import ModelFacts
from lakegate.dashboard.html import chart, esc, figure, number, panel, table
from lakegate.dashboard.reads import stamp


def _verdict(passed: bool) -> str:
    return '<span class="pass">passed</span>' if passed else '<span class="fail">did not pass</span>'


def _compact(obj) -> str:
    """A verdict's scalar figures as `name value` lines; nested details stay in the ledger record."""
    if not isinstance(obj, dict):
        return esc(obj)
    lines = [f"{esc(k)} {esc(round(v, 4) if isinstance(v, float) else v)}" for k, v in sorted(obj.items())
             if isinstance(v, (int, float, str, bool)) and len(str(v)) <= 40]
    hidden = len(obj) - len(lines)
    return "<br>".join(lines + ([f'<span class="muted">{hidden} more in the ledger record</span>'] if hidden else []))


def status_panel(reading: Reading, facts: ModelFacts) -> str:
    names = status.aliases(reading.registry, facts)
    served = status.traffic(reading.home, facts.endpoint)
    chain = status.chain_of(reading.registry, facts.prod_model, names["champion"])
    gates = status.gate_verdicts(reading.records, chain)
    body = table(["champion", "previous champion", "challenger"],
                 [[f'<span data-figure="status.champion" data-value="{esc(names["champion"])}">'
                   f'{esc(facts.prod_model)} v{esc(names["champion"])}</span>',
                   esc(names["previous_champion"]),
                   "-" if names["challenger"] is None else f"{esc(names['challenger_model'])} v{esc(names['challenger'])}"]])
    body += "<h3>Traffic on " + esc(facts.endpoint) + "</h3>" + table(
        ["served entity", "version", "share", "role"],
        [[esc(s["entity"]), esc(s["version"]), figure(f"traffic.{s['version']}", s["share"], "int") + " %",
          "canary" if 0 < s["share"] < 100 and s["version"] == max((x["version"] for x in served), key=int)
          else ("all traffic" if s["share"] == 100 else "rival")] for s in served], "no endpoint yet")
    body += "<h3>Gates (latest verdict each, on the champion's promotion chain)</h3>" + table(
        ["gate", "on", "verdict", "measured", "thresholds", "policy", "time", "ledger record"],
        [[esc(g["gate"]), f"{esc(g['model'])} v{esc(g['version'])}", _verdict(g["passed"]), _compact(g["measured"]),
          _compact(g["thresholds"]), esc(g["policy_version"]), esc(g["time"]), esc(g["seq"])] for g in gates],
        "no gate verdict yet")
    body += "<h3>Monitor checks (latest evaluation each)</h3>" + table(
        ["check", "outcome", "version", "window", "figures", "reason"],
        [[esc(v.get("family")), f'<span data-figure="monitor.{esc(v.get("family"))}" data-value="{esc(v.get("outcome"))}">'
          f'{esc(v.get("outcome"))}</span>', esc(v.get("model_version")), esc(" to ".join(v.get("window") or [])),
          _compact(v.get("figures")), esc(v.get("reason"))] for v in facts.monitor_verdicts], "no monitor run yet")
    body += "<h3>Approvals</h3>" + table(
        ["who", "role", "purpose", "on", "time", "ticket"],
        [[esc(a["principal"]), esc(a["role"]), esc(a["purpose"]), f"{esc(a['model'])} v{esc(a['version'])}",
          esc(a["time"]), esc(a["ticket"])] for a in status.approvals(reading.records, chain, facts.endpoint)],
        "no approval yet")
    body += "<h3>Open change tickets</h3>" + table(
        ["ticket", "status", "on", "summary", "created", "approved by"],
        [[esc(t["id"]), esc(t["status"]), f"{esc(t['model'])} v{esc(t['version'])}", esc(t["summary"]),
          esc(t["created_at"]), esc(t["approved_by"])] for t in status.open_tickets(reading.home, facts)], "none open")
    said = [reading.ledger_as_of(), f"registry and endpoint control file read at {stamp(reading.now)}"]
    return panel("status", "Status", said, body)


def alerts_panel(reading: Reading, facts: ModelFacts) -> str:
    snapshot, alert_rows = timeline.alerts(reading.lake, facts)
    action_rows = timeline.actions(reading.records, facts.endpoint)
    events = timeline.events(alert_rows, action_rows)
    body = chart("timeline", charts.timeline(events)) if events else '<p class="muted">no alert or action yet</p>'
    body += table(["time", "action", "caused by", "reason", "ledger record"],
                  [[esc(a["time"]), esc(a["event"]), esc(a["verdict"]), esc(a["reason"]), esc(a["seq"])]
                   for a in action_rows], "no action taken")
    body += table(["time", "severity", "alert", "delivery"],
                  [[esc(a["time"]), esc(a["severity"]), esc(a["title"]), esc(a["delivery_status"])] for a in alert_rows],
                  "no alert recorded")
    return panel("alerts", "Alerts and actions", [snapshot.as_of(), reading.ledger_as_of()], body)


def pipeline_panel(reading: Reading, facts: ModelFacts) -> str:
    fresh = pipeline.freshness(reading.lake, facts, reading.now)
    body = "<h3>Freshness</h3>" + table(
        ["table", "Delta version", "refreshed at", "age (hours)", "rows"],
        [[f"<code>{esc(t['table'])}</code>", esc(t["version"]), esc(t["refreshed_at"]), esc(t["age_hours"]),
          esc(number(t["rows"], "int"))] for t in fresh])
    body += "<h3>Quarantine share per source</h3>" + table(
        ["source", "kept rows", "quarantined rows", "share", "versions (silver / quarantine)"],
        [[esc(q["source"]), esc(number(q["silver_rows"], "int")), esc(number(q["quarantined_rows"], "int")),
          figure(f"quarantine.{q['source']}", q["share"], "pct"), f"{esc(q['silver_version'])} / {esc(q['quarantine_version'])}"]
         for q in pipeline.quarantine_shares(reading.lake, facts)])
    body += "<h3>Last check results</h3>" + table(
        ["asset", "check", "result", "severity", "time"],
        [[esc(c["asset"]), esc(c["check"]), _verdict(c["passed"]), esc(c["severity"]), esc(c["time"])]
         for c in pipeline.checks(facts)], "no check evaluated yet")
    said = [f"each table as of the Delta version in its row, read at {stamp(reading.now)}",
            "check results as the Dagster instance stored them"]
    return panel("pipeline", "Pipeline health", said, body)


def cost_panel(reading: Reading, facts: ModelFacts) -> str:
    snapshot = cost.cost_snapshot(reading.lake, facts.catalog)
    mtd = cost.spend_this_month(snapshot, reading.env, reading.now)
    budgets = cost.budget_rows(mtd, reading.env, facts.use_case)
    body = f"<h3>Month to date ({esc(mtd.month)}) against budget</h3>" + table(
        ["budget of", "spend (USD)", "monthly budget (USD)", "share", "alert shares reached"],
        [[f"{esc(b['scope'])} {esc(b['name'])}", figure(f"cost.{b['scope'].replace(' ', '_')}.spend", b["spend_usd"], "f2"),
          esc(number(b["budget_usd"], "f2") if b["budget_usd"] else "no budget set"),
          figure(f"cost.{b['scope'].replace(' ', '_')}.share", b["share"], "pct"),
          esc(", ".join(f"{s:.0%}" for s in b["crossed_shares"]) or "none")] for b in budgets])
    body += (f'<p>{figure("cost.runs", mtd.runs, "int")} runs this month, '
             f'{figure("cost.awaiting_actuals", mtd.awaiting_actuals, "int")} of them counted at their estimate '
             "until their actual lands (Databricks billing takes up to about 12 hours).</p>")
    body += "<h3>Estimate against actual, latest runs</h3>" + table(
        ["recorded", "asset", "engine", "decision", "estimate (USD)", "actual (USD)", "actual from", "off by", "reason"],
        [[esc(stamp(r["recorded_at"])), esc(r["asset_key"]), esc(r["engine"]), esc(r["decision"]),
          figure(f"cost.run.{r['run_key']}.estimate", r["estimate_usd"], "f3"),
          figure(f"cost.run.{r['run_key']}.actual", r["actual_usd"], "f3"), esc(r["actual_source"] or "not in yet"),
          (f'<span class="fail">{esc(number(r["estimate_error"], "pct"))}</span>' if r["flagged"]
           else esc(number(r["estimate_error"], "pct"))), esc(r["reason"])]
         for r in cost.run_rows(snapshot, reading.env, facts.use_case)], f"no run of {facts.use_case} recorded yet")
    said = [snapshot.as_of(), f"budgets of environment {reading.env.name}"
            + ("" if reading.env.cost else " (it has no cost: section)") + f", read at {stamp(reading.now)}"]
    return panel("cost", "Cost", said, body)


def delivery_panel(reading: Reading, facts: ModelFacts) -> str:
    cycles = delivery.cycle_times(reading.records, facts.prod_model)
    deploys = delivery.deployments(reading.records, facts.endpoint, reading.now)
    rollbacks = delivery.rollbacks(reading.records, facts.endpoint)
    drill = delivery.last_drill(reading.records, facts.endpoint)
    body = "<h3>Cycle time, registration to champion</h3>" + table(
        ["version", "registered", "champion", "hours"],
        [[esc(c["version"]), esc(c["registered"]), esc(c["champion"]), figure(f"cycle.{c['version']}", c["hours"], "f2")]
         for c in cycles], "no champion yet")
    body += (f"<p>Deployments and traffic changes on {esc(facts.endpoint)}: "
             f"{figure('delivery.deployments', deploys['total'], 'int')} in all, {esc(deploys['recent'])} in the last "
             f"{esc(deploys['recent_days'])} days ({esc(deploys['per_week'])} a week); last {esc(deploys['last'])}.</p>")
    body += "<h3>Rollbacks</h3>" + table(
        ["time", "by", "caused by", "recovery (s)", "reason"],
        [[esc(r["time"]), esc(r["actor"]), esc(r["verdict"]), esc(number(r["recovery_seconds"], "f2")), esc(r["reason"])]
         for r in rollbacks], "no rollback yet")
    body += "<h3>Last rollback drill</h3>" + (
        table(["time", "passed", "rollback (s)", "failed requests", "recovery after losing the host (s)"],
              [[esc(drill["time"]), esc(drill["passed"]), esc(number(drill["rollback_seconds"], "f2")),
                esc(drill["rollback_failed_requests"]), esc(number(drill["recovery_seconds"], "f2"))]])
        if drill else '<p class="muted">no drill recorded: <code>lakegate drill ' + esc(facts.endpoint) + "</code></p>")
    return panel("delivery", "Delivery", [reading.ledger_as_of()], body)
