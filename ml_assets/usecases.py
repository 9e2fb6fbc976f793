"""The use cases Lakegate trains. Add one here to get features, a training set and a model."""

from lakehouse_assets.domains.claims.sources import CHANNELS
from lakehouse_assets.domains.machines.silver import TEMPERATURE_RANGE
from lakehouse_assets.domains.machines.sources import PLANTS
from ml_assets.spec import EntityRows, LabelSpec, ModelSpec, RequestField, Slice, ThresholdPolicy, TimeSplit, UseCase

CLAIMS_TRIAGE = UseCase(
    name="claims_triage",
    description="Predict whether a submitted claim needs clinical review, so reviewers see it first.",
    owner="team:claims-ml",
    entity_rows=EntityRows(
        table="silver.claims",
        key="claim_id",
        event_timestamp="submission_date",
        entity_columns=("member_token", "provider_id"),
        # Refused at serving as silver's claim expectations drop them (amount, dates), and channel
        # must be a known one (silver only warns: from a live caller it is a feed error to report).
        request_fields=(
            RequestField("amount", "number", minimum=0.0, below=10_000_000.0),
            RequestField("procedure_code", "text", required=False),
            RequestField("diagnosis_code", "text", required=False),
            RequestField("service_date", "date"),
            RequestField("submission_date", "date"),
            RequestField("channel", "text", required=False, known_values=CHANNELS),
        ),
        pseudonymized_keys=(("member_token", "member_id"),),
    ),
    label=LabelSpec(table="silver.claim_outcomes", key="claim_id", column="needs_review", available_at="decided_at"),
    feature_views=(
        "member_claims_90d", "member_review_history", "member_profile",
        "provider_claims_90d", "provider_review_history", "provider_profile",
    ),
    request_features="claim_request_features",
    model=ModelSpec(
        registry_schema="claims",
        name="triage_model",
        params={"max_iter": 300, "learning_rate": 0.06, "max_leaf_nodes": 31, "l2_regularization": 1.0},
        seed=42,
    ),
    split=TimeSplit(validation_fraction=0.15, test_fraction=0.15),
    threshold=ThresholdPolicy(min_recall=0.8),
    slices=(Slice("age_band", "member_age_band"), Slice("sex", "sex", "silver.members", "member_token"),
            Slice("region", "region", "silver.members", "member_token")),
)

MACHINE_FAILURE = UseCase(
    name="machine_failure",
    description="Predict whether a machine fails in the next 7 days, so maintenance reaches it first.",
    owner="team:reliability-ml",
    entity_rows=EntityRows(
        table="gold.machine_days",
        key="machine_day_id",
        event_timestamp="predicted_at",
        entity_columns=("machine_id",),
        # The plant's system sends the latest reading; refused as silver's reading expectations drop
        # them (not numbers, negative, an implausible temperature), and the plant must be known.
        request_fields=(
            RequestField("plant", "text", known_values=PLANTS),
            RequestField("temperature_c", "number", minimum=float(TEMPERATURE_RANGE[0]), below=float(TEMPERATURE_RANGE[1])),
            RequestField("vibration_mm_s", "number", minimum=0.0),
            RequestField("pressure_bar", "number", minimum=0.0),
            RequestField("run_hours", "number", minimum=0.0),
        ),
    ),
    label=LabelSpec(table="gold.machine_failure_labels", key="machine_day_id", column="fails_within_7d",
                    available_at="label_available_at"),
    feature_views=("machine_sensor_24h", "machine_sensor_7d", "machine_service_history", "machine_profile"),
    request_features="machine_request_features",
    model=ModelSpec(
        registry_schema="maintenance",
        name="failure_model",
        params={"max_iter": 200, "learning_rate": 0.06, "max_leaf_nodes": 31, "l2_regularization": 1.0},
        seed=42,
    ),
    split=TimeSplit(validation_fraction=0.15, test_fraction=0.15),
    # A missed failure costs a breakdown; a needless visit costs an hour of a technician.
    threshold=ThresholdPolicy(min_recall=0.75),
    slices=(Slice("plant", "plant"),),
)

USE_CASES = {u.name: u for u in (CLAIMS_TRIAGE, MACHINE_FAILURE)}
