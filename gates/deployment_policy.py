"""The deployment policy: how a new model version takes over a serving endpoint, one file per environment.

`gates/policies/deployment.<env>.yaml` lists the canary's traffic steps and the health limits the
canary must meet at each one (gates/canary_health.py judges them). `health` applies to
every step; a step written as a mapping (`{traffic: 10, max_wait_seconds: 7200}`) overrides some
of them for that step only. As with the promotion policy, every limit is required and unknown
fields are errors: a policy that forgets a limit never falls back to a default.

Steps below 100 are observed and judged against the incumbent. The last step must be 100: at 100 %
the incumbent gets no traffic, so there is nothing left to compare; it completes the rollout, and
watching the new version from then on is monitoring's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictInt, ValidationError, model_validator

from gates.policy import VERSION_PATTERN, PolicyError, Share, read_policy_document, validation_problems
from lakegate.governance.context import Governance

GATE = "canary_health"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HealthLimits(_Strict):
    # Requests per served entity (caller errors excluded) before a step is judged.
    min_requests: int = Field(ge=1)
    max_wait_seconds: float = Field(gt=0)  # not enough requests by then: roll back (fail closed)
    max_error_rate_increase: Share  # canary's server-error rate minus the incumbent's
    # Requests refused as bad input (4xx): canary's rate minus the incumbent's. A new version with
    # another input schema refuses requests the incumbent accepts; that must not pass unseen.
    max_caller_error_rate_increase: Share
    max_p99_latency_ms: float = Field(gt=0)  # the canary's p99, absolute
    max_p99_latency_ratio: float = Field(ge=1.0)  # the canary's p99 over the incumbent's
    max_score_psi: float = Field(ge=0.0)  # population stability index of canary vs incumbent scores
    # Precision and recall are judged once each side has this many served records with an outcome;
    # before that they are reported as not yet judged, which is not a failure.
    min_labelled: int = Field(ge=1)
    max_precision_drop: Share  # incumbent's precision minus the canary's
    max_recall_drop: Share


@dataclass(frozen=True)
class CanaryStep:
    """One resolved step: the canary's traffic share and the limits it is judged by there."""

    traffic: int
    limits: HealthLimits
    policy_version: str

    @property
    def judged(self) -> bool:
        return self.traffic < 100


class DeploymentPolicy(_Strict):
    version: str = Field(pattern=VERSION_PATTERN)
    environment: str  # must match the file name
    poll_seconds: float = Field(gt=0)  # the longest wait between reads of the log while a step waits (rollout.next_look)
    health: HealthLimits
    steps: list[StrictInt | dict[str, Any]] = Field(min_length=1)
    _resolved: tuple[CanaryStep, ...] = PrivateAttr()

    @model_validator(mode="after")
    def _resolve_steps(self) -> DeploymentPolicy:
        resolved = []
        for i, raw in enumerate(self.steps):
            overrides = dict(raw) if isinstance(raw, dict) else {"traffic": raw}
            traffic = overrides.pop("traffic", None)
            if not isinstance(traffic, int) or isinstance(traffic, bool) or not 1 <= traffic <= 100:
                raise ValueError(f"step {i + 1}: traffic must be a whole percentage from 1 to 100, got {traffic!r}")
            if traffic == 100 and overrides:
                raise ValueError(f"step {i + 1}: the 100 % step is not observed, so it takes no limits ({sorted(overrides)})")
            try:
                limits = HealthLimits(**{**self.health.model_dump(), **overrides})
            except ValidationError as exc:
                raise ValueError(f"step {i + 1} ({traffic} %): {validation_problems(exc)}") from None
            resolved.append(CanaryStep(traffic=traffic, limits=limits, policy_version=self.version))
        shares = [s.traffic for s in resolved]
        if shares != sorted(set(shares)):
            raise ValueError(f"traffic steps must rise strictly, got {shares}")
        if shares[-1] != 100:
            raise ValueError(f"the last traffic step must be 100, got {shares}")
        self._resolved = tuple(resolved)
        return self

    def canary_steps(self) -> tuple[CanaryStep, ...]:
        return self._resolved


def available_deployment_policies(directory: Path) -> list[str]:
    return sorted(p.name[len("deployment."):-len(".yaml")] for p in Path(directory).glob("deployment.*.yaml"))


def load_deployment_policy(env_name: str, directory: Path, governance: Governance | None = None) -> DeploymentPolicy:
    """Load and validate `deployment.<env_name>.yaml`: how endpoints in env_name take a new version.
    A deployment passes `governance`: the file must then be signed by a trusted governance owner."""
    path, raw, _ = read_policy_document("deployment", env_name, directory, available_deployment_policies(directory),
                                        governance)
    try:
        return DeploymentPolicy(**raw)
    except ValidationError as exc:
        raise PolicyError(f"{path}: invalid deployment policy: {validation_problems(exc)}") from None
