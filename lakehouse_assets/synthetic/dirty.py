"""Malformed-input injectors for dirty mode.

`inject` picks about `rate` of a chunk's rows and gives each exactly one defect kind (kinds are
spread evenly over the picked rows), so every counted row shows exactly the defect it is
counted for. Duplicates and late corrections add rows; every other kind changes a row in place.
`broken_files` writes the file-level defects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse_assets.synthetic import codes, names
from lakehouse_assets.synthetic.report import FileInfo
from lakehouse_assets.synthetic.writer import header_bytes, latin1_marked, quote_join, write_raw

# Row-level defect kinds per source (see the package docstring for how each looks in the CSV).
ROW_DEFECTS: dict[str, tuple[str, ...]] = {
    "members": ("missing_key", "duplicate_row", "late_correction", "wrong_type_date", "impossible_date",
                "bad_encoding", "unknown_code", "extra_field", "missing_fields"),
    "providers": ("missing_key", "duplicate_row", "late_correction", "bad_encoding", "unknown_code",
                  "extra_field"),
    "claims": ("wrong_type_amount", "wrong_type_date", "missing_key", "missing_member_id", "duplicate_row",
               "late_correction", "impossible_date", "submission_before_service", "future_date",
               "negative_amount", "unknown_diagnosis", "unknown_procedure", "extra_field", "missing_fields",
               "bad_encoding", "unknown_member"),
    "claim_outcomes": ("missing_key", "duplicate_row", "wrong_type_label", "wrong_type_date", "unknown_claim",
                       "extra_field", "missing_fields"),
}
FILE_DEFECTS = ("truncated", "unreadable", "empty", "header_only")

EXTRA_FIELD = "EXTRA"
NOT_A_DATE = "not-a-date"
WRONG_AMOUNTS = ("abc", "N/A", "12.3.4")
IMPOSSIBLE_DATES = ("2026-02-30", "2025-02-29", "2026-04-31", "2025-09-31")
FUTURE_YEAR = 2031
LATIN1_TEXT = {  # source -> (column, values written as latin-1 bytes, i.e. invalid UTF-8)
    "members": ("first_name", ("José", "Renée", "François", "Zoë")),
    "providers": ("provider_name", ("Clínica San José",)),
    "claims": ("channel", ("télécopie",)),
}
UNKNOWN_CODE = {"members": ("plan_type", "gold_plus"), "providers": ("network_status", "pending")}
KEY = {"members": "member_id", "providers": "provider_id", "claims": "claim_id", "claim_outcomes": "claim_id"}
_TS = "%Y-%m-%d %H:%M:%S"

Getter = Callable[[str], list]


@dataclass(frozen=True)
class DefectRules:
    """What dirty mode does to one source's rows: its row-defect kinds, the in-place edit of a kind
    (`edit(kind, get, k, rng)` -> new values by column for k rows), and the changes of a late
    correction (`correct(get, k, rng)`). duplicate_row, extra_field, missing_fields and
    late_correction are handled here for every source."""

    kinds: tuple[str, ...]
    edit: Callable[[str, "Getter", int, np.random.Generator], dict[str, list[str]]]
    correct: Callable[["Getter", int, np.random.Generator], dict[str, list[str]]] | None = None


def insurer_rules(source: str) -> DefectRules:
    """The claims generator's rules (ROW_DEFECTS and the edits below)."""
    return DefectRules(ROW_DEFECTS[source], lambda kind, get, k, rng: _edits(source, kind, get, k, rng),
                       lambda get, k, rng: _corrections(source, get, k, rng))


@dataclass
class Injected:
    lines: pa.Array  # the chunk's CSV lines (no terminators), duplicates included
    corrections: pa.Array | None  # late corrections: to be written in a later file
    counts: dict[str, int]


def clean_lines(cols: dict[str, pa.Array], columns: tuple[str, ...]) -> pa.Array:
    return quote_join([cols[c] for c in columns])[0]


def _d(s: str) -> date:
    return date.fromisoformat(s)


def later_timestamps(values: list[str], rng: np.random.Generator, max_days: int) -> list[str]:
    return [(datetime.strptime(v, _TS) + timedelta(seconds=int(s))).strftime(_TS)
            for v, s in zip(values, rng.integers(86_400, max_days * 86_400, len(values)))]


