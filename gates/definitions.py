"""Promotion gates as blocking asset checks (the promotion issue adds them)."""

import dagster as dg

defs = dg.Definitions()
