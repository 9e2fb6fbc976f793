"""Batch scoring's plain functions: which rows belong to a day, and how a day's rows become output
rows (scored, or refused with the rule they broke), each naming the model version that scored it."""

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pyarrow as pa

from ml_assets.features.serving import RequestEnricher
from ml_assets.scoring.batch import SCHEMA, day_rows, score_day
from ml_assets.scoring.schedules import scoring_day
from ml_assets.training.columns import feature_columns
from ml_assets.usecases import CLAIMS_TRIAGE, MACHINE_FAILURE

DAY = dt.date(2025, 3, 4)
NOW = dt.datetime(2025, 3, 5, 2, 15, tzinfo=dt.timezone.utc)


class MissingFeatures:
    """An online store that has seen no entity: every feature is missing, as for a new member."""

    def lookup(self, keys, now=None):
        return dict.fromkeys(feature_columns(CLAIMS_TRIAGE))


def claims(amounts, channels, days):
    n = len(amounts)
    return pa.table({
        "claim_id": [f"C{i}" for i in range(n)], "member_token": [f"m{i}" for i in range(n)],
        "provider_id": ["P1"] * n, "amount": pa.array(amounts, pa.float64()), "procedure_code": ["99213"] * n,
        "diagnosis_code": ["Z00.01"] * n, "service_date": [d - dt.timedelta(days=2) for d in days],
        "submission_date": pa.array(days, pa.date32()), "channel": channels})


def model(version="7"):
    enricher = RequestEnricher(CLAIMS_TRIAGE, MissingFeatures(), b"k")
    scorer = SimpleNamespace(predict_proba=lambda columns: np.asarray(columns["amount"], dtype=float) / 1000,
                             flags=lambda scores: (scores >= 0.5).astype(int))
    return SimpleNamespace(enricher=enricher, scorer=scorer, scorer_note="compiled", version_label=f"m/{version}",
                           entity=SimpleNamespace(entity_name="prod.claims.triage_model", entity_version=version))


def test_a_day_holds_the_rows_whose_event_falls_on_it_in_utc():
    rows = claims([1.0, 2.0, 3.0], ["edi"] * 3, [DAY - dt.timedelta(days=1), DAY, DAY])
    assert day_rows(rows, CLAIMS_TRIAGE, DAY)["claim_id"].to_pylist() == ["C1", "C2"]
    planned = pa.table({"predicted_at": pa.array([dt.datetime(2025, 3, 4, 6), dt.datetime(2025, 3, 3, 23, 59),
                                                  dt.datetime(2025, 3, 5, 0, 0)], pa.timestamp("us", tz="UTC"))})
    assert day_rows(planned, MACHINE_FAILURE, DAY).num_rows == 1


def test_each_row_is_scored_or_refused_in_place_with_the_version_that_scored_it():
    rows = claims([900.0, -5.0, 100.0, 700.0], ["edi", "edi", "carrier pigeon", "portal"], [DAY] * 4)
    out = score_day(rows, CLAIMS_TRIAGE, model("7"), DAY, NOW)
    assert out.schema == SCHEMA
    assert out["record_key"].to_pylist() == ["C0", "C1", "C2", "C3"]
    assert out["score"].to_pylist() == [0.9, None, None, 0.7]
    assert out["prediction"].to_pylist() == [1, None, None, 1]
    refused = out["refused"].to_pylist()
    assert refused[0] is None and refused[3] is None
    assert refused[1] == "amount must be at least 0" and refused[2].startswith("channel must be one of")
    assert set(out["model_version"].to_pylist()) == {"7"} and set(out["scoring_date"].to_pylist()) == {DAY}
    assert out["event_timestamp"][0].as_py() == dt.datetime(2025, 3, 4, tzinfo=dt.timezone.utc)


def test_a_day_without_rows_writes_no_rows_and_a_day_all_refused_scores_nothing():
    assert score_day(claims([], [], []), CLAIMS_TRIAGE, model(), DAY, NOW).num_rows == 0
    out = score_day(claims([-1.0], ["edi"], [DAY]), CLAIMS_TRIAGE, model(), DAY, NOW)
    assert out["score"].to_pylist() == [None] and out["refused"].to_pylist() == ["amount must be at least 0"]


def test_the_schedule_scores_the_utc_day_before_its_tick():
    assert scoring_day(NOW) == "2025-03-04"
    assert scoring_day(dt.datetime(2025, 3, 5, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))) == "2025-03-03"
