"""Signed approvals: every way an approval set can be wrong blocks the gate with a precise reason."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import os

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gates.approvals import (
    Approval, ApprovalError, canonical_payload, evaluate_approval_gate, load_approvals, load_private_key,
    record_approval, sign_approval, verify_signature,
)
from gates.change_register import (
    ChangeRegister, ChangeRegisterError, Ticket, add_ticket, approve_ticket, load_register, lookup_ticket,
)
from gates.demo_governance import init_demo_governance
from gates.governance import GovernanceError, load_policy, parse_policy, public_key_pem
from gates.model_binding import directory_hash
from gates.verdict import GateVerdict

MODEL = "test.claims.triage_model"
HASH = "a" * 64
OTHER_HASH = "b" * 64
WHEN = dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.timezone.utc)
PEOPLE = {  # id -> roles
    "ana.trainer": ["data_scientist", "model_risk"],  # may hold a required role, still may not approve her own model
    "mo.risk": ["model_risk", "release_manager"],
    "cy.compliance": ["compliance"],
    "rel.manager": ["release_manager"],
    "two.hats": ["model_risk", "compliance"],
}
KEYS = {pid: Ed25519PrivateKey.generate() for pid in [*PEOPLE, "eve.outsider"]}


def policy_dict(**overrides) -> dict:
    raw = {
        "version": "2026-11-policy",
        "principals": [
            {"id": pid, "display_name": pid.title(), "roles": roles, "public_key": public_key_pem(KEYS[pid].public_key()),
             **({"identities": ["ana@insurer.example"]} if pid == "ana.trainer" else {})}
            for pid, roles in PEOPLE.items()
        ],
        "environments": {
            "prod": {"promotion": {"required_roles": ["model_risk", "compliance"], "change_ticket_required": True},
                     "deployment": {"required_roles": ["release_manager"], "change_ticket_required": True}},
            "test": {"promotion": {"required_roles": ["model_risk"], "change_ticket_required": False}},
        },
    }
    raw.update(overrides)
    return raw


POLICY = parse_policy(policy_dict())
REGISTER = ChangeRegister(tickets=(
    Ticket(id="CHG-1", status="approved", model=MODEL, version="4", summary="Promote v4", approved_by="cab.chair"),
    Ticket(id="CHG-2", status="draft", model=MODEL, version="4", summary="Still in review"),
    Ticket(id="CHG-3", status="approved", model=MODEL, version="3", summary="Promote v3", approved_by="cab.chair"),
    Ticket(id="CHG-4", status="rejected", model=MODEL, version="4", summary="Rejected"),
))


def approve(principal, role, version="4", artifact_hash=HASH, ticket="CHG-1", purpose="promotion", key=None, model=MODEL):
    return sign_approval(key or KEYS[principal], model, version, artifact_hash, role, ticket, principal, purpose, WHEN)


VALID = [approve("mo.risk", "model_risk"), approve("cy.compliance", "compliance")]


def gate(approvals, **kw) -> GateVerdict:
    args = dict(model=MODEL, version="4", artifact_hash=HASH, trained_by="ana.trainer", target_env="prod",
                purpose="promotion", approvals=approvals, policy=POLICY, register=REGISTER)
    args.update(kw)
    return evaluate_approval_gate(**args)


def blocked(verdict: GateVerdict, check: str, *needles: str) -> None:
    assert not verdict.passed, verdict.reason
    assert check in verdict.measured["failed_checks"], verdict.measured["failed_checks"]
    for needle in needles:
        assert needle in verdict.reason, verdict.reason


# the valid case


def test_distinct_principals_in_every_required_role_with_an_approved_ticket_pass():
    verdict = gate(VALID)
    assert verdict.passed and verdict.gate == "approvals", verdict.reason
    assert verdict.reason == ("test.claims.triage_model v4 (promotion to prod) is approved: model_risk by mo.risk, "
                              "compliance by cy.compliance under change ticket CHG-1; none of them trained it")
    assert verdict.measured["approved_roles"] == {"model_risk": ["mo.risk"], "compliance": ["cy.compliance"]}
    assert verdict.measured["failed_checks"] == [] and all(a["counted"] for a in verdict.measured["approvals"])
    assert verdict.thresholds["required_roles"] == ["model_risk", "compliance"]
    assert verdict.thresholds["change_ticket_required"] is True
    assert verdict.policy_version == "2026-11-policy"


def test_an_extra_valid_approval_in_a_role_that_is_not_required_does_no_harm():
    verdict = gate([*VALID, approve("rel.manager", "release_manager")])
    assert verdict.passed, verdict.reason
    assert "not required" in verdict.measured["approvals"][2]["note"]


def test_test_environment_needs_one_role_and_no_ticket():
    verdict = gate([approve("mo.risk", "model_risk", ticket=None)], target_env="test", register=None)
    assert verdict.passed, verdict.reason
    assert verdict.thresholds == {**verdict.thresholds, "required_roles": ["model_risk"], "change_ticket_required": False}


# nothing, or a policy that cannot approve


def test_no_approvals_blocks():
    verdict = gate([])
    blocked(verdict, "no_approvals", "no promotion approval is recorded for this version")
    blocked(verdict, "missing_role", "no valid approval in the required roles model_risk, compliance")


def test_no_policy_blocks():
    verdict = gate(VALID, policy=None)
    assert not verdict.passed and "no governance policy" in verdict.reason


def test_an_environment_the_policy_does_not_cover_blocks():
    blocked(gate(VALID, target_env="dev"), "no_requirements", "sets no promotion requirements for dev")


def test_the_committed_example_policy_never_approves():
    example = parse_policy(policy_dict(example=True), "gates/policies/governance.example.yaml")
    blocked(gate(VALID, policy=example), "example_policy", "is the committed example")


def test_an_unknown_trainer_blocks_because_duties_cannot_be_checked():
    for trainer in (None, "", "unknown"):
        blocked(gate(VALID, trained_by=trainer), "trainer_unknown", "names no trainer")


# forged, tampered, unknown, unauthorised


def test_a_tampered_signature_is_forged():
    raw = bytearray(base64.b64decode(VALID[0].signature))
    raw[0] ^= 0x01
    tampered = dataclasses.replace(VALID[0], signature=base64.b64encode(bytes(raw)).decode())
    blocked(gate([tampered, VALID[1]]), "forged_signature",
            "approval by mo.risk as model_risk: its signature does not verify against mo.risk's public key (forged or altered)")
    assert not verify_signature(tampered, KEYS["mo.risk"].public_key())


def test_a_payload_edited_after_signing_is_forged():
    # Someone rewrites a v3 approval to say v4 (and the new hash), keeping the signature.
    edited = dataclasses.replace(approve("mo.risk", "model_risk", version="3", artifact_hash=OTHER_HASH), version="4",
                                 artifact_hash=HASH)
    blocked(gate([edited, VALID[1]]), "forged_signature", "forged or altered")
    blocked(gate([edited, VALID[1]]), "missing_role", "model_risk")


def test_an_approval_signed_with_someone_elses_key_is_forged():
    forged = approve("mo.risk", "model_risk", key=KEYS["eve.outsider"])
    blocked(gate([forged, VALID[1]]), "forged_signature", "does not verify against mo.risk's public key")


def test_a_garbage_signature_is_forged_not_a_crash():
    blocked(gate([dataclasses.replace(VALID[0], signature="not base64!"), VALID[1]]), "forged_signature")


def test_an_unknown_principal_blocks():
    stranger = approve("eve.outsider", "model_risk")
    blocked(gate([*VALID, stranger]), "unknown_principal", "eve.outsider is not a principal in the governance policy")


def test_a_role_the_principal_does_not_hold_blocks():
    claimed = approve("cy.compliance", "model_risk")
    blocked(gate([claimed, approve("cy.compliance", "compliance")]), "role_not_held",
            "cy.compliance does not hold the role model_risk")


# bound to one version and one artifact


def test_approving_version_3_never_unlocks_version_4():
    v3 = [approve("mo.risk", "model_risk", version="3", ticket="CHG-3"), approve("cy.compliance", "compliance", version="3", ticket="CHG-3")]
    assert gate(v3, version="3").passed
    verdict = gate(v3, version="4")
    blocked(verdict, "wrong_version", "approval by mo.risk as model_risk is for version 3, not 4",
            "an approval never carries over to another version")
    blocked(verdict, "missing_role", "model_risk, compliance")


def test_a_changed_artifact_voids_the_approval():
    verdict = gate(VALID, artifact_hash=OTHER_HASH)
    blocked(verdict, "artifact_changed", f"was signed for artifact {HASH[:12]}…, but this version's artifact is {OTHER_HASH[:12]}…",
            "the approval is void")


def test_an_approval_of_another_model_blocks():
    other = approve("mo.risk", "model_risk", model="test.claims.other_model")
    blocked(gate([other, VALID[1]]), "wrong_model", "is for test.claims.other_model, not test.claims.triage_model")


# segregation of duties


def test_the_trainer_may_not_approve_her_own_model():
    own = approve("ana.trainer", "model_risk")
    blocked(gate([own, VALID[1]]), "self_approval", "ana.trainer trained this version and may not approve it")
    blocked(gate([*VALID, own]), "self_approval")  # even when others would have sufficed


def test_the_trainer_is_recognised_by_any_of_her_identities():
    own = approve("ana.trainer", "model_risk")
    blocked(gate([own, VALID[1]], trained_by="ANA@insurer.example"), "self_approval")


def test_one_principal_may_not_fill_two_required_roles():
    verdict = gate([approve("two.hats", "model_risk"), approve("two.hats", "compliance")])
    blocked(verdict, "duplicate_principal", "two.hats fills more than one required role (compliance, model_risk)")


def test_the_promotion_approver_may_not_approve_the_deployment():
    deploy = approve("mo.risk", "release_manager", purpose="deployment")
    verdict = gate([deploy], purpose="deployment", prior_promotion_approvers=["mo.risk", "cy.compliance"])
    blocked(verdict, "promotion_approver_deploys", "mo.risk approved the promotion, so a different principal must approve the deployment")
    # ...also when the promotion approvals are in the same set
    blocked(gate([*VALID, deploy], purpose="deployment"), "promotion_approver_deploys")
    fine = gate([*VALID, approve("rel.manager", "release_manager", purpose="deployment")], purpose="deployment",
                prior_promotion_approvers=["mo.risk", "cy.compliance"])
    assert fine.passed, fine.reason
    assert "a promotion approval; not counted for deployment" in fine.measured["approvals"][0]["note"]


def test_an_approval_for_another_purpose_does_not_count():
    verdict = gate([approve("mo.risk", "model_risk", purpose="deployment"), VALID[1]])
    blocked(verdict, "missing_role", "no valid approval in the required role model_risk")


def test_a_missing_required_role_blocks():
    blocked(gate([VALID[0]]), "missing_role", "no valid approval in the required role compliance")


# change tickets


@pytest.mark.parametrize("ticket,needle", [
    ("CHG-404", "change ticket CHG-404 is not in the change register"),
    ("CHG-2", "change ticket CHG-2 is draft, not approved"),
    ("CHG-4", "change ticket CHG-4 is rejected, not approved"),
    ("CHG-3", "change ticket CHG-3 names test.claims.triage_model v3, not test.claims.triage_model v4"),
    (None, "approval by mo.risk as model_risk names no change ticket"),
])
def test_a_missing_unapproved_or_other_version_ticket_blocks(ticket, needle):
    verdict = gate([approve("mo.risk", "model_risk", ticket=ticket), VALID[1]])
    blocked(verdict, "change_ticket", needle)


def test_no_change_register_blocks_when_a_ticket_is_required():
    blocked(gate(VALID, register=None), "change_ticket", "change ticket CHG-1 is not in the change register")


# signing and storage


def test_the_signed_payload_is_canonical_json_of_every_field():
    assert canonical_payload(MODEL, 4, HASH, "model_risk", "CHG-1", "mo.risk", "promotion", "2026-11-27T16:00:00Z") == (
        '{"artifact_hash":"' + HASH + '","kind":"lakegate.approval/v1","model":"test.claims.triage_model",'
        '"principal":"mo.risk","purpose":"promotion","role":"model_risk","ticket":"CHG-1",'
        '"time":"2026-11-27T16:00:00Z","version":"4"}').encode()
    assert VALID[0].time == "2026-11-27T16:00:00Z" and VALID[0].version == "4"
    assert verify_signature(VALID[0], KEYS["mo.risk"].public_key())


def test_signing_refuses_a_naive_time_and_an_unknown_purpose():
    with pytest.raises(ApprovalError, match="time zone"):
        sign_approval(KEYS["mo.risk"], MODEL, 4, HASH, "model_risk", "CHG-1", "mo.risk", "promotion", dt.datetime(2026, 1, 1))
    with pytest.raises(ApprovalError, match="promotion or deployment"):
        sign_approval(KEYS["mo.risk"], MODEL, 4, HASH, "model_risk", "CHG-1", "mo.risk", "retirement", WHEN)


def test_approvals_are_stored_append_only_and_loaded_per_version(tmp_path):
    first = record_approval(VALID[0], tmp_path)
    assert first.parent == tmp_path / "governance" / "approvals" / MODEL / "4"
    assert record_approval(VALID[0], tmp_path) == first  # the identical record: left as it is
    record_approval(VALID[1], tmp_path)
    assert sorted(load_approvals(MODEL, 4, tmp_path), key=lambda a: a.principal) == sorted(VALID, key=lambda a: a.principal)
    assert load_approvals(MODEL, 5, tmp_path) == []
    assert json.loads(first.read_text())["signature"] == VALID[0].signature
    first.write_text(first.read_text().replace('"mo.risk"', '"cy.compliance"'))
    with pytest.raises(ApprovalError, match="never overwritten"):
        record_approval(VALID[0], tmp_path)


def test_an_approval_file_copied_into_another_versions_folder_is_caught(tmp_path):
    path = record_approval(approve("mo.risk", "model_risk", version="3", ticket="CHG-3"), tmp_path)
    target = tmp_path / "governance" / "approvals" / MODEL / "4"
    target.mkdir(parents=True)
    (target / path.name).write_text(path.read_text())
    copied = load_approvals(MODEL, 4, tmp_path)
    blocked(gate([*copied, VALID[1]]), "wrong_version", "is for version 3, not 4")


def test_an_unreadable_approval_file_is_an_error(tmp_path):
    folder = tmp_path / "governance" / "approvals" / MODEL / "4"
    folder.mkdir(parents=True)
    (folder / "x.json").write_text("{not json")
    with pytest.raises(ApprovalError, match="unreadable approval"):
        load_approvals(MODEL, 4, tmp_path)
    (folder / "x.json").write_text(json.dumps({**VALID[0].to_dict(), "extra": 1}))
    with pytest.raises(ApprovalError, match="unexpected fields"):
        load_approvals(MODEL, 4, tmp_path)


def test_private_keys_must_be_private_and_ed25519(tmp_path):
    path = tmp_path / "k.pem"
    path.write_bytes(KEYS["mo.risk"].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
    path.chmod(0o644)
    with pytest.raises(ApprovalError, match="readable by other users"):
        load_private_key(path)
    path.chmod(0o600)
    assert load_private_key(path).public_key() == KEYS["mo.risk"].public_key()
    with pytest.raises(ApprovalError, match="no private key"):
        load_private_key(tmp_path / "missing.pem")


# the governance policy file


def write_policy(tmp_path, raw) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize("mutate,message", [
    (lambda r: r.update(owner="me"), "owner: Extra inputs are not permitted"),
    (lambda r: r["principals"][1].update(public_key="bm90IGEga2V5"), "principals.1.public_key: base64 decodes to 9 bytes"),
    (lambda r: r["principals"][1].update(public_key="-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----"),
     "not a readable PEM public key"),
    (lambda r: r["environments"]["prod"]["promotion"].update(required_roles=["compliace"]),
     "environments.prod.promotion requires role 'compliace', which no principal holds"),
    (lambda r: r["environments"].update(staging={}), "environments.staging: unknown environment"),
    (lambda r: r["environments"]["prod"]["promotion"].update(required_roles=[]), "at least 1 item"),
    (lambda r: r["principals"][2].update(identities=["Mo.Risk"]), "appears in more than one principal"),
])
def test_a_bad_policy_file_is_a_clear_error(tmp_path, mutate, message):
    raw = policy_dict()
    mutate(raw)
    with pytest.raises(GovernanceError, match="invalid governance policy") as caught:
        load_policy(write_policy(tmp_path, raw))
    assert message in str(caught.value)


def test_a_missing_policy_is_an_error_and_the_variable_points_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEGATE_HOME", str(tmp_path))
    monkeypatch.delenv("LAKEGATE_GOVERNANCE_POLICY", raising=False)
    with pytest.raises(GovernanceError, match=f"no governance policy at {tmp_path}/governance/policy.yaml"):
        load_policy()
    monkeypatch.setenv("LAKEGATE_GOVERNANCE_POLICY", str(write_policy(tmp_path, policy_dict())))
    assert load_policy().version == "2026-11-policy"


def test_the_committed_example_policy_loads_and_is_marked_as_an_example():
    from pathlib import Path

    example = load_policy(Path(__file__).resolve().parents[2] / "gates" / "policies" / "governance.example.yaml")
    assert example.example is True
    assert example.requirement("prod", "promotion").required_roles == ("model_risk", "compliance")
    assert example.requirement("prod", "deployment").change_ticket_required is True


# the change register


def test_tickets_are_added_approved_and_looked_up(tmp_path):
    path = tmp_path / "register.yaml"
    first = add_ticket(MODEL, 4, "Promote v4 to prod", path=path)
    assert (first.id, first.status, first.version) == ("CHG-0001", "draft", "4")
    assert add_ticket(MODEL, "5", "Promote v5", path=path).id == "CHG-0002"
    approved = approve_ticket("CHG-0001", "cab.chair", path=path)
    assert approved.status == "approved" and approved.approved_by == "cab.chair" and approved.approved_at
    assert lookup_ticket("CHG-0001", path) == approved and lookup_ticket("CHG-9", path) is None
    assert [t.id for t in load_register(path).tickets] == ["CHG-0001", "CHG-0002"]
    with pytest.raises(ChangeRegisterError, match="is approved; only a draft can be approved"):
        approve_ticket("CHG-0001", "cab.chair", path=path)
    with pytest.raises(ChangeRegisterError, match="already exists"):
        add_ticket(MODEL, 4, "again", ticket_id="CHG-0001", path=path)
    with pytest.raises(ChangeRegisterError, match="must be a model version number"):
        add_ticket(MODEL, "challenger", "alias", path=path)
    with pytest.raises(ChangeRegisterError, match="must be catalog.schema.model"):
        add_ticket("triage_model", 1, "bad name", path=path)


def test_a_bad_register_file_is_a_clear_error(tmp_path):
    path = tmp_path / "register.yaml"
    path.write_text("tickets:\n  - {id: CHG-1, status: done, model: test.claims.triage_model, version: 1, summary: x}\n")
    with pytest.raises(ChangeRegisterError, match="tickets.0.status"):
        load_register(path)
    assert load_register(tmp_path / "none.yaml").tickets == ()


# artifact hash and demo keys


def test_the_directory_hash_covers_paths_and_bytes_in_a_fixed_order(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root, files in ((a, {"MLmodel": b"m", "sub/model.pkl": b"xy"}), (b, {"sub/model.pkl": b"xy", "MLmodel": b"m"})):
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
    assert directory_hash(a) == directory_hash(b) and len(directory_hash(a)) == 64
    (b / "sub" / "model.pkl").write_bytes(b"xz")
    assert directory_hash(a) != directory_hash(b)
    (b / "sub" / "model.pkl").rename(b / "sub" / "model2.pkl")
    (b / "sub" / "model2.pkl").write_bytes(b"xy")
    assert directory_hash(a) != directory_hash(b)


def test_demo_governance_is_private_and_idempotent(tmp_path):
    first = init_demo_governance(tmp_path)
    assert first.policy_written and set(first.keys) == {"ana.trainer", "mo.risk", "cy.compliance", "rel.manager"}
    assert os.stat(first.keys_dir).st_mode & 0o777 == 0o700
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in first.keys.values())
    before = {p: p.read_bytes() for p in [first.policy_path, *first.keys.values()]}
    again = init_demo_governance(tmp_path)
    assert not again.policy_written and before == {p: p.read_bytes() for p in before}
    policy = load_policy(first.policy_path)
    key = load_private_key(first.keys["mo.risk"])
    signed = sign_approval(key, MODEL, 1, HASH, "model_risk", "CHG-1", "mo.risk", "promotion", WHEN)
    assert verify_signature(signed, policy.principal("mo.risk").verifying_key())
    assert policy.requirement("prod", "promotion").required_roles == ("model_risk", "compliance")


def test_demo_governance_never_writes_into_the_repository():
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    with pytest.raises(GovernanceError, match="refusing to write demo keys into the repository"):
        init_demo_governance(repo / "gates")
    assert not (repo / "gates" / "governance").exists()


def test_approval_round_trips_through_its_dict():
    assert Approval.from_dict(VALID[0].to_dict()) == VALID[0]
    with pytest.raises(ApprovalError, match="not a Lakegate approval"):
        Approval.from_dict({"model": MODEL})
