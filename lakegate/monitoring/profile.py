"""Mergeable profiles: what the monitor keeps of a column instead of its rows.

A reference profile is computed once per model version from its held-out data. Numeric columns
get fixed bin edges from the reference's quantiles; categorical columns get the reference's most
frequent categories. A window's profile of current data uses the reference's edges and
categories, so two window profiles merge by adding their counts, and drift is computed from the
counts alone (metrics.py). Profiles serialise to deterministic JSON, to be stored beside the model
version and put in its evidence bundle.

Numeric bins: edges e_0 < ... < e_k are the reference's quantiles at 0, 1/bins, ..., 1 (ties
merged), with e_k nudged just above the reference maximum. Bin 0 is (-inf, e_0), bin i is
[e_{i-1}, e_i), bin k+1 is [e_k, +inf): the first and last bins hold only values outside the
reference's range. NaN counts as null (JSON, the inference table's format, has no NaN).
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FORMAT_VERSION = 1
DEFAULT_BINS = 100  # fine bins for KS and Wasserstein; PSI groups them into deciles (PSI_BINS)
PSI_BINS = 10  # the 0.1/0.25 PSI bands were calibrated on about ten bins; a thousand bins inflate PSI on small windows
DEFAULT_MAX_CATEGORIES = 100  # past it, the rarer reference categories share the "other" bucket
_THREADED_ROWS = 100_000  # below it a thread pool costs more than it saves


@dataclass(frozen=True, eq=False)
class NumericProfile:
    edges: np.ndarray  # k+1 ascending finite edges: k+2 bins including the two overflow bins
    psi_edges: np.ndarray  # the reference deciles, a subset of the edges' values
    counts: np.ndarray  # int64, one per bin
    num_nulls: int = 0
    total: float = 0.0  # sum of the non-null values
    total_sq: float = 0.0  # sum of their squares
    min: float | None = None
    max: float | None = None

    kind = "numeric"

    @property
    def count(self) -> int:
        return int(self.counts.sum())

    def empty(self) -> "NumericProfile":
        return NumericProfile(self.edges, self.psi_edges, np.zeros_like(self.counts))

    def observe(self, column: pa.ChunkedArray | pa.Array) -> "NumericProfile":
        values = np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
        ordered = np.sort(values)  # sorting (SIMD) then cutting at the edges beats a binary search per value by 5x
        present = ordered[:np.searchsorted(ordered, np.inf, side="right")]  # NaN sorts last
        below = np.searchsorted(present, self.edges, side="left")
        counts = np.diff(np.concatenate([[0], below, [present.size]])).astype(np.int64)
        observed = NumericProfile(self.edges, self.psi_edges, counts, values.size - present.size,
                                  float(present.sum()), float(np.dot(present, present)),
                                  float(present[0]) if present.size else None,
                                  float(present[-1]) if present.size else None)
        return self.merge(observed)

    def merge(self, other: "NumericProfile") -> "NumericProfile":
        if not isinstance(other, NumericProfile) or not np.array_equal(self.edges, other.edges):
            raise ValueError("numeric profiles merge only over the same bin edges")
        return NumericProfile(self.edges, self.psi_edges, self.counts + other.counts, self.num_nulls + other.num_nulls,
                              self.total + other.total, self.total_sq + other.total_sq,
                              _pick(min, self.min, other.min), _pick(max, self.max, other.max))

    def centres(self, other: "NumericProfile | None" = None) -> np.ndarray:
        """One value per bin, shared by both sides of a comparison: midpoints, the overflow bins'
        reaching out to the furthest value either side saw."""
        lows = [v for v in (self.min, other.min if other else None) if v is not None]
        highs = [v for v in (self.max, other.max if other else None) if v is not None]
        low = min([self.edges[0], *lows])
        high = max([self.edges[-1], *highs])
        bounds = np.concatenate([[low], self.edges, [high]])
        return (bounds[:-1] + bounds[1:]) / 2

    def psi_counts(self) -> np.ndarray:
        """The counts grouped into the reference's deciles (each fine bin lies inside one decile)."""
        lower = np.concatenate([[-np.inf], self.edges])
        groups = np.searchsorted(self.psi_edges, lower, side="right")
        return np.bincount(groups, weights=self.counts, minlength=self.psi_edges.size + 1)

    def summary(self) -> dict:
        n = self.count
        mean = self.total / n if n else None
        variance = (self.total_sq - n * mean * mean) / (n - 1) if n > 1 else None
        return {"count": n + self.num_nulls, "num_nulls": self.num_nulls, "avg": mean, "min": self.min,
                "max": self.max, "stddev": float(np.sqrt(max(variance, 0.0))) if variance is not None else None,
                "distinct_count": None}

    def to_dict(self, bins: bool = True) -> dict:
        counts = {"kind": self.kind, "counts": self.counts.tolist(), "num_nulls": self.num_nulls, "sum": self.total,
                  "sum_of_squares": self.total_sq, "min": self.min, "max": self.max}
        return {**counts, "edges": self.edges.tolist(), "psi_edges": self.psi_edges.tolist()} if bins else counts

    @classmethod
    def from_dict(cls, d: dict, like: "NumericProfile | None" = None) -> "NumericProfile":
        edges = like.edges if like is not None else np.asarray(d["edges"], np.float64)
        psi_edges = like.psi_edges if like is not None else np.asarray(d["psi_edges"], np.float64)
        counts = np.asarray(d["counts"], np.int64)
        if counts.size != edges.size + 1:
            raise ValueError("a numeric profile needs one count per bin")
        return cls(edges, psi_edges, counts, int(d["num_nulls"]), float(d["sum"]), float(d["sum_of_squares"]),
                   d["min"], d["max"])


