"""`lakegate cost requests|approve`: a run held for a finance approval, signed through the CLI by a
holder of the role finance under the signed demo governance policy, and refused from its launcher."""

from __future__ import annotations

import os

import pytest

from gates.demo_governance import init_demo_governance
from lakegate.cost.guard import CostGuard, CostRefused, RunIdentity
from lakegate.environment import load_environment
from lakegate.governance.context import Governance
from tests.cli import run_in_process

pytestmark = pytest.mark.integration

CLEARED = ("LAKEGATE_GOVERNANCE_POLICY", "LAKEGATE_APPROVER_KEY_FILE", "LAKEGATE_APPROVER_KEY_PASSPHRASE",
           "LAKEGATE_PRINCIPAL")
RUN = RunIdentity("local", "ml/claims_triage_model", "ml__claims_triage_model", "run-b", "run-a", "ana.trainer",
                  "claims_triage")


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEGATE_HOME", str(tmp_path))
    monkeypatch.setenv("LAKEGATE_ENV", "local")
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    init_demo_governance(tmp_path)
    governance = Governance.for_home(tmp_path)
    guard = CostGuard(load_environment("local").cost, tmp_path, governance.ledger, spend=lambda use_case: (0.0, 0.0),
                      policy=lambda: governance.policy()[0])
    return guard, dict(os.environ)


def test_finance_signs_a_held_run_through_the_cli_and_the_run_may_go(world):
    guard, env = world
    with pytest.raises(CostRefused):
        guard.preflight(RUN, 8.5, "declared 1800 s × $17.00/h")
    request = guard.request(RUN, 8.5, "").request_id
    listed = run_in_process(env, "cost", "requests")
    assert listed.returncode == 0 and request in listed.stdout and "$8.50" in listed.stdout

    done = run_in_process(env, "cost", "approve", request, "--as", "fi.finance")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("approved up to $8.50 for ml/claims_triage_model in local")
    decision = guard.preflight(RUN, 8.5, "declared 1800 s × $17.00/h")
    assert (decision.outcome, decision.approver) == ("approved", "fi.finance")
    assert [r.kind for r in guard.ledger.records()][-2:] == ["finance_approval", "cost_decision"]


def test_the_cli_refuses_a_signer_without_the_role_and_an_unknown_request(world):
    guard, env = world
    with pytest.raises(CostRefused):
        guard.preflight(RUN, 8.5, "declared")
    request = guard.request(RUN, 8.5, "").request_id
    not_finance = run_in_process(env, "cost", "approve", request, "--as", "mo.risk")
    assert not_finance.returncode == 2 and "does not hold the role finance" in not_finance.stderr
    unknown = run_in_process(env, "cost", "approve", "0123abcd", "--as", "fi.finance")
    assert unknown.returncode == 2 and "no cost request '0123abcd'" in unknown.stderr


def test_the_cli_refuses_finance_approving_a_run_they_launched(world):
    guard, env = world
    own_run = RunIdentity(**{**RUN.__dict__, "launcher": "fi.finance", "root_run_id": "run-own"})
    with pytest.raises(CostRefused):
        guard.preflight(own_run, 9.0, "declared")
    done = run_in_process(env, "cost", "approve", guard.request(own_run, 9.0, "").request_id, "--as", "fi.finance")
    assert done.returncode == 2 and "fi.finance launched this run and may not approve its cost" in done.stderr
