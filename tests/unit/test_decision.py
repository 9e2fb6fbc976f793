"""Deciding at the moment of acting (gates/decision.py): a promotion acts on gates judged now, in
its own process, and only when they agree with what the blocking check saw. Milliseconds each."""

from gates.decision import decision_problems
from gates.verdict import GateVerdict

REQUIRED = ["approvals"]


def verdict(passed=True, evidence=None, policy="p" * 64, reason="approved") -> GateVerdict:
    return GateVerdict("approvals", passed, reason, policy_sha256=policy,
                       evidence=evidence if evidence is not None else {"counted": ["sig-a", "sig-b"], "tickets": {"CHG-1": ["approved"]}})


def checked(v: GateVerdict | None = None, **overrides) -> dict:
    v = v or verdict()
    return {"approvals": {"passed": v.passed, "digest": v.digest(), "reason": v.reason, **overrides}}


def test_a_gate_that_passes_now_and_as_its_check_saw_it_lets_the_step_act():
    assert decision_problems([verdict()], checked(), REQUIRED) == []


def test_a_hand_appended_verdict_carries_nothing_when_the_gate_fails_now():
    # The ledger says "passed" (someone appended it without any approver's key); judged now, it fails.
    now = verdict(passed=False, reason="no promotion approval is recorded for this version")
    problems = decision_problems([now], checked(), REQUIRED)
    assert problems == ["approvals: no promotion approval is recorded for this version"]


def test_a_withdrawn_approval_or_closed_ticket_after_the_check_ran_stops_the_step():
    # The check passed; since then an approval file was deleted and the ticket closed: the gate fails now.
    now = verdict(passed=False, reason="change ticket CHG-1 is closed, not approved; no valid approval in the required role compliance")
    assert "CHG-1 is closed" in decision_problems([now], checked(), REQUIRED)[0]


def test_a_change_the_gate_still_accepts_is_refused_until_the_check_runs_again():
    # Another valid approval set, or a re-signed policy: it passes now, but it is not what the check judged.
    for now in (verdict(evidence={"counted": ["sig-a", "sig-c"], "tickets": {"CHG-1": ["approved"]}}), verdict(policy="q" * 64)):
        assert decision_problems([now], checked(), REQUIRED) == [
            "approvals: what it rests on changed since its check ran (approvals, tickets, trainer or policy); run the check again"]


def test_no_check_a_failed_check_or_a_gate_not_evaluated_now_refuses():
    assert decision_problems([verdict()], {}, REQUIRED) == ["approvals: its check has not run on this version and artifact"]
    failed_check = checked(verdict(passed=False, reason="missing role"))
    assert decision_problems([verdict()], failed_check, REQUIRED) == [
        "approvals: its check failed and has not passed since (missing role)"]
    assert decision_problems([], checked(), REQUIRED) == ["approvals: not evaluated at the moment of acting"]


def test_the_digest_covers_gate_outcome_policy_and_evidence_but_not_wording_or_figures():
    base = verdict()
    assert GateVerdict("approvals", True, "other words", {"seconds": 3}, policy_sha256=base.policy_sha256,
                       evidence=base.evidence).digest() == base.digest()
    assert verdict(passed=False).digest() != base.digest()
    assert GateVerdict("bias", True, "x", policy_sha256=base.policy_sha256, evidence=base.evidence).digest() != base.digest()
