"""What an approval is bound to: the model version's artifact hash.

The artifact hash is SHA-256 over the version's stored artifact files, in sorted order of their
relative POSIX paths; for each file it takes the path (UTF-8), a NUL byte, the size in decimal, a
NUL byte, then the file's bytes. The files come from MLflow's own download of the version's storage
location (`get_model_version_download_uri`), not of the `models:/` URI: that download adds a
`registered_model_meta` file naming the registered model, so a copy of the same artifact into
another catalog (test → prod) would hash differently. On a local store that file can also appear
inside the storage location itself (MLflow writes it there when the version is loaded), so it is
never hashed. The version itself is bound by the signed payload, not by the hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from lakegate.registry import RegistryError

if TYPE_CHECKING:
    from lakegate.registry import Registry

_CHUNK = 1 << 20
# MLflow's note of which registered model a download was for: registry metadata, not the model.
_NOT_ARTIFACT = {"registered_model_meta"}


def directory_hash(root: Path) -> str:
    """SHA-256 (hex) of every regular file under `root`: sorted relative paths, sizes and bytes."""
    root = Path(root)
    files = sorted((p for p in root.rglob("*") if p.is_file() and p.name not in _NOT_ARTIFACT),
                   key=lambda p: p.relative_to(root).as_posix())
    if not files:
        raise RegistryError(f"{root} holds no artifact files to hash")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(str(path.stat().st_size).encode("ascii") + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def model_artifact_hash(registry: "Registry", name: str, version: str | int) -> str:
    """The artifact hash of `name` version `version` (a number or an alias) in this registry."""
    import mlflow

    model_version = registry.model_version(name, version)  # RegistryError for unknown names and versions
    uri = registry.client.get_model_version_download_uri(name, model_version.version)
    with tempfile.TemporaryDirectory(prefix="lakegate-artifact-hash-") as tmp, _quiet_download(), registry.activate():
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp)
        if Path(local).is_file():  # a single-file artifact
            return directory_hash(Path(local).parent)
        return directory_hash(Path(local))


@contextlib.contextmanager
def _quiet_download() -> Iterator[None]:
    """MLflow draws a progress bar on stderr for every download; not for a hash."""
    key = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    saved = os.environ.get(key)
    os.environ[key] = "false"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = saved
