"""Ed25519 signatures over canonical JSON: the one signing scheme of approvals, change approvals,
policy signatures and evidence-bundle manifests.

A signed document is a JSON object whose `signature` field is the base64 Ed25519 signature over the
canonical JSON (sorted keys, compact, UTF-8, no NaN) of every other field. Ed25519 is deterministic,
has small keys and no parameters to choose; `cryptography` provides it.

Public keys are PEM (SubjectPublicKeyInfo) or the base64 of the raw 32 bytes; private keys are PEM
files that only their owner can read.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Annotated, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import AfterValidator

SIGNATURE = "signature"


class SigningKeyError(ValueError):
    """A key file or key text that cannot be used. Meant for the user as it is."""


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8, no NaN or infinity: the bytes that are hashed and signed."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def utc_stamp(time: dt.datetime | None = None) -> str:
    """The time a signed document carries: UTC to the second, e.g. 2026-12-01T21:00:00Z (now by default)."""
    return (time or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM or base64 of the raw 32 bytes; ValueError when it is neither."""
    text = (text or "").strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError) as exc:
            raise ValueError(f"not a readable PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"a {type(key).__name__.removesuffix('PublicKey') or 'non-Ed25519'} key, not Ed25519")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("neither PEM nor base64") from None
    if len(raw) != 32:
        raise ValueError(f"base64 decodes to {len(raw)} bytes; a raw Ed25519 public key has 32")
    return Ed25519PublicKey.from_public_bytes(raw)


def _checked_public_key(value: str) -> str:
    parse_public_key(value)  # its ValueError names what is wrong
    return value.strip()


# A public key as text in a pydantic model (policy principals, trusted keys), checked when read.
PublicKeyText = Annotated[str, AfterValidator(_checked_public_key)]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def same_public_key(a: Ed25519PublicKey, b: Ed25519PublicKey) -> bool:
    raw = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return a.public_bytes(*raw) == b.public_bytes(*raw)


def load_private_key(path: Path | str, passphrase: str | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file that only its owner can read."""
    path = Path(path)
    if not path.is_file():
        raise SigningKeyError(f"no private key at {path}")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SigningKeyError(f"private key {path} is readable by other users (mode {mode:04o}); chmod 600 it")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase.encode() if passphrase else None)
    except TypeError:
        raise SigningKeyError(f"private key {path} is encrypted: set LAKEGATE_APPROVER_KEY_PASSPHRASE") from None
    except ValueError as exc:
        raise SigningKeyError(f"{path} is not a readable PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """A new PKCS#8 PEM file, owner-only (never overwrites one)."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def sign_fields(private_key: Ed25519PrivateKey, fields: dict) -> str:
    """base64 Ed25519 signature over the canonical JSON of `fields` (which must not hold a signature)."""
    if not isinstance(private_key, Ed25519PrivateKey):
        raise SigningKeyError("documents are signed with an Ed25519 private key")
    if SIGNATURE in fields:
        raise ValueError("the fields to sign already hold a signature")
    return base64.b64encode(private_key.sign(canonical_json(fields))).decode("ascii")


def signed(private_key: Ed25519PrivateKey, fields: dict) -> dict:
    """`fields` plus their signature."""
    return {**fields, SIGNATURE: sign_fields(private_key, fields)}


def verify_fields(fields: dict, signature: str, public_key: Ed25519PublicKey) -> bool:
    """Whether `signature` signs the canonical JSON of `fields` under `public_key` (False, never an error)."""
    try:
        public_key.verify(base64.b64decode(signature, validate=True), canonical_json(fields))
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
    return True


def verify_signed(document: dict, public_key: Ed25519PublicKey) -> bool:
    """Whether a signed document (fields + `signature`) verifies under `public_key`."""
    if not isinstance(document, dict) or not isinstance(document.get(SIGNATURE), str):
        return False
    return verify_fields({k: v for k, v in document.items() if k != SIGNATURE}, document[SIGNATURE], public_key)
