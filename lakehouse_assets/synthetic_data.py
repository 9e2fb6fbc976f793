"""Each use case's synthetic landing data, declared: the command line builds the sizes of `lakegate
data generate` and `lakegate demo` from these, and names no use case itself.

Plain values and the generator's import path: every `lakegate` command reads them when it starts,
so a generator (numpy, the domains' Spark types) loads only when data is written.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Size:
    option: str  # `--<option>` on the command line and the generator's keyword argument
    default: int
    minimum: int
    help: str


@dataclass(frozen=True)
class SyntheticData:
    use_case: str
    generator: str  # "module:function"(out, **sizes, seed=, dirty=, progress=[, end=]) -> GenerationReport
    sizes: tuple[Size, ...]
    what: str  # what the sizes make, formatted with them, for the demo's "generating ..." line
    dated: bool = False  # the generator takes `end`, the last day of the data

    def too_small(self, sizes: dict[str, int]) -> str | None:
        """The message for sizes below their minimum (every size of the use case named), or None."""
        if all(sizes[s.option] >= s.minimum for s in self.sizes):
            return None
        first, *rest = self.sizes
        return " and ".join([f"--{first.option} must be at least {first.minimum}",
                             *(f"--{s.option} at least {s.minimum}" for s in rest)])

    def write(self, out: Path, sizes: dict[str, int], seed: int, dirty: float, progress: Callable,
              end: dt.date | None = None):
        module, function = self.generator.split(":")
        generate = getattr(importlib.import_module(module), function)
        dated = {"end": end} if self.dated and end is not None else {}
        return generate(out, **{s.option: sizes[s.option] for s in self.sizes}, seed=seed, dirty=dirty,
                        progress=progress, **dated)


SYNTHETIC_DATA: tuple[SyntheticData, ...] = (
    SyntheticData(
        use_case="claims_triage",
        generator="lakehouse_assets.synthetic:generate",
        sizes=(Size("members", 2_000, 1, "number of members"), Size("claims", 20_000, 1, "number of claims")),
        what="{claims:,} claims for {members:,} members",
    ),
    SyntheticData(
        use_case="machine_failure",
        generator="lakehouse_assets.synthetic.machines:generate_machines",
        sizes=(Size("machines", 120, 1, "number of machines"),
               Size("days", 240, 7, "days of sensor readings and events")),
        what="{days} days of {machines} machines",
        dated=True,
    ),
)
DEFAULT_USE_CASE = "claims_triage"  # `lakegate data generate` without --use-case: the worked example
