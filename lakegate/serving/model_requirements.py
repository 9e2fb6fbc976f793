"""What a served model was logged with that this environment does not have: MLflow's own warning
at load, made cheap.

`mlflow.pyfunc.load_model` checks the model's requirements.txt by first mapping every installed
module to its distribution (`packages_distributions()`, about 1 s here, in every worker, for every
model it loads). A requirement line names its distribution already, so its installed version is one
metadata lookup. The load is called with `suppress_warnings=True` and this check runs instead, with
the same verdicts: a requirement whose distribution is missing or whose version is outside its
specifier, and a Python minor version other than the one the model was logged with.
"""

from __future__ import annotations

import importlib.metadata
import platform

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version


def unmet_requirements(lines: list[str]) -> list[str]:
    """One 'name (current: X, required: line)' per requirement this environment does not satisfy.
    Lines that are not a requirement (a path, a URL, an option such as `-r`) are not judged."""
    unmet = []
    for line in (raw.split("#", 1)[0].strip() for raw in lines):
        if not line or line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            unmet.append(f"{requirement.name} (current: uninstalled, required: {line})")
            continue
        if requirement.specifier and not _satisfies(requirement, installed):
            unmet.append(f"{requirement.name} (current: {installed}, required: {line})")
    return unmet


def _satisfies(requirement: Requirement, installed: str) -> bool:
    try:
        return requirement.specifier.contains(Version(installed), prereleases=True)
    except InvalidVersion:
        return True  # a version packaging cannot read: not ours to judge


def other_python(logged_python: str | None) -> str | None:
    """The Python version the model was logged with, when its major.minor is not this one's."""
    if not logged_python:
        return None
    return None if logged_python.split(".")[:2] == platform.python_version().split(".")[:2] else logged_python