def _edits(source: str, kind: str, get: Getter, k: int, rng: np.random.Generator) -> dict[str, list[str]]:
    """New values, by column, for k rows getting an in-place defect."""
    choice = lambda vals: [vals[i] for i in rng.integers(0, len(vals), k)]  # noqa: E731
    if kind == "missing_key":
        return {KEY[source]: [""] * k}
    if kind == "bad_encoding":
        col, texts = LATIN1_TEXT[source]
        return {col: [latin1_marked(t) for t in choice(texts)]}
    if kind == "unknown_code":
        col, value = UNKNOWN_CODE[source]
        return {col: [value] * k}
    if source == "members":
        if kind == "wrong_type_date":
            return {"date_of_birth": [NOT_A_DATE] * k}
        if kind == "impossible_date":
            return {"date_of_birth": [f"{v[:4]}-02-30" for v in get("date_of_birth")]}
    if source == "claim_outcomes":
        if kind == "wrong_type_label":
            return {"needs_review": ["yes"] * k}
        if kind == "wrong_type_date":
            return {"decided_at": [NOT_A_DATE] * k}
        if kind == "unknown_claim":
            return {"claim_id": [f"C9{x:08d}" for x in rng.integers(0, 10**8, k)]}
    if source == "claims":
        if kind == "wrong_type_amount":
            return {"amount": choice(WRONG_AMOUNTS)}
        if kind == "wrong_type_date":  # one of the two dates; the other keeps its value
            which = rng.random(k) < 0.5
            svc, sub = get("service_date"), get("submission_date")
            return {"service_date": [NOT_A_DATE if w else v for w, v in zip(which, svc)],
                    "submission_date": [v if w else NOT_A_DATE for w, v in zip(which, sub)]}
        if kind == "missing_member_id":
            return {"member_id": [""] * k}
        if kind == "impossible_date":
            return {"service_date": choice(IMPOSSIBLE_DATES)}
        if kind == "submission_before_service":
            return {"submission_date": [(_d(v) - timedelta(days=int(x))).isoformat()
                                        for v, x in zip(get("service_date"), rng.integers(1, 31, k))]}
        if kind == "future_date":  # service (and submission, same delay) in FUTURE_YEAR
            svc, sub = get("service_date"), get("submission_date")
            moved = [_d(v).replace(year=FUTURE_YEAR) for v in svc]
            return {"service_date": [m.isoformat() for m in moved],
                    "submission_date": [(m + (_d(b) - _d(a))).isoformat() for m, a, b in zip(moved, svc, sub)]}
        if kind == "negative_amount":
            return {"amount": ["-" + v for v in get("amount")]}
        if kind == "unknown_diagnosis":
            return {"diagnosis_code": [codes.UNKNOWN_DIAGNOSIS] * k}
        if kind == "unknown_procedure":
            return {"procedure_code": [codes.UNKNOWN_PROCEDURE] * k}
        if kind == "unknown_member":
            return {"member_id": [f"M9{x:07d}" for x in rng.integers(0, 10**7, k)]}
    raise ValueError(f"no in-place edit for {source}/{kind}")


def _corrections(source: str, get: Getter, k: int, rng: np.random.Generator) -> dict[str, list[str]]:
    """Changed values and a later updated_at for k re-sent rows."""
    if source == "claims":
        new = []
        for v, f in zip(get("amount"), rng.uniform(0.6, 1.4, k)):
            cents, old = max(100, round(float(v) * 100 * f)), round(float(v) * 100)
            cents = cents + 100 if cents == old else cents
            new.append(f"{cents // 100}.{cents % 100:02d}")
        return {"amount": new, "updated_at": later_timestamps(get("updated_at"), rng, 60)}
    if source == "members":
        streets = [names.STREETS[i] for i in rng.integers(0, len(names.STREETS), k)]
        return {"address": [f"{n} {s} {names.STREET_SUFFIXES[j]}" for n, s, j in
                            zip(rng.integers(1, 9999, k), streets, rng.integers(0, len(names.STREET_SUFFIXES), k))],
                "updated_at": later_timestamps(get("updated_at"), rng, 120)}
    if source == "providers":
        return {"network_status": ["out" if v == "in" else "in" for v in get("network_status")],
                "updated_at": later_timestamps(get("updated_at"), rng, 120)}
    raise ValueError(f"no late correction for {source}")


