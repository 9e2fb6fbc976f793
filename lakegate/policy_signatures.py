"""Signed policies: the governance owner signs the exact bytes of each policy file in force.

A signature is a small signed document, stored by the SHA-256 of the bytes it signs under
`$LAKEGATE_HOME/governance/signatures/<sha256>.json`, beside a copy of those bytes
(`<sha256>.policy`, so an evidence bundle can carry the policy a verdict was judged under even after
the file has moved on):

    {"kind": "lakegate.policy-signature/v1", "file": "promotion.local.yaml", "sha256": "…",
     "signer": "gov.owner", "signed_at": "2026-12-01T21:00:00Z", "signature": "<base64 Ed25519>"}

Where it is stored does not matter to its strength: only a trusted governance-owner key (the
trusted-keys file, lakegate/trust.py) can make one. A policy whose bytes have no such signature
(unsigned, or changed after signing) is refused, so every decision taken under it fails closed.

A signature never expires, so signing also appends a `policy_signature` record to the audit ledger,
and decisions accept a file's bytes only when they are the latest the ledger records for that file.
Restoring an older signed policy (one that still names a removed approver, say) is refused as
superseded; the owner signs it again to bring it back on purpose.
A verdict records the SHA-256 of the policy it used; an evidence bundle carries the policy and its
signature, so an auditor checks both against their own copy of the trusted keys.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lakegate.atomic_file import write_bytes_atomically
from lakegate.ledger import Ledger
from lakegate.signing import sha256_hex, signed, utc_stamp
from lakegate.trust import GOVERNANCE_OWNER, TrustedKeys

KIND = "lakegate.policy-signature/v1"


class PolicyTrustError(ValueError):
    """A policy without a valid signature by a trusted governance owner. For the user as it is."""


@dataclass(frozen=True)
class SignedPolicy:
    """A policy file's bytes as read once, and who signed exactly those bytes."""

    name: str
    data: bytes
    sha256: str
    signer: str
    signature: dict  # the signature document, for the evidence bundle


def signatures_dir(home: Path) -> Path:
    return Path(home) / "governance" / "signatures"


def sign_policy(data: bytes, name: str, private_key: Ed25519PrivateKey, signer: str, home: Path, ledger: Ledger,
                now: dt.datetime | None = None) -> Path:
    """Sign these policy bytes as `signer` and make them the current version of `name` in the ledger;
    the signature file is written once and never replaced."""
    digest = sha256_hex(data)
    stamp = utc_stamp(now)
    doc = signed(private_key, {"kind": KIND, "file": name, "sha256": digest, "signer": signer, "signed_at": stamp})
    path = signatures_dir(home) / f"{digest}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    copy = path.with_suffix(".policy")
    if not copy.exists():
        write_bytes_atomically(copy, data, mode=0o644)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        doc = stored_signature(digest, home) or doc  # these bytes are signed already
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    if current_digest(ledger, name) != digest:
        ledger.append("policy_signature", signer, {"policy": name, "sha256": digest},
                      inputs={"signed_at": doc.get("signed_at")}, outcome={"signature": doc.get("signature")},
                      reason=f"{signer} made sha256 {digest[:12]}… the policy in force for {name}")
    return path


def current_digest(ledger: Ledger, name: str) -> str | None:
    """The SHA-256 of the bytes of `name` signed last, as the ledger records it."""
    records = ledger.records("policy_signature", {"policy": name})
    return records[-1].subject.get("sha256") if records else None


def check_signature(name: str, data: bytes, signature: dict | None, trusted: TrustedKeys) -> SignedPolicy:
    """The signed policy, or PolicyTrustError saying what is wrong."""
    digest = sha256_hex(data)
    if signature is None:
        raise PolicyTrustError(f"policy {name} (sha256 {digest[:12]}…) is not signed by a governance owner: it was "
                               "changed after signing, or never signed (`lakegate policy sign`)")
    if signature.get("kind") != KIND or signature.get("sha256") != digest:
        raise PolicyTrustError(f"policy {name}: its signature document does not sign these bytes (sha256 {digest[:12]}…)")
    signer = trusted.signer(signature, GOVERNANCE_OWNER)
    if signer is None:
        owners = ", ".join(trusted.holders(GOVERNANCE_OWNER)) or "none"
        raise PolicyTrustError(f"policy {name}: its signature by {signature.get('signer')!r} does not verify against a "
                               f"trusted governance-owner key (trusted: {owners})")
    return SignedPolicy(name, data, digest, signer, signature)


def read_signed_policy(path: Path, home: Path, trusted: TrustedKeys, ledger: Ledger, name: str | None = None) -> SignedPolicy:
    """Read the file once and check the signature of exactly the bytes read (no read-check-read
    race), and that they are the version the ledger says is in force for `name` (default: the file
    name). The caller verifies the ledger."""
    path = Path(path)
    name = name or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyTrustError(f"cannot read policy {path}: {exc}") from None
    signed_policy = check_signature(name, data, stored_signature(sha256_hex(data), home), trusted)
    current = current_digest(ledger, name)
    if current != signed_policy.sha256:
        raise PolicyTrustError(
            f"policy {name} (sha256 {signed_policy.sha256[:12]}…) is signed, but the audit ledger records "
            + (f"{current[:12]}… as the version in force: an older signed policy was put back; the governance owner "
               "signs it again to restore it" if current else "no signature of it: sign it with `lakegate policy sign`"))
    return signed_policy


def stored_policy(digest: str, home: Path) -> tuple[bytes, dict] | None:
    """The policy bytes with this SHA-256 and their signature document, as stored when signed."""
    signature = stored_signature(digest, home)
    try:
        data = (signatures_dir(home) / f"{digest}.policy").read_bytes()
    except OSError:
        return None
    return (data, signature) if signature is not None and sha256_hex(data) == digest else None


def stored_signature(digest: str, home: Path) -> dict | None:
    path = signatures_dir(home) / f"{digest}.json"
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None
