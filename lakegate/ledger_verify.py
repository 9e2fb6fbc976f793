"""Verification of a ledger's lines against its chain and its head (see lakegate.ledger).

Each problem names the record (seq) and, where there is one, the line:
- malformed: a line that is not a record;
- edited: a record whose content does not match its hash, or a last record that does not match
  the head;
- duplicated: a seq that appears twice;
- reordered: a record that comes after a record with a higher seq;
- deleted: a seq missing from the sequence;
- chain_broken: seqs are contiguous but prev_hash is not the previous record's hash (the previous
  record was rewritten with a new hash, or records were removed and the rest renumbered);
- truncated: the head records more records than the file holds;
- unanchored: records after the head's count (an interrupted append, or records added by hand);
- anchor: the head file is missing or unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakegate.ledger_format import GENESIS, record_hash


@dataclass(frozen=True)
class Problem:
    kind: str  # malformed, edited, deleted, reordered, duplicated, chain_broken, truncated, unanchored, anchor
    seq: int | None
    line: int | None
    message: str

    def __str__(self) -> str:
        where = [f"record {self.seq}" if self.seq is not None else "", f"line {self.line}" if self.line is not None else ""]
        return f"{self.kind} at {', '.join(w for w in where if w) or 'the ledger'}: {self.message}"


@dataclass(frozen=True)
class VerifyResult:
    count: int  # well-formed records in the file
    last_hash: str | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def check(lines: list[tuple[int, dict | None]], head: dict | str | None) -> VerifyResult:
    """lines: (line number, record fields or None if malformed); head: the head, an error text, or None."""
    problems: list[Problem] = []
    by_seq: dict[int, tuple[int, dict]] = {}
    highest = 0
    for line_no, data in lines:
        if data is None:
            problems.append(Problem("malformed", None, line_no, "not a ledger record (unparseable, or fields missing)"))
            continue
        seq = data["seq"]
        if record_hash(data) != data["hash"]:
            problems.append(Problem("edited", seq, line_no, "its content does not match its hash"))
        if seq in by_seq:
            problems.append(Problem("duplicated", seq, line_no, f"record {seq} is already at line {by_seq[seq][0]}"))
            continue
        if seq < highest:
            problems.append(Problem("reordered", seq, line_no, f"it comes after record {highest}"))
        highest = max(highest, seq)
        by_seq[seq] = (line_no, data)

    expected = 1
    for seq in sorted(by_seq):
        line_no, data = by_seq[seq]
        if seq > expected:
            missing = f"record {expected} is" if seq == expected + 1 else f"records {expected} to {seq - 1} are"
            problems.append(Problem("deleted", expected, line_no, f"{missing} missing (the chain jumps to record {seq} here)"))
        else:
            want = GENESIS if seq == 1 else by_seq[seq - 1][1]["hash"]
            if data["prev_hash"] != want:
                before = "the genesis hash" if seq == 1 else f"record {seq - 1}'s hash"
                problems.append(Problem("chain_broken", seq, line_no, f"its prev_hash is not {before}: the record before it "
                                        "was rewritten, or records were removed and the rest renumbered"))
        expected = seq + 1

    last_seq = max(by_seq, default=0)
    last = by_seq[last_seq][1] if last_seq else None
    problems.extend(_check_head(head, last_seq, last, by_seq, bool(lines)))
    return VerifyResult(count=len(by_seq), last_hash=last["hash"] if last else None, problems=problems)


def _check_head(head: dict | str | None, last_seq: int, last: dict | None, by_seq: dict, has_lines: bool) -> list[Problem]:
    if isinstance(head, str):
        return [Problem("anchor", None, None, head)]
    if head is None:
        if has_lines:
            return [Problem("anchor", None, None, "the head file is missing: deleted last records cannot be ruled out")]
        return []
    count, head_hash = head["count"], head["last_hash"]
    if last_seq < count:
        missing = f"record {count} is" if last_seq + 1 == count else f"records {last_seq + 1} to {count} are"
        return [Problem("truncated", last_seq + 1, None,
                        f"the head records {count} records ending in {head_hash[:16]}…, the file ends at record {last_seq}: {missing} missing")]
    if last_seq > count:
        line = by_seq[count + 1][0] if count + 1 in by_seq else None
        return [Problem("unanchored", count + 1, line, f"records {count + 1} to {last_seq} are beyond the head's count of {count} "
                        "(an interrupted append, or records added without the head)")]
    if last is not None and last["hash"] != head_hash:
        return [Problem("edited", last_seq, by_seq[last_seq][0], "its hash does not match the head's last hash (the last record was rewritten)")]
    return []
