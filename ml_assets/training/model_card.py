"""The model card: what the model is for, what it was trained on, how good it is, and its limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from ml_assets.spec import UseCase
from ml_assets.training.evaluation import ThresholdChoice


@dataclass
class CardFacts:
    use_case: UseCase
    registered_name: str
    training_set: str
    training_set_version: int
    upstream: dict[str, int | None]
    split_sizes: dict[str, int]
    split_bounds: dict[str, str]
    threshold: ThresholdChoice
    metrics: dict[str, dict[str, float]]  # part → metrics
    top_features: list[tuple[str, float]]
    run_id: str
    git_commit: str
    principal: str
    input_columns: tuple[str, ...]
    params: dict = field(default_factory=dict)


def render(f: CardFacts) -> str:
    u = f.use_case
    rows = ["| metric | validation | test |", "|---|---|---|"]
    for name in ("roc_auc", "pr_auc", "precision", "recall", "f1", "brier", "base_rate", "flag_rate"):
        rows.append(f"| {name} | {f.metrics['validation'][name]:.4f} | {f.metrics['test'][name]:.4f} |")
    for name in ("rows", "positives"):
        rows.append(f"| {name} | {int(f.metrics['validation'][name]):,} | {int(f.metrics['test'][name]):,} |")
    upstream = "\n".join(f"  - `{t}` @ v{v}" for t, v in sorted(f.upstream.items())) or "  - (none recorded)"
    features = "\n".join(f"{i}. `{name}` ({value:.4f})" for i, (name, value) in enumerate(f.top_features, 1))
    rule = (
        f"the highest threshold whose validation recall is at least {u.threshold.min_recall:.2f}"
        if f.threshold.rule == "min_recall"
        else f"no threshold reached recall {u.threshold.min_recall:.2f}; the F1-maximizing threshold"
    )
    params = ", ".join(f"{k}={v}" for k, v in sorted(f.params.items()))
    return f"""# Model card: {f.registered_name}

## Intended use
{u.description}

The model ranks submitted claims by the probability that they need clinical review and flags those
at or above the operating threshold, so that reviewers see them first. It supports reviewers; it
does not approve or deny claims, and a claim it does not flag is still processed as usual.

- Owner: {u.owner}
- Use case: `{u.name}`
- Trained by: {f.principal} (MLflow run `{f.run_id}`, git commit `{f.git_commit}`)

## Data and versions
- Training set: `{f.training_set}` @ Delta version {f.training_set_version}, built from:
{upstream}
- Time-based split on `event_timestamp` (train oldest, validation next, test newest):
  train {f.split_sizes['train']:,} rows (before {f.split_bounds['validation_start']}),
  validation {f.split_sizes['validation']:,} rows, test {f.split_sizes['test']:,} rows (from {f.split_bounds['test_start']}).
- Inputs ({len(f.input_columns)} columns, raw request fields plus looked-up features):
  {', '.join(f'`{c}`' for c in f.input_columns)}

## Model
scikit-learn pipeline: request-time features (`{u.request_features}`) → ordinal encoding of
categories → HistGradientBoostingClassifier (seed {u.model.seed}; {params}); the minority class (review)
is handled at the threshold, so the probabilities stay calibrated.

## Threshold policy
{rule}: **{f.threshold.threshold:.4f}** (validation precision {f.threshold.precision:.3f},
recall {f.threshold.recall:.3f}). A claim is flagged when its probability is at or above it.

## Metrics
{chr(10).join(rows)}

## Most important inputs (permutation importance, drop in validation PR AUC)
{features}

## Limitations
- Probabilities are from a class-weighted model: they rank claims well but over-state the
  chance of review; use the flag (or re-calibrate) rather than reading them as frequencies.
- Trained on one period of claims; shifts in coding, channels or provider mix degrade it. The
  monitoring layer watches input drift and live quality.
- Members and providers without history have null features; the model has seen such rows, but
  its accuracy for them is lower than for those with history.
- Fairness across member groups is assessed by the bias gate before promotion, not here.
- Labels are past review decisions: the model learns past reviewers' practice, including its
  inconsistencies.
"""
