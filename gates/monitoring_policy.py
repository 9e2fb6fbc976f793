"""The monitoring policy: what a served model may drift, lose in quality and take in latency before
someone is told (WARN) or something acts (ERROR), one file per environment and use case.

`gates/policies/<use case>/monitoring.<env>.yaml`, versioned and signed like the promotion and
deployment policies. Every limit is required and unknown fields are errors. Each family of limits
has an advisory (`warn_*`) and an acting (`error_*`) level; an ERROR drift or quality verdict on
the prod champion rolls the endpoint back and asks for a retraining (gates/remediation.py).

Drift is judged feature by feature against the model version's reference profile (BASELINE):
a feature has drifted when its PSI reaches the band's upper edge, its Jensen-Shannon distance its
limit, or its KS/chi-squared p-value falls below alpha divided by the number of features tested
(Bonferroni: with 24 features and alpha 0.05, one feature in three would "drift" by chance per
window otherwise). The window has drifted when the share of drifted features reaches the limit.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gates.policy import VERSION_PATTERN, PolicyError, Share, read_policy_document, validation_problems
from lakegate.governance.context import Governance

GRANULARITIES = ("1 hour", "1 day")  # calendar-aligned, UTC; the monitor computes every one


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DriftLimits(_Strict):
    psi_bands: tuple[float, float]  # (moderate, significant): the usual 0.1 / 0.25
    max_js_distance: float = Field(gt=0, le=1)
    alpha: Share  # family-wise: each test uses alpha / number of features (Bonferroni)
    warn_drifted_share: Share  # share of features drifted for an advisory verdict
    error_drifted_share: Share  # ... for a verdict that acts

    @model_validator(mode="after")
    def _ordered(self) -> "DriftLimits":
        if not 0 < self.psi_bands[0] < self.psi_bands[1]:
            raise ValueError("psi_bands must be (moderate, significant) with 0 < moderate < significant")
        if self.warn_drifted_share > self.error_drifted_share:
            raise ValueError("warn_drifted_share must not exceed error_drifted_share")
        return self


class QualityLimits(_Strict):
    min_labelled: int = Field(ge=1)  # labelled rows in a window before quality is judged at all
    warn_min_precision: Share
    error_min_precision: Share
    warn_min_recall: Share
    error_min_recall: Share

    @model_validator(mode="after")
    def _ordered(self) -> "QualityLimits":
        if self.error_min_precision > self.warn_min_precision or self.error_min_recall > self.warn_min_recall:
            raise ValueError("an error floor must not be above its warn floor")
        return self


class SlaLimits(_Strict):
    warn_p99_latency_ms: float = Field(gt=0)
    error_p99_latency_ms: float = Field(gt=0)
    warn_error_rate: Share  # share of requests answered 5xx
    error_error_rate: Share


class ModelRisk(_Strict):
    """The model-risk fields of the playbook: how much drift is acceptable is `drift`; these say how
    often a model is retrained and rehearsed, and how old it may get before it must be replaced."""

    retraining_cadence_days: int = Field(ge=1)
    max_model_age_days: int = Field(ge=1)
    drill_cadence_days: int = Field(ge=1)


class Actions(_Strict):
    # After an action (rollback, retraining request) on an endpoint, the same kind waits this long:
    # one bad hour must not start ten retrainings.
    cooldown_minutes: int = Field(ge=0)
    rollback: bool  # an ERROR verdict on the champion rolls back to a healthy previous champion
    retrain: bool  # ... and asks for a retraining run through every gate


class MonitoringPolicy(_Strict):
    version: str = Field(pattern=VERSION_PATTERN)
    environment: str
    min_window_rows: int = Field(ge=1)  # below this a window gets figures but no verdict
    judged_granularity: str  # which granularity the checks judge (the latest complete window)
    drift: DriftLimits
    quality: QualityLimits
    sla: SlaLimits
    model_risk: ModelRisk
    actions: Actions
    sha256: str = ""  # of the file's bytes, set by the loader

    @model_validator(mode="after")
    def _known_granularity(self) -> "MonitoringPolicy":
        if self.judged_granularity not in GRANULARITIES:
            raise ValueError(f"judged_granularity must be one of {', '.join(GRANULARITIES)}")
        return self


def available_monitoring_policies(directory: Path) -> list[str]:
    return sorted(p.name.split(".")[1] for p in Path(directory).glob("monitoring.*.yaml"))


def load_monitoring_policy(env_name: str, directory: Path, governance: Governance | None = None) -> MonitoringPolicy:
    """Load and validate `monitoring.<env_name>.yaml`; with `governance` it must be signed by a trusted
    governance owner (an action taken under an unsigned policy would be a shortcut)."""
    path, raw, signed = read_policy_document("monitoring", env_name, directory,
                                             available_monitoring_policies(directory), governance)
    try:
        return MonitoringPolicy(**raw, sha256=signed.sha256 if signed else "")
    except ValidationError as exc:
        raise PolicyError(f"{path}: invalid monitoring policy: {validation_problems(exc)}") from None
