"""The ledger's record format, shared by the ledger, its verification and the evidence bundle.

Each line is the canonical JSON (sorted keys, no whitespace, UTF-8, no NaN) of one record:
`seq, time, kind, actor, subject, inputs, outcome, reason, prev_hash, hash`. `hash` is the SHA-256
of the canonical JSON of every other field (unknown future fields included); the first record's
`prev_hash` is GENESIS.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lakegate.signing import canonical_json

GENESIS = "0" * 64
FIELDS = ("seq", "time", "kind", "actor", "subject", "inputs", "outcome", "reason", "prev_hash", "hash")


def canonical(obj: Any) -> str:
    """Canonical JSON as text."""
    return canonical_json(obj).decode("utf-8")


def record_hash(fields: dict) -> str:
    """SHA-256 over the canonical JSON of every field but `hash`."""
    return hashlib.sha256(canonical_json({k: v for k, v in fields.items() if k != "hash"})).hexdigest()


def parse_line(line: bytes | str) -> dict | None:
    """A line's record fields, or None when it is not a well-formed record (its hash is not checked)."""
    try:
        data = json.loads(line)
    except ValueError:  # includes undecodable bytes
        return None
    if not (isinstance(data, dict) and all(k in data for k in FIELDS)):
        return None
    return data if type(data["seq"]) is int and data["seq"] >= 1 and isinstance(data["hash"], str) else None
