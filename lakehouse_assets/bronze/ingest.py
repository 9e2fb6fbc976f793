"""Incremental, exactly-once ingestion of landed files into bronze, as Auto Loader does it.

A file is new when its (key, content hash) is not in the ingest log. A file's key is its path
relative to the landing root (`claims/2026-01-15.csv`): a LAKEGATE_HOME copied, restored or moved
elsewhere re-ingests nothing. Logs written before keys were relative hold absolute paths; their
last two parts (`<source>/<file>`, the landing layout) are the key. Readable files are appended
to `<catalog>.bronze.<source>` in one Delta commit per run; unreadable files move to
`rejected/<source>/` beside a `<file>.reason.json`. The ingest log (`<catalog>.bronze.ingest_log`)
is written after the bronze commit, and every bronze commit names its files in its commit info
(`lakegate.files`): if a run dies between the two writes, the next run finds the file in a bronze
commit the log has not seen and logs it without ingesting it again.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from lakegate.lake import Lake
from lakegate.lineage import FILES_KEY
from lakehouse_assets.bronze.parse import UnreadableFile, content_hash, count_landed_rows, parse_file
from lakehouse_assets.landing import LandingSource

INGEST_LOG = "ingest_log"
LANDING_PATTERNS = ("*.csv", "*.csv.gz")
FILES_COMMIT_KEY = FILES_KEY  # the commit info names the files a bronze commit ingested

_LOG_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("path", pa.string()),  # the landing key, relative to the landing root
        ("content_hash", pa.string()),
        ("status", pa.string()),  # ingested | rejected
        ("rows", pa.int64()),
        ("reason", pa.string()),
        ("bronze_version", pa.int64()),
        ("ingested_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass
class IngestReport:
    source: str
    ingested_files: list[str] = field(default_factory=list)
    rejected_files: dict[str, str] = field(default_factory=dict)  # path -> reason
    rows: int = 0
    bronze_version: int | None = None
    seconds_parsing: float = 0.0


def landing_files(landing_dir: Path) -> list[Path]:
    if not landing_dir.is_dir():
        return []
    found = {p for pattern in LANDING_PATTERNS for p in landing_dir.glob(pattern) if p.is_file()}
    return sorted(found)


def landing_key(path: Path, landing_root: Path) -> str:
    """A landed file's key: its path relative to the landing root, `<source>/<file>`."""
    return path.relative_to(landing_root).as_posix()


def logged_key(path: str) -> str:
    """The key of a path recorded in the ingest log or bronze, relative already or absolute (older logs)."""
    parts = Path(path).parts
    return "/".join(parts[-2:]) if Path(path).is_absolute() else path


def ingest_log(lake: Lake, catalog: str) -> pa.Table:
    name = f"{catalog}.bronze.{INGEST_LOG}"
    return lake.read_arrow(name) if lake.exists(name) else _LOG_SCHEMA.empty_table()


def already_ingested(lake: Lake, catalog: str, source: str) -> set[tuple[str, str]]:
    log = ingest_log(lake, catalog)
    mine = log.filter(pc.equal(log["source"], source))
    return {(logged_key(p), h) for p, h in zip(mine["path"].to_pylist(), mine["content_hash"].to_pylist())}


def pending_files(lake: Lake, catalog: str, source: LandingSource, landing_root: Path) -> list[Path]:
    """Files in the source's landing folder not yet ingested (by key and content hash)."""
    seen = already_ingested(lake, catalog, source.name)
    return [p for p in landing_files(landing_root / source.name) if (landing_key(p, landing_root), _hash(p)) not in seen]


