"""Train/serve skew gate: the online store must return what the offline tables say (online/offline
parity, ml_assets.features.parity.check_parity), on enough keys for the comparison to mean anything."""

from __future__ import annotations

from typing import Any

from gates.policy import SKEW, GateInputError, PromotionPolicy, run_gate
from gates.verdict import GateVerdict

GATE = SKEW
EXAMPLES = 20  # mismatches copied into the verdict, so the evidence shows what differed


def skew_gate(parity_result, policy: PromotionPolicy) -> GateVerdict:
    """parity_result: anything with `keys_compared` (int) and `mismatches` (a list of mismatch
    records, or their number), such as ParityResult."""
    return run_gate(GATE, policy, _evaluate, parity_result)


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise GateInputError(f"parity result's {name} must be a count, got {value!r}")
    return value


def _plain(mismatch: Any) -> Any:
    """A mismatch record with JSON-safe values (times and other objects as text)."""
    if not isinstance(mismatch, dict):
        return str(mismatch)
    return {str(k): v if isinstance(v, (str, int, float, bool, type(None))) else str(v) for k, v in mismatch.items()}


def _evaluate(parity_result, policy: PromotionPolicy) -> GateVerdict:
    k = policy.skew
    if parity_result is None:
        raise GateInputError("no parity result (None): online/offline parity was not checked")
    for name in ("keys_compared", "mismatches"):
        if not hasattr(parity_result, name):
            raise GateInputError(f"parity result has no {name}")
    keys = _count(parity_result.keys_compared, "keys_compared")
    raw = parity_result.mismatches
    if raw is None:
        raise GateInputError("parity result's mismatches is missing (None)")
    examples = [_plain(m) for m in raw[:EXAMPLES]] if isinstance(raw, (list, tuple)) else []
    mismatches = len(raw) if isinstance(raw, (list, tuple)) else _count(raw, "mismatches")
    measured = {"keys_compared": keys, "mismatches": mismatches, "mismatch_examples": examples}
    problems = []
    if keys < k.min_keys_compared:
        problems.append(f"only {keys} keys were compared online against offline (minimum {k.min_keys_compared})")
    if mismatches > k.max_mismatches:
        problems.append(f"{mismatches} online/offline feature mismatches (maximum {k.max_mismatches})")
    if problems:
        return policy.verdict(GATE, False, "; ".join(problems), measured)
    return policy.verdict(GATE, True, f"{keys} keys compared online against offline, {mismatches} mismatches "
                          f"(maximum {k.max_mismatches})", measured)
