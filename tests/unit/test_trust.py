"""The roots of trust: signed policies, the trusted-keys file, the ledger anchor outside the home,
and a secret guard that knows file-based secrets too."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lakegate.environment import ConfigError, load_environment
from lakegate.ledger import Ledger, SecretInRecordError
from lakegate.policy_signatures import PolicyTrustError, read_signed_policy, sign_policy
from lakegate.signing import public_key_pem
from lakegate.trust import TrustError, load_trusted_keys, parse_trusted_keys, trust_paths, trusted_keys_text
from tests.ledger_tools import rewrite

OWNER, OTHER = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()


def trusted(owner=OWNER):
    return parse_trusted_keys({"keys": [{"id": "gov.owner", "role": "governance_owner",
                                         "public_key": public_key_pem(owner.public_key())}]}, "test")


@pytest.fixture
def policy_ledger(tmp_path) -> Ledger:
    return Ledger(tmp_path / "audit" / "ledger.jsonl")


@pytest.fixture
def policy_file(tmp_path, policy_ledger):
    path = tmp_path / "promotion.local.yaml"
    path.write_text("version: '2026-12-01.1'\nenvironment: local\nperformance: {min_value: 0.6}\n")
    sign_policy(path.read_bytes(), path.name, OWNER, "gov.owner", tmp_path, policy_ledger)
    return path


def test_a_signed_policy_reads_with_its_hash_and_signer(policy_file, tmp_path, policy_ledger):
    signed = read_signed_policy(policy_file, tmp_path, trusted(), policy_ledger)
    assert signed.signer == "gov.owner" and signed.data == policy_file.read_bytes() and len(signed.sha256) == 64
    assert [r.subject for r in policy_ledger.records("policy_signature")] == [{"policy": policy_file.name,
                                                                               "sha256": signed.sha256}]


def test_an_edited_policy_fails_closed(policy_file, tmp_path, policy_ledger):
    # Two invented approvers, or a loosened threshold: any byte changed voids the signature.
    policy_file.write_text(policy_file.read_text().replace("0.6", "0.1"))
    with pytest.raises(PolicyTrustError, match="is not signed by a governance owner: it was changed after signing"):
        read_signed_policy(policy_file, tmp_path, trusted(), policy_ledger)


def test_an_older_signed_policy_put_back_is_superseded_until_signed_again(policy_file, tmp_path, policy_ledger):
    old = policy_file.read_bytes()
    policy_file.write_bytes(old.replace(b"0.6", b"0.7"))
    sign_policy(policy_file.read_bytes(), policy_file.name, OWNER, "gov.owner", tmp_path, policy_ledger)
    policy_file.write_bytes(old)  # signed once, but no longer the version in force
    with pytest.raises(PolicyTrustError, match="an older signed policy was put back"):
        read_signed_policy(policy_file, tmp_path, trusted(), policy_ledger)
    sign_policy(old, policy_file.name, OWNER, "gov.owner", tmp_path, policy_ledger)  # the owner restores it on purpose
    assert read_signed_policy(policy_file, tmp_path, trusted(), policy_ledger).data == old
    assert len(policy_ledger.records("policy_signature")) == 3


def test_a_policy_signed_by_an_untrusted_key_or_with_a_forged_signature_fails(policy_file, tmp_path, policy_ledger):
    with pytest.raises(PolicyTrustError, match="does not verify against a trusted governance-owner key"):
        read_signed_policy(policy_file, tmp_path, trusted(OTHER), policy_ledger)  # the auditor trusts another owner
    signature = next((tmp_path / "governance" / "signatures").glob("*.json"))
    doc = json.loads(signature.read_text())
    signature.write_text(json.dumps({**doc, "signer": "gov.owner", "signed_at": "2030-01-01T00:00:00Z"}))
    with pytest.raises(PolicyTrustError, match="does not verify"):
        read_signed_policy(policy_file, tmp_path, trusted(), policy_ledger)


def test_trust_paths_live_outside_the_home_and_are_required_where_not_local(tmp_path, monkeypatch):
    home = tmp_path / "home"
    for name in ("LAKEGATE_TRUSTED_KEYS", "LAKEGATE_LEDGER_ANCHOR", "LAKEGATE_RELEASE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    local = trust_paths(load_environment("local"), home)
    assert local.anchor == tmp_path / "home-trust" / "ledger-anchor.jsonl"
    with pytest.raises(ConfigError, match="environment test needs \\$LAKEGATE_TRUSTED_KEYS"):
        trust_paths(load_environment("test"), home)
    monkeypatch.setenv("LAKEGATE_LEDGER_ANCHOR", str(home / "audit" / "anchor.jsonl"))
    with pytest.raises(ConfigError, match="is inside LAKEGATE_HOME"):
        trust_paths(load_environment("local"), home)


def test_a_missing_or_bad_trusted_keys_file_is_a_clear_error(tmp_path):
    with pytest.raises(TrustError, match="no trusted keys at"):
        load_trusted_keys(tmp_path / "none.yaml")
    path = tmp_path / "keys.yaml"
    path.write_text(trusted_keys_text([("gov.owner", "admin", public_key_pem(OWNER.public_key()))]))
    with pytest.raises(TrustError, match="keys.0.role"):
        load_trusted_keys(path)


# the ledger anchor


def fill(ledger: Ledger, n: int) -> None:
    for i in range(n):
        ledger.append("gate_evaluation", "ci", {"model": "dev.claims.triage_model", "version": str(i)}, {}, {"passed": True})


@pytest.fixture
def anchored(tmp_path) -> Ledger:
    ledger = Ledger(tmp_path / "home" / "audit" / "ledger.jsonl", anchor=tmp_path / "trust" / "anchor.jsonl")
    fill(ledger, 5)
    return ledger


def test_every_append_publishes_the_head_and_the_ledger_extends_it(anchored):
    heads = [json.loads(line) for line in anchored.anchor.read_text().splitlines()]
    assert [h["seq"] for h in heads] == [1, 2, 3, 4, 5]
    assert {h["ledger_id"] for h in heads} == {anchored.records()[0].hash}
    assert anchored.verify(anchor=anchored.anchor).ok


def test_a_full_rewrite_with_fresh_hashes_passes_alone_but_not_against_the_anchor(anchored):
    rewrite(anchored, 5, {"seq": 3, "fields": {"outcome": {"passed": False}}})
    assert anchored.verify().ok  # chain and head were recomputed: the ledger alone cannot tell
    problems = [str(p) for p in anchored.verify(anchor=anchored.anchor).problems]
    assert any("record 3 hashes to" in p and "rewritten behind its anchor" in p for p in problems), problems


def test_a_rewrite_from_the_first_record_is_named(anchored):
    rewrite(anchored, 5, {"seq": 1, "fields": {"actor": "someone.else"}})
    problems = [str(p) for p in anchored.verify(anchor=anchored.anchor).problems]
    assert any("rewritten from its first record" in p for p in problems), problems


def test_a_truncation_with_the_head_rewritten_is_caught_by_the_anchor(anchored):
    rewrite(anchored, 3)
    assert anchored.verify().ok
    problems = [str(p) for p in anchored.verify(anchor=anchored.anchor).problems]
    assert any("ledger ends at record 3: it was truncated behind its anchor" in p for p in problems), problems


def test_no_anchor_where_one_is_expected_is_a_problem(anchored):
    anchored.anchor.unlink()
    assert "no ledger anchor at" in str(anchored.verify(anchor=anchored.anchor).problems[0])


# the secret guard


def test_file_based_secrets_never_reach_the_ledger(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / "serving_admin.token").write_text("adm1n-t0ken-from-a-file-not-the-env\n")
    monkeypatch.setenv("LAKEGATE_HOME", str(home))
    ledger = Ledger.for_home(home, load_environment("local"))
    with pytest.raises(SecretInRecordError, match="the file secrets/serving_admin.token") as caught:
        ledger.append("traffic_change", "admin", {"endpoint": "e"}, {"header": "Bearer adm1n-t0ken-from-a-file-not-the-env"}, {})
    assert "adm1n" not in str(caught.value)
    assert not ledger.path.exists() or "adm1n" not in ledger.path.read_text()
