"""Where a landed file's data lines are, found with numpy over the file's bytes (no Python per line).

A data line is a line after the header whose bytes are not all carriage returns (a blank line is no
row; a cut-off last line without its newline is one). Each data line is classified once: a "plain"
line can go to the vectorised CSV reader as it is; every other line is handed to the line-by-line
parser, which keeps it whole when it does not fit (see parse.py). A line is plain when it is valid
UTF-8, has no carriage return but one at its end, its double quotes are balanced and each sits at a
field boundary, and its field count (commas outside quotes, plus one) is the header's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEWLINE, CR, QUOTE, COMMA = 0x0A, 0x0D, 0x22, 0x2C


@dataclass(frozen=True)
class DataLines:
    starts: np.ndarray  # byte offset of each data line
    ends: np.ndarray  # end of each data line, one trailing CR excluded
    plain: np.ndarray  # bool per data line

    def __len__(self) -> int:
        return len(self.starts)

    def line(self, content: bytes, i: int) -> bytes:
        return content[self.starts[i]: self.ends[i]].rstrip(b"\r")


def _per_line(positions: np.ndarray, line_starts: np.ndarray, lines: int) -> np.ndarray:
    """How many of `positions` fall in each line."""
    return np.bincount(np.searchsorted(line_starts, positions, side="right") - 1, minlength=lines)[:lines]


def find_data_lines(content: bytes, body_start: int, fields: int) -> DataLines:
    """The data lines of `content` from `body_start` (just after the header's newline) on."""
    buf = np.frombuffer(content, np.uint8)
    newlines = np.flatnonzero(buf[body_start:] == NEWLINE) + body_start
    starts = np.concatenate(([body_start], newlines + 1))
    ends = np.concatenate((newlines, [len(buf)]))
    if starts[-1] == len(buf):  # the file ends with a newline: no line after it
        starts, ends = starts[:-1], ends[:-1]
    n = len(starts)
    body = buf[body_start:]
    crs = _per_line(np.flatnonzero(body == CR) + body_start, starts, n)
    lengths = ends - starts
    data = lengths > crs  # not blank: some byte is not a carriage return
    trailing_cr = (lengths > 0) & (buf[np.maximum(ends - 1, 0)] == CR) if n else np.zeros(0, bool)
    ends = ends - trailing_cr
    plain = crs == trailing_cr

    quotes = np.flatnonzero(body == QUOTE) + body_start
    if len(quotes):
        quote_line = np.searchsorted(starts, quotes, side="right") - 1
        plain &= np.bincount(quote_line, minlength=n)[:n] % 2 == 0
        before = buf[quotes - 1]
        after = buf[np.minimum(quotes + 1, len(buf) - 1)]
        at_start = quotes == starts[quote_line]
        at_end = quotes + 1 >= ends[quote_line]
        boundary = (at_start | np.isin(before, (COMMA, QUOTE))) | (at_end | np.isin(after, (COMMA, QUOTE)))
        plain[quote_line[~boundary]] = False

    commas = np.flatnonzero(body == COMMA) + body_start
    comma_line = np.searchsorted(starts, commas, side="right") - 1
    if len(quotes):  # a comma is quoted when an odd number of its line's quotes come before it
        quotes_before = np.searchsorted(quotes, commas) - np.searchsorted(quotes, starts[comma_line])
        outside = quotes_before % 2 == 0
        comma_line = comma_line[outside]
    plain &= np.bincount(comma_line, minlength=n)[:n] + 1 == fields

    high = np.flatnonzero(body >= 0x80) + body_start
    if len(high):  # non-ASCII: plain only when it decodes as UTF-8 (checked line by line, few lines)
        for i in np.unique(np.searchsorted(starts, high, side="right") - 1):
            if plain[i]:
                try:
                    content[starts[i]: ends[i]].decode("utf-8")
                except UnicodeDecodeError:
                    plain[i] = False
    return DataLines(starts[data], ends[data], plain[data])


def plain_runs(lines: DataLines) -> list[tuple[int, int]]:
    """Byte ranges (start, end) covering the plain lines with their newlines, runs of adjacent plain
    lines joined, so the reader gets only plain lines (blank lines between them are harmless)."""
    if not len(lines):
        return []
    flags = np.concatenate(([False], lines.plain, [False])).astype(np.int8)
    edges = np.diff(flags)
    first, last = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(int(lines.starts[a]), int(lines.ends[b])) for a, b in zip(first, last)]
