"""Signed approvals and the approval gate (segregation of duties, change tickets).

An approval is an Ed25519 signature by a principal over a canonical JSON payload naming the model,
the version, the artifact hash, the role, the change ticket, the principal, the purpose
(`promotion` | `deployment`) and the time. Approving version 3 never unlocks version 4, and a
changed artifact voids the approval, because all of these are signed.

Approvals are stored append-only, one JSON file each, under
`$LAKEGATE_HOME/governance/approvals/<model>/<version>/`. The gate trusts nothing in a file but what
the signature proves: every stored approval is verified against the governance policy.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from gates.verdict import GateVerdict, failed
from lakegate.environment import lakegate_home
from lakegate.registry import ModelName, RegistryError

if TYPE_CHECKING:
    from gates.change_register import ChangeRegister
    from gates.governance import GovernancePolicy
    from lakegate.registry import Registry

PAYLOAD_KIND = "lakegate.approval/v1"
_FIELDS = ("model", "version", "artifact_hash", "role", "ticket", "principal", "purpose", "time")
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
    signature: str  # base64 of the Ed25519 signature over canonical_payload(...)

    def payload(self) -> bytes:
        return canonical_payload(**{f: getattr(self, f) for f in _FIELDS})

    def to_dict(self) -> dict:
        return {"kind": PAYLOAD_KIND, **asdict(self)}

    @classmethod
    def from_dict(cls, data: object, source: str = "approval") -> "Approval":
        if not isinstance(data, dict) or data.get("kind") != PAYLOAD_KIND:
            raise ApprovalError(f"{source}: not a Lakegate approval (kind {PAYLOAD_KIND!r})")
        extra = set(data) - {"kind", "signature", *_FIELDS}
        missing = {"signature", *_FIELDS} - set(data)
        if extra or missing:
            raise ApprovalError(f"{source}: unexpected fields {sorted(extra)} / missing fields {sorted(missing)}")
        for key in ("signature", *_FIELDS):
            if not (isinstance(data[key], str) or (key == "ticket" and data[key] is None)):
                raise ApprovalError(f"{source}: field {key!r} must be a string")
        return cls(**{k: data[k] for k in ("signature", *_FIELDS)})


def canonical_payload(model: str, version: str | int, artifact_hash: str, role: str, ticket: str | None,
                      principal: str, purpose: str, time: str) -> bytes:
    """The exact bytes that are signed: sorted-key, compact, UTF-8 JSON of every field."""
    fields = {"kind": PAYLOAD_KIND, "model": model, "version": str(version), "artifact_hash": artifact_hash,
              "role": role, "ticket": ticket, "principal": principal, "purpose": purpose, "time": time}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_approval(private_key, model: str, version: str | int, artifact_hash: str, role: str, ticket: str | None,
                  principal: str, purpose: str, time: dt.datetime | str) -> "Approval":
    """Sign an approval with the approver's Ed25519 private key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not isinstance(private_key, Ed25519PrivateKey):
        raise ApprovalError("an approval is signed with an Ed25519 private key")
    if purpose not in ("promotion", "deployment"):
        raise ApprovalError(f"purpose {purpose!r} must be promotion or deployment")
    fields = dict(model=model, version=str(version), artifact_hash=artifact_hash, role=role, ticket=ticket or None,
                  principal=principal, purpose=purpose, time=_utc(time))
    signature = private_key.sign(canonical_payload(**fields))
    return Approval(**fields, signature=base64.b64encode(signature).decode("ascii"))


