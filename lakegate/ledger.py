"""The audit ledger: an append-only, hash-chained record of every training, gate evaluation,
approval, change approval, promotion, alias move, deployment, rollback, traffic change and break-glass.

Embedded default: JSON Lines at `$LAKEGATE_HOME/audit/ledger.jsonl`, one canonical-JSON record a
line. Each record carries `seq` (1, 2, ...), a UTC `time`, `prev_hash` (the previous record's
`hash`; 64 zeros for the first) and `hash`, the SHA-256 of the canonical JSON (sorted keys, no
whitespace) of every other field. A head file beside it (`ledger.head.json`: count and last hash,
replaced atomically) anchors the end, so deleting the last records is detected too.

Appends hold a file lock (threads and processes) and refuse to extend a ledger whose last line
does not match the head, so a truncation cannot be papered over by the next append. Every append
also publishes the head to the anchor log outside LAKEGATE_HOME (lakegate/ledger_anchor.py), so a
rewrite with fresh hashes is caught by `verify(anchor=...)`. Secrets are refused: a record holding
any secret this installation knows (lakegate/secrets.py) is never written. What the chain does and
does not protect against: docs/decisions/0008-audit-ledger.md and docs/threat-model.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator

from filelock import FileLock, Timeout

from lakegate import ledger_anchor
from lakegate.atomic_file import write_text_atomically
from lakegate.environment import Environment, current_environment, lakegate_home
from lakegate.ledger_format import FIELDS, GENESIS, canonical, parse_line, record_hash
from lakegate.ledger_verify import Problem, VerifyResult, check
from lakegate.secrets import find_secret, secret_values
from lakegate.trust import trust_paths

__all__ = ["GENESIS", "KINDS", "Ledger", "LedgerError", "Record", "SecretInRecordError", "canonical", "parse_line",
           "record_hash"]

KINDS = ("gate_evaluation", "approval", "change_approval", "training", "policy_signature", "promotion", "alias_move",
         "deployment", "rollback", "traffic_change", "break_glass", "monitor_verdict", "monitor_action", "drill",
         "cost_decision", "finance_approval", "cost_stop")
LOCK_TIMEOUT_SECONDS = 60


class LedgerError(ValueError):
    """A record that may not be written, or a ledger that cannot be read or extended. For the user as it is."""


class SecretInRecordError(LedgerError):
    """A record would contain the value of a secret."""


@dataclass(frozen=True)
class Record:
    seq: int
    time: str
    kind: str
    actor: str
    subject: dict
    inputs: dict
    outcome: dict
    reason: str | None
    prev_hash: str
    hash: str

    @classmethod
    def from_dict(cls, data: dict) -> "Record":
        return cls(**{k: data[k] for k in FIELDS})

    def to_dict(self) -> dict:
        return asdict(self)


class Ledger:
    """One ledger file, its head (anchor) and its lock."""

    def __init__(self, path: str | os.PathLike, anchor: Path | None = None,
                 secrets: Callable[[], dict[str, str]] | None = None):
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.stem + ".head.json")
        self.lock_path = self.path.with_name(self.path.stem + ".lock")
        self.anchor = Path(anchor) if anchor is not None else None  # where every head is published
        self.secrets = secrets or (lambda: secret_values())

    @classmethod
    def for_home(cls, home: Path, env: Environment | None = None) -> "Ledger":
        """The ledger of a LAKEGATE_HOME, anchored where the environment names, guarded against every
        secret the home and its trust directory hold."""
        home = Path(home).resolve()
        trust = trust_paths(env or current_environment(), home)
        key_dirs = (trust.keys_dir, trust.release_key.parent)
        return cls(home / "audit" / "ledger.jsonl", anchor=trust.anchor,
                   secrets=lambda: secret_values(home, key_dirs=key_dirs))

    @classmethod
    def default(cls) -> "Ledger":
        return cls.for_home(lakegate_home())

    # writing

    def append(self, kind: str, actor: str, subject: dict, inputs: dict, outcome: dict, reason: str | None = None) -> Record:
        """Validate, chain and durably append one record; returns it as written."""
        fields = _validated(kind, actor, subject, inputs, outcome, reason)
        secret = find_secret(fields, self.secrets())
        if secret:
            raise SecretInRecordError(f"refused a {kind} record: it contains the value of {secret}; secrets must never appear in the ledger")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            last_seq, last_hash = self._tail_under_lock()
            fields.update(seq=last_seq + 1, time=_now(), prev_hash=last_hash)
            fields["hash"] = record_hash(fields)
            with open(self.path, "ab") as f:
                f.write((canonical(fields) + "\n").encode("utf-8"))
                f.flush()
                os.fsync(f.fileno())
            self._write_head(fields["seq"], fields["hash"])
            if self.anchor is not None:
                try:
                    ledger_anchor.publish(self.anchor, self._ledger_id(fields), fields["seq"], fields["hash"])
                except ledger_anchor.AnchorError as exc:
                    raise LedgerError(f"record {fields['seq']} is in the ledger but not anchored: {exc}") from None
        return Record.from_dict(fields)

    def _ledger_id(self, appended: dict) -> str:
        """The hash of record 1, which names this ledger in its anchor."""
        if appended["seq"] == 1:
            return appended["hash"]
        with open(self.path, "rb") as f:
            first = parse_line(f.readline())
        if first is None:
            raise LedgerError(f"the first line of {self.path} is not a record; run `lakegate audit verify`")
        return first["hash"]

    def append_alias_move(self, actor: str, model: str, alias: str, from_version: str | int | None, to_version: str | int | None,
                          reason: str, outcome: dict | None = None) -> Record:
        """An alias_move record in the convention alias_history reads."""
        def text(version: str | int | None) -> str | None:
            return None if version is None else str(version)

        inputs = {"alias": alias, "from_version": text(from_version), "to_version": text(to_version)}
        return self.append("alias_move", actor, {"model": model}, inputs, outcome or {}, reason)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        # filelock polls; its default 50 ms poll lets a busy writer starve the others.
        lock = FileLock(self.lock_path, timeout=LOCK_TIMEOUT_SECONDS, poll_interval=0.002)
        try:
            lock.acquire()
        except Timeout:
            raise LedgerError(f"{self.lock_path} stayed locked for {LOCK_TIMEOUT_SECONDS} s; is a writer stuck?") from None
        try:
            yield
        finally:
            lock.release()

    def _tail_under_lock(self) -> tuple[int, str]:
        """(seq, hash) of the last record, checked against the head; the caller holds the lock."""
        head = self._read_head()
        size = self.path.stat().st_size if self.path.exists() else 0
        if size == 0:
            if head and head["count"]:
                raise LedgerError(f"{self.path} is empty but its head records {head['count']} records; run `lakegate audit verify`")
            return 0, GENESIS
        if head is None:
            raise LedgerError(f"{self.head_path} is missing; run `lakegate audit verify` before appending")
        last = parse_line(_last_line(self.path))
        if last is None or record_hash(last) != last["hash"]:
            raise LedgerError(f"the last line of {self.path} is not an intact record; run `lakegate audit verify`")
        if last["seq"] == head["count"] and last["hash"] == head["last_hash"]:
            return last["seq"], last["hash"]
        if last["seq"] == head["count"] + 1 and last["prev_hash"] == head["last_hash"]:
            # An append that wrote its line but died before updating the head: finish it.
            self._write_head(last["seq"], last["hash"])
            return last["seq"], last["hash"]
        raise LedgerError(f"the end of {self.path} (record {last['seq']}) does not match its head "
                          f"(count {head['count']}); run `lakegate audit verify`")

    def _write_head(self, count: int, last_hash: str) -> None:
        # Readable like the ledger itself.
        write_text_atomically(self.head_path, canonical({"count": count, "last_hash": last_hash}) + "\n", mode=0o644)

    def _read_head(self) -> dict | None:
        if not self.head_path.exists():
            return None
        try:
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
            if isinstance(head, dict) and isinstance(head.get("count"), int) and isinstance(head.get("last_hash"), str):
                return head
        except ValueError:
            pass
        raise LedgerError(f"{self.head_path} is not a ledger head; run `lakegate audit verify`")

    # reading

    def records(self, kind: str | None = None, subject_filter: dict | None = None) -> list[Record]:
        """Records in file order, optionally of one kind and whose subject has all of subject_filter's items."""
        if kind is not None and kind not in KINDS:
            raise LedgerError(f"unknown record kind {kind!r}; known: {', '.join(KINDS)}")
        found = []
        for line_no, data in self._lines():
            if data is None:
                raise LedgerError(f"{self.path} line {line_no} is not a ledger record; run `lakegate audit verify`")
            record = Record.from_dict(data)
            if kind is not None and record.kind != kind:
                continue
            if subject_filter and any(record.subject.get(k) != v for k, v in subject_filter.items()):
                continue
            found.append(record)
        return found

    def alias_history(self, model_name: str) -> list[Record]:
        """Every alias_move of a model, oldest first: inputs alias, from_version, to_version; actor, time, reason."""
        return self.records("alias_move", {"model": model_name})

    def _lines(self) -> Iterator[tuple[int, dict | None]]:
        """(line number, record fields or None for a malformed line)."""
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            for line_no, line in enumerate(f, start=1):
                yield line_no, parse_line(line)

    def verify(self, anchor: Path | None = None) -> VerifyResult:
        """Check every record's hash, the chain, the order and the head (lakegate.ledger_verify); with
        `anchor`, also that the ledger still extends every head published there."""
        # Under the lock, a consistent snapshot; a read-only copy (an auditor's) has no writers.
        with self._lock() if os.access(self.path.parent, os.W_OK) else contextlib.nullcontext():
            lines = list(self._lines())
            result = check(lines, self._head_or_problem())
        if anchor is None:
            return result
        try:
            heads = ledger_anchor.read_anchors(Path(anchor))
        except ledger_anchor.AnchorError as exc:
            found = [str(exc)]
        else:
            found = ledger_anchor.anchor_problems({d["seq"]: d["hash"] for _, d in lines if d is not None}, heads)
        extra = [Problem("anchor", None, None, text) for text in found]
        return VerifyResult(result.count, result.last_hash, [*result.problems, *extra])

    def _head_or_problem(self) -> dict | str | None:
        try:
            return self._read_head()
        except LedgerError as exc:
            return str(exc)


