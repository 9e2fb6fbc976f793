"""Write small landing files by hand, so a test knows exactly what each row is."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from lakehouse_assets.sources import SOURCES


def land(home: Path, source: str, name: str, rows: list[dict], raw_lines: list[bytes] = ()) -> Path:
    columns = SOURCES[source].columns
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    path = home / "landing" / source / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode() + b"".join(line + b"\n" for line in raw_lines))
    return path


def claim(claim_id="C1", **overrides) -> dict:
    row = {
        "claim_id": claim_id, "member_id": "M00000001", "provider_id": "P000001",
        "service_date": "2026-01-10", "submission_date": "2026-01-15", "diagnosis_code": "E11.9",
        "procedure_code": "99213", "amount": "120.50", "channel": "edi", "updated_at": "2026-01-15 09:00:00",
    }
    return {**row, **overrides}


def member(member_id="M00000001", **overrides) -> dict:
    row = {
        "member_id": member_id, "first_name": "Ada", "last_name": "Quill", "ssn": "123-45-6789",
        "date_of_birth": "1970-03-02", "sex": "F", "address": "12 Oak St, Apt 3", "city": "Springfield",
        "state": "IL", "zip": "62701", "region": "north", "plan_type": "hmo",
        "chronic_conditions": "diabetes;chf", "enrollment_date": "2019-01-01", "updated_at": "2025-06-01 00:00:00",
    }
    return {**row, **overrides}
