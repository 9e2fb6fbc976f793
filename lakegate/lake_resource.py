"""The assets' lake as a Dagster resource. Apart from lakegate/lake.py so that reading and writing
Delta tables (the serving supervisor's inference-log drain, the CLI) does not load Dagster."""

from __future__ import annotations

import dagster as dg

from lakegate.lake import Lake, TableName, environment_lake
from lakegate.platform import Platform


class LakeResource(dg.ConfigurableResource):
    """Where the environment's tables live (lake.environment_lake), unless `root` names another
    folder. Home and catalog come from the nested platform resource, resolved once."""

    platform: Platform
    root: str = ""

    @property
    def catalog(self) -> str:
        return self.platform.catalog

    def lake(self) -> Lake:
        return environment_lake(self.platform.home_path, self.platform.env(), self.root)

    def name(self, schema: str, table: str) -> str:
        return str(TableName(self.catalog, schema, table))
