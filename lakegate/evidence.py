"""The evidence bundle: one zip with everything an auditor needs about one model version.

`export_bundle` follows the version's promotion chain back (prod v1 ← test v1 ← dev v1, through the
`lakegate.promoted_from` version tag) and writes, as separate files:

    manifest.json               every other file's SHA-256 and size; model, version, artifact hash,
                                the chain, created_at, Lakegate's git commit, the lock-file match
    model/model_card.md         from the MLflow run of the original (dev) version
    model/metrics.json          that run's metrics, params and tags (git commit, lock hash, principal)
    data/lineage.json           training set table@version and everything upstream, to the landed files
    code/requirements.lock      the lock file (the one whose SHA-256 the run recorded, when found)
    gates/<gate>.json           the latest verdict of each gate on the chain's versions
    gates/bias_report.json      the bias gate's per-group figures
    approvals/*.json            the signed approvals of the chain's versions, as stored
    approvals/public_keys.json  the approvers' public keys (from the governance policy; never a private key)
    ticket/<id>.json            each change ticket the approvals cite
    ledger/records.jsonl        every ledger record about a chain version, plus those models' alias moves, verbatim
    ledger/verify.json          the live ledger's own verification at export time

`lakegate.evidence_verify.verify_bundle` checks a bundle from the zip alone. What it proves and does
not prove: docs/decisions/0011-evidence-bundle.md.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lakegate.environment import lakegate_home
from lakegate.evidence_verify import BundleCheck, BundleError, sha256_hex, verify_bundle  # noqa: F401 - re-exported
from lakegate.ledger import Ledger, find_secret, parse_line
from lakegate.registry import Registry, RegistryError, Tags

FORMAT = "lakegate.evidence/v1"
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
    files: int  # files in the zip, manifest included
    sha256: str  # of the zip itself


def export_bundle(model: str, version: str | int, out_path: str | Path, home: Path | None = None) -> BundleSummary:
    """Write the evidence bundle of `model` `version` (a number or an alias) to `out_path`."""
    from gates.model_binding import model_artifact_hash

    home = Path(home) if home else lakegate_home()
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
    ledger = Ledger(home / "audit" / "ledger.jsonl")

    files: dict[str, bytes] = {}
    files["model/model_card.md"] = _run_artifact(registry, run.info.run_id, "model_card.md")
    files["model/metrics.json"] = _json({"run_id": run.info.run_id, "experiment_id": run.info.experiment_id,
                                          "model": origin["model"], "version": origin["version"],
                                          "metrics": dict(run.data.metrics), "params": dict(run.data.params),
                                          "tags": {k: v for k, v in run_tags.items() if not k.startswith("mlflow.log-model")}})
    files["data/lineage.json"] = _json(_lineage(home, run_tags))
    lock_bytes, lock = _lock_file(run_tags)
    files[f"code/{LOCK}"] = lock_bytes
    records = _ledger_lines(ledger, chain)
    files["ledger/records.jsonl"] = b"".join(line + b"\n" for line in records)
    verified = ledger.verify()
    files["ledger/verify.json"] = _json({"ledger": str(ledger.path), "ok": verified.ok, "count": verified.count,
                                         "last_hash": verified.last_hash, "problems": [str(p) for p in verified.problems]})
    files.update(_gate_files([json.loads(line) for line in records], artifact))
    approvals = _approval_files(home, chain)
    files.update(approvals)
    files.update(_governance_files(home, approvals))

    manifest = {
        "format": FORMAT, "model": model, "version": number, "artifact_sha256": artifact, "chain": chain,
        "created_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lakegate_git_commit": _git("rev-parse", "HEAD") or "unknown", "requirements_lock": lock,
        "files": {name: {"sha256": sha256_hex(data), "size": len(data)} for name, data in sorted(files.items())},
    }
    files["manifest.json"] = _json(manifest)
    for name, data in files.items():
        secret = find_secret(data.decode("utf-8", errors="replace"))
        if secret:
            raise BundleError(f"refused to export: {name} contains the value of ${secret}; secrets never leave in a bundle")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in ["manifest.json", *sorted(n for n in files if n != "manifest.json")]:
            zf.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), files[name], zipfile.ZIP_DEFLATED)
    tmp.replace(out)
    return BundleSummary(out, model, number, artifact, chain, len(files), sha256_hex(out.read_bytes()))


def promotion_chain(registry: Registry, model: str, version: str) -> list[dict]:
    """[the version, what it was promoted from, ...]: the last entry is the originally trained version."""
    chain: list[dict] = []
    name, number = model, str(version)
    while True:
        mv = registry.model_version(name, number)
        tags = dict(mv.tags or {})
        source = tags.get(PROMOTED_FROM)
        chain.append({"model": name, "version": str(mv.version), "run_id": mv.run_id or tags.get(Tags.MLFLOW_RUN_ID),
                      "aliases": sorted(mv.aliases or []), "promoted_from": source,
                      "artifact_sha256_tag": tags.get("lakegate.artifact_sha256")})
        if not source:
            return chain
        if len(chain) >= MAX_CHAIN:
            raise RegistryError(f"{model} v{version}: the {PROMOTED_FROM} chain is longer than {MAX_CHAIN}; is it a loop?")
        name, _, number = source.rpartition("/")


def _run_artifact(registry: Registry, run_id: str, path: str) -> bytes:
    import tempfile

    import mlflow

    with tempfile.TemporaryDirectory(prefix="lakegate-evidence-") as tmp, registry.activate():
        try:
            local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path, dst_path=tmp)
        except Exception as exc:  # noqa: BLE001 - MLflow raises several kinds for a missing artifact
            raise RegistryError(f"MLflow run {run_id} has no {path}: {exc}") from None
        return Path(local).read_bytes()


def _lineage(home: Path, run_tags: dict) -> dict:
    from lakegate.lake import Lake
    from lakegate.lineage import trace

    table, version = run_tags.get(Tags.TRAINING_SET_TABLE), run_tags.get(Tags.TRAINING_SET_VERSION)
    if not table or version is None:
        raise RegistryError(f"the MLflow run names no training set (tag {Tags.TRAINING_SET_TABLE})")
    return {"training_set": {"table": table, "version": int(version)},
            "lineage": trace(Lake(home / "lake"), table, int(version)).to_dict()}


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


def _ledger_lines(ledger: Ledger, chain: list[dict]) -> list[bytes]:
    """Raw lines (verbatim) about a chain version, plus every alias move of the chain's models."""
    versions = {(c["model"], c["version"]) for c in chain}
    models = {c["model"] for c in chain}
    if not ledger.path.is_file():
        return []
    kept = []
    with open(ledger.path, "rb") as f:
        for line in f:
            data = parse_line(line)
            if data is None:
                continue  # ledger/verify.json reports it
            subject = data["subject"] if isinstance(data["subject"], dict) else {}
            about = (subject.get("model"), str(subject.get("version")))
            if about in versions or (data["kind"] == "alias_move" and subject.get("model") in models):
                kept.append(line.rstrip(b"\r\n"))
    return kept


