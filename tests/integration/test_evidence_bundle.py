"""The evidence bundle: `lakegate audit export` on a real demo chain (dev v1 → test v1 → prod v1
@champion), then `lakegate audit verify-bundle` on it as exported and after each kind of tampering."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
LAKEGATE = str(Path(sys.executable).with_name("lakegate"))
MODEL = "prod.claims.triage_model"


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAKEGATE_HOME": str(home), "LAKEGATE_ENV": "local"}
    env.pop("LAKEGATE_PII_HMAC_KEY", None)
    return subprocess.run([LAKEGATE, *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("evidence-home")
    # 3,000 claims are too few for the automated gates (held-out rows, bias groups, stability), so
    # the demo would stop before test and prod; 10,000 reach champion in about 40 s.
    demo = run_cli(path, "demo", "--claims", "10000", "--members", "1000")
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "promotion stopped" not in demo.stdout, demo.stdout[-3000:]
    return path


@pytest.fixture(scope="module")
def bundle(home, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "evidence.zip"
    result = run_cli(home, "audit", "export", MODEL, "champion", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " files, sha256 " in result.stdout
    assert hashlib.sha256(out.read_bytes()).hexdigest() in result.stdout
    return out


def contents(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rewrite(src: Path, dst: Path, files: dict[str, bytes], refresh_manifest: bool = False) -> Path:
    """Write `files` as a new zip; refresh_manifest re-hashes them as a careful forger would."""
    if refresh_manifest:
        manifest = json.loads(files["manifest.json"])
        for name in manifest["files"]:
            if name in files:
                manifest["files"][name] = {"sha256": hashlib.sha256(files[name]).hexdigest(), "size": len(files[name])}
        files = {**files, "manifest.json": json.dumps(manifest).encode()}
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return dst


def verify(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    # From the zip alone: an empty LAKEGATE_HOME that holds nothing.
    return run_cli(tmp_path / "empty-home", "audit", "verify-bundle", str(path))


def test_exported_bundle_verifies_and_holds_every_part(bundle, tmp_path):
    result = verify(bundle, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # Two promotion approvals and the release manager's deployment approval (the demo deploys).
    assert result.stdout.startswith("OK:") and "3 approvals" in result.stdout

    files = contents(bundle)
    manifest = json.loads(files["manifest.json"])
    assert set(manifest["files"]) == set(files) - {"manifest.json"}
    assert [(c["model"], c["version"]) for c in manifest["chain"]] == [
        (MODEL, "1"), ("test.claims.triage_model", "1"), ("dev.claims.triage_model", "1")]
    assert manifest["requirements_lock"]["matches"] is True
    assert len(manifest["artifact_sha256"]) == 64 and manifest["lakegate_git_commit"]

    assert b"# Model card" in files["model/model_card.md"]
    metrics = json.loads(files["model/metrics.json"])
    assert metrics["metrics"] and metrics["params"] and metrics["tags"]["lakegate.principal"] == "ana.trainer"
    assert hashlib.sha256(files["code/requirements.lock"]).hexdigest() == metrics["tags"]["lakegate.requirements_lock_sha256"]

    lineage = json.loads(files["data/lineage.json"])
    assert lineage["training_set"]["table"] == "dev.ml.claims_triage_training_set"
    landed = []

    def walk(node):
        landed.extend(node.get("files", []))
        for upstream in node.get("inputs", []):
            walk(upstream)

    walk(lineage["lineage"])
    assert landed and all(len(f["content_hash"]) == 64 for f in landed)

    for gate in ("quality", "performance", "bias", "stability", "skew", "approvals", "deployment_approvals"):
        verdict = json.loads(files[f"gates/{gate}.json"])
        assert verdict["passed"] is True and verdict["thresholds"], gate
    assert json.loads(files["gates/performance.json"])["thresholds"]["min_value"] > 0
    assert json.loads(files["gates/bias_report.json"])["measured"]["attributes"]

    approvals = [json.loads(d) for n, d in files.items() if n.startswith("approvals/") and not n.endswith("public_keys.json")]
    assert sorted((a["principal"], a["purpose"]) for a in approvals) == [
        ("cy.compliance", "promotion"), ("mo.risk", "promotion"), ("rel.manager", "deployment")]
    assert all(a["signature"] and a["ticket"] == "CHG-0001" for a in approvals if a["purpose"] == "promotion")
    keys = json.loads(files["approvals/public_keys.json"])["principals"]
    assert set(keys) == {"cy.compliance", "mo.risk", "rel.manager"}
    assert json.loads(files["ticket/CHG-0001.json"])["status"] == "approved"

    records = [json.loads(line) for line in files["ledger/records.jsonl"].splitlines()]
    kinds = {r["kind"] for r in records}
    assert {"gate_evaluation", "approval", "promotion", "alias_move"} <= kinds
    assert json.loads(files["ledger/verify.json"])["ok"] is True
    assert not any(b"PRIVATE KEY" in data for data in files.values())


def _edit_byte(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data
    return data.replace(old, new, 1)


@pytest.mark.parametrize("case", ["edited_file", "removed_file", "edited_record", "altered_signature"])
def test_tampering_is_detected(bundle, tmp_path, case):
    files = contents(bundle)
    refresh = False
    if case == "edited_file":
        data = files["gates/performance.json"]
        files["gates/performance.json"] = data.replace(b'"passed": true', b'"passed": True', 1)
        expected = "gates/performance.json was modified"
    elif case == "removed_file":
        del files["gates/bias_report.json"]
        expected = "gates/bias_report.json is listed in the manifest but missing"
    elif case == "edited_record":
        lines = files["ledger/records.jsonl"].splitlines(keepends=True)
        lines[1] = _edit_byte(lines[1], b'"passed":true', b'"passed":false') if b'"passed":true' in lines[1] \
            else _edit_byte(lines[1], b'"reason":"', b'"reason":"X')
        files["ledger/records.jsonl"] = b"".join(lines)
        refresh = True  # even with a manifest rewritten to match, the record's own hash gives it away
        expected = "ledger record 2 (ledger/records.jsonl line 2) was edited"
    else:
        name = next(n for n in files if n.startswith("approvals/") and "mo.risk" in n)
        approval = json.loads(files[name])
        signature = bytearray(approval["signature"].encode())
        signature[5] = ord("A") if signature[5] != ord("A") else ord("B")
        approval["signature"] = signature.decode()
        files[name] = json.dumps(approval, indent=2, sort_keys=True).encode()
        refresh = True
        expected = "the Ed25519 signature does not verify against mo.risk's public key"
    tampered = rewrite(bundle, tmp_path / f"{case}.zip", files, refresh_manifest=refresh)
    result = verify(tampered, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED" in result.stdout and expected in result.stdout, result.stdout


def test_unreadable_bundles_and_unknown_versions_exit_2(home, tmp_path):
    missing = verify(tmp_path / "nope.zip", tmp_path)
    assert missing.returncode == 2 and "no evidence bundle" in missing.stderr
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"not a zip at all")
    result = verify(corrupt, tmp_path)
    assert result.returncode == 2 and "not a readable zip" in result.stderr

    unknown = run_cli(home, "audit", "export", MODEL, "99", str(tmp_path / "x.zip"))
    assert unknown.returncode == 2 and "has no version 99" in unknown.stderr and "Traceback" not in unknown.stderr
    nobody = run_cli(home, "audit", "export", "prod.claims.no_such_model", "1", str(tmp_path / "y.zip"))
    assert nobody.returncode == 2 and "is not registered" in nobody.stderr
    assert not (tmp_path / "x.zip").exists()
