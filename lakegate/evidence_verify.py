"""Check an evidence bundle (lakegate.evidence) from the zip alone and the auditor's trusted keys: no
LAKEGATE_HOME, no MLflow, and no key taken from the bundle.

1. The manifest is signed by a release key the auditor trusts; every file matches it, none missing
   or extra.
2. The whole ledger recomputes, chains from genesis and ends at the signed head; with the auditor's
   copy of the anchor log, it still extends every head published there.
3. Every policy a verdict names is bundled and signed by a governance owner the auditor trusts.
4. The chain is the ledger's: each link is a promotion record of this artifact, and the origin a
   training record, which names the trainer.
5. Every gate verdict passed, is its ledger record, names a chain version, this artifact and a
   bundled signed policy; every gate the promotions required, and every gate the signed promotion
   policy defines, is there.
6. The approvals pass the approval gate again, under the signed governance policy, with the ledger's
   trainer and the bundled tickets: the judge is the platform's own gate function, which the CLI
   hands in (the core does not import the gates package).
Each problem is one clear sentence.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lakegate import evidence_checks as checks
from lakegate.signing import sha256_hex
from lakegate.trust import RELEASE, TrustedKeys

MANIFEST, MANIFEST_SIGNATURE = "manifest.json", "manifest.sig.json"
SIGNATURE_KIND = "lakegate.manifest-signature/v1"


class BundleError(ValueError):
    """A bundle that cannot be read at all (missing, not a zip, no manifest). For the user as it is."""


class ApprovalJudge(Protocol):
    def __call__(self, *, model: str, version: str, artifact_hash: str, trained_by: str | None, target_env: str,
                 purpose: str, approvals: list, policy, register, prior_promotion_approvers: list[str],
                 endpoint: str | None, use_case: str | None) -> tuple[bool, str]:
        """(passed, reason) of the approval gate on these records."""


@dataclass
class BundleCheck:
    path: Path
    model: str | None = None
    version: str | None = None
    signer: str | None = None
    checked: dict[str, int] = field(default_factory=dict)  # what was checked: files, records, approvals, ...
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_bundle(path: str | Path) -> dict[str, bytes]:
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"no evidence bundle at {path}")
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            if len(set(names)) != len(names):
                raise BundleError(f"{path} holds the same file name twice; it is not a bundle Lakegate wrote")
            return {name: zf.read(name) for name in names if not name.endswith("/")}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError(f"{path} is not a readable zip ({exc})") from None


def verify_bundle(path: str | Path, trusted: TrustedKeys, judge: ApprovalJudge,
                  anchors: list[dict] | None = None) -> BundleCheck:
    """Every problem found in the bundle; BundleError when it cannot be read as a bundle at all."""
    files = read_bundle(path)
    if MANIFEST not in files:
        raise BundleError(f"{path} has no {MANIFEST}: it is not an evidence bundle")
    try:
        manifest = json.loads(files[MANIFEST])
        listed = manifest["files"]
        assert isinstance(listed, dict) and isinstance(manifest.get("chain"), list)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise BundleError(f"{path}: {MANIFEST} is not a readable manifest") from None
    check = BundleCheck(Path(path), manifest.get("model"), manifest.get("version"))
    problem = check.problems.append
    check.signer = _manifest_signer(files, trusted, problem)
    _check_files(files, listed, problem)
    check.checked["files"] = len(listed)
    records = checks.ledger_records(files, manifest, anchors, problem)
    check.checked["ledger records"] = len(records)
    policies = checks.signed_policies(files, trusted, problem)
    check.checked["signed policies"] = len(policies)
    links = checks.chain_links(manifest, records, problem)
    trainer = checks.trainer_of(records, manifest.get("artifact_sha256"), problem)
    verdicts = checks.gate_verdicts(files, manifest, records, policies, links, problem)
    check.checked["gate verdicts"] = len(verdicts)
    check.checked["approvals"] = checks.approvals(files, manifest, records, policies, verdicts, trainer, judge, problem)
    check.checked["cost records"] = checks.cost_records(files, records, problem)
    lock = manifest.get("requirements_lock") or {}
    data = files.get("code/requirements.lock")
    if data is not None and sha256_hex(data) != lock.get("run_tag"):
        problem(f"code/requirements.lock (sha256 {sha256_hex(data)[:12]}…) is not the lock file the model was trained "
                f"with (run tag {str(lock.get('run_tag'))[:12]}…)")
    return check


def _manifest_signer(files: dict[str, bytes], trusted: TrustedKeys, problem) -> str | None:
    try:
        signature = json.loads(files.get(MANIFEST_SIGNATURE, b""))
    except ValueError:
        signature = None
    if not isinstance(signature, dict):
        problem(f"{MANIFEST_SIGNATURE} is missing or unreadable: the manifest is unsigned")
        return None
    if signature.get("kind") != SIGNATURE_KIND or signature.get("manifest_sha256") != sha256_hex(files[MANIFEST]):
        problem(f"{MANIFEST_SIGNATURE} does not sign this {MANIFEST} (the manifest was changed after signing)")
        return None
    signer = trusted.signer(signature, RELEASE)
    if signer is None:
        problem(f"the manifest's signature by {signature.get('signer')!r} does not verify against any release key you "
                f"trust ({', '.join(trusted.holders(RELEASE)) or 'none'})")
    return signer


def _check_files(files: dict[str, bytes], listed: dict, problem) -> None:
    for name, entry in sorted(listed.items()):
        data = files.get(name)
        if data is None:
            problem(f"{name} is listed in the manifest but missing from the bundle")
        elif not isinstance(entry, dict) or sha256_hex(data) != entry.get("sha256"):
            problem(f"{name} was modified: its SHA-256 {sha256_hex(data)[:12]}… does not match the manifest's "
                    f"{str(entry.get('sha256') if isinstance(entry, dict) else entry)[:12]}…")
        elif len(data) != entry.get("size"):
            problem(f"{name} is {len(data)} bytes, the manifest says {entry.get('size')}")
    for name in sorted(set(files) - set(listed) - {MANIFEST, MANIFEST_SIGNATURE}):
        problem(f"{name} is in the bundle but not in the manifest (an added file)")