def _validated(kind: str, actor: str, subject: dict, inputs: dict, outcome: dict, reason: str | None) -> dict:
    if kind not in KINDS:
        raise LedgerError(f"unknown record kind {kind!r}; known: {', '.join(KINDS)}")
    if not isinstance(actor, str) or not actor.strip():
        raise LedgerError("a ledger record needs an actor (the principal who acted)")
    for name, value in (("subject", subject), ("inputs", inputs), ("outcome", outcome)):
        if not isinstance(value, dict):
            raise LedgerError(f"{kind} record: {name} must be a dict, got {type(value).__name__}")
    if reason is not None and not isinstance(reason, str):
        raise LedgerError(f"{kind} record: reason must be a string")
    fields = {"kind": kind, "actor": actor, "subject": subject, "inputs": inputs, "outcome": outcome, "reason": reason}
    try:
        return json.loads(canonical(fields))  # exactly what will be stored (tuples become lists, ...)
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"{kind} record is not JSON-able: {exc}") from None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _last_line(path: Path) -> bytes:
    """The last line of a file that ends with a newline, read from the end (appends stay O(1))."""
    with open(path, "rb") as f:
        end = f.seek(0, os.SEEK_END)
        f.seek(end - 1)
        if f.read(1) != b"\n":
            return b""  # an interrupted write: not an intact record
        pos, buf = end - 1, b""
        while pos > 0 and b"\n" not in buf:
            step = min(8192, pos)
            pos -= step
            f.seek(pos)
            buf = f.read(step) + buf
        return buf.rsplit(b"\n", 1)[-1]
