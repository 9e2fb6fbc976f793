"""Cluster policies: `/api/2.0/policies/clusters/get|list|create`, seeded from `<root>/policies/*.json`."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from databricks_emulator.errors import ApiError, already_exists, invalid_parameter, not_found
from databricks_emulator.policy_rules import enforce, parse_rules

CREATOR = "emulator@localhost"


class PolicyStore:
    """Policies by id; each stored as Databricks returns it (definition as a JSON string)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._policies: dict[str, dict] = {}
        self._lock = threading.Lock()
        for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            self.add(json.loads(file.read_text()), persist=False)

    def add(self, spec: dict, persist: bool = True) -> dict:
        name = spec.get("name")
        if not name:
            raise invalid_parameter("Policy name must be provided.")
        definition = spec.get("definition", "{}")
        text = definition if isinstance(definition, str) else json.dumps(definition)
        parse_rules(json.loads(text))  # refuse an unknown rule type now, not at the first run
        with self._lock:
            if any(policy["name"] == name for policy in self._policies.values()):
                raise already_exists(f"Policy with name {name} already exists.")
            policy_id = spec.get("policy_id") or uuid.uuid4().hex[:16].upper()
            policy = {"policy_id": policy_id, "name": name, "definition": text,
                      "description": spec.get("description", ""), "creator_user_name": CREATOR,
                      "created_at_timestamp": int(time.time() * 1000), "is_default": False}
            self._policies[policy_id] = policy
        if persist:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{policy_id}.json").write_text(json.dumps(policy))
        return policy

    def get(self, policy_id: str) -> dict:
        with self._lock:
            policy = self._policies.get(policy_id)
        if policy is None:
            raise not_found(f"Policy {policy_id} does not exist.")
        return policy

    def all(self) -> list[dict]:
        with self._lock:
            return sorted(self._policies.values(), key=lambda policy: policy["name"])

    def apply(self, cluster: dict) -> dict:
        """The cluster spec after its policy (if it names one); ApiError when it breaks the policy."""
        policy_id = cluster.get("policy_id")
        if not policy_id:
            return cluster
        try:
            policy = self.get(policy_id)
        except ApiError:
            raise invalid_parameter(f"Cluster validation error: policy {policy_id} does not exist.") from None
        rules = parse_rules(json.loads(policy["definition"]))
        return enforce(rules, cluster, bool(cluster.get("apply_policy_default_values")))


class PoliciesApi:
    def __init__(self, store: PolicyStore) -> None:
        self.store = store

    def routes(self) -> list[Route]:
        base = "/api/2.0/policies/clusters"
        return [Route(f"{base}/get", self.get, methods=["GET"]),
                Route(f"{base}/list", self.list, methods=["GET"]),
                Route(f"{base}/create", self.create, methods=["POST"])]

    async def get(self, request: Request) -> JSONResponse:
        return JSONResponse(self.store.get(request.query_params.get("policy_id", "")))

    async def list(self, _request: Request) -> JSONResponse:
        policies = self.store.all()
        return JSONResponse({"policies": policies, "total_count": len(policies)})

    async def create(self, request: Request) -> JSONResponse:
        return JSONResponse({"policy_id": self.store.add(await request.json())["policy_id"]})
