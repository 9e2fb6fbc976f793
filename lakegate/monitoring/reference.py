"""A model version's reference profile, as training stored it beside the version's run."""

from __future__ import annotations

from lakegate.monitoring.profile import Profile
from lakegate.registry import REFERENCE_PROFILE_ARTIFACT, Registry, RegistryError


def stored_reference_profile(registry: Registry, run_id: str) -> Profile | None:
    """The run's reference profile; None for a run without one (trained before the monitor existed)."""
    try:
        return Profile.from_json(registry.run_artifact(run_id, REFERENCE_PROFILE_ARTIFACT).decode())
    except RegistryError:
        return None
