"""The content checks of an evidence bundle (lakegate/evidence_verify.py runs them in order).

Each takes the bundle's files and what earlier checks established, reports problems through
`problem(text)`, and returns what later checks build on.
"""

from __future__ import annotations

import json

import yaml

from lakegate.governance.approvals import Approval, ApprovalError
from lakegate.governance.change_register import ChangeRegister
from lakegate.governance.policy import GovernanceError, parse_policy_bytes
from lakegate.governance.trainers import recorded_trainers
from lakegate.ledger_anchor import anchor_problems
from lakegate.ledger_format import parse_line
from lakegate.ledger_verify import check as check_chain
from lakegate.policy_signatures import PolicyTrustError, check_signature
from lakegate.trust import TrustedKeys

LEDGER = "ledger/ledger.jsonl"
COST_RECORDS = "cost/records.json"
COST_KINDS = ("cost_decision", "finance_approval", "cost_stop")
NOT_GATES = {"version", "environment"}  # a promotion policy's sections other than these are its gates


def ledger_records(files: dict[str, bytes], manifest: dict, anchors: list[dict] | None, problem) -> list[dict]:
    """The bundled ledger's records, after checking the whole chain against the manifest's signed head."""
    data = files.get(LEDGER)
    head = manifest.get("ledger_head")
    if data is None or not isinstance(head, dict):
        problem(f"the bundle holds no {LEDGER} or its manifest names no ledger head")
        return []
    lines = [(i, parse_line(line)) for i, line in enumerate(data.splitlines(), start=1)]
    for found in check_chain(lines, {"count": head.get("seq"), "last_hash": head.get("hash")}).problems:
        problem(f"{LEDGER}: {found}")
    records = [r for _, r in lines if r is not None]
    if records and records[0]["hash"] != head.get("ledger_id"):
        problem(f"{LEDGER} starts with another first record than the manifest's ledger names")
    if anchors is not None:
        for text in anchor_problems({r["seq"]: r["hash"] for r in records}, anchors):
            problem(f"against your anchor: {text}")
    return records


def signed_policies(files: dict[str, bytes], trusted: TrustedKeys, problem) -> dict[str, bytes]:
    """sha256 -> bytes of every bundled policy whose governance-owner signature the auditor trusts."""
    found: dict[str, bytes] = {}
    for name in sorted(n for n in files if n.startswith("policies/") and n.endswith(".yaml")):
        digest = name[len("policies/"):-len(".yaml")]
        try:
            signature = json.loads(files.get(f"policies/{digest}.sig.json", b"null"))
            signed = check_signature(name, files[name], signature if isinstance(signature, dict) else None, trusted)
        except (ValueError, PolicyTrustError) as exc:
            problem(str(exc))
            continue
        if signed.sha256 != digest:
            problem(f"{name} is named for sha256 {digest[:12]}… but its bytes hash to {signed.sha256[:12]}…")
            continue
        found[digest] = files[name]
    return found


def chain_links(manifest: dict, records: list[dict], problem) -> dict[tuple[str, str], dict]:
    """Per chain version that was promoted into, its ledger promotion record (target -> record)."""
    chain = [(str(c.get("model")), str(c.get("version"))) for c in manifest.get("chain", []) if isinstance(c, dict)]
    if not chain or chain[0] != (manifest.get("model"), str(manifest.get("version"))):
        problem(f"the manifest's chain does not start at its own model version {manifest.get('model')} v{manifest.get('version')}")
    artifact = manifest.get("artifact_sha256")
    promotions = {(r["subject"].get("model"), str(r["subject"].get("version"))): r for r in records
                  if r["kind"] == "promotion" and r["subject"].get("artifact_sha256") == artifact}
    links = {}
    for target, source in zip(chain, chain[1:]):
        record = promotions.get(target)
        if record is None:
            problem(f"{target[0]} v{target[1]}: the ledger holds no promotion of artifact {str(artifact)[:12]}… into it")
        elif record["inputs"].get("from") != f"{source[0]}/{source[1]}":
            problem(f"{target[0]} v{target[1]} was promoted from {record['inputs'].get('from')}, not {source[0]}/{source[1]} "
                    "as the manifest's chain says")
        else:
            links[target] = record
    return links


