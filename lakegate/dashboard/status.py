"""The Status panel: who is champion and challenger, what share the canary has, each gate's last
verdict with its figures, who approved (role, time, ticket), and the change tickets still open.

Gate verdicts and approvals come from the audit ledger (what was recorded, not recomputed), the
aliases from the registry, traffic from the endpoint's control file.
"""

from __future__ import annotations

from mlflow.exceptions import MlflowException

from lakegate.dashboard.facts import ModelFacts
from lakegate.evidence import promotion_chain
from lakegate.governance.change_register import load_register, register_path
from lakegate.ledger import Record
from lakegate.registry import Registry, RegistryError
from lakegate.serving.control import LocalEndpoints
from lakegate.serving.endpoints import EndpointNotFound

OPEN_TICKETS = ("draft", "approved")  # rejected and closed tickets are done with


def aliases(registry: Registry, facts: ModelFacts) -> dict:
    """champion and previous_champion in prod, challenger wherever the chain keeps it (test, then dev)."""
    prod = _aliases(registry, facts.prod_model)
    challenger = next(((facts.models[c], v) for c in ("test", "dev") if c in facts.models
                       for a, v in _aliases(registry, facts.models[c]).items() if a == "challenger"), (None, None))
    return {"champion": prod.get("champion"), "previous_champion": prod.get("previous_champion"),
            "challenger": challenger[1], "challenger_model": challenger[0]}


def _aliases(registry: Registry, model: str) -> dict[str, str]:
    try:
        return registry.aliases(model)
    except (RegistryError, MlflowException):  # not registered (yet) in this catalog
        return {}


def traffic(home, endpoint: str) -> list[dict]:
    """Each served entity's version and share; a version with less than 100 % is the canary (or its rival)."""
    try:
        served = LocalEndpoints(home).get(endpoint)
    except EndpointNotFound:
        return []
    shares = served.config.traffic_config.shares()
    return [{"entity": e.name, "model": e.entity_name, "version": e.entity_version, "share": shares.get(e.name, 0)}
            for e in served.config.served_entities]


def chain_of(registry: Registry, model: str, version: str | None) -> list[dict]:
    if version is None:
        return []
    try:
        return promotion_chain(registry, model, version)
    except RegistryError:
        return []


def gate_verdicts(records: list[Record], chain: list[dict]) -> list[dict]:
    """The latest check-time verdict of each gate on the chain's versions (dev gates, test approvals, ...)."""
    versions = {(c["model"], c["version"]) for c in chain}
    latest: dict[tuple, Record] = {}
    for r in records:
        if r.kind == "gate_evaluation" and (r.subject.get("model"), r.subject.get("version")) in versions \
                and r.inputs.get("at", "check") == "check":
            latest[(r.subject["model"], r.subject["version"], r.subject.get("gate"))] = r
    return [{"gate": gate, "model": model, "version": version, "passed": r.outcome.get("passed") is True,
             "measured": r.outcome.get("measured"), "thresholds": r.inputs.get("thresholds"),
             "policy_version": r.inputs.get("policy_version"), "time": r.time, "reason": r.reason, "seq": r.seq}
            for (model, version, gate), r in latest.items()]


def approvals(records: list[Record], chain: list[dict], endpoint: str) -> list[dict]:
    """Signed approvals of the chain's versions, and deployment approvals for the endpoint."""
    versions = {(c["model"], c["version"]) for c in chain}
    return [{"principal": r.actor, "role": r.inputs.get("role"), "purpose": r.inputs.get("purpose"),
             "time": r.time, "ticket": r.inputs.get("ticket"), "model": r.subject.get("model"),
             "version": r.subject.get("version")}
            for r in records if r.kind == "approval" and ((r.subject.get("model"), r.subject.get("version")) in versions
                                                          or r.inputs.get("endpoint") == endpoint)]


def open_tickets(home, facts: ModelFacts) -> list[dict]:
    models = set(facts.models.values())
    register = load_register(register_path(home))
    return [{"id": t.id, "status": t.status, "model": t.model, "version": t.version, "summary": t.summary,
             "created_at": t.created_at, "approved_by": t.approved_by}
            for t in register.tickets if t.model in models and t.status in OPEN_TICKETS]
