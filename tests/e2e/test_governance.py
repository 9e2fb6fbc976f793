"""The promotion chain on the session's demo, tried as an adversary with write access to the home and
the registry but no approver's key: dev v1 → test v1 → prod v1 @champion was reached with every
signature and anchor; a retrained v2 then tries to follow and every bypass is refused, champion kept.

Each test leaves champion at v1 and the ledger valid, so the other end-to-end tests share the demo.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

from tests.e2e.conftest import cli_in_process

pytestmark = pytest.mark.e2e
PROD, TEST = "prod.claims.triage_model", "test.claims.triage_model"
RELEASE = "key:ml/claims_triage_release_candidate"  # the release candidate and its approvals check
TO_PROD = RELEASE + "+"  # ... and the prod promotion after it
PROD_ASSET = "key:ml/claims_triage_prod_model"  # the prod promotion alone


def cli(home: Path, *args: str):
    return cli_in_process(home, *args, LAKEGATE_PRINCIPAL="ana.trainer")


@pytest.fixture(scope="module")
def chain(demo):
    home, result = demo
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    retrain = cli(home, "materialize", "key:ml/claims_triage_model or key:ml/claims_triage_test_model")
    assert retrain.returncode == 0, retrain.stdout[-3000:] + retrain.stderr[-3000:]
    assert challenger(home) == "2"
    return home


def registry(home):
    from lakegate.registry import Registry, embedded_store

    uri, artifacts = embedded_store(home)
    return Registry(uri, uri, artifacts)


def champion(home) -> str:
    return str(registry(home).model_version(PROD, "champion").version)


def challenger(home) -> str:
    return str(registry(home).model_version(TEST, "challenger").version)


def latest_check(home, asset: str, check: str) -> dict:
    instance = dg.DagsterInstance.from_config(str(home / "dagster"))
    key = dg.AssetCheckKey(dg.AssetKey(["ml", asset]), check)
    evaluation = instance.get_latest_asset_check_evaluation_record(key).event.dagster_event.event_specific_data
    return {"passed": evaluation.passed, **{k: v.value for k, v in evaluation.metadata.items()}}


def approvals_check(home) -> dict:
    return latest_check(home, "claims_triage_release_candidate", "approvals")


def refused(home, selection: str, *needles: str) -> str:
    """The run fails, saying why (in its output, or in the approvals check it ran), and champion stays."""
    result = cli(home, "materialize", selection)
    assert result.returncode == 1, result.stdout[-2000:]
    text = " ".join((result.stdout + result.stderr).split())
    if selection.startswith(RELEASE):
        text += " " + approvals_check(home)["reason"]
    for needle in needles:
        assert needle in text, text[-3000:]
    assert champion(home) == "1"
    return text


def approve(home, who: str, role: str, ticket: str, version: str = "2", expect: int = 0):
    done = cli(home, "approve", TEST, version, "--role", role, "--ticket", ticket, "--as", who)
    assert done.returncode == expect, done.stdout + done.stderr
    return done


def ticket(home, version: str = "2", approver: str = "cab.chair") -> str:
    made = cli(home, "change", "create", TEST, version, "--summary", f"promote v{version}")
    assert made.returncode == 0, made.stderr
    ticket_id = made.stdout.split()[1]
    signed = cli(home, "change", "approve", ticket_id, "--as", approver)
    assert signed.returncode == 0, signed.stderr
    return ticket_id


@contextlib.contextmanager
def restored_ledger(home: Path):
    """Undo a destructive test's edits of the ledger, its head and its anchor."""
    files = [home / "audit" / "ledger.jsonl", home / "audit" / "ledger.head.json",
             home.with_name(home.name + "-trust") / "ledger-anchor.jsonl"]
    saved = {f: f.read_bytes() for f in files}
    try:
        yield files[0]
    finally:
        for f, data in saved.items():
            f.write_bytes(data)