def ingest_source(
    lake: Lake,
    catalog: str,
    source: LandingSource,
    landing_root: Path,
    rejected_root: Path,
    now: dt.datetime | None = None,
) -> IngestReport:
    import time

    now = now or dt.datetime.now(dt.timezone.utc)
    report = IngestReport(source=source.name)
    bronze_name = f"{catalog}.bronze.{source.name}"
    hashes_in_bronze = _hashes_committed_but_unlogged(lake, catalog, source.name)
    parsed, log_rows = [], []
    started = time.perf_counter()
    for path in pending_files(lake, catalog, source, landing_root):
        key = landing_key(path, landing_root)
        try:
            result = parse_file(path, source)
        except UnreadableFile as exc:
            target = reject_file(path, rejected_root / source.name, str(exc), now)
            report.rejected_files[key] = str(exc)
            log_rows.append(_log_row(source.name, key, _hash(target), "rejected", count_landed_rows(target), str(exc), None, now))
            continue
        if result.content_hash in hashes_in_bronze:  # a previous run died before logging it
            log_rows.append(_log_row(source.name, key, result.content_hash, "ingested", result.landed_rows, "recovered", None, now))
            continue
        parsed.append((key, result))
    report.seconds_parsing = time.perf_counter() - started
    if parsed:
        table = pa.concat_tables([_with_file_columns(key, r, source, now) for key, r in parsed])
        files = [{"path": key, "content_hash": r.content_hash, "rows": r.landed_rows} for key, r in parsed]
        report.bronze_version = lake.write_arrow(
            bronze_name, table, mode="append", commit_metadata={FILES_COMMIT_KEY: json.dumps(files)}
        )
        report.rows = table.num_rows
        for key, r in parsed:
            report.ingested_files.append(key)
            log_rows.append(_log_row(source.name, key, r.content_hash, "ingested", r.landed_rows, None, report.bronze_version, now))
    elif not lake.exists(bronze_name):
        # An empty table still exists, so downstream reads and row counts work from the first run.
        report.bronze_version = lake.write_arrow(bronze_name, _empty_bronze(source), mode="append")
    if log_rows:
        lake.write_arrow(f"{catalog}.bronze.{INGEST_LOG}", pa.Table.from_pylist(log_rows, _LOG_SCHEMA), mode="append")
    return report


def reject_file(path: Path, rejected_dir: Path, reason: str, now: dt.datetime) -> Path:
    """Move an unreadable file out of landing, keeping it whole, with a reason file beside it."""
    rejected_dir.mkdir(parents=True, exist_ok=True)
    target = rejected_dir / path.name
    if target.exists():  # never overwrite an earlier rejected file of the same name
        target = rejected_dir / f"{now.strftime('%Y%m%dT%H%M%S')}_{path.name}"
    shutil.move(str(path), target)
    reason_doc = {
        "file": path.name,
        "landed_at": str(path),
        "reason": reason,
        "rejected_at": now.isoformat(),
        "content_hash": _hash(target),
        "rows": count_landed_rows(target),
    }
    target.with_name(target.name + ".reason.json").write_text(json.dumps(reason_doc, indent=2))
    return target


def bronze_schema(source: LandingSource) -> pa.Schema:
    return pa.schema(
        [(c, pa.string()) for c in source.columns]
        + [
            ("_rescued_data", pa.string()),
            ("_source_file", pa.string()),
            ("_file_hash", pa.string()),
            ("_row_number", pa.int64()),
            ("_ingested_at", pa.timestamp("us", tz="UTC")),
        ]
    )


def _empty_bronze(source: LandingSource) -> pa.Table:
    return bronze_schema(source).empty_table()


def _with_file_columns(key: str, parsed, source: LandingSource, now: dt.datetime) -> pa.Table:
    n = parsed.rows.num_rows
    t = parsed.rows
    t = t.append_column("_source_file", pa.array([key] * n, pa.string()))
    t = t.append_column("_file_hash", pa.array([parsed.content_hash] * n, pa.string()))
    t = t.append_column("_ingested_at", pa.array([now] * n, pa.timestamp("us", tz="UTC")))
    return t.select(bronze_schema(source).names)


def _hashes_committed_but_unlogged(lake: Lake, catalog: str, source: str) -> set[str]:
    """Content hashes in bronze commits newer than anything the ingest log recorded."""
    bronze_name = f"{catalog}.bronze.{source}"
    if not lake.exists(bronze_name):
        return set()
    log = ingest_log(lake, catalog)
    versions = log.filter(pc.equal(log["source"], source))["bronze_version"]
    last_logged = pc.max(versions).as_py() if len(versions) else -1
    if last_logged is None:
        last_logged = -1
    hashes: set[str] = set()
    for commit in lake.history(bronze_name):
        if commit.get("version", -1) > last_logged and FILES_COMMIT_KEY in commit:
            hashes.update(f["content_hash"] for f in json.loads(commit[FILES_COMMIT_KEY]))
    return hashes


def _hash(path: Path) -> str:
    return content_hash(path.read_bytes())


def _log_row(source, key, digest, status, rows, reason, version, now) -> dict:
    return {
        "source": source, "path": key, "content_hash": digest, "status": status,
        "rows": rows, "reason": reason, "bronze_version": version, "ingested_at": now,
    }
