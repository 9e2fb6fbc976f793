"""Every landing source of every domain, by name: what bronze ingests and the sensor watches.

The contract of a landed file is `lakehouse_assets.landing.LandingSource`; each domain declares its
own sources (lakehouse_assets/domains/<domain>/sources.py).
"""

from __future__ import annotations

from lakehouse_assets.domains import DOMAINS
from lakehouse_assets.domains.domain import registry
from lakehouse_assets.landing import LandingSource

SOURCES: dict[str, LandingSource] = registry("landing source", (s for d in DOMAINS for s in d.sources))

__all__ = ["LandingSource", "SOURCES"]