def test_the_demo_reached_champion_with_every_signature_and_anchor(chain):
    assert champion(chain) == "1"
    verify = cli(chain, "audit", "verify", "--anchor")
    assert verify.returncode == 0 and "extends every head published to" in verify.stdout, verify.stdout + verify.stderr
    policies = cli(chain, "policy", "verify")
    from ml_assets.usecases import USE_CASES

    # the governance policy, and each use case's promotion and deployment policies
    assert policies.returncode == 0 and policies.stdout.count("OK ") == 1 + 2 * len(USE_CASES)
    assert "signed by gov.owner" in policies.stdout
    moves = json.loads(cli(chain, "model", "history", PROD, "--json").stdout)
    assert any(m["inputs"]["alias"] == "champion" and m["inputs"]["to_version"] == "1" for m in moves)
    assert not list(chain.rglob("*.pem")), "no private key lives in the home"


def test_a_verdict_appended_to_the_ledger_by_hand_promotes_nothing(chain):
    from lakegate.artifact import model_artifact_hash
    from lakegate.environment import load_environment
    from lakegate.ledger import Ledger

    artifact = model_artifact_hash(registry(chain), TEST, "2")
    # Someone with write access to the home appends a well-formed, chained "approvals passed" record.
    Ledger.for_home(chain, load_environment("local")).append(
        "gate_evaluation", "lakegate/gates", {"model": TEST, "version": "2", "artifact_sha256": artifact, "gate": "approvals"},
        inputs={"thresholds": {}, "policy_version": "demo-3", "at": "check"},
        outcome={"passed": True, "measured": {}, "digest": "0" * 64}, reason="approved (forged)")
    assert cli(chain, "audit", "verify", "--anchor").returncode == 0  # a valid record: only its authority is fake
    refused(chain, PROD_ASSET, "cannot be promoted: approvals: test.claims.triage_model v2 (promotion to prod) is not "
            "approved: no promotion approval is recorded for this version")


def test_promotion_is_refused_for_each_missing_or_bad_approval(chain):
    refused(chain, TO_PROD, "no promotion approval is recorded")
    assert not approvals_check(chain)["passed"]
    other = ticket(chain, version="1")
    wrong = approve(chain, "mo.risk", "model_risk", other, expect=2)  # the CLI refuses a ticket of another version
    assert f"change ticket {other} names {TEST} v1, not {TEST} v2" in " ".join(wrong.stderr.split())
    draft = cli(chain, "change", "create", TEST, "2", "--summary", "never approved").stdout.split()[1]
    approve(chain, "mo.risk", "model_risk", draft)
    approve(chain, "cy.compliance", "compliance", draft)
    refused(chain, TO_PROD, f"change ticket {draft} is draft, not approved")
    # Signed outside the CLI's checks: the trainer in a role she lacks, and compliance with risk's key.
    sign(chain, "ana.trainer", "model_risk", draft)
    sign(chain, "cy.compliance", "compliance", draft, key_of="mo.risk")
    text = refused(chain, TO_PROD, "ana.trainer trained this version and may not approve it")
    assert "its signature does not verify against cy.compliance's public key" in text


def sign(home, principal, role, ticket_id, key_of=None):
    import datetime as dt

    from gates.demo_governance import demo_key_path
    from lakegate.artifact import model_artifact_hash
    from lakegate.environment import load_environment
    from lakegate.governance.approvals import record_approval, sign_approval
    from lakegate.ledger import Ledger
    from lakegate.signing import load_private_key

    local = load_environment("local")
    key = load_private_key(demo_key_path(key_of or principal, home, local))
    artifact = model_artifact_hash(registry(home), TEST, "2")
    record_approval(sign_approval(key, TEST, "2", artifact, role, ticket_id, principal, "promotion",
                                  dt.datetime.now(dt.timezone.utc), trained_by="ana.trainer"),
                    home, Ledger.for_home(home, local))


