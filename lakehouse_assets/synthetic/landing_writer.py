"""What every synthetic generator writes a source with: a rolling CSV writer plus dirty mode's
bookkeeping (defects injected and counted per kind, late corrections held for later files), and
the clearing of a previous run's files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

from lakehouse_assets.synthetic import dirty as _dirty
from lakehouse_assets.synthetic.report import FileInfo, GenerationReport
from lakehouse_assets.synthetic.writer import RollingCsvWriter


def clear_generated(out_dir: Path, sources) -> None:
    """Remove files that look like a generator's output (`<source>_NNNNN.csv`, the dirty-mode
    file defects) from these sources' folders, so a re-run never mixes with a previous one."""
    for source in sources:
        folder = out_dir / source
        if not folder.is_dir():
            continue
        own = re.compile(rf"^{source}_(?:(?:truncated|broken|empty|header_only)_)?\d{{5}}\.csv(?:\.gz)?$")
        for f in folder.iterdir():
            if f.is_file() and own.match(f.name):
                f.unlink()


Progress = Callable[[str, int, int], None]


def begin_run(out_dir: Path, sources, seed: int, dirty: float,
              progress: Progress | None) -> tuple[Path, GenerationReport, Progress]:
    """Check the arguments every generator shares, clear its previous output, start its report."""
    if not 0.0 <= dirty <= 1.0:
        raise ValueError("dirty is a rate between 0 and 1")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    clear_generated(out_dir, sources)
    return out_dir, GenerationReport(out_dir=str(out_dir), seed=seed, dirty=dirty), progress or (lambda *_: None)


class SourceWriter:
    """One source's files: rows written with about `dirty` of them given one defect each."""

    def __init__(self, out_dir: Path, name: str, columns: tuple[str, ...], dirty: float, max_rows: int,
                 rules: _dirty.DefectRules | None = None):
        self.name, self.dirty, self.columns, self.rules = name, dirty, columns, rules
        self.writer = RollingCsvWriter(out_dir, name, columns, max_rows, latin1=dirty > 0)
        self.counts: dict[str, int] = {}
        self.corrections: list[pa.Array] = []

    def write(self, cols: dict[str, pa.Array], rng: np.random.Generator) -> None:
        out = _dirty.inject(self.name, cols, self.columns, self.dirty, rng, self.rules)
        self.writer.write(out.lines)
        if out.corrections is not None:
            self.corrections.append(out.corrections)
        for k, v in out.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v

    def close(self) -> list[FileInfo]:
        if self.corrections:  # late corrections go to files after every regular one
            self.writer.roll()
            first = len(self.writer.files)
            self.writer.write(pa.concat_arrays(self.corrections))
            for f in self.writer.files[first:]:
                f.kind = "corrections"
        return self.writer.close()
