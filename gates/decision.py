"""Deciding at the moment of acting: a step that moves an alias acts only on gates it has just
re-evaluated in its own process, and only when they agree with the checks that ran before it.

Ledger verdicts are evidence, never authority: a verdict appended by hand, or one that was true when
its check ran (before an approval was withdrawn, a ticket closed, a policy edited, an artifact
changed), cannot carry a promotion. Plain function of its inputs, so it is tested in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gates.verdict import GateVerdict


def decision_problems(fresh: Iterable[GateVerdict], checked: Mapping[str, Mapping | None],
                      required: Iterable[str]) -> list[str]:
    """Why the step may not act ([] when it may).

    fresh: each required gate evaluated just now, on the state the step is about to act on.
    checked: per gate, the latest verdict its blocking check recorded for the same version and
    artifact (`passed`, `digest`, `reason`), or None when no check verdict exists.
    """
    now = {v.gate: v for v in fresh}
    problems = []
    for gate in required:
        verdict, check = now.get(gate), checked.get(gate)
        if verdict is None:
            problems.append(f"{gate}: not evaluated at the moment of acting")
        elif not verdict.passed:
            problems.append(f"{gate}: {verdict.reason}")
        elif check is None:
            problems.append(f"{gate}: its check has not run on this version and artifact")
        elif check.get("passed") is not True:
            problems.append(f"{gate}: its check failed and has not passed since ({check.get('reason')})")
        elif check.get("digest") != verdict.digest():
            problems.append(f"{gate}: what it rests on changed since its check ran (approvals, tickets, trainer or "
                            "policy); run the check again")
    return problems