def test_a_withdrawn_approval_or_a_closed_ticket_after_the_gate_ran_stops_champion(chain):
    from lakegate.governance.approvals import approvals_dir

    approved = ticket(chain)
    approve(chain, "mo.risk", "model_risk", approved)
    compliance = approve(chain, "cy.compliance", "compliance", approved)
    for stale in sorted((approvals_dir(chain) / TEST / "2").glob("*.json")):
        if approved not in stale.read_text():
            stale.unlink()  # the earlier tests' bad approvals are withdrawn, as the docs say: delete the file
    gate = cli(chain, "materialize", RELEASE)  # the release candidate and its approvals check, not prod
    assert gate.returncode == 0 and approvals_check(chain)["passed"], gate.stdout[-2000:]

    stored = Path(compliance.stdout.strip().rsplit(" ", 1)[-1])
    withdrawn = stored.read_bytes()
    stored.unlink()  # compliance withdraws
    refused(chain, PROD_ASSET, "approvals: test.claims.triage_model v2 (promotion to prod) is not approved",
            "no valid approval in the required role compliance")

    stored.write_bytes(withdrawn)
    assert cli(chain, "change", "close", approved).returncode == 0  # the change is closed
    refused(chain, PROD_ASSET, f"change ticket {approved} is closed, not approved")


def test_a_tampered_ledger_blocks_promotion_and_is_named(chain):
    with restored_ledger(chain) as ledger:
        lines = ledger.read_text().splitlines()
        record = json.loads(lines[2])
        record["actor"] = "someone.else"
        lines[2] = json.dumps(record, sort_keys=True, separators=(",", ":"))
        ledger.write_text("\n".join(lines) + "\n")
        refused(chain, PROD_ASSET, "the audit ledger fails verification")
        verify = cli(chain, "audit", "verify")
        assert verify.returncode == 1 and "edited" in verify.stdout


def test_a_full_rewrite_or_truncation_of_the_ledger_is_caught_by_its_anchor(chain):
    from lakegate.ledger import Ledger
    from tests.ledger_tools import rewrite

    for keep, edit in ((None, {"seq": 3, "fields": {"reason": "rewritten"}}), (10, None)):
        with restored_ledger(chain) as path:
            ledger = Ledger(path)
            rewrite(ledger, keep or len(ledger.records()), edit)
            assert cli(chain, "audit", "verify").returncode == 0  # consistent on its own
            anchored = cli(chain, "audit", "verify", "--anchor")
            assert anchored.returncode == 1, anchored.stdout
            assert ("rewritten behind its anchor" if edit else "truncated behind its anchor") in anchored.stdout
            refused(chain, PROD_ASSET, "the audit ledger fails verification")


def test_an_edited_policy_fails_closed(chain, tmp_path):
    from gates.policy import policies_dir

    policy = chain / "governance" / "policy.yaml"
    saved = policy.read_bytes()
    try:
        policy.write_text(policy.read_text().replace("roles:\n  - model_risk", "roles:\n  - model_risk\n  - compliance", 1))
        refused(chain, RELEASE, "is not signed by a governance owner")
        assert cli(chain, "policy", "verify").returncode == 1
        # The owner signs the edit; then someone puts the older, once-signed policy back.
        assert cli(chain, "policy", "sign", str(policy), "--as", "gov.owner").returncode == 0
        policy.write_bytes(saved)
        refused(chain, RELEASE, "an older signed policy was put back")
    finally:
        policy.write_bytes(saved)
        assert cli(chain, "policy", "sign", str(policy), "--as", "gov.owner").returncode == 0  # restored on purpose
    # The promotion policy is edited in a copy of the policies (LAKEGATE_POLICIES_DIR), not in place:
    # the other test worker's promotions read the shipped files meanwhile.
    policies = tmp_path / "policies"
    shutil.copytree(policies_dir("claims_triage").parent, policies)
    promotion = policies / "claims_triage" / "promotion.local.yaml"
    promotion.write_text(promotion.read_text().replace("min_value: 0.60", "min_value: 0.01"))
    result = cli_in_process(chain, "materialize", "key:ml/claims_triage_model", LAKEGATE_PRINCIPAL="ana.trainer",
                            LAKEGATE_POLICIES_DIR=str(policies))
    assert result.returncode == 1, result.stdout[-2000:]
    reason = latest_check(chain, "claims_triage_model", "performance")["reason"]
    assert "promotion.local.yaml" in reason and "is not signed by a governance owner" in reason
    assert champion(chain) == "1"
