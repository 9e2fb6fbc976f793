"""The evidence bundle of the session demo's champion (prod v1 ← test v1 ← dev v1): `lakegate audit
export`, then `lakegate audit verify-bundle` with the auditor's own trusted keys, as exported and
after each kind of tampering. Forgeries are re-hashed and even re-signed with the real release key
(the worst case: someone stole it), to show that each deeper check stands on its own."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.e2e.conftest import cli_in_process as run_cli

pytestmark = pytest.mark.e2e
MODEL = "prod.claims.triage_model"


@pytest.fixture(scope="module")
def exported(demo, tmp_path_factory):
    home, result = demo
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = tmp_path_factory.mktemp("bundle") / "evidence.zip"
    done = run_cli(home, "audit", "export", MODEL, "1", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() in done.stdout and "manifest signed by platform.release" in done.stdout
    return home, out


def trust(home: Path) -> Path:
    return home.with_name(home.name + "-trust")


def contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def release_key(home: Path):
    from lakegate.signing import load_private_key

    return load_private_key(trust(home) / "keys" / "platform.release.pem")


def forge(home: Path, dst: Path, files: dict[str, bytes], key="real", manifest_edit=None) -> Path:
    """Re-hash every file into the manifest and re-sign it (with `key`: the real release key, another, or None)."""
    from lakegate.signing import sha256_hex, signed

    manifest = json.loads(files["manifest.json"])
    manifest["files"] = {n: {"sha256": sha256_hex(d), "size": len(d)} for n, d in files.items()
                         if n not in ("manifest.json", "manifest.sig.json")}
    if manifest_edit:
        manifest_edit(manifest)
    files = {**files, "manifest.json": json.dumps(manifest, indent=2, sort_keys=True).encode()}
    if key is None:
        files.pop("manifest.sig.json", None)
    else:
        signer = release_key(home) if key == "real" else key
        files["manifest.sig.json"] = json.dumps(signed(signer, {"kind": "lakegate.manifest-signature/v1", "signer": "platform.release",
                                                                "manifest_sha256": sha256_hex(files["manifest.json"])})).encode()
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return dst


def verify(home: Path, bundle: Path, *extra: str, keys: Path | None = None):
    # From the zip alone: an empty LAKEGATE_HOME; the trusted keys are the auditor's own file.
    return run_cli(home.parent / "auditor-home", "audit", "verify-bundle", str(bundle),
                   "--trusted-keys", str(keys or trust(home) / "trusted_keys.yaml"), *extra)


def detected(home: Path, bundle: Path, *needles: str) -> str:
    result = verify(home, bundle)
    assert result.returncode == 1, result.stdout + result.stderr
    for needle in needles:
        assert needle in result.stdout, result.stdout
    return result.stdout


def test_the_exported_bundle_verifies_against_the_auditors_keys_and_anchor(exported):
    home, bundle = exported
    result = verify(home, bundle, "--anchor-file", str(trust(home) / "ledger-anchor.jsonl"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK:") and "3 approvals" in result.stdout and "signed by platform.release" in result.stdout

    files = contents(bundle)
    manifest = json.loads(files["manifest.json"])
    assert set(manifest["files"]) == set(files) - {"manifest.json", "manifest.sig.json"}
    assert [(c["model"], c["version"]) for c in manifest["chain"]] == [
        (MODEL, "1"), ("test.claims.triage_model", "1"), ("dev.claims.triage_model", "1")]
    assert manifest["requirements_lock"]["matches"] is True and len(manifest["artifact_sha256"]) == 64
    assert manifest["ledger_head"]["seq"] == len(files["ledger/ledger.jsonl"].splitlines())
    assert b"# Model card" in files["model/model_card.md"]
    lineage = json.loads(files["data/lineage.json"])
    assert lineage["training_set"]["table"] == "dev.ml.claims_triage_training_set"
    for gate in ("quality", "performance", "bias", "stability", "calibration", "skew", "unit_tests", "approvals",
                 "deployment_approvals"):
        verdict = json.loads(files[f"gates/{gate}.json"])
        assert verdict["passed"] is True and verdict["thresholds"] and f"policies/{verdict['policy_sha256']}.yaml" in files, gate
    approvals = [json.loads(d) for n, d in files.items() if n.startswith("approvals/")]
    assert sorted((a["principal"], a["purpose"], a["trained_by"]) for a in approvals) == [
        ("cy.compliance", "promotion", "ana.trainer"), ("mo.risk", "promotion", "ana.trainer"),
        ("rel.manager", "deployment", "ana.trainer")]
    assert json.loads(files["tickets/CHG-0001.json"])["approved_by"] == "cab.chair"
    assert not any(n.endswith("public_keys.json") for n in files), "the bundle carries no key to check it with"
    assert not any(b"PRIVATE KEY" in data for data in files.values())


def test_the_bundles_own_keys_are_never_trusted(exported, tmp_path):
    home, bundle = exported
    stranger = tmp_path / "keys.yaml"
    from lakegate.signing import public_key_pem
    from lakegate.trust import trusted_keys_text

    other = Ed25519PrivateKey.generate().public_key()
    stranger.write_text(trusted_keys_text([("platform.release", "release", public_key_pem(other)),
                                           ("gov.owner", "governance_owner", public_key_pem(other))]))
    result = verify(home, bundle, keys=stranger)
    assert result.returncode == 1
    assert "does not verify against any release key you trust" in result.stdout
    assert "does not verify against a trusted governance-owner key" in result.stdout


def test_a_consistent_rehash_after_editing_metrics_thresholds_or_verdicts_is_detected(exported, tmp_path):
    home, bundle = exported
    files = contents(bundle)
    verdict = json.loads(files["gates/performance.json"])
    verdict["thresholds"]["min_value"] = 0.01
    files["gates/performance.json"] = json.dumps(verdict).encode()
    metrics = json.loads(files["model/metrics.json"])
    metrics["metrics"] = {k: 0.99 for k in metrics["metrics"]}
    files["model/metrics.json"] = json.dumps(metrics).encode()
    detected(home, forge(home, tmp_path / "unsigned.zip", files, key=None), "the manifest is unsigned")
    detected(home, forge(home, tmp_path / "selfsigned.zip", files, key=Ed25519PrivateKey.generate()),
             "does not verify against any release key you trust")
    # Even re-signed with the real release key, the verdict no longer matches its ledger record.
    detected(home, forge(home, tmp_path / "stolen.zip", files), "gates/performance.json: gate performance on "
             "dev.claims.triage_model v1 differs from its ledger record")


def test_swapped_keys_with_re_signed_approvals_are_detected(exported, tmp_path):
    from lakegate.governance.approvals import Approval, sign_approval
    from lakegate.signing import public_key_pem, sha256_hex

    home, bundle = exported
    files = contents(bundle)
    name = next(n for n in files if n.startswith("policies/") and n.endswith(".yaml") and b"principals" in files[n])
    policy = yaml.safe_load(files[name])
    mine = {p["id"]: Ed25519PrivateKey.generate() for p in policy["principals"]}
    for p in policy["principals"]:
        p["public_key"] = public_key_pem(mine[p["id"]].public_key())
    forged_policy = yaml.safe_dump(policy).encode()
    digest = sha256_hex(forged_policy)
    old = name[len("policies/"):-len(".yaml")]
    files[f"policies/{digest}.yaml"] = forged_policy
    files[f"policies/{digest}.sig.json"] = files.pop(f"policies/{old}.sig.json")
    del files[name]
    for n in [n for n in files if n.startswith("approvals/")]:
        a = Approval.from_dict(json.loads(files[n]))
        resigned = sign_approval(mine[a.principal], a.model, a.version, a.artifact_hash, a.role, a.ticket, a.principal,
                                 a.purpose, a.time, trained_by=a.trained_by, endpoint=a.endpoint)
        files[n] = json.dumps(resigned.to_dict()).encode()
    detected(home, forge(home, tmp_path / "swapped.zip", files),
             "does not sign these bytes", "no approval record in the ledger carries this signature")


def test_an_approver_who_is_in_no_policy_is_detected(exported, tmp_path):
    from lakegate.governance.approvals import Approval, sign_approval

    home, bundle = exported
    files = contents(bundle)
    name = next(n for n in files if n.startswith("approvals/") and "cy.compliance" in n)
    a = Approval.from_dict(json.loads(files[name]))
    outsider = sign_approval(Ed25519PrivateKey.generate(), a.model, a.version, a.artifact_hash, a.role, a.ticket,
                             "eve.outsider", a.purpose, dt.datetime.now(dt.timezone.utc), trained_by=a.trained_by)
    files[name.replace("cy.compliance", "eve.outsider")] = json.dumps(outsider.to_dict()).encode()
    detected(home, forge(home, tmp_path / "outsider.zip", files),
             "eve.outsider is not a principal in the governance policy")


def test_a_dropped_gate_with_its_ledger_record_is_detected(exported, tmp_path):
    from lakegate.ledger_format import GENESIS, canonical, record_hash

    home, bundle = exported
    files = contents(bundle)
    dropped = json.loads(files.pop("gates/bias.json"))
    files.pop("gates/bias_report.json")
    records = [json.loads(line) for line in files["ledger/ledger.jsonl"].splitlines()]
    records = [r for r in records if r["seq"] != dropped["ledger_seq"]]
    prev = GENESIS
    for seq, r in enumerate(records, start=1):  # renumber and re-chain, as a careful forger would
        r["seq"], r["prev_hash"] = seq, prev
        r["hash"] = prev = record_hash(r)
    files["ledger/ledger.jsonl"] = "".join(canonical(r) + "\n" for r in records).encode()

    def head(manifest):
        manifest["ledger_head"] = {"seq": len(records), "hash": prev, "ledger_id": records[0]["hash"]}

    out = detected(home, forge(home, tmp_path / "dropped.zip", files, manifest_edit=head),
                   "gate bias, which the promotion into test.claims.triage_model v1 required, has no verdict")
    assert "which the signed promotion policy" in out and "requires, has no verdict on dev.claims.triage_model v1" in out
    anchored = verify(home, tmp_path / "dropped.zip", "--anchor-file", str(trust(home) / "ledger-anchor.jsonl"))
    assert "against your anchor" in anchored.stdout


def test_a_manifest_relabelled_to_another_version_is_detected(exported, tmp_path):
    home, bundle = exported
    files = contents(bundle)

    def relabel(manifest):
        manifest["version"] = "2"
        manifest["chain"][0]["version"] = "2"

    detected(home, forge(home, tmp_path / "relabelled.zip", files, key=None), "the manifest is unsigned")
    detected(home, forge(home, tmp_path / "relabelled-signed.zip", files, manifest_edit=relabel),
             f"{MODEL} v2: the ledger holds no promotion of artifact")


def test_edits_without_a_new_manifest_and_unreadable_bundles(exported, tmp_path):
    home, bundle = exported
    files = contents(bundle)
    files["gates/performance.json"] = files["gates/performance.json"].replace(b'"passed": true', b'"passed": True', 1)
    del files["gates/bias_report.json"]
    with zipfile.ZipFile(tmp_path / "edited.zip", "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    detected(home, tmp_path / "edited.zip", "gates/performance.json was modified",
             "gates/bias_report.json is listed in the manifest but missing")
    missing = verify(home, tmp_path / "nope.zip")
    assert missing.returncode == 2 and "no evidence bundle" in missing.stderr
    (tmp_path / "corrupt.zip").write_bytes(b"not a zip at all")
    corrupt = verify(home, tmp_path / "corrupt.zip")
    assert corrupt.returncode == 2 and "not a readable zip" in corrupt.stderr
    unknown = run_cli(home, "audit", "export", MODEL, "99", str(tmp_path / "x.zip"))
    assert unknown.returncode == 2 and "has no version 99" in unknown.stderr and not (tmp_path / "x.zip").exists()