def verify_signature(approval: Approval, public_key) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        public_key.verify(base64.b64decode(approval.signature, validate=True), approval.payload())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def load_private_key(path: Path | str, passphrase: str | None = None):
    """An Ed25519 private key from a PEM file that only its owner can read."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    if not path.is_file():
        raise ApprovalError(f"no private key at {path}")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ApprovalError(f"private key {path} is readable by other users (mode {mode:04o}); chmod 600 it")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase.encode() if passphrase else None)
    except TypeError:
        raise ApprovalError(f"private key {path} is encrypted: set LAKEGATE_APPROVER_KEY_PASSPHRASE") from None
    except ValueError as exc:
        raise ApprovalError(f"{path} is not a readable PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ApprovalError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


# storage: append-only, one file per approval


def approvals_dir(home: Path | None = None) -> Path:
    return (home or lakegate_home()) / "governance" / "approvals"


def _version_dir(model: str, version: str | int, home: Path | None) -> Path:
    text = str(version)
    if not text.isdigit():
        raise RegistryError(f"model version {text!r} must be a number")
    return approvals_dir(home) / str(ModelName.parse(model)) / str(int(text))


def record_approval(approval: Approval, home: Path | None = None) -> Path:
    """Write the approval as a new file (never overwriting one); an identical record is left as it is."""
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
    _ledger(home).append(
        "approval", approval.principal,
        {"model": approval.model, "version": str(approval.version), "artifact_sha256": approval.artifact_hash},
        inputs={"role": approval.role, "ticket": approval.ticket, "purpose": approval.purpose, "signed_at": approval.time},
        outcome={"signature": approval.signature, "stored": str(path)},
        reason=f"{approval.principal} approved as {approval.role} for {approval.purpose}",
    )
    return path


def _ledger(home: Path | None):
    from lakegate.ledger import Ledger

    return Ledger(home / "audit" / "ledger.jsonl") if home else Ledger.default()


def load_approvals(model: str, version: str | int, home: Path | None = None) -> list[Approval]:
    """Every approval stored for this model version, as stored (the gate verifies them)."""
    folder = _version_dir(model, version, home)
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApprovalError(f"{path}: unreadable approval: {exc}") from None
        found.append(Approval.from_dict(data, str(path)))
    return found


def approvers_of(model: str, version: str | int, purpose: str = "promotion", home: Path | None = None) -> list[str]:
    """Principals named by the approvals stored for a version and purpose: for a deployment, pass the
    promotion approvers of the version it came from as `prior_promotion_approvers` (unverified names
    can only make the deployment stricter)."""
    return sorted({a.principal for a in load_approvals(model, version, home) if a.purpose == purpose})


def _utc(time: dt.datetime | str) -> str:
    if isinstance(time, str):
        try:
            time = dt.datetime.fromisoformat(time.replace("Z", "+00:00"))
        except ValueError:
            raise ApprovalError(f"time {time!r} is not ISO-8601") from None
    if time.tzinfo is None:
        raise ApprovalError("an approval's time must carry a time zone")
    return time.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")



# the gate

GATE = "approvals"


def evaluate_approval_gate(model: str, version: str | int, artifact_hash: str, trained_by: str | None,
                           target_env: str, purpose: str, approvals: Iterable[Approval],
                           policy: "GovernancePolicy | None", register: "ChangeRegister | None",
                           prior_promotion_approvers: Iterable[str] = ()) -> GateVerdict:
    """Pass only when the roles the target environment's policy requires have each approved this exact
    version and artifact, by distinct principals, none of them the trainer (nor, for a deployment, a
    promotion approver), under an approved change ticket naming this version when one is required.
    Any approval that is forged, misbound or unauthorised fails the gate, even if others would suffice."""
    from gates.change_register import ticket_problem

    version = str(version)
    subject = f"{model} v{version} ({purpose} to {target_env})"
    approvals = list(approvals)
    if policy is None:
        return failed(GATE, f"{subject} is not approved: no governance policy", failed_checks=["no_policy"])
    requirement = policy.requirement(target_env, purpose)
    required = list(requirement.required_roles) if requirement else []
    ticket_required = requirement.change_ticket_required if requirement else True
    checks: list[str] = []
    problems: list[str] = []

    def fail(check: str, text: str, row: dict | None = None) -> None:
        checks.append(check)
        problems.append(text)
        if row is not None:
            row["problems"].append(check)

    if purpose not in ("promotion", "deployment"):
        fail("unknown_purpose", f"purpose {purpose!r} is neither promotion nor deployment")
    elif requirement is None:
        fail("no_requirements", f"the governance policy sets no {purpose} requirements for {target_env}")
    if policy.example:
        fail("example_policy", f"the governance policy {policy.source} is the committed example, which approves nothing")
    trainer = (trained_by or "").strip()
    if not trainer or trainer == "unknown":
        trainer = ""
        fail("trainer_unknown", "the version names no trainer (tag lakegate.principal), so segregation of duties cannot be checked")
    if not any(a.purpose == purpose for a in approvals):
        fail("no_approvals", f"no {purpose} approval is recorded for this version")

    rows: list[dict] = []
    verified: list[tuple[Approval, dict]] = []
    for a in approvals:  # 1. who signed what: every stored approval must be genuine and bound to this version
        row = {"principal": a.principal, "role": a.role, "purpose": a.purpose, "ticket": a.ticket, "time": a.time,
               "counted": False, "problems": []}
        rows.append(row)
        who = f"{a.principal} as {a.role}"
        principal = policy.principal(a.principal)
        if principal is None:
            fail("unknown_principal", f"approval by {who}: {a.principal} is not a principal in the governance policy", row)
            continue
        if not verify_signature(a, principal.verifying_key()):
            fail("forged_signature", f"approval by {who}: its signature does not verify against {a.principal}'s public key (forged or altered)", row)
            continue
        if a.model != model:
            fail("wrong_model", f"approval by {who} is for {a.model}, not {model}", row)
        if a.version != version:
            fail("wrong_version", f"approval by {who} is for version {a.version}, not {version}; an approval never carries over to another version", row)
        if a.artifact_hash != artifact_hash:
            fail("artifact_changed", f"approval by {who} was signed for artifact {a.artifact_hash[:12]}…, but this version's artifact is {artifact_hash[:12]}…; the artifact changed, so the approval is void", row)
        if a.role not in principal.roles:
            fail("role_not_held", f"approval by {who}: {a.principal} does not hold the role {a.role} in the governance policy", row)
        if trainer and (principal.is_known_as(trainer) or a.principal.casefold() == trainer.casefold()):
            fail("self_approval", f"approval by {who}: {a.principal} trained this version and may not approve it", row)
        verified.append((a, row))

    promoters = [p for p in prior_promotion_approvers if p]
    promoters += [a.principal for a, row in verified if a.purpose == "promotion" and not row["problems"]]
    holders: dict[str, set[str]] = {}
    tickets: dict[str, str] = {}
    for a, row in verified:  # 2. duties for this purpose
        if a.purpose != purpose:
            row["note"] = f"a {a.purpose} approval; not counted for {purpose}"
            continue
        who = f"{a.principal} as {a.role}"
        if purpose == "deployment" and any(a.principal == p or policy.principal(a.principal).is_known_as(p) for p in promoters):
            fail("promotion_approver_deploys", f"approval by {who}: {a.principal} approved the promotion, so a different principal must approve the deployment", row)
        if ticket_required:
            issue = ticket_problem(register, a.ticket, model, version)
            tickets[a.ticket or "(none)"] = "ok" if issue is None else issue
            if issue is not None:
                fail("change_ticket", f"approval by {who} {issue}" if not a.ticket else issue, row)
        if row["problems"]:
            continue
        if a.role not in required:
            row["note"] = f"role {a.role} is not required for {purpose} to {target_env}"
            continue
        row["counted"] = True
        holders.setdefault(a.principal, set()).add(a.role)

    approved_roles = {r: sorted(p for p, roles in holders.items() if r in roles) for r in required}
    for principal_id, roles in sorted(holders.items()):  # 3. segregation: one principal, one required role
        if len(roles) > 1:
            fail("duplicate_principal", f"{principal_id} fills more than one required role ({', '.join(sorted(roles))}); each required role needs a different principal")
    missing = [r for r in required if not approved_roles[r]]
    if missing:
        fail("missing_role", f"no valid approval in the required role{'s' if len(missing) > 1 else ''} {', '.join(missing)}")

    measured = {"model": model, "version": version, "artifact_hash": artifact_hash, "trained_by": trainer or None,
                "target_env": target_env, "purpose": purpose, "approvals": rows, "approved_roles": approved_roles,
                "tickets": tickets, "failed_checks": sorted(set(checks))}
    thresholds = {"required_roles": required, "change_ticket_required": ticket_required, "distinct_principals": True,
                  "trainer_may_approve": False, "promotion_approvers_may_deploy": False}
    if problems:
        reason = f"{subject} is not approved: " + "; ".join(dict.fromkeys(problems))
        return GateVerdict(GATE, False, reason, measured, thresholds, policy.version)
    by = ", ".join(f"{role} by {' and '.join(approved_roles[role])}" for role in required)
    under = f" under change ticket {', '.join(sorted(tickets))}" if ticket_required else ""
    reason = f"{subject} is approved: {by}{under}; none of them trained it"
    return GateVerdict(GATE, True, reason, measured, thresholds, policy.version)


def evaluate_version_approvals(registry: "Registry", model: str, version: str | int, target_env: str, purpose: str,
                               prior_promotion_approvers: Iterable[str] = (), home: Path | None = None) -> GateVerdict:
    """The gate for a registered version: artifact hash and trainer from the registry; approvals, policy
    and change register from `home` (default $LAKEGATE_HOME; the policy and register variables win).
    Anything that cannot be loaded (no policy, an unreadable approval, an unknown version) fails it."""
    from mlflow.exceptions import MlflowException

    from gates.change_register import ChangeRegisterError, load_register, register_path
    from gates.governance import GovernanceError, load_policy, policy_path
    from gates.model_binding import model_artifact_hash, version_trainer

    try:
        number = registry.model_version(model, version).version
        return evaluate_approval_gate(
            model, number, model_artifact_hash(registry, model, number), version_trainer(registry, model, number),
            target_env, purpose, load_approvals(model, number, home), load_policy(policy_path(home)),
            load_register(register_path(home)),
            prior_promotion_approvers,
        )
    except (GovernanceError, ChangeRegisterError, ApprovalError, RegistryError, MlflowException, OSError) as exc:
        return failed(GATE, f"{model} v{version} ({purpose} to {target_env}) cannot be evaluated, so it is not approved: {exc}",
                      failed_checks=["not_evaluable"])
