"""The evidence bundle: one zip with everything an auditor needs about one model version, signed.

`export_bundle` follows the version's promotion chain back (prod v1 ← test v1 ← dev v1) and writes,
as separate files:

    manifest.json               every other file's SHA-256 and size; model, version, artifact hash,
                                the chain, the ledger head, created_at, git commit, lock-file match
    manifest.sig.json           the release signer's Ed25519 signature over manifest.json
    model/model_card.md         from the MLflow run of the original (dev) version
    model/metrics.json          that run's metrics, params and tags
    data/lineage.json           training set table@version and everything upstream, to the landed files
    code/requirements.lock      the lock file (the one whose SHA-256 the run recorded, when found)
    gates/<gate>.json           the latest check verdict of each gate on the chain's versions
    gates/bias_report.json      the bias gate's per-group figures
    policies/<sha256>.yaml      every policy a verdict was judged under, as signed,
    policies/<sha256>.sig.json  with its governance owner's signature
    approvals/*.json            the signed approvals of the chain's versions, as stored
    tickets/<id>.json           each change ticket the approvals cite, with its signed approval
    ledger/ledger.jsonl         the whole audit ledger up to the head, verbatim
    ledger/head.json            that head, and the latest head published to the anchor
    dashboard/model_page.html   the dashboard's page of the model as it was at export, scripts inlined
                                (given by the caller, as every file passed in `extra_files`)

The bundle carries no key to check it with: `lakegate.evidence_verify.verify_bundle` takes the
auditor's own trusted keys. What it proves and does not prove: docs/decisions/0011-evidence-bundle.md.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lakegate import ledger_anchor
from lakegate.artifact import model_artifact_hash
from lakegate.environment import current_environment, lakegate_home
from lakegate.evidence_checks import COST_KINDS, COST_RECORDS
from lakegate.evidence_verify import MANIFEST, MANIFEST_SIGNATURE, SIGNATURE_KIND, BundleError
from lakegate.governance.approvals import Approval, approvals_dir
from lakegate.governance.change_register import load_register, register_path
from lakegate.lake import environment_lake
from lakegate.ledger import Ledger, parse_line
from lakegate.lineage import trace
from lakegate.policy_signatures import stored_policy
from lakegate.registry import REFERENCE_PROFILE_ARTIFACT, Registry, RegistryError, Tags
from lakegate.secrets import find_secret
from lakegate.signing import load_private_key, parse_public_key, same_public_key, sha256_hex, signed, utc_stamp
from lakegate.trust import RELEASE, TrustError, load_trusted_keys, trust_paths

FORMAT = "lakegate.evidence/v2"
PROMOTED_FROM = "lakegate.promoted_from"
REPO_ROOT = Path(__file__).resolve().parents[1]
LOCK = "requirements.lock"
MAX_CHAIN = 10  # a promotion chain is dev → test → prod; anything longer is a loop


@dataclass(frozen=True)
class BundleSummary:
    path: Path
    model: str
    version: str
    artifact_sha256: str
    chain: list[dict]
    files: int  # files in the zip, manifest and signature included
    sha256: str  # of the zip itself
    signer: str


def export_bundle(model: str, version: str | int, out_path: str | Path, home: Path | None = None,
                  extra_files: dict[str, bytes] | None = None) -> BundleSummary:
    """Write the signed evidence bundle of `model` `version` (a number or an alias) to `out_path`.
    `extra_files` (name → bytes) go in beside the rest, listed and hashed in the manifest."""
    home = Path(home) if home else lakegate_home()
    env = current_environment()
    trust = trust_paths(env, home)
    signer, release_key = _release_signer(trust)
    registry = Registry.from_env(home=home)
    registry.require_store()
    number = str(registry.model_version(model, version).version)
    artifact = model_artifact_hash(registry, model, number)
    chain = promotion_chain(registry, model, number)
    origin = chain[-1]
    run = registry.run(origin["run_id"]) if origin["run_id"] else None
    if run is None:
        raise RegistryError(f"{origin['model']} v{origin['version']} has no MLflow run: it was not trained by Lakegate")
    run_tags = dict(run.data.tags)
    ledger = Ledger.for_home(home, env)
    verified = ledger.verify(anchor=ledger.anchor)
    if not verified.ok:
        raise BundleError("refused to export: the audit ledger fails verification ("
                          + "; ".join(str(p) for p in verified.problems[:3]) + "); run `lakegate audit verify --anchor`")

    files: dict[str, bytes] = {}
    files["model/model_card.md"] = registry.run_artifact(run.info.run_id, "model_card.md")
    files["model/metrics.json"] = _json({"run_id": run.info.run_id, "experiment_id": run.info.experiment_id,
                                          "model": origin["model"], "version": origin["version"],
                                          "metrics": dict(run.data.metrics), "params": dict(run.data.params),
                                          "tags": {k: v for k, v in run_tags.items() if not k.startswith("mlflow.log-model")}})
    files["data/lineage.json"] = _json(_lineage(home, run_tags))
    with contextlib.suppress(RegistryError):  # versions trained before monitoring existed have none
        files["model/reference_profile.json"] = registry.run_artifact(run.info.run_id, REFERENCE_PROFILE_ARTIFACT)
    lock_bytes, lock = _lock_file(run_tags)
    files[f"code/{LOCK}"] = lock_bytes
    ledger_bytes = ledger.path.read_bytes() if ledger.path.is_file() else b""
    records = [r for r in (parse_line(line) for line in ledger_bytes.splitlines()) if r is not None]
    files["ledger/ledger.jsonl"] = ledger_bytes
    head = {"seq": records[-1]["seq"], "hash": records[-1]["hash"], "ledger_id": records[0]["hash"]} if records else None
    files["ledger/head.json"] = _json({"head": head, "anchor": ledger_anchor.latest(ledger.anchor) if ledger.anchor else None})
    verdicts = _gate_files(records, chain, artifact)
    files.update(verdicts)
    files.update(_policy_files(home, verdicts))
    files[COST_RECORDS] = _json(cost_records(records, run_tags.get(Tags.DAGSTER_RUN_ID)))
    approvals = _approval_files(home, chain)
    files.update(approvals)
    files.update(_ticket_files(home, approvals))
    clashes = sorted(set(extra_files or {}) & set(files))
    if clashes:
        raise BundleError(f"refused to export: the extra files {', '.join(clashes)} would replace the bundle's own")
    files.update(extra_files or {})

    manifest = {
        "format": FORMAT, "model": model, "version": number, "artifact_sha256": artifact, "chain": chain,
        "ledger_head": head, "created_at": utc_stamp(),
        "lakegate_git_commit": _git("rev-parse", "HEAD") or "unknown", "requirements_lock": lock,
        "files": {name: {"sha256": sha256_hex(data), "size": len(data)} for name, data in sorted(files.items())},
    }
    files[MANIFEST] = _json(manifest)
    files[MANIFEST_SIGNATURE] = _json(signed(release_key, {"kind": SIGNATURE_KIND, "signer": signer,
                                                           "manifest_sha256": sha256_hex(files[MANIFEST])}))
    secrets = ledger.secrets()
    for name, data in files.items():
        secret = find_secret(data.decode("utf-8", errors="replace"), secrets)
        if secret:
            raise BundleError(f"refused to export: {name} contains the value of {secret}; secrets never leave in a bundle")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in [MANIFEST, MANIFEST_SIGNATURE, *sorted(n for n in files if n not in (MANIFEST, MANIFEST_SIGNATURE))]:
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), files[name], zipfile.ZIP_DEFLATED)
    tmp.replace(out)
    return BundleSummary(out, model, number, artifact, chain, len(files), sha256_hex(out.read_bytes()), signer)


def _release_signer(trust) -> tuple[str, object]:
    """(id, private key) of the release signer, whose public key must be a trusted release key."""
    key = load_private_key(trust.release_key)
    for trusted in load_trusted_keys(trust.trusted_keys).keys:
        if trusted.role == RELEASE and same_public_key(key.public_key(), parse_public_key(trusted.public_key)):
            return trusted.id, key
    raise TrustError(f"the release key {trust.release_key} is not a trusted release key in {trust.trusted_keys}")


def promotion_chain(registry: Registry, model: str, version: str) -> list[dict]:
    """[the version, what it was promoted from, ...]: the last entry is the originally trained version.
    The tags are only where to look; verification ties every link to its ledger promotion record."""
    chain: list[dict] = []
    name, number = model, str(version)
    while True:
        mv = registry.model_version(name, number)
        tags = dict(mv.tags or {})
        source = tags.get(PROMOTED_FROM)
        chain.append({"model": name, "version": str(mv.version), "run_id": mv.run_id or tags.get(Tags.MLFLOW_RUN_ID),
                      "aliases": sorted(mv.aliases or []), "promoted_from": source})
        if not source:
            return chain
        if len(chain) >= MAX_CHAIN:
            raise RegistryError(f"{model} v{version}: the {PROMOTED_FROM} chain is longer than {MAX_CHAIN}; is it a loop?")
        name, _, number = source.rpartition("/")


def cost_records(records: list[dict], dagster_run_id: str | None) -> list[dict]:
    """The cost guard's ledger records (decisions, finance approvals, live stops) of the Dagster run
    that trained the version, re-executions included (they keep its root run id)."""
    if not dagster_run_id:
        return []
    return [r for r in records if r["kind"] in COST_KINDS and isinstance(r["subject"], dict)
            and dagster_run_id in (r["subject"].get("dagster_run_id"), r["subject"].get("root_run_id"))]


def _lineage(home: Path, run_tags: dict) -> dict:
    table, version = run_tags.get(Tags.TRAINING_SET_TABLE), run_tags.get(Tags.TRAINING_SET_VERSION)
    if not table or version is None:
        raise RegistryError(f"the MLflow run names no training set (tag {Tags.TRAINING_SET_TABLE})")
    return {"training_set": {"table": table, "version": int(version)},
            "lineage": trace(environment_lake(home), table, int(version)).to_dict()}


def _lock_file(run_tags: dict) -> tuple[bytes, dict]:
    """The lock file whose SHA-256 the run recorded: the working tree's, else the training commit's."""
    wanted = run_tags.get(Tags.REQUIREMENTS_LOCK_SHA256, "unknown")
    current = (REPO_ROOT / LOCK).read_bytes() if (REPO_ROOT / LOCK).is_file() else b""
    if sha256_hex(current) == wanted:
        return current, {"sha256": wanted, "run_tag": wanted, "matches": True, "source": "working tree"}
    commit = run_tags.get(Tags.GIT_COMMIT, "")
    if commit and commit != "unknown":
        old = _git_bytes("show", f"{commit}:{LOCK}")
        if old is not None and sha256_hex(old) == wanted:
            return old, {"sha256": wanted, "run_tag": wanted, "matches": True, "source": f"git {commit}"}
    return current, {"sha256": sha256_hex(current), "run_tag": wanted, "matches": False, "source": "working tree"}


def _gate_files(records: list[dict], chain: list[dict], artifact: str) -> dict[str, bytes]:
    """gates/<gate>.json: the latest check verdict of each gate per chain version on this artifact."""
    versions = {(c["model"], c["version"]) for c in chain}
    latest: dict[tuple[str, str, str], dict] = {}
    for r in records:
        s = r["subject"] if isinstance(r["subject"], dict) else {}
        if (r["kind"] == "gate_evaluation" and s.get("artifact_sha256") == artifact
                and (s.get("model"), s.get("version")) in versions and r["inputs"].get("at", "check") == "check"):
            latest[(s["model"], s["version"], s.get("gate"))] = r
    names = [g for _, _, g in latest]
    files: dict[str, bytes] = {}
    for (model, version, gate), r in latest.items():
        verdict = {"gate": gate, "model": model, "version": version, "artifact_sha256": artifact,
                   "passed": r["outcome"].get("passed") is True, "measured": r["outcome"].get("measured"),
                   "thresholds": r["inputs"].get("thresholds"), "policy_version": r["inputs"].get("policy_version"),
                   "policy_sha256": r["inputs"].get("policy_sha256"), "digest": r["outcome"].get("digest"),
                   "reason": r["reason"], "time": r["time"], "actor": r["actor"],
                   "ledger_seq": r["seq"], "ledger_hash": r["hash"]}
        stem = gate if names.count(gate) == 1 else f"{gate}@{model}-v{version}"
        files[f"gates/{stem}.json"] = _json(verdict)
        if gate == "bias":
            files["gates/bias_report.json"] = _json({k: verdict[k] for k in
                                                     ("model", "version", "passed", "thresholds", "measured", "reason", "ledger_hash")})
    return files


def _policy_files(home: Path, verdicts: dict[str, bytes]) -> dict[str, bytes]:
    """policies/<sha256>.yaml and .sig.json for every policy a bundled verdict names."""
    files: dict[str, bytes] = {}
    for name, data in verdicts.items():
        digest = json.loads(data).get("policy_sha256")
        if not digest or f"policies/{digest}.yaml" in files:
            continue
        found = stored_policy(digest, home)
        if found is not None:  # a missing policy shows up in verify_bundle as a verdict naming none
            files[f"policies/{digest}.yaml"] = found[0]
            files[f"policies/{digest}.sig.json"] = _json(found[1])
    return files


def _approval_files(home: Path, chain: list[dict]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for link in chain:
        folder = approvals_dir(home) / link["model"] / link["version"]
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            data = path.read_bytes()
            Approval.from_dict(json.loads(data), str(path))  # an unreadable approval is an ApprovalError
            files[f"approvals/{link['model']}-v{link['version']}-{path.name}"] = data
    return files


def _ticket_files(home: Path, approvals: dict[str, bytes]) -> dict[str, bytes]:
    register = load_register(register_path(home))
    cited = sorted({a["ticket"] for a in (json.loads(d) for d in approvals.values()) if a.get("ticket")})
    return {f"tickets/{t}.json": _json(register.get(t).model_dump()) for t in cited if register.get(t) is not None}


def _json(obj) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")


def _git_bytes(*args: str) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _git(*args: str) -> str | None:
    out = _git_bytes(*args)
    return out.decode().strip() if out is not None else None
