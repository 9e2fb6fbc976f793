"""The change register: a YAML file standing in for the team's ITSM (ServiceNow, Jira).

A production promotion or deployment must cite a change ticket that exists here, is `approved`, and
names the exact model version. The approval is signed: the approver is a principal of the signed
governance policy holding its change-approver role, never the trainer, and their Ed25519 signature
covers the ticket's id, model, version and summary. File: `$LAKEGATE_CHANGE_REGISTER` when set, else
`$LAKEGATE_HOME/governance/change_register.yaml`:

    tickets:
      - id: CHG-0001
        status: approved            # draft | approved | rejected | closed
        model: test.claims.triage_model
        version: "3"
        summary: Promote claims triage v3 to prod
        approved_by: cab.chair
        created_at: "2026-11-27T16:00:00Z"
        approved_at: "2026-11-27T17:00:00Z"
        approval_signature: "<base64 Ed25519>"

A missing file is an empty register (every lookup then fails: fail-closed). Writes take a file lock
and replace the file atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Literal

import yaml
from filelock import FileLock
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lakegate.atomic_file import write_text_atomically
from lakegate.environment import lakegate_home
from lakegate.governance.policy import GovernancePolicy
from lakegate.ledger import Ledger
from lakegate.registry import ModelName, RegistryError
from lakegate.signing import sign_fields, utc_stamp, verify_fields
from lakegate.yaml_load import safe_load

REGISTER_ENV = "LAKEGATE_CHANGE_REGISTER"
APPROVAL_KIND = "lakegate.change-approval/v1"
Status = Literal["draft", "approved", "rejected", "closed"]
_TICKET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ChangeRegisterError(ValueError):
    """A bad register file, or a ticket that cannot be added or approved. Meant for the user as it is."""


class Ticket(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    status: Status = "draft"
    model: str
    version: str
    summary: str = Field(min_length=1)
    approved_by: str | None = None
    created_at: str | None = None
    approved_at: str | None = None
    approval_signature: str | None = None  # the approver's signature over approval_fields()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _TICKET_ID.match(value):
            raise ValueError(f"ticket id {value!r} must be letters, digits and . _ - (e.g. CHG-0001)")
        return value

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        try:
            return str(ModelName.parse(value))
        except RegistryError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: object) -> str:
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
            raise ValueError(f"version {value!r} must be a model version number (1, 2, ...)")
        return str(int(text))

    @model_validator(mode="after")
    def _approver(self) -> "Ticket":
        if self.status == "approved" and not self.approved_by:
            raise ValueError(f"ticket {self.id} is approved but names no approved_by")
        return self

    def names(self, model: str, version: str | int) -> bool:
        return self.model == model and self.version == str(version)

    def approval_fields(self, approved_by: str | None = None, approved_at: str | None = None) -> dict:
        """What the change approver signs."""
        return {"kind": APPROVAL_KIND, "ticket": self.id, "model": self.model, "version": self.version,
                "summary": self.summary, "approved_by": approved_by or self.approved_by,
                "approved_at": approved_at or self.approved_at}


class ChangeRegister(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tickets: tuple[Ticket, ...] = ()

    @field_validator("tickets")
    @classmethod
    def _unique(cls, value: tuple[Ticket, ...]) -> tuple[Ticket, ...]:
        ids = [t.id for t in value]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"ticket ids appear more than once: {', '.join(twice)}")
        return value

    def get(self, ticket_id: str | None) -> Ticket | None:
        return next((t for t in self.tickets if t.id == ticket_id), None)


def register_path(home: Path | None = None) -> Path:
    """$LAKEGATE_CHANGE_REGISTER, else $LAKEGATE_HOME/governance/change_register.yaml."""
    explicit = os.environ.get(REGISTER_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser().resolve()
    return (home or lakegate_home()) / "governance" / "change_register.yaml"


def load_register(path: Path | str | None = None) -> ChangeRegister:
    path = Path(path) if path is not None else register_path()
    if not path.exists():
        return ChangeRegister()
    try:
        raw = safe_load(path.read_text()) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ChangeRegisterError(f"{path}: cannot read the change register: {exc}") from None
    except yaml.YAMLError as exc:
        raise ChangeRegisterError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ChangeRegisterError(f"{path}: expected a mapping with a `tickets` list")
    try:
        return ChangeRegister(**raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg'].removeprefix('Value error, ')}" for err in exc.errors()
        )
        raise ChangeRegisterError(f"{path}: invalid change register: {problems}") from None


def lookup_ticket(ticket_id: str, path: Path | str | None = None) -> Ticket | None:
    return load_register(path).get(ticket_id)


def ticket_problem(register: ChangeRegister | None, ticket_id: str | None, model: str, version: str | int,
                   policy: GovernancePolicy, trainer: str | None) -> str | None:
    """Why `ticket_id` does not authorise this model version, or None when it does: it must exist, name
    the version, be approved, and carry a valid signature by a change approver who did not train it."""
    if not ticket_id:
        return "names no change ticket"
    ticket = register.get(ticket_id) if register is not None else None
    if ticket is None:
        return f"change ticket {ticket_id} is not in the change register"
    if not ticket.names(model, version):
        return f"change ticket {ticket_id} names {ticket.model} v{ticket.version}, not {model} v{version}"
    if ticket.status != "approved":
        return f"change ticket {ticket_id} is {ticket.status}, not approved"
    approver = policy.principal(ticket.approved_by or "")
    role = policy.change_approver_role
    if approver is None:
        return f"change ticket {ticket_id} was approved by {ticket.approved_by}, who is not a principal in the governance policy"
    if role not in approver.roles:
        return f"change ticket {ticket_id} was approved by {approver.id}, who does not hold the {role} role"
    if trainer and approver.is_known_as(trainer):
        return f"change ticket {ticket_id} was approved by {approver.id}, who trained this version"
    if not ticket.approval_signature or not verify_fields(ticket.approval_fields(), ticket.approval_signature,
                                                          approver.verifying_key()):
        return f"change ticket {ticket_id}: its approval is not signed by {approver.id}'s key (forged or altered)"
    return None


def add_ticket(model: str, version: str | int, summary: str, ticket_id: str | None = None,
               path: Path | str | None = None, now: dt.datetime | None = None) -> Ticket:
    """Add a draft ticket (id: the next CHG-NNNN unless given) and return it."""
    path = Path(path) if path is not None else register_path()
    with _locked(path):
        register = load_register(path)
        if ticket_id is None:
            numbers = [int(m.group(1)) for t in register.tickets if (m := re.fullmatch(r"CHG-(\d+)", t.id))]
            ticket_id = f"CHG-{max(numbers, default=0) + 1:04d}"
        elif register.get(ticket_id) is not None:
            raise ChangeRegisterError(f"change ticket {ticket_id} already exists in {path}")
        ticket = _ticket(id=ticket_id, model=model, version=version, summary=summary, created_at=utc_stamp(now))
        _write(path, ChangeRegister(tickets=(*register.tickets, ticket)))
    return ticket


def approve_ticket(ticket_id: str, approved_by: str, private_key, path: Path | str | None = None,
                   ledger: Ledger | None = None, now: dt.datetime | None = None) -> Ticket:
    """Move a draft ticket to approved, signed with the approver's Ed25519 key (the stand-in for a
    change advisory board's decision). Whether the approver may approve is the gate's question."""
    approved_by = (approved_by or "").strip()
    if not approved_by:
        raise ChangeRegisterError("approving a change ticket needs the approver's principal id")

    def approve(ticket: Ticket) -> Ticket:
        if ticket.status != "draft":
            raise ChangeRegisterError(f"change ticket {ticket_id} is {ticket.status}; only a draft can be approved")
        stamp = utc_stamp(now)
        signature = sign_fields(private_key, ticket.approval_fields(approved_by, stamp))
        if ledger is not None:  # before the register changes: no approval without its record
            ledger.append("change_approval", approved_by, {"ticket": ticket_id, "model": ticket.model, "version": ticket.version},
                          inputs={"summary": ticket.summary}, outcome={"status": "approved", "signature": signature},
                          reason=f"{approved_by} approved change {ticket_id}")
        return _ticket(**{**ticket.model_dump(), "status": "approved", "approved_by": approved_by, "approved_at": stamp,
                          "approval_signature": signature})

    return _replace_ticket(path, ticket_id, approve)


def close_ticket(ticket_id: str, path: Path | str | None = None) -> Ticket:
    """Close a ticket (the change is done or withdrawn): from then on it authorises nothing."""
    return _replace_ticket(path, ticket_id, lambda ticket: _ticket(**{**ticket.model_dump(), "status": "closed"}))


def _replace_ticket(path: Path | str | None, ticket_id: str, change) -> Ticket:
    """Apply `change(ticket) -> ticket` under the register's lock and write the register."""
    path = Path(path) if path is not None else register_path()
    with _locked(path):
        register = load_register(path)
        ticket = register.get(ticket_id)
        if ticket is None:
            raise ChangeRegisterError(f"change ticket {ticket_id} is not in the change register at {path}")
        changed = change(ticket)
        _write(path, ChangeRegister(tickets=tuple(changed if t.id == ticket_id else t for t in register.tickets)))
    return changed


def _ticket(**fields) -> Ticket:
    try:
        return Ticket(**fields)
    except ValidationError as exc:
        raise ChangeRegisterError("; ".join(err["msg"].removeprefix("Value error, ") for err in exc.errors())) from None


def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path) + ".lock", timeout=30)


def _write(path: Path, register: ChangeRegister) -> None:
    data = {"tickets": [t.model_dump(exclude_none=True) for t in register.tickets]}
    text = "# Change register (Lakegate's stand-in for an ITSM). Edit with `lakegate change`.\n"
    text += yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    write_text_atomically(path, text)
