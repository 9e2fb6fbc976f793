"""The demo's drift scenario per use case: traffic from a changed population, and the outcomes that
arrive for it later, landed as the source system would land them. `make demo` replays it against
the champion so the monitor has something to find (lakegate/cli/demo_loop.py).

Claims triage: a new broker sends paper claims of three times the usual amount, for other
procedures, filed weeks after the service; their reviews then come back the other way round from
what the model said (a quality drop). A use case without a scenario gets monitored, not provoked.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from lakehouse_assets.domains.claims.sources import CLAIM_OUTCOMES
from ml_assets.features.request_samples import landed_claim_requests

SHIFTED_PREFIX = "SHIFT-"


@dataclass(frozen=True)
class DriftScenario:
    requests: Callable[[Path], list[bytes]]  # landing root → request bodies of the changed population
    land_labels: Callable[[Path, dict[str, int]], Path]  # (landing root, prediction per record key) → file landed
    label_assets: tuple[dg.AssetKey, ...]  # what to materialize so the landed labels reach the label table


def shifted_claim_requests(landing: Path, copies: int = 6) -> list[bytes]:
    """Each landed claim `copies` times under new claim ids, as the changed population would send it."""
    shifted = []
    for body in landed_claim_requests(landing):
        record = json.loads(body)["dataframe_records"][0]
        if record.get("amount") is None or not record.get("service_date"):
            continue
        service = dt.date.fromisoformat(record["service_date"][:10])
        for copy in range(copies):
            changed = {**record, "claim_id": f"{SHIFTED_PREFIX}{copy}-{record['claim_id']}",
                       "amount": round(record["amount"] * (3 + copy), 2), "channel": "paper",
                       "procedure_code": "99499", "diagnosis_code": "R69",
                       "submission_date": (service + dt.timedelta(days=45 + copy)).isoformat()}
            shifted.append(json.dumps({"dataframe_records": [changed]}).encode())
    return shifted


def land_flipped_claim_outcomes(landing: Path, predictions: dict[str, int]) -> Path:
    """Review outcomes for the shifted claims, each the opposite of what the model predicted."""
    now = dt.datetime.now(dt.timezone.utc)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")  # as the claims system writes its times (UTC)
    path = landing / CLAIM_OUTCOMES.name / f"claim_outcomes_shifted_{now:%Y%m%dT%H%M%S}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".tmp"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CLAIM_OUTCOMES.columns)
        for claim_id, predicted in sorted(predictions.items()):
            writer.writerow([claim_id, 1 - int(predicted), stamp, stamp])
    path.with_suffix(".tmp").rename(path)  # landed whole or not at all
    return path


DRIFT_SCENARIOS: dict[str, DriftScenario] = {
    "claims_triage": DriftScenario(shifted_claim_requests, land_flipped_claim_outcomes,
                                   (dg.AssetKey(["bronze", "claim_outcomes"]), dg.AssetKey(["silver", "claim_outcomes"]))),
}
