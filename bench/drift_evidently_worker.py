"""Evidently's DataDriftPreset on the bench's parquet files; run by bench_drift.py in its own venv.

    <evidently venv>/bin/python bench/drift_evidently_worker.py DATA_DIR CURRENT_FILE COLUMNS_JSON

Prints one JSON line: seconds (the report's run, data already loaded), load seconds, peak RSS, and
the columns Evidently calls drifted (its default per-column tests and thresholds).
"""

import json
import sys
import time
from pathlib import Path

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset


def peak_rss_mb() -> float:
    """Peak RSS since exec (VmHWM); ru_maxrss would include the parent's at fork."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def main() -> None:
    data, current_file, columns = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
    started = time.perf_counter()
    reference = pd.read_parquet(data / "reference.parquet")
    current = pd.read_parquet(data / current_file)
    loaded = time.perf_counter()
    definition = DataDefinition(numerical_columns=columns["numeric"], categorical_columns=columns["categorical"])
    snapshot = Report([DataDriftPreset()]).run(Dataset.from_pandas(current, data_definition=definition),
                                               Dataset.from_pandas(reference, data_definition=definition))
    result = snapshot.dict()
    finished = time.perf_counter()
    drifted = sorted(m["config"]["column"] for m in result["metrics"]
                     if m["config"].get("type", "").endswith("ValueDrift") and m["value"] >= m["config"]["threshold"])
    methods = sorted({m["config"]["method"] for m in result["metrics"] if "method" in m["config"]})
    print(json.dumps({"seconds": finished - loaded, "load_seconds": loaded - started, "drifted": drifted,
                      "methods": methods, "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