def _gate_files(records: list[dict], artifact: str) -> dict[str, bytes]:
    """gates/<gate>.json: the latest verdict of each gate per chain version on this artifact."""
    latest: dict[tuple[str, str, str], dict] = {}
    for r in records:
        if r["kind"] == "gate_evaluation" and r["subject"].get("artifact_sha256") == artifact:
            latest[(r["subject"]["model"], r["subject"]["version"], r["subject"].get("gate"))] = r
    names = [g for _, _, g in latest]
    files: dict[str, bytes] = {}
    for (model, version, gate), r in latest.items():
        verdict = {"gate": gate, "model": model, "version": version, "artifact_sha256": artifact,
                   "passed": r["outcome"].get("passed") is True, "measured": r["outcome"].get("measured"),
                   "thresholds": r["inputs"].get("thresholds"), "policy_version": r["inputs"].get("policy_version"),
                   "reason": r["reason"], "time": r["time"], "actor": r["actor"],
                   "ledger_seq": r["seq"], "ledger_hash": r["hash"]}
        stem = gate if names.count(gate) == 1 else f"{gate}@{model}-v{version}"
        files[f"gates/{stem}.json"] = _json(verdict)
        if gate == "bias":
            files["gates/bias_report.json"] = _json({k: verdict[k] for k in
                                                     ("model", "version", "passed", "thresholds", "measured", "reason", "ledger_hash")})
    return files


def _approval_files(home: Path, chain: list[dict]) -> dict[str, bytes]:
    from gates.approvals import Approval, approvals_dir

    files: dict[str, bytes] = {}
    for link in chain:
        folder = approvals_dir(home) / link["model"] / link["version"]
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            data = path.read_bytes()
            Approval.from_dict(json.loads(data), str(path))  # an unreadable approval is an ApprovalError
            files[f"approvals/{link['model']}-v{link['version']}-{path.name}"] = data
    return files


def _governance_files(home: Path, approvals: dict[str, bytes]) -> dict[str, bytes]:
    """approvals/public_keys.json (public halves only, from the policy) and ticket/<id>.json."""
    from gates.change_register import load_register, register_path
    from gates.governance import load_policy, policy_path, public_key_pem

    signed = [json.loads(data) for data in approvals.values()]
    files: dict[str, bytes] = {}
    if signed:
        policy = load_policy(policy_path(home))
        keys = {}
        for principal_id in sorted({a["principal"] for a in signed}):
            p = policy.principal(principal_id)
            if p is not None:
                keys[principal_id] = {"display_name": p.display_name, "roles": list(p.roles),
                                      "public_key": public_key_pem(p.verifying_key())}
        files["approvals/public_keys.json"] = _json({"policy_version": policy.version, "principals": keys})
    register = load_register(register_path(home))
    for ticket_id in sorted({a["ticket"] for a in signed if a.get("ticket")}):
        ticket = register.get(ticket_id)
        if ticket is not None:  # a missing ticket shows up in verify_bundle as an approval citing none
            files[f"ticket/{ticket_id}.json"] = _json(ticket.model_dump())
    return files


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
