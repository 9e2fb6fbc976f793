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

from gates.approvals import evaluate_approval_gate
from gates.demo_governance import init_demo_governance
from gates.verdict import GateVerdict
from lakegate.artifact import directory_hash
from lakegate.environment import load_environment
from lakegate.governance.approvals import (
    Approval, ApprovalError, load_approvals, payload_fields, record_approval, sign_approval,
)
from lakegate.governance.change_register import (
    ChangeRegister, ChangeRegisterError, Ticket, add_ticket, approve_ticket, close_ticket, load_register, lookup_ticket,
)
from lakegate.governance.policy import GovernanceError, load_policy, parse_policy
from lakegate.ledger import Ledger
from lakegate.signing import SigningKeyError, canonical_json, load_private_key, public_key_pem, sign_fields

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
    "cab.chair": ["change_approver"],
    "oc.incident": ["incident_commander"],
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
                     "deployment": {"required_roles": ["release_manager"], "change_ticket_required": True},
                     "break_glass": {"required_roles": ["incident_commander"], "valid_minutes": 60}},
            "test": {"promotion": {"required_roles": ["model_risk"], "change_ticket_required": False}},
        },
    }
    raw.update(overrides)
    return raw


POLICY = parse_policy(policy_dict())
ENDPOINT = "claims-triage"


def ticket(id, version="4", status="approved", approver="cab.chair", key=None, summary="Promote"):
    """A ticket; an approved one carries its approver's signature (by `key`, default theirs)."""
    draft = Ticket(id=id, status="draft", model=MODEL, version=version, summary=summary)
    if status != "approved":
        return draft.model_copy(update={"status": status})
    fields = draft.approval_fields(approver, "2026-11-27T15:00:00Z")
    return Ticket(**{**draft.model_dump(), "status": "approved", "approved_by": approver, "approved_at": fields["approved_at"],
                     "approval_signature": sign_fields(key or KEYS[approver], fields)})


REGISTER = ChangeRegister(tickets=(
    ticket("CHG-1"), ticket("CHG-2", status="draft"), ticket("CHG-3", version="3"), ticket("CHG-4", status="rejected"),
    ticket("CHG-5", approver="ana.trainer"), ticket("CHG-6", approver="mo.risk"),
    ticket("CHG-7", key=KEYS["eve.outsider"]), ticket("CHG-8", approver="eve.outsider"),
))


def approve(principal, role, version="4", artifact_hash=HASH, ticket="CHG-1", purpose="promotion", key=None, model=MODEL,
            trained_by="ana.trainer", endpoint=ENDPOINT, when=WHEN):
    return sign_approval(key or KEYS[principal], model, version, artifact_hash, role, ticket, principal, purpose, when,
                         trained_by=trained_by, endpoint=endpoint)


VALID = [approve("mo.risk", "model_risk"), approve("cy.compliance", "compliance")]


def gate(approvals, **kw) -> GateVerdict:
    args = dict(model=MODEL, version="4", artifact_hash=HASH, trained_by="ana.trainer", target_env="prod",
                purpose="promotion", approvals=approvals, policy=POLICY, register=REGISTER)
    args.update(kw)
    if args["purpose"] != "promotion":
        args.setdefault("endpoint", ENDPOINT)
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
                              "compliance by cy.compliance under change ticket CHG-1; none of them trained it "
                              "(trained by ana.trainer)")
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
    for trainer in (None, "", "  "):
        blocked(gate(VALID, trained_by=trainer), "trainer_unknown", "records no trainer")


# forged, tampered, unknown, unauthorised


def test_a_tampered_signature_is_forged():
    raw = bytearray(base64.b64decode(VALID[0].signature))
    raw[0] ^= 0x01
    tampered = dataclasses.replace(VALID[0], signature=base64.b64encode(bytes(raw)).decode())
    blocked(gate([tampered, VALID[1]]), "forged_signature",
            "approval by mo.risk as model_risk: its signature does not verify against mo.risk's public key (forged or altered)")
    assert not tampered.verifies(KEYS["mo.risk"].public_key())


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
    ("CHG-5", "change ticket CHG-5 was approved by ana.trainer, who does not hold the change_approver role"),
    ("CHG-6", "change ticket CHG-6 was approved by mo.risk, who does not hold the change_approver role"),
    ("CHG-7", "change ticket CHG-7: its approval is not signed by cab.chair's key (forged or altered)"),
    ("CHG-8", "change ticket CHG-8 was approved by eve.outsider, who is not a principal in the governance policy"),
])
def test_a_missing_unapproved_or_other_version_ticket_blocks(ticket, needle):
    verdict = gate([approve("mo.risk", "model_risk", ticket=ticket), VALID[1]])
    blocked(verdict, "change_ticket", needle)


