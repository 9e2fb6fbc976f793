"""The ML layer's definitions: features, training, promotion, deployment, monitoring (later issues)."""

import dagster as dg

defs = dg.Definitions()
