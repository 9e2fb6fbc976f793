"""The tables a CLI command reads: the current environment's, as LakeResource.lake() resolves them (the
workspace's Unity Catalog storage under engine kind `databricks`, else `<home>/lake`)."""

from __future__ import annotations

from lakegate.environment import current_environment
from lakegate.lake import Lake, LakeResource
from lakegate.platform import Platform


def environment_lake() -> Lake:
    return LakeResource(platform=Platform(environment=current_environment().name)).lake()
