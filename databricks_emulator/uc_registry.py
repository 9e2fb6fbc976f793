"""MLflow's Unity Catalog model registry REST (`/api/2.0/mlflow/unity-catalog/...`, what the
`databricks-uc` registry URI calls), answered by the real MLflow server's registry behind it.

Most calls have the same body under the same path without `unity-catalog/`; the ones that differ
are answered here:
- `model-versions/create` answers `PENDING_REGISTRATION` with the version's `storage_location`;
  the client then uploads the model and calls `model-versions/finalize`, which answers `READY`;
- `registered-models:is-databricks-sdk-models-artifact-repository-enabled` answers true, so the
  client uploads and downloads model files through the Files API at
  `/Models/<catalog>/<schema>/<model>/<version>` (on a workspace the other way is temporary cloud
  credentials, `model-versions/generate-temporary-credentials`, which the emulator refuses: it has
  no cloud storage);
- `model-versions/emit-lineage` is accepted and dropped (no lineage service).
"""

from __future__ import annotations

import json

from databricks_emulator.errors import invalid_parameter

SDK_REPOSITORY_FLAG = "registered-models:is-databricks-sdk-models-artifact-repository-enabled"
MODEL_ID_TAG = "databricks_emulator.model_id"


def models_path(name: str, version: str | int) -> str:
    """The Files API folder of a model version's files (MLflow's DatabricksSDKModelsArtifactRepository)."""
    return f"/Models/{name.replace('.', '/')}/{version}"


def local_answer(rest: str) -> dict | None:
    """The answer to a UC registry call the MLflow server has no counterpart for, or None to forward it."""
    if rest == SDK_REPOSITORY_FLAG:
        return {"is_databricks_sdk_models_artifact_repository_enabled": True}
    if rest == "model-versions/emit-lineage":
        return {}
    if rest == "model-versions/generate-temporary-credentials":
        raise invalid_parameter("The emulator has no cloud storage to issue temporary credentials for; model files "
                                "go through the Files API (registered-models:is-databricks-sdk-models-artifact-"
                                "repository-enabled is true).")
    return None


def forwarded(method: str, rest: str, params: list, body: bytes) -> tuple[str, str, list, bytes]:
    """The MLflow server's method, path (under /api/2.0/mlflow/), query and body for a UC registry call."""
    if rest == "model-versions/finalize":  # the upload is done: the version is what the server has
        request = json.loads(body or b"{}")
        return "GET", "model-versions/get", [("name", request.get("name", "")), ("version", request.get("version", ""))], b""
    if rest == "model-versions/create":  # UC-only fields (feature and model dependencies, tracking server id) dropped
        request = json.loads(body or b"{}")
        kept = {key: request[key] for key in ("name", "source", "run_id", "tags", "run_link", "description")
                if request.get(key)}
        if request.get("model_id"):
            # UC keeps the logged model a version (or a copy of one) came from. The MLflow server needs it
            # for a `models:/<model_id>` source, refuses it for a copy's `models:/<name>/<version>` and
            # answers it for neither, so it also travels as a tag that answer() turns back into model_id.
            if request.get("source", "").startswith(f"models:/{request['model_id']}"):
                kept["model_id"] = request["model_id"]
            kept["tags"] = [*kept.get("tags", []), {"key": MODEL_ID_TAG, "value": request["model_id"]}]
        return method, rest, params, json.dumps(kept).encode()
    return method, rest, params, body


def _with_model_id(version: dict) -> dict:
    """Unity Catalog answers the logged model a version was created from (`model_id`; MLflow's
    copy_model_version needs it), kept on the MLflow server as the tag MODEL_ID_TAG."""
    tags = version.get("tags") or []
    for tag in [t for t in tags if t.get("key") == MODEL_ID_TAG]:
        version["model_id"] = tag.get("value")
        tags.remove(tag)
    return version


def answer(rest: str, status: int, body: bytes) -> bytes:
    """The MLflow server's answer in the UC registry's shape."""
    if status != 200 or not rest.startswith("model-versions/"):
        return body
    document = json.loads(body)
    for version in [*document.get("model_versions", []), *filter(None, [document.get("model_version")])]:
        _with_model_id(version)
    if rest in ("model-versions/create", "model-versions/finalize"):
        version = document.get("model_version", {})
        version["storage_location"] = f"dbfs:{models_path(version.get('name', ''), version.get('version', ''))}"
        version["status"] = "PENDING_REGISTRATION" if rest == "model-versions/create" else "READY"
    return json.dumps(document).encode()