def trainer_of(records: list[dict], artifact: str | None, problem) -> str | None:
    trainers = recorded_trainers(records, artifact)
    if not trainers:
        problem(f"the ledger records no training of artifact {str(artifact)[:12]}…, so who trained it is unknown")
    elif len(trainers) > 1:
        problem(f"the ledger records artifact {str(artifact)[:12]}… as trained by {', '.join(sorted(trainers))}")
    return trainers.pop() if len(trainers) == 1 else None


def gate_verdicts(files: dict[str, bytes], manifest: dict, records: list[dict], policies: dict[str, bytes],
                  links: dict[tuple[str, str], dict], problem) -> dict[tuple[str, str, str], dict]:
    """(model, version, gate) -> verdict, each checked against its ledger record and signed policy;
    then every gate the promotions and the signed promotion policies require must be among them."""
    artifact = manifest.get("artifact_sha256")
    chain = {(str(c.get("model")), str(c.get("version"))) for c in manifest.get("chain", []) if isinstance(c, dict)}
    by_hash = {r["hash"]: r for r in records}
    verdicts: dict[tuple[str, str, str], dict] = {}
    for name in sorted(n for n in files if n.startswith("gates/") and n != "gates/bias_report.json"):
        try:
            verdict = json.loads(files[name])
            key = (str(verdict["model"]), str(verdict["version"]), str(verdict["gate"]))
        except (ValueError, KeyError, TypeError):
            problem(f"{name} is not a readable gate verdict")
            continue
        where = f"gate {key[2]} on {key[0]} v{key[1]}"
        if verdict.get("passed") is not True:
            problem(f"{where} did not pass: {verdict.get('reason')}")
        if key[:2] not in chain:
            problem(f"{name}: {where} is not about a version of the bundled chain")
        if verdict.get("artifact_sha256") != artifact:
            problem(f"{name}: {where} judged another artifact ({str(verdict.get('artifact_sha256'))[:12]}…)")
        if verdict.get("policy_sha256") not in policies:
            problem(f"{name}: {where} was judged under policy {str(verdict.get('policy_sha256'))[:12]}…, which is not "
                    "among the bundle's signed policies")
        record = by_hash.get(verdict.get("ledger_hash"))
        if record is None or record["kind"] != "gate_evaluation" or (record["subject"].get("model"), str(
                record["subject"].get("version")), record["subject"].get("gate")) != key:
            problem(f"{name}: {where} has no matching record in the ledger")
        elif (record["outcome"].get("passed") is True) != verdict.get("passed") \
                or record["outcome"].get("measured") != verdict.get("measured") \
                or record["inputs"].get("thresholds") != verdict.get("thresholds") \
                or record["inputs"].get("policy_sha256") != verdict.get("policy_sha256"):
            problem(f"{name}: {where} differs from its ledger record {record['seq']}")
        verdicts[key] = verdict
    _required_gates(verdicts, policies, links, problem)
    return verdicts


def _required_gates(verdicts: dict, policies: dict[str, bytes], links: dict, problem) -> None:
    for target, record in links.items():
        source = tuple(str(record["inputs"].get("from", "/")).rsplit("/", 1))
        for gate in record["inputs"].get("gates") or []:
            if (*source, gate) not in verdicts:
                problem(f"gate {gate}, which the promotion into {target[0]} v{target[1]} required, has no verdict in the bundle")
    for (model, version, gate), verdict in list(verdicts.items()):
        policy = _yaml(policies.get(verdict.get("policy_sha256")))
        if "principals" in policy:  # the governance policy: its required roles are the judge's to check
            continue
        for section in sorted(set(policy) - NOT_GATES):
            if (model, version, section) not in verdicts:
                problem(f"gate {section}, which the signed promotion policy {str(verdict.get('policy_sha256'))[:12]}… "
                        f"requires, has no verdict on {model} v{version} in the bundle")


