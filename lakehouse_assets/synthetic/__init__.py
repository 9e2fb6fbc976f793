"""Synthetic landing data for the claims-triage lakehouse (`lakegate data generate`).

`generate(out_dir, members, claims, seed, dirty)` writes UTF-8 CSV files that follow the
landing contract in `lakehouse_assets.sources`:

    out_dir/members/members_00001.csv ...              at most 250_000 data lines per file
    out_dir/providers/providers_00001.csv              max(50, members // 40) providers
    out_dir/claims/claims_00001.csv ...                at most 250_000 data lines per file
    out_dir/claim_outcomes/claim_outcomes_00001.csv ... ~95% of claims (the rest are pending)

Each file starts with a header row in contract column order; fields are quoted the way
csv.QUOTE_MINIMAL does (addresses and some provider names contain commas, one provider-name
pattern contains doubled quotes); lines end with "\\n"; no field contains a newline. Output is
byte-identical for the same arguments. Before writing, files in those four folders whose names
look like this generator's output (`<source>_NNNNN.csv`, `<source>_truncated_NNNNN.csv`, ...)
are removed, so a re-run never mixes with a previous one.

Clean dates: the data is as of 2026-10-31. service_date 2025-02-01..2026-07-31; submission_date up
to 90 days later (so never after the as-of date); decided_at 1-30 days after submission, and claims
not decided by the as-of date have no outcome yet (pending).

Dirty mode (`dirty` = share of rows affected, per source) gives about that share of rows one
defect each (kinds in `dirty.ROW_DEFECTS`), exactly as follows:

claims
    wrong_type_amount          amount is "abc", "N/A" or "12.3.4"
    wrong_type_date            service_date or submission_date is "not-a-date"
    missing_key                claim_id is ""
    missing_member_id          member_id is ""
    duplicate_row              an exact copy of a line, 1-50 lines later (may be in the next file)
    late_correction            the claim re-sent in a later file (after all regular claim files):
                               same claim_id and other fields, amount changed, updated_at 1-60 days later
    impossible_date            service_date is one of 2026-02-30, 2025-02-29, 2026-04-31, 2025-09-31
    submission_before_service  submission_date 1-30 days before service_date
    future_date                service_date and submission_date in 2031 (same month-day and delay;
                               updated_at keeps its original 2025-2026 value)
    negative_amount            amount is "-" + a normal amount, e.g. "-123.45"
    unknown_diagnosis          diagnosis_code is "ZZZ.99"
    unknown_procedure          procedure_code is "ABCDE"
    extra_field                the line has one more field: ",EXTRA" appended
    missing_fields             the last 1-3 fields (and their commas) are missing
    bad_encoding               channel is latin-1 "télécopie": bytes b"t\\xe9l\\xe9copie" (invalid UTF-8)
    unknown_member             member_id "M9" + 7 digits, not a generated member
members: missing_key (member_id ""), duplicate_row, late_correction (new address, updated_at
    1-120 days later, in a later file), wrong_type_date (date_of_birth "not-a-date"),
    impossible_date (date_of_birth "YYYY-02-30"), bad_encoding (first_name in latin-1, e.g.
    b"Jos\\xe9"), unknown_code (plan_type "gold_plus"), extra_field, missing_fields.
providers: missing_key (provider_id ""), duplicate_row, late_correction (network_status flipped,
    updated_at 1-120 days later, in a later file), bad_encoding (provider_name
    b"Cl\\xednica San Jos\\xe9"), unknown_code (network_status "pending"), extra_field.
claim_outcomes: missing_key (claim_id ""), duplicate_row, wrong_type_label (needs_review "yes"),
    wrong_type_date (decided_at "not-a-date"), unknown_claim (claim_id "C9" + 8 digits),
    extra_field, missing_fields.

File-level (claims folder, once per run when dirty > 0): claims_truncated_00001.csv (header and
extra claims with ids after the requested range, cut in the middle of its last line, no final
newline; its outcomes are never written), claims_broken_00001.csv.gz (random bytes, not gzip),
claims_empty_00001.csv (0 bytes), claims_header_only_00001.csv (the header line only).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from lakehouse_assets.domains.claims.sources import SOURCES
from lakehouse_assets.synthetic import dirty as _dirty
from lakehouse_assets.synthetic import entities
from lakehouse_assets.synthetic.landing_writer import Progress, SourceWriter, begin_run
from lakehouse_assets.synthetic.report import FileInfo, GenerationReport

__all__ = ["generate", "GenerationReport", "FileInfo", "count_lines", "n_providers", "MAX_ROWS_PER_FILE"]

MAX_ROWS_PER_FILE = 250_000
CHUNK_ROWS = 250_000  # rows generated at a time; fixed, so output does not depend on memory
MAX_MEMBERS = 89_999_999  # "M9xxxxxxx" ids stay unknown
MAX_CLAIMS = 899_999_999  # "C9xxxxxxxx" ids stay unknown
# Random streams: (seed, stream, chunk, purpose) -> one Generator each.
_MEMBERS, _PROVIDERS, _CLAIMS, _FILES = 1, 2, 3, 4
_DATA, _DIRTY, _OUTCOME_DIRTY = 0, 1, 2

def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng([seed, *key])


def n_providers(members: int) -> int:
    return max(50, members // 40)


def _source(out_dir: Path, name: str, dirty: float) -> SourceWriter:
    return SourceWriter(out_dir, name, SOURCES[name].columns, dirty, MAX_ROWS_PER_FILE)


def generate(out_dir: Path, members: int = 2000, claims: int = 20000, seed: int = 7, dirty: float = 0.0,
             progress: Progress | None = None) -> GenerationReport:
    """Write synthetic members, providers, claims and claim outcomes under `out_dir`.

    `progress(stage, done, total)` is called after each chunk with stage one of "members",
    "providers", "claims" (outcomes are written with their claims).
    """
    if not 1 <= members <= MAX_MEMBERS:
        raise ValueError(f"members must be between 1 and {MAX_MEMBERS}")
    if not 0 <= claims <= MAX_CLAIMS:
        raise ValueError(f"claims must be between 0 and {MAX_CLAIMS}")
    started = time.perf_counter()
    out_dir, report, say = begin_run(out_dir, SOURCES, seed, dirty, progress)

    src = _source(out_dir, "members", dirty)
    member_attrs = []
    for chunk, first in enumerate(range(0, members, CHUNK_ROWS)):
        n = min(CHUNK_ROWS, members - first)
        cols, attrs = entities.members_chunk(first, n, _rng(seed, _MEMBERS, chunk, _DATA))
        member_attrs.append(attrs)
        src.write(cols, _rng(seed, _MEMBERS, chunk, _DIRTY))
        say("members", first + n, members)
    report.files["members"], report.defects["members"] = src.close(), src.counts

    src = _source(out_dir, "providers", dirty)
    n_prov = n_providers(members)
    cols, provider_attrs = entities.providers(n_prov, _rng(seed, _PROVIDERS, 0, _DATA))
    src.write(cols, _rng(seed, _PROVIDERS, 0, _DIRTY))
    say("providers", n_prov, n_prov)
    report.files["providers"], report.defects["providers"] = src.close(), src.counts
    pop = entities.population(member_attrs, provider_attrs)
    del member_attrs

    claim_src = _source(out_dir, "claims", dirty)
    outcome_src = _source(out_dir, "claim_outcomes", dirty)
    outcomes = reviews = 0
    for chunk, first in enumerate(range(0, claims, CHUNK_ROWS)):
        n = min(CHUNK_ROWS, claims - first)
        c = entities.claims_chunk(pop, first, n, _rng(seed, _CLAIMS, chunk, _DATA))
        claim_src.write(entities.claim_columns(c), _rng(seed, _CLAIMS, chunk, _DIRTY))
        out_cols = entities.outcome_columns(c)
        outcomes += len(out_cols["claim_id"])
        reviews += int(c["review"][c["has_outcome"]].sum())
        outcome_src.write(out_cols, _rng(seed, _CLAIMS, chunk, _OUTCOME_DIRTY))
        say("claims", first + n, claims)
    report.files["claims"], report.defects["claims"] = claim_src.close(), claim_src.counts
    report.files["claim_outcomes"], report.defects["claim_outcomes"] = outcome_src.close(), outcome_src.counts

    if dirty > 0:
        extra = max(5, min(200, claims // 100))
        c = entities.claims_chunk(pop, claims, extra, _rng(seed, _FILES, 0, _DATA))
        lines = _dirty.clean_lines(entities.claim_columns(c), SOURCES["claims"].columns)
        report.files["claims"] += _dirty.broken_files(out_dir, "claims", SOURCES["claims"].columns, lines,
                                                      _rng(seed, _FILES, 0, _DIRTY))

    report.entities = {"members": members, "providers": n_prov, "claims": claims, "claim_outcomes": outcomes}
    report.review_rate = reviews / outcomes if outcomes else 0.0
    report.seconds = round(time.perf_counter() - started, 3)
    report.finish()
    return report


def count_lines(path: Path) -> int:
    """Data lines in a CSV file as the report counts them: lines after the header, a last line
    without a newline counted too."""
    data = Path(path).read_bytes()
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1

