"""Row conservation for bronze, recounted from the files themselves, not from the parser.

Rows landed (data lines in every file of the source, in landing or rejected) must equal the rows in
bronze plus the rows in rejected files; and for each ingested file, its bronze rows must equal its
lines. A file whose rows cannot be counted (it cannot even be decompressed) must be in rejected/.
An ingested file is counted when ingestion read it (apart from the parser, from the same bytes), and
recounted here only when its size or modification time has changed since: the check costs what the
new files cost, and no file is read twice for one run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.compute as pc

from lakegate.lake import Lake
from lakehouse_assets.bronze.ingest import FileStat, SourceLog, landing_files, landing_key, logged_key, source_log_rows
from lakehouse_assets.bronze.parse import count_landed_rows


@dataclass
class BronzeConservation:
    source: str
    landed_rows: int = 0
    bronze_rows: int = 0
    rejected_rows: int = 0
    rejected_files: int = 0
    uncountable_rejected_files: list[str] = field(default_factory=list)
    mismatched_files: dict[str, str] = field(default_factory=dict)
    pending_files: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.mismatched_files and self.landed_rows == self.bronze_rows + self.rejected_rows


def check_bronze_conservation(lake: Lake, catalog: str, source: str, landing_root: Path, rejected_root: Path) -> BronzeConservation:
    result = BronzeConservation(source)
    bronze_name = f"{catalog}.bronze.{source}"
    per_file: dict[str, int] = {}
    if lake.exists(bronze_name):
        files = lake.read_arrow(bronze_name, columns=["_source_file"])["_source_file"]
        result.bronze_rows = len(files)
        for v in pc.value_counts(files):  # keyed as the log keys files, whatever home wrote them
            key = logged_key(v["values"].as_py())
            per_file[key] = per_file.get(key, 0) + v["counts"].as_py()
    logged = source_log_rows(lake, catalog, source)
    ingested_keys = {logged_key(r["path"]) for r in logged if r["status"] == "ingested"}

    counted = SourceLog.of(logged).stats
    for path in landing_files(landing_root / source):
        key = landing_key(path, landing_root)
        if key not in ingested_keys:
            result.pending_files.append(key)
            continue
        stat = FileStat.of(path)
        lines = counted.get((key, stat.size, stat.mtime_ns))
        if lines is None:
            lines = count_landed_rows(path)
        result.landed_rows += lines or 0
        if per_file.get(key, 0) != lines:
            result.mismatched_files[key] = f"{lines} lines landed, {per_file.get(key, 0)} rows in bronze"
    # Ingested files no longer in landing (moved away by retention) count by the log's record.
    for record in logged:
        if record["status"] == "ingested" and not (landing_root / logged_key(record["path"])).exists():
            result.landed_rows += record["rows"] or 0
    for path in landing_files(rejected_root / source):
        result.rejected_files += 1
        lines = count_landed_rows(path)
        if lines is None:
            result.uncountable_rejected_files.append(path.name)
        else:
            result.rejected_rows += lines
            result.landed_rows += lines
    return result
