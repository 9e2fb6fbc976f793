"""The scheduled drill's asset on a real Dagster instance and ledger, with the drill itself (servers
under load, tests/e2e/test_monitoring.py) replaced by its result: the asset drills the use case's
endpoint with its landed requests, records the drill, and its check fails with ERROR on a bad drill."""

import dagster as dg
import pytest

from lakegate.ledger import Ledger
from lakegate.platform import Platform
from lakegate.registry_resource import MlflowRegistry
from lakegate.serving import drill
from lakegate.serving.drill import DrillResult
from ml_assets.features.request_samples import CLAIM_REQUEST_FIELDS
from ml_assets.monitoring.drill import DRILL_CHECK, build_drill
from ml_assets.usecases import CLAIMS_TRIAGE

pytestmark = pytest.mark.integration


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEGATE_HOME", str(tmp_path))
    monkeypatch.setenv("LAKEGATE_ENV", "local")
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):
        monkeypatch.delenv(name, raising=False)
    claims = tmp_path / "landing" / "claims"
    claims.mkdir(parents=True)
    row = "C1,M1,P1,19.14,85025,Z00.01,2025-02-13,2025-02-16,edi"
    (claims / "claims_1.csv").write_text(",".join(CLAIM_REQUEST_FIELDS) + "\n" + row + "\n" + row.replace("C1", "C2") + "\n")
    return tmp_path


def drilled(monkeypatch, failed: int):
    seen = {}

    def run_drill(home, env, endpoints, name, bodies):
        seen.update(name=name, bodies=len(bodies))
        return DrillResult(name, "v1", 0.004, 0.003, failed, 2.5, 7, {"200": 500, "no answer": 7 + failed})

    monkeypatch.setattr(drill, "run_drill", run_drill)
    platform = Platform()
    result = dg.materialize([build_drill(CLAIMS_TRIAGE)], instance=dg.DagsterInstance.ephemeral(),
                            resources={"platform": platform, "mlflow": MlflowRegistry(platform=platform)})
    [check] = result.get_asset_check_evaluations()
    return seen, check


def test_the_drill_asset_records_the_drill_and_its_check_fails_a_bad_one(home, monkeypatch):
    seen, check = drilled(monkeypatch, failed=0)
    assert seen == {"name": "claims-triage", "bodies": 2}
    assert check.check_name == DRILL_CHECK and check.passed
    [record] = Ledger.for_home(home).records(kind="drill")
    assert record.subject == {"endpoint": "claims-triage"} and record.outcome["recovery_seconds"] == 2.5
    assert check.metadata["ledger_seq"].value == record.seq

    _, bad = drilled(monkeypatch, failed=3)
    assert not bad.passed and bad.severity == dg.AssetCheckSeverity.ERROR
    assert "3 failed requests" in bad.description
