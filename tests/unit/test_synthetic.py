"""The synthetic landing-data generator: layout, determinism, realism, and dirty-mode defects."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from lakehouse_assets import synthetic
from lakehouse_assets.domains.claims.sources import (
    CHANNELS, CHRONIC_CONDITIONS, NETWORK_STATUSES, PLAN_TYPES, REGIONS, SEXES, SOURCES, SPECIALTIES,
)
from lakehouse_assets.synthetic import codes, count_lines, generate
from lakehouse_assets.synthetic.dirty import (
    EXTRA_FIELD, IMPOSSIBLE_DATES, NOT_A_DATE, ROW_DEFECTS, WRONG_AMOUNTS,
)
from lakehouse_assets.synthetic.writer import csv_quote

TS = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
AMOUNT = re.compile(r"^\d+\.\d{2}$")


def _files(report, source, *kinds):
    return [Path(report.out_dir) / f.path for f in report.files[source] if f.kind in kinds]


def _rows(report, source, kinds=("data", "corrections")) -> list[dict[str, str]]:
    """Parsed rows of the readable files of a clean run."""
    out = []
    for path in _files(report, source, *kinds):
        with open(path, newline="", encoding="utf-8") as fh:
            out.extend(csv.DictReader(fh))
    return out


def _raw_lines(report, source, *kinds) -> list[bytes]:
    """Data lines (header dropped) of the given files, as bytes."""
    out = []
    for path in _files(report, source, *kinds):
        out.extend(path.read_bytes().split(b"\n")[1:-1])
    return out


def _parse(line: bytes) -> list[str]:
    return next(csv.reader([line.decode("utf-8")]))


def _day(s: str) -> date:
    return date.fromisoformat(s)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("clean"), members=400, claims=5000, seed=11)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("dirty"), members=900, claims=8000, seed=5, dirty=0.05)


# --- determinism -------------------------------------------------------------------------------

def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes(tmp_path):
    a = generate(tmp_path / "a", members=300, claims=3000, seed=3, dirty=0.03)
    b = generate(tmp_path / "b", members=300, claims=3000, seed=3, dirty=0.03)
    snap_a, snap_b = _snapshot(tmp_path / "a"), _snapshot(tmp_path / "b")
    assert snap_a.keys() == snap_b.keys() and len(snap_a) > 4
    assert snap_a == snap_b
    strip = lambda r: {k: v for k, v in r.to_dict().items() if k not in ("out_dir", "seconds")}  # noqa: E731
    assert strip(a) == strip(b)


def test_different_seed_gives_different_data(tmp_path):
    generate(tmp_path / "a", members=300, claims=3000, seed=1)
    generate(tmp_path / "b", members=300, claims=3000, seed=2)
    for source in SOURCES:
        a = (tmp_path / "a" / source / f"{source}_00001.csv").read_bytes()
        b = (tmp_path / "b" / source / f"{source}_00001.csv").read_bytes()
        assert a != b, source


# --- layout ------------------------------------------------------------------------------------

def test_clean_layout_headers_and_column_counts(clean):
    root = Path(clean.out_dir)
    assert {p.name for p in root.iterdir()} == set(SOURCES)
    for source, spec in SOURCES.items():
        listed = {Path(clean.out_dir) / f.path for f in clean.files[source]}
        assert listed == set((root / source).iterdir())
        assert all(f.kind == "data" for f in clean.files[source])
        for path in listed:
            assert re.fullmatch(rf"{source}_\d{{5}}\.csv", path.name)
            data = path.read_bytes()
            assert b"\r" not in data and data.endswith(b"\n")
            rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
            assert rows[0] == list(spec.columns)
            assert rows[1:] and all(len(r) == len(spec.columns) for r in rows[1:])
            # one physical line per record: no field holds a newline
            assert len(rows) == data.count(b"\n")
    assert clean.defects == {s: {} for s in SOURCES} and clean.file_defects == {}


def test_quoting_matches_the_csv_module(clean):
    for source in ("members", "providers"):
        for path in _files(clean, source, "data"):
            text = path.read_text(encoding="utf-8")
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(csv.reader(io.StringIO(text, newline="")))
            assert buf.getvalue() == text
    addresses = [r["address"] for r in _rows(clean, "members")]
    assert any("," in a for a in addresses)  # "123 Oak St, Apt 4" is quoted in the file
    assert any(line.count(b'"') for line in _raw_lines(clean, "members", "data"))
    import pyarrow as pa
    assert csv_quote(pa.array(['a "b", c', "plain", "x,y"])).to_pylist() == ['"a ""b"", c"', "plain", '"x,y"']


def test_files_are_split_by_row_count(tmp_path, monkeypatch):
    monkeypatch.setattr(synthetic, "MAX_ROWS_PER_FILE", 1000)
    report = generate(tmp_path, members=300, claims=3500, seed=2)
    assert [f.rows for f in report.files["claims"]] == [1000, 1000, 1000, 500]
    assert [Path(f.path).name for f in report.files["claims"]] == [f"claims_0000{i}.csv" for i in range(1, 5)]
    outcome_rows = [f.rows for f in report.files["claim_outcomes"]]
    assert all(n == 1000 for n in outcome_rows[:-1]) and 0 < outcome_rows[-1] <= 1000
    assert sum(outcome_rows) == report.entities["claim_outcomes"]
    assert [f.rows for f in report.files["members"]] == [300]


def test_line_counts_equal_report_row_counts(clean, dirty):
    for report in (clean, dirty):
        for source, files in report.files.items():
            for f in files:
                path = Path(report.out_dir) / f.path
                assert path.stat().st_size == f.bytes
                if f.kind != "unreadable":
                    assert count_lines(path) == f.rows, f.path
            assert report.rows[source] == sum(f.rows for f in files)
    assert clean.rows == {"members": 400, "providers": 50, "claims": 5000,
                          "claim_outcomes": clean.entities["claim_outcomes"]}


def test_provider_count_scales_with_members(clean):
    assert synthetic.n_providers(2000) == 50 and synthetic.n_providers(8000) == 200
    assert clean.entities["providers"] == 50 == len(_rows(clean, "providers"))


# --- clean values ------------------------------------------------------------------------------

def test_clean_members_and_providers_are_valid(clean):
    members = _rows(clean, "members")
    assert [m["member_id"] for m in members] == [f"M{i:08d}" for i in range(1, 401)]
    for m in members:
        assert re.fullmatch(r"\d{3}-\d{2}-\d{4}", m["ssn"]) and re.fullmatch(r"\d{5}", m["zip"])
        assert re.fullmatch(r"[A-Z]{2}", m["state"]) and m["first_name"] and m["last_name"] and m["city"]
        assert m["sex"] in SEXES and m["region"] in REGIONS and m["plan_type"] in PLAN_TYPES
        conditions = m["chronic_conditions"].split(";") if m["chronic_conditions"] else []
        assert set(conditions) <= set(CHRONIC_CONDITIONS) and len(set(conditions)) == len(conditions)
        dob, enrolled = _day(m["date_of_birth"]), _day(m["enrollment_date"])
        assert 0 <= (date(2026, 10, 31) - dob).days // 365.25 <= 96 and dob <= enrolled <= date(2026, 10, 31)
        assert TS.match(m["updated_at"]) and m["updated_at"][:10] >= m["enrollment_date"]
    ages = [(date(2026, 10, 31) - _day(m["date_of_birth"])).days / 365.25 for m in members]
    assert 0.6 < sum(18 <= a for a in ages) / len(ages) < 0.9  # skewed adult
    providers = _rows(clean, "providers")
    assert [p["provider_id"] for p in providers] == [f"P{i:06d}" for i in range(1, 51)]
    for p in providers:
        assert p["specialty"] in SPECIALTIES and p["region"] in REGIONS
        assert p["network_status"] in NETWORK_STATUSES and p["provider_name"] and TS.match(p["updated_at"])


def test_clean_claims_and_outcomes_are_valid(clean):
    member_ids = {m["member_id"] for m in _rows(clean, "members")}
    provider_ids = {p["provider_id"] for p in _rows(clean, "providers")}
    claims = _rows(clean, "claims")
    assert [c["claim_id"] for c in claims] == [f"C{i:09d}" for i in range(1, 5001)]
    delays = []
    for c in claims:
        assert c["member_id"] in member_ids and c["provider_id"] in provider_ids
        service, submitted = _day(c["service_date"]), _day(c["submission_date"])
        assert date(2025, 2, 1) <= service <= date(2026, 7, 31)
        assert submitted <= date(2026, 10, 31)  # nothing is submitted after the data's as-of date
        delays.append((submitted - service).days)
        assert c["diagnosis_code"] in codes.DX_CODES and c["procedure_code"] in codes.PX_CODES
        assert AMOUNT.match(c["amount"]) and float(c["amount"]) > 0 and c["channel"] in CHANNELS
        assert TS.match(c["updated_at"]) and c["updated_at"][:10] == c["submission_date"]
    assert 0 <= min(delays) and max(delays) <= 90 and sum(d < 30 for d in delays) / len(delays) > 0.85
    by_id = {c["claim_id"]: c for c in claims}
    outcomes = _rows(clean, "claim_outcomes")
    assert 0.90 <= len(outcomes) / len(claims) <= 0.99
    assert len({o["claim_id"] for o in outcomes}) == len(outcomes)
    for o in outcomes:
        claim = by_id[o["claim_id"]]
        assert o["needs_review"] in ("0", "1") and TS.match(o["decided_at"]) and TS.match(o["updated_at"])
        assert 1 <= (_day(o["decided_at"][:10]) - _day(claim["submission_date"])).days <= 30
        assert o["updated_at"] >= o["decided_at"]


def test_paper_claims_are_submitted_later(clean):
    delays: dict[str, list[int]] = {}
    for c in _rows(clean, "claims"):
        delays.setdefault(c["channel"], []).append((_day(c["submission_date"]) - _day(c["service_date"])).days)
    mean = {k: sum(v) / len(v) for k, v in delays.items()}
    assert mean["paper"] > mean["portal"] > mean["edi"]


def test_chronic_members_claim_more_and_get_matching_diagnoses(clean):
    members = {m["member_id"]: m["chronic_conditions"] for m in _rows(clean, "members")}
    claims = _rows(clean, "claims")
    per_member = Counter(c["member_id"] for c in claims)
    chronic = [per_member[m] for m, cc in members.items() if cc]
    healthy = [per_member[m] for m, cc in members.items() if not cc]
    assert sum(chronic) / len(chronic) > 1.5 * sum(healthy) / len(healthy)
    diabetes_codes = {c for c, cond in codes.DIAGNOSES if cond == "diabetes"}
    share = lambda rows: sum(r["diagnosis_code"] in diabetes_codes for r in rows) / len(rows)  # noqa: E731
    diabetic = [c for c in claims if "diabetes" in members[c["member_id"]]]
    others = [c for c in claims if "diabetes" not in members[c["member_id"]]]
    assert share(diabetic) > 0.1 and share(others) == 0


def test_review_label_base_rate_and_drivers(clean):
    claims = {c["claim_id"]: c for c in _rows(clean, "claims")}
    providers = {p["provider_id"]: p for p in _rows(clean, "providers")}
    labelled = [(claims[o["claim_id"]], int(o["needs_review"])) for o in _rows(clean, "claim_outcomes")]
    rate = lambda rows: sum(y for _, y in rows) / len(rows)  # noqa: E731
    base = rate(labelled)
    assert 0.15 <= base <= 0.25
    assert clean.review_rate == pytest.approx(base)
    by_amount = sorted(labelled, key=lambda cy: float(cy[0]["amount"]))
    top_decile, bottom_half = by_amount[-len(by_amount) // 10:], by_amount[: len(by_amount) // 2]
    assert rate(top_decile) > 1.5 * base and rate(bottom_half) < base
    out = [cy for cy in labelled if providers[cy[0]["provider_id"]]["network_status"] == "out"]
    inn = [cy for cy in labelled if providers[cy[0]["provider_id"]]["network_status"] == "in"]
    assert rate(out) > rate(inn)
    paper = [cy for cy in labelled if cy[0]["channel"] == "paper"]
    edi = [cy for cy in labelled if cy[0]["channel"] == "edi"]
    assert rate(paper) > rate(edi)


# --- dirty mode --------------------------------------------------------------------------------

def test_dirty_rate_and_every_defect_kind_present(dirty):
    for source in ("members", "claims", "claim_outcomes"):
        assert set(dirty.defects[source]) == set(ROW_DEFECTS[source]), source
        assert all(n >= 1 for n in dirty.defects[source].values())
    assert set(dirty.defects["providers"]) <= set(ROW_DEFECTS["providers"])
    affected = sum(dirty.defects["claims"].values()) / 8000
    assert 0.04 <= affected <= 0.06
    assert sum(dirty.defect_totals().values()) == sum(sum(d.values()) for d in dirty.defects.values())
    json.dumps(dirty.to_dict())


def test_dirty_claim_defects_match_the_files(dirty):
    expected = dirty.defects["claims"]
    members = {f"M{i:08d}" for i in range(1, 901)}  # generated ids (some member rows lost theirs)
    lines = _raw_lines(dirty, "claims", "data")
    found: Counter[str] = Counter()
    found["duplicate_row"] = len(lines) - len(set(lines))
    for line in lines:
        try:
            fields = _parse(line)
        except UnicodeDecodeError:
            assert b"t\xe9l\xe9copie" in line
            found["bad_encoding"] += 1
            continue
        if len(fields) != 10:
            kind = "extra_field" if len(fields) == 11 and fields[-1] == EXTRA_FIELD else "missing_fields"
            assert kind == "extra_field" or 7 <= len(fields) <= 9
            found[kind] += 1
            continue
        cid, mid, _, svc, sub, dx, px, amount, _, _ = fields
        found["missing_key"] += cid == ""
        found["missing_member_id"] += mid == ""
        found["unknown_member"] += mid != "" and mid not in members
        found["wrong_type_amount"] += amount in WRONG_AMOUNTS
        found["negative_amount"] += amount.startswith("-")
        found["wrong_type_date"] += NOT_A_DATE in (svc, sub)
        found["impossible_date"] += svc in IMPOSSIBLE_DATES
        found["future_date"] += svc.startswith("2031-")
        found["unknown_diagnosis"] += dx == codes.UNKNOWN_DIAGNOSIS
        found["unknown_procedure"] += px == codes.UNKNOWN_PROCEDURE
        if NOT_A_DATE not in (svc, sub) and svc not in IMPOSSIBLE_DATES and not svc.startswith("2031-"):
            found["submission_before_service"] += sub < svc
    found["late_correction"] = sum(f.rows for f in dirty.files["claims"] if f.kind == "corrections")
    assert dict(found) == expected


def test_late_corrections_come_later_with_a_later_timestamp(dirty):
    names = [Path(f.path).name for f in dirty.files["claims"]]
    kinds = [f.kind for f in dirty.files["claims"]]
    last_data = max(i for i, k in enumerate(kinds) if k == "data")
    first_fix = kinds.index("corrections")
    assert first_fix > last_data and names[first_fix] > names[last_data]
    originals = {}
    for line in _raw_lines(dirty, "claims", "data"):
        try:
            fields = _parse(line)
        except UnicodeDecodeError:
            continue
        originals.setdefault(fields[0], fields)
    fixes = [_parse(line) for line in _raw_lines(dirty, "claims", "corrections")]
    assert len(fixes) == dirty.defects["claims"]["late_correction"]
    for fix in fixes:
        orig = originals[fix[0]]
        assert fix[:7] + fix[8:9] == orig[:7] + orig[8:9]
        assert AMOUNT.match(fix[7]) and fix[7] != orig[7]
        assert datetime.fromisoformat(fix[9]) > datetime.fromisoformat(orig[9])


def test_dirty_member_and_outcome_defects_match_the_files(dirty):
    lines = _raw_lines(dirty, "members", "data")
    found: Counter[str] = Counter(duplicate_row=len(lines) - len(set(lines)))
    for line in lines:
        try:
            fields = _parse(line)
        except UnicodeDecodeError:
            found["bad_encoding"] += 1
            continue
        if len(fields) != 15:
            found["extra_field" if fields[-1] == EXTRA_FIELD and len(fields) == 16 else "missing_fields"] += 1
            continue
        found["missing_key"] += fields[0] == ""
        found["wrong_type_date"] += fields[4] == NOT_A_DATE
        found["impossible_date"] += fields[4].endswith("-02-30")
        found["unknown_code"] += fields[11] not in PLAN_TYPES
    found["late_correction"] = sum(f.rows for f in dirty.files["members"] if f.kind == "corrections")
    assert dict(found) == dirty.defects["members"]

    claim_ids = {f"C{i:09d}" for i in range(1, 8001)}
    lines = _raw_lines(dirty, "claim_outcomes", "data")
    found = Counter(duplicate_row=len(lines) - len(set(lines)))
    for line in lines:
        fields = _parse(line)
        if len(fields) != 4:
            found["extra_field" if fields[-1] == EXTRA_FIELD and len(fields) == 5 else "missing_fields"] += 1
            continue
        found["missing_key"] += fields[0] == ""
        found["unknown_claim"] += fields[0] != "" and fields[0] not in claim_ids
        found["wrong_type_label"] += fields[1] not in ("0", "1")
        found["wrong_type_date"] += fields[2] == NOT_A_DATE
    assert dict(found) == dirty.defects["claim_outcomes"]


def test_file_level_defects(dirty):
    root = Path(dirty.out_dir)
    assert {k: [Path(p).name for p in v] for k, v in dirty.file_defects.items()} == {
        "truncated": ["claims_truncated_00001.csv"], "unreadable": ["claims_broken_00001.csv.gz"],
        "empty": ["claims_empty_00001.csv"], "header_only": ["claims_header_only_00001.csv"],
    }
    header = ",".join(SOURCES["claims"].columns) + "\n"
    truncated = (root / dirty.file_defects["truncated"][0]).read_bytes()
    assert truncated.startswith(header.encode()) and not truncated.endswith(b"\n")
    rows = list(csv.reader(io.StringIO(truncated.decode("utf-8"), newline="")))[1:]
    assert all(len(r) == 10 for r in rows[:-1]) and len(rows[-1]) < 10
    assert all(int(r[0][1:]) > 8000 for r in rows[:-1])  # extra claims, not copies of existing ones
    with pytest.raises((OSError, EOFError)):
        gzip.decompress((root / dirty.file_defects["unreadable"][0]).read_bytes())
    assert (root / dirty.file_defects["empty"][0]).read_bytes() == b""
    assert (root / dirty.file_defects["header_only"][0]).read_text() == header


def test_rerun_replaces_previous_output_only(tmp_path):
    generate(tmp_path, members=300, claims=3000, seed=1, dirty=0.05)
    (tmp_path / "claims" / "README.txt").write_text("keep me")
    report = generate(tmp_path, members=300, claims=3000, seed=1)
    assert sorted(p.name for p in (tmp_path / "claims").iterdir()) == ["README.txt", "claims_00001.csv"]
    assert report.file_defects == {} and report.rows["claims"] == 3000


def test_progress_and_argument_checks(tmp_path):
    calls = []
    generate(tmp_path, members=100, claims=1000, progress=lambda *a: calls.append(a))
    assert ("members", 100, 100) in calls and ("providers", 50, 50) in calls and calls[-1] == ("claims", 1000, 1000)
    for bad in ({"members": 0}, {"claims": -1}, {"dirty": 1.5}, {"dirty": -0.1}, {"seed": -1}):
        with pytest.raises(ValueError):
            generate(tmp_path, **bad)
