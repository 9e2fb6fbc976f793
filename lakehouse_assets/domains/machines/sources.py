"""The manufacturer's landing sources (machine failure): the fleet, the sensor readings each
plant's historian exports, and the maintenance and failure events that arrive after the fact.

No source holds customer data; the one personal field is the technician who did a maintenance job
(an employee number), kept raw only in bronze and pseudonymized in silver.
"""

from __future__ import annotations

from lakehouse_assets.landing import LandingSource

MACHINES = LandingSource(
    name="machines",
    columns=("machine_id", "plant", "line", "model_type", "install_date", "rated_power_kw", "updated_at"),
    business_key=("machine_id",),
    updated_at="updated_at",
    description="The fleet, one row per machine: plant, line, model type, install date, rated power; "
    "a machine re-sent with a later updated_at corrects it.",
)

SENSOR_READINGS = LandingSource(
    name="sensor_readings",
    columns=("machine_id", "plant", "read_at", "temperature_c", "vibration_mm_s", "pressure_bar", "run_hours"),
    business_key=("machine_id", "read_at"),
    updated_at="read_at",  # a reading is never corrected: one sent twice is a duplicate
    description="Sensor readings every 6 hours per running machine, exported by each plant's historian "
    "as one file a week: temperature (°C), vibration (mm/s RMS), pressure (bar), run-hours counter.",
)

MAINTENANCE_EVENTS = LandingSource(
    name="maintenance_events",
    columns=("event_id", "machine_id", "kind", "performed_at", "duration_hours", "technician_id", "updated_at"),
    business_key=("event_id",),
    updated_at="updated_at",
    description="Closed maintenance work orders (preventive, corrective, inspection), entered after the "
    "work was done; technician_id is an employee number.",
    personal_columns=("technician_id",),
)

FAILURE_EVENTS = LandingSource(
    name="failure_events",
    columns=("failure_id", "machine_id", "failed_at", "failure_mode", "reported_at", "updated_at"),
    business_key=("failure_id",),
    updated_at="updated_at",
    description="Breakdowns, reported hours to days after they happened: what the failure model predicts.",
)

SOURCES: dict[str, LandingSource] = {s.name: s for s in (MACHINES, SENSOR_READINGS, MAINTENANCE_EVENTS, FAILURE_EVENTS)}

# Code lists that silver conforms to; the generator draws from the same lists.
PLANTS = ("aurora", "bremen", "monterrey", "pune")
MODEL_TYPES = ("cnc_mill", "hydraulic_press", "centrifugal_pump", "air_compressor")
MAINTENANCE_KINDS = ("preventive", "corrective", "inspection")
FAILURE_MODES = ("bearing_wear", "overheating", "seal_leak", "electrical")
