"""The governance policy: who may approve (principals, their roles, their Ed25519 public keys) and,
per target environment, which roles must approve a promotion and a deployment, and whether a change
ticket is required.

Where it lives: `$LAKEGATE_GOVERNANCE_POLICY` when set, else `$LAKEGATE_HOME/governance/policy.yaml`.
There is no built-in default: a missing, unreadable or invalid file is an error, so the approval gate
fails closed. `gates/policies/governance.example.yaml` shows the format (its keys are examples whose
private halves were discarded; it is marked `example: true` and the gate refuses to pass under it).

Public keys are PEM (SubjectPublicKeyInfo) or the base64 of the raw 32-byte Ed25519 key.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from lakegate.environment import available_environments, lakegate_home

POLICY_ENV = "LAKEGATE_GOVERNANCE_POLICY"
PURPOSES = ("promotion", "deployment")
Purpose = Literal["promotion", "deployment"]

_PRINCIPAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
_ROLE = re.compile(r"^[a-z][a-z0-9_]*$")


class GovernanceError(ValueError):
    """A missing or invalid governance policy, or a key that does not fit it. Meant for the user as it is."""


def parse_public_key(text: str):
    """An Ed25519 public key from PEM or base64 of the raw 32 bytes; ValueError when it is neither."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

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


def public_key_pem(public_key) -> str:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def same_public_key(a, b) -> bool:
    from cryptography.hazmat.primitives import serialization

    raw = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return a.public_bytes(*raw) == b.public_bytes(*raw)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Principal(_Strict):
    id: str
    display_name: str = Field(min_length=1)
    roles: tuple[str, ...] = ()
    public_key: str  # PEM or base64 of the raw 32 bytes
    # Other names this person appears under (e.g. the MLflow user that trained a model): segregation
    # of duties compares the trainer against the id and all of these.
    identities: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _PRINCIPAL_ID.match(value):
            raise ValueError(f"principal id {value!r} must be letters, digits and . _ @ + - (no spaces)")
        return value

    @field_validator("roles")
    @classmethod
    def _roles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [r for r in value if not _ROLE.match(r)]
        if bad:
            raise ValueError(f"roles must be lower_snake_case: {', '.join(map(repr, bad))}")
        return value

    @field_validator("public_key")
    @classmethod
    def _key(cls, value: str) -> str:
        parse_public_key(value)  # its ValueError names what is wrong
        return value.strip()

    def verifying_key(self):
        return parse_public_key(self.public_key)

    def is_known_as(self, name: str | None) -> bool:
        """Whether `name` (e.g. a trainer tag) is this principal, by id or any identity (case-insensitive)."""
        wanted = (name or "").strip().casefold()
        return bool(wanted) and wanted in {n.casefold() for n in (self.id, *self.identities)}


class Requirement(_Strict):
    required_roles: tuple[str, ...] = Field(min_length=1)
    change_ticket_required: bool = True  # fail-closed: say `false` to waive it

    @field_validator("required_roles")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"required_roles lists a role twice: {list(value)}")
        return value


class EnvironmentRequirements(_Strict):
    promotion: Requirement | None = None  # promotion INTO this environment (e.g. test → prod)
    deployment: Requirement | None = None  # serving deployment in this environment


class GovernancePolicy(_Strict):
    version: str = Field(min_length=1)  # a label for this policy revision; recorded on every verdict
    example: bool = False  # the committed example: never enough to approve anything
    principals: tuple[Principal, ...]
    environments: dict[str, EnvironmentRequirements]
    _source: str = PrivateAttr(default="<memory>")

    @model_validator(mode="after")
    def _consistent(self) -> "GovernancePolicy":
        owner: dict[str, str] = {}
        for p in self.principals:
            for name in {n.casefold() for n in (p.id, *p.identities)}:
                if name in owner:
                    raise ValueError(f"the name {name!r} appears in more than one principal ({owner[name]} and {p.id})")
                owner[name] = p.id
        known_envs = set(available_environments())
        held = {r for p in self.principals for r in p.roles}
        for env, reqs in self.environments.items():
            if env not in known_envs:
                raise ValueError(f"environments.{env}: unknown environment (known: {', '.join(sorted(known_envs))})")
            for purpose in PURPOSES:
                req = getattr(reqs, purpose)
                for role in req.required_roles if req else ():
                    if role not in held:
                        raise ValueError(f"environments.{env}.{purpose} requires role {role!r}, which no principal holds")
        return self

    @property
    def source(self) -> str:
        return self._source

    def principal(self, principal_id: str) -> Principal | None:
        return next((p for p in self.principals if p.id == principal_id), None)

    def requirement(self, target_env: str, purpose: str) -> Requirement | None:
        reqs = self.environments.get(target_env)
        return getattr(reqs, purpose, None) if reqs is not None and purpose in PURPOSES else None


def policy_path(home: Path | None = None) -> Path:
    """$LAKEGATE_GOVERNANCE_POLICY, else $LAKEGATE_HOME/governance/policy.yaml."""
    explicit = os.environ.get(POLICY_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser().resolve()
    return (home or lakegate_home()) / "governance" / "policy.yaml"


def parse_policy(raw: object, source: str = "<memory>") -> GovernancePolicy:
    if not isinstance(raw, dict):
        raise GovernanceError(f"{source}: expected a mapping at the top level")
    try:
        policy = GovernancePolicy(**raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'policy'}: {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise GovernanceError(f"{source}: invalid governance policy: {problems}") from None
    policy._source = source
    return policy


def load_policy(path: Path | str | None = None) -> GovernancePolicy:
    """Load and validate the policy (default location: `policy_path()`). Any problem is a GovernanceError."""
    path = Path(path) if path is not None else policy_path()
    if not path.is_file():
        raise GovernanceError(
            f"no governance policy at {path}: approvals are refused until one exists "
            f"(set {POLICY_ENV}, or start from gates/policies/governance.example.yaml)"
        )
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise GovernanceError(f"{path}: cannot read the governance policy: {exc}") from None
    except yaml.YAMLError as exc:
        raise GovernanceError(f"{path}: not valid YAML: {exc}") from None
    return parse_policy(raw, str(path))
