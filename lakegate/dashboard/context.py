"""What one page request reads once and every panel shares: the environment, the lake, the registry,
the ledger's records up to its head, and the moment the page was read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from lakegate.dashboard.reads import stamp
from lakegate.environment import Environment
from lakegate.lake import Lake
from lakegate.ledger import Ledger, Record
from lakegate.registry import Registry


@dataclass
class Reading:
    home: Path
    lake: Lake
    registry: Registry
    records: list[Record]
    now: dt.datetime
    env: Environment  # its budgets, for the Cost panel

    @classmethod
    def of(cls, home: Path, env: Environment, registry: Registry) -> "Reading":
        return cls(home, Lake(home / "lake"), registry, Ledger.for_home(home, env).records(),
                   dt.datetime.now(dt.timezone.utc), env)

    def ledger_as_of(self) -> str:
        head = self.records[-1].seq if self.records else None
        return f"as of audit ledger record {head if head is not None else '(none yet)'}, read at {stamp(self.now)}"
