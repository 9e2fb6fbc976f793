"""The manufacturer's drift scenario: only the hot plant's landed readings, hotter and shaking harder."""

import json

from ml_assets.features.drift_scenarios import DRIFT_SCENARIOS, HOT_PLANT
from ml_assets.features.request_samples import READING_REQUEST_FIELDS


def test_the_heat_wave_sends_the_hot_plants_readings_hotter_and_shaking_harder_and_lands_no_outcomes(tmp_path):
    readings = tmp_path / "sensor_readings"
    readings.mkdir()
    rows = [("M1", HOT_PLANT, "40.0", "2.0", "5.5", "1200"), ("M2", "bremen", "35.0", "1.0", "5.0", "900"),
            ("M3", HOT_PLANT, "", "1.5", "5.1", "100")]  # no temperature: not a reading to shift
    (readings / "readings_1.csv").write_text("\n".join(",".join(r) for r in [READING_REQUEST_FIELDS, *rows]) + "\n")
    scenario = DRIFT_SCENARIOS["machine_failure"]
    sent = [json.loads(b)["dataframe_records"][0] for b in scenario.requests(tmp_path)]
    assert [(r["machine_id"], r["temperature_c"], r["vibration_mm_s"]) for r in sent] == \
        [("M1", 60.0, 5.0), ("M1", 65.0, 5.0), ("M1", 70.0, 5.0)]
    assert scenario.land_labels is None and not scenario.second_champion
    assert DRIFT_SCENARIOS["claims_triage"].second_champion
