"""Signed financial approvals of high-cost runs (issue 15; docs/cost.md).

A run estimated above the environment's `cost.finance_approval_above_usd` is refused until a
principal holding the role `finance` signs an approval of its cost request: the environment, the
asset, the Dagster run (the root run, so re-executing the refused step after approval finds it),
who launched it and the estimate in dollars. The approval covers that run up to the signed amount:
a later estimate above it needs a new approval. It is an Ed25519 signature over canonical JSON, as
model approvals are (lakegate.signing), stored append-only under
`$LAKEGATE_HOME/governance/finance_approvals/<request id>/` with a ledger record; the guard trusts
nothing in a file but what the signature proves against the signed governance policy.

A refused run writes its request to `governance/cost_requests/<request id>.json`, so the approver
sees what they sign (`lakegate cost requests`, `lakegate cost approve REQUEST`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from lakegate.ledger import Ledger
from lakegate.signing import sign_fields, utc_stamp, verify_fields

FINANCE_ROLE = "finance"
APPROVAL_KIND = "lakegate.finance_approval/v1"
REQUEST_KIND = "lakegate.cost_request/v1"


class FinanceApprovalError(ValueError):
    """A bad finance approval, request or key. Meant for the user as it is."""


@dataclass(frozen=True)
class CostRequest:
    """What a run over the approval threshold asks finance to sign."""

    request_id: str
    environment: str
    asset: str
    dagster_run_id: str  # the root run: a re-execution of the refused step keeps it
    launcher: str  # who launched the run (segregation of duties: they may not approve it)
    estimate_usd: str  # dollars with two decimals, as signed
    estimate_detail: str  # how the estimate was made (duration source, rate card), for the approver

    def to_dict(self) -> dict:
        return {"kind": REQUEST_KIND, **asdict(self)}


def request_id(environment: str, dagster_root_run_id: str, step_key: str) -> str:
    return hashlib.sha256(f"{environment}:{dagster_root_run_id}:{step_key}".encode()).hexdigest()[:16]


def dollars(value: float) -> str:
    return f"{value:.2f}"


@dataclass(frozen=True)
class FinanceApproval:
    request_id: str
    environment: str
    asset: str
    dagster_run_id: str
    launcher: str
    estimate_usd: str
    principal: str
    role: str
    time: str
    signature: str

    def fields(self) -> dict:
        return {"kind": APPROVAL_KIND, **{k: v for k, v in asdict(self).items() if k != "signature"}}

    def verifies(self, public_key) -> bool:
        return verify_fields(self.fields(), self.signature, public_key)

    def covers(self, request: CostRequest) -> bool:
        """Signed for this request's run and asset, and for at least its estimate."""
        same_run = (self.request_id, self.environment, self.asset, self.dagster_run_id) == (
            request.request_id, request.environment, request.asset, request.dagster_run_id)
        return same_run and float(self.estimate_usd) >= float(request.estimate_usd)


def launched_by(approver, request: CostRequest) -> bool:
    """Whether the approver (a governance-policy principal) launched the run: they may not approve it."""
    return approver.is_known_as(request.launcher)


def sign_finance_approval(private_key, request: CostRequest, principal: str, role: str = FINANCE_ROLE) -> FinanceApproval:
    unsigned = dict(request_id=request.request_id, environment=request.environment, asset=request.asset,
                    dagster_run_id=request.dagster_run_id, launcher=request.launcher, estimate_usd=request.estimate_usd,
                    principal=principal, role=role, time=utc_stamp())
    try:
        signature = sign_fields(private_key, {"kind": APPROVAL_KIND, **unsigned})
    except ValueError as exc:
        raise FinanceApprovalError(str(exc)) from None
    return FinanceApproval(**unsigned, signature=signature)


def _approvals_dir(home: Path, request: str) -> Path:
    if not request.isalnum():
        raise FinanceApprovalError(f"cost request id {request!r} must be letters and digits")
    return Path(home) / "governance" / "finance_approvals" / request


def requests_dir(home: Path) -> Path:
    return Path(home) / "governance" / "cost_requests"


def write_request(request: CostRequest, home: Path) -> Path:
    """The request a refused run leaves for finance (rewritten with the latest estimate)."""
    folder = requests_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{request.request_id}.json"
    path.write_text(json.dumps(request.to_dict(), indent=2, sort_keys=True) + "\n")
    return path


def load_request(request: str, home: Path) -> CostRequest:
    path = requests_dir(home) / f"{request}.json"
    if not request.isalnum() or not path.is_file():
        raise FinanceApprovalError(f"no cost request {request!r} in {requests_dir(home)} (`lakegate cost requests` lists them)")
    data = json.loads(path.read_text())
    if data.pop("kind", None) != REQUEST_KIND:
        raise FinanceApprovalError(f"{path}: not a Lakegate cost request")
    return CostRequest(**data)


def list_requests(home: Path) -> list[CostRequest]:
    folder = requests_dir(home)
    return [load_request(p.stem, home) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def record_finance_approval(approval: FinanceApproval, home: Path, ledger: Ledger) -> Path:
    """A new file per approval (never overwritten) and its ledger record."""
    folder = _approvals_dir(home, approval.request_id)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(approval.signature.encode()).hexdigest()[:12]
    path = folder / f"{approval.time.replace(':', '').replace('-', '')}-{approval.principal}-{digest}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps({"kind": APPROVAL_KIND, **asdict(approval)}, indent=2, sort_keys=True) + "\n")
    ledger.append("finance_approval", approval.principal,
                  {"environment": approval.environment, "asset": approval.asset, "dagster_run_id": approval.dagster_run_id,
                   "request_id": approval.request_id},
                  inputs={"estimate_usd": approval.estimate_usd, "launcher": approval.launcher, "role": approval.role,
                          "signed_at": approval.time},
                  outcome={"signature": approval.signature, "stored": str(path)},
                  reason=f"{approval.principal} approved up to ${approval.estimate_usd} for {approval.asset}")
    return path


def load_finance_approvals(request: str, home: Path) -> list[FinanceApproval]:
    folder = _approvals_dir(home, request)
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text())
        if data.pop("kind", None) != APPROVAL_KIND:
            raise FinanceApprovalError(f"{path}: not a Lakegate finance approval")
        found.append(FinanceApproval(**data))
    return found
