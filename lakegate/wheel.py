"""Lakegate as a wheel library for Databricks tasks: `lakegate-<version>-py3-none-any.whl`, made from
the project's own pyproject.toml (its packages but the emulator, its package data, dependencies and
console scripts, `lakegate-step` among them), uploaded once per content to a Unity Catalog volume.

The wheel is written here (PEP 427: a zip of the package files and a dist-info with METADATA,
WHEEL, entry_points.txt and RECORD) rather than by setuptools: the build is deterministic, so equal
code gives an equal hash and is uploaded once, it takes a fraction of a second, and nothing is
written into the source tree (setuptools leaves build/ and *.egg-info beside it).
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import tomllib
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOT_SHIPPED = ("databricks_emulator",)  # a stand-in for the workspace, never part of what runs on it
SKIPPED_FOLDERS = {"__pycache__", "target", "logs", "dbt_packages"}  # caches and dbt's run output
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so equal files give an equal wheel


@dataclass(frozen=True)
class Wheel:
    filename: str
    contents: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.contents).hexdigest()

    def volume_path(self, catalog: str) -> str:
        """Where the wheel lives on the workspace: a folder per content, so versions never overwrite."""
        return f"/Volumes/{catalog}/lakegate/wheels/{self.sha256[:16]}/{self.filename}"


def _packages(project: dict) -> list[str]:
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    return [p.rstrip("*") for p in patterns if p.rstrip("*") not in NOT_SHIPPED]


def _shipped(relative: Path, data_patterns: dict[str, list[str]]) -> bool:
    """A module, or package data as setuptools' package-data names it (a package's own patterns are
    relative to its folder, those of "*" match a file name anywhere)."""
    if relative.suffix == ".py" or any(fnmatch.fnmatch(relative.name, p) for p in data_patterns.get("*", [])):
        return True
    for owner, patterns in data_patterns.items():
        folder = Path(*owner.split("."))
        if owner != "*" and relative.is_relative_to(folder):
            if any(fnmatch.fnmatch(relative.relative_to(folder).as_posix(), p) for p in patterns):
                return True
    return False


def _package_files(root: Path, package: str, data_patterns: dict[str, list[str]]) -> list[Path]:
    files = (path.relative_to(root) for path in sorted((root / package).rglob("*")) if path.is_file())
    return [relative for relative in files
            if not SKIPPED_FOLDERS & set(relative.parts[:-1]) and _shipped(relative, data_patterns)]


def _dist_info(project: dict, name: str, version: str) -> dict[str, str]:
    meta = project["project"]
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
                f"Summary: {meta.get('description', '')}", f"Requires-Python: {meta.get('requires-python', '')}",
                *(f"Requires-Dist: {dependency}" for dependency in meta.get("dependencies", []))]
    scripts = "".join(f"{script} = {target}\n" for script, target in sorted(meta.get("scripts", {}).items()))
    return {"METADATA": "\n".join(metadata) + "\n",
            "WHEEL": "Wheel-Version: 1.0\nGenerator: lakegate.wheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
            "entry_points.txt": f"[console_scripts]\n{scripts}"}


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(root: Path = PROJECT_ROOT) -> Wheel:
    """The wheel of the project at root, in memory."""
    project = tomllib.loads((root / "pyproject.toml").read_text())
    name, version = project["project"]["name"], project["project"]["version"]
    data_patterns = project["tool"]["setuptools"].get("package-data", {})
    entries = {path.as_posix(): (root / path).read_bytes()
               for package in _packages(project) for path in _package_files(root, package, data_patterns)}
    dist_info = f"{name}-{version}.dist-info"
    entries |= {f"{dist_info}/{file}": text.encode() for file, text in _dist_info(project, name, version).items()}
    record = [_record_line(path, data) for path, data in entries.items()] + [f"{dist_info}/RECORD,,"]
    entries[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries.items():
            archive.writestr(zipfile.ZipInfo(path, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return Wheel(f"{name}-{version}-py3-none-any.whl", buffer.getvalue())


@lru_cache(maxsize=1)
def this_process_wheel() -> Wheel:
    """Built once per process: the code a process runs is the code it imported at its start."""
    return build_wheel()


def upload_wheel(workspace, catalog: str, wheel: Wheel | None = None) -> str:
    """The wheel's volume path, uploaded through the Files API unless that content is already there."""
    from databricks.sdk.errors import NotFound  # the SDK only where a workspace is used (lakegate/databricks.py)

    wheel = wheel or this_process_wheel()
    path = wheel.volume_path(catalog)
    try:
        workspace.files.get_metadata(path)
    except NotFound:
        workspace.files.upload(path, io.BytesIO(wheel.contents), overwrite=True)
    return path
