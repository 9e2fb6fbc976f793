"""The governance policy: who may approve (principals, their roles, their Ed25519 public keys) and,
per target environment, which roles must approve a promotion, a deployment and a break-glass
override, and whether a change ticket is required; and which role approves change tickets.

Where it lives: `$LAKEGATE_GOVERNANCE_POLICY` when set, else `$LAKEGATE_HOME/governance/policy.yaml`.
There is no built-in default: a missing, unreadable or invalid file is an error, so the approval gate
fails closed. Decisions read it only through `load_signed_policy`: its exact bytes must carry a
governance owner's signature (lakegate/policy_signatures.py), so adding a principal or a key to the
file without the owner's key voids it. `gates/policies/governance.example.yaml` shows the format (its
keys are examples whose private halves were discarded; it is marked `example: true` and the gate
refuses to pass under it).

Public keys are PEM (SubjectPublicKeyInfo) or the base64 of the raw 32-byte Ed25519 key.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from lakegate.environment import available_environments, lakegate_home
from lakegate.ledger import Ledger
from lakegate.policy_signatures import SignedPolicy, read_signed_policy
from lakegate.signing import PublicKeyText, parse_public_key
from lakegate.trust import TrustedKeys
from lakegate.yaml_load import safe_load

POLICY_ENV = "LAKEGATE_GOVERNANCE_POLICY"
PURPOSES = ("promotion", "deployment", "break_glass")
Purpose = Literal["promotion", "deployment", "break_glass"]
CHANGE_APPROVER_ROLE = "change_approver"

_PRINCIPAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
_ROLE = re.compile(r"^[a-z][a-z0-9_]*$")


class GovernanceError(ValueError):
    """A missing or invalid governance policy, or a key that does not fit it. Meant for the user as it is."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Principal(_Strict):
    id: str
    display_name: str = Field(min_length=1)
    roles: tuple[str, ...] = ()
    public_key: PublicKeyText  # PEM or base64 of the raw 32 bytes
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


class BreakGlass(_Strict):
    """An emergency override of the deployment gate: signed by these roles, valid for a while, alerted."""

    required_roles: tuple[str, ...] = Field(min_length=1)
    valid_minutes: int = Field(default=240, ge=1, le=1440)
    change_ticket_required: bool = False  # an incident needs no change ticket first


class EnvironmentRequirements(_Strict):
    promotion: Requirement | None = None  # promotion INTO this environment (e.g. test → prod)
    deployment: Requirement | None = None  # serving deployment in this environment
    break_glass: BreakGlass | None = None  # serving a version that did not pass the deployment gate


class GovernancePolicy(_Strict):
    version: str = Field(min_length=1)  # a label for this policy revision; recorded on every verdict
    example: bool = False  # the committed example: never enough to approve anything
    principals: tuple[Principal, ...]
    environments: dict[str, EnvironmentRequirements]
    # Who may approve a change ticket: a principal holding this role (never the trainer), who signs.
    change_approver_role: str = CHANGE_APPROVER_ROLE
    # Per use case, requirements that replace the environment's for that use case's models (a
    # manufacturer's reliability engineer and safety officer instead of model risk and compliance).
    use_cases: dict[str, dict[str, EnvironmentRequirements]] = {}
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
        sections = [("environments", self.environments)] + [(f"use_cases.{u}", envs) for u, envs in self.use_cases.items()]
        for where, environments in sections:
            for env, reqs in environments.items():
                if env not in known_envs:
                    raise ValueError(f"{where}.{env}: unknown environment (known: {', '.join(sorted(known_envs))})")
                for purpose in PURPOSES:
                    req = getattr(reqs, purpose)
                    for role in req.required_roles if req else ():
                        if role not in held:
                            raise ValueError(f"{where}.{env}.{purpose} requires role {role!r}, which no principal holds")
        return self

    @property
    def source(self) -> str:
        return self._source

    def principal(self, principal_id: str) -> Principal | None:
        return next((p for p in self.principals if p.id == principal_id), None)

    def requirement(self, target_env: str, purpose: str, use_case: str | None = None) -> Requirement | BreakGlass | None:
        """What `purpose` into `target_env` requires: the use case's own requirement when the policy
        sets one, else the environment's."""
        if purpose not in PURPOSES:
            return None
        own = self.use_cases.get(use_case or "", {}).get(target_env)
        if own is not None and getattr(own, purpose) is not None:
            return getattr(own, purpose)
        reqs = self.environments.get(target_env)
        return getattr(reqs, purpose, None) if reqs is not None else None

    def holders(self, role: str) -> list[str]:
        return [p.id for p in self.principals if role in p.roles]


def policy_path(home: Path | None = None) -> Path:
    """$LAKEGATE_GOVERNANCE_POLICY, else $LAKEGATE_HOME/governance/policy.yaml."""
    explicit = os.environ.get(POLICY_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser().resolve()
    return (home or lakegate_home()) / "governance" / "policy.yaml"


def parse_policy_bytes(data: bytes, source: str) -> GovernancePolicy:
    try:
        raw = safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise GovernanceError(f"{source}: cannot read the governance policy: {exc}") from None
    except yaml.YAMLError as exc:
        raise GovernanceError(f"{source}: not valid YAML: {exc}") from None
    return parse_policy(raw, source)


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
    """Load and validate the policy file, signed or not (for showing and signing it; decisions use
    `load_signed_policy`). Any problem is a GovernanceError."""
    path = Path(path) if path is not None else policy_path()
    _require_file(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GovernanceError(f"{path}: cannot read the governance policy: {exc}") from None
    return parse_policy_bytes(data, str(path))


def load_signed_policy(home: Path, trusted: TrustedKeys, ledger: Ledger) -> tuple[GovernancePolicy, SignedPolicy]:
    """The policy in force and its signature: the bytes read once, signed by a trusted governance
    owner, the version the (verified) ledger records as current, then parsed. PolicyTrustError when
    unsigned, changed or superseded; GovernanceError when invalid."""
    path = policy_path(home)
    _require_file(path)
    signed_policy = read_signed_policy(path, home, trusted, ledger)
    return parse_policy_bytes(signed_policy.data, str(path)), signed_policy


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise GovernanceError(
            f"no governance policy at {path}: approvals are refused until one exists "
            f"(set {POLICY_ENV}, or start from gates/policies/governance.example.yaml)"
        )
