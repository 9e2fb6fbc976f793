"""The model version's reference profile: its held-out (test) rows as the monitor will see them
served, profiled once at training with fixed bins (lakegate/monitoring/profile.py).

The monitor compares every window of served traffic with it (drift_type BASELINE). It is logged
with the run, so the test and prod copies of the version (same run) share it, and it goes into the
version's evidence bundle. Date columns are left out: a date's distribution always moves with time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from lakegate.monitoring.profile import Profile, reference_profile

SCORE = "score"  # the model's output, profiled beside its inputs (prediction drift)


def held_out_reference(frame: pd.DataFrame, input_kinds: dict[str, str], scores: np.ndarray) -> Profile:
    """Profile the held-out inputs with the model's scores."""
    numeric = [name for name, kind in input_kinds.items() if kind == "double"]
    categorical = [name for name, kind in input_kinds.items() if kind == "string"]
    columns = {name: pa.array(frame[name], type=pa.float64(), from_pandas=True) for name in numeric}
    columns |= {name: pa.array(frame[name].astype(object).where(frame[name].notna(), None), type=pa.string())
                for name in categorical}
    columns[SCORE] = pa.array(scores, type=pa.float64())
    return reference_profile(pa.table(columns), [*numeric, SCORE], categorical)
