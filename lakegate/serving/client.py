"""`EndpointManager` over HTTP: the admin API of a running server (`lakegate endpoint --url ...`)."""

from __future__ import annotations

import json

import requests

from lakegate.serving.endpoints import Endpoint, EndpointConfig, EndpointError, EndpointNotFound

TIMEOUT_SECONDS = 30


class EndpointClient:
    def __init__(self, url: str, admin_token: str):
        self.base = url.rstrip("/") + "/api/2.0/serving-endpoints"
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {admin_token}"

    def get(self, name: str) -> Endpoint:
        return _endpoint(self._call("GET", f"/{name}"))

    def document(self, name: str) -> dict:
        """The full answer, with the workers' state (what `status` shows)."""
        return self._call("GET", f"/{name}")

    def list(self) -> list[Endpoint]:
        return [_endpoint(d) for d in self._call("GET", "")["endpoints"]]

    def create(self, name: str, config: EndpointConfig, *, actor: str, reason: str) -> Endpoint:
        body = {"name": name, "config": config.model_dump(mode="json"), "reason": reason}
        return _endpoint(self._call("POST", "", body, actor))

    def update_config(self, name: str, config: EndpointConfig, *, actor: str, reason: str) -> Endpoint:
        return _endpoint(self._call("PUT", f"/{name}/config", {**config.model_dump(mode="json"), "reason": reason}, actor))

    def set_traffic(self, name: str, shares: dict[str, int], *, actor: str, reason: str) -> Endpoint:
        return _endpoint(self._call("PUT", f"/{name}/traffic", {"shares": shares, "reason": reason}, actor))

    def rollback(self, name: str, *, actor: str, reason: str) -> Endpoint:
        return _endpoint(self._call("POST", f"/{name}/rollback", {"reason": reason}, actor))

    def delete(self, name: str, *, actor: str, reason: str) -> None:
        self._call("DELETE", f"/{name}", {"reason": reason}, actor)

    def _call(self, method: str, path: str, body: dict | None = None, actor: str | None = None) -> dict:
        headers = {"X-Lakegate-Actor": actor} if actor else {}
        try:
            response = self._session.request(method, self.base + path, data=json.dumps(body) if body else None,
                                             headers=headers, timeout=TIMEOUT_SECONDS)
        except requests.ConnectionError as exc:
            raise EndpointError(f"no serving runtime answers at {self.base}: {exc.__class__.__name__}") from None
        if response.status_code == 404:
            raise EndpointNotFound(_message(response))
        if response.status_code >= 400:
            raise EndpointError(f"{response.status_code}: {_message(response)}")
        return response.json()


def _message(response) -> str:
    try:
        return response.json().get("message", response.text)
    except ValueError:
        return response.text


def _endpoint(doc: dict) -> Endpoint:
    lakegate = doc.get("lakegate", {})
    config = {k: v for k, v in doc["config"].items() if k != "config_version"}
    return Endpoint.model_validate({
        "name": doc["name"], "config": config, "generation": lakegate.get("generation", doc["config"].get("config_version", 0)),
        "creator": doc.get("creator", ""), "creation_timestamp": doc.get("creation_timestamp", 0),
        "last_updated_timestamp": doc.get("last_updated_timestamp", 0),
        "stable_history": tuple(lakegate.get("stable_history", ())),
    })
