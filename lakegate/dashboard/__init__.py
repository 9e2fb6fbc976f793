"""The dashboard: a read-only web page per served model, and an overview of every use case.

`Dashboard(home, env, facts, registry)`: `facts` is called on every request and returns a
`ModelFacts` per use case (the CLI builds them; this package knows no use case). Pages read the
latest versions of the monitor's metric tables (filtered in the scan, aggregated before they reach
the browser), the audit ledger, the registry and the endpoint control file, and every panel says
which version it shows and when it was read. Charts are Vega-Lite specs made with Altair and drawn
by the vendored vega scripts (vendor/), so the page needs no network. `snapshot(use_case)` is the
model page with its scripts inlined, for the version's evidence bundle. Decision:
docs/decisions/0030-dashboard.md.
"""

from lakegate.dashboard.facts import CheckResult, FactsSource, Limits, ModelFacts, QuarantineSource
from lakegate.dashboard.site import Dashboard, dashboard_token, token_file

__all__ = ["CheckResult", "Dashboard", "FactsSource", "Limits", "ModelFacts", "QuarantineSource", "dashboard_token",
           "token_file"]
