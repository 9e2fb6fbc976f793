"""The promotion chain end to end, through real runs: fail-closed at every gate, champion kept.

One demo builds dev v1 → test v1 → prod v1 @champion. A retrained v2 then tries to follow and is
stopped by each missing or bad approval, and by a tampered ledger; champion stays at v1.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

pytestmark = pytest.mark.integration
LAKEGATE = str(Path(sys.executable).with_name("lakegate"))
RELEASE = "key:ml/claims_triage_release_candidate+"
PROD = "prod.claims.triage_model"
TEST = "test.claims.triage_model"


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAKEGATE_HOME": str(home), "LAKEGATE_ENV": "local", "LAKEGATE_PRINCIPAL": "ana.trainer"}
    env.pop("LAKEGATE_PII_HMAC_KEY", None)
    return subprocess.run([LAKEGATE, *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    home = tmp_path_factory.mktemp("chain")
    demo = run_cli(home, "demo")  # default size: the gates need enough held-out rows to judge
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    retrain = run_cli(home, "materialize", "key:ml/claims_triage_model or key:ml/claims_triage_test_model")
    assert retrain.returncode == 0, retrain.stdout[-3000:] + retrain.stderr[-3000:]
    return home


def registry(home):
    from lakegate.registry import Registry

    return Registry.from_env(home=home)


def approvals_check(home) -> dict:
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    key = dg.AssetCheckKey(dg.AssetKey(["ml", "claims_triage_release_candidate"]), "approvals")
    evaluation = instance.get_latest_asset_check_evaluation_record(key).event.dagster_event.event_specific_data
    return {"passed": evaluation.passed, "severity": evaluation.severity.value,
            **{k: v.value for k, v in evaluation.metadata.items()}}


def sign(home, principal, role, version, ticket, key_of=None, artifact=None):
    from gates.approvals import load_private_key, record_approval, sign_approval
    from gates.demo_governance import demo_key_path
    from gates.model_binding import model_artifact_hash
    import datetime as dt

    artifact = artifact or model_artifact_hash(registry(home), TEST, version)
    key = load_private_key(demo_key_path(key_of or principal, home))
    approval = sign_approval(key, TEST, version, artifact, role, ticket, principal, "promotion", dt.datetime.now(dt.timezone.utc))
    record_approval(approval, home)


def release_is_refused(home, reason_part: str) -> dict:
    result = run_cli(home, "materialize", RELEASE)
    assert result.returncode == 1, result.stdout[-2000:]
    check = approvals_check(home)
    assert not check["passed"] and check["severity"] == "ERROR"
    assert reason_part in check["reason"], check["reason"]
    assert str(registry(home).model_version(PROD, "champion").version) == "1"
    return check


def test_the_demo_reached_a_champion_with_a_verifiable_ledger(chain):
    assert str(registry(chain).model_version(PROD, "champion").version) == "1"
    assert str(registry(chain).model_version(TEST, "challenger").version) == "2"  # the retrained candidate passed its gates
    verify = run_cli(chain, "audit", "verify")
    assert verify.returncode == 0 and "OK" in verify.stdout
    history = run_cli(chain, "model", "history", PROD, "--json")
    moves = json.loads(history.stdout)
    assert any(m["inputs"]["alias"] == "champion" and m["inputs"]["to_version"] == "1" for m in moves)


def test_promotion_is_refused_in_order_for_each_missing_or_bad_approval(chain):
    monkey = pytest.MonkeyPatch()
    monkey.setenv("LAKEGATE_HOME", str(chain))
    try:
        from gates.change_register import add_ticket, approve_ticket

        # No approvals at all.
        release_is_refused(chain, "no promotion approval is recorded")
        # A ticket naming another version, and one never approved.
        other = add_ticket(TEST, "1", "wrong version")
        approve_ticket(other.id, approved_by="rel.manager")
        sign(chain, "mo.risk", "model_risk", "2", other.id)
        release_is_refused(chain, other.id)
        draft = add_ticket(TEST, "2", "promote v2")
        # The trainer approving her own model.
        sign(chain, "ana.trainer", "model_risk", "2", draft.id)
        release_is_refused(chain, "ana.trainer")
        # A forged signature: compliance's approval signed with the risk officer's key.
        sign(chain, "cy.compliance", "compliance", "2", draft.id, key_of="mo.risk")
        release_is_refused(chain, "signature")
    finally:
        monkey.undo()


def test_a_tampered_ledger_blocks_promotion(chain, tmp_path):
    ledger = chain / "audit" / "ledger.jsonl"
    lines = ledger.read_text().splitlines()
    record = json.loads(lines[2])
    record["actor"] = "someone.else"
    lines[2] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    ledger.write_text("\n".join(lines) + "\n")
    result = run_cli(chain, "materialize", RELEASE)
    assert result.returncode == 1
    assert str(registry(chain).model_version(PROD, "champion").version) == "1"
    verify = run_cli(chain, "audit", "verify")
    assert verify.returncode == 1 and "edited" in verify.stdout
