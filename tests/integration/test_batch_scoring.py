"""Batch scoring on a real registry and real Delta: a day's claims scored by the prod champion into
`dev.scoring.claims_triage_batch_predictions`, with the scores the endpoint gives the same claims,
the champion's version on every row, and a day scored again replaced rather than added."""

import collections
import datetime as dt
import json

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lakegate.environment import current_environment
from lakegate.lake import Lake
from lakegate.platform import Platform
from lakegate.registry import Registry, Tags
from lakegate.resources import resources_for
from lakegate.serving.endpoints import ServedEntity
from lakegate.serving.models import load_served_model
from ml_assets.features.serving import enricher_for
from ml_assets.scoring.assets import build_batch_scoring
from ml_assets.usecases import CLAIMS_TRIAGE
from tests.integration.test_training_mlflow import synthetic_training_set
from tests.triage_home import MODEL, build_triage_home, triage_environment

pytestmark = pytest.mark.integration
PROD = CLAIMS_TRIAGE.registered_model_name("prod")
TABLE = CLAIMS_TRIAGE.batch_predictions_table("dev")
CLAIM_COLUMNS = ["claim_id", "member_token", "provider_id", "amount", "procedure_code", "diagnosis_code",
                 "service_date", "submission_date", "channel"]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A home whose prod champion is the triage model, and whose silver claims span several days."""
    home = tmp_path_factory.mktemp("batch-scoring")
    with triage_environment(home):
        dev_version = build_triage_home(home)
        registry = Registry.from_env(home=home)
        champion = str(registry.register(f"models:/{MODEL}/{dev_version}", PROD,
                                         tags={Tags.USE_CASE: CLAIMS_TRIAGE.name}).version)
        registry.set_alias(PROD, "champion", champion)
        claims = a_year_later(synthetic_training_set(rows=600, seed=5).select(CLAIM_COLUMNS))
        Lake(home / "lake").write_arrow("dev.silver.claims", claims, mode="overwrite")
        yield home, registry, claims, champion


def a_year_later(claims: pa.Table) -> pa.Table:
    """The synthetic claims (2024) moved into the days batch scoring covers (from 2025)."""
    for name in ("service_date", "submission_date"):
        moved = pa.array([d + dt.timedelta(days=366) for d in claims[name].to_pylist()], pa.date32())
        claims = claims.set_column(claims.schema.get_field_index(name), name, moved)
    return claims


def busiest_days(claims, n=2):
    return [day for day, _ in collections.Counter(claims["submission_date"].to_pylist()).most_common(n)]


def score(day: dt.date) -> dg.MaterializeResult:
    result = dg.materialize([build_batch_scoring(CLAIMS_TRIAGE)], partition_key=day.isoformat(),
                            resources=resources_for(current_environment()), instance=dg.DagsterInstance.ephemeral())
    assert result.success
    [event] = result.get_asset_materialization_events()
    return event.event_specific_data.materialization


def served(registry, home, claims):
    """What the endpoint's own code answers for these claims, sent as a caller sends them (JSON)."""
    model = load_served_model(ServedEntity(name="live", entity_name=MODEL, entity_version="1"), registry,
                              lambda name: enricher_for(name, home, Platform().pii_hmac_key()))
    records = [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()} for r in claims.to_pylist()]
    return model.answer(json.dumps({"dataframe_records": records}).encode(), "application/json", max_rows=10_000)


def test_a_day_is_scored_by_the_champion_as_the_endpoint_scores_it_and_rescoring_replaces_it(home):
    home, registry, claims, champion = home
    first, second = busiest_days(claims)
    with triage_environment(home):
        meta = score(first)
        day_claims = claims.filter(pc.equal(claims["submission_date"], first))
        table = Lake(home / "lake").read_arrow(TABLE)
        assert sorted(table["record_key"].to_pylist()) == sorted(day_claims["claim_id"].to_pylist())
        assert set(table["model_version"].to_pylist()) == {champion} and set(table["model_name"].to_pylist()) == {PROD}
        assert meta.metadata["model_version"].value == champion and meta.metadata["dagster/row_count"].value == len(table)
        refused = {r["record_key"]: r for r in table.to_pylist() if r["refused"] is not None}
        assert refused and all(r["score"] is None and r["prediction"] is None for r in refused.values())
        is_refused = pa.array([k in refused for k in day_claims["claim_id"].to_pylist()])
        answer = served(registry, home, day_claims.filter(pc.invert(is_refused)))
        assert answer.status == 200, answer.body
        batch = dict(zip(table["record_key"].to_pylist(), table["score"].to_pylist()))
        accepted = day_claims.filter(pc.invert(is_refused))["claim_id"].to_pylist()
        assert accepted and [batch[k] for k in accepted] == pytest.approx(answer.scores, abs=1e-12)
        assert served(registry, home, day_claims.filter(is_refused).slice(0, 1)).status == 400  # the endpoint refuses them too

        score(second)
        score(first)  # again: the day's slice is replaced, not appended
        table = Lake(home / "lake").read_arrow(TABLE)
        days = collections.Counter(table["scoring_date"].to_pylist())
        assert days == {first: day_claims.num_rows,
                        second: pc.sum(pc.equal(claims["submission_date"], second)).as_py()}