def test_no_change_register_blocks_when_a_ticket_is_required():
    blocked(gate(VALID, register=None), "change_ticket", "change ticket CHG-1 is not in the change register")


# signing and storage


def test_the_signed_payload_is_canonical_json_of_every_field():
    fields = payload_fields(MODEL, 4, HASH, "model_risk", "CHG-1", "mo.risk", "promotion", "2026-11-27T16:00:00Z",
                            "ana.trainer", None)
    assert canonical_json(fields) == (
        '{"artifact_hash":"' + HASH + '","endpoint":null,"kind":"lakegate.approval/v2","model":"test.claims.triage_model",'
        '"principal":"mo.risk","purpose":"promotion","role":"model_risk","ticket":"CHG-1",'
        '"time":"2026-11-27T16:00:00Z","trained_by":"ana.trainer","version":"4"}').encode()
    assert VALID[0].time == "2026-11-27T16:00:00Z" and VALID[0].version == "4" and VALID[0].endpoint is None
    assert VALID[0].verifies(KEYS["mo.risk"].public_key())


def test_signing_refuses_a_naive_time_an_unknown_purpose_no_trainer_and_no_endpoint():
    sign = lambda **kw: sign_approval(**{"private_key": KEYS["mo.risk"], "model": MODEL, "version": 4, "artifact_hash": HASH,
                                         "role": "model_risk", "ticket": "CHG-1", "principal": "mo.risk",
                                         "purpose": "promotion", "time": WHEN, "trained_by": "ana.trainer", **kw})
    with pytest.raises(ApprovalError, match="time zone"):
        sign(time=dt.datetime(2026, 1, 1))
    with pytest.raises(ApprovalError, match="must be one of promotion, deployment, break_glass"):
        sign(purpose="retirement")
    with pytest.raises(ApprovalError, match="names who trained the version"):
        sign(trained_by=" ")
    with pytest.raises(ApprovalError, match="names the serving endpoint"):
        sign(purpose="deployment")


def test_a_v1_approval_is_refused_because_it_names_no_trainer():
    with pytest.raises(ApprovalError, match="a v1 approval, which names no trainer"):
        Approval.from_dict({**VALID[0].to_dict(), "kind": "lakegate.approval/v1"})


def test_approvals_are_stored_append_only_and_loaded_per_version(tmp_path):
    ledger = Ledger(tmp_path / "ledger.jsonl")
    first = record_approval(VALID[0], tmp_path, ledger)
    assert first.parent == tmp_path / "governance" / "approvals" / MODEL / "4"
    assert record_approval(VALID[0], tmp_path, ledger) == first  # the identical record: left as it is
    record_approval(VALID[1], tmp_path, ledger)
    assert [r.outcome["signature"] for r in ledger.records("approval")] == [VALID[0].signature, VALID[1].signature]
    assert sorted(load_approvals(MODEL, 4, tmp_path), key=lambda a: a.principal) == sorted(VALID, key=lambda a: a.principal)
    assert load_approvals(MODEL, 5, tmp_path) == []
    assert json.loads(first.read_text())["signature"] == VALID[0].signature
    first.write_text(first.read_text().replace('"mo.risk"', '"cy.compliance"'))
    with pytest.raises(ApprovalError, match="never overwritten"):
        record_approval(VALID[0], tmp_path, ledger)


