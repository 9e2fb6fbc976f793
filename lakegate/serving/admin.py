"""The admin API, in the shapes of Databricks' `/api/2.0/serving-endpoints` (so MLflow's Databricks
deployment client and databricks-style scripts work against it), plus two Lakegate routes:

    GET    /api/2.0/serving-endpoints                  list
    POST   /api/2.0/serving-endpoints                  create {"name", "config"}
    GET    /api/2.0/serving-endpoints/<name>           get
    PUT    /api/2.0/serving-endpoints/<name>/config    update served entities and traffic
    DELETE /api/2.0/serving-endpoints/<name>           delete
    PUT    /api/2.0/serving-endpoints/<name>/traffic   Lakegate: {"routes": [...]} or {"shares": {...}}
    POST   /api/2.0/serving-endpoints/<name>/rollback  Lakegate: all traffic to the previous served version

Who changed what is recorded in the audit ledger: the actor is the principal the admin token
authenticates (the environment's `serving.admin_principal`), never a header; the reason is
`X-Lakegate-Reason` or a `reason` field in the body. A change the deployment gate refuses is a 403
and changes nothing (lakegate/serving/control.py).
"""

from __future__ import annotations

import json
from pathlib import Path

from lakegate.ledger import LedgerError, SecretInRecordError
from lakegate.serving.control import DeploymentRefused, LocalEndpoints
from lakegate.serving.endpoints import (
    Endpoint,
    EndpointError,
    EndpointNotFound,
    parse_config,
)
from lakegate.serving.http import Reply, error_reply, header
from lakegate.serving.worker_status import worker_states



def endpoint_document(endpoint: Endpoint, workers: list[dict]) -> dict:
    """An endpoint as Databricks returns it (`state.ready`, `state.config_update`), plus Lakegate's view."""
    applied = [w["endpoints"].get(endpoint.name, {}).get("generation") for w in workers]
    updating = any(g != endpoint.generation for g in applied)
    config = endpoint.config.model_dump(mode="json")
    config["config_version"] = endpoint.generation
    return {
        "name": endpoint.name,
        "creator": endpoint.creator,
        "creation_timestamp": endpoint.creation_timestamp,
        "last_updated_timestamp": endpoint.last_updated_timestamp,
        "config": config,
        "state": {
            "ready": "READY" if workers and any(g is not None for g in applied) else "NOT_READY",
            "config_update": "IN_PROGRESS" if updating else "NOT_UPDATING",
        },
        "lakegate": {
            "generation": endpoint.generation,
            "rollback_target": endpoint.rollback_target(),
            "stable_history": list(endpoint.stable_history),
            "workers": [{"pid": w["pid"], "generation": w["endpoints"].get(endpoint.name, {}).get("generation"),
                         "traffic": w["endpoints"].get(endpoint.name, {}).get("traffic"),
                         "scorers": w["endpoints"].get(endpoint.name, {}).get("scorers")} for w in workers],
            "errors": {k: v for w in workers for k, v in w.get("errors", {}).items() if k.startswith(endpoint.name + "/")},
        },
    }


class AdminApi:
    def __init__(self, home: Path, endpoints: LocalEndpoints, principal: str):
        self.home = home
        self.endpoints = endpoints
        self.principal = principal  # who the admin token authenticates

    def handle(self, method: str, rest: str, body: bytes, scope):
        actor = f"{self.principal} (admin token)"
        reason_header = header(scope, b"x-lakegate-reason")
        try:
            doc = parse_body(body)
            reason = doc.pop("reason", None)
            if reason is not None and not isinstance(reason, str):
                raise EndpointError('"reason" must be text')
            reason = reason or (reason_header.decode("utf-8", "replace") if reason_header else "admin API")
            status, result = self._route(method, [p for p in rest.split("/") if p], doc, actor, reason)
            return Reply(status, json.dumps(result).encode())
        except MalformedBody as exc:
            return error_reply(400, "MALFORMED_REQUEST", str(exc))
        except EndpointNotFound as exc:
            return error_reply(404, "RESOURCE_DOES_NOT_EXIST", str(exc))
        except DeploymentRefused as exc:
            return error_reply(403, "PERMISSION_DENIED", str(exc))
        except SecretInRecordError as exc:
            return error_reply(400, "INVALID_PARAMETER_VALUE", f"nothing changed: {exc}")
        except LedgerError as exc:  # no change goes live without its ledger record
            return error_reply(503, "TEMPORARILY_UNAVAILABLE", f"nothing changed: the audit ledger refused the record: {exc}")
        except EndpointError as exc:
            return error_reply(400, "INVALID_PARAMETER_VALUE", str(exc))

    def _route(self, method: str, parts: list[str], doc: dict, actor: str, reason: str) -> tuple[int, dict]:
        eps = self.endpoints
        if not parts and method == "GET":
            workers = worker_states(self.home)
            return 200, {"endpoints": [endpoint_document(e, workers) for e in eps.list()]}
        if not parts and method == "POST":
            name = doc.get("name")
            if not isinstance(name, str):
                raise EndpointError("create needs a \"name\"")
            return 200, self._doc(eps.create(name, parse_config(doc.get("config") or {}), actor=actor, reason=reason))
        name, action = parts[0], "/".join(parts[1:])
        if method == "GET" and not action:
            return 200, self._doc(eps.get(name))
        if method == "DELETE" and not action:
            eps.delete(name, actor=actor, reason=reason)
            return 200, {}
        if method == "PUT" and action == "config":
            return 200, self._doc(eps.update_config(name, parse_config(doc), actor=actor, reason=reason))
        if method == "PUT" and action == "traffic":
            return 200, self._doc(eps.set_traffic(name, _shares(doc), actor=actor, reason=reason))
        if method == "POST" and action == "rollback":
            return 200, self._doc(eps.rollback(name, actor=actor, reason=reason))
        raise EndpointNotFound(f"no admin route {method} /api/2.0/serving-endpoints/{'/'.join(parts)}")

    def _doc(self, endpoint: Endpoint) -> dict:
        return endpoint_document(endpoint, worker_states(self.home))


class MalformedBody(ValueError):
    pass


def parse_body(body: bytes) -> dict:
    """An admin body: empty, or one JSON object in UTF-8. The message names the problem, not the body."""
    if not body.strip():
        return {}
    try:
        doc = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"the request body is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise MalformedBody(f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise MalformedBody("the request body is JSON nested too deeply") from None
    if not isinstance(doc, dict):
        raise EndpointError("the request body must be a JSON object")
    return doc


def _shares(doc: dict) -> dict[str, int]:
    if isinstance(doc.get("shares"), dict):
        return {str(k): _percent(v) for k, v in doc["shares"].items()}
    routes = doc.get("routes")
    if isinstance(routes, list):
        return {str(r.get("served_entity_name") or r.get("served_model_name")): _percent(r.get("traffic_percentage"))
                for r in routes if isinstance(r, dict)}
    raise EndpointError('traffic needs {"shares": {"<served entity>": <percent>, ...}} or {"routes": [...]}')


def _percent(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise EndpointError(f"traffic percentages are integers from 0 to 100, got {value!r}")
    return int(value)
