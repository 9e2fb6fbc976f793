"""What one `generate` run wrote: files, row counts and injected defects."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# FileInfo.kind values. "data" and "corrections" files are readable CSV; the rest are the
# file-level defects of dirty mode.
FILE_KINDS = ("data", "corrections", "truncated", "unreadable", "empty", "header_only")


@dataclass
class FileInfo:
    path: str  # relative to out_dir, '/'-separated, e.g. "claims/claims_00001.csv"
    rows: int  # data lines, header excluded; a cut-off last line counts as one
    bytes: int
    kind: str = "data"


@dataclass
class GenerationReport:
    out_dir: str
    seed: int
    dirty: float
    # Distinct entities generated: members, providers, claims (the requested count; the rows of
    # a truncated file are extra), claim_outcomes (claims that are not pending).
    entities: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[FileInfo]] = field(default_factory=dict)
    # Data lines written per source over all its files (duplicates, corrections and the lines
    # of a truncated file included).
    rows: dict[str, int] = field(default_factory=dict)
    # Row-level defects: source -> defect kind -> rows affected (or added, for duplicate_row
    # and late_correction).
    defects: dict[str, dict[str, int]] = field(default_factory=dict)
    # File-level defects: kind -> paths (relative to out_dir).
    file_defects: dict[str, list[str]] = field(default_factory=dict)
    review_rate: float = 0.0  # share of written outcomes with needs_review = 1
    seconds: float = 0.0

    def finish(self) -> None:
        self.rows = {s: sum(f.rows for f in fs) for s, fs in self.files.items()}
        self.file_defects = {}
        for fs in self.files.values():
            for f in fs:
                if f.kind not in ("data", "corrections"):
                    self.file_defects.setdefault(f.kind, []).append(f.path)

    def defect_totals(self) -> dict[str, int]:
        """Row-level defects summed over sources, by kind."""
        out: dict[str, int] = {}
        for kinds in self.defects.values():
            for k, n in kinds.items():
                out[k] = out.get(k, 0) + n
        return out

    def to_dict(self) -> dict:
        d = asdict(self)
        d["defect_totals"] = self.defect_totals()
        return d