@dataclass(frozen=True, eq=False)
class CategoricalProfile:
    categories: tuple[str, ...]
    counts: np.ndarray  # int64, one per category and a last one for "other"
    num_nulls: int = 0

    kind = "categorical"

    @property
    def count(self) -> int:
        return int(self.counts.sum())

    def empty(self) -> "CategoricalProfile":
        return CategoricalProfile(self.categories, np.zeros_like(self.counts))

    def observe(self, column: pa.ChunkedArray | pa.Array) -> "CategoricalProfile":
        values = pc.cast(column, pa.string())
        distinct = pc.value_counts(values)  # one hash pass; then only the distinct values are mapped
        seen, times = distinct.field("values"), distinct.field("counts").to_numpy(zero_copy_only=False)
        index = pc.fill_null(pc.index_in(seen, value_set=pa.array(self.categories, pa.string())), len(self.categories))
        index = index.to_numpy(zero_copy_only=False)
        present = seen.is_valid().to_numpy(zero_copy_only=False)
        counts = np.bincount(index[present], weights=times[present], minlength=self.counts.size).astype(np.int64)
        return self.merge(CategoricalProfile(self.categories, counts, values.null_count))

    def merge(self, other: "CategoricalProfile") -> "CategoricalProfile":
        if not isinstance(other, CategoricalProfile) or self.categories != other.categories:
            raise ValueError("categorical profiles merge only over the same categories")
        return CategoricalProfile(self.categories, self.counts + other.counts, self.num_nulls + other.num_nulls)

    def summary(self) -> dict:
        seen = int((self.counts[:-1] > 0).sum())
        exact = self.counts[-1] == 0  # values in "other" hide how many distinct ones there were
        return {"count": self.count + self.num_nulls, "num_nulls": self.num_nulls, "avg": None, "min": None,
                "max": None, "stddev": None, "distinct_count": seen if exact else None}

    def to_dict(self, bins: bool = True) -> dict:
        counts = {"kind": self.kind, "counts": self.counts.tolist(), "num_nulls": self.num_nulls}
        return {**counts, "categories": list(self.categories)} if bins else counts

    @classmethod
    def from_dict(cls, d: dict, like: "CategoricalProfile | None" = None) -> "CategoricalProfile":
        categories = like.categories if like is not None else tuple(d["categories"])
        counts = np.asarray(d["counts"], np.int64)
        if counts.size != len(categories) + 1:
            raise ValueError("a categorical profile needs one count per category and one for other")
        return cls(categories, counts, int(d["num_nulls"]))


ColumnProfile = Union[NumericProfile, CategoricalProfile]
_KINDS = {"numeric": NumericProfile, "categorical": CategoricalProfile}