def test_an_approval_file_copied_into_another_versions_folder_is_caught(tmp_path):
    path = record_approval(approve("mo.risk", "model_risk", version="3", ticket="CHG-3"), tmp_path, Ledger(tmp_path / "l.jsonl"))
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
    with pytest.raises(SigningKeyError, match="readable by other users"):
        load_private_key(path)
    path.chmod(0o600)
    assert load_private_key(path).public_key() == KEYS["mo.risk"].public_key()
    with pytest.raises(SigningKeyError, match="no private key"):
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
    ledger = Ledger(tmp_path / "ledger.jsonl")
    approved = approve_ticket("CHG-0001", "cab.chair", KEYS["cab.chair"], path=path, ledger=ledger)
    assert approved.status == "approved" and approved.approved_by == "cab.chair" and approved.approved_at
    assert ledger.records("change_approval")[0].outcome["signature"] == approved.approval_signature
    assert lookup_ticket("CHG-0001", path) == approved and lookup_ticket("CHG-9", path) is None
    assert [t.id for t in load_register(path).tickets] == ["CHG-0001", "CHG-0002"]
    with pytest.raises(ChangeRegisterError, match="is approved; only a draft can be approved"):
        approve_ticket("CHG-0001", "cab.chair", KEYS["cab.chair"], path=path)
    assert close_ticket("CHG-0001", path).status == "closed"
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


def test_demo_governance_is_private_idempotent_and_keeps_keys_outside_the_home(tmp_path):
    home = tmp_path / "home"
    local = load_environment("local")
    first = init_demo_governance(home, local)
    assert first.policy_written and set(first.keys) == {"ana.trainer", "mo.risk", "cy.compliance", "rel.manager",
                                                        "cab.chair", "oc.incident", "re.reliability", "sa.safety", "fi.finance"}
    assert first.trust.keys_dir == tmp_path / "home-trust" / "keys" and home not in first.trust.keys_dir.parents
    assert os.stat(first.trust.keys_dir).st_mode & 0o777 == 0o700
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in [*first.keys.values(), first.trust.release_key])
    assert not list(home.rglob("*.pem"))  # no private key in the home
    before = {p: p.read_bytes() for p in [first.policy_path, first.trust.trusted_keys, *first.keys.values()]}
    again = init_demo_governance(home, local)
    assert not again.policy_written and before == {p: p.read_bytes() for p in before}
    policy = load_policy(first.policy_path)
    key = load_private_key(first.keys["mo.risk"])
    signed = sign_approval(key, MODEL, 1, HASH, "model_risk", "CHG-1", "mo.risk", "promotion", WHEN, trained_by="ana.trainer")
    assert signed.verifies(policy.principal("mo.risk").verifying_key())
    assert policy.requirement("prod", "promotion").required_roles == ("model_risk", "compliance")
    assert policy.requirement("prod", "break_glass").required_roles == ("incident_commander",)
    # The manufacturer's use case answers to plant operations; its deployment falls back to prod's.
    assert policy.requirement("prod", "promotion", "machine_failure").required_roles == ("reliability_engineer", "safety_officer")
    assert policy.requirement("prod", "deployment", "machine_failure").required_roles == ("release_manager",)


def test_demo_governance_never_writes_into_the_repository():
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    with pytest.raises(GovernanceError, match="refusing to write demo keys into the repository"):
        init_demo_governance(repo / "gates", load_environment("local"))
    assert not (repo / "gates" / "governance").exists()


def test_approval_round_trips_through_its_dict():
    assert Approval.from_dict(VALID[0].to_dict()) == VALID[0]
    with pytest.raises(ApprovalError, match="not a Lakegate approval"):
        Approval.from_dict({"model": MODEL})


def test_a_use_case_can_have_its_own_required_roles():
    raw = policy_dict(use_cases={"machine_failure": {"prod": {"promotion": {"required_roles": ["release_manager"]}}}})
    policy = parse_policy(raw)
    machine = approve("rel.manager", "release_manager")
    assert gate([machine], policy=policy, use_case="machine_failure").passed
    blocked(gate([machine], policy=policy), "missing_role", "model_risk, compliance")  # others keep prod's roles
    with pytest.raises(GovernanceError, match="use_cases.machine_failure.prod.promotion requires role 'nobody'"):
        parse_policy(policy_dict(use_cases={"machine_failure": {"prod": {"promotion": {"required_roles": ["nobody"]}}}}))
