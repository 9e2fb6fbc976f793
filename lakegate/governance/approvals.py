"""Signed approvals: the records the approval gates (gates/approvals.py) judge.

An approval is an Ed25519 signature by a principal over a canonical JSON payload naming the model,
the version, the artifact hash, the role, the change ticket, the principal, the purpose
(`promotion` | `deployment` | `break_glass`), the time, who trained the version (as the ledger
recorded it at training, lakegate/governance/trainers.py) and, for a deployment or a break-glass,
the serving endpoint. Approving version 3 never unlocks version 4, a changed artifact voids the
approval, and nobody can later claim someone else trained it, because all of these are signed.

Approvals are stored append-only, one JSON file each, under
`$LAKEGATE_HOME/governance/approvals/<model>/<version>/`. The gate trusts nothing in a file but what
the signature proves: every stored approval is verified against the signed governance policy.
Withdrawing an approval means deleting its file; the ledger keeps the history, and every decision
re-reads the files at the moment it acts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from lakegate.governance.policy import PURPOSES
from lakegate.ledger import Ledger
from lakegate.registry import ModelName, RegistryError
from lakegate.signing import sign_fields, utc_stamp, verify_fields

PAYLOAD_KIND = "lakegate.approval/v2"
_FIELDS = ("model", "version", "artifact_hash", "role", "ticket", "principal", "purpose", "time", "trained_by",
           "endpoint")
_OPTIONAL = ("ticket", "endpoint")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ApprovalError(ValueError):
    """A bad approval file, key or input. Meant for the user as it is."""


@dataclass(frozen=True)
class Approval:
    model: str
    version: str
    artifact_hash: str
    role: str
    ticket: str | None
    principal: str
    purpose: str
    time: str  # ISO-8601 UTC, e.g. 2026-11-27T16:00:00Z
    trained_by: str  # the trainer the ledger recorded for this artifact, as the approver saw it
    endpoint: str | None  # deployment and break-glass: the serving endpoint approved for
    signature: str  # base64 of the Ed25519 signature over payload_fields(...)

    def fields(self) -> dict:
        return payload_fields(**{f: getattr(self, f) for f in _FIELDS})

    def verifies(self, public_key) -> bool:
        return verify_fields(self.fields(), self.signature, public_key)

    def to_dict(self) -> dict:
        return {"kind": PAYLOAD_KIND, **asdict(self)}

    @classmethod
    def from_dict(cls, data: object, source: str = "approval") -> "Approval":
        if isinstance(data, dict) and data.get("kind") == "lakegate.approval/v1":
            raise ApprovalError(f"{source}: a v1 approval, which names no trainer; approve again with this version of Lakegate")
        if not isinstance(data, dict) or data.get("kind") != PAYLOAD_KIND:
            raise ApprovalError(f"{source}: not a Lakegate approval (kind {PAYLOAD_KIND!r})")
        extra = set(data) - {"kind", "signature", *_FIELDS}
        missing = {"signature", *_FIELDS} - set(data)
        if extra or missing:
            raise ApprovalError(f"{source}: unexpected fields {sorted(extra)} / missing fields {sorted(missing)}")
        for key in ("signature", *_FIELDS):
            if not (isinstance(data[key], str) or (key in _OPTIONAL and data[key] is None)):
                raise ApprovalError(f"{source}: field {key!r} must be a string")
        return cls(**{k: data[k] for k in ("signature", *_FIELDS)})


def payload_fields(model: str, version: str | int, artifact_hash: str, role: str, ticket: str | None,
                   principal: str, purpose: str, time: str, trained_by: str, endpoint: str | None) -> dict:
    """Exactly what is signed (as canonical JSON, lakegate.signing): every field and the kind."""
    return {"kind": PAYLOAD_KIND, "model": model, "version": str(version), "artifact_hash": artifact_hash, "role": role,
            "ticket": ticket, "principal": principal, "purpose": purpose, "time": time, "trained_by": trained_by,
            "endpoint": endpoint}


def sign_approval(private_key, model: str, version: str | int, artifact_hash: str, role: str, ticket: str | None,
                  principal: str, purpose: str, time: dt.datetime | str, trained_by: str,
                  endpoint: str | None = None) -> "Approval":
    """Sign an approval with the approver's Ed25519 private key."""
    if purpose not in PURPOSES:
        raise ApprovalError(f"purpose {purpose!r} must be one of {', '.join(PURPOSES)}")
    if purpose != "promotion" and not endpoint:
        raise ApprovalError(f"a {purpose} approval names the serving endpoint it is for")
    if not (trained_by or "").strip():
        raise ApprovalError("an approval names who trained the version (the ledger's training record)")
    fields = dict(model=model, version=str(version), artifact_hash=artifact_hash, role=role, ticket=ticket or None,
                  principal=principal, purpose=purpose, time=_utc(time), trained_by=trained_by.strip(),
                  endpoint=endpoint if purpose != "promotion" else None)
    try:
        signature = sign_fields(private_key, payload_fields(**fields))
    except ValueError as exc:
        raise ApprovalError(str(exc)) from None
    return Approval(**fields, signature=signature)