@dataclass(frozen=True, eq=False)
class Profile:
    """Column profiles of one population (a reference, or one window of one slice)."""

    columns: dict[str, ColumnProfile] = field(default_factory=dict)
    num_rows: int = 0

    def empty(self) -> "Profile":
        """A profile with the same bins and no observations: the start of a window."""
        return Profile({name: col.empty() for name, col in self.columns.items()}, 0)

    def observe(self, table: pa.Table) -> "Profile":
        """This profile plus the rows of `table` (the same bins; a column it lacks counts as null).

        Large tables are profiled a column per thread: numpy's sort and Arrow's hashing release the GIL."""
        def one(name: str) -> ColumnProfile:
            data = table.column(name) if name in table.column_names else pa.nulls(table.num_rows)
            return self.columns[name].observe(data)

        names = list(self.columns)
        if table.num_rows < _THREADED_ROWS or len(names) < 2:
            return Profile({n: one(n) for n in names}, self.num_rows + table.num_rows)
        with ThreadPoolExecutor(max_workers=min(len(names), os.cpu_count() or 1)) as pool:
            return Profile(dict(zip(names, pool.map(one, names))), self.num_rows + table.num_rows)

    def merge(self, other: "Profile") -> "Profile":
        if set(self.columns) != set(other.columns):
            raise ValueError("profiles merge only over the same columns")
        return Profile({n: c.merge(other.columns[n]) for n, c in self.columns.items()}, self.num_rows + other.num_rows)

    def to_json(self, bins: bool = True) -> str:
        """Deterministic JSON: sorted keys, no whitespace, floats written exactly. Without `bins` only
        the counts are written (a window's state, whose bins are its reference's)."""
        doc = {"format": FORMAT_VERSION, "num_rows": self.num_rows,
               "columns": {n: c.to_dict(bins) for n, c in self.columns.items()}}
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str, like: "Profile | None" = None) -> "Profile":
        """Read a profile; with `like` (the reference) read counts written without their bins."""
        doc = json.loads(text)
        if doc.get("format") != FORMAT_VERSION:
            raise ValueError(f"profile format {doc.get('format')!r} is not {FORMAT_VERSION}")
        if like is not None and set(doc["columns"]) != set(like.columns):
            raise ValueError("the stored counts are not of the reference's columns")
        columns = {n: _KINDS[c["kind"]].from_dict(c, like.columns[n] if like is not None else None)
                   for n, c in sorted(doc["columns"].items())}
        return cls(columns, int(doc["num_rows"]))


def reference_profile(table: pa.Table, numeric: list[str], categorical: list[str], bins: int = DEFAULT_BINS,
                      max_categories: int = DEFAULT_MAX_CATEGORIES) -> Profile:
    """Fix the bins from held-out data and profile it with them (done once per model version)."""
    if bins < PSI_BINS or bins % PSI_BINS:
        raise ValueError(f"bins must be a multiple of {PSI_BINS}")
    missing = [c for c in [*numeric, *categorical] if c not in table.column_names]
    if missing or set(numeric) & set(categorical):
        raise ValueError(f"reference columns missing {missing} or named as both kinds")
    columns: dict[str, ColumnProfile] = {}
    for name in numeric:
        columns[name] = _numeric_bins(table.column(name), bins).observe(table.column(name))
    for name in categorical:
        columns[name] = _top_categories(table.column(name), max_categories).observe(table.column(name))
    return Profile(dict(sorted(columns.items())), table.num_rows)


def _numeric_bins(column, bins: int) -> NumericProfile:
    values = np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    values = np.sort(values[np.isfinite(values)])
    if values.size == 0:
        raise ValueError("a numeric reference column needs finite values to fix its bins")
    quantiles = _sorted_quantiles(values, np.linspace(0.0, 1.0, bins + 1))
    edges = np.unique(quantiles)
    edges[-1] = np.nextafter(edges[-1], np.inf)  # the reference maximum falls in the last inner bin
    psi_edges = np.unique(quantiles[bins // PSI_BINS:-1:bins // PSI_BINS])
    return NumericProfile(edges, psi_edges, np.zeros(edges.size + 1, np.int64))


def _sorted_quantiles(ordered: np.ndarray, q: np.ndarray) -> np.ndarray:
    """numpy's default ("linear") quantiles of sorted values, without a partition per quantile."""
    position = q * (ordered.size - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, ordered.size - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def _top_categories(column, max_categories: int) -> CategoricalProfile:
    counted = pc.value_counts(pc.cast(column, pa.string()).drop_null())
    pairs = sorted(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist()),
                   key=lambda vc: (-vc[1], vc[0]))  # most frequent first, ties by name: deterministic
    categories = tuple(sorted(v for v, _ in pairs[:max_categories]))
    return CategoricalProfile(categories, np.zeros(len(categories) + 1, np.int64))


def _pick(choose, a, b):
    present = [v for v in (a, b) if v is not None]
    return choose(present) if present else None