def _mask(n: int, rows: np.ndarray) -> pa.Array:
    m = np.zeros(n, dtype=bool)
    m[rows] = True
    return pa.array(m)


def inject(source: str, cols: dict[str, pa.Array], columns: tuple[str, ...], rate: float,
           rng: np.random.Generator, rules: DefectRules | None = None) -> Injected:
    n = len(cols[columns[0]])
    if rate <= 0 or n == 0:
        return Injected(clean_lines(cols, columns), None, {})
    rules = rules or insurer_rules(source)
    kinds = rules.kinds
    k = int(rng.binomial(n, min(rate, 1.0)))
    rows = rng.choice(n, size=k, replace=False)
    kind_of = rng.permutation(np.arange(k) % len(kinds))
    by_kind = {kind: np.sort(rows[kind_of == j]) for j, kind in enumerate(kinds)}
    by_kind = {kind: r for kind, r in by_kind.items() if len(r)}
    cols = dict(cols)

    def getter(rows_: np.ndarray) -> Getter:
        idx = pa.array(rows_)
        return lambda col: cols[col].take(idx).to_pylist()

    corrections = None
    if "late_correction" in by_kind:
        r = by_kind["late_correction"]
        sub = {c: cols[c].take(pa.array(r)) for c in columns}
        for col, vals in rules.correct(getter(r), len(r), rng).items():
            sub[col] = pa.array(vals, pa.string())
        corrections = clean_lines(sub, columns)

    for kind, r in by_kind.items():
        if kind in ("late_correction", "duplicate_row", "extra_field", "missing_fields"):
            continue
        for col, vals in rules.edit(kind, getter(r), len(r), rng).items():
            cols[col] = pc.replace_with_mask(cols[col], _mask(n, r), pa.array(vals, pa.string()))

    lines, quoted = quote_join([cols[c] for c in columns])
    if "extra_field" in by_kind:
        r = by_kind["extra_field"]
        new = [f"{line},{EXTRA_FIELD}" for line in lines.take(pa.array(r)).to_pylist()]
        lines = pc.replace_with_mask(lines, _mask(n, r), pa.array(new, pa.string()))
    if "missing_fields" in by_kind:  # the last 1-3 fields are missing
        r = by_kind["missing_fields"]
        keep = len(columns) - rng.integers(1, 4, len(r))
        fields = [q.take(pa.array(r)).to_pylist() for q in quoted]
        new = [",".join(fields[c][i] for c in range(keep[i])) for i in range(len(r))]
        lines = pc.replace_with_mask(lines, _mask(n, r), pa.array(new, pa.string()))
    if "duplicate_row" in by_kind:  # an exact copy 1-50 lines later (possibly in the next file)
        r = by_kind["duplicate_row"]
        at = np.minimum(r + rng.integers(1, 51, len(r)), n) - 0.5
        order = np.concatenate([np.arange(n), r])[np.argsort(np.concatenate([np.arange(n), at]), kind="stable")]
        lines = lines.take(pa.array(order))
    return Injected(lines, corrections, {kind: len(r) for kind, r in by_kind.items()})


def broken_files(out_dir: Path, source: str, columns: tuple[str, ...], lines: pa.Array,
                 rng: np.random.Generator) -> list[FileInfo]:
    """One file of each file-level defect kind in `out_dir/source/`.

    `lines` (clean CSV lines, at least one) fill the truncated file, which is cut in the middle
    of its last line and has no trailing newline.
    """
    header = header_bytes(columns)
    text = lines.to_pylist()
    last = text[-1].encode("utf-8")
    body = "".join(t + "\n" for t in text[:-1]).encode("utf-8") + last[: max(1, len(last) // 2)]
    junk = bytearray(rng.bytes(int(rng.integers(512, 4096))))
    junk[0] = 0x00  # never the gzip magic number: unreadable from the first byte
    return [
        write_raw(out_dir, source, f"{source}_truncated_00001.csv", header + body, len(text), "truncated"),
        write_raw(out_dir, source, f"{source}_broken_00001.csv.gz", bytes(junk), 0, "unreadable"),
        write_raw(out_dir, source, f"{source}_empty_00001.csv", b"", 0, "empty"),
        write_raw(out_dir, source, f"{source}_header_only_00001.csv", header, 0, "header_only"),
    ]
