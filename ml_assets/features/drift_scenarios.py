"""The demo's drift scenario per use case: traffic from a changed population, and the outcomes that
arrive for it later, landed as the source system would land them. `make demo` replays it against
the champion so the monitor has something to find (lakegate/cli/demo_loop.py).

Claims triage: a new broker sends paper claims of three times the usual amount, for other
procedures, filed weeks after the service; their reviews then come back the other way round from
what the model said (a quality drop).

Machine failure, cheaply: a heat wave at the hottest plant, whose machines alone report, hotter and
shaking harder. Drift only: no second champion is trained for it and no outcomes are landed (its
labels take a week to be known), so its verdict can only alert. A use case without a scenario gets
monitored, not provoked.
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
from ml_assets.features.request_samples import landed_claim_requests, landed_reading_requests

SHIFTED_PREFIX = "SHIFT-"


@dataclass(frozen=True)
class DriftScenario:
    requests: Callable[[Path], list[bytes]]  # landing root → request bodies of the changed population
    # (landing root, prediction per record key) → file landed; None: no outcomes, drift only
    land_labels: Callable[[Path, dict[str, int]], Path] | None = None
    label_assets: tuple[dg.AssetKey, ...] = ()  # what to materialize so the landed labels reach the label table
    second_champion: bool = True  # train and release another champion first, so a rollback has somewhere to go


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


HOT_PLANT = "pune"  # the warmest plant of the synthetic fleet (lakehouse_assets/synthetic/machines/fleet.py)


def hot_plant_reading_requests(landing: Path, copies: int = 3) -> list[bytes]:
    """The hot plant's landed readings, `copies` times each, 20 to 30 °C hotter, vibrating 2.5 times as hard."""
    shifted = []
    for body in landed_reading_requests(landing):
        record = json.loads(body)["dataframe_records"][0]
        if record.get("plant") != HOT_PLANT or None in (record.get("temperature_c"), record.get("vibration_mm_s")):
            continue
        for copy in range(copies):
            changed = {**record, "temperature_c": round(record["temperature_c"] + 20 + 5 * copy, 1),
                       "vibration_mm_s": round(record["vibration_mm_s"] * 2.5, 2)}
            shifted.append(json.dumps({"dataframe_records": [changed]}).encode())
    return shifted


DRIFT_SCENARIOS: dict[str, DriftScenario] = {
    "claims_triage": DriftScenario(shifted_claim_requests, land_flipped_claim_outcomes,
                                   (dg.AssetKey(["bronze", "claim_outcomes"]), dg.AssetKey(["silver", "claim_outcomes"]))),
    "machine_failure": DriftScenario(hot_plant_reading_requests, second_champion=False),
}
