"""What every gate returns: a verdict with the figures it measured and the thresholds it applied.

Gates are plain functions (inputs → GateVerdict); the promotion assets wire them as blocking
Dagster asset checks with ERROR severity. No verdict means no promotion (fail-closed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lakegate.signing import canonical_json, sha256_hex


@dataclass(frozen=True)
class GateVerdict:
    gate: str  # a stable name, e.g. "performance", "bias", "approvals"
    passed: bool
    reason: str  # one human sentence: why it passed or, above all, why it did not
    measured: dict[str, Any] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)
    policy_version: str | None = None
    policy_sha256: str | None = None  # the exact (signed) policy file the verdict was judged under
    # What the verdict rests on, stable across re-evaluations of the same state (signatures, ticket
    # states, trainer): a decision compares it with the check's verdict to see that nothing changed.
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def digest(self) -> str:
        """SHA-256 of what must be the same when the same gate is evaluated again on the same state."""
        return sha256_hex(canonical_json({"gate": self.gate, "passed": self.passed, "policy_sha256": self.policy_sha256,
                                          "evidence": self.evidence}))


def failed(gate: str, reason: str, **measured: Any) -> GateVerdict:
    """A verdict for a gate that could not even be evaluated: that is a failure, never a pass."""
    return GateVerdict(gate=gate, passed=False, reason=reason, measured=measured)
