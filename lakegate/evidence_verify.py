"""Check an evidence bundle (lakegate.evidence) from the zip alone: no LAKEGATE_HOME, no MLflow.

Checks: every file's SHA-256 and size match the manifest, none missing or extra; each ledger record's
hash recomputes and the records keep seq order (and, where seqs are consecutive, the chain links);
every approval's Ed25519 signature verifies against the bundled public key, the approval names a
version of the bundled chain with the bundled artifact hash, and the ledger recorded it; every cited
ticket names the approved version and is approved; every gate verdict passed and matches its ledger
record; the lock file is the one the model was trained with. Each problem is one clear sentence.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lakegate.ledger import parse_line, record_hash

MANIFEST = "manifest.json"


class BundleError(ValueError):
    """A bundle that cannot be read at all (missing, not a zip, no manifest). For the user as it is."""


@dataclass
class BundleCheck:
    path: Path
    model: str | None = None
    version: str | None = None
    checked: dict[str, int] = field(default_factory=dict)  # what was checked: files, records, approvals, ...
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bundle(path: str | Path) -> dict[str, bytes]:
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"no evidence bundle at {path}")
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if len(set(names)) != len(names):
                raise BundleError(f"{path} holds the same file name twice; it is not a bundle Lakegate wrote")
            return {name: zf.read(name) for name in names if not name.endswith("/")}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError(f"{path} is not a readable zip ({exc})") from None


def verify_bundle(path: str | Path) -> BundleCheck:
    """Every problem found in the bundle; BundleError when it cannot be read as a bundle at all."""
    files = read_bundle(path)
    if MANIFEST not in files:
        raise BundleError(f"{path} has no {MANIFEST}: it is not an evidence bundle")
    try:
        manifest = json.loads(files[MANIFEST])
        listed = manifest["files"]
        assert isinstance(listed, dict)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise BundleError(f"{path}: {MANIFEST} is not a readable manifest") from None
    check = BundleCheck(Path(path), manifest.get("model"), manifest.get("version"))
    problem = check.problems.append
    _check_files(files, listed, problem)
    check.checked["files"] = len(listed)
    chain = {(c.get("model"), str(c.get("version"))) for c in manifest.get("chain", [])}
    artifact = manifest.get("artifact_sha256")
    records = _check_records(files.get("ledger/records.jsonl", b""), problem)
    check.checked["ledger records"] = len(records)
    by_hash = {r["hash"]: r for r in records}
    check.checked["approvals"] = _check_approvals(files, chain, artifact, records, problem)
    check.checked["tickets"] = _check_tickets(files, chain, problem)
    check.checked["gate verdicts"] = _check_gates(files, by_hash, artifact, problem)
    lock = manifest.get("requirements_lock") or {}
    data = files.get("code/requirements.lock")
    if data is not None and sha256_hex(data) != lock.get("run_tag"):
        problem(f"code/requirements.lock (sha256 {sha256_hex(data)[:12]}…) is not the lock file the model was trained "
                f"with (run tag {str(lock.get('run_tag'))[:12]}…)")
    return check


def _check_files(files: dict[str, bytes], listed: dict, problem) -> None:
    for name, entry in sorted(listed.items()):
        data = files.get(name)
        if data is None:
            problem(f"{name} is listed in the manifest but missing from the bundle")
        elif not isinstance(entry, dict) or sha256_hex(data) != entry.get("sha256"):
            problem(f"{name} was modified: its SHA-256 {sha256_hex(data)[:12]}… does not match the manifest's "
                    f"{str(entry.get('sha256') if isinstance(entry, dict) else entry)[:12]}…")
        elif len(data) != entry.get("size"):
            problem(f"{name} is {len(data)} bytes, the manifest says {entry.get('size')}")
    for name in sorted(set(files) - set(listed) - {MANIFEST}):
        problem(f"{name} is in the bundle but not in the manifest (an added file)")


def _check_records(data: bytes, problem) -> list[dict]:
    records: list[dict] = []
    previous: dict | None = None
    for line_no, line in enumerate(data.splitlines(), start=1):
        record = parse_line(line)
        if record is None:
            problem(f"ledger/records.jsonl line {line_no} is not a ledger record")
            continue
        seq = record["seq"]
        if record_hash(record) != record["hash"]:
            problem(f"ledger record {seq} (ledger/records.jsonl line {line_no}) was edited: its content does not match its hash")
        if previous is not None:
            if seq <= previous["seq"]:
                problem(f"ledger record {seq} (line {line_no}) comes after record {previous['seq']}: out of seq order")
            elif seq == previous["seq"] + 1 and record["prev_hash"] != previous["hash"]:
                problem(f"ledger record {seq} does not chain to record {seq - 1} (prev_hash differs from its hash)")
        records.append(record)
        previous = record
    if not records:
        problem("ledger/records.jsonl holds no ledger records for this model version")
    return records


def _check_approvals(files: dict[str, bytes], chain: set, artifact: str | None, records: list[dict], problem) -> int:
    from gates.approvals import Approval, ApprovalError, verify_signature
    from gates.governance import parse_public_key

    try:
        keys = json.loads(files.get("approvals/public_keys.json", b"{}")).get("principals", {})
    except (ValueError, AttributeError):
        problem("approvals/public_keys.json is not readable JSON")
        keys = {}
    ledger_signatures = {r["outcome"].get("signature") for r in records if r["kind"] == "approval"}
    names = sorted(n for n in files if n.startswith("approvals/") and n != "approvals/public_keys.json")
    for name in names:
        try:
            approval = Approval.from_dict(json.loads(files[name]), name)
        except (ValueError, ApprovalError) as exc:
            problem(f"{name} is not a readable approval: {exc}")
            continue
        who = f"{name} ({approval.principal} as {approval.role})"
        entry = keys.get(approval.principal)
        if not isinstance(entry, dict):
            problem(f"{who}: no public key for {approval.principal} in approvals/public_keys.json")
        else:
            try:
                key = parse_public_key(entry.get("public_key", ""))
            except ValueError as exc:
                problem(f"{who}: the bundled public key of {approval.principal} is unreadable ({exc})")
            else:
                if not verify_signature(approval, key):
                    problem(f"{who}: the Ed25519 signature does not verify against {approval.principal}'s public key")
                if approval.role not in entry.get("roles", []):
                    problem(f"{who}: {approval.principal} does not hold the role {approval.role!r} in the policy")
        if (approval.model, approval.version) not in chain:
            problem(f"{who} approves {approval.model} v{approval.version}, which is not in the bundled version's chain")
        if approval.artifact_hash != artifact:
            problem(f"{who} is bound to artifact {approval.artifact_hash[:12]}…, not the bundled {str(artifact)[:12]}…")
        if approval.signature not in ledger_signatures:
            problem(f"{who}: no approval record in ledger/records.jsonl carries this signature")
        if approval.ticket and f"ticket/{approval.ticket}.json" not in files:
            problem(f"{who} cites change ticket {approval.ticket}, which is not in the bundle")
    if not names:
        problem("the bundle holds no approvals")
    return len(names)


def _check_tickets(files: dict[str, bytes], chain: set, problem) -> int:
    names = sorted(n for n in files if n.startswith("ticket/"))
    for name in names:
        try:
            ticket = json.loads(files[name])
            model, version, status = ticket["model"], str(ticket["version"]), ticket["status"]
        except (ValueError, KeyError, TypeError):
            problem(f"{name} is not a readable change ticket")
            continue
        if (model, version) not in chain:
            problem(f"{name} names {model} v{version}, which is not in the bundled version's chain")
        if status != "approved":
            problem(f"{name} is {status}, not approved")
    return len(names)


def _check_gates(files: dict[str, bytes], by_hash: dict[str, dict], artifact: str | None, problem) -> int:
    names = sorted(n for n in files if n.startswith("gates/") and n != "gates/bias_report.json")
    for name in names:
        try:
            verdict = json.loads(files[name])
            gate, passed = verdict["gate"], verdict["passed"]
        except (ValueError, KeyError, TypeError):
            problem(f"{name} is not a readable gate verdict")
            continue
        where = f"gate {gate} on {verdict.get('model')} v{verdict.get('version')}"
        if passed is not True:
            problem(f"{where} did not pass: {verdict.get('reason')}")
        if verdict.get("artifact_sha256") != artifact:
            problem(f"{name}: {where} judged another artifact ({str(verdict.get('artifact_sha256'))[:12]}…)")
        record = by_hash.get(verdict.get("ledger_hash"))
        if record is None:
            problem(f"{name}: {where} has no matching record in ledger/records.jsonl")
        elif (record["outcome"].get("passed") is True) != passed or record["outcome"].get("measured") != verdict.get("measured") \
                or record["inputs"].get("thresholds") != verdict.get("thresholds"):
            problem(f"{name}: {where} differs from its ledger record {record['seq']}")
    if not names:
        problem("the bundle holds no gate verdicts")
    return len(names)