# storage: append-only, one file per approval


def approvals_dir(home: Path) -> Path:
    return Path(home) / "governance" / "approvals"


def _version_dir(model: str, version: str | int, home: Path) -> Path:
    text = str(version)
    if not text.isdigit():
        raise RegistryError(f"model version {text!r} must be a number")
    return approvals_dir(home) / str(ModelName.parse(model)) / str(int(text))


def record_approval(approval: Approval, home: Path, ledger: Ledger | None = None) -> Path:
    """Write the approval as a new file (never overwriting one) and its ledger record; an identical
    approval already stored is left as it is."""
    folder = _version_dir(approval.model, approval.version, home)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = re.sub(r"[^0-9T]", "", approval.time)
    digest = hashlib.sha256(approval.signature.encode()).hexdigest()[:12]
    name = _SAFE.sub("_", f"{stamp}-{approval.purpose}-{approval.role}-{approval.principal}-{digest}") + ".json"
    path = folder / name
    text = json.dumps(approval.to_dict(), indent=2, sort_keys=True) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        if path.read_text() == text:
            return path
        raise ApprovalError(f"{path} already exists with other content; approvals are never overwritten") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    (ledger or Ledger.for_home(home)).append(
        "approval", approval.principal,
        {"model": approval.model, "version": str(approval.version), "artifact_sha256": approval.artifact_hash},
        inputs={"role": approval.role, "ticket": approval.ticket, "purpose": approval.purpose, "signed_at": approval.time,
                "trained_by": approval.trained_by, "endpoint": approval.endpoint},
        outcome={"signature": approval.signature, "stored": str(path)},
        reason=f"{approval.principal} approved as {approval.role} for {approval.purpose}",
    )
    return path


def load_approvals(model: str, version: str | int, home: Path) -> list[Approval]:
    """Every approval stored for this model version, as stored (the gate verifies them)."""
    folder = _version_dir(model, version, home)
    return [_load(path) for path in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def approvals_of_artifact(artifact_hash: str, home: Path, purpose: str | None = None) -> list[Approval]:
    """Every stored approval (of any model version) bound to this artifact: a model copied from test
    to prod keeps its artifact, so this finds the promotion approvals behind a deployment without
    trusting a registry tag to say where the version came from."""
    root = approvals_dir(home)
    found = [_load(path) for path in sorted(root.glob("*/*/*.json"))] if root.is_dir() else []
    return [a for a in found if a.artifact_hash == artifact_hash and (purpose is None or a.purpose == purpose)]


def _load(path: Path) -> Approval:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApprovalError(f"{path}: unreadable approval: {exc}") from None
    return Approval.from_dict(data, str(path))


def _utc(time: dt.datetime | str) -> str:
    if isinstance(time, str):
        try:
            time = dt.datetime.fromisoformat(time.replace("Z", "+00:00"))
        except ValueError:
            raise ApprovalError(f"time {time!r} is not ISO-8601") from None
    if time.tzinfo is None:
        raise ApprovalError("an approval's time must carry a time zone")
    return utc_stamp(time)
