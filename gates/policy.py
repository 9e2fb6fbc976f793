"""The promotion policy: every automated gate's thresholds, versioned, one file per environment.

`gates/policies/promotion.<env>.yaml` judges a promotion INTO environment <env>. Every section and
every threshold is required: a policy that forgets a gate is an error, never a silent default.
Unknown fields are errors too. A verdict carries the thresholds it applied and the policy version.

This module also holds the plumbing every gate shares: `run_gate` turns missing inputs and any
error during evaluation into a failed verdict (fail-closed), with the policy's thresholds attached.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Callable, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from gates.verdict import GateVerdict, failed
from lakegate.environment import ConfigError
from lakegate.governance.context import Governance
from lakegate.ledger import LedgerError
from lakegate.policy_signatures import PolicyTrustError, SignedPolicy, read_signed_policy
from lakegate.trust import TrustError
from lakegate.yaml_load import safe_load

POLICIES_DIR = Path(__file__).resolve().parent / "policies"  # shipped: <use case>/<kind>.<env>.yaml
POLICIES_DIR_ENV = "LAKEGATE_POLICIES_DIR"


def policies_root() -> Path:
    """Where the use cases' policy files live: $LAKEGATE_POLICIES_DIR (a team's own governed checkout
    of them, laid out as gates/policies is), else the ones shipped in gates/policies."""
    chosen = os.environ.get(POLICIES_DIR_ENV, "").strip()
    return Path(chosen).resolve() if chosen else POLICIES_DIR


def policies_dir(use_case: str) -> Path:
    """Where a use case's promotion and deployment policies live, one file per environment."""
    return policies_root() / use_case


def policy_name(path: Path) -> str:
    """The name a policy file is signed and recorded under: its path below the policies root, so two
    use cases' `promotion.local.yaml` stay apart (a file elsewhere goes by its file name)."""
    path, root = Path(path).resolve(), policies_root()
    return path.relative_to(root).as_posix() if root in path.parents else path.name


VERSION_PATTERN = r"^\d{4}-\d{2}-\d{2}\.\d+$"  # the date the policy was approved, then a counter
Share = Annotated[float, Field(ge=0.0, le=1.0)]  # a rate, share or difference of rates

# Gate names: one per automated gate, also the name of the policy section holding its thresholds.
QUALITY, PERFORMANCE, BIAS, STABILITY, CALIBRATION, SKEW, UNIT_TESTS = (
    "quality", "performance", "bias", "stability", "calibration", "skew", "unit_tests",
)
GATES = (QUALITY, PERFORMANCE, BIAS, STABILITY, CALIBRATION, SKEW, UNIT_TESTS)


class PolicyError(ConfigError):
    """A missing or invalid promotion policy. Its message is meant for the user as it is."""


