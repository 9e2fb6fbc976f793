"""Vectorised CSV formatting (pyarrow compute) and a file writer that splits by row count.

Rows are built as Arrow string arrays, one CSV line per element, so a 250k-row chunk is
formatted and written without creating Python objects per row. Quoting follows the csv
module's QUOTE_MINIMAL rule (a field is quoted when it contains a comma, a double quote, CR or
LF; inner quotes are doubled); lines end with "\\n". No generated field contains CR or LF.

Invalid UTF-8 (dirty mode) cannot live in an Arrow string, so a latin-1 byte b is written in
the text as the private-use character U+E000+b and turned into the raw byte when the file is
written (see `latin1_marked`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse_assets.synthetic.report import FileInfo

_MARK = 0xE000
_MARK_RE = re.compile(rb"\xee[\x82\x83][\x80-\xbf]")


def latin1_marked(text: str) -> str:
    """`text` with every non-ASCII latin-1 character replaced by its byte marker."""
    return "".join(chr(_MARK + ord(c)) if 0x80 <= ord(c) <= 0xFF else c for c in text)


def _unmark(payload: bytes) -> bytes:
    if b"\xee\x82" not in payload and b"\xee\x83" not in payload:
        return payload
    return _MARK_RE.sub(lambda m: bytes([ord(m.group(0).decode("utf-8")) - _MARK]), payload)


def pick(values: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    """values[idx] as an Arrow string array."""
    return pa.array(values, pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def fmt_int(numbers: np.ndarray, width: int = 0) -> pa.Array:
    s = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(s, width=width, padding="0") if width else s


def fmt_id(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """E.g. fmt_id("M", [12345], 8) -> ["M00012345"]."""
    return pc.binary_join_element_wise(prefix, fmt_int(numbers, width), "")


def fmt_date(days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 -> 'YYYY-MM-DD'."""
    return pc.cast(pa.array(np.asarray(days, dtype=np.int32), pa.date32()), pa.string())


def fmt_ts(seconds: np.ndarray) -> pa.Array:
    """Seconds since the epoch -> 'YYYY-MM-DD HH:MM:SS'."""
    return pc.cast(pa.array(np.asarray(seconds, dtype=np.int64), pa.timestamp("s")), pa.string())


def fmt_cents(cents: np.ndarray) -> pa.Array:
    """Non-negative integer cents -> '1234.05'."""
    c = np.asarray(cents, dtype=np.int64)
    return pc.binary_join_element_wise(fmt_int(c // 100), fmt_int(c % 100, 2), ".")


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation (str parts are broadcast)."""
    return pc.binary_join_element_wise(*parts, "")


def csv_quote(arr: pa.Array) -> pa.Array:
    """Quote fields the way csv.QUOTE_MINIMAL does."""
    needs = pc.match_substring_regex(arr, r'[,"\r\n]')
    if not pc.any(needs).as_py():
        return arr
    quoted = concat('"', pc.replace_substring(arr, '"', '""'), '"')
    return pc.if_else(needs, quoted, arr)


def join_fields(cols: list[pa.Array]) -> pa.Array:
    """Already-quoted columns -> one CSV line per row (without the line terminator)."""
    return pc.binary_join_element_wise(*cols, ",")


def quote_join(cols: list[pa.Array]) -> tuple[pa.Array, list[pa.Array]]:
    """Quote columns as csv.QUOTE_MINIMAL does and join them into lines: (lines, quoted columns).

    Fast path: if no line has a quote, CR/LF or more commas than separators, nothing needed quoting.
    """
    lines = join_fields(cols)
    if len(lines) == 0 or (
        pc.max(pc.count_substring(lines, ",")).as_py() == len(cols) - 1
        and not pc.any(pc.match_substring_regex(lines, '["\r\n]')).as_py()
    ):
        return lines, cols
    quoted = [csv_quote(c) for c in cols]
    return join_fields(quoted), quoted


def header_bytes(columns: tuple[str, ...]) -> bytes:
    return (",".join(columns) + "\n").encode("utf-8")


def _payload(lines: pa.Array) -> memoryview:
    """The concatenated bytes of a string array whose elements end in a newline (zero-copy)."""
    if len(lines) == 0:
        return memoryview(b"")
    bufs = lines.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4)
    return memoryview(bufs[2])[offsets[0]:offsets[-1]]


class RollingCsvWriter:
    """Writes `<folder>/<stem>_00001.csv`, `_00002.csv`, ... with at most `max_rows` data lines each."""

    def __init__(self, out_dir: Path, source: str, columns: tuple[str, ...], max_rows: int,
                 latin1: bool = False):
        self.out_dir = out_dir
        self.latin1 = latin1  # turn latin-1 byte markers into raw bytes (dirty mode)
        self.folder = out_dir / source
        self.folder.mkdir(parents=True, exist_ok=True)
        self.source = source
        self.header = header_bytes(columns)
        self.max_rows = max_rows
        self.files: list[FileInfo] = []
        self._fh = None
        self._rows = 0
        self._bytes = 0

    def _open(self) -> None:
        path = self.folder / f"{self.source}_{len(self.files) + 1:05d}.csv"
        self._fh = open(path, "wb")
        self._fh.write(self.header)
        self._rows, self._bytes = 0, len(self.header)
        self.files.append(FileInfo(path.relative_to(self.out_dir).as_posix(), 0, 0))

    def write(self, lines: pa.Array) -> None:
        """Append CSV lines (no terminators), rolling to a new file when the current one is full."""
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        lines = pc.binary_join_element_wise(lines, "", "\n")
        start = 0
        while start < len(lines):
            if self._fh is None or self._rows >= self.max_rows:
                self.roll()
                self._open()
            n = min(self.max_rows - self._rows, len(lines) - start)
            data = _payload(lines.slice(start, n))
            if self.latin1:
                data = _unmark(data.tobytes())
            self._fh.write(data)
            self._rows += n
            self._bytes += len(data)
            self.files[-1].rows, self.files[-1].bytes = self._rows, self._bytes
            start += n

    def roll(self) -> None:
        """Close the current file; the next write starts a new one."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def close(self) -> list[FileInfo]:
        if not self.files:  # nothing to write: still leave a header-only file
            self._open()
        self.roll()
        return self.files


def write_raw(out_dir: Path, source: str, name: str, data: bytes, rows: int, kind: str) -> FileInfo:
    path = out_dir / source / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return FileInfo(path.relative_to(out_dir).as_posix(), rows, len(data), kind)
