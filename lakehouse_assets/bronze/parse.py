"""Parse one landed CSV file into bronze rows without losing a line.

Every data line of a readable file becomes exactly one bronze row. Values stay the raw strings they
arrived as. What does not fit the expected columns goes to `_rescued_data` (JSON), as Auto Loader's
rescued-data column does: extra columns by name, and for a line that cannot be parsed (wrong column
count, invalid UTF-8) the whole line as `_corrupt_record` with the reason in `_error`.
A file that cannot be read at all raises UnreadableFile; the caller moves it to the rejected folder.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from lakehouse_assets.landing import LandingSource

RESCUED = "_rescued_data"
METADATA_COLUMNS = ("_rescued_data", "_source_file", "_file_hash", "_row_number", "_ingested_at")


class UnreadableFile(Exception):
    """The file cannot be read as CSV at all; str(self) is the reason recorded beside it."""


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    content_hash: str
    rows: pa.Table  # the source's columns as strings plus _rescued_data and _row_number
    landed_rows: int


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_bytes(path: Path) -> bytes:
    """The file's content, decompressed when it is gzip; UnreadableFile when that fails."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableFile(f"cannot decompress gzip: {exc}") from None
    return raw


def data_lines(content: bytes) -> list[bytes]:
    """The file's lines after the header; a blank line is no row, a cut-off last line is one."""
    lines = content.split(b"\n")
    return [line.rstrip(b"\r") for line in lines[1:] if line.strip(b"\r")]


def count_landed_rows(path: Path) -> int | None:
    """Data lines in a landed file, counted independently of the parser (None if unreadable)."""
    try:
        return len(data_lines(file_bytes(path)))
    except UnreadableFile:
        return None


def parse_file(path: Path, source: LandingSource) -> ParsedFile:
    raw = path.read_bytes()
    digest = content_hash(raw)
    content = file_bytes(path)
    if not content.strip():
        raise UnreadableFile("empty file: no header row")
    header_line = content.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = next(csv.reader([header_line.decode("utf-8-sig")]))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UnreadableFile(f"header is not readable CSV: {exc}") from None
    header = [h.strip() for h in header]
    if not set(header) & set(source.columns):
        raise UnreadableFile(
            f"header names none of the expected {source.name} columns ({', '.join(source.columns)})"
        )
    lines = data_lines(content)
    columns: dict[str, list[str | None]] = {c: [] for c in source.columns}
    rescued: list[str | None] = []
    extra = [h for h in header if h not in source.columns]
    for values, rescue in _parse_lines(lines, header, extra):
        for c in source.columns:
            columns[c].append(values.get(c))
        rescued.append(rescue)
    table = pa.table(
        {
            **{c: pa.array(v, pa.string()) for c, v in columns.items()},
            RESCUED: pa.array(rescued, pa.string()),
            "_row_number": pa.array(range(2, len(lines) + 2), pa.int64()),
        }
    )
    return ParsedFile(path=path, content_hash=digest, rows=table, landed_rows=len(lines))


def _parse_lines(lines: list[bytes], header: list[str], extra: list[str]):
    """Yield (values by column, rescued JSON or None) for each line, in order, one per line."""
    # Lines that decode and have balanced quotes go through one csv.reader in bulk (fast);
    # the others are handled alone so a stray quote cannot swallow the next line.
    texts: list[str | None] = []
    for line in lines:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        texts.append(text if text is not None and text.count('"') % 2 == 0 else None)
    bulk = csv.reader(t for t in texts if t is not None)
    for line, text in zip(lines, texts):
        if text is None:
            yield _parse_odd_line(line, header, extra)
        else:
            yield _to_values(next(bulk), text, header, extra)


def _parse_odd_line(line: bytes, header: list[str], extra: list[str]):
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        corrupt = line.decode("utf-8", "backslashreplace")
        return {}, json.dumps({"_corrupt_record": corrupt, "_error": "invalid UTF-8"})
    try:
        fields = next(csv.reader((text,)))
    except (csv.Error, StopIteration) as exc:
        return {}, json.dumps({"_corrupt_record": text, "_error": f"unparseable CSV: {exc}"})
    return _to_values(fields, text, header, extra)


def _to_values(fields: list[str], text: str, header: list[str], extra: list[str]):
    values = {h: (v if v != "" else None) for h, v in zip(header, fields)}
    if len(fields) != len(header):
        return values, json.dumps(
            {"_corrupt_record": text, "_error": f"expected {len(header)} fields, got {len(fields)}"}
        )
    rescue = {h: values[h] for h in extra if values.get(h) is not None}
    return values, (json.dumps(rescue) if rescue else None)
