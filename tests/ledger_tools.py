"""What an attacker with write access to LAKEGATE_HOME can do to a ledger, for the tests that show
the anchor catches it."""

from __future__ import annotations

import json

from lakegate.ledger import Ledger
from lakegate.ledger_format import GENESIS, canonical, record_hash


def rewrite(ledger: Ledger, keep: int, edit: dict | None = None) -> None:
    """Keep the first `keep` records, apply `edit` ({"seq", "fields"}), and recompute every hash and
    the head, so the ledger is consistent on its own."""
    records = [json.loads(line) for line in ledger.path.read_text().splitlines()][:keep]
    prev = GENESIS
    for r in records:
        if edit and r["seq"] == edit["seq"]:
            r.update(edit["fields"])
        r["prev_hash"] = prev
        r["hash"] = prev = record_hash(r)
    ledger.path.write_text("".join(canonical(r) + "\n" for r in records))
    ledger.head_path.write_text(canonical({"count": len(records), "last_hash": prev}) + "\n")