class GateInputError(ValueError):
    """A gate's input is missing, empty or unusable: the gate fails closed with this message."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QualityPolicy(_Strict):
    # Per silver table (`schema.table`, catalog-free): the highest share of its bronze rows that
    # may be quarantined. Every table listed here must be reported; others are shown, not judged.
    max_quarantine_share: dict[str, float] = Field(min_length=1)
    # ERROR-severity checks that must be among the results and have passed, as "asset/key:check".
    # Any other ERROR check in the results must have passed too; WARN checks are only reported.
    required_checks: list[str] = Field(min_length=1)

    @field_validator("max_quarantine_share")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for table, share in value.items():
            if not re.fullmatch(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*", table):
                raise ValueError(f"table {table!r} must be schema.table (no catalog), lower_snake_case")
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{table}: share {share} must be between 0 and 1")
        return value

    @field_validator("required_checks")
    @classmethod
    def _checks(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.fullmatch(r"[a-z0-9_]+(/[a-z0-9_]+)*:[a-z0-9_]+", name):
                raise ValueError(f"required check {name!r} must be 'asset/key:check_name'")
        if len(set(value)) != len(value):
            raise ValueError("required checks are listed more than once")
        return value


class PerformancePolicy(_Strict):
    metric: Literal["roc_auc", "pr_auc"]  # higher is better for both
    min_value: Share  # the candidate's metric on the held-out set must be at least this
    max_drop_vs_champion: Share  # and at most this much below the champion's on the same set
    min_rows: int = Field(ge=1)  # a held-out set smaller than this cannot be judged


class BiasPolicy(_Strict):
    protected_attributes: list[str] = Field(min_length=1)
    # Largest allowed difference between the highest and lowest judged group, per attribute.
    max_selection_rate_difference: Share
    max_tpr_difference: Share
    max_fpr_difference: Share
    # A group's rate is judged only when it rests on at least this many rows: all its rows for the
    # selection rate, its actual positives for the TPR, its actual negatives for the FPR. Smaller
    # groups are reported, not judged; fewer than two judged groups cannot be judged (a failure).
    min_group_size: int = Field(ge=1)

    @field_validator("protected_attributes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("protected attributes are listed more than once")
        return value


class StabilityPolicy(_Strict):
    metric: Literal["roc_auc", "pr_auc"]
    time_slices: int = Field(ge=2, le=50)  # equal-count slices by event time (quantiles)
    min_slice_rows: int = Field(ge=1)  # a smaller slice cannot be judged (a failure)
    bootstrap_samples: int = Field(ge=10, le=10_000)
    seed: int  # fixed, so the same inputs give the same verdict
    max_slice_std: Share  # sample std (ddof=1) of the metric across time slices
    max_bootstrap_std: Share  # sample std of the metric across bootstrap resamples


class CalibrationPolicy(_Strict):
    bins: int = Field(ge=2, le=100)  # equal-width probability bins for the expected calibration error
    max_ece: Share
    max_brier: Share


class SkewPolicy(_Strict):
    max_mismatches: int = Field(ge=0)  # online/offline feature values that differ
    min_keys_compared: int = Field(ge=1)  # fewer keys compared proves nothing (a failure)


class UnitTestsPolicy(_Strict):
    # pytest arguments selecting the feature logic's unit tests; paths relative to the repository.
    selection: list[str] = Field(min_length=1)
    timeout_seconds: int = Field(ge=1, le=3600)


class PromotionPolicy(_Strict):
    version: str = Field(pattern=VERSION_PATTERN)
    environment: str  # the environment promoted INTO; must match the file name
    quality: QualityPolicy
    performance: PerformancePolicy
    bias: BiasPolicy
    stability: StabilityPolicy
    calibration: CalibrationPolicy
    skew: SkewPolicy
    unit_tests: UnitTestsPolicy
    _sha256: str | None = PrivateAttr(default=None)

    def thresholds(self, gate: str) -> dict[str, Any]:
        """The thresholds a gate applies: its policy section, as plain values."""
        return getattr(self, gate).model_dump(mode="json")

    @property
    def sha256(self) -> str | None:
        """The SHA-256 of the signed file this policy was read from (None when read unsigned)."""
        return self._sha256

    def verdict(self, gate: str, passed: bool, reason: str, measured: dict[str, Any]) -> GateVerdict:
        return GateVerdict(gate=gate, passed=passed, reason=reason, measured=measured,
                           thresholds=self.thresholds(gate), policy_version=self.version, policy_sha256=self._sha256)

    def failed(self, gate: str, reason: str, **measured: Any) -> GateVerdict:
        return self.verdict(gate, False, reason, measured)


def run_gate(gate: str, policy: Any, evaluate: Callable[..., GateVerdict], *args: Any) -> GateVerdict:
    """Evaluate one gate, fail-closed: no policy, unusable inputs or any error give a failed verdict."""
    if not isinstance(policy, PromotionPolicy):
        return failed(gate, f"no promotion policy to judge the {gate} gate by (got {type(policy).__name__})")
    try:
        return evaluate(*args, policy)
    except GateInputError as exc:
        return policy.failed(gate, f"{gate} gate cannot be evaluated: {exc}")
    except Exception as exc:  # fail-closed: an error while judging is never a pass
        return policy.failed(gate, f"{gate} gate cannot be evaluated: {type(exc).__name__}: {exc}")


def available_policies(directory: Path) -> list[str]:
    return sorted(p.name[len("promotion."):-len(".yaml")] for p in directory.glob("promotion.*.yaml"))


def validation_problems(exc: ValidationError) -> str:
    """A policy's validation errors in one line: `section.field: what is wrong; ...`."""
    return "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg'].removeprefix('Value error, ')}"
                     for err in exc.errors())


def read_policy_document(kind: str, env_name: str, directory: Path, known: list[str],
                         governance: Governance | None = None) -> tuple[Path, dict, SignedPolicy | None]:
    """`<kind>.<env_name>.yaml` from `directory` as a mapping whose `environment` is env_name, read
    once; with `governance`, those exact bytes must carry a trusted governance owner's signature.
    PolicyError, naming the file and what is wrong, otherwise."""
    if not isinstance(env_name, str) or not re.fullmatch(r"[a-z][a-z0-9_-]*", env_name):
        raise PolicyError(f"invalid environment name {env_name!r} for a {kind} policy")
    path = Path(directory) / f"{kind}.{env_name}.yaml"
    if not path.is_file():
        raise PolicyError(f"no {kind} policy for environment {env_name!r} ({path} does not exist); "
                          f"known: {', '.join(known) or 'none'}")
    signed = None
    if governance is not None:
        try:
            signed = read_signed_policy(path, governance.home, governance.trusted_keys(), governance.verified_ledger(),
                                        name=policy_name(path))
        except (PolicyTrustError, TrustError, LedgerError) as exc:
            raise PolicyError(str(exc)) from None
    try:
        raw = safe_load(signed.data if signed else path.read_bytes())
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: expected a mapping at the top level")
    if raw.get("environment") != env_name:
        raise PolicyError(f"{path}: environment {raw.get('environment')!r} does not match the file name {env_name!r}")
    return path, raw, signed


def load_policy(env_name: str, directory: Path, governance: Governance | None = None) -> PromotionPolicy:
    """Load and validate `promotion.<env_name>.yaml`: the policy judging promotion into env_name.
    Decisions pass `governance`: the file must then be signed, and verdicts carry its SHA-256."""
    path, raw, signed = read_policy_document("promotion", env_name, directory, available_policies(Path(directory)),
                                             governance)
    try:
        policy = PromotionPolicy(**raw)
    except ValidationError as exc:
        raise PolicyError(f"{path}: invalid promotion policy: {validation_problems(exc)}") from None
    policy._sha256 = signed.sha256 if signed else None
    return policy
