"""The platform resource: the environment and the folders the embedded default writes."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from lakegate.environment import Environment, PolicyKind, lakegate_home, load_environment
from lakegate.governance.context import Governance
from lakegate.ledger import Ledger
from lakegate.pii import resolve_hmac_key


class Platform(dg.ConfigurableResource):
    """Which environment this code location runs in, and where LAKEGATE_HOME is."""

    environment: str = "local"
    home: str = ""

    def env(self) -> Environment:
        return load_environment(self.environment)

    @property
    def home_path(self) -> Path:
        return Path(self.home).resolve() if self.home else lakegate_home()

    def policy_set(self, kind: PolicyKind) -> str:
        """Which signed `kind` policy files judge this environment (Environment.policy_set)."""
        return self.env().policy_set(kind)

    @property
    def catalog(self) -> str:
        return self.env().catalog

    def landing_root(self) -> Path:
        return self.home_path / "landing"

    def rejected_root(self) -> Path:
        return self.home_path / "rejected"

    def ledger(self) -> Ledger:
        """The audit ledger of this home, anchored where the environment names."""
        return Ledger.for_home(self.home_path, self.env())

    def governance(self) -> Governance:
        """The governance records of this home, read fresh at each decision."""
        return Governance.for_home(self.home_path, self.env())

    def pii_hmac_key(self) -> bytes:
        return resolve_hmac_key(self.env().pii, self.home_path)
