"""The ledger anchor: the head (seq and hash) published, at every append, to a log outside
LAKEGATE_HOME that the environment names (lakegate/trust.py).

The head file beside the ledger catches a dropped tail, but whoever can write the home can rewrite
both the ledger and its head with fresh hashes. The anchor log is where that stops: it lives where
the home's writers cannot edit it (WORM storage, another account), and `lakegate audit verify
--anchor` checks that the ledger still extends every head ever published. Each line:

    {"ledger_id": <hash of record 1>, "seq": 17, "hash": "…", "time": "…"}

`ledger_id` names the ledger by its first record, so a ledger rewritten from its first record, or
a different ledger checked against this anchor, is reported as such.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from lakegate.ledger_format import canonical


class AnchorError(ValueError):
    """An anchor log that cannot be read or written. For the user as it is."""


def publish(anchor: Path, ledger_id: str, seq: int, last_hash: str) -> None:
    """Append one head to the anchor log, durably (the caller holds the ledger's lock)."""
    anchor.parent.mkdir(parents=True, exist_ok=True)
    line = canonical({"ledger_id": ledger_id, "seq": seq, "hash": last_hash,
                      "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")})
    try:
        with open(anchor, "ab") as f:
            f.write((line + "\n").encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise AnchorError(f"cannot publish the ledger head to its anchor {anchor}: {exc}") from None


def read_anchors(anchor: Path) -> list[dict]:
    """Every published head, oldest first; AnchorError for a missing file or a line that is not one."""
    if not anchor.is_file():
        raise AnchorError(f"no ledger anchor at {anchor}")
    heads = []
    with open(anchor, "rb") as f:
        for line_no, line in enumerate(f, start=1):
            try:
                head = json.loads(line)
                assert isinstance(head, dict) and type(head["seq"]) is int and isinstance(head["hash"], str)
                assert isinstance(head["ledger_id"], str)
            except (ValueError, KeyError, AssertionError):
                raise AnchorError(f"{anchor} line {line_no} is not a published ledger head") from None
            heads.append(head)
    return heads


def latest(anchor: Path) -> dict | None:
    try:
        heads = read_anchors(anchor)
    except AnchorError:
        return None
    return heads[-1] if heads else None


def anchor_problems(hashes: dict[int, str], heads: list[dict]) -> list[str]:
    """Why the ledger (seq -> record hash) does not extend every published head; [] when it does."""
    if not heads:
        return ["the anchor holds no published head, so a rewrite cannot be ruled out"] if hashes else []
    problems: list[str] = []
    ledger_id = hashes.get(1)
    for head in heads:
        seq, wanted = head["seq"], head["hash"]
        if head["ledger_id"] != ledger_id:
            problems.append(f"the anchor's head at record {seq} belongs to a ledger whose first record hashes to "
                            f"{head['ledger_id'][:16]}…, this ledger's first record hashes to {str(ledger_id)[:16]}…: "
                            "the ledger was rewritten from its first record, or it is another ledger")
        elif seq not in hashes:
            problems.append(f"the anchor published record {seq} (hash {wanted[:16]}…) at {head['time']}, but the "
                            f"ledger ends at record {max(hashes, default=0)}: it was truncated behind its anchor")
        elif hashes[seq] != wanted:
            problems.append(f"record {seq} hashes to {hashes[seq][:16]}…, but the anchor published {wanted[:16]}… "
                            f"for it at {head['time']}: the ledger was rewritten behind its anchor")
        if len(problems) >= 5:
            break
    return problems
