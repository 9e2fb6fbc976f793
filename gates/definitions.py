"""Promotion gates as blocking asset checks on the promotion chain."""

import dagster as dg

from gates.checks import approvals_gate, candidate_gates

defs = dg.Definitions(asset_checks=[candidate_gates, approvals_gate])
