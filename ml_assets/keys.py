"""Every asset key, group, tag and name a use case's pipeline has, derived from its spec in one
place: the factories, the gate checks, the demo and the tests all ask here."""

from __future__ import annotations

import dagster as dg

from lakegate.names import USE_CASE_TAG
from ml_assets.spec import UseCase
from ml_assets.usecases import USE_CASES

STAGE_TAG = "lakegate/stage"  # training | promotion | deployment | scoring | monitoring: select a stage across use cases
TRAINING, PROMOTION, DEPLOYMENT, SCORING, MONITORING = "training", "promotion", "deployment", "scoring", "monitoring"


def _key(use_case: UseCase, suffix: str) -> dg.AssetKey:
    return dg.AssetKey(["ml", f"{use_case.name}_{suffix}"])


def training_set_key(use_case: UseCase) -> dg.AssetKey:
    return _key(use_case, "training_set")


def model_key(use_case: UseCase) -> dg.AssetKey:
    """The dev candidate (alias challenger): the automated gates are its checks."""
    return _key(use_case, "model")


def test_model_key(use_case: UseCase) -> dg.AssetKey:
    return _key(use_case, "test_model")


def release_candidate_key(use_case: UseCase) -> dg.AssetKey:
    """The test challenger proposed for prod: the signed approvals are its check."""
    return _key(use_case, "release_candidate")


def prod_model_key(use_case: UseCase) -> dg.AssetKey:
    return _key(use_case, "prod_model")


def deployment_request_key(use_case: UseCase) -> dg.AssetKey:
    """The champion proposed for the endpoint: the signed deployment approval is its check."""
    return _key(use_case, "deployment_request")


def deployment_key(use_case: UseCase) -> dg.AssetKey:
    return _key(use_case, "deployment")


def monitor_key(use_case: UseCase) -> dg.AssetKey:
    """The monitor of the use case's endpoint: its drift, quality and SLA checks judge the champion."""
    return _key(use_case, "monitor")


def drill_key(use_case: UseCase) -> dg.AssetKey:
    """The endpoint's latest rollback and recovery drill (a ledger record): its check fails a bad drill."""
    return _key(use_case, "rollback_drill")


def batch_scores_key(use_case: UseCase) -> dg.AssetKey:
    """Each day's new prediction points scored by the champion: the playbook's batch path."""
    return _key(use_case, "batch_scores")


def entity_table_key(use_case: UseCase) -> dg.AssetKey:
    """The asset that writes the use case's prediction points (`schema.table` of its entity rows)."""
    return dg.AssetKey(use_case.entity_rows.table.split("."))


def label_table_key(use_case: UseCase) -> dg.AssetKey:
    """The asset that writes the use case's labels (`schema.table` of its label spec)."""
    return dg.AssetKey(use_case.label.table.split("."))


def group(use_case: UseCase) -> str:
    """One Dagster group per use case, so the UI shows each pipeline as its own graph."""
    return use_case.name


def tags(use_case: UseCase, stage: str) -> dict[str, str]:
    return {USE_CASE_TAG: use_case.name, STAGE_TAG: stage}


def endpoint_name(use_case: UseCase) -> str:
    return use_case.name.replace("_", "-")


def selection(stage: str) -> str:
    """A Dagster asset selection of one stage of every use case."""
    return f'tag:{STAGE_TAG}="{stage}"'


def excluding(*stages: str) -> str:
    """A Dagster asset selection clause leaving these stages of every use case out."""
    return " and ".join(f"not {selection(stage)}" for stage in stages)