def approvals(files: dict[str, bytes], manifest: dict, records: list[dict], policies: dict[str, bytes],
              verdicts: dict, trainer: str | None, judge, problem) -> int:
    """Every bundled approval is recorded in the ledger and belongs to an approval-gate verdict, whose
    approvals pass the gate again (the judge) under the signed governance policy it names."""
    found: list[tuple[str, Approval]] = []
    for name in sorted(n for n in files if n.startswith("approvals/")):
        try:
            found.append((name, Approval.from_dict(json.loads(files[name]), name)))
        except (ValueError, ApprovalError) as exc:
            problem(f"{name} is not a readable approval: {exc}")
    signatures = {r["outcome"].get("signature") for r in records if r["kind"] == "approval"}
    for name, a in found:
        if a.signature not in signatures:
            problem(f"{name} ({a.principal} as {a.role}): no approval record in the ledger carries this signature")
    register = _register(files, problem)
    judged: set[str] = set()
    promoters = [a.principal for _, a in found if a.purpose == "promotion"]
    for (model, version, gate), verdict in verdicts.items():
        policy_bytes = policies.get(verdict.get("policy_sha256"))
        measured = verdict.get("measured") or {}
        if "principals" not in _yaml(policy_bytes):
            continue
        try:
            policy = parse_policy_bytes(policy_bytes, f"policies/{verdict.get('policy_sha256')}.yaml")
        except GovernanceError as exc:
            problem(str(exc))
            continue
        purpose = measured.get("purpose")
        group = [(n, a) for n, a in found if (a.model, a.version, a.purpose) == (model, version, purpose)]
        judged.update(n for n, _ in group)
        passed, reason = judge(model=model, version=version, artifact_hash=manifest.get("artifact_sha256"),
                               trained_by=trainer, target_env=measured.get("target_env"), purpose=purpose,
                               approvals=[a for _, a in group], policy=policy, register=register,
                               prior_promotion_approvers=promoters if purpose == "deployment" else [],
                               endpoint=measured.get("endpoint"), use_case=measured.get("use_case"))
        if not passed:
            problem(f"the approvals of {model} v{version} ({gate}) do not pass the approval gate under the signed "
                    f"governance policy: {reason}")
    for name in sorted({n for n, _ in found} - judged):
        problem(f"{name} belongs to no approval-gate verdict in the bundle")
    if not found:
        problem("the bundle holds no approvals")
    return len(found)


def cost_records(files: dict[str, bytes], records: list[dict], problem) -> int:
    """Each bundled cost record (decision, finance approval, live stop) is the ledger's record of that seq."""
    try:
        bundled = json.loads(files.get(COST_RECORDS, b"[]"))
    except ValueError:
        problem(f"{COST_RECORDS} is not readable JSON")
        return 0
    by_seq = {r["seq"]: r for r in records}
    for record in bundled if isinstance(bundled, list) else []:
        seq = record.get("seq") if isinstance(record, dict) else None
        if record.get("kind") not in COST_KINDS or by_seq.get(seq) != record:
            problem(f"{COST_RECORDS}: record seq {seq} is not a cost record of the bundled ledger as it stands there")
    return len(bundled) if isinstance(bundled, list) else 0


def _register(files: dict[str, bytes], problem) -> ChangeRegister:
    tickets = []
    for name in sorted(n for n in files if n.startswith("tickets/")):
        try:
            tickets.append(json.loads(files[name]))
        except ValueError:
            problem(f"{name} is not a readable change ticket")
    try:
        return ChangeRegister(tickets=tickets)
    except ValueError as exc:
        problem(f"the bundled change tickets are not valid: {exc}")
        return ChangeRegister()


def _yaml(data: bytes | None) -> dict:
    try:
        raw = yaml.safe_load(data) if data else None
    except yaml.YAMLError:
        return {}
    return raw if isinstance(raw, dict) else {}
